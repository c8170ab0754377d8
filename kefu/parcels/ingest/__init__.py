"""The scan import: scan files (CSV, XLSX, …) and the batch API's rows into
scans and waybills. Code outside this package imports from here only:
`scans_import`, `scans_import_rows`, `DEFAULT_SCAN_MAPPING`, `CHUNK_ROWS`.

The modules:

    shape     the scan row's shape, declared once: the fields and their default
              headers, the required ones, the staged columns (scans, grouped
              waybills, codes, terms, waybills, the compact SQLite staging) and
              their types, the scan-type integers, the code kinds; the dataclasses
              Job, Staged and Chunk
    cells     RowReader: the checks and conversions of a row, or of one distinct
              cell value, with the reason a rejected row shows; both parsers use it
    rows      the row parser (`parse`): any file, a row at a time, in chunks
    columnar  the column parser: a large CSV of one line per record read by Apache
              Arrow, each check once per distinct value, the chunk grouped by
              waybill; COPY data (text, binary) and the compact SQLite rows
    staging   the stores (PostgresStore, SqliteStore): a chunk into staging tables,
              then set-based SQL into the scans and waybills
    protocol  what the importer and the parser process agree on: the frames,
              STAGE_SCHEMA, columnar_applies
    worker    the parser process (`python -m kefu.parcels.ingest.worker`): the
              file's chunks from either parser, staged for the store, sent back on
              its stdout
    importer  the parent side: scans_import, scans_import_rows, the references
              (points, areas, couriers, customers and deadline terms, looked up once
              per import), the parser in a thread or a process, each chunk stored in
              one transaction

Imports go one way (no cycle; kefu/parcels/tests/test_ingest_layout.py checks):

    importer ─► worker (its name), protocol, staging, rows, cells, shape
    worker ───► protocol; after django.setup(): staging, columnar, rows, cells, shape
    columnar, rows ─► cells ─► shape ─► kefu.parcels.models
    staging ─► shape
    protocol: the standard library only

The names here are loaded on first use: the parser process starts as
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
