"""Every change to a warning writes exactly its event (events.py): the courier's taps
in the service's transaction, the sweep's closes and escalations set-based."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection
from django.utils import timezone, translation

from kefu.customers.models import Customer
from kefu.customers.tests.factories import CustomerFactory
from kefu.orgs.models import Department, Role
from kefu.orgs.tests.factories import AreaFactory, DepartmentFactory, PointFactory, UserFactory
from kefu.parcels import events, services
from kefu.parcels import sweep as sweep_module
from kefu.parcels.ingest import scans_import
from kefu.parcels.models import ParcelWarning, WarningEvent
from kefu.parcels.sweep import sweep
from kefu.parcels.tests.helpers import at, scan, scan_csv
from kefu.tickets.models import Ticket

pytestmark = pytest.mark.django_db
Verb = WarningEvent.Verb


def load(rows):
    batch = scans_import(fileobj=scan_csv(rows), file_name="scans.csv")
    assert batch.state == "done", batch.error


def rows(warning=None) -> list[tuple]:
    """(verb, actor id, data, created_at) of the events, of one warning or all, in order."""
    qs = WarningEvent.objects.all() if warning is None else WarningEvent.objects.filter(warning=warning)
    return list(qs.order_by("created_at", "pk").values_list("verb", "actor_id", "data", "created_at"))


@pytest.fixture
def courier(point):
    return UserFactory(point=point, role=Role.COURIER, employee_no="1001", display_name="张师傅")


@pytest.fixture
def warning(point, courier):
    """One warning raised at 08:30 for the courier, not escalated: no event yet."""
    load([scan("YT0000000001", "到件", "2026-11-20 09:00"),
          scan("YT0000000001", "派件", "2026-11-21 07:00", emp="1001")])
    sweep(at=at("2026-11-21 08:30"))
    assert rows() == []
    return ParcelWarning.objects.get()


# ---- the courier's taps ------------------------------------------------------


def test_acknowledging_writes_one_event_with_the_courier_and_the_time(warning, courier):
    result = services.warning_acknowledge(warning=warning, actor=courier)
    assert rows() == [(Verb.ACKNOWLEDGED, courier.pk, {}, result.acknowledged_at)]


def test_a_double_tap_on_got_it_writes_nothing_more(warning, courier):
    services.warning_acknowledge(warning=warning, actor=courier)
    services.warning_acknowledge(warning=warning, actor=courier)
    assert [r[0] for r in rows()] == [Verb.ACKNOWLEDGED]


def test_a_report_on_an_open_warning_writes_one_event_that_says_it_acknowledged(warning, courier):
    before = timezone.now()
    services.warning_report(warning=warning, actor=courier, reason="unreachable")
    ticket = Ticket.objects.get()
    [(verb, actor, data, created_at)] = rows()
    assert (verb, actor, data) == (Verb.REPORTED, courier.pk, {
        "reason": "unreachable", "previous": "", "ticket": ticket.pk, "acknowledged": True})
    assert before <= created_at <= timezone.now()


def test_a_second_report_keeps_the_previous_reason_and_the_same_reason_again_writes_nothing(
        warning, courier, point):
    agent = UserFactory(point=point, role=Role.AGENT)
    services.warning_acknowledge(warning=warning, actor=courier)
    services.warning_report(warning=warning, actor=courier, reason="unreachable")
    services.warning_report(warning=warning, actor=agent, reason="upstairs")
    services.warning_report(warning=warning, actor=courier, reason="upstairs")  # a double tap
    ticket = Ticket.objects.get()
    assert [r[:3] for r in rows()] == [
        (Verb.ACKNOWLEDGED, courier.pk, {}),
        (Verb.REPORTED, courier.pk, {"reason": "unreachable", "previous": "", "ticket": ticket.pk,
                                     "acknowledged": False}),
        (Verb.REPORTED, agent.pk, {"reason": "upstairs", "previous": "unreachable", "ticket": ticket.pk,
                                   "acknowledged": False}),
    ]
    warning.refresh_from_db()
    assert warning.reason == "upstairs"


@pytest.mark.parametrize(("role", "same_point"), [
    (Role.COURIER, True), (Role.DEPT_HEAD, True), (Role.CUSTOMER, True), (Role.SUPERVISOR, False),
])
def test_a_refused_tap_writes_no_event(warning, point, role, same_point):
    actor = UserFactory(point=point if same_point else PointFactory(), role=role)
    with pytest.raises(PermissionDenied):
        services.warning_acknowledge(warning=warning, actor=actor)
    with pytest.raises(PermissionDenied):
        services.warning_report(warning=warning, actor=actor, reason="refused")
    assert rows() == []


def test_an_unknown_reason_or_a_closed_warning_writes_no_event(warning, courier):
    with pytest.raises(ValidationError):
        services.warning_report(warning=warning, actor=courier, reason="weather")
    sweep(at=at("2026-11-21 09:00"))
    with pytest.raises(ValidationError):
        services.warning_acknowledge(warning=warning, actor=courier)
    assert [r[0] for r in rows()] == [Verb.MISSED]


# ---- the sweep -----------------------------------------------------------------


def test_a_saved_warning_gets_its_event_from_the_sweep_with_no_actor(point):
    load([scan("YT0000000001", "到件", "2026-11-20 09:00"), scan("YT0000000001", "签收", "2026-11-21 08:45")])
    sweep(at=at("2026-11-21 08:30"))
    assert sweep(at=at("2026-11-21 08:50"))["saved"] == 1
    sweep(at=at("2026-11-21 09:30"))  # nothing more happens to it
    assert rows() == [(Verb.SAVED, None, {}, at("2026-11-21 08:50"))]


def test_a_returned_warning_gets_its_event(point):
    load([scan("YT0000000001", "到件", "2026-11-20 09:00"), scan("YT0000000001", "退回", "2026-11-21 08:40")])
    sweep(at=at("2026-11-21 08:30"))
    assert sweep(at=at("2026-11-21 08:45"))["returned"] == 1
    assert rows() == [(Verb.RETURNED, None, {}, at("2026-11-21 08:45"))]


@pytest.mark.parametrize("path", ["batch", "safe"])
def test_a_missed_warning_gets_its_event_on_either_path(point, monkeypatch, path):
    """PostgreSQL closes a miss batch's warnings in its one statement (MISS_BATCH_PG);
    after a clash with another sweep, and on SQLite, the safe path does."""
    if path == "batch" and connection.vendor != "postgresql":
        pytest.skip("the one-statement batch is PostgreSQL's")
    if path == "safe" and connection.vendor == "postgresql":
        def clash(*args):
            raise IntegrityError("another sweep marked one of these")
        monkeypatch.setattr(sweep_module, "_claim_missed_pg", clash)
    load([scan(f"YT000000000{i}", "到件", "2026-11-20 09:00") for i in range(3)]
         + [scan("YT0000000009", "到件", "2026-11-20 07:00")])  # missed before it was ever warned
    sweep(at=at("2026-11-21 08:30"))
    services.warning_acknowledge(warning=ParcelWarning.objects.first(),
                                 actor=UserFactory(point=point, role=Role.SUPERVISOR))
    result = sweep(at=at("2026-11-21 09:00"))
    assert result["missed"] == 3
    missed = ParcelWarning.objects.filter(state="missed")
    assert missed.count() == 3
    assert sorted(WarningEvent.objects.filter(verb=Verb.MISSED).values_list("warning_id", "actor_id", "data",
                                                                            "created_at")) == [
        (w.pk, None, {}, at("2026-11-21 09:00")) for w in missed.order_by("pk")]


def test_an_escalated_warning_gets_an_event_saying_to_whom_and_why(point):
    supervisor = UserFactory(point=point, role=Role.SUPERVISOR, display_name="客服主管")
    UserFactory(point=point, role=Role.COURIER, employee_no="1001", reports_to=supervisor)
    sales = DepartmentFactory(point=point, kind=Department.Kind.SALES)
    sales_head = UserFactory(point=point, role=Role.DEPT_HEAD, department=sales, display_name="销售经理")
    area = AreaFactory(point=point, code="A1")
    area.couriers.add(UserFactory(point=point, role=Role.COURIER, employee_no="1002"))
    CustomerFactory(point=point, code="KA01", tier=Customer.Tier.KA)
    load([
        scan("YT0000000001", "到件", "2026-11-20 09:00"),  # first of the courier's hour: not escalated
        scan("YT0000000001", "派件", "2026-11-21 07:00", emp="1001"),
        scan("YT0000000002", "到件", "2026-11-20 09:05", area="A1", customer="KA01"),  # KA → sales head
        scan("YT0000000003", "到件", "2026-11-20 09:10"),  # problem scan → operations (no head: supervisor)
        scan("YT0000000003", "问题件", "2026-11-21 07:30"),
        scan("YT0000000004", "到件", "2026-11-20 09:20"),  # the courier's second warning in the hour
        scan("YT0000000004", "派件", "2026-11-21 07:00", emp="1001"),
    ])
    assert sweep(at=at("2026-11-21 08:30"))["escalated"] == 3
    by_waybill = {w.waybill.waybill_no: w for w in ParcelWarning.objects.select_related("waybill")}
    assert rows(by_waybill["YT0000000001"]) == []
    expected = {
        "YT0000000002": {"reason": "key_account", "to": sales_head.pk, "to_name": "销售经理"},
        "YT0000000003": {"reason": "problem_scan", "to": supervisor.pk, "to_name": "客服主管"},
        "YT0000000004": {"reason": "repeat_within_hour", "to": supervisor.pk, "to_name": "客服主管"},
    }
    for no, data in expected.items():
        assert rows(by_waybill[no]) == [(Verb.ESCALATED, None, data, at("2026-11-21 08:30"))]


def test_an_escalation_with_nobody_to_take_it_still_says_why(point):
    load([scan("YT0000000001", "到件", "2026-11-20 09:00"), scan("YT0000000001", "问题件", "2026-11-21 07:30")])
    sweep(at=at("2026-11-21 08:30"))
    assert rows() == [(Verb.ESCALATED, None, {"reason": "problem_scan", "to": None, "to_name": None},
                       at("2026-11-21 08:30"))]


def test_a_warning_raised_and_settled_by_the_same_sweep_lists_its_escalation_first(point):
    load([scan("YT0000000001", "到件", "2026-11-20 09:00"), scan("YT0000000001", "问题件", "2026-11-21 07:30"),
          scan("YT0000000001", "签收", "2026-11-21 08:40")])
    sweep(at=at("2026-11-21 08:30"))  # raised; the sign-off at 08:40 lies ahead (a replay)
    sweep(at=at("2026-11-21 08:40"))
    assert [r[0] for r in rows()] == [Verb.ESCALATED, Verb.SAVED]


# ---- what an event says --------------------------------------------------------


@pytest.mark.parametrize(("verb", "data", "english", "chinese"), [
    (Verb.ACKNOWLEDGED, {}, "acknowledged", "已确认收到"),
    (Verb.REPORTED, {"reason": "unreachable", "previous": "", "ticket": 1, "acknowledged": True},
     "reported: Recipient unreachable", "上报原因:联系不上收件人"),
    (Verb.REPORTED, {"reason": "upstairs", "previous": "unreachable", "ticket": 1, "acknowledged": False},
     "changed the reason from Recipient unreachable to Asks for delivery upstairs",
     "原因由“联系不上收件人”改为“要求上楼”"),
    (Verb.ESCALATED, {"reason": "key_account", "to": 5, "to_name": "王经理"},
     "escalated to 王经理: a KA customer's parcel", "升级给王经理:KA 客户的包裹"),
    (Verb.ESCALATED, {"reason": "problem_scan", "to": None, "to_name": None},
     "escalated: a problem parcel scan", "已升级:问题件扫描"),
    (Verb.SAVED, {}, "saved: signed off by the deadline", "已挽回:时限内签收"),
    (Verb.RETURNED, {}, "returned to the sender by the deadline", "时限内退回寄件人"),
    (Verb.MISSED, {}, "missed: not signed off by the deadline", "超时:时限内未签收"),
])
def test_each_event_reads_as_one_line_in_the_readers_language(verb, data, english, chinese):
    event = WarningEvent(verb=verb, data=data)
    with translation.override("en"):
        assert events.describe(event) == english
    with translation.override("zh-hans"):
        assert events.describe(event) == chinese
