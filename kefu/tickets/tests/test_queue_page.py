"""The queue page as a user sees it: what each row shows, the filters' lists, the
counts by status of the user's scope, and how many queries a page costs (a fixed
number, whatever the rows: no query per row)."""

from __future__ import annotations

import datetime as dt
import re
from html import unescape

import pytest
from django import forms as django_forms
from django.db import connection
from django.test.html import parse_html
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kefu.customers.models import Customer
from kefu.customers.tests.factories import CustomerFactory
from kefu.orgs.models import Role
from kefu.orgs.tests.factories import AgentFactory, AreaFactory, PointFactory, UserFactory
from kefu.tickets import forms
from kefu.tickets.models import Category, Kind, Priority, Status
from kefu.tickets.tests.factories import TicketFactory

pytestmark = pytest.mark.django_db
ENGLISH = {"HTTP_ACCEPT_LANGUAGE": "en"}
UTC = dt.UTC


def row_cells(html: str, pk: int) -> list[str]:
    """The text of each cell of ticket `pk`'s row, whitespace collapsed."""
    row = re.search(rf'<tr class="ticket-row" data-id="{pk}">(.*?)</tr>', html, re.S)[1]
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
    return [" ".join(unescape(re.sub(r"<[^>]+>", " ", c)).split()) for c in cells]


# --- what a row shows -----------------------------------------------------------------------


@pytest.fixture
def desk():
    point = PointFactory()
    manager = UserFactory(point=point, role=Role.MANAGER)
    agent = AgentFactory(point=point, display_name="王小丽")
    ka = CustomerFactory(point=point, name="优品旗舰店", tier=Customer.Tier.KA)
    lost = Category.objects.get(code="lost", point=None)
    return point, manager, agent, ka, lost


def test_a_row_shows_the_ticket_in_shanghai_time(client, desk):
    point, manager, agent, ka, lost = desk
    ticket = TicketFactory(
        point=point, customer=ka, category=lost, kind=Kind.FEEDBACK, priority=Priority.URGENT, assignee=agent,
        status=Status.WAITING_CUSTOMER, waybill_no="YT1234567890123", subject="包裹" * 30,
        created_at=dt.datetime(2026, 3, 1, 16, 5, tzinfo=UTC),  # 3-2 00:05 in Shanghai
        resolution_due=dt.datetime(2099, 3, 2, 1, 30, tzinfo=UTC),
        resolution_warn_at=dt.datetime(2099, 3, 2, 1, 0, tzinfo=UTC),
    )
    client.force_login(manager)

    html = client.get(reverse("queue"), **ENGLISH).content.decode()

    assert row_cells(html, ticket.pk) == [
        "",
        f"Urgent {ticket.reference} {'包裹' * 19}包…",
        "YT1234567890123",
        "优品旗舰店 KA",
        f"{lost.name_en or lost.name} · Feedback",
        "Waiting on customer",
        "On track 03-02 09:30",
        "王小丽",
        "03-02 00:05",
    ]
    assert f'<a href="/tickets/{ticket.pk}/">{ticket.reference}</a>' in html
    assert '<span class="pill p1">Urgent</span>' in html
    assert 'data-label="Waybill"' in html and 'data-label="Created"' in html  # the phone layout's labels


def test_a_row_of_a_walk_in_unassigned_closed_ticket(client, desk):
    point, manager, _agent, _ka, _lost = desk
    ticket = TicketFactory(point=point, contact_name="李女士", assignee=None, category=None, status=Status.CLOSED,
                           is_open=False, subject="短", resolution_due=dt.datetime(2020, 1, 1, tzinfo=UTC),
                           created_at=dt.datetime(2026, 3, 1, 1, 0, tzinfo=UTC))
    client.force_login(manager)

    html = client.get(reverse("queue"), {"status": "all"}, **ENGLISH).content.decode()

    cells = row_cells(html, ticket.pk)
    assert cells[3:9] == ["李女士", "— · Inquiry", "Closed", "—", "—", "03-01 09:00"]
    assert 'class="pill sla-ok">—</span>' in html


@pytest.mark.parametrize(("due_in", "state", "label"), [
    (dt.timedelta(hours=-1), "breached", "Breached"),
    (dt.timedelta(minutes=10), "warning", "Due soon"),
])
def test_a_row_shows_its_sla_state(client, desk, due_in, state, label):
    from django.utils import timezone

    point, manager, _agent, _ka, _lost = desk
    now = timezone.now()
    ticket = TicketFactory(point=point, resolution_due=now + due_in,
                           resolution_warn_at=now + due_in - dt.timedelta(minutes=30))
    client.force_login(manager)

    html = client.get(reverse("queue"), **ENGLISH).content.decode()

    assert row_cells(html, ticket.pk)[6].startswith(label + " ")
    assert f'<span class="pill sla-{state}">{label}</span>' in html


def test_rows_are_in_simplified_chinese_by_default(client, desk):
    point, manager, _agent, _ka, _lost = desk
    ticket = TicketFactory(point=point, priority=Priority.URGENT, status=Status.OPEN)
    client.force_login(manager)

    html = client.get(reverse("queue")).content.decode()

    from django.utils.translation import gettext, override

    with override("zh-hans"):
        urgent, open_, waybill = gettext("Urgent"), gettext("Open"), gettext("Waybill")
    cells = row_cells(html, ticket.pk)
    assert cells[1].startswith(urgent + " ") and cells[5] == open_
    assert f'data-label="{waybill}"' in html


# --- the filters ----------------------------------------------------------------------------


def test_the_filters_render_as_djangos_selects_do(desk):
    point, _manager, agent, _ka, lost = desk
    area = AreaFactory(point=point, name="东湖<片区>")
    AreaFactory(name="别的网点的片区")
    form = forms.QueueFilterForm(
        {"status": "all", "category": str(lost.pk), "area": str(area.pk), "assignee": str(agent.pk),
         "sort": "newest"},
        choices=forms.QueueChoices(point.pk),
    )
    assert form.is_valid(), form.errors

    fast = {}
    for name in ("queue", "status", "sla", "category", "tier", "area", "assignee", "sort"):
        fast[name] = str(form[name])
        form.fields[name].widget = django_forms.Select(choices=form.fields[name].choices)
        assert parse_html(fast[name]) == parse_html(str(form[name])), name
    assert f'<option value="{area.pk}" selected>东湖&lt;片区&gt;</option>' in fast["area"]
    assert "别的网点的片区" not in fast["area"]


def test_a_value_from_another_point_is_not_a_filter(client, desk):
    point, manager, _agent, _ka, _lost = desk
    foreign_area = AreaFactory(name="别的网点的片区")
    mine = TicketFactory(point=point)
    client.force_login(manager)

    response = client.get(reverse("queue"), {"area": foreign_area.pk})

    assert "area" in response.context["form"].errors
    assert [t.pk for t in response.context["page"].items] == [mine.pk]


def test_the_filter_lists_name_the_points_agents_categories_and_areas(client, desk):
    point, manager, agent, _ka, lost = desk
    area = AreaFactory(point=point, name="东湖片区")
    AgentFactory(display_name="别的网点的客服")
    client.force_login(manager)

    html = client.get(reverse("queue"), **ENGLISH).content.decode()

    assert f'<option value="{agent.pk}">王小丽</option>' in html  # the assignee filter and the bulk list
    assert html.count(f'<option value="{agent.pk}">王小丽</option>') == 2
    assert f'<option value="{lost.pk}">{lost.name_en or lost.name}</option>' in html
    assert f'<option value="{area.pk}">东湖片区</option>' in html
    assert "别的网点的客服" not in html


# --- counts by status -----------------------------------------------------------------------


def test_the_counts_are_of_the_users_scope(client):
    point = PointFactory()
    supervisor = UserFactory(point=point, role=Role.SUPERVISOR)
    agent = AgentFactory(point=point, reports_to=supervisor)
    outsider = AgentFactory(point=point)  # in no one's team
    area = AreaFactory(point=point, owner=agent)
    TicketFactory(point=point, assignee=agent, status=Status.NEW)
    TicketFactory(point=point, assignee=outsider, area=area, status=Status.OPEN)  # agent's area
    TicketFactory(point=point, assignee=None, status=Status.OPEN)  # unassigned: the supervisor's
    TicketFactory(point=point, assignee=outsider, status=Status.WAITING_INTERNAL)  # the outsider's only
    TicketFactory(point=point, assignee=agent, status=Status.RESOLVED, is_open=False)
    TicketFactory(assignee=agent, status=Status.NEW)  # another point's (bad data): never counted

    counts = {}
    for user in (agent, supervisor, outsider):
        client.force_login(user)
        counts[user.role if user != outsider else "outsider"] = client.get(reverse("queue")).context["counts"]

    zero = {s: 0 for s in (Status.NEW, Status.OPEN, Status.WAITING_CUSTOMER, Status.WAITING_INTERNAL,
                           Status.REOPENED)}
    assert counts[Role.AGENT] == {**zero, Status.NEW: 1, Status.OPEN: 1}
    assert counts[Role.SUPERVISOR] == {**zero, Status.NEW: 1, Status.OPEN: 2}
    assert counts["outsider"] == {**zero, Status.OPEN: 1, Status.WAITING_INTERNAL: 1}


@pytest.mark.skipif("connection.vendor != 'sqlite'")
def test_the_counts_are_read_from_the_open_ticket_index():
    # SQLite takes a partial index only when the query repeats its condition word for
    # word; PostgreSQL proves it (its plan is in bench/results at a million tickets).
    from kefu.tickets.selectors import open_count_by_status

    supervisor = UserFactory(role=Role.SUPERVISOR)
    with CaptureQueriesContext(connection) as ctx:
        open_count_by_status(supervisor)
    with connection.cursor() as cur:
        cur.execute("EXPLAIN QUERY PLAN " + ctx.captured_queries[-1]["sql"])
        plan = " ".join(str(r[-1]) for r in cur.fetchall())

    assert "USING INDEX ticket_open_scope" in plan


# --- queries --------------------------------------------------------------------------------


def _fill(point, user, n: int) -> None:
    """`n` open tickets in `user`'s scope, each with its own customer, category, area
    and assignee where it can: everything a row shows, all different."""
    categories = list(Category.objects.filter(point=None))
    agents = [user] if user.role == Role.AGENT else [
        AgentFactory(point=point, reports_to=user) for _ in range(3)]
    for i in range(n):
        agent = agents[i % len(agents)]
        TicketFactory(point=point, assignee=agent, category=categories[i % len(categories)],
                      area=AreaFactory(point=point, owner=agent), priority=1 + i % 4,
                      customer=CustomerFactory(point=point, tier=Customer.Tier.KA if i % 5 == 0 else "regular"))


# session, user; the user's scope (SCOPE); the page; the counts; unread notices, the
# user's point (base.html); the filters' agents, categories and areas.
PAGE = 2 + 1 + 1 + 2 + 3
# The scope: a supervisor's team (2 levels here: they and their agents), their team's
# areas and their follow-ups; an agent's areas and named customers; a manager's is the point.
SCOPE = {Role.MANAGER: 0, Role.SUPERVISOR: 4, Role.AGENT: 2}


@pytest.mark.parametrize("role", [Role.MANAGER, Role.SUPERVISOR, Role.AGENT])
@pytest.mark.parametrize("n", [1, 60])
def test_a_queue_page_costs_the_same_queries_whatever_its_rows(client, django_assert_num_queries, role, n):
    point = PointFactory()
    user = UserFactory(point=point, role=role)
    _fill(point, user, n)
    client.force_login(user)

    with django_assert_num_queries(PAGE + SCOPE[role]):
        response = client.get(reverse("queue"), {"status": "all"})

    assert len(response.context["page"].items) == min(n, 50)


@pytest.mark.parametrize("role", [Role.MANAGER, Role.SUPERVISOR, Role.AGENT])
def test_more_costs_the_scope_and_the_page_only(client, django_assert_num_queries, role):
    point = PointFactory()
    user = UserFactory(point=point, role=role)
    _fill(point, user, 60)
    client.force_login(user)
    cursor = client.get(reverse("queue")).context["page"].next_cursor

    # session, user, scope, the page, unread notices (a context processor)
    with django_assert_num_queries(2 + SCOPE[role] + 1 + 1):
        response = client.get(reverse("queue"), {"cursor": cursor}, HTTP_HX_REQUEST="true")

    assert response.content.decode().count('class="ticket-row"') == 10
