"""Finding what the apps declare (docs/ARCHITECTURE.md): the module `name` of every
installed kefu app that has one. The registries of kefu.core (routes, navigation) and
the API's mounting read it; Django's `autodiscover_modules` serves those that only
need the modules imported (notices, jobs, importers)."""

from __future__ import annotations

from types import ModuleType

from django.apps import apps
from django.utils.module_loading import import_module, module_has_submodule


def app_modules(name: str) -> list[ModuleType]:
    """`<app>.<name>` of each installed kefu app that has it, in INSTALLED_APPS order."""
    return [
        import_module(f"{config.name}.{name}")
        for config in apps.get_app_configs()
        if config.name.startswith("kefu.") and module_has_submodule(config.module, name)
    ]
