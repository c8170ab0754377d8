"""The API scopes exactly like the web: the same selectors decide, a ticket
outside the caller's scope is 404 (never 403), and another point's ticket is
never visible, whatever its relation to the caller."""

import datetime as dt

import pytest
from django.utils import timezone

from kefu.api.tests.conftest import make_user, token_for
from kefu.orgs.models import CS_ROLES, Role
from kefu.orgs.tests.factories import AgentFactory, AreaFactory, PointFactory
from kefu.tickets.models import Event, FollowUp, Message, Status, Ticket
from kefu.tickets.selectors import tickets_visible_to
from kefu.tickets.tests.factories import TicketFactory

pytestmark = pytest.mark.django_db

ALL_ROLES = list(Role)
CREATORS = set(CS_ROLES) | {Role.CUSTOMER}


def ticket_related_to(user, point):
    """A ticket of `point` that `user` sees when it is in their own point."""
    ticket = TicketFactory(point=point)
    role = user.role
    if role == Role.AGENT:
        ticket.assignee = user
    elif role in (Role.COURIER, Role.PICKUP, Role.DRIVER):
        ticket.courier = user
    elif role == Role.CUSTOMER:
        ticket.customer = user.customer
    ticket.save()
    if role == Role.DEPT_HEAD:
        FollowUp.objects.create(ticket=ticket, assigned_to=user, instructions="查监控",
                                due_at=timezone.now() + dt.timedelta(hours=4))
    return ticket


@pytest.mark.parametrize("role", ALL_ROLES)
@pytest.mark.parametrize("where", ["own_point", "other_point"])
def test_read_is_scoped(api, client, point, role, where):
    user = make_user(role, point)
    ticket = ticket_related_to(user, point if where == "own_point" else PointFactory())
    expected = 200 if where == "own_point" else 404
    r = api.get(f"/api/tickets/{ticket.pk}", token=token_for(user))
    assert r.status_code == expected
    assert r.json()["id" if expected == 200 else "code"] == (ticket.pk if expected == 200 else "not_found")
    client.force_login(user)  # the web answers the same
    assert client.get(f"/tickets/{ticket.pk}/").status_code == expected


@pytest.mark.parametrize("role", ALL_ROLES)
def test_list_is_exactly_the_web_scope(api, point, role):
    user = make_user(role, point)
    mine = ticket_related_to(user, point)
    colleague = AgentFactory(point=point)
    TicketFactory(point=point, assignee=colleague)
    TicketFactory(point=point, area=AreaFactory(point=point, owner=colleague))
    TicketFactory(point=point)  # unassigned: leads see it
    ticket_related_to(user, PointFactory())
    r = api.get("/api/tickets", token=token_for(user), status="all")
    assert r.status_code == 200
    got = {t["id"] for t in r.json()["items"]}
    assert got == set(tickets_visible_to(user).values_list("pk", flat=True))
    assert mine.pk in got
    assert Ticket.objects.exclude(point=point).filter(pk__in=got).count() == 0


def test_agent_does_not_see_a_colleagues_ticket_of_the_same_point(api, point):
    agent, colleague = AgentFactory(point=point), AgentFactory(point=point)
    theirs = TicketFactory(point=point, assignee=colleague)
    key = token_for(agent)
    for method, path, body in [
        ("get", f"/api/tickets/{theirs.pk}", None),
        ("patch", f"/api/tickets/{theirs.pk}", {"subject": "x"}),
        ("post", f"/api/tickets/{theirs.pk}/replies", {"body": "x"}),
        ("post", f"/api/tickets/{theirs.pk}/notes", {"body": "x"}),
        ("post", f"/api/tickets/{theirs.pk}/assign", {"assignee_id": agent.pk}),
    ]:
        r = getattr(api, method)(path, body, token=key) if body else api.get(path, token=key)
        assert (r.status_code, r.json()["code"]) == (404, "not_found"), path
    theirs.refresh_from_db()
    assert theirs.assignee == colleague
    assert Message.objects.count() == 0


@pytest.mark.parametrize("role", ALL_ROLES)
def test_who_may_create(api, point, role):
    user = make_user(role, point)
    r = api.post("/api/tickets", {"subject": "催件", "queue": "arrival"}, token=token_for(user))
    if role in CREATORS:
        assert r.status_code == 201
        assert Ticket.objects.get().created_by == user
    else:
        assert (r.status_code, r.json()["code"]) == (403, "forbidden")
        assert Ticket.objects.count() == 0


@pytest.mark.parametrize("role", ALL_ROLES)
@pytest.mark.parametrize("where", ["own_point", "other_point"])
def test_writes_on_a_ticket_by_role(api, point, role, where):
    """Own point: CS edits, assigns and replies; customers reply; every other
    staff member may only add a note. Other point: 404 for all, nothing written."""
    user = make_user(role, point)
    ticket = ticket_related_to(user, point if where == "own_point" else PointFactory())
    key = token_for(user)
    cs, customer = role in CS_ROLES, role == Role.CUSTOMER
    if where == "own_point":
        expected = {
            "patch": 200 if cs else 403,
            "assign": 200 if cs else 403,
            "replies": 201 if cs or customer else 403,
            "notes": 403 if customer else 201,
        }
    else:
        expected = dict.fromkeys(["patch", "assign", "replies", "notes"], 404)
    got = {
        "patch": api.patch(f"/api/tickets/{ticket.pk}", {"status": "waiting_internal"}, token=key),
        "assign": api.post(f"/api/tickets/{ticket.pk}/assign", {"assignee_id": user.pk}, token=key),
        "replies": api.post(f"/api/tickets/{ticket.pk}/replies", {"body": "您好"}, token=key),
        "notes": api.post(f"/api/tickets/{ticket.pk}/notes", {"body": "记录"}, token=key),
    }
    assert {k: r.status_code for k, r in got.items()} == expected
    ticket.refresh_from_db()
    assert (ticket.status == Status.WAITING_INTERNAL) == (expected["patch"] == 200)
    assigned = Event.objects.filter(ticket=ticket, verb=Event.Verb.ASSIGNED).count()
    assert assigned == (1 if expected["assign"] == 200 and role != Role.AGENT else 0)
    written = Message.objects.filter(ticket=ticket).count()
    assert written == sum(1 for k in ("replies", "notes") if expected[k] == 201)
    if where == "other_point":
        assert Event.objects.filter(ticket=ticket).count() == 0
