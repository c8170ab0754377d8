"""Who may do what with a ticket: the same rule (kefu/tickets/permissions.py) in the
services, the web pages and the API, for every role, on their own point and another."""

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from kefu.api.services import api_token_create
from kefu.customers.tests.factories import CustomerFactory
from kefu.orgs.models import Queue, Role
from kefu.orgs.tests.factories import AgentFactory, PointFactory, UserFactory
from kefu.tickets import services
from kefu.tickets.models import Channel, Priority, Status

pytestmark = pytest.mark.django_db

CS = [Role.OWNER, Role.DIRECTOR, Role.MANAGER, Role.SUPERVISOR, Role.TEAM_LEAD, Role.AGENT]
OTHER_STAFF = [Role.COURIER, Role.PICKUP, Role.DRIVER, Role.DEPT_HEAD]


@pytest.fixture
def desk():
    point = PointFactory()
    customer = CustomerFactory(point=point)
    agent = AgentFactory(point=point, queue=Queue.ARRIVAL)
    ticket = services.ticket_create(point=point, subject="快件三天没更新", queue=Queue.ARRIVAL,
                                    channel=Channel.WEB, customer=customer)
    return point, customer, agent, ticket


def person(role, point, customer=None):
    if role == Role.CUSTOMER:
        return UserFactory(point=point, role=role, customer=customer or CustomerFactory(point=point))
    return UserFactory(point=point, role=role)


ACTIONS = {
    "reply": lambda t, u, a: services.ticket_reply(ticket=t, actor=u, body="您好"),
    "note": lambda t, u, a: services.ticket_add_note(ticket=t, actor=u, body="内部"),
    "assign": lambda t, u, a: services.ticket_assign(ticket=t, assignee=a, actor=u),
    "status": lambda t, u, a: services.ticket_set_status(ticket=t, status=Status.WAITING_CUSTOMER, actor=u),
    "resolve": lambda t, u, a: services.ticket_resolve(ticket=t, actor=u),
    "classify": lambda t, u, a: services.ticket_update(ticket=t, actor=u, priority=Priority.URGENT),
    "message": lambda t, u, a: services.ticket_customer_message(ticket=t, actor=u, body="怎么还没到"),
}
STAFF_ONLY = {"reply", "assign", "status", "resolve", "classify"}


def allowed(action: str, role: str, *, own_point: bool, own_customer: bool) -> bool:
    if not own_point:
        return False
    if action in STAFF_ONLY:
        return role in CS
    if action == "note":
        return role in CS + OTHER_STAFF
    return role == Role.CUSTOMER and own_customer  # message


WHO = [(role, where) for role in CS + OTHER_STAFF + [Role.CUSTOMER] for where in ("own point", "other point")]
WHO.append((Role.CUSTOMER, "other customer"))


@pytest.mark.parametrize("action", sorted(ACTIONS))
@pytest.mark.parametrize(("role", "where"), WHO)
def test_services_check_the_actor(desk, action, role, where):
    point, customer, agent, ticket = desk
    if where == "own point":
        actor = person(role, point, customer)
    elif where == "other point":
        actor = person(role, PointFactory())
    else:  # a contact of another customer of the same point
        actor = person(role, point, CustomerFactory(point=point))
    expected = allowed(action, role, own_point=where != "other point", own_customer=where == "own point")
    if expected:
        ACTIONS[action](ticket, actor, agent)
    else:
        with pytest.raises(PermissionDenied):
            ACTIONS[action](ticket, actor, agent)


def test_the_system_may_act_without_an_actor(desk):
    _point, _customer, agent, ticket = desk
    services.ticket_assign(ticket=ticket, assignee=agent, actor=None)
    services.ticket_set_status(ticket=ticket, status=Status.WAITING_CUSTOMER, actor=None)


def test_a_courier_may_only_make_themself_the_tickets_courier(desk):
    point, _customer, _agent, ticket = desk
    courier, other = UserFactory(point=point, role=Role.COURIER), UserFactory(point=point, role=Role.COURIER)
    services.ticket_update(ticket=ticket, actor=courier, courier=courier)
    for fields in ({"courier": other}, {"priority": Priority.URGENT}):
        with pytest.raises(PermissionDenied):
            services.ticket_update(ticket=ticket, actor=courier, **fields)


@pytest.mark.parametrize("role", CS + OTHER_STAFF + [Role.CUSTOMER])
def test_the_web_and_the_api_agree_on_replies_and_notes(desk, client, role):
    point, customer, _agent, ticket = desk
    user = person(role, point, customer)
    if role in (Role.COURIER, Role.PICKUP, Role.DRIVER):
        ticket.courier = user  # so that they see it
        ticket.save(update_fields=["courier"])
    client.force_login(user)
    key = api_token_create(user=user, name="t")[1]
    auth = {"Authorization": f"Bearer {key}"}
    for action, path in (("reply", "replies"), ("note", "notes")):
        web = client.post(reverse("ticket_action", args=[ticket.pk, action]), {"body": "好的"})
        api = client.post(f"/api/tickets/{ticket.pk}/{path}", {"body": "好的"}, content_type="application/json",
                          headers=auth)
        if web.status_code == 404:  # outside the role's scope: the API says the same
            assert api.status_code == 404
            continue
        web_ok = web.status_code == 302
        api_ok = api.status_code == 201
        # A customer's "reply" in the API is their message: the web's action is called "message".
        expected = role in CS or (action == "note" and role in OTHER_STAFF) or (
            role == Role.CUSTOMER and action == "reply" and path == "replies")
        assert api_ok == expected, (action, role, api.status_code)
        if role != Role.CUSTOMER or action == "note":
            assert web_ok == api_ok, (action, role, web.status_code, api.status_code)
