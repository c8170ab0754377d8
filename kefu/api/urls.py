"""The REST API, mounted at /api/ by config/urls.py. Schema at /api/openapi.json,
interactive docs at /api/docs."""

from django.http import Http404
from ninja import NinjaAPI, Router

from kefu.api.auth import token_auth
from kefu.api.errors import install_error_handlers
from kefu.api.scans import router as scans_router
from kefu.api.tickets import router as tickets_router

api = NinjaAPI(
    title="kefu API",
    version="1",
    docs_url="/docs",
    auth=token_auth,
    description="Tickets of your network point. Send `Authorization: Bearer <key>` "
    "(create a key with `kefu api-token USERNAME`). Errors are JSON "
    '`{"code", "message", "fields"?}`.',
)
install_error_handlers(api)
api.add_router("/", tickets_router)
api.add_router("/", scans_router)

# Added last, so it only sees paths no other route took: a JSON 404, not Django's page.
fallback = Router()


@fallback.api_operation(["GET", "POST", "PUT", "PATCH", "DELETE"], "/{path:rest}", auth=None,
                        include_in_schema=False)
def unknown_path(request, rest: str):
    raise Http404


api.add_router("/", fallback)
