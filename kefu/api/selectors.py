"""Reads on API tokens."""

from __future__ import annotations

from kefu.api.models import ApiToken, hash_key


def api_token_for_key(raw_key: str) -> ApiToken | None:
    """The live token whose key is `raw_key`, with its user and the user's point
    in the same query (creating a ticket needs the point's business hours);
    None for an unknown, revoked or inactive one."""
    if not raw_key or len(raw_key) > 200:
        return None
    try:
        token = ApiToken.objects.select_related("user__point").get(
            key_hash=hash_key(raw_key), revoked=False
        )
    except ApiToken.DoesNotExist:
        return None
    if not token.user.is_active:
        return None
    return token
