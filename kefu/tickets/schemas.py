"""Shapes of the ticket endpoints' input and output (kefu/tickets/api.py). Output is
built by the functions at the bottom from model rows already loaded, so serialising
costs no query."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from django.urls import reverse
from django.utils import timezone
from ninja import Field, Schema
from pydantic import BeforeValidator, StringConstraints

from kefu.customers.models import Customer
from kefu.orgs.models import Queue
from kefu.tickets import sla
from kefu.tickets.models import Channel, Kind, Message, Priority, SLAState, Status, Ticket


def _blank_to_none(value):
    return None if value == "" else value


Subject = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Body = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50_000)]
Waybill = Annotated[str, StringConstraints(strip_whitespace=True, to_upper=True, max_length=40)]
CategoryCode = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]
OptionalId = Annotated[int | None, BeforeValidator(_blank_to_none)]


class TicketIn(Schema):
    subject: Subject
    queue: Queue
    description: str = ""
    waybill_no: Waybill = ""
    kind: Kind = Kind.INQUIRY
    category: CategoryCode | None = Field(None, description="category code, e.g. delay")
    customer_id: int | None = None
    contact_name: str = Field("", max_length=50)
    contact_phone: str = Field("", max_length=32)
    area_id: int | None = None
    platform_message_id: str = Field("", max_length=64)


class TicketPatch(Schema):
    """Only the fields sent are changed. Fields typed without None cannot be null."""

    subject: Subject = None
    category: CategoryCode | None = Field(None, description="category code, or null to clear")
    kind: Kind = None
    queue: Queue = None
    priority: Priority = Field(None, description="1 urgent … 4 low")
    area_id: int | None = None
    waybill_no: Waybill = None
    status: Status = None


class ReplyIn(Schema):
    body: Body
    status: Status | None = Field(None, description="status to set after the reply (staff only)")


class NoteIn(Schema):
    body: Body


class AssignIn(Schema):
    assignee_id: int | None = Field(..., description="a CS user of the ticket's point, or null")


class TicketFilters(Schema):
    queue: Literal["", "arrival", "departure"] = ""
    status: Literal["", "open", "all", *Status.values] = "open"  # type: ignore[valid-type]
    sla: Literal["", *SLAState.values] = ""  # type: ignore[valid-type]
    category: str = Field("", max_length=40, description="category code or id")
    tier: Literal["", *Customer.Tier.values] = ""  # type: ignore[valid-type]
    area: OptionalId = None
    assignee: str = Field("", pattern=r"^(|me|none|\d+)$", description='"me", "none" or a user id')
    q: str = Field("", max_length=100, description="waybill number, phone or text")
    sort: Literal["", "priority", "newest"] = "priority"
    cursor: str = Field("", pattern=r"^(\d+(:\d+)?)?$", description="next_cursor of the page before")
    limit: int = Field(50, ge=1, le=200)


class TicketOut(Schema):
    id: int
    reference: str
    subject: str
    description: str
    waybill_no: str
    status: Status
    priority: Priority
    queue: Queue
    kind: Kind
    channel: Channel
    category: str | None = Field(description="category code")
    customer_id: int | None
    area_id: int | None
    assignee_id: int | None
    created_at: dt.datetime
    first_response_due: dt.datetime | None
    resolution_due: dt.datetime | None
    sla_state: SLAState
    is_open: bool


class AttachmentOut(Schema):
    id: int
    name: str
    content_type: str
    size: int
    url: str


class MessageOut(Schema):
    id: int
    ticket_id: int
    kind: Message.Kind
    body: str
    author_id: int | None
    author_name: str
    created_at: dt.datetime
    attachments: list[AttachmentOut]


class TicketDetailOut(TicketOut):
    messages: list[MessageOut]


class TicketPageOut(Schema):
    items: list[TicketOut]
    next_cursor: str | None


def _local(value: dt.datetime | None) -> dt.datetime | None:
    return timezone.localtime(value) if value is not None else None


def ticket_out(ticket: Ticket, *, now: dt.datetime | None = None) -> dict:
    """Reads ticket.category only when category_id is set (loaded by the caller)."""
    state = getattr(ticket, "sla_state", None) or sla.state_of(ticket, now or timezone.now())
    return {
        "id": ticket.pk,
        "reference": ticket.reference,
        "subject": ticket.subject,
        "description": ticket.description,
        "waybill_no": ticket.waybill_no,
        "status": ticket.status,
        "priority": ticket.priority,
        "queue": ticket.queue,
        "kind": ticket.kind,
        "channel": ticket.channel,
        "category": ticket.category.code if ticket.category_id else None,
        "customer_id": ticket.customer_id,
        "area_id": ticket.area_id,
        "assignee_id": ticket.assignee_id,
        "created_at": _local(ticket.created_at),
        "first_response_due": _local(ticket.first_response_due),
        "resolution_due": _local(ticket.resolution_due),
        "sla_state": state,
        "is_open": ticket.is_open,
    }


def message_out(message: Message, *, attachments=None) -> dict:
    """`attachments` None means read the prefetched message.attachments."""
    if attachments is None:
        attachments = message.attachments.all()
    return {
        "id": message.pk,
        "ticket_id": message.ticket_id,
        "kind": message.kind,
        "body": message.body,
        "author_id": message.author_id,
        "author_name": str(message.author) if message.author_id else "",
        "created_at": _local(message.created_at),
        "attachments": [
            {"id": a.pk, "name": a.original_name, "content_type": a.content_type, "size": a.size,
             "url": reverse("attachment_download", args=[a.pk])}
            for a in attachments
        ],
    }
