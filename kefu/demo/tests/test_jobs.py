import datetime as dt
import random
from zoneinfo import ZoneInfo

import pytest

from kefu.demo import org as demo_org
from kefu.demo.jobs import demo_couriers_job
from kefu.orgs.models import Role
from kefu.orgs.tests.factories import PointFactory, UserFactory
from kefu.parcels.ingest import scans_import
from kefu.parcels.models import ParcelWarning
from kefu.parcels.sweep import sweep
from kefu.parcels.tests.helpers import scan, scan_csv
from kefu.tickets.models import Ticket

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")


def test_simulated_couriers_acknowledge_and_report_only_after_two_minutes():
    point = PointFactory(code=demo_org.POINT_CODE)
    UserFactory(point=point, role=Role.SUPERVISOR)
    UserFactory(point=point, role=Role.COURIER, employee_no="1001")
    rows = []
    for i in range(40):
        rows += [scan(f"JZ{i:012d}", "到件", "2026-11-20 09:00", point=point.code),
                 scan(f"JZ{i:012d}", "派件", "2026-11-21 07:00", point=point.code, emp="1001")]
    scans_import(fileobj=scan_csv(rows), file_name="s.csv")
    raised_at = dt.datetime(2026, 11, 21, 8, 10, tzinfo=SH)
    assert sweep(at=raised_at)["raised"] == 40

    assert demo_couriers_job(now=raised_at + dt.timedelta(minutes=1)) == {"acknowledged": 0, "reported": 0}
    counts = demo_couriers_job(now=raised_at + dt.timedelta(minutes=3), rng=random.Random(5))

    states = list(ParcelWarning.objects.values_list("state", flat=True))
    assert counts["acknowledged"] + counts["reported"] == states.count("acknowledged")
    assert counts["acknowledged"] > 20 and counts["reported"] >= 1
    assert Ticket.objects.filter(point=point, queue="arrival").count() == counts["reported"]
