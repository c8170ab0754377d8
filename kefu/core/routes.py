"""The routes of every installed kefu app, found rather than listed (config/urls.py).

An app keeps its web routes in its own `urls.py` (`urlpatterns`, route names
unprefixed as they have always been) and, for the navigation bar, `nav`
(kefu.core.nav). Routes are included at the site's root, the highest layer first
(INSTALLED_APPS from the end): the API's one prefix (/api/, its busiest path) is tried
before the pages' dozens of patterns, and should two apps ever claim one path, the
higher layer's page wins.
"""

from __future__ import annotations

from django.apps import apps
from django.urls import include, path
from django.utils.module_loading import module_has_submodule


def app_routes() -> list:
    return [
        path("", include(f"{config.name}.urls"))
        for config in reversed(list(apps.get_app_configs()))
        if config.name.startswith("kefu.") and module_has_submodule(config.module, "urls")
    ]
