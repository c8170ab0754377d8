"""Django's own routes; every kefu app's routes are found in its own urls.py
(kefu/core/routes.py), the API's included (kefu/api/urls.py)."""

from django.contrib import admin
from django.urls import include, path

from kefu.core.routes import app_routes

urlpatterns = [
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    *app_routes(),
]
