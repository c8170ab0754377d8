"""The upload's background half for real: the web request returns at once, a thread
of the server process runs the import (the embedded mode) and writes its progress,
which the page's poll shows; on PostgreSQL with Redis, a real Celery worker does it."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.db.backends.signals import connection_created
from django.urls import reverse

from kefu.imports import uploads as import_uploads
from kefu.imports.models import ImportBatch
from kefu.orgs.models import Role
from kefu.orgs.tests.factories import PointFactory, UserFactory
from kefu.parcels.models import ScanEvent, Waybill
from kefu.parcels.tests.helpers import redis_up, scan, scan_csv

pytestmark = pytest.mark.django_db(transaction=True)
ENGLISH = {"HTTP_ACCEPT_LANGUAGE": "en"}
PERCENT = re.compile(r'data-percent="(\d+)"')


@pytest.fixture(autouse=True)
def data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path / "data"
    settings.CELERY_BROKER_URL = ""
    return settings.DATA_DIR


def _read_uncommitted(sender=None, connection=None, **kwargs):
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA read_uncommitted = 1")


@pytest.fixture(autouse=True)
def import_threads(transactional_db):
    """On SQLite the test database lives in memory with a shared cache, where a reader
    locks the tables it reads and a writer on another connection fails at once ("database
    table is locked") instead of waiting as on a file. Connections that read uncommitted
    rows take no read locks, so polls and the import do not trip over each other. (A real
    SQLite database is a WAL file with a busy timeout: readers never block the writer.)
    After the test, the import threads are joined before the database is flushed."""
    _read_uncommitted(connection=connection)
    connection_created.connect(_read_uncommitted)
    yield
    connection_created.disconnect(_read_uncommitted)
    for thread in threading.enumerate():
        if thread.name.startswith(import_uploads.THREAD_PREFIX):
            thread.join(120)


@pytest.fixture
def supervisor():
    return UserFactory(point=PointFactory(code="P1"), role=Role.SUPERVISOR)


def wait_until_finished(pk: int, timeout: float = 120.0) -> ImportBatch:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        batch = ImportBatch.objects.get(pk=pk)
        if batch.state != "running":
            return batch
        time.sleep(0.05)
    raise AssertionError(f"batch {pk} still running after {timeout} s")


def test_the_import_runs_in_a_background_thread_and_the_page_follows_its_progress(client, supervisor):
    # 120,000 scans of 60,000 waybills: three chunks of the importer, so progress moves twice before the end.
    n = 60_000
    rows = [scan(f"YT{i:010d}", "到件", "2026-11-20 09:00") for i in range(n)]
    rows += [scan(f"YT{i:010d}", "派件", "2026-11-21 07:00", emp="1001") for i in range(n)]
    data = scan_csv(rows, encoding="gbk").getvalue()
    client.force_login(supervisor)

    response = client.post(reverse("scan_imports"), {"file": SimpleUploadedFile("大文件.csv", data)}, **ENGLISH)

    assert response.status_code == 302
    batch = ImportBatch.objects.get()
    seen_running, percents = [], []
    url = reverse("scan_import_detail", args=[batch.pk])
    while True:  # what the page's HTMX poll does, faster
        html = client.get(url, HTTP_HX_REQUEST="true", **ENGLISH).content.decode()
        state = re.search(r'data-state="(\w+)"', html).group(1)
        if state != "running":
            break
        seen_running.append(html)
        percents += [int(p) for p in PERCENT.findall(html)]
        assert len(seen_running) < 5000, "the import never finished"
        time.sleep(0.02)

    batch = wait_until_finished(batch.pk)
    assert (batch.state, batch.encoding, batch.total_rows, batch.created_rows, batch.duplicate_rows,
            batch.rejected_rows) == ("done", "gb18030", 2 * n, 2 * n, 0, 0), batch.error
    assert batch.bytes_read == batch.size == len(data)
    assert ScanEvent.objects.count() == 2 * n and Waybill.objects.count() == n
    assert os.listdir(import_uploads.upload_dir("scans")) == []
    # The request did not wait for the import, and the poll saw it move.
    assert seen_running, "the upload request waited for the import"
    assert percents == sorted(percents)
    assert any(0 < p < 100 for p in percents), percents
    done = client.get(url, HTTP_HX_REQUEST="true", **ENGLISH).content.decode()
    assert 'hx-trigger' not in done and f'<b id="batch-rows">{2 * n}</b>' in done


def test_uploads_waiting_at_once_run_one_after_the_other_in_upload_order(client, supervisor):
    client.force_login(supervisor)
    # The test takes the first turn, so all three uploads are in before any import starts
    # (as behind a long import in a busy server's process).
    mine = import_uploads.TURNS.take()
    try:
        for name, first in (("a.csv", 0), ("b.csv", 1000), ("c.csv", 2000)):
            data = scan_csv([scan(f"YT{i:010d}", "到件", "2026-11-20 09:00") for i in range(first, first + 1500)])
            client.post(reverse("scan_imports"), {"file": SimpleUploadedFile(name, data.getvalue())})
        time.sleep(0.3)
        assert list(ImportBatch.objects.values_list("state", "total_rows")) == [("running", 0)] * 3
    finally:
        assert import_uploads.TURNS.wait(mine, 0)
        import_uploads.TURNS.done(mine)

    batches = [wait_until_finished(b.pk) for b in ImportBatch.objects.order_by("pk")]

    assert [(b.file_name, b.state, b.created_rows, b.duplicate_rows) for b in batches] == [
        ("a.csv", "done", 1500, 0), ("b.csv", "done", 1000, 500), ("c.csv", "done", 1000, 500)]
    assert batches[0].finished_at <= batches[1].finished_at <= batches[2].finished_at
    assert ScanEvent.objects.count() == 3500


def test_turns_skip_a_ticket_given_back_out_of_order():
    turns = import_uploads.Turns()
    first, second, third = turns.take(), turns.take(), turns.take()
    turns.done(second)  # its thread never started
    assert not turns.wait(third, 0)
    turns.done(first)
    assert turns.wait(third, 0)


def test_a_crash_in_the_background_thread_fails_the_batch(client, supervisor, monkeypatch):
    def failing_writer(batch):
        def progress(rows, bytes_read):
            raise RuntimeError("the disk went away")
        return progress

    monkeypatch.setattr(import_uploads, "_progress_writer", failing_writer)
    client.force_login(supervisor)
    client.post(reverse("scan_imports"), {"file": SimpleUploadedFile(
        "s.csv", scan_csv([scan("YT0000000001", "到件", "2026-11-20 09:00")]).getvalue())}, **ENGLISH)

    batch = wait_until_finished(ImportBatch.objects.get().pk)

    assert (batch.state, batch.error) == ("failed", "The import stopped with an error: RuntimeError: the disk went away")
    assert os.listdir(import_uploads.upload_dir("scans")) == []


@pytest.mark.postgres
def test_on_celery_a_worker_runs_the_import(client, supervisor, settings, data_dir):
    if connection.vendor != "postgresql":
        pytest.skip("the Celery worker is a separate process: it needs a database server")
    if not redis_up():
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("Redis on 127.0.0.1:6379 is needed under CI=true")
        pytest.skip("Redis on 127.0.0.1:6379 is not reachable")
    from config.celery import app

    broker = "redis://127.0.0.1:6379/14"
    queue = f"kefu-upload-test-{uuid.uuid4().hex[:8]}"
    settings.CELERY_BROKER_URL = broker
    old = (app.conf.broker_url, app.conf.task_default_queue)
    app.conf.broker_url, app.conf.task_default_queue = broker, queue
    s = connection.settings_dict
    env = {**os.environ, "DATABASE_URL": f"postgres://{s['USER'] or 'postgres'}@{s['HOST'] or '127.0.0.1'}:"
           f"{s['PORT'] or 5432}/{s['NAME']}", "CELERY_BROKER_URL": broker, "KEFU_DATA_DIR": str(data_dir)}
    worker = subprocess.Popen(
        [os.path.join(os.path.dirname(sys.executable), "celery"), "-A", "config", "worker", "--pool=solo",
         "-Q", queue, "-n", f"{queue}@%h", "--without-heartbeat", "--without-mingle", "--without-gossip",
         "--loglevel=WARNING"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        client.force_login(supervisor)
        data = scan_csv([scan(f"YT{i:010d}", "到件", "2026-11-20 09:00") for i in range(2000)], encoding="gbk")
        client.post(reverse("scan_imports"), {"file": SimpleUploadedFile("s.csv", data.getvalue())})
        batch = wait_until_finished(ImportBatch.objects.get().pk, timeout=180)
    finally:
        app.conf.broker_url, app.conf.task_default_queue = old
        worker.terminate()
        worker.wait(20)
    assert (batch.state, batch.encoding, batch.created_rows, batch.bytes_read) == (
        "done", "gb18030", 2000, batch.size), batch.error
    assert os.listdir(import_uploads.upload_dir("scans")) == []
