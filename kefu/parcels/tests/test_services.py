from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from kefu.customers.tests.factories import CustomerFactory
from kefu.orgs.models import Queue, Role
from kefu.orgs.tests.factories import AgentFactory, AreaFactory, PointFactory, UserFactory
from kefu.parcels import services
from kefu.parcels.ingest import scans_import
from kefu.parcels.models import ParcelWarning
from kefu.parcels.sweep import sweep
from kefu.parcels.tests.helpers import at, scan, scan_csv
from kefu.tickets.models import Channel, Kind, Message, Ticket

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def courier(point):
    return UserFactory(point=point, role=Role.COURIER, employee_no="1001", display_name="张师傅")


@pytest.fixture
def warning(point, courier):
    area = AreaFactory(point=point, code="A1", name="东湖片区")
    CustomerFactory(point=point, code="C001", name="优品旗舰店", area=area)
    batch = scans_import(fileobj=scan_csv([
        scan("YT0000000001", "到件", "2026-11-20 09:00", area="A1", customer="C001"),
        scan("YT0000000001", "派件", "2026-11-21 07:00", emp="1001", area="A1"),
    ]), file_name="scans.csv")
    assert batch.state == "done", batch.error
    sweep(at=at("2026-11-21 08:30"))
    return ParcelWarning.objects.get()


def test_the_courier_acknowledges_an_open_warning(warning, courier):
    before = timezone.now()
    result = services.warning_acknowledge(warning=warning, actor=courier)
    warning.refresh_from_db()
    assert result.state == warning.state == ParcelWarning.State.ACKNOWLEDGED
    assert before <= warning.acknowledged_at <= timezone.now()


def test_acknowledging_twice_keeps_the_first_time(warning, courier):
    first = services.warning_acknowledge(warning=warning, actor=courier).acknowledged_at
    services.warning_acknowledge(warning=warning, actor=courier)
    warning.refresh_from_db()
    assert warning.acknowledged_at == first


def test_report_opens_one_ticket_in_the_arrival_queue_with_the_waybill(warning, courier):
    services.warning_report(warning=warning, actor=courier, reason=ParcelWarning.Reason.UNREACHABLE)
    warning.refresh_from_db()
    ticket = Ticket.objects.get()
    assert warning.ticket_id == ticket.pk
    assert (warning.reason, warning.state) == ("unreachable", ParcelWarning.State.ACKNOWLEDGED)
    assert (ticket.queue, ticket.channel, ticket.kind, ticket.category.code) == (
        Queue.ARRIVAL, Channel.WEB, Kind.INQUIRY, "unreachable")
    assert ticket.waybill_no == "YT0000000001"
    assert (ticket.customer.code, ticket.area.code, ticket.courier, ticket.created_by) == (
        "C001", "A1", courier, courier)
    assert "YT0000000001" in ticket.subject
    assert "2026-11-21 09:00" in ticket.description


def test_a_second_report_opens_no_second_ticket_and_notes_the_new_reason(warning, courier):
    services.warning_report(warning=warning, actor=courier, reason=ParcelWarning.Reason.UNREACHABLE)
    services.warning_report(warning=warning, actor=courier, reason=ParcelWarning.Reason.UPSTAIRS)
    services.warning_report(warning=warning, actor=courier, reason=ParcelWarning.Reason.UPSTAIRS)
    warning.refresh_from_db()
    assert Ticket.objects.count() == 1
    assert warning.reason == "upstairs"
    assert Message.objects.filter(ticket_id=warning.ticket_id, kind=Message.Kind.NOTE).count() == 1


@pytest.mark.parametrize(("reason", "kind", "category"), [
    ("unreachable", Kind.INQUIRY, "unreachable"),
    ("bad_address", Kind.INQUIRY, "bad_address"),
    ("refused", Kind.FEEDBACK, "refused"),
    ("upstairs", Kind.INQUIRY, "upstairs"),
    ("reschedule", Kind.INQUIRY, "delay"),
])
def test_each_reason_files_under_its_category_and_kind(warning, courier, reason, kind, category):
    services.warning_report(warning=warning, actor=courier, reason=reason)
    ticket = Ticket.objects.get()
    assert (ticket.kind, ticket.category.code) == (kind, category)


def test_an_unknown_reason_is_refused(warning, courier):
    with pytest.raises(ValidationError):
        services.warning_report(warning=warning, actor=courier, reason="weather")
    assert Ticket.objects.count() == 0


def test_a_closed_warning_cannot_be_acknowledged_or_reported(warning, courier):
    sweep(at=at("2026-11-21 09:00"))  # the deadline passes unsigned: missed
    warning.refresh_from_db()
    assert warning.state == ParcelWarning.State.MISSED
    with pytest.raises(ValidationError):
        services.warning_acknowledge(warning=warning, actor=courier)
    with pytest.raises(ValidationError):
        services.warning_report(warning=warning, actor=courier, reason="refused")
    assert Ticket.objects.count() == 0


@pytest.mark.parametrize(("role", "same_point", "allowed"), [
    (Role.COURIER, True, False),  # another courier of the point
    (Role.AGENT, True, True),
    (Role.SUPERVISOR, True, True),
    (Role.MANAGER, True, True),
    (Role.DEPT_HEAD, True, False),
    (Role.CUSTOMER, True, False),
    (Role.SUPERVISOR, False, False),
])
def test_only_the_courier_or_cs_staff_of_the_point_may_act(warning, point, role, same_point, allowed):
    actor = UserFactory(point=point if same_point else PointFactory(), role=role)
    if allowed:
        services.warning_report(warning=warning, actor=actor, reason="bad_address")
        assert Ticket.objects.get().created_by == actor
    else:
        with pytest.raises(PermissionDenied):
            services.warning_acknowledge(warning=warning, actor=actor)
        with pytest.raises(PermissionDenied):
            services.warning_report(warning=warning, actor=actor, reason="bad_address")
        warning.refresh_from_db()
        assert (warning.state, Ticket.objects.count()) == (ParcelWarning.State.OPEN, 0)


def test_an_agent_of_the_point_reporting_routes_the_ticket_to_the_area_owner(warning, point):
    owner = AgentFactory(point=point, queue=Queue.ARRIVAL)
    warning.area.owner = owner
    warning.area.save()
    services.warning_report(warning=warning, actor=AgentFactory(point=point), reason="unreachable")
    assert Ticket.objects.get().assignee == owner
