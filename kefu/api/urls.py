"""The REST API, mounted at /api/. Schema at /api/openapi.json, interactive docs at
/api/docs.

This is the only place that knows the API as a whole: who is calling (a bearer
token, or the logged-in browser for reads: kefu/api/auth.py), the JSON error
envelope (errors.py) and where each app's endpoints go. Each app declares its
endpoints as a ninja `router` in its own `api.py`; they are all mounted here at
/api/, in the order of INSTALLED_APPS, without being listed.
"""

from django.http import Http404
from django.urls import path
from django.utils.translation import gettext_lazy as _
from ninja import NinjaAPI, Router

from kefu.api.auth import read_auth
from kefu.api.errors import install_error_handlers
from kefu.core.discovery import app_modules
from kefu.core.nav import NavItem

api = NinjaAPI(
    title="kefu API",
    version="1",
    docs_url="/docs",
    # A bearer token for any method; the browser's session for reads only (so /api/docs
    # can be tried while logged in). An endpoint may ask for less (auth=None).
    auth=read_auth,
    description="Tickets of your network point. Send `Authorization: Bearer <key>` "
    "(create a key with `kefu api-token USERNAME`). Errors are JSON "
    '`{"code", "message", "fields"?}`.',
)
install_error_handlers(api)


for _module in app_modules("api"):  # each app's `router` (docs/ARCHITECTURE.md)
    api.add_router("/", _module.router)

# Added last, so it only sees paths no other route took: a JSON 404, not Django's page.
fallback = Router()


@fallback.api_operation(["GET", "POST", "PUT", "PATCH", "DELETE"], "/{path:rest}", auth=None,
                        include_in_schema=False)
def unknown_path(request, rest: str):
    raise Http404


api.add_router("/", fallback)

urlpatterns = [path("api/", api.urls)]

nav = [NavItem(_("API"), "/api/docs", order=90, show=lambda user: not user.is_customer)]
