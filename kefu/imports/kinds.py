"""The kinds of import, each declared by the app whose data it brings in.

An app declares its kinds in its own `importers.py` (found when the apps are ready,
as notices are):

    # kefu/penalties/importers.py
    FINES = import_kind("fines", _("Fines"), runner="kefu.penalties.importers.run_fine_upload")

`ImportBatch.kind` holds the kind's name; `label` shows it. A kind that runs in the
background after an upload (kefu.imports.uploads) names its `runner` by dotted
path — `runner(batch=…, fileobj=…, progress=…)` fills the batch and returns it — so
that declaring a kind imports nothing heavy.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.module_loading import import_string


@dataclass(frozen=True)
class ImportKind:
    name: str
    label: str | Promise
    runner: str = ""  # dotted path of the background run of an uploaded file

    def run(self) -> Callable:
        return import_string(self.runner)


_KINDS: dict[str, ImportKind] = {}


def import_kind(name: str, label: str | Promise, *, runner: str = "") -> str:
    """Declare a kind of import; returns its name (the constant callers use)."""
    if not name or len(name) > 30:
        raise ValueError(f"an import kind has 1 to 30 characters: {name!r}")
    known = _KINDS.get(name)
    if known is not None and known != ImportKind(name, label, runner):
        raise ValueError(f"the import kind {name!r} is declared twice")
    _KINDS[name] = ImportKind(name, label, runner)
    return name


def get(name: str) -> ImportKind | None:
    return _KINDS.get(name)


def label(name: str) -> str:
    kind = _KINDS.get(name)
    return str(kind.label) if kind is not None else name
