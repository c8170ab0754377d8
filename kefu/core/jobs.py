"""Periodic background jobs, declared by each app, and the embedded runner.

An app declares its jobs in its own `jobs.py`:

    # kefu/tickets/jobs.py
    from kefu.core.jobs import job
    from kefu.tickets.sla_sweep import sla_sweep

    @job("sla_sweep", every=60)
    def sla_sweep_job() -> dict:
        return sla_sweep()

A job is a plain function that takes no arguments, is idempotent and safe to run
in several processes at once (the services it calls claim their rows). The jobs
are found when first asked for (`all_jobs`), by importing every installed app's
`jobs` module. Two runners read the same list: the embedded runner, a daemon
thread in the web process or `kefu run-jobs` (no server to install), and Celery
beat when CELERY_BROKER_URL is set (config/celery.py schedules each job as the
task `kefu.run_job`, kefu/core/tasks.py); then the embedded runner stays off.
A `demo` job runs only with `--demo` (the demo's simulated people).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.db import close_old_connections
from django.utils.module_loading import autodiscover_modules

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    name: str
    interval_s: float
    func: Callable[[], object]
    demo: bool = False


_JOBS: dict[str, Job] = {}
_discovered = False


def job(name: str, *, every: float, demo: bool = False) -> Callable:
    """Declare the decorated function a periodic job run every `every` seconds
    (`demo`: only when the demo's simulation runs)."""
    def register(func: Callable[[], object]) -> Callable[[], object]:
        known = _JOBS.get(name)
        if known is not None and known.func.__qualname__ != func.__qualname__:
            raise ValueError(f"the job {name!r} is declared twice")
        _JOBS[name] = Job(name, every, func, demo)
        return func
    return register


def all_jobs(*, demo: bool = False) -> list[Job]:
    """Every declared job (with `demo`, the demo's too), in the order of INSTALLED_APPS."""
    global _discovered
    if not _discovered:
        autodiscover_modules("jobs")
        _discovered = True
    return [j for j in _JOBS.values() if demo or not j.demo]


def get_job(name: str) -> Job:
    """The job called `name` (KeyError when no app declares it)."""
    for j in all_jobs(demo=True):
        if j.name == name:
            return j
    raise KeyError(name)


def run_once(job: Job) -> object:
    close_old_connections()
    try:
        return job.func()
    except Exception:  # a failing job must not stop the others
        logger.exception("job failed name=%s", job.name)
        return None
    finally:
        close_old_connections()


class EmbeddedRunner(threading.Thread):
    def __init__(self, jobs: list[Job] | None = None):
        super().__init__(name="kefu-jobs", daemon=True)
        self.jobs = jobs if jobs is not None else all_jobs()
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
