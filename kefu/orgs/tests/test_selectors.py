import pytest
from django.http import Http404

from kefu.orgs import selectors
from kefu.orgs.models import Role, User
from kefu.orgs.tests.factories import AgentFactory, AreaFactory, PointFactory, UserFactory

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


def test_areas_are_scoped_to_the_point():
    point = PointFactory()
    agent = AgentFactory(point=point)
    area, foreign_area = AreaFactory(point=point), AreaFactory()
    contact = UserFactory(point=point, role=Role.CUSTOMER)

    assert list(selectors.areas_visible_to(agent)) == [area]
    assert list(selectors.areas_visible_to(contact)) == []
    assert selectors.area_access(agent, area.pk) == area
    with pytest.raises(Http404):
        selectors.area_access(agent, foreign_area.pk)


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
