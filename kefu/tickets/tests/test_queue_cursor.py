"""The queue's keyset cursor: a row-value bound `(priority, id) > (p, i)` that pages
through runs of equal priorities without skipping or repeating a ticket, and that
the database uses as an index bound (where to start), not as a filter."""

from __future__ import annotations

import datetime as dt
import operator

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kefu.orgs.models import Role
from kefu.orgs.tests.factories import AgentFactory, PointFactory, UserFactory
from kefu.tickets.lookups import RowCompare
from kefu.tickets.models import Status, Ticket
from kefu.tickets.selectors import QueueFilters, queue_page, tickets_visible_to
from kefu.tickets.tests.factories import TicketFactory

pytestmark = pytest.mark.django_db

# Priorities in creation (id) order: equal priorities are spread over the ids, so each
# priority is a run the pages must cut through.
PRIORITIES = [3, 1, 3, 2, 1, 3, 2, 2, 1, 3, 1, 2, 4, 1]


@pytest.fixture
def queue():
    point = PointFactory()
    manager = UserFactory(point=point, role=Role.MANAGER)
    agent, colleague = AgentFactory(point=point), AgentFactory(point=point)
    tickets = [
        TicketFactory(point=point, priority=p, assignee=colleague if i % 3 == 0 else agent,
                      status=Status.RESOLVED if i == 5 else Status.OPEN, is_open=i != 5)
        for i, p in enumerate(PRIORITIES)
    ]
    TicketFactory(priority=1)  # another point's: never on a page
    return manager, agent, tickets


def follow(user, filters: QueueFilters, size: int) -> list[list[int]]:
    """Every page's ticket ids, following the cursors to the end."""
    pages, cursor = [], None
    while True:
        page = queue_page(user, filters, cursor=cursor, size=size)
        pages.append([t.pk for t in page.items])
        if page.next_cursor is None:
            return pages
        cursor = page.next_cursor


def _work_order(tickets):
    return [t.pk for t in sorted(tickets, key=lambda t: (t.priority, t.pk))]


def _newest(tickets):
    return [t.pk for t in sorted(tickets, key=lambda t: -t.pk)]


@pytest.mark.parametrize(("sort", "order"), [("priority", _work_order), ("newest", _newest)])
@pytest.mark.parametrize("size", [1, 3, 4])
def test_pages_cut_through_equal_priorities_without_skipping_or_repeating(queue, sort, order, size):
    manager, _agent, tickets = queue

    pages = follow(manager, QueueFilters(status="all", sort=sort), size)

    expected = order(tickets)
    assert [pk for page in pages for pk in page] == expected
    assert [len(p) for p in pages] == [size] * (len(expected) // size) + (
        [len(expected) % size] if len(expected) % size else [])


@pytest.mark.parametrize(("sort", "order"), [("priority", _work_order), ("newest", _newest)])
def test_an_agents_pages_skip_what_they_may_not_see_and_keep_the_order(queue, sort, order):
    _manager, agent, tickets = queue
    own = [t for t in tickets if t.assignee_id == agent.pk and t.is_open]

    pages = follow(agent, QueueFilters(sort=sort), 2)

    assert [pk for page in pages for pk in page] == order(own)
    assert all(len(p) == 2 for p in pages[:-1])


def test_the_cursor_is_the_last_rows_keyset(queue):
    manager, _agent, tickets = queue
    work = sorted(tickets, key=lambda t: (t.priority, t.pk))

    by_priority = queue_page(manager, QueueFilters(status="all"), size=3)
    newest = queue_page(manager, QueueFilters(status="all", sort="newest"), size=3)

    assert by_priority.next_cursor == f"{work[2].priority}:{work[2].pk}"
    assert newest.next_cursor == str(sorted(t.pk for t in tickets)[-3])


@pytest.mark.parametrize(("sort", "cursor"), [
    ("priority", "7"), ("priority", "1:x"), ("priority", "1:2:3"), ("priority", ""),
    ("newest", "1:2"), ("newest", "-5"), ("newest", "abc"),
])
def test_a_cursor_that_is_not_one_of_its_sort_order_starts_at_the_top(queue, sort, cursor):
    manager, _agent, tickets = queue

    page = queue_page(manager, QueueFilters(status="all", sort=sort), cursor=cursor, size=3)

    first = queue_page(manager, QueueFilters(status="all", sort=sort), size=3)
    assert [t.pk for t in page.items] == [t.pk for t in first.items]


# --- RowCompare -----------------------------------------------------------------------------


@pytest.mark.parametrize("op", ["<", "<=", ">", ">="])
def test_row_compare_is_the_lexicographic_comparison(queue, op):
    manager, _agent, tickets = queue
    pivot = sorted(tickets, key=lambda t: (t.priority, t.pk))[6]
    key = (pivot.priority, pivot.pk)
    compare = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}[op]

    got = set(tickets_visible_to(manager).filter(RowCompare(["priority", "id"], op, key))
              .values_list("pk", flat=True))

    assert got == {t.pk for t in tickets if compare((t.priority, t.pk), key)}


def test_row_compare_prepares_values_as_their_fields_do(queue):
    manager, _agent, tickets = queue
    base = timezone.now().replace(microsecond=0)
    for i, t in enumerate(tickets):  # two tickets a minute: ties on created_at, broken by id
        Ticket.objects.filter(pk=t.pk).update(created_at=base + dt.timedelta(minutes=i // 2))
    pivot = Ticket.objects.get(pk=tickets[6].pk)

    got = list(tickets_visible_to(manager).filter(RowCompare(["created_at", "id"], "<", [pivot.created_at, pivot.pk]))
               .order_by("pk").values_list("pk", flat=True))

    assert got == [t.pk for t in tickets[:6]]


def test_row_compare_refuses_what_it_cannot_write():
    with pytest.raises(ValueError, match="unsupported"):
        RowCompare(["priority", "id"], "!=", [1, 2])
    with pytest.raises(ValueError, match="as many values"):
        RowCompare(["priority", "id"], ">", [1])
    with pytest.raises(ValueError, match="as many values"):
        RowCompare([], ">", [])


# --- the database uses the cursor as an index bound ----------------------------------------


def _explain(sql: str) -> str:
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("EXPLAIN " + sql)
            return "\n".join(r[0] for r in cur.fetchall())
        cur.execute("EXPLAIN QUERY PLAN " + sql)
        return "\n".join(str(r[-1]) for r in cur.fetchall())


@pytest.fixture
def no_sequential_scans():
    """Tiny test tables make a sequential scan cheapest; ask PostgreSQL for the plan
    it would choose on a big table."""
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cur:
        cur.execute("SET enable_seqscan = off")
        cur.execute("SET enable_bitmapscan = off")
    yield
    with connection.cursor() as cur:
        cur.execute("RESET enable_seqscan")
        cur.execute("RESET enable_bitmapscan")


def test_a_deep_page_starts_in_the_queue_index_at_the_cursor(queue, no_sequential_scans):
    _manager, agent, _tickets = queue
    cursor = queue_page(agent, QueueFilters(status="all"), size=2).next_cursor
    p, i = cursor.split(":")

    with CaptureQueriesContext(connection) as ctx:
        queue_page(agent, QueueFilters(status="all"), cursor=cursor, size=2)

    plan = _explain(ctx.captured_queries[-1]["sql"])  # the page's query, as sent
    if connection.vendor == "postgresql":
        assert f"Index Cond: ((point_id = {agent.point_id}) AND (ROW(priority, id) > ROW({p}, {i})))" in plan
        assert "ticket_queue_all" in plan
    else:
        # SQLite bounds the row's first column (the rowid alias `id` cannot take part in
        # a row-value bound) and checks the rest as it walks on from there.
        assert "USING INDEX ticket_queue_all (point_id=? AND priority>?)" in plan
