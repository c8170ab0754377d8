import pytest
from django.http import Http404

from kefu.customers import selectors
from kefu.customers.tests.factories import CustomerFactory
from kefu.orgs import selectors as org_selectors
from kefu.orgs.models import Role
from kefu.orgs.tests.factories import AgentFactory, PointFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_customers_are_scoped_to_the_point_and_the_contact():
    point = PointFactory()
    agent = AgentFactory(point=point)
    mine, theirs = CustomerFactory(point=point), CustomerFactory(point=point)
    foreign = CustomerFactory()
    contact = UserFactory(point=point, role=Role.CUSTOMER, customer=mine)
    no_point = UserFactory(point=None, role=Role.AGENT)

    assert set(selectors.customers_visible_to(agent)) == {mine, theirs}
    assert list(selectors.customers_visible_to(contact)) == [mine]
    assert list(selectors.customers_visible_to(no_point)) == []
    assert selectors.customer_access(agent, theirs.pk) == theirs
    with pytest.raises(Http404):
        selectors.customer_access(agent, foreign.pk)
    with pytest.raises(Http404):
        selectors.customer_access(contact, theirs.pk)


def test_users_visible_to_staff_customer_contacts_and_platform_superusers():
    """orgs.selectors.users_visible_to: a customer's contact sees only their named agent."""
    point = PointFactory()
    agent = AgentFactory(point=point)
    manager = UserFactory(point=point, role=Role.MANAGER)
    customer = CustomerFactory(point=point, named_agent=agent)
    contact = UserFactory(point=point, role=Role.CUSTOMER, customer=customer)
    lone = UserFactory(point=point, role=Role.CUSTOMER, customer=CustomerFactory(point=point))
    stranger = AgentFactory()
    root = UserFactory(point=None, is_superuser=True)

    assert set(org_selectors.users_visible_to(manager)) == {agent, manager, contact, lone}
    assert list(org_selectors.users_visible_to(contact)) == [agent]
    assert list(org_selectors.users_visible_to(lone)) == []
    assert set(org_selectors.users_visible_to(root)) == {agent, manager, contact, lone, stranger, root}
    with pytest.raises(Http404):
        org_selectors.user_access(manager, stranger.pk)
    with pytest.raises(Http404):
        org_selectors.user_access(contact, manager.pk)
    assert org_selectors.user_access(contact, agent.pk) == agent
