"""Scale-out mode: the same periodic jobs on Celery workers (Redis or RabbitMQ broker).

    CELERY_BROKER_URL=redis://127.0.0.1:6379/0 DATABASE_URL=postgres://… \
        .venv/bin/celery -A config worker -B --loglevel=INFO

Without CELERY_BROKER_URL the jobs run embedded in `kefu serve` instead.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("kefu")
app.config_from_object("django.conf:settings", namespace="CELERY")


@app.task(name="kefu.run_job", ignore_result=True)
def run_job(name: str):
    from kefu.core.jobs import JOBS, run_once

    job = next(j for j in JOBS if j.name == name)
    return run_once(job)


@app.task(name="kefu.parcels.sweep")
def parcel_sweep(at_iso: str | None = None) -> dict:
    """The warning sweep as of a time (ISO 8601; default now) — for replays and tests."""
    import datetime as dt

    from kefu.parcels.sweep import sweep

    return sweep(at=dt.datetime.fromisoformat(at_iso) if at_iso else None)


@app.task(name="kefu.parcels.import_scans", ignore_result=True)
def import_scans(batch_id: int, token: str, language: str | None = None):
    """The import of an uploaded scan file (kefu/parcels/uploads.py); the file is in the shared data dir."""
    from kefu.parcels.tasks import scan_import_job

    return scan_import_job(batch_id, token, language)


def _beat_schedule() -> dict:
    from kefu.core.jobs import JOBS

    return {
        job.name: {"task": "kefu.run_job", "schedule": job.interval_s, "args": (job.name,)}
        for job in JOBS
    }


app.conf.beat_schedule = _beat_schedule()
app.conf.timezone = "Asia/Shanghai"
