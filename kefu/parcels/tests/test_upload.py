"""The scan upload page: a supervisor uploads a scan export, the import runs in the
background, the page shows its progress and figures; nobody else's batches, nobody
else's role.

These tests run the background half (`kefu.imports.uploads.upload_run`) in the test's own
thread, inside the test transaction; test_upload_background.py runs it in the real
background thread."""

from __future__ import annotations

import csv
import io
import json
import os
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from kefu.core.tests.uploads import multipart_body, raw_post
from kefu.core.upload_limits import FORM_SLACK
from kefu.imports import uploads as import_uploads
from kefu.imports.models import ImportBatch
from kefu.imports.tests.files import xlsx_bytes
from kefu.orgs.models import Role
from kefu.orgs.tests.factories import PointFactory, UserFactory
from kefu.parcels import uploads
from kefu.parcels.models import ScanEvent, Waybill
from kefu.parcels.tests.helpers import HEADER, scan, scan_csv
from kefu.parcels.tests.test_views import world  # noqa: F401 (the board's fixture)

pytestmark = pytest.mark.django_db
ENGLISH = {"HTTP_ACCEPT_LANGUAGE": "en"}
UPLOAD_ROLES = [Role.OWNER, Role.DIRECTOR, Role.MANAGER, Role.SUPERVISOR, Role.TEAM_LEAD, Role.DEPT_HEAD]
REFUSED_ROLES = [Role.AGENT, Role.COURIER, Role.PICKUP, Role.DRIVER, Role.CUSTOMER]

ROWS = [
    scan("YT0000000001", "到件", "2026-11-20 09:00", area="A1"),
    scan("YT0000000001", "派件", "2026-11-21 07:00", emp="1001", area="A1"),
    scan("YT0000000002", "到件", "2026-11-20 09:30"),
    scan("YT0000000002", "到件", "2026-11-20 09:30"),  # the same scan twice: a duplicate
    scan("YT0000000003", "到件", "明天上午"),  # rejected: not a time
    scan("YT0000000004", "飞走了", "2026-11-20 10:00"),  # rejected: unknown scan type
    scan("YT0000000005", "到件", "2026-11-20 10:00", point="P9"),  # rejected: another point's row
]


@pytest.fixture(autouse=True)
def data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path / "data"
    settings.CELERY_BROKER_URL = ""
    return settings.DATA_DIR


@pytest.fixture
def supervisor(point):
    return UserFactory(point=point, role=Role.SUPERVISOR, username="sup")


def kept_files() -> list[str]:
    folder = import_uploads.upload_dir("scans")
    return sorted(os.listdir(folder)) if folder.exists() else []


@pytest.fixture
def spool(settings, tmp_path):
    """Where Django writes uploads too big for memory (every upload above 1 KB here)."""
    settings.FILE_UPLOAD_TEMP_DIR = tmp_path / "spool"
    settings.FILE_UPLOAD_TEMP_DIR.mkdir()
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 1024
    return settings.FILE_UPLOAD_TEMP_DIR


def batch_token() -> str:
    [token] = kept_files()
    return token


def upload(client, data: bytes, name: str = "扫描.csv", **fields):
    payload = {"file": SimpleUploadedFile(name, data, content_type="text/csv"), **fields}
    return client.post(reverse("scan_imports"), payload, **ENGLISH)


def run_background(batch: ImportBatch) -> ImportBatch:
    """What the background thread or Celery worker does with the one kept file."""
    [token] = kept_files()
    import_uploads.upload_run(batch_id=batch.pk, token=token, language="en")
    batch.refresh_from_db()
    return batch


def test_a_supervisor_uploads_a_csv_and_sees_the_figures_and_the_rejected_rows(client, point, supervisor):
    client.force_login(supervisor)
    data = scan_csv(ROWS).getvalue()

    response = upload(client, data)

    batch = ImportBatch.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("scan_import_detail", args=[batch.pk])
    assert (batch.kind, batch.state, batch.point, batch.created_by, batch.file_name, batch.size, batch.bytes_read) == (
        "scans", "running", point, supervisor, "扫描.csv", len(data), 0)
    # Kept under an opaque name in the data directory, readable by the server only.
    [token] = kept_files()
    assert len(token) == 32 and int(token, 16) >= 0
    assert (import_uploads.upload_dir("scans") / token).read_bytes() == data
    assert oct(os.stat(import_uploads.upload_dir("scans") / token).st_mode & 0o777) == "0o600"

    running = client.get(response["Location"], **ENGLISH).content.decode()
    assert 'hx-trigger="every 1s"' in running and "<progress" in running and 'data-state="running"' in running

    batch = run_background(batch)

    assert (batch.state, batch.total_rows, batch.created_rows, batch.duplicate_rows, batch.rejected_rows) == (
        "done", 7, 3, 1, 3)
    assert batch.bytes_read == batch.size == len(data)
    assert batch.progress_at is not None and batch.finished_at is not None
    assert batch.encoding == "utf-8"
    assert kept_files() == []  # the upload is deleted once imported
    assert sorted(ScanEvent.objects.values_list("waybill_no", "scan_type")) == [
        ("YT0000000001", 3), ("YT0000000001", 4), ("YT0000000002", 3)]
    assert set(Waybill.objects.values_list("point_id", flat=True)) == {point.pk}

    page = client.get(response["Location"], **ENGLISH)
    html = page.content.decode()
    assert page.status_code == 200
    assert 'data-state="done"' in html and "hx-trigger" not in html and "<progress" not in html
    assert '<b id="batch-rows">7</b>' in html and '<b id="batch-created">3</b>' in html
    assert '<b id="batch-duplicates">1</b>' in html and '<b id="batch-rejected">3</b>' in html
    assert "the time 明天上午 is not a date and time" in html
    assert "unknown scan type 飞走了" in html
    assert "the point P9 is not this network point" in html
    assert reverse("scan_import_rejects_csv", args=[batch.pk]) in html

    download = client.get(reverse("scan_import_rejects_csv", args=[batch.pk]))
    assert download.status_code == 200
    assert download["Content-Disposition"] == f'attachment; filename="rejects-{batch.pk}.csv"'
    rows = list(csv.reader(io.StringIO(download.content.decode("utf-8").lstrip("\ufeff"))))
    assert [r[:2] for r in rows] == [
        ["行号 line", "原因 reason"],
        ["6", "the time 明天上午 is not a date and time"],
        ["7", "unknown scan type 飞走了"],
        ["8", "the point P9 is not this network point"],
    ]
    assert json.loads(rows[1][2])["cells"][:3] == ["YT0000000003", "到件", "明天上午"]

    listing = client.get(reverse("scan_imports"), **ENGLISH).content.decode()
    assert f'data-batch="{batch.pk}"' in listing and "扫描.csv" in listing


def test_the_htmx_poll_answers_the_status_partial_only(client, supervisor):
    client.force_login(supervisor)
    upload(client, scan_csv(ROWS[:2]).getvalue())
    batch = ImportBatch.objects.get()

    partial = client.get(reverse("scan_import_detail", args=[batch.pk]), HTTP_HX_REQUEST="true", **ENGLISH)

    html = partial.content.decode()
    assert html.lstrip().startswith('<section id="scan-status" data-state="running"')
    url = reverse("scan_import_detail", args=[batch.pk])
    assert "<html" not in html and f'hx-get="{url}"' in html
    assert 'value="0"' in html and "Importing… 0%" in html


def test_a_gbk_csv_from_excel_on_chinese_windows(client, point, supervisor):
    client.force_login(supervisor)
    data = scan_csv([
        scan("YT0000000011", "到件", "2026/11/20 09:00", product="标快", area="东区"),
        scan("YT0000000011", "签收", "2026年11月20日 18:30"),
    ], encoding="gbk").getvalue()
    data.decode("gbk")  # really GBK, not UTF-8
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")

    upload(client, data, name="到件扫描.csv")
    batch = run_background(ImportBatch.objects.get())

    assert (batch.state, batch.encoding, batch.created_rows, batch.rejected_rows) == ("done", "gb18030", 2, 0)
    waybill = Waybill.objects.select_related("area").get()
    assert (waybill.waybill_no, waybill.product, waybill.area.code) == ("YT0000000011", "标快", "东区")


def test_an_xlsx_export_with_other_column_names(client, supervisor):
    client.force_login(supervisor)

    def sheet(ws):
        ws.append(["快递单号", "操作类型", "操作时间", "网点"])
        ws.append(["YT0000000021", "到件", "2026-11-20 09:00", "P1"])

    data = xlsx_bytes(sheet)

    response = upload(client, data, name="scans.xlsx", col_waybill_no="快递单号", col_scan_type=" 操作类型 ",
                      col_scanned_at="操作时间", col_point_code="网点")

    assert response.status_code == 302
    batch = run_background(ImportBatch.objects.get())
    assert batch.mapping == {"waybill_no": "快递单号", "scan_type": "操作类型", "scanned_at": "操作时间",
                             "point_code": "网点"}
    assert (batch.state, batch.encoding, batch.created_rows) == ("done", "xlsx", 1), batch.error
    assert ScanEvent.objects.get().waybill_no == "YT0000000021"


def test_an_oversized_file_is_refused_with_a_clear_error_and_nothing_kept(client, settings, supervisor, spool):
    settings.KEFU_MAX_SCAN_IMPORT_BYTES = 1024 * 1024
    client.force_login(supervisor)
    data = scan_csv([scan(f"YT{i:010d}", "到件", "2026-11-20 09:00") for i in range(30_000)]).getvalue()
    assert len(data) > 1024 * 1024 + FORM_SLACK
    body = multipart_body(data, name="扫描.csv")

    response, sent = raw_post(client, reverse("scan_imports"), body, **ENGLISH)

    assert response.status_code == 413
    assert sent.bytes_read == 0  # refused on its Content-Length
    html = response.content.decode()
    assert f"The file is {round(len(body) / 1048576, 1)} MB; the limit is 1 MB." in html
    assert 'id="scan-upload"' in html and "This field is required" not in html
    assert ImportBatch.objects.count() == 0 and kept_files() == [] and list(spool.iterdir()) == []


def test_a_file_just_over_the_limit_is_refused_while_it_streams_in(client, settings, supervisor, spool):
    # Within the form's slack its Content-Length passes: the file's bytes are counted.
    settings.KEFU_MAX_SCAN_IMPORT_BYTES = 100_000
    client.force_login(supervisor)
    data = (",".join(HEADER) + "\r\n").encode().ljust(100_001, b"#")

    response = upload(client, data)

    assert response.status_code == 413
    assert "the limit is 0 MB." in response.content.decode()
    assert ImportBatch.objects.count() == 0 and kept_files() == [] and list(spool.iterdir()) == []


def test_a_file_of_exactly_the_limit_is_taken(client, settings, supervisor, spool):
    settings.KEFU_MAX_SCAN_IMPORT_BYTES = 100_000
    client.force_login(supervisor)
    data = scan_csv(ROWS).getvalue()
    data += b"\r\n" * ((100_000 - len(data)) // 2)
    assert len(data) == 100_000

    response = upload(client, data)

    assert response.status_code == 302
    batch = ImportBatch.objects.get()
    assert (batch.size, kept_files()) == (100_000, [batch_token()])
    assert list(spool.iterdir()) == []  # moved into the upload folder


def test_the_upload_still_checks_the_csrf_token(supervisor):
    client = Client(enforce_csrf_checks=True)
    client.force_login(supervisor)

    response = upload(client, scan_csv(ROWS).getvalue())

    assert response.status_code == 403
    assert ImportBatch.objects.count() == 0 and kept_files() == []


def test_the_service_refuses_an_oversized_file_too(settings, supervisor):
    settings.KEFU_MAX_SCAN_IMPORT_BYTES = 10
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="the limit is 0 MB"):
        uploads.scan_upload_start(upload=SimpleUploadedFile("s.csv", b"x" * 11), actor=supervisor)
    assert ImportBatch.objects.count() == 0 and kept_files() == []


def test_a_file_that_is_not_a_table_fails_with_its_reason(client, supervisor):
    client.force_login(supervisor)
    response = upload(client, b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8, name="scans.csv")
    assert response.status_code == 302

    batch = run_background(ImportBatch.objects.get())

    assert batch.state == "failed"
    assert batch.error == "The file is not text in a known encoding."
    assert kept_files() == []
    html = client.get(response["Location"], **ENGLISH).content.decode()
    assert 'data-state="failed"' in html and "hx-trigger" not in html
    assert '<p class="errorlist" id="batch-error">The file is not text in a known encoding.</p>' in html


def test_a_csv_without_the_scan_columns_fails_naming_them(client, supervisor):
    client.force_login(supervisor)
    upload(client, "留言编号,运单号,留言内容\r\nV1,YT0000000001,快递丢了\r\n".encode())

    batch = run_background(ImportBatch.objects.get())

    assert batch.state == "failed"
    assert batch.error.startswith("The columns 扫描时间、扫描类型、网点编号 are missing")


def test_a_file_of_another_kind_is_refused_at_once(client, supervisor):
    client.force_login(supervisor)

    response = upload(client, b"%PDF-1.7 ...", name="scans.pdf")

    assert response.status_code == 400
    assert "Upload a CSV or Excel file (.csv, .xlsx, .xls, .ods)." in response.content.decode()
    assert ImportBatch.objects.count() == 0 and kept_files() == []


def test_an_empty_file_is_refused(client, supervisor):
    client.force_login(supervisor)
    response = upload(client, b"")
    assert response.status_code == 400
    assert ImportBatch.objects.count() == 0 and kept_files() == []


def test_a_header_only_file_imports_nothing_and_is_done(client, supervisor):
    client.force_login(supervisor)
    upload(client, (",".join(HEADER) + "\r\n").encode())
    batch = run_background(ImportBatch.objects.get())
    assert (batch.state, batch.total_rows, batch.created_rows, batch.bytes_read) == ("done", 0, 0, batch.size)


def test_a_crash_inside_the_import_fails_the_batch_with_the_error(client, supervisor, monkeypatch):
    """Not an unreadable file (the importer reports those) but a crash: here the disk
    filling up while progress is written, halfway through a real import."""
    client.force_login(supervisor)
    upload(client, scan_csv(ROWS[:2]).getvalue())

    def failing_writer(batch):
        def progress(rows, bytes_read):
            raise OSError(28, "No space left on device")
        return progress

    monkeypatch.setattr(import_uploads, "_progress_writer", failing_writer)
    batch = run_background(ImportBatch.objects.get())

    assert batch.state == "failed"
    assert batch.error == "The import stopped with an error: OSError: [Errno 28] No space left on device"
    assert batch.finished_at is not None
    assert kept_files() == []


def test_a_kept_file_that_is_gone_fails_the_batch_and_a_second_run_changes_nothing(client, supervisor):
    client.force_login(supervisor)
    upload(client, scan_csv(ROWS[:2]).getvalue())
    batch = ImportBatch.objects.get()
    [token] = kept_files()
    os.remove(import_uploads.upload_dir("scans") / token)

    import_uploads.upload_run(batch_id=batch.pk, token=token, language="en")

    batch.refresh_from_db()
    assert (batch.state, batch.error) == ("failed", "The uploaded file is gone: the import cannot run. "
                                                    "Upload the file again.")
    finished = batch.finished_at
    import_uploads.upload_run(batch_id=batch.pk, token=token, language="en")
    batch.refresh_from_db()
    assert (batch.state, batch.finished_at) == ("failed", finished)


def test_a_run_never_reads_outside_the_upload_folder(supervisor, data_dir):
    batch = ImportBatch.objects.create(point=supervisor.point, kind="scans", file_name="x.csv", sha256="",
                                       created_by=supervisor)
    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / "secret_key").write_text("not a scan file")

    import_uploads.upload_run(batch_id=batch.pk, token="../../secret_key", language="en")

    batch.refresh_from_db()
    assert batch.state == "failed" and "gone" in batch.error
    assert (data_dir / "secret_key").exists()


def test_an_import_with_no_sign_of_life_for_half_an_hour_is_failed(client, supervisor, point):
    client.force_login(supervisor)
    upload(client, scan_csv(ROWS[:2]).getvalue())
    batch = ImportBatch.objects.get()
    ImportBatch.objects.filter(pk=batch.pk).update(progress_at=timezone.now() - import_uploads.STALLED_AFTER
                                                   - timezone.timedelta(seconds=5))
    other = ImportBatch.objects.create(point=PointFactory(), kind="scans", file_name="o.csv", sha256="",
                                       progress_at=timezone.now() - import_uploads.STALLED_AFTER * 2)

    html = client.get(reverse("scan_import_detail", args=[batch.pk]), **ENGLISH).content.decode()

    batch.refresh_from_db()
    other.refresh_from_db()
    assert batch.state == "failed" and "no progress for 30 minutes" in batch.error
    assert 'data-state="failed"' in html and "no progress for 30 minutes" in html
    assert other.state == "running"  # another point's pages fail their own


def test_a_fresh_running_import_is_not_failed(client, supervisor):
    client.force_login(supervisor)
    upload(client, scan_csv(ROWS[:2]).getvalue())
    client.get(reverse("scan_imports"))
    assert ImportBatch.objects.get().state == "running"


@pytest.mark.parametrize("role", UPLOAD_ROLES)
def test_the_roles_that_upload(client, point, role):
    client.force_login(UserFactory(point=point, role=role))
    assert client.get(reverse("scan_imports")).status_code == 200
    assert upload(client, scan_csv(ROWS[:1]).getvalue()).status_code == 302
    assert ImportBatch.objects.get().created_by.role == role


@pytest.mark.parametrize("role", REFUSED_ROLES)
def test_agents_couriers_and_customers_are_refused(client, point, supervisor, role):
    upload_as = client
    upload_as.force_login(supervisor)
    upload(upload_as, scan_csv(ROWS[:1]).getvalue())
    batch = ImportBatch.objects.get()
    client.force_login(UserFactory(point=point, role=role))

    assert client.get(reverse("scan_imports")).status_code == 403
    assert upload(client, scan_csv(ROWS[:1]).getvalue()).status_code == 403
    assert client.get(reverse("scan_import_detail", args=[batch.pk])).status_code == 403
    assert client.get(reverse("scan_import_rejects_csv", args=[batch.pk])).status_code == 403
    assert ImportBatch.objects.count() == 1 and len(kept_files()) == 1
    # Nor through the platform-message import pages.
    assert client.get(reverse("import_detail", args=[batch.pk])).status_code in (403, 404)


def test_the_login_page_for_a_visitor(client):
    response = client.get(reverse("scan_imports"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_another_points_batch_is_404_everywhere(client, point, supervisor):
    other_point = PointFactory(code="P2")
    other_sup = UserFactory(point=other_point, role=Role.SUPERVISOR)
    client.force_login(other_sup)
    upload(client, scan_csv([scan("YT0000000031", "到件", "2026-11-20 09:00", point="P2")]).getvalue())
    theirs = run_background(ImportBatch.objects.get())
    assert theirs.created_rows == 1

    client.force_login(supervisor)
    for name in ("scan_import_detail", "scan_import_rejects_csv"):
        assert client.get(reverse(name, args=[theirs.pk])).status_code == 404
    assert client.get(reverse("scan_import_detail", args=[theirs.pk]), HTTP_HX_REQUEST="true").status_code == 404
    listing = client.get(reverse("scan_imports")).content.decode()
    assert f'data-batch="{theirs.pk}"' not in listing


def test_scan_and_message_batches_keep_to_their_own_pages(client, point, supervisor):
    client.force_login(supervisor)
    upload(client, scan_csv(ROWS[:1]).getvalue())
    scans = ImportBatch.objects.get()
    messages = ImportBatch.objects.create(point=point, kind="platform_messages", file_name="留言.csv", sha256="")

    assert client.get(reverse("import_detail", args=[scans.pk])).status_code == 404
    assert client.get(reverse("import_rejects_csv", args=[scans.pk])).status_code == 404
    assert client.get(reverse("scan_import_detail", args=[messages.pk])).status_code == 404
    assert "扫描.csv" not in client.get(reverse("import_list")).content.decode()
    assert "留言.csv" not in client.get(reverse("scan_imports")).content.decode()


def test_the_board_links_to_the_upload_page_for_supervisors_not_agents(client, point, supervisor):
    client.force_login(supervisor)
    assert reverse("scan_imports") in client.get(reverse("warning_board")).content.decode()
    client.force_login(UserFactory(point=point, role=Role.AGENT))
    board = client.get(reverse("warning_board"))
    assert board.status_code == 200 and reverse("scan_imports") not in board.content.decode()


def test_the_board_hands_the_trend_to_the_chart_and_keeps_the_table(client, world):  # noqa: F811
    client.force_login(UserFactory(point=world["p1"], role=Role.SUPERVISOR))

    response = client.get(reverse("warning_board"), {"first": "2026-11-21", "last": "2026-11-21"}, **ENGLISH)

    html = response.content.decode()
    chart = json.loads(re.search(r'<script id="trend-data" type="application/json">(.*?)</script>', html).group(1))
    assert chart["days"] == [f"11-{d:02d}" for d in range(8, 22)]
    assert (chart["raised"][-2:], chart["saved"][-2:], chart["missed"][-2:]) == ([0, 3], [0, 1], [1, 1])
    assert chart["rate"] == [None] * 12 + [0.0, 50.0]  # saved ÷ (saved + missed) per day, in %
    assert sum(chart["raised"][:-1]) == sum(chart["saved"][:-1]) == 0
    assert chart["labels"] == {"raised": "Raised", "saved": "Saved", "missed": "Missed", "rate": "Saved rate",
                               "count": "Warnings", "percent": "Saved rate (%)"}
    assert '<div id="trend-chart"' in html and '<table id="trend">' in html
    assert "/static/vendor/echarts/echarts.min.js" in html and "/static/kefu/board-chart.js" in html
    assert "<script>" not in html  # no inline script: the chart is set up by our static file


def test_the_vendored_echarts_is_served_from_our_static_files(client):
    from django.contrib.staticfiles import finders

    path = finders.find("vendor/echarts/echarts.min.js")
    assert path is not None and os.path.getsize(path) > 500_000
    for name in ("LICENSE", "NOTICE"):
        assert finders.find(f"vendor/echarts/{name}") is not None
    assert "Apache License" in open(finders.find("vendor/echarts/LICENSE"), encoding="utf-8").read()


def test_the_upload_list_query_count_does_not_grow_with_batches(client, point, supervisor,
                                                                django_assert_max_num_queries):
    for i in range(20):
        ImportBatch.objects.create(point=point, kind="scans", file_name=f"{i}.csv", sha256="", created_by=supervisor,
                                   state="done")
    client.force_login(supervisor)
    with django_assert_max_num_queries(8):
        response = client.get(reverse("scan_imports"))
    assert response.content.decode().count("data-batch=") == 20
