"""Periodic background jobs and the embedded runner.

Each job is a plain function that takes no arguments, is idempotent and safe to
run in several processes at once (the services it calls claim their rows).
The embedded runner is a daemon thread in the web process — no server to
install. With CELERY_BROKER_URL set, Celery beat runs the same functions
(config/celery.py) and the embedded runner stays off.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.db import close_old_connections

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    name: str
    interval_s: float
    func_path: str

    def load(self) -> Callable[[], object]:
        from django.utils.module_loading import import_string

        return import_string(self.func_path)


JOBS: list[Job] = [
    Job("sla_sweep", 60, "kefu.tickets.tasks.sla_sweep_job"),
    Job("parcel_sweep", 60, "kefu.parcels.tasks.parcel_sweep_job"),
    Job("outbox", 15, "kefu.notifications.tasks.outbox_job"),
    # Daily; the embedded runner also runs it when the server starts.
    Job("notifications_purge", 24 * 3600, "kefu.notifications.tasks.purge_job"),
]


def run_once(job: Job) -> object:
    close_old_connections()
    try:
        return job.load()()
    except Exception:  # a failing job must not stop the others
        logger.exception("job failed name=%s", job.name)
        return None
    finally:
        close_old_connections()


class EmbeddedRunner(threading.Thread):
    def __init__(self, jobs: list[Job] | None = None):
        super().__init__(name="kefu-jobs", daemon=True)
        self.jobs = jobs or JOBS
        self.stop_event = threading.Event()

    def run(self) -> None:
        next_run = {job.name: 0.0 for job in self.jobs}
        logger.info("embedded jobs started jobs=%s", [j.name for j in self.jobs])
        while not self.stop_event.is_set():
            now = time.monotonic()
            for job in self.jobs:
                if now >= next_run[job.name]:
                    run_once(job)
                    next_run[job.name] = time.monotonic() + job.interval_s
            self.stop_event.wait(1.0)

    def stop(self) -> None:
        self.stop_event.set()
