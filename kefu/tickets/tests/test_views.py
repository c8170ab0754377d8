"""The ticket desk through its pages: queue filters and paging, bulk actions,
new tickets, the actions on a ticket, the customer portal and the language."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from html import unescape

import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import override

from kefu.customers.models import Customer
from kefu.customers.tests.factories import CustomerFactory
from kefu.notifications.models import Notification
from kefu.orgs.models import Queue, Role, User
from kefu.orgs.tests.factories import AgentFactory, AreaFactory, PointFactory, UserFactory
from kefu.tickets import notices as ticket_notices
from kefu.tickets import services
from kefu.tickets.models import (
    Attachment,
    Category,
    Channel,
    Event,
    FollowUp,
    Kind,
    Message,
    Priority,
    Status,
    Ticket,
)
from kefu.tickets.tests.factories import TicketFactory

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00"
ENGLISH = {"HTTP_ACCEPT_LANGUAGE": "en"}


def png(name="签收照片.png"):
    return SimpleUploadedFile(name, PNG, content_type="image/png")


def notices(client, response) -> list[str]:
    """The notices the page shows after the action's redirect."""
    page = client.get(response["Location"])
    return [str(m) for m in page.context["messages"]]


def create(point, actor=None, **kw):
    kw.setdefault("subject", "快件三天没更新")
    kw.setdefault("queue", Queue.ARRIVAL)
    kw.setdefault("channel", Channel.WEB)
    return services.ticket_create(point=point, actor=actor, **kw)


# --- queue filters --------------------------------------------------------------------------


@dataclass
class Desk:
    manager: User
    agent: User
    area: object
    lost: Category
    tickets: dict[str, Ticket]

    def labels(self, response) -> set[str]:
        by_pk = {t.pk: k for k, t in self.tickets.items()}
        return {by_pk[t.pk] for t in response.context["page"].items}


@pytest.fixture
def desk():
    point = PointFactory()
    manager = UserFactory(point=point, role=Role.MANAGER)
    agent = AgentFactory(point=point)
    area = AreaFactory(point=point, owner=agent)
    ka = CustomerFactory(point=point, tier=Customer.Tier.KA)
    lost = Category.objects.get(code="lost", point=None)
    delay = Category.objects.get(code="delay", point=None)
    now = timezone.now()
    past, future = now - dt.timedelta(minutes=5), now + dt.timedelta(hours=5)

    def t(**kw):
        kw.setdefault("assignee", agent)
        kw.setdefault("category", delay)
        kw.setdefault("resolution_warn_at", future)
        kw.setdefault("resolution_due", future)
        return TicketFactory(point=point, **kw)

    tickets = {
        "ka": t(queue=Queue.DEPARTURE, customer=ka, category=lost, area=area, waybill_no="YT9000000000001",
                contact_phone="13800001111", subject="包裹丢了"),
        "mine": t(assignee=manager, waybill_no="YT9000000000002", contact_phone="13800002222",
                  subject="什么时候到"),
        "unassigned": t(assignee=None, subject="地址错了", description="请把地址改到人民路8号"),
        "breached": t(resolution_warn_at=past - dt.timedelta(hours=1), resolution_due=past),
        "warning": t(resolution_warn_at=past),
        "waiting": t(status=Status.WAITING_CUSTOMER),
        "resolved": t(status=Status.RESOLVED, is_open=False),
    }
    TicketFactory(subject="别的网点")  # another point: never listed
    return Desk(manager=manager, agent=agent, area=area, lost=lost, tickets=tickets)


OPEN = {"ka", "mine", "unassigned", "breached", "warning", "waiting"}


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, OPEN),
        ({"status": "all"}, OPEN | {"resolved"}),
        ({"status": "resolved"}, {"resolved"}),
        ({"status": "waiting_customer"}, {"waiting"}),
        ({"queue": "departure"}, {"ka"}),
        ({"queue": "arrival"}, OPEN - {"ka"}),
        ({"sla": "breached"}, {"breached"}),
        ({"sla": "warning"}, {"warning"}),
        ({"sla": "ok"}, OPEN - {"breached", "warning"}),
        ({"category": "lost"}, {"ka"}),
        ({"tier": "ka"}, {"ka"}),
        ({"area": "area"}, {"ka"}),
        ({"assignee": "me"}, {"mine"}),
        ({"assignee": "none"}, {"unassigned"}),
        ({"assignee": "agent"}, OPEN - {"mine", "unassigned"}),
        ({"q": "yt9000000000001"}, {"ka"}),
        ({"q": " YT 9000000000002 "}, {"mine"}),
        ({"q": "13800002222"}, {"mine"}),
        ({"q": "138-0000-1111"}, {"ka"}),
        ({"q": "人民路"}, {"unassigned"}),
        ({"q": "丢了"}, {"ka"}),
        ({"q": "丢了", "status": "all", "queue": "arrival"}, set()),
    ],
)
def test_queue_filters(client, desk, params, expected):
    ids = {"category": desk.lost.pk, "area": desk.area.pk, "assignee": desk.agent.pk}
    query = {k: (ids[k] if v in ("lost", "area", "agent") else v) for k, v in params.items()}
    client.force_login(desk.manager)

    response = client.get(reverse("queue"), query)

    assert response.status_code == 200
    assert desk.labels(response) == expected


def test_queue_lists_in_work_order_then_newest_first(client, desk):
    client.force_login(desk.manager)
    Ticket.objects.filter(pk=desk.tickets["waiting"].pk).update(priority=Priority.URGENT)

    work = [t.pk for t in client.get(reverse("queue")).context["page"].items]
    newest = [t.pk for t in client.get(reverse("queue"), {"sort": "newest"}).context["page"].items]

    assert work[0] == desk.tickets["waiting"].pk
    assert work[1:] == sorted(t.pk for k, t in desk.tickets.items() if k in OPEN - {"waiting"})
    assert newest == sorted((t.pk for k, t in desk.tickets.items() if k in OPEN), reverse=True)


def test_queue_shows_counts_by_status(client, desk):
    client.force_login(desk.manager)

    counts = client.get(reverse("queue")).context["counts"]

    assert counts == {Status.NEW: 0, Status.OPEN: 5, Status.WAITING_CUSTOMER: 1,
                      Status.WAITING_INTERNAL: 0, Status.REOPENED: 0}


# --- keyset paging --------------------------------------------------------------------------


@pytest.mark.parametrize("sort", ["priority", "newest"])
def test_more_pages_through_htmx_with_the_next_cursor(client, sort):
    point = PointFactory()
    manager = UserFactory(point=point, role=Role.MANAGER)
    tickets = [TicketFactory(point=point, priority=Priority.LOW if i % 2 else Priority.HIGH) for i in range(57)]
    order = (sorted(tickets, key=lambda t: (t.priority, t.pk)) if sort == "priority"
             else sorted(tickets, key=lambda t: -t.pk))
    client.force_login(manager)

    first = client.get(reverse("queue"), {"sort": sort, "q": ""})
    link = unescape(re.search(r'id="more-row".*?hx-get="([^"]+)"', first.content.decode(), re.S)[1])
    more = client.get(reverse("queue") + link, HTTP_HX_REQUEST="true")

    assert [t.pk for t in first.context["page"].items] == [t.pk for t in order[:50]]
    last = order[49]
    cursor = f"{last.priority}:{last.pk}" if sort == "priority" else str(last.pk)
    assert first.context["page"].next_cursor == cursor
    assert link == f"?sort={sort}&q=&cursor={cursor}"
    html = more.content.decode()
    assert more.status_code == 200
    assert [int(pk) for pk in re.findall(r'class="ticket-row" data-id="(\d+)"', html)] == [
        t.pk for t in order[50:]]
    assert html.lstrip().startswith("<tr")  # only the rows partial, no page around it
    assert "<html" not in html and 'id="filters"' not in html
    assert 'id="more-row"' not in html  # the last page


def test_an_htmx_filter_change_returns_the_results_partial(client, desk):
    client.force_login(desk.manager)

    response = client.get(reverse("queue"), {"tier": "ka"}, HTTP_HX_REQUEST="true")

    html = response.content.decode()
    assert "<html" not in html
    assert 'id="queue-table"' in html and 'id="bulk"' in html
    assert html.count('class="ticket-row"') == 1


# --- bulk actions ---------------------------------------------------------------------------


def test_bulk_assign(client, desk):
    client.force_login(desk.manager)
    other = AgentFactory(point=desk.manager.point)
    foreign = TicketFactory()
    chosen = [desk.tickets["unassigned"], desk.tickets["breached"]]

    response = client.post(reverse("queue_bulk"), {
        "ids": [t.pk for t in chosen] + [foreign.pk], "action": "assign", "assignee": other.pk,
        "next": "/queue/?tier=ka",
    }, **ENGLISH)

    assert (response.status_code, response["Location"]) == (302, "/queue/?tier=ka")
    assert notices(client, response) == ["2 tickets updated."]
    assert set(Ticket.objects.filter(assignee=other).values_list("pk", flat=True)) == {t.pk for t in chosen}
    foreign.refresh_from_db()
    assert foreign.assignee is None


def test_bulk_assign_to_someone_of_another_point_changes_nothing(client, desk):
    client.force_login(desk.manager)
    stranger = AgentFactory()

    response = client.post(reverse("queue_bulk"), {
        "ids": [desk.tickets["unassigned"].pk], "action": "assign", "assignee": stranger.pk,
    })

    assert response.status_code == 302
    assert Ticket.objects.get(pk=desk.tickets["unassigned"].pk).assignee is None


def test_bulk_status_is_all_or_nothing(client, desk):
    client.force_login(desk.manager)
    ok, closed = desk.tickets["mine"], desk.tickets["resolved"]

    done = client.post(reverse("queue_bulk"), {"ids": [ok.pk], "action": "status", "status": Status.RESOLVED},
                       **ENGLISH)
    assert notices(client, done) == ["1 tickets updated."]
    refused = client.post(reverse("queue_bulk"), {
        "ids": [desk.tickets["ka"].pk, closed.pk], "action": "status", "status": Status.WAITING_INTERNAL,
    }, **ENGLISH)

    ok.refresh_from_db()
    assert (ok.status, ok.is_open) == (Status.RESOLVED, False)
    assert notices(client, refused) == ["A ticket cannot go from Resolved to Waiting on courier or department."]
    assert Ticket.objects.get(pk=desk.tickets["ka"].pk).status == Status.OPEN


def test_bulk_goes_back_only_to_a_page_of_this_site(client, desk):
    client.force_login(desk.manager)

    response = client.post(reverse("queue_bulk"), {
        "ids": [desk.tickets["mine"].pk], "action": "status", "status": Status.WAITING_CUSTOMER,
        "next": "https://evil.example/phish",
    })

    assert response["Location"] == reverse("queue")


@pytest.mark.parametrize("role", [Role.COURIER, Role.DEPT_HEAD, Role.CUSTOMER])
def test_bulk_is_for_cs_staff(client, desk, role):
    client.force_login(UserFactory(point=desk.manager.point, role=role))

    response = client.post(reverse("queue_bulk"), {
        "ids": [desk.tickets["mine"].pk], "action": "status", "status": Status.RESOLVED,
    })

    assert response.status_code == 403


# --- new ticket -----------------------------------------------------------------------------


def test_an_agent_creates_a_ticket_with_evidence(client):
    point = PointFactory()
    agent = AgentFactory(point=point)
    customer = CustomerFactory(point=point, tier=Customer.Tier.HIGH, named_agent=agent)
    client.force_login(agent)

    response = client.post(reverse("ticket_new"), {
        "subject": "客户说快递显示签收但没收到", "description": "电话联系过", "waybill_no": " yt1234567890 ",
        "queue": Queue.ARRIVAL, "kind": Kind.FEEDBACK, "category": Category.objects.get(code="false_signoff").pk,
        "customer": customer.pk, "contact_phone": "13900001111", "files": [png()],
    })

    ticket = Ticket.objects.get()
    assert (response.status_code, response["Location"]) == (302, reverse("ticket_detail", args=[ticket.pk]))
    assert (ticket.channel, ticket.created_by, ticket.customer, ticket.assignee) == (
        Channel.WEB, agent, customer, agent)
    assert (ticket.waybill_no, ticket.contact_name, ticket.contact_phone) == (
        "YT1234567890", customer.name, "13900001111")
    assert ticket.priority == Priority.URGENT  # high-end, urgent category
    attachment = Attachment.objects.get(ticket=ticket)
    assert (attachment.original_name, attachment.content_type, attachment.size) == (
        "签收照片.png", "image/png", len(PNG))


def test_a_new_ticket_with_a_rejected_file_is_not_created(client):
    agent = AgentFactory()
    client.force_login(agent)
    fake = SimpleUploadedFile("照片.png", b"MZ\x90\x00 not a picture", content_type="image/png")

    response = client.post(reverse("ticket_new"), {
        "subject": "快件破损", "queue": Queue.ARRIVAL, "kind": Kind.FEEDBACK, "files": [fake],
    }, **ENGLISH)

    assert response.status_code == 200
    assert "The file&#x27;s content does not match its type: 照片.png" in response.content.decode()
    assert Ticket.objects.count() == 0


def test_a_new_ticket_for_a_customer_of_another_point_is_refused(client):
    agent = AgentFactory()
    client.force_login(agent)

    response = client.post(reverse("ticket_new"), {
        "subject": "x", "queue": Queue.ARRIVAL, "kind": Kind.INQUIRY, "customer": CustomerFactory().pk,
    })

    assert response.status_code == 200
    assert "customer" in response.context["form"].errors
    assert Ticket.objects.count() == 0


# --- actions on one ticket ------------------------------------------------------------------


@pytest.fixture
def team():
    point = PointFactory()
    supervisor = UserFactory(point=point, role=Role.SUPERVISOR)
    agent = AgentFactory(point=point, reports_to=supervisor)
    head = UserFactory(point=point, role=Role.DEPT_HEAD)
    customer = CustomerFactory(point=point, named_agent=agent)
    contact = UserFactory(point=point, role=Role.CUSTOMER, customer=customer)
    return point, supervisor, agent, head, customer, contact


def act(client, ticket, action, data=None, **extra):
    return client.post(reverse("ticket_action", args=[ticket.pk, action]), data or {}, **extra)


def test_reply_with_evidence_and_a_status(client, team):
    point, _sup, agent, _head, customer, _contact = team
    ticket = create(point, customer=customer)
    client.force_login(agent)

    response = act(client, ticket, "reply", {"body": "已联系派件员，今天送达", "status": Status.WAITING_CUSTOMER,
                                              "files": [png()]}, **ENGLISH)

    assert response["Location"] == reverse("ticket_detail", args=[ticket.pk])
    assert notices(client, response) == ["Reply sent."]
    ticket.refresh_from_db()
    assert ticket.status == Status.WAITING_CUSTOMER
    assert ticket.first_responded_at is not None
    message = Message.objects.get(ticket=ticket)
    assert (message.kind, message.body, message.author) == (Message.Kind.REPLY, "已联系派件员，今天送达", agent)
    assert message.attachments.get().original_name == "签收照片.png"


def test_an_empty_reply_is_refused_with_a_message(client, team):
    point, _sup, agent, _head, customer, _contact = team
    ticket = create(point, customer=customer)
    client.force_login(agent)

    response = act(client, ticket, "reply", {"body": ""}, **ENGLISH)

    assert response.status_code == 302
    assert notices(client, response) == ["Message: This field is required."]
    assert not Message.objects.filter(ticket=ticket).exists()


def test_note_resolve_and_reopen(client, team):
    point, _sup, agent, _head, customer, _contact = team
    ticket = create(point, customer=customer)
    client.force_login(agent)

    act(client, ticket, "note", {"body": "客户很急"})
    act(client, ticket, "resolve", {"body": "已重新派送并签收"})
    ticket.refresh_from_db()
    assert (ticket.status, ticket.is_open) == (Status.RESOLVED, False)
    assert list(Message.objects.filter(ticket=ticket).values_list("kind", "body")) == [
        (Message.Kind.NOTE, "客户很急"), (Message.Kind.REPLY, "已重新派送并签收"),
    ]

    act(client, ticket, "reopen")
    ticket.refresh_from_db()
    assert (ticket.status, ticket.reopen_count) == (Status.REOPENED, 1)


def test_assign_and_set_status(client, team):
    point, supervisor, agent, _head, customer, _contact = team
    ticket = create(point, customer=customer)
    other = AgentFactory(point=point, reports_to=supervisor)  # stays in the supervisor's scope
    client.force_login(supervisor)

    assigned = act(client, ticket, "assign", {"assignee": other.pk}, **ENGLISH)
    assert notices(client, assigned) == ["Assigned."]
    changed = act(client, ticket, "status", {"status": Status.WAITING_INTERNAL}, **ENGLISH)
    assert notices(client, changed) == ["Status changed."]
    refused = act(client, ticket, "assign", {"assignee": AgentFactory().pk}, **ENGLISH)
    assert notices(client, refused) == [
        "Assignee: Select a valid choice. That choice is not one of the available choices."]

    ticket.refresh_from_db()
    assert (ticket.assignee, ticket.status) == (other, Status.WAITING_INTERNAL)
    assert Notification.objects.filter(user=other, verb=ticket_notices.TICKET_ASSIGNED).count() == 1


def test_escalate_goes_to_the_agents_supervisor(client, team):
    point, supervisor, agent, _head, customer, _contact = team
    ticket = create(point, customer=customer)
    before = ticket.priority
    client.force_login(agent)

    act(client, ticket, "escalate", {"reason": "客户要求主管处理"})

    ticket.refresh_from_db()
    assert (ticket.escalated_to, ticket.priority) == (supervisor, before - 1)
    assert Message.objects.get(ticket=ticket).kind == Message.Kind.NOTE
    assert Notification.objects.filter(user=supervisor, verb=ticket_notices.ESCALATED).count() == 1


def test_vertical_followup_requested_and_completed_by_the_department_head(client, team):
    point, supervisor, agent, head, customer, _contact = team
    ticket = create(point, customer=customer)
    due = timezone.localtime() + dt.timedelta(days=1)
    client.force_login(supervisor)

    act(client, ticket, "followup", {"assigned_to": head.pk, "instructions": "跟进到派件员本人",
                                     "due_at": due.strftime("%Y-%m-%dT%H:%M")})

    followup = FollowUp.objects.get(ticket=ticket)
    assert (followup.assigned_to, followup.requested_by, followup.instructions) == (
        head, supervisor, "跟进到派件员本人")
    assert followup.due_at == due.replace(second=0, microsecond=0)
    ticket.refresh_from_db()
    assert ticket.status == Status.WAITING_INTERNAL

    client.force_login(head)
    assert client.get(reverse("ticket_detail", args=[ticket.pk])).status_code == 200
    act(client, ticket, "followup_done", {"followup": followup.pk, "result": "派件员已上门道歉"})

    followup.refresh_from_db()
    ticket.refresh_from_db()
    assert (followup.result, followup.done_at is not None) == ("派件员已上门道歉", True)
    assert ticket.status == Status.OPEN


def test_a_followup_of_someone_else_cannot_be_completed_by_field_staff(client, team):
    point, supervisor, _agent, head, customer, _contact = team
    courier = UserFactory(point=point, role=Role.COURIER)
    ticket = create(point, customer=customer)
    services.ticket_update(ticket=ticket, actor=supervisor, courier=courier)
    followup = services.followup_request(ticket=ticket, actor=supervisor, assigned_to=head,
                                         instructions="x", due_at=timezone.now() + dt.timedelta(hours=2))
    client.force_login(courier)

    response = act(client, ticket, "followup_done", {"followup": followup.pk, "result": "done"})

    assert response.status_code == 403
    followup.refresh_from_db()
    assert followup.done_at is None


def test_merge_a_duplicate_into_the_ticket_that_stays(client, team):
    point, _sup, agent, _head, customer, _contact = team
    keep = create(point, customer=customer, waybill_no="YT5550000000001")
    dup = create(point, customer=customer, waybill_no="yt5550000000001")
    services.ticket_add_note(ticket=dup, actor=agent, body="重复的留言")
    client.force_login(agent)
    assert [d.pk for d in client.get(reverse("ticket_detail", args=[dup.pk])).context["duplicates"]] == [keep.pk]

    response = act(client, dup, "merge", {"target": keep.pk}, **ENGLISH)

    assert notices(client, response) == [f"Merged into {keep.reference}."]
    dup.refresh_from_db()
    assert (dup.merged_into, dup.status) == (keep, Status.CLOSED)
    assert Message.objects.get(body="重复的留言").ticket == keep


def test_the_customer_writes_back_and_rates(client, team):
    point, _sup, agent, _head, customer, contact = team
    ticket = create(point, customer=customer)
    services.ticket_resolve(ticket=ticket, actor=agent, resolution="已处理")
    client.force_login(contact)

    act(client, ticket, "rate", {"score": "4", "comment": "处理很快"})
    ticket.refresh_from_db()
    assert (ticket.satisfaction, ticket.satisfaction_comment) == (4, "处理很快")
    assert Event.objects.filter(ticket=ticket, verb=Event.Verb.RATED, actor=contact).count() == 1

    act(client, ticket, "message", {"body": "又出问题了", "files": [png()]})
    ticket.refresh_from_db()
    assert ticket.status == Status.REOPENED
    message = Message.objects.get(ticket=ticket, kind=Message.Kind.CUSTOMER)
    assert message.attachments.count() == 1
    assert Notification.objects.filter(user=agent, verb=ticket_notices.CUSTOMER_MESSAGE).count() == 1


def test_an_open_ticket_cannot_be_rated(client, team):
    point, _sup, _agent, _head, customer, contact = team
    ticket = create(point, customer=customer)
    client.force_login(contact)

    response = act(client, ticket, "rate", {"score": "5"}, **ENGLISH)

    assert notices(client, response) == ["Only a resolved ticket can be rated."]
    ticket.refresh_from_db()
    assert ticket.satisfaction is None


@pytest.mark.parametrize("action", ["rate", "message"])
def test_staff_cannot_act_as_the_customer(client, team, action):
    point, _sup, agent, _head, customer, _contact = team
    ticket = create(point, customer=customer)
    client.force_login(agent)

    assert act(client, ticket, action, {"body": "x", "score": "5"}).status_code == 403


def test_an_unknown_action_is_refused(client, team):
    point, _sup, agent, _head, customer, _contact = team
    ticket = create(point, customer=customer)
    client.force_login(agent)

    assert act(client, ticket, "delete").status_code == 403


def test_actions_need_post(client, team):
    point, _sup, agent, _head, customer, _contact = team
    ticket = create(point, customer=customer)
    client.force_login(agent)

    assert client.get(reverse("ticket_action", args=[ticket.pk, "resolve"])).status_code == 405


# --- customer portal ------------------------------------------------------------------------


def test_a_customer_raises_a_ticket_with_a_photo_and_downloads_it(client, team):
    point, _sup, agent, _head, customer, contact = team
    client.force_login(contact)

    response = client.post(reverse("portal_new"), {
        "subject": "包裹破损", "waybill_no": "YT7000000000001", "kind": Kind.FEEDBACK,
        "description": "外箱压坏，里面的杯子碎了", "files": [png("破损.png")],
    })

    ticket = Ticket.objects.get()
    assert response["Location"] == reverse("ticket_detail", args=[ticket.pk])
    assert (ticket.channel, ticket.customer, ticket.created_by, ticket.point) == (
        Channel.PORTAL, customer, contact, point)
    assert (ticket.queue, ticket.assignee) == (Queue.DEPARTURE, agent)  # an e-commerce shop; its named agent
    attachment = Attachment.objects.get(ticket=ticket)
    assert (attachment.original_name, attachment.uploaded_by) == ("破损.png", contact)
    page = client.get(reverse("portal"))
    assert [t.pk for t in page.context["tickets"]] == [ticket.pk]
    download = client.get(reverse("attachment_download", args=[attachment.pk]))
    assert (download.status_code, b"".join(download.streaming_content)) == (200, PNG)
    assert Notification.objects.filter(user=agent, verb=ticket_notices.TICKET_ASSIGNED).count() == 1


def test_a_portal_ticket_with_a_file_of_a_refused_type_is_not_created(client, team):
    *_rest, contact = team
    client.force_login(contact)

    response = client.post(reverse("portal_new"), {
        "subject": "包裹破损", "kind": Kind.FEEDBACK, "description": "见附件",
        "files": [SimpleUploadedFile("run.exe", b"MZ\x90\x00", content_type="application/octet-stream")],
    }, **ENGLISH)

    assert response.status_code == 200
    assert "This type of file is not accepted: run.exe" in response.content.decode()
    assert Ticket.objects.count() == 0


# --- language -------------------------------------------------------------------------------


def _mo_compiled() -> bool:
    return any((p / "zh_Hans" / "LC_MESSAGES" / "django.mo").exists() for p in django_settings.LOCALE_PATHS)


def test_pages_are_in_simplified_chinese_by_default(client):
    client.force_login(UserFactory(role=Role.MANAGER))

    html = client.get(reverse("queue")).content.decode()

    assert '<html lang="zh-CN">' in html
    with override("zh-hans"):
        from django.utils.translation import gettext

        expected = gettext("No tickets match.")
    assert expected in html
    if _mo_compiled():
        assert expected == "没有符合条件的工单。"


def test_english_is_available(client):
    client.force_login(UserFactory(role=Role.MANAGER))

    html = client.get(reverse("queue"), **ENGLISH).content.decode()

    assert '<html lang="en">' in html
    assert "No tickets match." in html


def test_classify_corrects_category_kind_queue_priority_and_records_it(client, team):
    point, _sup, agent, _head, customer, _contact = team
    ticket = create(point, customer=customer)
    lost = Category.objects.get(point=None, code="lost")
    area = AreaFactory(point=point)
    client.force_login(agent)

    response = act(client, ticket, "classify", {
        "category": lost.pk, "kind": "feedback", "queue": "departure", "priority": 1,
        "area": area.pk, "waybill_no": " yt5550001112223 ",
    }, **ENGLISH)

    assert notices(client, response) == ["Ticket updated."]
    ticket.refresh_from_db()
    assert (ticket.category, ticket.kind, ticket.queue, ticket.priority, ticket.area, ticket.waybill_no) == (
        lost, "feedback", "departure", 1, area, "YT5550001112223")
    event = Event.objects.filter(ticket=ticket, verb=Event.Verb.UPDATED).get()
    assert sorted(event.data["fields"]) == ["area", "category", "kind", "priority", "queue", "waybill_no"]


def test_classify_refuses_an_area_of_another_point(client, team):
    point, _sup, agent, _head, customer, _contact = team
    ticket = create(point, customer=customer)
    client.force_login(agent)

    act(client, ticket, "classify", {"kind": "inquiry", "queue": "arrival", "priority": 3,
                                     "area": AreaFactory().pk}, **ENGLISH)

    ticket.refresh_from_db()
    assert ticket.area is None
    assert not Event.objects.filter(ticket=ticket, verb=Event.Verb.UPDATED).exists()
