import datetime as dt
import re
from collections import Counter
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import authenticate
from django.db.models import Count
from django.test import override_settings

from kefu.customers.models import Customer
from kefu.demo import org as demo_org
from kefu.demo import services
from kefu.orgs.models import AgentLevel, Queue, Region, Role, User
from kefu.tickets import sla
from kefu.tickets.models import Channel, Event, FollowUp, Message, SLAState, Status, Ticket

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
# A Wednesday afternoon (a workday): some tickets are fresh, some due soon, some late.
NOW = dt.datetime(2026, 11, 18, 15, 0, tzinfo=SHANGHAI)
FAST_HASHER = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """One small demo for the whole module: these tests only read it."""
    with django_db_blocker.unblock(), override_settings(PASSWORD_HASHERS=FAST_HASHER):
        summary = services.demo_build(seed=7, now=NOW, days=2, messages_per_day=200, via_services=5,
                                      inbound_per_day=400)
    yield summary
    with django_db_blocker.unblock():
        services.demo_reset()


def _tickets():
    return Ticket.objects.filter(point__code=demo_org.POINT_CODE)


def test_the_region_has_21_points_with_the_demo_point_among_them(demo):
    region = Region.objects.get(code=demo_org.REGION_CODE)

    assert region.points.count() == 21
    assert demo.point.region == region
    assert demo.point.name == "城东网点"
    assert (demo.point.business_start, demo.point.business_end) == (dt.time(8, 30), dt.time(18, 0))


def test_the_point_has_8_agents_on_two_queues_under_a_ladder(demo):
    agents = User.objects.filter(point=demo.point, role=Role.AGENT)

    assert agents.count() == 8
    assert Counter(agents.values_list("queue", flat=True)) == {Queue.ARRIVAL: 5, Queue.DEPARTURE: 3}
    assert set(agents.values_list("agent_level", flat=True)) == set(AgentLevel.values)
    for agent in agents.select_related("reports_to__reports_to__reports_to"):
        lead = agent.reports_to
        assert (lead.role, lead.queue) == (Role.TEAM_LEAD, agent.queue)
        assert lead.reports_to.role == Role.SUPERVISOR
        assert lead.reports_to.reports_to.role == Role.MANAGER


def test_the_point_has_its_staff_departments_and_areas(demo):
    roles = Counter(User.objects.filter(point=demo.point).values_list("role", flat=True))
    areas = demo.point.areas.annotate(n=Count("couriers"))

    assert roles[Role.COURIER] == 40
    assert roles[Role.PICKUP] == 6
    assert roles[Role.DRIVER] == 3
    assert roles[Role.DEPT_HEAD] == 4
    assert sorted(demo.point.departments.values_list("kind", flat=True)) == [
        "cs", "finance", "operations", "sales"]
    assert demo.point.stores.count() == 2
    assert areas.count() == 25
    assert {a.n for a in areas} == {1, 2}
    assert all(a.owner.role == Role.AGENT and a.owner.queue == Queue.ARRIVAL for a in areas)


def test_customers_cover_every_tier_and_type_and_ka_have_a_named_agent(demo):
    customers = Customer.objects.filter(point=demo.point)
    ka = customers.filter(tier=Customer.Tier.KA).select_related("named_agent")

    assert customers.count() == 300
    assert set(customers.values_list("tier", flat=True)) == set(Customer.Tier.values)
    assert set(customers.values_list("kind", flat=True)) == set(Customer.Kind.values)
    assert ka.count() == 8
    assert all(c.named_agent.role == Role.AGENT and c.named_agent.point == demo.point for c in ka)
    assert customers.filter(time_sensitive=True).exists()
    assert all(re.fullmatch(r"1[3-9]\d{9}", p) for p in customers.values_list("phone", flat=True))


def test_every_ticket_has_its_created_and_assigned_events(demo):
    tickets = _tickets()
    verbs = Counter(
        Event.objects.filter(ticket__in=tickets, verb__in=[Event.Verb.CREATED, Event.Verb.ASSIGNED])
        .values_list("ticket_id", "verb")
    )

    assert tickets.count() == demo.tickets > 100
    assert {v for v in verbs.values()} == {1}
    assert len(verbs) == 2 * demo.tickets
    for ticket_id, assignee_id, data in Event.objects.filter(
        ticket__in=tickets, verb=Event.Verb.ASSIGNED
    ).values_list("ticket_id", "ticket__assignee_id", "data"):
        assert data["assignee"] == assignee_id, ticket_id


def test_each_tickets_status_events_lead_to_its_status(demo):
    last_status = {}
    for ticket_id, data in (
        Event.objects.filter(ticket__in=_tickets(), verb=Event.Verb.STATUS)
        .order_by("created_at", "pk").values_list("ticket_id", "data")
    ):
        assert last_status.get(ticket_id, Status.NEW) == data["old"]
        last_status[ticket_id] = data["new"]

    for ticket in _tickets():
        assert last_status.get(ticket.pk, Status.NEW) == ticket.status
        assert ticket.is_open == (ticket.status in Ticket.OPEN_STATUSES)


def test_replies_and_notes_have_their_events_and_messages(demo):
    replied = Event.objects.filter(ticket__in=_tickets(), verb=Event.Verb.REPLIED)
    message_ids = {e.data["message"] for e in replied}
    messages = Message.objects.filter(pk__in=message_ids)

    assert replied.count() > 0
    assert messages.count() == len(message_ids) == replied.count()
    assert set(messages.values_list("kind", flat=True)) == {Message.Kind.REPLY}
    assert all(m.author_id == m.ticket.assignee_id for m in messages.select_related("ticket"))


def test_platform_ids_are_unique_and_waybills_look_real(demo):
    tickets = _tickets()
    ids = list(tickets.values_list("platform_message_id", flat=True))

    assert len(ids) == len(set(ids)) == demo.tickets
    assert set(tickets.values_list("channel", flat=True)) == {Channel.IMPORT}
    assert all(re.fullmatch(r"\d{15}", w) for w in tickets.values_list("waybill_no", flat=True))


def test_history_has_resolutions_followups_and_open_work_in_every_sla_state(demo):
    tickets = _tickets()
    open_tickets = list(tickets.filter(is_open=True))
    states = Counter(sla.state_of(t, NOW) for t in open_tickets)

    assert tickets.filter(status__in=[Status.RESOLVED, Status.CLOSED]).exists()
    assert tickets.exclude(first_responded_at=None).exists()
    assert FollowUp.objects.filter(ticket__in=tickets).exists()
    assert all(t.first_response_due and t.resolution_due for t in open_tickets)
    assert set(states) == {SLAState.OK, SLAState.WARNING, SLAState.BREACHED}
    assert not tickets.filter(created_at__gt=NOW).exists()


def test_demo_logins_authenticate_with_the_demo_password(demo, settings):
    settings.PASSWORD_HASHERS = FAST_HASHER
    for username, role in services.DEMO_LOGINS:
        user = authenticate(username=username, password=services.DEMO_PASSWORD)
        assert user is not None, username
        assert (user.role, user.point_id) == (role, demo.point.pk)

    contact = User.objects.get(username="ka1")
    assert contact.customer.tier == Customer.Tier.KA


def test_inbound_scans_were_imported_and_the_sweep_replayed(demo):
    from kefu.parcels.models import ParcelWarning, Waybill

    waybills = Waybill.objects.filter(point__code="DEMO")
    assert waybills.count() > 500
    assert not waybills.filter(arrived_at__isnull=True).exists()
    assert waybills.filter(deadline__lte=NOW, mark__missed_at__isnull=False).exists()
    states = set(ParcelWarning.objects.values_list("state", flat=True))
    assert {"saved", "missed"} <= states
    # Every warning was raised in its window: an hour before the deadline at most.
    for w in ParcelWarning.objects.all():
        assert w.deadline - dt.timedelta(hours=1) <= w.raised_at < w.deadline
