"""The periodic jobs each app declares in its jobs.py: one list for the embedded
runner, `kefu run-jobs` and Celery beat."""

from config.celery import app
from kefu.core.jobs import all_jobs, get_job

EVERY_APP_JOB = {"sla_sweep": 60, "parcel_sweep": 60, "outbox": 15, "notifications_purge": 86400}


def test_every_apps_jobs_are_found_with_their_intervals():
    assert {j.name: j.interval_s for j in all_jobs()} == EVERY_APP_JOB
    assert {j.name for j in all_jobs(demo=True)} == {*EVERY_APP_JOB, "demo_couriers"}
    assert get_job("demo_couriers").demo


def test_celery_beat_runs_each_job_by_name_and_the_worker_knows_every_task():
    app.finalize()
    schedule = app.conf.beat_schedule
    assert {name: (e["schedule"], e["task"], tuple(e["args"])) for name, e in schedule.items()} == {
        name: (every, "kefu.run_job", (name,)) for name, every in EVERY_APP_JOB.items()}
    app.loader.import_default_modules()  # what the worker does: every app's tasks.py
    assert {"kefu.run_job", "kefu.parcels.sweep", "kefu.imports.run_upload"} <= set(app.tasks)
