"""Two sweeps at once never raise a warning twice and never lose one, and write
each warning's escalation and close exactly once (PostgreSQL): in threads of one
process, and on two real Celery workers with the Redis broker."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import threading
import uuid
from zoneinfo import ZoneInfo

import pytest
from django.db import connection, connections

from kefu.orgs.tests.factories import PointFactory
from kefu.parcels.ingest import scans_import
from kefu.parcels.models import ParcelWarning, WarningEvent, WaybillMark
from kefu.parcels.sweep import sweep
from kefu.parcels.tests.helpers import redis_up, scan, scan_csv

SH = ZoneInfo("Asia/Shanghai")
AT = dt.datetime(2026, 11, 21, 8, 30, tzinfo=SH)
PAST_DEADLINE = AT.replace(hour=9, minute=0, second=30)  # the N warned waybills are missed
N = 3000

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _require_postgres():
    if connection.vendor != "postgresql":
        pytest.skip("row locks and SKIP LOCKED are PostgreSQL behaviour")


def _load(n: int) -> None:
    """N waybills due at 09:00 (one in ten with a problem scan: escalated when warned),
    and 500 already missed."""
    PointFactory(code="P1")
    rows = [scan(f"YT{i:012d}", "到件", "2026-11-20 09:00") for i in range(n)]
    rows += [scan(f"YT{i:012d}", "问题件", "2026-11-20 10:00") for i in range(0, n, 10)]
    rows += [scan(f"YT{i:012d}", "到件", "2026-11-20 07:00") for i in range(n, n + 500)]  # already missed
    batch = scans_import(fileobj=scan_csv(rows), file_name="s.csv")
    assert batch.created_rows == n + n // 10 + 500


def _assert_one_event_per_change() -> None:
    """Each escalated warning has exactly one escalation event, each closed warning
    exactly one event of its close, and there is no other."""
    def ids(qs):
        return sorted(qs.values_list("pk", flat=True))

    def events(verb):
        return sorted(WarningEvent.objects.filter(verb=verb).values_list("warning_id", flat=True))

    assert events("escalated") == ids(ParcelWarning.objects.exclude(escalation=""))
    for state in ("missed", "saved", "returned"):
        assert events(state) == ids(ParcelWarning.objects.filter(state=state))
    assert set(WarningEvent.objects.values_list("verb", flat=True)) <= {"escalated", "missed", "saved", "returned"}


def _in_threads(at: dt.datetime, n: int = 2) -> list[dict]:
    """`n` sweeps at `at` at once, each in a thread with its own connection."""
    results, errors = [], []

    def run():
        try:
            results.append(sweep(at=at))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    return results


@pytest.mark.parametrize("overlap", [True, False])
def test_a_full_sweep_marks_the_same_with_its_passes_side_by_side_or_one_after_the_other(settings, overlap):
    """Outside a transaction on PostgreSQL a full sweep runs the miss pass on a
    connection of its own beside the warn pass."""
    _require_postgres()
    settings.KEFU_SWEEP_OVERLAP = overlap
    _load(N)
    assert not connection.in_atomic_block
    result = sweep(at=AT)
    assert (result["raised"], result["missed"]) == (N, 500)
    assert WaybillMark.objects.filter(warned_at__isnull=False, missed_at__isnull=True).count() == N
    assert WaybillMark.objects.filter(warned_at__isnull=True, missed_at__isnull=False).count() == 500
    assert ParcelWarning.objects.filter(state=ParcelWarning.State.OPEN).count() == N
    assert result["escalated"] == N // 10
    _assert_one_event_per_change()


def test_two_sweeps_in_threads_claim_each_waybill_once_and_close_each_warning_once():
    _require_postgres()
    _load(N)
    results = _in_threads(AT)
    assert sum(r["raised"] for r in results) == N
    assert sum(r["missed"] for r in results) == 500
    assert sum(r["escalated"] for r in results) == N // 10
    assert ParcelWarning.objects.count() == N
    assert WaybillMark.objects.filter(warned_at__isnull=False).count() == N
    _assert_one_event_per_change()
    # Both past the deadline at once: each warning is missed, with its event, once.
    results = _in_threads(PAST_DEADLINE)
    assert sum(r["missed"] for r in results) == N
    assert ParcelWarning.objects.filter(state="missed").count() == N
    _assert_one_event_per_change()


def test_a_lagging_sweep_racing_a_missing_sweep_leaves_no_open_warning_on_a_missed_waybill():
    """Worker B sweeps at 09:00:30, past the deadline of parcels due at 09:00, while
    worker A keeps sweeping at 08:59:30 (a backed-up queue of older tasks) until B
    is done, and once more after: each waybill ends either warned and then missed
    with its warning, or missed without one — never missed with its warning left open."""
    _require_postgres()
    _load(N)
    errors = []
    early, late = AT.replace(hour=8, minute=59, second=30), AT.replace(hour=9, minute=0, second=30)
    b_done = threading.Event()

    def worker_a():
        try:
            while not b_done.is_set():
                sweep(at=early)
            sweep(at=early)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    def worker_b():
        try:
            sweep(at=late)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            b_done.set()
            connections.close_all()

    threads = [threading.Thread(target=worker_a), threading.Thread(target=worker_b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    sweep(at=late)  # B again: what A held locked a moment ago
    assert errors == []
    assert WaybillMark.objects.filter(missed_at__isnull=False).count() == N + 500
    assert ParcelWarning.objects.exclude(state=ParcelWarning.State.MISSED).count() == 0
    assert ParcelWarning.objects.count() == WaybillMark.objects.filter(warned_at__isnull=False).count()
    _assert_one_event_per_change()


def test_two_celery_workers_with_redis_sweep_at_once(tmp_path):
    _require_postgres()
    if not redis_up():
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("Redis on 127.0.0.1:6379 is needed for the scale-out test under CI=true")
        pytest.skip("Redis on 127.0.0.1:6379 is not reachable")
    from celery import Celery

    _load(N)
    s = connection.settings_dict
    db_url = f"postgres://{s['USER'] or 'postgres'}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"
    broker = "redis://127.0.0.1:6379/15"
    queue = f"kefu-test-{uuid.uuid4().hex[:8]}"
    env = {**os.environ, "DATABASE_URL": db_url, "CELERY_BROKER_URL": broker,
           "CELERY_RESULT_BACKEND": broker, "KEFU_DATA_DIR": str(tmp_path)}
    celery_bin = os.path.join(os.path.dirname(sys.executable), "celery")
    workers = [
        subprocess.Popen(
            [celery_bin, "-A", "config", "worker", "--concurrency=1", "--pool=solo", "-Q", queue,
             "-n", f"w{i}-{queue}@%h", "--without-heartbeat", "--without-mingle", "--without-gossip",
             "--loglevel=WARNING"],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )
        for i in range(2)
    ]
    app = Celery(broker=broker, backend=broker)
    try:
        _wait_for_workers(app, queue, 2)
        tasks = [app.send_task("kefu.parcels.sweep", args=[AT.isoformat()], queue=queue) for _ in range(2)]
        results = [t.get(timeout=120) for t in tasks]
        tasks = [app.send_task("kefu.parcels.sweep", args=[PAST_DEADLINE.isoformat()], queue=queue)
                 for _ in range(2)]
        later = [t.get(timeout=120) for t in tasks]
    finally:
        for w in workers:
            w.terminate()
        for w in workers:
            w.wait(20)
    assert sum(r["raised"] for r in results) == N
    assert sum(r["missed"] for r in results) == 500
    assert ParcelWarning.objects.count() == N
    assert ParcelWarning.objects.values("waybill").distinct().count() == N
    assert sum(r["missed"] for r in later) == N
    assert ParcelWarning.objects.filter(state="missed").count() == N
    _assert_one_event_per_change()


def _wait_for_workers(app, queue: str, n: int, timeout: float = 60.0) -> None:
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        replies = app.control.ping(timeout=1.0) or []
        names = [name for r in replies for name in r if queue in name]
        if len(names) >= n:
            return
    raise AssertionError(f"only {len(names)} of {n} Celery workers came up")
