"""The REST API, mounted at /api/. Schema at /api/openapi.json, interactive docs at
/api/docs.

This is the only place that knows the API as a whole: who is calling (a bearer
token, or the logged-in browser for reads: kefu/api/auth.py), the JSON error
envelope (errors.py) and where each app's endpoints go. Each app declares its
endpoints as a ninja `router` in its own `api.py`; they are all mounted here at
/api/, in the order of INSTALLED_APPS, without being listed.
"""

from django.apps import apps
from django.http import Http404
from django.urls import path
from django.utils.module_loading import import_module, module_has_submodule
from django.utils.translation import gettext_lazy as _
from ninja import NinjaAPI, Router

from kefu.api.auth import read_auth
from kefu.api.errors import install_error_handlers
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


def app_routers() -> list[Router]:
    """The `router` of every installed kefu app that has an `api` module."""
    routers = []
    for config in apps.get_app_configs():
        if config.name.startswith("kefu.") and config.name != "kefu.api" \
                and module_has_submodule(config.module, "api"):
            router = getattr(import_module(f"{config.name}.api"), "router", None)
            if router is not None:
                routers.append(router)
    return routers


for _router in app_routers():
    api.add_router("/", _router)

# Added last, so it only sees paths no other route took: a JSON 404, not Django's page.
fallback = Router()


@fallback.api_operation(["GET", "POST", "PUT", "PATCH", "DELETE"], "/{path:rest}", auth=None,
                        include_in_schema=False)
def unknown_path(request, rest: str):
    raise Http404


api.add_router("/", fallback)

urlpatterns = [path("api/", api.urls)]

nav = [NavItem(_("API"), "/api/docs", order=90, show=lambda user: not user.is_customer)]
