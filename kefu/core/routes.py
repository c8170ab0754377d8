"""The routes of every installed kefu app, found rather than listed (config/urls.py).

An app keeps its web routes in its own `urls.py` (`urlpatterns`, route names
unprefixed as they have always been) and, for the navigation bar, `nav`
(kefu.core.nav). Routes are included at the site's root, the highest layer first
(INSTALLED_APPS from the end): the API's one prefix (/api/, its busiest path) is tried
before the pages' dozens of patterns, and should two apps ever claim one path, the
higher layer's page wins.
"""

from __future__ import annotations

from django.urls import include, path

from kefu.core.discovery import app_modules


def app_routes() -> list:
    return [path("", include(module)) for module in reversed(app_modules("urls"))]
