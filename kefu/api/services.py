"""Writes on API tokens. Keyword-only and atomic, like every service."""

from __future__ import annotations

import datetime as dt
import logging
import secrets

from django.db import transaction

from kefu.api import selectors
from kefu.api.models import ApiToken, hash_key
from kefu.orgs.models import User

logger = logging.getLogger(__name__)

# last_used_at is refreshed at most this often, so a busy client costs one
# UPDATE a minute, not one per request.
LAST_USED_RESOLUTION = dt.timedelta(minutes=1)


@transaction.atomic
def api_token_create(*, user: User, name: str) -> tuple[ApiToken, str]:
    """A new token for `user`. Returns the row and the raw key, which is never
    stored and cannot be shown again."""
    raw_key = secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user, name=name.strip()[:100], key_prefix=raw_key[:8], key_hash=hash_key(raw_key)
    )
    logger.info("api token created", extra={"token_id": token.pk, "user_id": user.pk})
    return token, raw_key


@transaction.atomic
def api_token_revoke(*, token: ApiToken) -> ApiToken:
    """Refused from now on: this process forgets its cached copy at once (and again
    at commit, in case a request read the row meanwhile); other processes within
    selectors.TOKEN_CACHE_SECONDS."""
    ApiToken.objects.filter(pk=token.pk).update(revoked=True)
    token.revoked = True
    key_hash = token.key_hash
    selectors.api_token_cache_drop(key_hash)
    transaction.on_commit(lambda: selectors.api_token_cache_drop(key_hash))
    logger.info("api token revoked", extra={"token_id": token.pk, "user_id": token.user_id})
    return token


def api_token_mark_used(*, token: ApiToken, now: dt.datetime) -> None:
    """Record use, unless it was recorded less than a minute ago. The
    condition is in the UPDATE so concurrent requests write once."""
    last = token.last_used_at
    if last is not None and now - last < LAST_USED_RESOLUTION:
        return
    written = ApiToken.objects.filter(pk=token.pk, last_used_at=last).update(last_used_at=now)
    token.last_used_at = now
    if written:
        selectors.api_token_cache_note_used(token)
    else:
        # Another process wrote it first: read the row afresh next time.
        selectors.api_token_cache_drop(token.key_hash)
