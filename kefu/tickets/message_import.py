"""Imports of platform messages (留言) into tickets, on the import toolkit (kefu.imports.rows).

Default layout (header names, any order, extra columns ignored):
    留言编号, 运单号, 留言时间, 留言内容, 客户, 电话
Other layouts give a mapping {field: header}. Fields: message_id, waybill_no,
created_at, content (required) and customer, phone (optional).

Idempotent on the platform message id per point: a re-import creates nothing
and counts duplicates. Every rejected row is stored with its line and reason;
every valid row is kept.
"""

from __future__ import annotations

import re
from typing import IO

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from kefu.core.tz import SHANGHAI
from kefu.customers.models import Customer
from kefu.imports.models import ImportBatch
from kefu.imports.readers import parse_local_datetime
from kefu.imports.rows import Parsed, Row, RowImporter, Stored, run_import
from kefu.orgs.models import NetworkPoint, Queue, User
from kefu.tickets import permissions
from kefu.tickets import services as ticket_services
from kefu.tickets.importers import PLATFORM_MESSAGES
from kefu.tickets.models import Category, Channel, Ticket
from kefu.tickets.taxonomy import guess_category_code, guess_kind

DEFAULT_MESSAGE_MAPPING = {
    "message_id": "留言编号",
    "waybill_no": "运单号",
    "created_at": "留言时间",
    "content": "留言内容",
    "customer": "客户",
    "phone": "电话",
}
REQUIRED_MESSAGE_FIELDS = ("message_id", "waybill_no", "created_at", "content")
_WAYBILL = re.compile(r"^[A-Za-z0-9\-]{6,40}$")


def too_big_message(size: int) -> str:
    """Why a message file of `size` bytes is refused (over KEFU_MAX_IMPORT_BYTES)."""
    return MessageImporter(actor=None, queue=Queue.ARRIVAL).too_big(size)


def platform_messages_import(
    *,
    point: NetworkPoint,
    fileobj: IO[bytes],
    file_name: str,
    actor: User | None = None,
    mapping: dict[str, str] | None = None,
    queue: str = Queue.ARRIVAL,
) -> ImportBatch:
    """Import one file of the point's platform messages, each a ticket in `queue`. A file
    that cannot be read at all gives a FAILED batch with the reason; otherwise a DONE
    batch with its counts and rejects. `actor`: CS staff of the point (None: the system)."""
    if actor is not None:
        permissions.require(permissions.can_import_messages(actor) and actor.point_id == point.pk)
    return run_import(MessageImporter(actor=actor, queue=queue), point=point, fileobj=fileobj,
                      file_name=file_name, actor=actor, mapping=mapping)


class MessageImporter(RowImporter):
    kind = PLATFORM_MESSAGES
    fields = DEFAULT_MESSAGE_MAPPING
    required = REQUIRED_MESSAGE_FIELDS
    atomic_chunks = False  # each ticket is created in a transaction of its own

    def __init__(self, *, actor: User | None, queue: str):
        self.actor = actor
        self.queue = queue

    def begin(self, batch: ImportBatch) -> None:
        self.ctx = _Context(batch.point)
        self.seen: set[str] = set()  # message ids met earlier in the file

    def parse(self, row: Row) -> dict:
        return _parse_row(row)

    def store(self, batch: ImportBatch, rows: list[Parsed], stored: Stored) -> None:
        ids = [r.value["message_id"] for r in rows]
        existing = set(Ticket.objects.filter(point=batch.point, platform_message_id__in=ids)
                       .values_list("platform_message_id", flat=True))
        for r in rows:
            message_id = r.value["message_id"]
            if message_id in existing or message_id in self.seen:
                stored.duplicates += 1
                continue
            self.seen.add(message_id)
            try:
                _create_ticket(self.ctx, r.value, actor=self.actor, queue=self.queue)
            except ValidationError as exc:
                stored.rejects.append((r.line, "; ".join(exc.messages), r.raw))
                continue
            stored.created += 1


class _Context:
    """Look-ups reused across the rows of one batch."""

    def __init__(self, point: NetworkPoint):
        self.point = point
        self.categories = {
            c.code: c for c in Category.objects.filter(point__isnull=True, active=True)
        }
        self.categories.update(
            {c.code: c for c in Category.objects.filter(point=point, active=True)}
        )
        self.customers_by_key: dict[str, Customer | None] = {}

    def customer(self, key: str, phone: str) -> Customer | None:
        cache_key = f"{key}|{phone}"
        if cache_key not in self.customers_by_key:
            found = None
            qs = Customer.objects.filter(point=self.point).select_related("area", "named_agent")
            if key:
                found = qs.filter(code=key).first() or qs.filter(name=key).first()
            if found is None and phone:
                found = qs.filter(phone=phone).first()
            self.customers_by_key[cache_key] = found
        return self.customers_by_key[cache_key]


def _parse_row(row: Row) -> dict:
    problems = []
    message_id = row.get("message_id")
    if not message_id:
        problems.append(_("the message ID (%(col)s) is empty") % {"col": row.header("message_id")})
    elif len(message_id) > 64:
        problems.append(_("the message ID is longer than 64 characters"))
    waybill = row.get("waybill_no").replace(" ", "")
    if waybill and not _WAYBILL.match(waybill):
        problems.append(_("the waybill number %(w)s is not valid") % {"w": waybill[:50]})
    content = row.get("content")
    if not content:
        problems.append(_("the message text (%(col)s) is empty") % {"col": row.header("content")})
    created_text = row.get("created_at")
    created = None
    if not created_text:
        problems.append(_("the time (%(col)s) is empty") % {"col": row.header("created_at")})
    else:
        try:
            created = parse_local_datetime(created_text, SHANGHAI)
        except ValueError:
            problems.append(_("the time %(t)s is not a date and time") % {"t": created_text[:40]})
    if problems:
        raise ValueError("; ".join(problems))
    return {
        "message_id": message_id, "waybill_no": waybill, "content": content,
        "created_at": created, "customer": row.get("customer"), "phone": row.get("phone"),
    }


@transaction.atomic
def _create_ticket(ctx: _Context, row: dict, *, actor, queue) -> Ticket:
    content = row["content"]
    code = guess_category_code(content)
    customer = ctx.customer(row["customer"], row["phone"])
    first_line = content.splitlines()[0] if content else ""
    return ticket_services.ticket_create(
        point=ctx.point, subject=first_line[:60], description=content, queue=queue,
        channel=Channel.IMPORT, actor=actor, kind=guess_kind(content),
        waybill_no=row["waybill_no"], customer=customer,
        contact_name=row["customer"] if customer is None else "", contact_phone=row["phone"],
        category=ctx.categories.get(code) if code else None,
        platform_message_id=row["message_id"], created_at=row["created_at"],
    )
