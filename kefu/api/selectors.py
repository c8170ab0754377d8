"""Reads on API tokens.

The token → user lookup runs on every API request, so live tokens are kept in an
in-process cache for TOKEN_CACHE_SECONDS. Revoking a token, or saving its user,
the user's point or the token, drops the copies of this process at once (see
services.api_token_revoke and apps.py); other processes refuse a revoked token
within TOKEN_CACHE_SECONDS. Each caller gets its own copy of the token, user and
point: nothing cached is ever handed to a request."""

from __future__ import annotations

import copy

from kefu.api.models import ApiToken, hash_key
from kefu.core.ttlcache import MISSING, TTLCache

TOKEN_CACHE_SECONDS = 30.0
# key_hash → live ApiToken with user and point joined (the master copy, never handed out).
_tokens = TTLCache(TOKEN_CACHE_SECONDS)


def api_token_for_key(raw_key: str) -> ApiToken | None:
    """The live token whose key is `raw_key`, with its user and the user's point
    (creating a ticket needs the point's business hours): one query, or none
    while cached; None for an unknown, revoked or inactive one."""
    if not raw_key or len(raw_key) > 200:
        return None
    key_hash = hash_key(raw_key)
    token = _tokens.get(key_hash)
    if token is MISSING:
        generation = _tokens.generation
        try:
            token = ApiToken.objects.select_related("user__point").get(key_hash=key_hash, revoked=False)
        except ApiToken.DoesNotExist:
            return None
        if not token.user.is_active:
            return None
        _tokens.put(key_hash, token, generation=generation)
    return _private_copy(token)


def _private_copy(token: ApiToken) -> ApiToken:
    """Token, user and point copied, so that a request may change its objects
    without touching another's."""
    user = copy.copy(token.user)
    if user.point_id is not None:
        user.point = copy.copy(token.user.point)
    mine = copy.copy(token)
    mine.user = user
    return mine


def api_token_cache_note_used(token: ApiToken) -> None:
    """Carry a token's new last_used_at over to the cached copy, so that this
    process writes it again only a minute later."""
    cached = _tokens.get(token.key_hash)
    if cached is not MISSING:
        cached.last_used_at = token.last_used_at


def api_token_cache_drop(key_hash: str | None = None) -> None:
    """Forget one cached token (by key hash), or all of them."""
    if key_hash is None:
        _tokens.clear()
    else:
        _tokens.discard(key_hash)
