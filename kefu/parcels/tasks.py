"""Celery tasks of parcels (found by Celery's autodiscovery): parse nothing, call a service."""

import datetime as dt

from celery import shared_task

from kefu.parcels.sweep import sweep


@shared_task(name="kefu.parcels.sweep")
def parcel_sweep(at_iso: str | None = None) -> dict:
    """The warning sweep as of a time (ISO 8601; default now) — for replays and tests."""
    return sweep(at=dt.datetime.fromisoformat(at_iso) if at_iso else None)
