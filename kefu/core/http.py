"""Small helpers shared by the views of every app."""

from __future__ import annotations

from django.utils.http import url_has_allowed_host_and_scheme


def safe_next(request) -> str | None:
    """The page to go back to (POST `next`), only if it is on this site: no open redirect."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return None


def is_htmx(request) -> bool:
    """Whether the request comes from HTMX (it then gets a partial, not a page)."""
    return request.headers.get("HX-Request") == "true"
