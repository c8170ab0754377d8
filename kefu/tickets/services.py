"""Writes on tickets. Every function is keyword-only, atomic, checks its actor
(kefu/tickets/permissions.py; no actor is the system) and records an event.

Times are aware datetimes (stored UTC, shown Asia/Shanghai).
"""

from __future__ import annotations

import datetime as dt
import logging

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.customers.models import Customer
from kefu.notifications.services import notify
from kefu.orgs import selectors as org_selectors
from kefu.orgs.models import Area, NetworkPoint, Role, User
from kefu.tickets import events, loads, notices, permissions, sla
from kefu.tickets.attachments import attachment_add
from kefu.tickets.models import (
    Attachment,
    Category,
    Event,
    FollowUp,
    Kind,
    Message,
    Priority,
    Status,
    Ticket,
)
from kefu.tickets.routing import Assignment, choose_assignee, priority_for

logger = logging.getLogger(__name__)

# Who may move a ticket where. Resolved/closed tickets only come back by reopening.
TRANSITIONS: dict[str, set[str]] = {
    Status.NEW: {Status.OPEN, Status.WAITING_CUSTOMER, Status.WAITING_INTERNAL, Status.RESOLVED, Status.CLOSED},
    Status.OPEN: {Status.WAITING_CUSTOMER, Status.WAITING_INTERNAL, Status.RESOLVED, Status.CLOSED},
    Status.WAITING_CUSTOMER: {Status.OPEN, Status.WAITING_INTERNAL, Status.RESOLVED, Status.CLOSED},
    Status.WAITING_INTERNAL: {Status.OPEN, Status.WAITING_CUSTOMER, Status.RESOLVED, Status.CLOSED},
    Status.REOPENED: {Status.OPEN, Status.WAITING_CUSTOMER, Status.WAITING_INTERNAL, Status.RESOLVED, Status.CLOSED},
    Status.RESOLVED: {Status.CLOSED, Status.REOPENED},
    Status.CLOSED: {Status.REOPENED},
}

def ticket_link(ticket: Ticket) -> str:
    return reverse("ticket_detail", args=[ticket.pk])


def notice_params(ticket: Ticket) -> dict:
    return {"ref": ticket.reference, "subject": ticket.subject[:80]}


def ticket_create(  # noqa: PLR0913 (a ticket's fields, keyword-only: the one door every channel uses)
    *,
    point: NetworkPoint,
    subject: str,
    queue: str,
    channel: str,
    actor: User | None = None,
    kind: str = Kind.INQUIRY,
    description: str = "",
    waybill_no: str = "",
    customer: Customer | None = None,
    contact_name: str = "",
    contact_phone: str = "",
    category: Category | None = None,
    area: Area | None = None,
    platform_message_id: str = "",
    created_at: dt.datetime | None = None,
    assign: bool = True,
    notify_assignee: bool = True,
) -> Ticket:
    """Open a ticket, set its priority and SLA clocks, and route it.

    Atomic, but its reads (SLA policy, routing) come before the transaction: on
    SQLite a write transaction holds the one write lock from its first statement,
    so the less it does, the more tickets a second can be written."""
    permissions.check_create(actor, point=point, customer=customer)
    _check_same_point(point, customer=customer, area=area, category=category)
    subject = subject.strip()
    if not subject:
        raise ValidationError({"subject": _("A subject is required.")})
    created_at = created_at or timezone.now()
    if area is None and customer is not None and customer.area_id:
        area = customer.area
    tier = customer.tier if customer else Customer.Tier.REGULAR
    times = sla.compute(
        point=point, created_at=created_at, queue=queue,
        category_id=category.pk if category else None, tier=tier,
    )
    choice = (
        choose_assignee(point=point, queue=queue, area=area, customer=customer)
        if assign else Assignment(None, "")
    )
    ticket = Ticket(
        point=point, subject=subject[:200], description=description, queue=queue,
        channel=channel, kind=kind, waybill_no=waybill_no.strip().upper(), customer=customer,
        contact_name=contact_name or (customer.name if customer else ""),
        contact_phone=contact_phone or (customer.phone if customer else ""),
        category=category, area=area, platform_message_id=platform_message_id,
        priority=priority_for(customer=customer, category=category, kind=kind),
        created_by=actor, created_at=created_at, sla_policy_id=times.policy_id,
        first_response_due=times.first_response_due,
        first_response_warn_at=times.first_response_warn_at,
        resolution_due=times.resolution_due, resolution_warn_at=times.resolution_warn_at,
        assignee=choice.agent,
    )
    with transaction.atomic():
        ticket.save(force_insert=True)
        rows = [Event(ticket=ticket, actor=actor, verb=Event.Verb.CREATED, data={"channel": channel},
                      created_at=created_at)]
        if assign:
            rows.append(Event(ticket=ticket, actor=actor, verb=Event.Verb.ASSIGNED, created_at=created_at,
                              data=_assigned_data(choice.agent, old=None, reason=choice.reason)))
        Event.objects.bulk_create(rows)
        if choice.agent is not None:
            loads.note_routed(point_id=point.pk, agent_id=choice.agent.pk)
        if choice.agent is not None and notify_assignee and (actor is None or actor.pk != choice.agent.pk):
            notify(users=[choice.agent], verb=notices.TICKET_ASSIGNED,
                   params=notice_params(ticket), link=ticket_link(ticket))
    return ticket


def _assigned_data(agent: User | None, *, old: int | None, reason: str) -> dict:
    return {"reason": reason, "old": old, "assignee": agent.pk if agent else None,
            "assignee_name": str(agent) if agent else ""}


def _check_same_point(point: NetworkPoint, **objs) -> None:
    for name, obj in objs.items():
        if obj is None:
            continue
        obj_point = getattr(obj, "point_id", None)
        if obj_point is not None and obj_point != point.pk:
            raise ValidationError({name: _("This belongs to another network point.")})


def _set_assignee(
    ticket: Ticket, agent: User | None, *, actor, reason: str, at=None, notify_assignee=True
) -> None:
    old = ticket.assignee_id
    ticket.assignee = agent
    Ticket.objects.filter(pk=ticket.pk).update(assignee=agent)
    loads.forget(ticket.point_id)
    events.record(ticket=ticket, verb=Event.Verb.ASSIGNED, actor=actor, at=at,
                  **_assigned_data(agent, old=old, reason=reason))
    if agent is not None and notify_assignee and (actor is None or actor.pk != agent.pk):
        notify(users=[agent], verb=notices.TICKET_ASSIGNED,
               params=notice_params(ticket), link=ticket_link(ticket))


def _lock(ticket: Ticket) -> Ticket:
    return Ticket.objects.select_for_update().get(pk=ticket.pk)


@transaction.atomic
def ticket_assign(*, ticket: Ticket, assignee: User | None, actor: User) -> Ticket:
    """Manual (re)assignment to an agent of the same point."""
    ticket = _lock(ticket)
    permissions.check_action(actor, 'assign', ticket)
    if assignee is not None and (assignee.point_id != ticket.point_id or not assignee.is_cs):
        raise ValidationError({"assignee": _("Choose an agent of this network point.")})
    if assignee is not None and assignee.pk == ticket.assignee_id:
        return ticket
    _set_assignee(ticket, assignee, actor=actor, reason="manual")
    return ticket


def _set_status(ticket: Ticket, new: str, *, actor, at: dt.datetime) -> None:
    old = ticket.status
    if new == old:
        return
    if new not in TRANSITIONS.get(old, set()):
        raise ValidationError(
            {"status": _("A ticket cannot go from %(old)s to %(new)s.")
             % {"old": Status(old).label, "new": Status(new).label}}
        )
    ticket.status = new
    if ticket.is_open != (new in Ticket.OPEN_STATUSES):
        loads.forget(ticket.point_id)
    ticket.is_open = new in Ticket.OPEN_STATUSES
    fields = ["status", "is_open", "updated_at"]
    if new == Status.RESOLVED:
        ticket.resolved_at = at
        fields.append("resolved_at")
    if new == Status.CLOSED:
        ticket.closed_at = at
        fields.append("closed_at")
    if new == Status.REOPENED:
        ticket.resolved_at = None
        ticket.closed_at = None
        ticket.reopen_count = F("reopen_count") + 1
        fields += ["resolved_at", "closed_at", "reopen_count"]
    ticket.save(update_fields=fields)
    if new == Status.REOPENED:
        ticket.refresh_from_db(fields=["reopen_count"])
    events.record(ticket=ticket, verb=Event.Verb.STATUS, actor=actor, at=at, old=old, new=new)


@transaction.atomic
def ticket_set_status(*, ticket: Ticket, status: str, actor: User | None) -> Ticket:
    ticket = _lock(ticket)
    permissions.check_action(actor, 'status', ticket)
    _set_status(ticket, status, actor=actor, at=timezone.now())
    return ticket


@transaction.atomic
def ticket_reply(
    *, ticket: Ticket, actor: User, body: str, status: str | None = None,
    files: list[UploadedFile] | None = None, at: dt.datetime | None = None,
) -> Message:
    """A reply to the customer. The first one stops the first-response clock."""
    ticket = _lock(ticket)
    permissions.check_action(actor, 'reply', ticket)
    at = at or timezone.now()
    message = _add_message(ticket, actor=actor, kind=Message.Kind.REPLY, body=body, at=at)
    if ticket.first_responded_at is None:
        _stop_first_response_clock(ticket, at)
    for f in files or []:
        attachment_add(ticket=ticket, actor=actor, upload=f, message=message)
    events.record(ticket=ticket, verb=Event.Verb.REPLIED, actor=actor, at=at, message=message.pk)
    target = status or (Status.OPEN if ticket.status in (Status.NEW, Status.REOPENED) else None)
    if target:
        _set_status(ticket, target, actor=actor, at=at)
    return message


@transaction.atomic
def ticket_add_note(
    *, ticket: Ticket, actor: User, body: str, files: list[UploadedFile] | None = None
) -> Message:
    """An internal note: never shown to the customer."""
    ticket = _lock(ticket)
    permissions.check_action(actor, 'note', ticket)
    now = timezone.now()
    message = _add_message(ticket, actor=actor, kind=Message.Kind.NOTE, body=body, at=now)
    for f in files or []:
        attachment_add(ticket=ticket, actor=actor, upload=f, message=message)
    events.record(ticket=ticket, verb=Event.Verb.NOTED, actor=actor, at=now, message=message.pk)
    return message


@transaction.atomic
def ticket_customer_message(
    *, ticket: Ticket, actor: User, body: str, files: list[UploadedFile] | None = None
) -> Message:
    """The customer writes on their ticket: it comes back to the agent's attention."""
    ticket = _lock(ticket)
    permissions.check_action(actor, 'message', ticket)
    now = timezone.now()
    message = _add_message(ticket, actor=actor, kind=Message.Kind.CUSTOMER, body=body, at=now)
    for f in files or []:
        attachment_add(ticket=ticket, actor=actor, upload=f, message=message)
    events.record(ticket=ticket, verb=Event.Verb.CUSTOMER_MESSAGE, actor=actor, at=now)
    if ticket.status == Status.WAITING_CUSTOMER:
        _set_status(ticket, Status.OPEN, actor=actor, at=now)
    elif ticket.status in (Status.RESOLVED, Status.CLOSED):
        _set_status(ticket, Status.REOPENED, actor=actor, at=now)
    if ticket.assignee_id:
        notify(users=[ticket.assignee], verb=notices.CUSTOMER_MESSAGE,
               params=notice_params(ticket), link=ticket_link(ticket))
    return message


def _stop_first_response_clock(ticket: Ticket, at: dt.datetime) -> None:
    # The SLA notices start over for the resolution clock.
    ticket.first_responded_at = at
    ticket.sla_warned_at = None
    ticket.sla_breached_at = None
    ticket.save(update_fields=["first_responded_at", "sla_warned_at", "sla_breached_at", "updated_at"])


def _add_message(ticket: Ticket, *, actor, kind: str, body: str, at) -> Message:
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": _("The message is empty.")})
    return Message.objects.create(ticket=ticket, author=actor, kind=kind, body=body, created_at=at)


@transaction.atomic
def ticket_resolve(*, ticket: Ticket, actor: User, resolution: str = "") -> Ticket:
    ticket = _lock(ticket)
    permissions.check_action(actor, 'resolve', ticket)
    now = timezone.now()
    if resolution.strip():
        _add_message(ticket, actor=actor, kind=Message.Kind.REPLY, body=resolution, at=now)
        if ticket.first_responded_at is None:
            _stop_first_response_clock(ticket, now)
    _set_status(ticket, Status.RESOLVED, actor=actor, at=now)
    return ticket


@transaction.atomic
def ticket_reopen(*, ticket: Ticket, actor: User) -> Ticket:
    ticket = _lock(ticket)
    permissions.check_action(actor, 'reopen', ticket)
    _set_status(ticket, Status.REOPENED, actor=actor, at=timezone.now())
    return ticket


@transaction.atomic
def ticket_rate(*, ticket: Ticket, actor: User, score: int, comment: str = "") -> Ticket:
    """Satisfaction 1–5, given once the ticket is resolved."""
    ticket = _lock(ticket)
    permissions.check_action(actor, 'rate', ticket)
    if ticket.status not in (Status.RESOLVED, Status.CLOSED):
        raise ValidationError({"score": _("Only a resolved ticket can be rated.")})
    if not 1 <= int(score) <= 5:
        raise ValidationError({"score": _("The score must be between 1 and 5.")})
    ticket.satisfaction = int(score)
    ticket.satisfaction_comment = comment[:500]
    ticket.save(update_fields=["satisfaction", "satisfaction_comment", "updated_at"])
    events.record(ticket=ticket, verb=Event.Verb.RATED, actor=actor, score=int(score))
    return ticket


@transaction.atomic
def ticket_escalate(*, ticket: Ticket, actor: User, reason: str) -> Ticket:
    """Hand the ticket to the supervisor above its agent (or the point's supervisor)."""
    ticket = _lock(ticket)
    permissions.check_action(actor, 'escalate', ticket)
    base = ticket.assignee or actor
    lead = org_selectors.supervisor_of(base)
    if lead is None or lead.point_id != ticket.point_id:
        raise ValidationError({"reason": _("There is no supervisor to escalate to.")})
    now = timezone.now()
    ticket.escalated_to = lead
    ticket.escalated_at = now
    ticket.priority = max(int(Priority.URGENT), ticket.priority - 1)
    ticket.save(update_fields=["escalated_to", "escalated_at", "priority", "updated_at"])
    if reason.strip():
        _add_message(ticket, actor=actor, kind=Message.Kind.NOTE, body=reason, at=now)
    events.record(ticket=ticket, verb=Event.Verb.ESCALATED, actor=actor, at=now, to=lead.pk,
                  to_name=str(lead), reason=reason)
    notify(users=[lead], verb=notices.ESCALATED, params=notice_params(ticket),
           link=ticket_link(ticket))
    return ticket


@transaction.atomic
def followup_request(
    *, ticket: Ticket, actor: User, assigned_to: User, instructions: str, due_at: dt.datetime
) -> FollowUp:
    """Vertical follow-up (垂直跟进): a department head or supervisor takes the
    problem down to the courier by `due_at`. The ticket waits on them."""
    ticket = _lock(ticket)
    permissions.check_action(actor, 'followup', ticket)
    allowed = {Role.DEPT_HEAD, Role.SUPERVISOR, Role.MANAGER, Role.TEAM_LEAD, Role.OWNER}
    if assigned_to.point_id != ticket.point_id or assigned_to.role not in allowed:
        raise ValidationError({"assigned_to": _("Choose a supervisor or department head of this point.")})
    if not instructions.strip():
        raise ValidationError({"instructions": _("Say what is asked.")})
    if due_at <= timezone.now():
        raise ValidationError({"due_at": _("The due time must be in the future.")})
    followup = FollowUp.objects.create(
        ticket=ticket, assigned_to=assigned_to, requested_by=actor,
        instructions=instructions.strip(), due_at=due_at,
    )
    events.record(ticket=ticket, verb=Event.Verb.FOLLOWUP_REQUESTED, actor=actor,
                  to=assigned_to.pk, to_name=str(assigned_to), due=due_at.isoformat())
    if ticket.is_open and ticket.status != Status.WAITING_INTERNAL:
        _set_status(ticket, Status.WAITING_INTERNAL, actor=actor, at=timezone.now())
    notify(users=[assigned_to], verb=notices.FOLLOWUP, params=notice_params(ticket),
           link=ticket_link(ticket))
    return followup


@transaction.atomic
def followup_complete(*, followup: FollowUp, actor: User, result: str) -> FollowUp:
    followup = FollowUp.objects.select_for_update().select_related("ticket").get(pk=followup.pk)
    permissions.check_followup_done(actor, followup)
    if followup.done_at is not None:
        return followup
    if not result.strip():
        raise ValidationError({"result": _("Say what was done.")})
    followup.done_at = timezone.now()
    followup.result = result.strip()
    followup.save(update_fields=["done_at", "result"])
    ticket = _lock(followup.ticket)
    events.record(ticket=ticket, verb=Event.Verb.FOLLOWUP_DONE, actor=actor, result=followup.result)
    if ticket.status == Status.WAITING_INTERNAL:
        _set_status(ticket, Status.OPEN, actor=actor, at=followup.done_at)
    return followup


@transaction.atomic
def ticket_merge(*, source: Ticket, target: Ticket, actor: User) -> Ticket:
    """Fold a duplicate into the ticket that stays; both must concern the same waybill."""
    if source.pk == target.pk:
        raise ValidationError({"target": _("A ticket cannot be merged into itself.")})
    first, second = sorted([source, target], key=lambda t: t.pk)
    _lock(first), _lock(second)
    source.refresh_from_db()
    target.refresh_from_db()
    if source.point_id != target.point_id:
        raise ValidationError({"target": _("This belongs to another network point.")})
    permissions.check_action(actor, "merge", source)
    if not source.waybill_no or source.waybill_no != target.waybill_no:
        raise ValidationError({"target": _("Only tickets about the same waybill can be merged.")})
    if source.merged_into_id:
        raise ValidationError({"target": _("This ticket was already merged.")})
    now = timezone.now()
    Message.objects.filter(ticket=source).update(ticket=target)
    Attachment.objects.filter(ticket=source).update(ticket=target)
    source.merged_into = target
    source.save(update_fields=["merged_into", "updated_at"])
    if source.is_open:
        _set_status(source, Status.CLOSED, actor=actor, at=now)
    events.record(ticket=source, verb=Event.Verb.MERGED, actor=actor, at=now, into=target.reference)
    events.record(ticket=target, verb=Event.Verb.MERGED, actor=actor, at=now, **{"from": source.reference})
    return target


@transaction.atomic
def ticket_update(*, ticket: Ticket, actor: User, **fields) -> Ticket:
    """Edit the classification of a ticket: category, kind, queue, priority, area, courier."""
    allowed = {"category", "kind", "queue", "priority", "area", "courier", "waybill_no", "subject"}
    unknown = set(fields) - allowed
    if unknown:
        raise ValidationError(_("These fields cannot be changed: %(f)s") % {"f": ", ".join(sorted(unknown))})
    ticket = _lock(ticket)
    permissions.check_update(actor, ticket, fields)
    point = ticket.point
    _check_same_point(point, category=fields.get("category"), area=fields.get("area"),
                      courier=fields.get("courier"))
    if "waybill_no" in fields:
        fields["waybill_no"] = (fields["waybill_no"] or "").strip().upper()
    changed = []
    for name, value in fields.items():
        if getattr(ticket, name) != value:
            setattr(ticket, name, value)
            changed.append(name)
    if changed:
        ticket.save(update_fields=changed + ["updated_at"])
        events.record(ticket=ticket, verb=Event.Verb.UPDATED, actor=actor, fields=changed)
    return ticket


@transaction.atomic
def tickets_bulk_assign(*, tickets: list[Ticket], assignee: User | None, actor: User) -> int:
    for t in tickets:
        ticket_assign(ticket=t, assignee=assignee, actor=actor)
    return len(tickets)


@transaction.atomic
def tickets_bulk_status(*, tickets: list[Ticket], status: str, actor: User) -> int:
    for t in tickets:
        ticket_set_status(ticket=t, status=status, actor=actor)
    return len(tickets)
