import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from kefu.core.business_time import SHANGHAI
from kefu.customers.models import Customer
from kefu.customers.tests.factories import CustomerFactory
from kefu.notifications.models import Notification
from kefu.orgs.models import Queue, Role
from kefu.orgs.tests.factories import AgentFactory, AreaFactory, PointFactory, UserFactory
from kefu.tickets import attachments, notices, routing, services
from kefu.tickets.models import Category, Channel, Event, Kind, Message, Priority, Status, Ticket
from kefu.tickets.sla_sweep import sla_sweep

pytestmark = pytest.mark.django_db


def create(point, **kw):
    kw.setdefault("subject", "快件三天没更新")
    kw.setdefault("queue", Queue.ARRIVAL)
    kw.setdefault("channel", Channel.WEB)
    return services.ticket_create(point=point, **kw)


def test_area_owner_gets_the_ticket_before_the_named_agent():
    point = PointFactory()
    owner, named = AgentFactory(point=point), AgentFactory(point=point)
    area = AreaFactory(point=point, owner=owner)
    customer = CustomerFactory(point=point, named_agent=named, area=area)
    ticket = create(point, customer=customer)
    assert ticket.assignee == owner
    assert ticket.area == area
    assert Event.objects.get(ticket=ticket, verb=Event.Verb.ASSIGNED).data["reason"] == "area_owner"


def test_named_agent_when_no_area_owner():
    point = PointFactory()
    named = AgentFactory(point=point)
    customer = CustomerFactory(point=point, named_agent=named, tier=Customer.Tier.KA)
    ticket = create(point, customer=customer)
    assert ticket.assignee == named
    assert ticket.priority == Priority.URGENT


def test_least_loaded_agent_of_the_queue_on_shift():
    point = PointFactory()
    busy = AgentFactory(point=point, queue=Queue.ARRIVAL)
    idle = AgentFactory(point=point, queue=Queue.ARRIVAL)
    AgentFactory(point=point, queue=Queue.ARRIVAL, on_shift=False)
    AgentFactory(point=point, queue=Queue.DEPARTURE)
    AgentFactory(queue=Queue.ARRIVAL)  # another point's agent, idle
    create(point, assign=False).assignee = None
    services.ticket_assign(ticket=create(point, assign=False), assignee=busy, actor=busy)
    ticket = create(point)
    assert ticket.assignee == idle
    notice = Notification.objects.get(user=idle)
    assert notice.verb == notices.TICKET_ASSIGNED


def test_priority_rules():
    point = PointFactory()
    lost = Category.objects.get(code="lost", point=None)
    delay = Category.objects.get(code="delay", point=None)
    regular = CustomerFactory(point=point, tier=Customer.Tier.REGULAR)
    high = CustomerFactory(point=point, tier=Customer.Tier.HIGH)
    assert routing.priority_for(customer=regular, category=delay, kind=Kind.INQUIRY) == Priority.LOW
    assert routing.priority_for(customer=regular, category=delay, kind=Kind.FEEDBACK) == Priority.NORMAL
    assert routing.priority_for(customer=regular, category=lost, kind=Kind.FEEDBACK) == Priority.HIGH
    assert routing.priority_for(customer=high, category=lost, kind=Kind.INQUIRY) == Priority.URGENT


def test_sla_due_times_use_business_hours_across_national_day():
    point = PointFactory()
    created = dt.datetime(2026, 9, 30, 17, 30, tzinfo=SHANGHAI)
    ticket = create(point, created_at=created)
    # Arrival policy: 60 business minutes to answer, warned 30 business minutes before.
    # 30 minutes before 8 Oct 09:00 is the opening of 8 Oct, not the eve of the holiday.
    assert ticket.first_response_due == dt.datetime(2026, 10, 8, 9, 0, tzinfo=SHANGHAI)
    assert ticket.first_response_warn_at == dt.datetime(2026, 10, 8, 8, 30, tzinfo=SHANGHAI)


def test_reply_stops_first_response_clock_and_opens():
    point = PointFactory()
    agent = AgentFactory(point=point)
    ticket = create(point)
    services.ticket_reply(ticket=ticket, actor=agent, body="您好,已联系派件员今天送达。")
    ticket.refresh_from_db()
    assert ticket.first_responded_at is not None
    assert ticket.status == Status.OPEN
    assert list(ticket.messages.values_list("kind", flat=True)) == [Message.Kind.REPLY]


def test_resolve_rate_reopen_close_cycle():
    point = PointFactory()
    agent = AgentFactory(point=point)
    customer = CustomerFactory(point=point)
    contact = UserFactory(point=point, role=Role.CUSTOMER, customer=customer)
    ticket = create(point, customer=customer)
    services.ticket_resolve(ticket=ticket, actor=agent, resolution="已签收")
    with pytest.raises(ValidationError):
        services.ticket_rate(ticket=ticket, actor=contact, score=6)
    services.ticket_rate(ticket=ticket, actor=contact, score=5, comment="很快")
    services.ticket_reopen(ticket=ticket, actor=agent)
    ticket.refresh_from_db()
    assert (ticket.status, ticket.is_open, ticket.reopen_count, ticket.satisfaction) == (
        Status.REOPENED, True, 1, 5)
    services.ticket_set_status(ticket=ticket, status=Status.CLOSED, actor=agent)
    ticket.refresh_from_db()
    assert ticket.is_open is False and ticket.closed_at is not None
    verbs = list(Event.objects.filter(ticket=ticket).values_list("verb", flat=True))
    assert verbs == ["created", "assigned", "status", "rated", "status", "status"]


def test_illegal_transition_is_refused():
    point = PointFactory()
    ticket = create(point)
    services.ticket_set_status(ticket=ticket, status=Status.CLOSED, actor=None)
    with pytest.raises(ValidationError):
        services.ticket_set_status(ticket=ticket, status=Status.WAITING_CUSTOMER, actor=None)


def test_escalation_goes_to_the_agents_supervisor():
    point = PointFactory()
    supervisor = UserFactory(point=point, role=Role.SUPERVISOR)
    agent = AgentFactory(point=point, reports_to=supervisor)
    ticket = create(point)
    services.ticket_assign(ticket=ticket, assignee=agent, actor=supervisor)
    services.ticket_escalate(ticket=ticket, actor=agent, reason="客户威胁投诉12305")
    ticket.refresh_from_db()
    assert ticket.escalated_to == supervisor
    assert Notification.objects.filter(user=supervisor, verb=notices.ESCALATED).count() == 1


def test_vertical_followup_waits_then_reopens_work():
    point = PointFactory()
    head = UserFactory(point=point, role=Role.DEPT_HEAD)
    agent = AgentFactory(point=point)
    ticket = create(point)
    due = dt.datetime.now(SHANGHAI) + dt.timedelta(hours=2)
    fu = services.followup_request(ticket=ticket, actor=agent, assigned_to=head,
                                   instructions="请跟到派件员,今天18点前上楼派送", due_at=due)
    ticket.refresh_from_db()
    assert ticket.status == Status.WAITING_INTERNAL
    services.followup_complete(followup=fu, actor=head, result="已上楼签收")
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN


def test_merge_requires_same_waybill_and_moves_messages():
    point = PointFactory()
    agent = AgentFactory(point=point)
    a = create(point, waybill_no="YT1234567890123")
    b = create(point, waybill_no="yt1234567890123")
    c = create(point, waybill_no="YT9999999999999")
    services.ticket_add_note(ticket=b, actor=agent, body="重复留言")
    with pytest.raises(ValidationError):
        services.ticket_merge(source=c, target=a, actor=agent)
    services.ticket_merge(source=b, target=a, actor=agent)
    b.refresh_from_db()
    assert b.merged_into == a and b.status == Status.CLOSED
    assert a.messages.count() == 1


def test_attachment_type_is_checked_against_content(settings):
    point = PointFactory()
    agent = AgentFactory(point=point)
    ticket = create(point)
    png = SimpleUploadedFile("上楼照片.png", b"\x89PNG\r\n\x1a\n" + b"0" * 100)
    att = attachments.attachment_add(ticket=ticket, actor=agent, upload=png)
    assert att.content_type == "image/png" and att.size == 108
    assert "上楼" not in att.file.name  # stored under an opaque name
    fake = SimpleUploadedFile("invoice.pdf", b"MZ\x90\x00 not a pdf")
    with pytest.raises(ValidationError):
        attachments.attachment_add(ticket=ticket, actor=agent, upload=fake)
    exe = SimpleUploadedFile("run.exe", b"MZ")
    with pytest.raises(ValidationError):
        attachments.attachment_add(ticket=ticket, actor=agent, upload=exe)
    settings.KEFU_MAX_ATTACHMENT_BYTES = 50
    with pytest.raises(ValidationError):
        attachments.attachment_add(ticket=ticket, actor=agent, upload=png)


def test_sla_sweep_warns_then_breaches_once_each():
    point = PointFactory()
    supervisor = UserFactory(point=point, role=Role.SUPERVISOR)
    agent = AgentFactory(point=point, reports_to=supervisor)
    created = dt.datetime(2026, 11, 23, 9, 0, tzinfo=SHANGHAI)
    ticket = create(point, created_at=created)
    assert ticket.assignee == agent
    # Arrival: first response due 10:00, warned from 09:30.
    assert sla_sweep(now=created + dt.timedelta(minutes=29)) == {"warned": 0, "breached": 0}
    assert sla_sweep(now=created + dt.timedelta(minutes=30)) == {"warned": 1, "breached": 0}
    assert sla_sweep(now=created + dt.timedelta(minutes=45)) == {"warned": 0, "breached": 0}
    assert sla_sweep(now=created + dt.timedelta(minutes=60)) == {"warned": 0, "breached": 1}
    assert sla_sweep(now=created + dt.timedelta(minutes=61)) == {"warned": 0, "breached": 0}
    verbs = sorted(Notification.objects.filter(verb__startswith="sla").values_list("user__username", "verb"))
    assert verbs == sorted([
        (agent.username, "sla_warning"), (supervisor.username, "sla_warning"),
        (agent.username, "sla_breach"), (supervisor.username, "sla_breach"),
    ])


def test_other_points_objects_are_refused():
    point, other = PointFactory(), PointFactory()
    with pytest.raises(ValidationError):
        create(point, customer=CustomerFactory(point=other))
    ticket = create(point)
    with pytest.raises(ValidationError):
        services.ticket_assign(ticket=ticket, assignee=AgentFactory(point=other), actor=None)


def test_platform_message_id_is_unique_per_point():
    point = PointFactory()
    create(point, platform_message_id="M1")
    create(PointFactory(), platform_message_id="M1")
    assert Ticket.objects.filter(platform_message_id="M1").count() == 2
