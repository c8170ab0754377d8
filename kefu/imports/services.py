"""Imports of platform messages (留言) into tickets.

Default layout (header names, any order, extra columns ignored):
    留言编号, 运单号, 留言时间, 留言内容, 客户, 电话
Other layouts give a mapping {field: header}. Fields: message_id, waybill_no,
created_at, content (required) and customer, phone (optional).

Idempotent on the platform message id per point: a re-import creates nothing
and counts duplicates. Every rejected row is stored with its line and reason;
every valid row is kept.
"""

from __future__ import annotations

import logging
import re
from typing import IO

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.core.tz import SHANGHAI
from kefu.customers.models import Customer
from kefu.imports.models import ImportBatch, RejectedRow
from kefu.imports.readers import (
    ImportFileError,
    file_sha256,
    file_size,
    open_table,
    parse_local_datetime,
)
from kefu.orgs.models import NetworkPoint, Queue, User
from kefu.tickets import services as ticket_services
from kefu.tickets.models import Category, Channel, Ticket
from kefu.tickets.taxonomy import guess_category_code, guess_kind

logger = logging.getLogger(__name__)

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


def _validate_mapping(mapping: dict[str, str]) -> dict[str, str]:
    merged = {**DEFAULT_MESSAGE_MAPPING, **{k: v for k, v in mapping.items() if v}}
    unknown = set(mapping) - set(DEFAULT_MESSAGE_MAPPING)
    if unknown:
        raise ImportFileError(_("Unknown fields in the column mapping: %(f)s") % {"f": ", ".join(sorted(unknown))})
    return merged


def too_big_message(size: int) -> str:
    """Why a message file of `size` bytes is refused (over KEFU_MAX_IMPORT_BYTES)."""
    return _("The file is %(size)s; the limit is %(limit)s.") % {
        "size": filesizeformat(size), "limit": filesizeformat(settings.KEFU_MAX_IMPORT_BYTES)}


def platform_messages_import(
    *,
    point: NetworkPoint,
    fileobj: IO[bytes],
    file_name: str,
    actor: User | None = None,
    mapping: dict[str, str] | None = None,
    queue: str = Queue.ARRIVAL,
) -> ImportBatch:
    """Import one file. A file that cannot be read at all gives a FAILED batch
    with the reason; otherwise a DONE batch with its counts and rejects."""
    size = file_size(fileobj)
    digest = file_sha256(fileobj)
    batch = ImportBatch.objects.create(
        point=point, kind=ImportBatch.Kind.PLATFORM_MESSAGES, file_name=file_name[:255],
        sha256=digest, size=size, mapping=mapping or {}, created_by=actor,
    )
    try:
        if size > settings.KEFU_MAX_IMPORT_BYTES:
            raise ImportFileError(too_big_message(size))
        columns = _validate_mapping(mapping or {})
        required = {columns[f] for f in REQUIRED_MESSAGE_FIELDS}
        table = open_table(fileobj, file_name, required=required)
        batch.encoding = table.encoding
        _import_rows(batch, table.rows, columns, actor=actor, queue=queue)
        batch.state = ImportBatch.State.DONE
    except ImportFileError as exc:
        batch.state = ImportBatch.State.FAILED
        batch.error = str(exc)
    except Exception:
        # Never leave a batch "running" forever; rows created so far are kept and counted.
        logger.exception("import batch=%s failed", batch.pk)
        batch.state = ImportBatch.State.FAILED
        batch.error = _(
            "The import stopped on an unexpected error after %(n)s rows; the rows before it were kept."
        ) % {"n": batch.total_rows}
    batch.finished_at = timezone.now()
    batch.save()
    logger.info(
        "import batch=%s state=%s rows=%s created=%s duplicates=%s rejected=%s",
        batch.pk, batch.state, batch.total_rows, batch.created_rows, batch.duplicate_rows,
        batch.rejected_rows,
    )
    return batch


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


def _import_rows(batch, rows, columns, *, actor, queue) -> None:
    ctx = _Context(batch.point)
    seen_in_file: set[str] = set()
    chunk: list[tuple[int, dict[str, str]]] = []
    for line, raw in rows:
        if not any(v for k, v in raw.items() if k != "__extra__"):
            continue  # blank lines are not rows
        chunk.append((line, raw))
        if len(chunk) >= 500:
            _import_chunk(batch, ctx, chunk, columns, seen_in_file, actor=actor, queue=queue)
            chunk = []
    if chunk:
        _import_chunk(batch, ctx, chunk, columns, seen_in_file, actor=actor, queue=queue)


def _import_chunk(batch, ctx, chunk, columns, seen_in_file, *, actor, queue) -> None:
    ids = [raw.get(columns["message_id"], "") for _, raw in chunk]
    existing = set(
        Ticket.objects.filter(point=batch.point, platform_message_id__in=[i for i in ids if i])
        .values_list("platform_message_id", flat=True)
    )
    rejects: list[RejectedRow] = []
    for line, raw in chunk:
        batch.total_rows += 1
        try:
            row = _parse_row(raw, columns)
        except ValueError as exc:
            rejects.append(RejectedRow(batch=batch, line=line, reason=str(exc), raw=raw))
            continue
        if row["message_id"] in existing or row["message_id"] in seen_in_file:
            batch.duplicate_rows += 1
            continue
        seen_in_file.add(row["message_id"])
        try:
            _create_ticket(ctx, row, actor=actor, queue=queue)
        except ValidationError as exc:
            rejects.append(RejectedRow(batch=batch, line=line, reason="; ".join(exc.messages), raw=raw))
            continue
        batch.created_rows += 1
    RejectedRow.objects.bulk_create(rejects)
    batch.rejected_rows += len(rejects)
    batch.save(update_fields=["total_rows", "created_rows", "duplicate_rows", "rejected_rows", "encoding"])


def _parse_row(raw: dict[str, str], columns: dict[str, str]) -> dict:
    def get(field: str) -> str:
        return (raw.get(columns[field]) or "").strip()

    problems = []
    message_id = get("message_id")
    if not message_id:
        problems.append(_("the message ID (%(col)s) is empty") % {"col": columns["message_id"]})
    elif len(message_id) > 64:
        problems.append(_("the message ID is longer than 64 characters"))
    waybill = get("waybill_no").replace(" ", "")
    if waybill and not _WAYBILL.match(waybill):
        problems.append(_("the waybill number %(w)s is not valid") % {"w": waybill[:50]})
    content = get("content")
    if not content:
        problems.append(_("the message text (%(col)s) is empty") % {"col": columns["content"]})
    created_text = get("created_at")
    created = None
    if not created_text:
        problems.append(_("the time (%(col)s) is empty") % {"col": columns["created_at"]})
    else:
        try:
            created = parse_local_datetime(created_text, SHANGHAI)
        except ValueError:
            problems.append(_("the time %(t)s is not a date and time") % {"t": created_text[:40]})
    if problems:
        raise ValueError("; ".join(problems))
    return {
        "message_id": message_id, "waybill_no": waybill, "content": content,
        "created_at": created, "customer": get("customer"), "phone": get("phone"),
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
