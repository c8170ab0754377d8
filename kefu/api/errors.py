"""Every API error is JSON: {"code", "message"} and, for validation errors,
"fields": {field: [messages]}. Codes: not_authenticated (401), forbidden (403),
not_found (404), validation_error (422), bad_request (400), too_large (413: a body over
DATA_UPLOAD_MAX_MEMORY_SIZE, refused before it is read)."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.exceptions import PermissionDenied, RequestDataTooBig, SuspiciousOperation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

logger = logging.getLogger(__name__)

STATUS_CODES = {
    400: "bad_request",
    401: "not_authenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "too_large",
    422: "validation_error",
    429: "throttled",
}

# The services name model fields; the API names the ids it takes.
FIELD_NAMES = {"customer": "customer_id", "area": "area_id", "assignee": "assignee_id"}


def _default_messages() -> dict[int, str]:
    return {
        400: _("The request could not be read."),
        401: _("Send a valid API token: Authorization: Bearer <key>."),
        403: _("You are not allowed to do this."),
        404: _("Not found."),
        405: _("This method is not allowed here."),
        413: _("The request is larger than %(limit)s: send less in each request.")
        % {"limit": filesizeformat(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)},
        422: _("The data sent is not valid."),
        429: _("Too many requests."),
    }


def error_body(status: int, message: str | None = None, fields: dict | None = None) -> dict:
    body = {
        "code": STATUS_CODES.get(status, "error"),
        "message": str(message or _default_messages().get(status, _("Something went wrong."))),
    }
    if fields:
        body["fields"] = fields
    return body


def django_validation_fields(exc: DjangoValidationError) -> dict[str, list[str]]:
    if hasattr(exc, "error_dict"):
        return {FIELD_NAMES.get(name, name): [str(m) for m in msgs]
                for name, msgs in exc.message_dict.items()}
    return {"__all__": [str(m) for m in exc.messages]}


def _pydantic_message(err: dict) -> str:
    kind = err.get("type", "")
    ctx = err.get("ctx") or {}
    if kind == "missing":
        return _("This field is required.")
    if kind == "string_too_long":
        return _("At most %(n)s characters.") % {"n": ctx.get("max_length")}
    if kind == "too_long":
        return _("At most %(n)s items.") % {"n": ctx.get("max_length")}
    if kind == "string_too_short":
        return _("This field cannot be blank.")
    if kind in ("enum", "literal_error"):
        return _("Choose one of: %(choices)s.") % {"choices": ctx.get("expected", "")}
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return _("Enter a whole number.")
    if kind == "string_pattern_mismatch":
        return _("This is not in the expected format.")
    if kind in ("string_type",):
        return _("Enter a text.")
    if kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
        bound = next(iter(ctx.values()), "")
        return _("Out of range (%(bound)s).") % {"bound": bound}
    return str(err.get("msg", ""))


def ninja_validation_fields(exc: NinjaValidationError) -> dict[str, list[str]]:
    """loc is (source, param, field…) for a body schema, (source, field) otherwise."""
    fields: dict[str, list[str]] = {}
    for err in exc.errors:
        loc = [str(p) for p in err.get("loc", ())]
        if loc and loc[0] == "body":
            name = ".".join(loc[2:]) or "__all__"
        else:
            name = ".".join(loc[1:]) or "__all__"
        fields.setdefault(name, []).append(_pydantic_message(err))
    return fields


def install_error_handlers(api: NinjaAPI) -> None:
    def respond(request, status: int, message=None, fields=None):
        response = api.create_response(request, error_body(status, message, fields), status=status)
        if status == 401:
            response["WWW-Authenticate"] = 'Bearer realm="kefu"'
        return response

    @api.exception_handler(AuthenticationError)
    def not_authenticated(request, exc):
        return respond(request, 401)

    @api.exception_handler(HttpError)
    def http_error(request, exc):
        return respond(request, exc.status_code)

    @api.exception_handler(Http404)
    def not_found(request, exc):
        return respond(request, 404)

    @api.exception_handler(PermissionDenied)
    def forbidden(request, exc):
        return respond(request, 403)

    @api.exception_handler(DjangoValidationError)
    def invalid(request, exc):
        fields = django_validation_fields(exc)
        first = next(iter(fields.values()))[0] if fields else None
        return respond(request, 422, first, fields)

    @api.exception_handler(NinjaValidationError)
    def invalid_input(request, exc):
        return respond(request, 422, None, ninja_validation_fields(exc))

    @api.exception_handler(RequestDataTooBig)
    def too_large(request, exc):
        return respond(request, 413)

    @api.exception_handler(SuspiciousOperation)
    def bad_request(request, exc):
        return respond(request, 400)

    @api.exception_handler(Exception)
    def server_error(request, exc):
        logger.exception("api request failed", extra={"path": request.path})
        return api.create_response(
            request, {"code": "server_error", "message": _("Something went wrong.")}, status=500
        )
