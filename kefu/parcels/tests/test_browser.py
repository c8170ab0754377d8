"""Browser test in Debian's Chromium on a phone: a courier answers a warning."""

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from kefu.orgs.models import Role
from kefu.orgs.tests.factories import AreaFactory, CustomerFactory, PointFactory, UserFactory
from kefu.parcels.importer import scans_import
from kefu.parcels.models import ParcelWarning
from kefu.parcels.sweep import sweep
from kefu.parcels.tests.helpers import scan, scan_csv
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
