"""Large scan files are parsed in a child process (kefu.parcels.ingest.worker):
the results must be exactly those of the in-thread parser."""

import io
import os
import subprocess
import tempfile

import pytest
from django.db import connection
from django.utils import translation

from kefu.orgs.models import NetworkPoint
from kefu.parcels.ingest import importer, scans_import, shape
from kefu.parcels.models import ScanEvent, Waybill
from kefu.parcels.tests.helpers import HEADER, scan, scan_csv

WAYBILL_FIELDS = ("waybill_no", "product", "area__code", "courier__employee_no", "arrived_at", "promised_at",
                  "deadline", "warn_at", "delivery_at", "signed_at", "returned_at", "problem_at", "settled_at")
ROWS = [
    scan("YT0000000001", "到件", "2026-11-20 09:00", product="标准快递", area="A1"),
    scan("YT0000000001", "派件", "2026-11-20 10:00", emp="1001", area="A1"),
    scan("YT0000000001", "签收", "2026-11-20 11:00", emp="1001"),
    scan("bad!", "到件", "2026-11-20 09:00"),
    scan("YT0000000002", "到件", "2026-11-20 08:00", promised="2026-11-20 18:00", area="A2"),
    scan("YT0000000002", "派件", "2026-11-20 16:00", emp="1003"),
    scan("YT0000000002", "派件", "2026-11-20 12:00", emp="1002"),
    scan("YT0000000002", "退回", "2026-11-20 17:00"),
    scan("YT0000000003", "到件", "2026-11-20 08:00", product="特快"),
    scan("YT0000000003", "到件", "2026-11-20 08:00", product="特快"),
    scan("YT0000000004", "飞走", "2026-11-20 08:00"),
    scan("YT0000000005", "到件", "2026-11-20 08:00", point="P9", area="东区\t1"),
]


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def children(monkeypatch):
    """The parser processes started, as their command lines."""
    started = []
    real = subprocess.Popen

    def popen(args, **kwargs):
        started.append(args)
        return real(args, **kwargs)

    monkeypatch.setattr(importer.subprocess, "Popen", popen)
    return started


def import_file(tmp_path, rows, name="scans.csv", **kwargs):
    path = tmp_path / name
    path.write_bytes(scan_csv(rows, encoding="gbk").getvalue())
    with path.open("rb") as fh:
        return scans_import(fileobj=fh, file_name=name, **kwargs)


def outcome(batch):
    return (
        (batch.state, batch.total_rows, batch.created_rows, batch.duplicate_rows, batch.rejected_rows),
        list(batch.rejects.order_by("line").values_list("line", "reason")),
        list(Waybill.objects.order_by("waybill_no").values_list(*WAYBILL_FIELDS)),
        sorted(ScanEvent.objects.values_list("waybill_no", "scan_type", "scanned_at", "employee_no", "area_code")),
    )


def forget():
    ScanEvent.objects.all().delete()
    Waybill.objects.all().delete()


@pytest.mark.django_db
@pytest.mark.parametrize("chunk_rows", [3, 50_000])
def test_a_file_parsed_in_a_process_gives_what_the_thread_gives(point, tmp_path, settings, children, chunk_rows):
    threaded = outcome(import_file(tmp_path, ROWS, chunk_rows=chunk_rows))
    assert children == []
    forget()
    settings.KEFU_SCAN_PARSE_PROCESS_BYTES = 0

    in_process = outcome(import_file(tmp_path, ROWS, chunk_rows=chunk_rows))

    assert len(children) == 1 and children[0][-1] == "kefu.parcels.ingest.worker"
    assert in_process == threaded
    assert in_process[0] == ("done", 12, 9, 1, 2)
    assert in_process[1] == [(5, "the waybill number BAD! is not valid"), (12, "unknown scan type 飞走")]
    assert NetworkPoint.objects.get(code="P9").confirmed is False


@pytest.mark.django_db
def test_a_small_file_or_one_without_a_path_is_parsed_in_a_thread(point, settings, children):
    settings.KEFU_SCAN_PARSE_PROCESS_BYTES = 0

    batch = scans_import(fileobj=scan_csv(ROWS[:3]), file_name="scans.csv")

    assert (batch.state, batch.created_rows) == ("done", 3)
    assert children == []


@pytest.mark.django_db
def test_a_file_that_stops_being_valid_text_in_the_process_keeps_the_chunks_before(point, tmp_path, settings):
    settings.KEFU_SCAN_PARSE_PROCESS_BYTES = 0
    good = "\r\n".join(",".join(r) for r in [HEADER] + [
        scan(f"YT{i:010d}", "到件", "2026-11-20 09:00", product="标准快递") for i in range(1, 25_001)]) + "\r\n"
    path = tmp_path / "scans.csv"
    path.write_bytes(good.encode("gb18030") + b"YT0000000009,\xff\xfe\xff,2026-11-20 09:00,P1\r\n" * 3)

    with path.open("rb") as fh:
        batch = scans_import(fileobj=fh, file_name="scans.csv", chunk_rows=5_000)

    assert batch.state == "failed"
    assert "after line" in batch.error
    assert ScanEvent.objects.count() == batch.created_rows >= 20_000


@pytest.mark.django_db
def test_a_parser_process_that_fails_fails_the_batch_saying_why_and_logs_the_traceback(
        point, tmp_path, settings, monkeypatch, caplog):
    settings.KEFU_SCAN_PARSE_PROCESS_BYTES = 0
    monkeypatch.setattr(shape.Job, "__reduce__", lambda job: (int, ("not a job",)))

    batch = import_file(tmp_path, ROWS)

    assert batch.state == "failed"
    assert batch.error == ("The file's parser failed (ValueError: invalid literal for int() with base 10: "
                           "'not a job'); the rows stored before are kept.")
    assert "Traceback" in caplog.text


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_sqlite_reads_the_chunks_from_the_process_database(
        point, tmp_path, settings, monkeypatch):
    """On SQLite the child writes each chunk to a database file this connection
    attaches; the file is gone and detached afterwards, whatever the chunking."""
    settings.KEFU_SCAN_PARSE_PROCESS_BYTES = 0
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    os.mkdir(tmp_path / "tmp")

    batch = import_file(tmp_path, ROWS, chunk_rows=2)

    assert outcome(batch)[0] == ("done", 12, 9, 1, 2)
    assert Waybill.objects.get(waybill_no="YT0000000005").area.code == "东区\t1"
    assert Waybill.objects.get(waybill_no="YT0000000002").courier.employee_no == "1003"
    assert os.listdir(tmp_path / "tmp") == []
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA database_list")
            assert [row[1] for row in cursor.fetchall()] == ["main", "temp"]

    again = import_file(tmp_path, ROWS, chunk_rows=5)

    assert outcome(again)[0] == ("done", 12, 0, 10, 2)


def test_frames_survive_the_pipe():
    from kefu.parcels.ingest.protocol import read_frame, write_frame

    pipe = io.BytesIO()
    write_frame(pipe, "chunk", {"rows": ["东区\t1"] * 3})
    write_frame(pipe, "end", None)
    pipe.seek(0)

    assert read_frame(pipe) == ("chunk", {"rows": ["东区\t1"] * 3})
    assert read_frame(pipe) == ("end", None)
    assert read_frame(pipe) is None


@pytest.mark.django_db
@pytest.mark.parametrize("columns", [False, True], ids=["row-parser", "column-parser"])
def test_the_parser_process_words_rejected_rows_in_the_users_language(point, tmp_path, settings, columns):
    """The process loads fewer apps than the web (worker.PARSER_APPS); the reasons
    it writes are still in the importing user's language."""
    settings.KEFU_SCAN_PARSE_PROCESS_BYTES = 0
    settings.KEFU_SCAN_COLUMNAR = columns
    path = tmp_path / "scans.csv"
    path.write_bytes(scan_csv([scan("bad!", "到件", "2026-11-20 09:00"), scan("YT0000000003", "飞走", "2026-11-20 09:00"),
                               scan("YT0000000004", "到件", "2026-11-20 09:00")], encoding="gbk").getvalue())

    with translation.override("zh-hans"), path.open("rb") as fh:
        batch = scans_import(fileobj=fh, file_name=path.name)

    assert list(batch.rejects.order_by("line").values_list("reason", flat=True)) == [
        "运单号 BAD! 无效", "未知的扫描类型 飞走"]
