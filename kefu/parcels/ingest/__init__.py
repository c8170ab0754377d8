"""The scan import. Code outside this package imports from here only.

The names are loaded on first use: the parser process starts as
`python -m kefu.parcels.ingest.worker`, which imports this package before
Django is set up, so nothing here may import a model at import time.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kefu.parcels.ingest.importer import CHUNK_ROWS, scans_import, scans_import_rows
    from kefu.parcels.ingest.shape import DEFAULT_SCAN_MAPPING

# name → the module of the package that holds it
EXPORTS = {
    "scans_import": "importer",
    "scans_import_rows": "importer",
    "DEFAULT_SCAN_MAPPING": "shape",
    "CHUNK_ROWS": "importer",
}
__all__ = ["CHUNK_ROWS", "DEFAULT_SCAN_MAPPING", "scans_import", "scans_import_rows"]


def __getattr__(name: str):
    module = EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value
