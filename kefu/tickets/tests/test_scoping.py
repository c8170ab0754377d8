"""Who sees which ticket: every role × own point / other point.

Two points are built alike. Each ticket is tied to exactly one relation
(assignee, area owner, named agent, escalation, follow-up, courier, courier
area, customer), so each role's expected set names the rule that grants it.
A third kind of ticket of point B is cross-wired to the people of point A
(bad data): no one of A may see it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from kefu.customers.tests.factories import CustomerFactory
from kefu.orgs.models import Role, User
from kefu.orgs.tests.factories import AreaFactory, PointFactory, UserFactory
from kefu.tickets import services
from kefu.tickets.models import Category, FollowUp, Message, Ticket
from kefu.tickets.selectors import tickets_visible_to
from kefu.tickets.tests.factories import TicketFactory

pytestmark = pytest.mark.django_db

ALL_ROLES = [r.value for r in Role]
ALL_TICKETS = {
    "assigned_agent", "area_agent", "named_customer", "unassigned", "outsider", "escalated_lead",
    "followup_supervisor", "followup_dept_head", "courier", "area_pickup", "driver", "other_customer",
}
# The tickets of their own point each role sees (see tickets_visible_to).
EXPECTED = {
    Role.OWNER: ALL_TICKETS,
    Role.DIRECTOR: ALL_TICKETS,
    Role.MANAGER: ALL_TICKETS,
    # Team = supervisor → team lead → agent; plus unassigned and their follow-ups.
    Role.SUPERVISOR: {"assigned_agent", "area_agent", "unassigned", "followup_supervisor"},
    Role.TEAM_LEAD: {"assigned_agent", "area_agent", "unassigned", "escalated_lead"},
    Role.AGENT: {"assigned_agent", "area_agent", "named_customer"},
    Role.COURIER: {"courier", "area_agent"},
    Role.PICKUP: {"area_pickup"},
    Role.DRIVER: {"driver", "area_pickup"},
    Role.DEPT_HEAD: {"followup_dept_head"},
    Role.CUSTOMER: {"named_customer"},
}
CS = {Role.OWNER, Role.DIRECTOR, Role.MANAGER, Role.SUPERVISOR, Role.TEAM_LEAD, Role.AGENT}


@dataclass
class PointWorld:
    users: dict[str, User] = field(default_factory=dict)
    tickets: dict[str, Ticket] = field(default_factory=dict)


def build_point() -> PointWorld:
    w = PointWorld()
    point = PointFactory()
    u = w.users

    def user(key, role, **kw):
        u[key] = UserFactory(point=point, role=role, display_name=f"{key}-{point.code}", **kw)
        return u[key]

    user(Role.OWNER, Role.OWNER)
    user(Role.DIRECTOR, Role.DIRECTOR)
    user(Role.MANAGER, Role.MANAGER)
    user(Role.SUPERVISOR, Role.SUPERVISOR, reports_to=u[Role.MANAGER])
    user(Role.TEAM_LEAD, Role.TEAM_LEAD, reports_to=u[Role.SUPERVISOR])
    user(Role.AGENT, Role.AGENT, reports_to=u[Role.TEAM_LEAD])
    user("supervisor2", Role.SUPERVISOR, reports_to=u[Role.MANAGER])
    user("outsider", Role.AGENT, reports_to=u["supervisor2"])  # another team
    user(Role.COURIER, Role.COURIER)
    user(Role.PICKUP, Role.PICKUP)
    user(Role.DRIVER, Role.DRIVER)
    user(Role.DEPT_HEAD, Role.DEPT_HEAD)
    area_agent = AreaFactory(point=point, owner=u[Role.AGENT])
    area_agent.couriers.add(u[Role.COURIER])
    area_outsider = AreaFactory(point=point, owner=u["outsider"])
    area_outsider.couriers.add(u[Role.PICKUP], u[Role.DRIVER])
    customer = CustomerFactory(point=point, named_agent=u[Role.AGENT])
    other_customer = CustomerFactory(point=point)
    user(Role.CUSTOMER, Role.CUSTOMER, customer=customer)
    user("customer2", Role.CUSTOMER, customer=other_customer)

    def ticket(key, **kw):
        kw.setdefault("assignee", u["outsider"])
        w.tickets[key] = TicketFactory(point=point, subject=f"{key}-{point.code}", **kw)

    ticket("assigned_agent", assignee=u[Role.AGENT])
    ticket("area_agent", area=area_agent)
    ticket("named_customer", customer=customer)
    ticket("unassigned", assignee=None)
    ticket("outsider")
    ticket("escalated_lead", escalated_to=u[Role.TEAM_LEAD])
    ticket("followup_supervisor")
    ticket("followup_dept_head")
    ticket("courier", courier=u[Role.COURIER])
    ticket("area_pickup", area=area_outsider)
    ticket("driver", courier=u[Role.DRIVER])
    ticket("other_customer", customer=other_customer)
    due = timezone.now() + dt.timedelta(days=1)
    for key, to in (("followup_supervisor", Role.SUPERVISOR), ("followup_dept_head", Role.DEPT_HEAD)):
        FollowUp.objects.create(ticket=w.tickets[key], assigned_to=u[to], requested_by=u[Role.MANAGER],
                                instructions="跟进到派件员", due_at=due)
    return w


def cross_wire(b: PointWorld, a: PointWorld) -> Ticket:
    """A ticket of point B that names the people, area and customer of point A."""
    ua = a.users
    area = a.tickets["area_agent"].area
    t = TicketFactory(
        point=b.tickets["outsider"].point, subject="crosswired", assignee=ua[Role.AGENT],
        courier=ua[Role.COURIER], escalated_to=ua[Role.TEAM_LEAD], area=area,
        customer=ua[Role.CUSTOMER].customer,
    )
    for key in (Role.SUPERVISOR, Role.DEPT_HEAD):
        FollowUp.objects.create(ticket=t, assigned_to=ua[key], instructions="x",
                                due_at=timezone.now() + dt.timedelta(days=1))
    return t


@pytest.fixture
def world():
    a, b = build_point(), build_point()
    b.tickets["crosswired"] = cross_wire(b, a)
    return a, b


def labels(qs, a: PointWorld, b: PointWorld) -> set[str]:
    names = {t.pk: k for k, t in a.tickets.items()}
    names.update({t.pk: f"B:{k}" for k, t in b.tickets.items()})
    return {names[pk] for pk in qs.values_list("pk", flat=True)}


def one_visible(role) -> str:
    return sorted(EXPECTED[role])[0]


def one_hidden(role) -> str | None:
    hidden = sorted(ALL_TICKETS - EXPECTED[role])
    return hidden[0] if hidden else None


# --- tickets_visible_to ---------------------------------------------------------------------


@pytest.mark.parametrize("role", ALL_ROLES)
def test_tickets_visible_to_each_role_of_the_own_point(world, role):
    a, b = world

    assert labels(tickets_visible_to(a.users[role]), a, b) == EXPECTED[role]


@pytest.mark.parametrize("role", ALL_ROLES)
def test_tickets_visible_to_never_crosses_into_another_point(world, role):
    a, b = world

    seen = labels(tickets_visible_to(b.users[role]), a, b)

    # The same rules hold in point B; the ticket of B naming A's people is B's own business.
    crosswired = {"B:crosswired"} if role in (Role.OWNER, Role.DIRECTOR, Role.MANAGER) else set()
    assert seen == {f"B:{k}" for k in EXPECTED[role]} | crosswired
    assert not any(k.startswith("B:") for k in labels(tickets_visible_to(a.users[role]), a, b))


def test_the_second_customer_of_the_point_sees_only_their_own():
    a, b = build_point(), build_point()

    assert labels(tickets_visible_to(a.users["customer2"]), a, b) == {"other_customer"}


@pytest.mark.parametrize("change", ["inactive", "no_point", "customer_without_company"])
def test_users_without_a_scope_see_nothing(world, change):
    a, b = world
    user = a.users[Role.MANAGER] if change != "customer_without_company" else a.users[Role.CUSTOMER]
    if change == "inactive":
        user.is_active = False
    elif change == "no_point":
        user.point = None
    else:
        user.customer = None
    user.save()

    assert labels(tickets_visible_to(user), a, b) == set()


def test_a_platform_superuser_without_a_point_sees_every_point(world):
    a, b = world
    root = UserFactory(point=None, role=Role.OWNER, is_superuser=True)

    assert len(labels(tickets_visible_to(root), a, b)) == 2 * len(ALL_TICKETS) + 1


# --- ticket page ----------------------------------------------------------------------------


@pytest.mark.parametrize("where", ["own", "other"])
@pytest.mark.parametrize("role", ALL_ROLES)
def test_ticket_page(client, world, role, where):
    a, b = world
    client.force_login(a.users[role])
    ticket = (a if where == "own" else b).tickets[one_visible(role)]

    response = client.get(reverse("ticket_detail", args=[ticket.pk]))

    assert response.status_code == (200 if where == "own" else 404)
    if where == "own":
        assert ticket.subject in response.content.decode()


@pytest.mark.parametrize("role", [r for r in ALL_ROLES if one_hidden(r)])
def test_ticket_page_of_a_ticket_out_of_scope_in_the_own_point_is_404(client, world, role):
    a, _b = world
    client.force_login(a.users[role])

    response = client.get(reverse("ticket_detail", args=[a.tickets[one_hidden(role)].pk]))

    assert response.status_code == 404


# --- queue page -----------------------------------------------------------------------------


@pytest.mark.parametrize("role", [r for r in ALL_ROLES if r != Role.CUSTOMER])
def test_queue_lists_exactly_the_visible_tickets(client, world, role):
    a, b = world
    client.force_login(a.users[role])

    response = client.get(reverse("queue"))

    assert response.status_code == 200
    listed = {t.pk for t in response.context["page"].items}
    assert labels(Ticket.objects.filter(pk__in=listed), a, b) == EXPECTED[role]
    html = response.content.decode()
    assert "B:" not in html and "crosswired" not in html
    for key in ALL_TICKETS - EXPECTED[role]:
        assert a.tickets[key].reference not in html


def test_queue_sends_a_customer_to_the_portal(client, world):
    a, _b = world
    client.force_login(a.users[Role.CUSTOMER])

    response = client.get(reverse("queue"))

    assert (response.status_code, response["Location"]) == (302, reverse("portal"))


# --- ticket actions -------------------------------------------------------------------------


@pytest.mark.parametrize("where", ["own", "other"])
@pytest.mark.parametrize("role", ALL_ROLES)
def test_reply_is_for_cs_staff_only(client, world, role, where):
    a, b = world
    client.force_login(a.users[role])
    ticket = (a if where == "own" else b).tickets[one_visible(role)]

    response = client.post(reverse("ticket_action", args=[ticket.pk, "reply"]), {"body": "您好，已在处理"})

    expected = 404 if where == "other" else 302 if role in CS else 403
    assert response.status_code == expected
    replies = Message.objects.filter(ticket=ticket, kind=Message.Kind.REPLY)
    assert replies.count() == (1 if expected == 302 else 0)


@pytest.mark.parametrize("action", ["note", "assign", "status", "resolve", "escalate", "merge"])
def test_a_customer_gets_403_for_staff_actions_on_their_own_ticket(client, world, action):
    a, _b = world
    client.force_login(a.users[Role.CUSTOMER])
    ticket = a.tickets["named_customer"]

    response = client.post(reverse("ticket_action", args=[ticket.pk, action]),
                           {"body": "x", "status": "resolved", "reason": "x"})

    assert response.status_code == 403
    ticket.refresh_from_db()
    assert (ticket.status, ticket.escalated_to) == ("open", None)
    assert not Message.objects.filter(ticket=ticket).exists()


@pytest.mark.parametrize("role", [Role.COURIER, Role.DRIVER, Role.DEPT_HEAD])
def test_field_staff_and_department_heads_may_add_a_note(client, world, role):
    a, _b = world
    client.force_login(a.users[role])
    ticket = a.tickets[one_visible(role)]

    response = client.post(reverse("ticket_action", args=[ticket.pk, "note"]), {"body": "已联系收件人"})

    assert response.status_code == 302
    assert Message.objects.get(ticket=ticket).kind == Message.Kind.NOTE


def test_merging_into_a_ticket_of_another_point_is_404(client, world):
    a, b = world
    client.force_login(a.users[Role.MANAGER])
    source, target = a.tickets["outsider"], b.tickets["outsider"]
    Ticket.objects.filter(pk__in=[source.pk, target.pk]).update(waybill_no="YT0000000000001")

    response = client.post(reverse("ticket_action", args=[source.pk, "merge"]), {"target": target.pk})

    assert response.status_code == 404
    source.refresh_from_db()
    assert source.merged_into is None


# --- attachments ----------------------------------------------------------------------------

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def _attach(ticket, actor, kind):
    add = services.ticket_add_note if kind == "note" else services.ticket_reply
    message = add(ticket=ticket, actor=actor, body=f"{kind} 照片",
                  files=[SimpleUploadedFile(f"{kind}.png", PNG, content_type="image/png")])
    return message.attachments.get()


@pytest.mark.parametrize("where", ["own", "other"])
@pytest.mark.parametrize("role", ALL_ROLES)
def test_attachment_download(client, world, role, where):
    a, b = world
    w = a if where == "own" else b
    ticket = w.tickets[one_visible(role)]
    reply = _attach(ticket, w.users[Role.MANAGER], "reply")
    note = _attach(ticket, w.users[Role.MANAGER], "note")
    client.force_login(a.users[role])

    got_reply = client.get(reverse("attachment_download", args=[reply.pk]))
    got_note = client.get(reverse("attachment_download", args=[note.pk]))

    if where == "other":
        assert (got_reply.status_code, got_note.status_code) == (404, 404)
    elif role == Role.CUSTOMER:
        assert (got_reply.status_code, got_note.status_code) == (200, 404)
    else:
        assert (got_reply.status_code, got_note.status_code) == (200, 200)
    if got_reply.status_code == 200:
        assert b"".join(got_reply.streaming_content) == PNG
        assert got_reply["Content-Type"] == "image/png"
        assert got_reply["X-Content-Type-Options"] == "nosniff"


def test_a_customer_does_not_see_the_note_or_its_attachment_on_the_ticket_page(client, world):
    a, _b = world
    ticket = a.tickets["named_customer"]
    reply = _attach(ticket, a.users[Role.AGENT], "reply")
    note = _attach(ticket, a.users[Role.AGENT], "note")
    client.force_login(a.users[Role.CUSTOMER])

    html = client.get(reverse("ticket_detail", args=[ticket.pk])).content.decode()

    assert "reply 照片" in html and reverse("attachment_download", args=[reply.pk]) in html
    assert "note 照片" not in html and reverse("attachment_download", args=[note.pk]) not in html


# --- portal ---------------------------------------------------------------------------------


def test_portal_lists_only_the_customers_own_tickets(client, world):
    a, b = world
    client.force_login(a.users[Role.CUSTOMER])

    response = client.get(reverse("portal"))

    assert response.status_code == 200
    assert labels(Ticket.objects.filter(pk__in=[t.pk for t in response.context["tickets"]]), a, b) == {
        "named_customer"
    }
    html = response.content.decode()
    assert a.tickets["named_customer"].subject in html
    assert a.tickets["other_customer"].subject not in html
    assert "crosswired" not in html


def test_a_customer_cannot_open_another_customers_ticket_of_the_same_point(client, world):
    a, _b = world
    client.force_login(a.users[Role.CUSTOMER])

    response = client.get(reverse("ticket_detail", args=[a.tickets["other_customer"].pk]))

    assert response.status_code == 404


@pytest.mark.parametrize("role", [r for r in ALL_ROLES if r != Role.CUSTOMER])
def test_staff_are_sent_from_the_portal_to_the_queue_and_cannot_raise_portal_tickets(client, world, role):
    a, _b = world
    client.force_login(a.users[role])

    assert client.get(reverse("portal"))["Location"] == reverse("queue")
    assert client.get(reverse("portal_new")).status_code == 403


# --- query count ----------------------------------------------------------------------------


def _seed_queue(user, n: int) -> None:
    """`n` open tickets in `user`'s scope, each with its own customer, and a
    category, an area and an assignee: everything the rows show."""
    point = user.point
    category = Category.objects.get(code="delay", point=None)
    agent = user if user.role == Role.AGENT else UserFactory(point=point, role=Role.AGENT, reports_to=user)
    area = AreaFactory(point=point, owner=agent)
    for i in range(n):
        TicketFactory(point=point, assignee=agent, category=category, area=area,
                      customer=CustomerFactory(point=point), subject=f"查件{i}")


@pytest.mark.parametrize("role", [Role.MANAGER, Role.SUPERVISOR, Role.AGENT])
def test_the_queue_page_does_not_query_per_row(client, django_assert_max_num_queries, role):
    small, large = UserFactory(role=role), UserFactory(role=role)
    _seed_queue(small, 5)
    _seed_queue(large, 50)
    client.force_login(small)
    with CaptureQueriesContext(connection) as few:
        assert len(client.get(reverse("queue")).context["page"].items) == 5
    client.force_login(large)

    with django_assert_max_num_queries(20) as many:
        response = client.get(reverse("queue"))

    assert len(response.context["page"].items) == 50
    assert len(many.captured_queries) == len(few.captured_queries)
