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


def test_category_for_code_prefers_the_points_own_and_skips_inactive_ones():
    from kefu.tickets.models import Category

    point, other = PointFactory(), PointFactory()
    own = Category.objects.create(point=point, code="delay", name="本网点延误", group="express")
    Category.objects.create(point=other, code="private", name="别人的", group="express")
    Category.objects.create(point=point, code="old", name="停用", group="express", active=False)

    assert selectors.category_for_code(point_id=point.pk, code="delay") == own
    assert selectors.category_for_code(point_id=other.pk, code="delay").point_id is None  # shared
    assert selectors.category_for_code(point_id=point.pk, code="lost").point_id is None
    assert selectors.category_for_code(point_id=point.pk, code="private") is None
    assert selectors.category_for_code(point_id=point.pk, code="old") is None


def test_category_for_code_is_cached_per_point_and_hands_out_copies(django_assert_num_queries):
    point, other = PointFactory(), PointFactory()
    first = selectors.category_for_code(point_id=point.pk, code="delay")
    with django_assert_num_queries(0):
        second = selectors.category_for_code(point_id=point.pk, code="delay")
        assert selectors.category_for_code(point_id=point.pk, code="nope") is None
    assert second == first
    assert second is not first
    with django_assert_num_queries(1):
        selectors.category_for_code(point_id=other.pk, code="delay")


def test_category_admin_clears_the_cache(admin_client):
    from kefu.tickets.models import Category

    point = PointFactory()
    assert selectors.category_for_code(point_id=point.pk, code="delay").point_id is None
    r = admin_client.post("/admin/tickets/category/add/", {
        "point": point.pk, "code": "delay", "name": "本网点延误", "group": "express", "sort": 0, "active": "on",
    })
    assert r.status_code == 302
    assert selectors.category_for_code(point_id=point.pk, code="delay") == Category.objects.get(point=point)
