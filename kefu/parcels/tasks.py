"""Celery tasks of parcels (found by Celery's autodiscovery): parse nothing, call a service."""

import datetime as dt

from celery import shared_task

from kefu.parcels.sweep import sweep
from kefu.parcels.uploads import scan_import_run


@shared_task(name="kefu.parcels.sweep")
def parcel_sweep(at_iso: str | None = None) -> dict:
    """The warning sweep as of a time (ISO 8601; default now) — for replays and tests."""
    return sweep(at=dt.datetime.fromisoformat(at_iso) if at_iso else None)


@shared_task(name="kefu.parcels.import_scans", ignore_result=True)
def import_scans(batch_id: int, token: str, language: str | None = None) -> str | None:
    """The background half of a scan upload (kefu/parcels/uploads.py); the file is in the
    shared data directory. Returns the batch's final state."""
    batch = scan_import_run(batch_id=batch_id, token=token, language=language)
    return None if batch is None else batch.state
