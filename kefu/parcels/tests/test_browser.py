"""Browser tests in Debian's Chromium: a courier answers a warning on a phone; a
supervisor uploads a scan export and reads the board's trend chart on a desk."""

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from kefu.customers.tests.factories import CustomerFactory
from kefu.imports.models import ImportBatch
from kefu.orgs.models import Role
from kefu.orgs.tests.factories import AreaFactory, PointFactory, UserFactory
from kefu.parcels.ingest import scans_import
from kefu.parcels.models import ParcelWarning
from kefu.parcels.sweep import sweep
from kefu.parcels.tests.helpers import scan, scan_csv
from kefu.parcels.tests.test_upload_background import import_threads  # noqa: F401 (SQLite test-db locks)
from kefu.tickets.models import Ticket

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "pw-123456"
SH = ZoneInfo("Asia/Shanghai")


def local(value: dt.datetime) -> str:
    return value.astimezone(SH).strftime("%Y-%m-%d %H:%M")


def test_courier_acknowledges_a_warning_and_reports_the_recipient_unreachable(page, live_server):
    point = PointFactory(code="P1")
    courier = UserFactory(point=point, role=Role.COURIER, employee_no="1001", username="courier1",
                          display_name="张师傅")
    area = AreaFactory(point=point, code="A1", name="东湖片区")
    CustomerFactory(point=point, code="C001", name="优品旗舰店", area=area)
    now = timezone.now()
    # Arrived 23 h 30 min ago: the 24-hour deadline is half an hour away, inside the warning hour.
    batch = scans_import(fileobj=scan_csv([
        scan("YT0000000001", "到件", local(now - dt.timedelta(hours=23, minutes=30)), area="A1", customer="C001"),
        scan("YT0000000001", "派件", local(now - dt.timedelta(hours=1)), emp="1001", area="A1"),
    ]), file_name="scans.csv")
    assert batch.state == "done", batch.error
    assert sweep(at=now)["raised"] == 1
    warning = ParcelWarning.objects.get()

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/login/?next=/warnings/")
    page.fill("input[name=username]", "courier1")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/warnings/$"))

    card = page.locator(f"#warning-{warning.pk}")
    assert "YT0000000001" in card.inner_text()
    assert "东湖片区" in card.inner_text() and "优品旗舰店" in card.inner_text()
    ack = card.locator("[data-action=ack]")
    box = ack.bounding_box()
    assert box["width"] >= 300 and box["height"] >= 44  # a thumb-sized button on a phone

    ack.click()
    page.wait_for_selector(f"#warning-{warning.pk}[data-state=acknowledged]")
    page.locator(f"#warning-{warning.pk} [data-reason=unreachable]").click()
    page.wait_for_selector(f"#warning-{warning.pk} [data-ticket]")

    ticket = Ticket.objects.get()
    warning.refresh_from_db()
    assert (warning.state, warning.reason, warning.ticket_id) == ("acknowledged", "unreachable", ticket.pk)
    assert (ticket.waybill_no, ticket.queue, ticket.category.code, ticket.courier) == (
        "YT0000000001", "arrival", "unreachable", courier)
    assert page.locator(f"#warning-{warning.pk} [data-ticket]").get_attribute("data-ticket") == str(ticket.pk)


def test_supervisor_uploads_a_gbk_scan_export_watches_it_import_and_reads_the_trend_chart(
        page, live_server, settings, tmp_path):
    settings.DATA_DIR = tmp_path / "data"
    settings.CELERY_BROKER_URL = ""
    point = PointFactory(code="P1")
    UserFactory(point=point, role=Role.SUPERVISOR, username="sup1", display_name="陈主管")
    UserFactory(point=point, role=Role.COURIER, employee_no="1001", username="courier1")
    now = timezone.now()
    arrived = local(now - dt.timedelta(hours=23, minutes=30))  # inside the warning hour of a 24-hour deadline
    data = scan_csv([
        scan("YT0000000001", "到件", arrived, area="A1"),
        scan("YT0000000001", "派件", local(now - dt.timedelta(hours=1)), emp="1001", area="A1"),
        scan("YT0000000002", "到件", arrived, product="标快"),
        scan("YT0000000002", "到件", arrived, product="标快"),  # a duplicate
        scan("YT0000000003", "揽件了", arrived),  # rejected: unknown scan type
    ], encoding="gbk").getvalue()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(f"pageerror: {exc}"))
    page.on("console", lambda msg: errors.append(f"console: {msg.text} {msg.location.get('url')}")
            if msg.type == "error" and not msg.location.get("url", "").endswith("/favicon.ico") else None)

    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{live_server.url}/login/?next=/warnings/board/")
    page.fill("input[name=username]", "sup1")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/warnings/board/$"))
    page.click("#scan-imports-link")
    page.wait_for_url(re.compile(r"/warnings/imports/$"))
    page.set_input_files("#scan-upload input[name=file]",
                         files=[{"name": "到件扫描.csv", "mimeType": "text/csv", "buffer": data}])
    page.click("#scan-upload button[type=submit]")

    page.wait_for_url(re.compile(r"/warnings/imports/\d+/$"))
    page.wait_for_selector("#scan-status[data-state=done]", timeout=30000)
    assert page.locator("#batch-rows").inner_text() == "5"
    assert page.locator("#batch-created").inner_text() == "3"
    assert page.locator("#batch-duplicates").inner_text() == "1"
    assert page.locator("#batch-rejected").inner_text() == "1"
    assert "揽件了" in page.locator("#rejects").inner_text()
    assert page.locator("progress").count() == 0
    batch = ImportBatch.objects.get()
    assert (batch.state, batch.encoding, batch.bytes_read) == ("done", "gb18030", len(data))

    assert sweep(at=timezone.now())["raised"] == 2
    page.goto(f"{live_server.url}/warnings/board/")
    chart = page.locator("#trend-chart")
    chart.locator("canvas").first.wait_for()
    box = chart.bounding_box()
    assert box["width"] > 600 and box["height"] >= 300
    canvas = chart.locator("canvas").first.bounding_box()
    assert canvas["width"] > 600 and canvas["height"] >= 300
    today = timezone.localtime(now, SH).strftime("%Y-%m-%d")
    assert page.locator(f"#trend tr[data-day='{today}'] td").nth(1).inner_text() == "2"  # the table stays
    # ECharts drew the series from our data: the chart instance holds it.
    raised = page.evaluate("echarts.getInstanceByDom(document.getElementById('trend-chart'))"
                           ".getOption().series[0].data")
    assert raised[-1] == 2 and len(raised) == 14
    assert errors == []
