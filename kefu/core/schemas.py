"""Building blocks for an app's API endpoints (its `api.py`, mounted by kefu.api).

The API layer itself — tokens, authentication, the JSON error envelope, the
NinjaAPI instance and where each app's router is mounted — lives in `kefu/api/`
and nowhere else; an app's `api.py` declares a `router` of its endpoints and may
use these shapes, so that it never imports `kefu.api`.
"""

from __future__ import annotations

from django.http import HttpResponse
from ninja import Schema
from ninja.renderers import JSONRenderer


class ErrorOut(Schema):
    """Every error answer: {"code", "message"} and, for invalid input, "fields"."""

    code: str
    message: str
    fields: dict[str, list[str]] | None = None


# The error answers an endpoint documents besides its success: `response={201: X, **ERRORS}`.
ERRORS = {frozenset({400, 401, 403, 404, 422}): ErrorOut}

_RENDERER = JSONRenderer()  # the NinjaAPI's renderer (kefu/api sets no other)


def rendered(data: dict, *, status: int) -> HttpResponse:
    """`data` as JSON exactly as ninja would render it, without validating it
    against the response schema again: for hot endpoints whose output is built
    by functions that already give the schema's shape and types (a test should
    check that both renderings agree)."""
    return HttpResponse(_RENDERER.render(None, data, response_status=status), status=status,
                        content_type=f"{_RENDERER.media_type}; charset={_RENDERER.charset}")
