"""Routing's open-ticket counts: cached a few seconds per point, kept current by
this process's own routings and changes, and counted afresh after the TTL."""

import pytest

from kefu.core import ttlcache
from kefu.orgs.models import Queue
from kefu.orgs.tests.factories import AgentFactory, PointFactory
from kefu.tickets import loads, selectors, services
from kefu.tickets.models import Channel, Status, Ticket
from kefu.tickets.tests.factories import TicketFactory

pytestmark = pytest.mark.django_db


def _new(point):
    return services.ticket_create(point=point, subject="催件", queue=Queue.ARRIVAL, channel=Channel.WEB)


def test_a_burst_of_new_tickets_spreads_over_the_agents_with_one_count(django_assert_num_queries):
    point = PointFactory()
    first, second, third = (AgentFactory(point=point, queue=Queue.ARRIVAL) for _ in range(3))
    TicketFactory(point=point, assignee=first)
    _new(point)  # counts once

    with django_assert_num_queries(0):
        loads.open_loads(point_id=point.pk, agent_ids=[first.pk, second.pk, third.pk])
    assigned = [_new(point).assignee for _ in range(5)]

    # Loads before the burst: first 1, second 1 (the ticket above), third 0.
    assert assigned == [third, first, second, third, first]
    assert loads.open_loads(point_id=point.pk, agent_ids=[first.pk, second.pk, third.pk]) == {
        first.pk: 3, second.pk: 2, third.pk: 2}


def test_closing_or_reassigning_here_counts_again_at_once():
    point = PointFactory()
    busy, idle = AgentFactory(point=point, queue=Queue.ARRIVAL), AgentFactory(point=point, queue=Queue.ARRIVAL)
    tickets = [_new(point) for _ in range(4)]  # two each
    assert sorted(t.assignee_id for t in tickets) == sorted([busy.pk, busy.pk, idle.pk, idle.pk])
    mine = [t for t in tickets if t.assignee_id == idle.pk]

    services.ticket_set_status(ticket=mine[0], status=Status.RESOLVED, actor=idle)
    assert _new(point).assignee == idle
    services.ticket_assign(ticket=mine[1], assignee=busy, actor=busy)
    assert _new(point).assignee == idle


def test_changes_made_elsewhere_are_seen_after_the_ttl(monkeypatch):
    point = PointFactory()
    one, two = AgentFactory(point=point, queue=Queue.ARRIVAL), AgentFactory(point=point, queue=Queue.ARRIVAL)
    TicketFactory.create_batch(3, point=point, assignee=one)
    assert selectors.least_loaded_agent(point_id=point.pk, queue=Queue.ARRIVAL) == two

    # Another process closes one's tickets: this one still routes by its counts ...
    Ticket.objects.filter(assignee=one).update(status=Status.CLOSED, is_open=False)
    assert selectors.least_loaded_agent(point_id=point.pk, queue=Queue.ARRIVAL) == two
    # ... until they are LOAD_CACHE_SECONDS old.
    later = ttlcache.time.monotonic() + loads.LOAD_CACHE_SECONDS + 0.1
    monkeypatch.setattr(ttlcache.time, "monotonic", lambda: later)
    assert selectors.least_loaded_agent(point_id=point.pk, queue=Queue.ARRIVAL) == one


def test_who_is_on_shift_is_never_cached():
    point = PointFactory()
    idle, other = AgentFactory(point=point, queue=Queue.ARRIVAL), AgentFactory(point=point, queue=Queue.ARRIVAL)
    TicketFactory(point=point, assignee=other)
    assert selectors.least_loaded_agent(point_id=point.pk, queue=Queue.ARRIVAL) == idle

    from kefu.orgs.services import user_set_on_shift

    user_set_on_shift(user=idle, on_shift=False)
    assert selectors.least_loaded_agent(point_id=point.pk, queue=Queue.ARRIVAL) == other
    # An agent new to the counts is counted on its own.
    late = AgentFactory(point=point, queue=Queue.ARRIVAL)
    TicketFactory.create_batch(2, point=point, assignee=late)
    assert [(a, a.load) for a in selectors.agents_by_open_load(point_id=point.pk, queue=Queue.ARRIVAL)] == [
        (other, 1), (late, 2)]


def test_points_do_not_share_counts():
    point, elsewhere = PointFactory(), PointFactory()
    mine = AgentFactory(point=point, queue=Queue.ARRIVAL)
    theirs = AgentFactory(point=elsewhere, queue=Queue.ARRIVAL)
    assert _new(point).assignee == mine
    assert _new(elsewhere).assignee == theirs
    assert loads.open_loads(point_id=elsewhere.pk, agent_ids=[theirs.pk]) == {theirs.pk: 1}


def test_counts_taken_before_a_change_commits_are_dropped_when_it_commits(django_capture_on_commit_callbacks):
    from django.db import transaction

    from kefu.core.ttlcache import MISSING

    point = PointFactory()
    agent = AgentFactory(point=point, queue=Queue.ARRIVAL)
    ticket = _new(point)
    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            services.ticket_set_status(ticket=ticket, status=Status.RESOLVED, actor=agent)
            # Another thread routing now would count the ticket as still open:
            loads._loads.put(point.pk, {agent.pk: 1})
        assert loads._loads.get(point.pk) == {agent.pk: 1}
    assert loads._loads.get(point.pk) is MISSING
