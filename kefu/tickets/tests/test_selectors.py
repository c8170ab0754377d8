import pytest

from kefu.orgs.models import Queue, Role
from kefu.orgs.tests.factories import AgentFactory, PointFactory, UserFactory
from kefu.tickets import selectors
from kefu.tickets.models import Status
from kefu.tickets.tests.factories import TicketFactory

pytestmark = pytest.mark.django_db


def test_agents_by_open_load_are_on_shift_of_the_queue_and_ordered_by_open_load():
    point = PointFactory()
    busy = AgentFactory(point=point, queue=Queue.ARRIVAL)
    idle = AgentFactory(point=point, queue=Queue.ARRIVAL)
    any_queue = AgentFactory(point=point, queue="")
    AgentFactory(point=point, queue=Queue.ARRIVAL, on_shift=False)
    AgentFactory(point=point, queue=Queue.ARRIVAL, is_active=False)
    AgentFactory(point=point, queue=Queue.DEPARTURE)
    UserFactory(point=point, role=Role.SUPERVISOR, queue=Queue.ARRIVAL)
    AgentFactory(queue=Queue.ARRIVAL)  # another point
    TicketFactory.create_batch(2, point=point, assignee=busy)
    TicketFactory(point=point, assignee=any_queue)
    TicketFactory.create_batch(3, point=point, assignee=idle, status=Status.RESOLVED, is_open=False)

    ranked = list(selectors.agents_by_open_load(point_id=point.pk, queue=Queue.ARRIVAL))

    assert [(a, a.load) for a in ranked] == [(idle, 0), (any_queue, 1), (busy, 2)]


def test_least_loaded_agent_is_the_first_by_load():
    point = PointFactory()
    busy = AgentFactory(point=point, queue=Queue.ARRIVAL)
    idle = AgentFactory(point=point, queue=Queue.ARRIVAL)
    TicketFactory(point=point, assignee=busy)

    assert selectors.least_loaded_agent(point_id=point.pk, queue=Queue.ARRIVAL) == idle
    assert selectors.least_loaded_agent(point_id=point.pk, queue=Queue.DEPARTURE) is None
