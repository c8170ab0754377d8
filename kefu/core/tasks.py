"""Celery tasks of the core: a periodic job (kefu.core.jobs) run by name, as Celery
beat schedules it (config/celery.py)."""

from celery import shared_task

from kefu.core.jobs import get_job, run_once


@shared_task(name="kefu.run_job", ignore_result=True)
def run_job(name: str):
    return run_once(get_job(name))
