"""Who is calling: a bearer token (any method), or the browser session (reads
only, so /api/docs can be tried while logged in). Both answer the User."""

from __future__ import annotations

from django.utils import timezone
from ninja.security import HttpBearer, SessionAuth

from kefu.api import selectors, services

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class TokenAuth(HttpBearer):
    """`Authorization: Bearer <key>`: one indexed lookup, user joined in, then
    cached briefly (selectors.api_token_for_key). Ninja views are CSRF-exempt;
    only cookie auth checks CSRF."""

    def authenticate(self, request, token: str):
        api_token = selectors.api_token_for_key(token.strip())
        if api_token is None:
            return None
        services.api_token_mark_used(token=api_token, now=timezone.now())
        request.user = api_token.user
        request.api_token = api_token
        return api_token.user


class SessionReadAuth(SessionAuth):
    """The logged-in browser, for safe methods only. A request that carries an
    Authorization header is judged by that header alone."""

    def __call__(self, request):
        if request.method not in SAFE_METHODS or "authorization" in request.headers:
            return None
        return super().__call__(request)


token_auth = TokenAuth()
read_auth = [token_auth, SessionReadAuth()]
