import pytest
from django.http import Http404

from kefu.orgs import selectors
from kefu.orgs.models import Role, User
from kefu.orgs.tests.factories import (
    AgentFactory,
    AreaFactory,
    CustomerFactory,
    PointFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db



def test_team_member_ids_follow_the_ladder_down_within_the_point():
    point = PointFactory()
    director = UserFactory(point=point, role=Role.DIRECTOR)
    manager = UserFactory(point=point, role=Role.MANAGER, reports_to=director)
    supervisor = UserFactory(point=point, role=Role.SUPERVISOR, reports_to=manager)
    lead = UserFactory(point=point, role=Role.TEAM_LEAD, reports_to=supervisor)
    agent = AgentFactory(point=point, reports_to=lead)
    AgentFactory(point=point)  # reports to no one
    UserFactory(role=Role.AGENT, reports_to=lead)  # bad data: another point's agent under our lead

    assert selectors.team_member_ids(lead) == {lead.pk, agent.pk}
    assert selectors.team_member_ids(supervisor) == {supervisor.pk, lead.pk, agent.pk}
    assert selectors.team_member_ids(director) == {director.pk, manager.pk, supervisor.pk, lead.pk, agent.pk}
    assert selectors.team_member_ids(agent) == {agent.pk}


def test_team_member_ids_stop_on_a_reporting_cycle():
    point = PointFactory()
    a = UserFactory(point=point, role=Role.TEAM_LEAD)
    b = UserFactory(point=point, role=Role.TEAM_LEAD, reports_to=a)
    User.objects.filter(pk=a.pk).update(reports_to=b)

    assert selectors.team_member_ids(a) == {a.pk, b.pk}


def test_users_visible_to_staff_customers_and_platform_superusers():
    point = PointFactory()
    agent = AgentFactory(point=point)
    manager = UserFactory(point=point, role=Role.MANAGER)
    customer = CustomerFactory(point=point, named_agent=agent)
    contact = UserFactory(point=point, role=Role.CUSTOMER, customer=customer)
    lone = UserFactory(point=point, role=Role.CUSTOMER, customer=CustomerFactory(point=point))
    stranger = AgentFactory()
    root = UserFactory(point=None, is_superuser=True)

    assert set(selectors.users_visible_to(manager)) == {agent, manager, contact, lone}
    assert list(selectors.users_visible_to(contact)) == [agent]
    assert list(selectors.users_visible_to(lone)) == []
    assert set(selectors.users_visible_to(root)) == {agent, manager, contact, lone, stranger, root}
    with pytest.raises(Http404):
        selectors.user_access(manager, stranger.pk)
    with pytest.raises(Http404):
        selectors.user_access(contact, manager.pk)
    assert selectors.user_access(contact, agent.pk) == agent


def test_customers_and_areas_are_scoped_to_the_point_and_the_contact():
    point = PointFactory()
    agent = AgentFactory(point=point)
    mine, theirs = CustomerFactory(point=point), CustomerFactory(point=point)
    foreign = CustomerFactory()
    area, foreign_area = AreaFactory(point=point), AreaFactory()
    contact = UserFactory(point=point, role=Role.CUSTOMER, customer=mine)
    no_point = UserFactory(point=None, role=Role.AGENT)

    assert set(selectors.customers_visible_to(agent)) == {mine, theirs}
    assert list(selectors.customers_visible_to(contact)) == [mine]
    assert list(selectors.customers_visible_to(no_point)) == []
    assert list(selectors.areas_visible_to(agent)) == [area]
    assert list(selectors.areas_visible_to(contact)) == []
    assert selectors.customer_access(agent, theirs.pk) == theirs
    for call, pk in ((selectors.customer_access, foreign.pk), (selectors.area_access, foreign_area.pk)):
        with pytest.raises(Http404):
            call(agent, pk)
    with pytest.raises(Http404):
        selectors.customer_access(contact, theirs.pk)


def test_supervisor_of_is_the_nearest_lead_above_else_the_points_supervisor():
    point = PointFactory()
    manager = UserFactory(point=point, role=Role.MANAGER)
    first_supervisor = UserFactory(point=point, role=Role.SUPERVISOR, reports_to=manager)
    UserFactory(point=point, role=Role.SUPERVISOR)
    lead = UserFactory(point=point, role=Role.TEAM_LEAD, reports_to=first_supervisor)
    mentor = AgentFactory(point=point, reports_to=lead)  # a senior agent is not a lead
    agent = AgentFactory(point=point, reports_to=mentor)
    loner = AgentFactory(point=point)
    UserFactory(role=Role.SUPERVISOR)  # another point's

    assert selectors.supervisor_of(agent) == lead
    assert selectors.supervisor_of(lead) == first_supervisor
    assert selectors.supervisor_of(first_supervisor) == manager
    assert selectors.supervisor_of(loner) == first_supervisor
    assert selectors.supervisor_of(AgentFactory()) is None
