"""Scale-out mode: the same periodic jobs on Celery workers (Redis or RabbitMQ broker).

    CELERY_BROKER_URL=redis://127.0.0.1:6379/0 DATABASE_URL=postgres://… \
        .venv/bin/celery -A config worker -B --loglevel=INFO

Without CELERY_BROKER_URL the jobs run embedded in `kefu serve` instead.

This module wires, it does not list: each app's Celery tasks are in its own
`tasks.py` (found by `autodiscover_tasks`), and beat runs every periodic job that
an app declares in its `jobs.py` (kefu.core.jobs) as the task `kefu.run_job`.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("kefu")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.timezone = "Asia/Shanghai"
app.autodiscover_tasks()


@app.on_after_finalize.connect
def _schedule_jobs(sender: Celery, **kwargs) -> None:
    """Every declared job on beat's schedule. The worker and beat have set Django up by
    now (Celery's Django fixup, before the task modules are imported)."""
    import django
    from django.apps import apps

    if not apps.ready:
        django.setup()
    from kefu.core.jobs import all_jobs

    for job in all_jobs():
        sender.add_periodic_task(job.interval_s, sender.signature("kefu.run_job", args=(job.name,)), name=job.name)
