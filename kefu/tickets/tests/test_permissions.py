"""Who may do what with a ticket: the services check the rule of
kefu/tickets/permissions.py, for every role, on their own point and another (the web
pages and the API agree with it: kefu/api/tests/test_permissions.py)."""

import pytest
from django.core.exceptions import PermissionDenied

from kefu.customers.tests.factories import CustomerFactory
from kefu.orgs.models import Role
from kefu.orgs.tests.factories import PointFactory, UserFactory
from kefu.tickets import services
from kefu.tickets.models import Priority, Status
from kefu.tickets.tests.factories import ticket_desk

pytestmark = pytest.mark.django_db

CS = [Role.OWNER, Role.DIRECTOR, Role.MANAGER, Role.SUPERVISOR, Role.TEAM_LEAD, Role.AGENT]
OTHER_STAFF = [Role.COURIER, Role.PICKUP, Role.DRIVER, Role.DEPT_HEAD]


@pytest.fixture
def desk():
    return ticket_desk()


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
