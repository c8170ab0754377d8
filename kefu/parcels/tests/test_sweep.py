import datetime as dt
import json
from collections import Counter
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kefu.customers.models import Customer
from kefu.customers.tests.factories import CustomerFactory
from kefu.notifications.models import Notification
from kefu.orgs.models import Department, Role
from kefu.orgs.tests.factories import AreaFactory, DepartmentFactory, UserFactory
from kefu.parcels.ingest import scans_import
from kefu.parcels.models import DeadlineRule, ParcelWarning, Waybill, WaybillMark
from kefu.parcels.sweep import sweep
from kefu.parcels.tests.helpers import at, scan, scan_csv

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")


def load(rows):
    batch = scans_import(fileobj=scan_csv(rows), file_name="scans.csv")
    assert batch.state == "done", batch.error
    return batch


def test_deadline_is_arrival_plus_24_hours_by_default_and_the_promise_when_given(point):
    load([scan("YT0000000001", "到件", "2026-11-20 09:00"),
          scan("YT0000000002", "到件", "2026-11-20 09:00", promised="2026-11-20 18:00")])
    a = Waybill.objects.get(waybill_no="YT0000000001")
    b = Waybill.objects.get(waybill_no="YT0000000002")
    assert (a.deadline, a.warn_at) == (at("2026-11-21 09:00"), at("2026-11-21 08:00"))
    assert (b.deadline, b.warn_at) == (at("2026-11-20 18:00"), at("2026-11-20 17:00"))


def test_rule_by_product_in_force_on_the_arrival_date(point):
    DeadlineRule.objects.create(point=point, product="特快", allowance_minutes=8 * 60, lead_minutes=30,
                                effective_from=dt.date(2026, 11, 21))
    load([scan("YT0000000001", "到件", "2026-11-20 09:00", product="特快"),
          scan("YT0000000002", "到件", "2026-11-21 09:00", product="特快"),
          scan("YT0000000003", "到件", "2026-11-21 09:00", product="标准快递")])
    deadlines = dict(Waybill.objects.values_list("waybill_no", "deadline"))
    assert deadlines == {"YT0000000001": at("2026-11-21 09:00"), "YT0000000002": at("2026-11-21 17:00"),
                         "YT0000000003": at("2026-11-22 09:00")}
    assert Waybill.objects.get(waybill_no="YT0000000002").warn_at == at("2026-11-21 16:30")


@pytest.mark.parametrize(
    ("when", "raised"),
    [("2026-11-21 07:59", 0), ("2026-11-21 08:00", 1), ("2026-11-21 08:59", 1), ("2026-11-21 09:00", 0)],
)
def test_warning_window_is_deadline_minus_lead_up_to_the_deadline(point, when, raised):
    load([scan("YT0000000001", "到件", "2026-11-20 09:00")])
    result = sweep(at=at(when))
    assert result["raised"] == raised
    assert ParcelWarning.objects.count() == raised


def test_exactly_at_the_deadline_the_unsigned_waybill_is_missed(point):
    load([scan("YT0000000001", "到件", "2026-11-20 09:00")])
    assert sweep(at=at("2026-11-21 08:59"))["missed"] == 0
    result = sweep(at=at("2026-11-21 09:00"))
    assert (result["missed"], result["raised"]) == (1, 0)
    assert WaybillMark.objects.get().missed_at == at("2026-11-21 09:00")
    assert ParcelWarning.objects.get().state == ParcelWarning.State.MISSED


def test_sign_off_one_minute_before_the_deadline_saves_the_warning(point):
    load([scan("YT0000000001", "到件", "2026-11-20 09:00"),
          scan("YT0000000001", "签收", "2026-11-21 08:59")])
    assert sweep(at=at("2026-11-21 08:30"))["raised"] == 1
    result = sweep(at=at("2026-11-21 08:59"))
    assert result["saved"] == 1
    assert sweep(at=at("2026-11-21 09:30"))["missed"] == 0
    assert ParcelWarning.objects.get().state == ParcelWarning.State.SAVED


def test_sign_off_one_minute_after_the_deadline_is_still_a_miss(point):
    load([scan("YT0000000001", "到件", "2026-11-20 09:00"),
          scan("YT0000000001", "签收", "2026-11-21 09:01")])
    assert sweep(at=at("2026-11-21 08:30"))["raised"] == 1
    assert sweep(at=at("2026-11-21 09:00"))["missed"] == 1
    assert sweep(at=at("2026-11-21 09:01"))["saved"] == 0
    assert ParcelWarning.objects.get().state == ParcelWarning.State.MISSED


def test_signed_before_the_window_is_never_warned(point):
    load([scan("YT0000000001", "到件", "2026-11-20 09:00"),
          scan("YT0000000001", "签收", "2026-11-20 15:00")])
    assert sweep(at=at("2026-11-21 08:30")) | {"at": None} == {
        "at": None, "raised": 0, "missed": 0, "saved": 0, "returned": 0, "escalated": 0}


def test_a_returned_parcel_is_neither_warned_nor_missed(point):
    load([scan("YT0000000001", "到件", "2026-11-20 09:00"),
          scan("YT0000000001", "退回", "2026-11-20 20:00")])
    assert sweep(at=at("2026-11-21 08:30"))["raised"] == 0
    assert sweep(at=at("2026-11-21 10:00"))["missed"] == 0


def test_sweeping_twice_changes_nothing_the_second_time(point):
    load([scan(f"YT00000000{i:02d}", "到件", "2026-11-20 09:00") for i in range(30)])
    first = sweep(at=at("2026-11-21 08:10"))
    second = sweep(at=at("2026-11-21 08:10"))
    assert (first["raised"], second["raised"]) == (30, 0)
    assert ParcelWarning.objects.count() == 30


def test_first_sweep_over_a_replayed_history_counts_every_earlier_miss(point):
    load([scan(f"YT0000000{d}{i:02d}", "到件", f"2026-11-1{d} 09:00") for d in range(3, 8) for i in range(4)])
    result = sweep(at=at("2026-11-20 12:00"))
    assert (result["missed"], result["raised"]) == (20, 0)


def test_routing_to_the_couriers_and_their_supervisor_and_escalation(point):
    supervisor = UserFactory(point=point, role=Role.SUPERVISOR)
    courier = UserFactory(point=point, role=Role.COURIER, employee_no="1001", reports_to=supervisor)
    area_courier = UserFactory(point=point, role=Role.COURIER, employee_no="1002", reports_to=supervisor)
    area = AreaFactory(point=point, code="A1")
    area.couriers.add(area_courier)
    sales = DepartmentFactory(point=point, kind=Department.Kind.SALES)
    sales_head = UserFactory(point=point, role=Role.DEPT_HEAD, department=sales)
    CustomerFactory(point=point, code="KA01", tier=Customer.Tier.KA)
    load([
        scan("YT0000000001", "到件", "2026-11-20 09:00", area="A1"),
        scan("YT0000000001", "派件", "2026-11-21 07:00", emp="1001", area="A1"),
        scan("YT0000000002", "到件", "2026-11-20 09:05", area="A1", customer="KA01"),
    ])
    result = sweep(at=at("2026-11-21 08:30"))
    assert (result["raised"], result["escalated"]) == (2, 1)
    w1 = ParcelWarning.objects.get(waybill__waybill_no="YT0000000001")
    w2 = ParcelWarning.objects.get(waybill__waybill_no="YT0000000002")
    assert (w1.courier, w1.escalation) == (courier, "")
    assert (w2.courier, w2.escalation, w2.escalated_to) == (area_courier, "key_account", sales_head)
    notified = set(Notification.objects.filter(verb="parcel_warning").values_list("user__username", flat=True))
    assert notified == {courier.username, area_courier.username, supervisor.username, sales_head.username}


def test_problem_scan_and_second_warning_within_the_hour_escalate(point):
    UserFactory(point=point, role=Role.COURIER, employee_no="1001")
    load([
        scan("YT0000000001", "到件", "2026-11-20 09:00"),
        scan("YT0000000001", "派件", "2026-11-21 07:00", emp="1001"),
        scan("YT0000000002", "到件", "2026-11-20 09:10"),
        scan("YT0000000002", "派件", "2026-11-21 07:00", emp="1001"),
        scan("YT0000000003", "到件", "2026-11-20 09:00"),
        scan("YT0000000003", "问题件", "2026-11-21 07:30"),
    ])
    sweep(at=at("2026-11-21 08:05"))
    sweep(at=at("2026-11-21 08:15"))
    escalations = dict(ParcelWarning.objects.values_list("waybill__waybill_no", "escalation"))
    assert escalations == {"YT0000000001": "", "YT0000000002": "repeat_within_hour",
                           "YT0000000003": "problem_scan"}


def test_sweep_command_prints_json_for_a_local_time(point):
    load([scan("YT0000000001", "到件", "2026-11-20 09:00")])
    out = StringIO()
    call_command("sweep", "--at", "2026-11-21 08:30", stdout=out)
    data = json.loads(out.getvalue())
    assert (data["raised"], data["missed"], data["at"]) == (1, 0, "2026-11-21T08:30:00+08:00")


def test_a_sweep_whose_clock_lags_never_warns_a_waybill_already_missed(point):
    # Two workers: one sweeps at 09:00 and marks the parcel missed; the other,
    # started a moment earlier (or a queued task with an older time), sweeps at 08:59.
    load([scan("YT0000000001", "到件", "2026-11-20 09:00")])
    assert sweep(at=at("2026-11-21 09:00"))["missed"] == 1
    assert sweep(at=at("2026-11-21 08:59"))["raised"] == 0
    assert ParcelWarning.objects.count() == 0
    assert WaybillMark.objects.get().warned_at is None


def test_a_parcel_arriving_after_its_promised_deadline_is_missed_once_it_has_arrived(point):
    load([scan("YT0000000001", "到件", "2026-11-20 20:00", promised="2026-11-20 18:00")])
    assert sweep(at=at("2026-11-20 19:00"))["missed"] == 0  # no scan of it yet at 19:00
    assert sweep(at=at("2026-11-20 20:00"))["missed"] == 1
    assert WaybillMark.objects.get().missed_at == at("2026-11-20 20:00")


def test_couriers_under_the_operations_head_reach_the_cs_supervisor(point):
    # As in `kefu demo`: couriers report to the operations head, who is no lead, so the
    # point's CS supervisor gets their warnings.
    supervisor = UserFactory(point=point, role=Role.SUPERVISOR)
    ops = DepartmentFactory(point=point, kind=Department.Kind.OPERATIONS)
    ops_head = UserFactory(point=point, role=Role.DEPT_HEAD, department=ops)
    couriers = [UserFactory(point=point, role=Role.COURIER, employee_no=f"100{i}", reports_to=ops_head)
                for i in range(3)]
    load([row for i, c in enumerate(couriers) for row in (
        scan(f"YT000000000{i}", "到件", "2026-11-20 09:00"),
        scan(f"YT000000000{i}", "派件", "2026-11-21 07:00", emp=c.employee_no))])
    assert sweep(at=at("2026-11-21 08:30"))["raised"] == 3
    got = {n.user_id: n.params["count"] for n in Notification.objects.filter(verb="parcel_warning")}
    assert got == {supervisor.pk: 3, **{c.pk: 1 for c in couriers}}


def test_a_supervisor_standing_in_for_the_head_is_told_of_each_parcel_once(point):
    # No sales head: the CS supervisor gets the KA escalation and is also the courier's lead.
    supervisor = UserFactory(point=point, role=Role.SUPERVISOR)
    courier = UserFactory(point=point, role=Role.COURIER, employee_no="1001", reports_to=supervisor)
    CustomerFactory(point=point, code="KA01", tier=Customer.Tier.KA)
    load([scan("YT0000000001", "到件", "2026-11-20 09:00", customer="KA01"),
          scan("YT0000000001", "派件", "2026-11-21 07:00", emp="1001")])
    assert sweep(at=at("2026-11-21 08:30"))["escalated"] == 1
    assert ParcelWarning.objects.get().escalated_to == supervisor
    notice = Notification.objects.get(user=supervisor)
    assert notice.params == {"ref": "1", "subject": "YT0000000001", "count": 1}
    assert Notification.objects.get(user=courier).params["count"] == 1


def test_the_sweep_queries_do_not_grow_with_the_warnings_it_raises(point):
    supervisor = UserFactory(point=point, role=Role.SUPERVISOR)
    couriers = [UserFactory(point=point, role=Role.COURIER, employee_no=f"10{i:02d}", reports_to=supervisor)
                for i in range(10)]
    area = AreaFactory(point=point, code="A1")
    area.couriers.add(couriers[0])
    CustomerFactory(point=point, code="KA01", tier=Customer.Tier.KA)

    def parcels(prefix: str, n: int, arrived: str, signed: str = "") -> list:
        rows = []
        for i in range(n):
            no = f"{prefix}{i:08d}"
            rows.append(scan(no, "到件", arrived, area="A1", customer="KA01" if i % 7 == 0 else ""))
            if i % 5:
                rows.append(scan(no, "派件", "2026-11-21 07:00", emp=couriers[1 + i % 9].employee_no, area="A1"))
            if i % 11 == 0:
                rows.append(scan(no, "问题件", "2026-11-21 07:30"))
            if signed:
                rows.append(scan(no, "签收", signed))
        return rows

    # 3 parcels due at 09:00 (signed off at 08:45), 300 due at 10:00 (signed off at 09:45)
    load(parcels("YA", 3, "2026-11-20 09:00", signed="2026-11-21 08:45")
         + parcels("YB", 300, "2026-11-20 10:00", signed="2026-11-21 09:45"))
    sweep(at=at("2026-11-20 12:00"))  # nothing due: the first sweep ever also sets up the horizon
    # Both sweeps below look at settled warnings: the first after an import, the second
    # because the first warned parcels signed off by then; both note sign-offs ahead.
    load([scan("YC00000001", "到件", "2026-11-22 10:00")])
    with CaptureQueriesContext(connection) as first:
        assert sweep(at=at("2026-11-21 08:30"))["raised"] == 3
    earlier = set(Notification.objects.values_list("pk", flat=True))
    with CaptureQueriesContext(connection) as second:
        result = sweep(at=at("2026-11-21 09:30"))
    assert (result["raised"], result["saved"]) == (300, 3)
    # More: closing the 3 saved warnings with their events (one statement on PostgreSQL,
    # an update and an insert on SQLite).
    assert len(second) == len(first) + (1 if connection.vendor == "postgresql" else 2)
    # The second sweep's notices: one each for ten couriers (the first also has the area's
    # parcels not out for delivery) and the supervisor, who also stands in for the heads.
    counts = {n.user_id: n.params["count"] for n in Notification.objects.exclude(pk__in=earlier)}
    out_for_delivery = Counter(couriers[1 + i % 9].pk for i in range(300) if i % 5)
    assert counts == {supervisor.pk: 300, couriers[0].pk: 60, **out_for_delivery}


# ---- returned parcels (退回) ---------------------------------------------------


@pytest.mark.parametrize(("returned", "state", "missed"), [
    ("2026-11-21 08:59", "returned", 0),  # a minute before the deadline: neither saved nor missed
    ("2026-11-21 09:00", "returned", 0),  # at the deadline: settled in time
    ("2026-11-21 09:01", "missed", 1),  # a minute after: missed, the return changes nothing
])
def test_a_parcel_returned_after_its_warning_closes_it_as_returned_up_to_the_deadline(point, returned, state, missed):
    load([scan("YT0000000001", "到件", "2026-11-20 09:00"),
          scan("YT0000000001", "退回", returned)])
    assert sweep(at=at("2026-11-21 08:30"))["raised"] == 1
    results = [sweep(at=at(when)) for when in ("2026-11-21 08:59", "2026-11-21 09:00", "2026-11-21 09:01",
                                               "2026-11-21 10:00")]
    warning = ParcelWarning.objects.get()
    assert warning.state == state
    assert sum(r["missed"] for r in results) == missed
    assert sum(r["returned"] for r in results) == (1 if state == "returned" else 0)
    assert sum(r["saved"] for r in results) == 0
    if state == "returned":
        assert warning.closed_at == at(max(returned, "2026-11-21 08:59"))
        assert not WaybillMark.objects.filter(missed_at__isnull=False).exists()


def test_a_return_is_counted_by_the_first_sweep_that_sees_it(point):
    # Returned at 08:40 and no sweep until 09:30: the parcel was settled before its
    # deadline, so the late sweep closes the warning as returned and misses nothing.
    load([scan("YT0000000001", "到件", "2026-11-20 09:00"),
          scan("YT0000000001", "退回", "2026-11-21 08:40")])
    sweep(at=at("2026-11-21 08:30"))
    result = sweep(at=at("2026-11-21 09:30"))
    assert (result["returned"], result["missed"], result["saved"]) == (1, 0, 0)
    assert ParcelWarning.objects.get().closed_at == at("2026-11-21 09:30")


def test_signed_off_then_returned_before_the_deadline_is_saved_and_the_other_way_round_returned(point):
    load([scan("YT0000000001", "到件", "2026-11-20 09:00"),
          scan("YT0000000001", "签收", "2026-11-21 08:40"),
          scan("YT0000000001", "退回", "2026-11-21 08:50"),
          scan("YT0000000002", "到件", "2026-11-20 09:00"),
          scan("YT0000000002", "退回", "2026-11-21 08:40"),
          scan("YT0000000002", "签收", "2026-11-21 08:50")])
    sweep(at=at("2026-11-21 08:30"))
    assert sweep(at=at("2026-11-21 09:00")) | {"at": None} == {
        "at": None, "raised": 0, "missed": 0, "saved": 1, "returned": 1, "escalated": 0}
    states = dict(ParcelWarning.objects.values_list("waybill__waybill_no", "state"))
    assert states == {"YT0000000001": "saved", "YT0000000002": "returned"}


def test_sign_off_exactly_at_the_deadline_saves_the_warning(point):
    # Not missed (signed at or before the deadline), so not left open either.
    load([scan("YT0000000001", "到件", "2026-11-20 09:00"),
          scan("YT0000000001", "签收", "2026-11-21 09:00")])
    sweep(at=at("2026-11-21 08:30"))
    result = sweep(at=at("2026-11-21 09:00"))
    assert (result["saved"], result["missed"]) == (1, 0)
    assert ParcelWarning.objects.get().state == ParcelWarning.State.SAVED


# ---- horizon and batches -----------------------------------------------------


def test_a_late_import_of_old_scans_is_missed_and_warned_by_the_next_sweep(point):
    # The sweep has looked up to 09:30; a file imported afterwards brings a parcel due
    # at 09:00 (missed) and one in its warning window (warned): both below the horizon.
    load([scan("YT0000000001", "到件", "2026-11-20 09:00")])
    assert sweep(at=at("2026-11-21 09:30"))["missed"] == 1
    assert sweep(at=at("2026-11-21 09:31")) | {"at": None} == {
        "at": None, "raised": 0, "missed": 0, "saved": 0, "returned": 0, "escalated": 0}
    load([scan("YT0000000002", "到件", "2026-11-20 09:00"),
          scan("YT0000000003", "到件", "2026-11-20 10:00")])
    result = sweep(at=at("2026-11-21 09:32"))
    assert (result["missed"], result["raised"]) == (1, 1)
    marks = {m.waybill.waybill_no: (m.warned_at, m.missed_at) for m in WaybillMark.objects.select_related("waybill")}
    assert marks == {"YT0000000001": (None, at("2026-11-21 09:30")),
                     "YT0000000002": (None, at("2026-11-21 09:32")),
                     "YT0000000003": (at("2026-11-21 09:32"), None)}


def test_an_arrival_scan_imported_after_the_waybill_is_missed_by_the_next_sweep(point):
    # The waybill exists from its delivery scan; its arrival comes in a later file,
    # after a sweep has passed the deadline it gives.
    load([scan("YT0000000001", "派件", "2026-11-20 10:00")])
    assert sweep(at=at("2026-11-21 12:00"))["missed"] == 0
    load([scan("YT0000000001", "到件", "2026-11-20 09:00")])
    assert sweep(at=at("2026-11-21 12:01"))["missed"] == 1


def test_batches_read_on_where_the_last_one_stopped(point, monkeypatch):
    from kefu.parcels import sweep as sweep_module

    monkeypatch.setattr(sweep_module, "BATCH", 3)
    # 7 due at 09:00 (two arrive at the same second: equal keys but for the id), 8 warned at 09:30
    load([scan(f"YA{i:08d}", "到件", f"2026-11-20 08:{i // 2:02d}") for i in range(7)]
         + [scan(f"YB{i:08d}", "到件", f"2026-11-20 10:{i:02d}") for i in range(8)])
    first = sweep(at=at("2026-11-21 09:30"))
    assert (first["missed"], first["raised"]) == (7, 8)
    # the next minutes read from the horizon on: the 8 are missed as their deadlines pass
    later = [sweep(at=at(f"2026-11-21 10:0{m}")) for m in range(8)]
    assert [r["missed"] for r in later] == [1] * 8
    assert WaybillMark.objects.filter(missed_at__isnull=False).count() == 15
    assert ParcelWarning.objects.filter(state=ParcelWarning.State.MISSED).count() == 8


# ---- when settled warnings are looked at ----------------------------------------


def _looks(queries) -> int:
    return sum(1 for q in queries if "parcels_parcelwarning w JOIN parcels_waybill b" in q["sql"])


def test_an_idle_sweep_does_not_look_at_open_warnings_until_an_import_or_a_known_settlement(point):
    load([scan("YT0000000001", "到件", "2026-11-20 09:00"),
          scan("YT0000000002", "到件", "2026-11-20 09:10"),
          scan("YT0000000002", "签收", "2026-11-21 08:50")])  # a replay: the sign-off lies ahead
    assert sweep(at=at("2026-11-21 08:30"))["raised"] == 2
    with CaptureQueriesContext(connection) as idle:
        assert sweep(at=at("2026-11-21 08:40"))["saved"] == 0
    assert _looks(idle) == 0
    with CaptureQueriesContext(connection) as due:  # the sign-off the sweep knew of is due
        assert sweep(at=at("2026-11-21 08:50"))["saved"] == 1
    assert _looks(due) == 1
    with CaptureQueriesContext(connection) as idle_again:
        assert sweep(at=at("2026-11-21 08:51"))["saved"] == 0
    assert _looks(idle_again) == 0
    # A scan import can settle any open warning's parcel: the next sweep looks.
    load([scan("YT0000000001", "签收", "2026-11-21 08:52")])
    with CaptureQueriesContext(connection) as after_import:
        assert sweep(at=at("2026-11-21 08:53"))["saved"] == 1
    assert _looks(after_import) == 1
    assert set(ParcelWarning.objects.values_list("state", flat=True)) == {ParcelWarning.State.SAVED}


def test_a_lagging_sweep_that_warns_a_parcel_settled_later_brings_the_next_look_forward(point):
    load([scan("YT0000000001", "到件", "2026-11-20 09:00"),
          scan("YT0000000001", "签收", "2026-11-21 08:45")])
    assert sweep(at=at("2026-11-21 07:00"))["raised"] == 0  # looks: nothing open, nothing ahead
    assert sweep(at=at("2026-11-21 08:30"))["raised"] == 1  # no look due, but the sign-off is noted
    assert sweep(at=at("2026-11-21 08:46"))["saved"] == 1
