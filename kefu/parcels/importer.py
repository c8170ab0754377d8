"""Streaming import of scan events (kefu import-scans, the web upload, the batch API).

Default layout, one scan per row, headers in any order:
    运单号, 扫描类型, 扫描时间, 网点编号, 员工工号, 产品类型, 签收时限, 片区, 客户编号
(the last five optional). Scan types: 揽收, 发件, 到件, 派件, 签收, 问题件, 退回.
Times are Asia/Shanghai local time.

The file is read row by row and stored in chunks, so a file of a million rows
never sits in memory. Each chunk goes to temporary staging tables (COPY on
PostgreSQL, executemany on SQLite) and from there into the real tables with
set-based statements: scans `ON CONFLICT DO NOTHING` (idempotent on waybill,
type and time), waybills upserted with "earliest scan wins" rules, so chunks and
re-imports merge in any order. Points, couriers and areas a file names but the
system does not know are created unconfirmed; rejected rows are kept with
their line and reason.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import operator
import re
from collections.abc import Callable
from typing import IO
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.imports.models import ImportBatch, RejectedRow
from kefu.imports.readers import (
    ImportFileError,
    file_sha256,
    file_size,
    open_table,
    parse_local_datetime,
)
from kefu.orgs.models import Area, Customer, NetworkPoint, Region, Role, User
from kefu.parcels import staging
from kefu.parcels.models import SCAN_TYPE_NAMES, ScanType
from kefu.parcels.rules import RuleBook

logger = logging.getLogger(__name__)
SHANGHAI = ZoneInfo("Asia/Shanghai")
UTC = dt.UTC

DEFAULT_SCAN_MAPPING = {
    "waybill_no": "运单号", "scan_type": "扫描类型", "scanned_at": "扫描时间", "point_code": "网点编号",
    "employee_no": "员工工号", "product": "产品类型", "promised_at": "签收时限", "area_code": "片区",
    "customer_code": "客户编号",
}
REQUIRED_SCAN_FIELDS = ("waybill_no", "scan_type", "scanned_at", "point_code")
CHUNK_ROWS = 50_000
_WAYBILL = re.compile(r"[A-Za-z0-9\-]{6,40}").fullmatch

Progress = Callable[[int, int], None]  # (rows read, bytes read)


def scans_import(
    *,
    fileobj: IO[bytes],
    file_name: str,
    point: NetworkPoint | None = None,
    actor: User | None = None,
    mapping: dict[str, str] | None = None,
    progress: Progress | None = None,
    chunk_rows: int = CHUNK_ROWS,
    batch: ImportBatch | None = None,
) -> ImportBatch:
    """Import one scan file. `point` restricts the rows to that point (a point's
    user uploading); None is a system import that may name any point. `batch`,
    when given, is an ImportBatch created beforehand (say by the upload page, to
    show progress while a background job runs the import); it is filled in."""
    size = file_size(fileobj)
    if batch is None:
        batch = ImportBatch.objects.create(
            point=point, kind=ImportBatch.Kind.SCANS, file_name=file_name[:255], sha256=file_sha256(fileobj),
            size=size, mapping=mapping or {}, created_by=actor,
        )
    else:
        batch.point, batch.kind, batch.file_name = point, ImportBatch.Kind.SCANS, file_name[:255]
        batch.sha256, batch.size, batch.mapping = file_sha256(fileobj), size, mapping or {}
        batch.created_by = batch.created_by or actor
        batch.state = ImportBatch.State.RUNNING
        batch.save()
    try:
        if size > settings.KEFU_MAX_SCAN_IMPORT_BYTES:
            raise ImportFileError(
                _("The file is %(size)s MB; the limit is %(limit)s MB.")
                % {"size": round(size / 1048576, 1), "limit": settings.KEFU_MAX_SCAN_IMPORT_BYTES // 1048576}
            )
        columns = _columns(mapping or {})
        table = open_table(fileobj, file_name, required={columns[f] for f in REQUIRED_SCAN_FIELDS},
                           lists=True)
        batch.encoding = table.encoding
        index = {f: (table.index(h) if h in table.header else None) for f, h in columns.items()}
        _run(batch, table.rows, index, restrict_to=point, progress=progress, fileobj=fileobj,
             chunk_rows=chunk_rows)
        batch.state = ImportBatch.State.DONE
    except ImportFileError as exc:
        batch.state = ImportBatch.State.FAILED
        batch.error = str(exc)
    batch.finished_at = timezone.now()
    batch.save()
    logger.info("scan import batch=%s state=%s rows=%s created=%s duplicates=%s rejected=%s",
                batch.pk, batch.state, batch.total_rows, batch.created_rows, batch.duplicate_rows,
                batch.rejected_rows)
    return batch


def _columns(mapping: dict[str, str]) -> dict[str, str]:
    unknown = set(mapping) - set(DEFAULT_SCAN_MAPPING)
    if unknown:
        raise ImportFileError(_("Unknown fields in the column mapping: %(f)s") % {"f": ", ".join(sorted(unknown))})
    return {**DEFAULT_SCAN_MAPPING, **{k: v for k, v in mapping.items() if v}}


class _Parser:
    """Turns raw cells into typed values, with caches: a day's scans repeat the
    same few thousand timestamps, points, employees and areas."""

    def __init__(self, restrict_to: NetworkPoint | None):
        self.restrict_to = restrict_to
        self.times: dict[str, dt.datetime] = {}
        self.points = dict(NetworkPoint.objects.values_list("code", "id"))
        self.staff: dict[tuple[int, str], int] = {}
        self.areas: dict[tuple[int, str], int] = {}
        self.customers: dict[tuple[int, str], int | None] = {}
        self.region: Region | None = None

    def time(self, text: str) -> dt.datetime:
        value = self.times.get(text)
        if value is None:
            value = _parse_time(text)
            if len(self.times) < 200_000:
                self.times[text] = value
        return value

    def point_id(self, code: str) -> int:
        pid = self.points.get(code)
        if pid is None:
            if self.restrict_to is not None:
                raise ValueError(_("the point %(code)s is not this network point") % {"code": code})
            pid = self._new_point(code)
        elif self.restrict_to is not None and pid != self.restrict_to.pk:
            raise ValueError(_("the point %(code)s is not this network point") % {"code": code})
        return pid

    def _new_point(self, code: str) -> int:
        if self.region is None:
            self.region, _c = Region.objects.get_or_create(code="UNASSIGNED", defaults={"name": "未分配区域"})
        point = NetworkPoint.objects.create(region=self.region, code=code[:32], name=code[:100], confirmed=False)
        self.points[code] = point.pk
        return point.pk

    def courier_id(self, point_id: int, employee_no: str) -> int:
        key = (point_id, employee_no)
        uid = self.staff.get(key)
        if uid is None:
            uid = (User.objects.filter(point_id=point_id, employee_no=employee_no)
                   .order_by("pk").values_list("pk", flat=True).first())
            if uid is None:
                user = User(username=f"p{point_id}-{employee_no}"[:150], point_id=point_id,
                            role=Role.COURIER, employee_no=employee_no, display_name=employee_no,
                            confirmed=False)
                user.set_unusable_password()
                user.save()
                uid = user.pk
            self.staff[key] = uid
        return uid

    def area_id(self, point_id: int, code: str) -> int:
        key = (point_id, code)
        aid = self.areas.get(key)
        if aid is None:
            area, _c = Area.objects.get_or_create(point_id=point_id, code=code[:32],
                                                  defaults={"name": code[:100], "confirmed": False})
            aid = self.areas[key] = area.pk
        return aid

    def customer_id(self, point_id: int, code: str) -> int | None:
        key = (point_id, code)
        if key not in self.customers:
            self.customers[key] = (Customer.objects.filter(point_id=point_id, code=code)
                                   .values_list("pk", flat=True).first())
        return self.customers[key]


def _parse_time(text: str) -> dt.datetime:
    t = text.strip()
    if not t:
        raise ValueError("empty")
    try:
        naive = dt.datetime.fromisoformat(t.replace("/", "-"))
    except ValueError:
        aware = parse_local_datetime(t, SHANGHAI)
    else:
        aware = naive if naive.tzinfo else naive.replace(tzinfo=SHANGHAI)
    return aware.astimezone(UTC)


# Positions in a waybill's aggregate row: the codes as the file wrote them (ids
# are looked up once per waybill when the chunk is stored) and the earliest /
# latest times.
_PRODUCT, _AREA, _EMP, _CUSTOMER, _ARRIVED, _PROMISED, _DELIVERY, _SIGNED, _RETURNED, _PROBLEM = range(10)
_CACHE_LIMIT = 200_000
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _run(batch, rows, index, *, restrict_to, progress, fileobj, chunk_rows) -> None:
    """The hot loop: one pass over the rows, a handful of dict look-ups per row.
    Raw cells are looked up in caches (times, scan types, points and the short
    codes repeat all day long); a row becomes one staging line (PostgreSQL COPY
    text) or tuple (SQLite) and folds into its waybill's aggregate."""
    parser = _Parser(restrict_to)
    store = staging.for_connection(connection)
    pg = store.vendor == "postgresql"
    width = max(i for i in index.values() if i is not None) + 1
    positions = [index[f] for f in ("waybill_no", "scan_type", "scanned_at", "point_code", "employee_no",
                                    "product", "promised_at", "area_code", "customer_code")]
    full = all(i is not None for i in positions)
    get = operator.itemgetter(*(i if i is not None else width for i in positions))
    blanks = [""] * (width + 1)

    types = {name: int(kind) for name, kind in SCAN_TYPE_NAMES.items()}
    null = "\\N" if pg else None
    times: dict[str, tuple[dt.datetime, str]] = {}
    points: dict[str, int] = {}
    cleaned: dict[str, str] = {}
    clean_one = (lambda v: v.strip().translate(_COPY_ESCAPES)) if pg else str.strip
    time_text = store.time_text
    match = _WAYBILL
    ARRIVAL, DELIVERY, SIGNOFF, RETURN, PROBLEM = (ScanType.ARRIVAL.value, ScanType.DELIVERY.value,
                                                   ScanType.SIGNOFF.value, ScanType.RETURN.value,
                                                   ScanType.PROBLEM.value)

    out: list = []
    aggs: dict[int, dict[str, list]] = {}
    rejects: list[RejectedRow] = []
    last_pid, wbs = None, None
    for line, row in rows:
        try:
            if full and len(row) >= width:
                raw_wb, raw_type, raw_time, raw_point, emp, product, prom, area, cust = get(row)
            else:
                if len(row) <= max(index[f] for f in REQUIRED_SCAN_FIELDS):
                    raise IndexError
                padded = row[:width]
                padded += blanks[len(padded):]
                raw_wb, raw_type, raw_time, raw_point, emp, product, prom, area, cust = get(padded)
            wb = raw_wb.strip().upper()
            if not match(wb):
                raise ValueError(_("the waybill number %(w)s is not valid") % {"w": wb[:50] or "—"})
            kind = types.get(raw_type)
            if kind is None:
                kind = types.get(raw_type.strip()) or types.get(raw_type.strip().lower())
                if kind is None:
                    raise ValueError(_("unknown scan type %(t)s") % {"t": raw_type[:20]})
                types[raw_type] = kind
            t = times.get(raw_time)
            if t is None:
                t = _time(parser, raw_time, times, time_text)
                if t is None:
                    raise ValueError(_("the time %(t)s is not a date and time") % {"t": raw_time[:40]})
            pid = points.get(raw_point)
            if pid is None:
                code = raw_point.strip()
                if not code:
                    raise ValueError(_("the point code is empty"))
                pid = points[raw_point] = parser.point_id(code)
            if prom:
                p = times.get(prom)
                if p is None:
                    try:
                        p = _time(parser, prom, times, time_text, blank=True)
                    except ValueError:
                        raise ValueError(_("the sign-off deadline %(t)s is not a date and time")
                                         % {"t": prom.strip()[:40]}) from None
                pt = null if p is None else p[1]
            else:
                p, pt = None, null
        except (ValueError, IndexError) as exc:
            reason = str(exc) if isinstance(exc, ValueError) else _("the row has too few columns")
            rejects.append(RejectedRow(batch=batch, line=line, reason=reason, raw={"cells": row}))
            continue
        if emp:
            emp = cleaned.get(emp) or _clean(emp, cleaned, clean_one)
        if product:
            product = cleaned.get(product) or _clean(product, cleaned, clean_one)
        if area:
            area = cleaned.get(area) or _clean(area, cleaned, clean_one)
        if cust:
            cust = cleaned.get(cust) or _clean(cust, cleaned, clean_one)
        if pg:
            out.append(f"{pid}\t{wb}\t{kind}\t{t[1]}\t{emp}\t{product}\t{pt}\t{area}\t{cust}\n")
        else:
            out.append((pid, wb, kind, t[1], emp, product, pt, area, cust))

        if pid != last_pid:
            last_pid = pid
            wbs = aggs.get(pid)
            if wbs is None:
                wbs = aggs[pid] = {}
        agg = wbs.get(wb)
        if agg is None:
            agg = wbs[wb] = [product, area, "", cust, None, p, None, None, None, None]
        else:
            if product and not agg[_PRODUCT]:
                agg[_PRODUCT] = product
            if area and not agg[_AREA]:
                agg[_AREA] = area
            if cust and not agg[_CUSTOMER]:
                agg[_CUSTOMER] = cust
            if p and agg[_PROMISED] is None:
                agg[_PROMISED] = p
        if kind == ARRIVAL:
            if agg[_ARRIVED] is None or t < agg[_ARRIVED]:
                agg[_ARRIVED] = t
        elif kind == DELIVERY:
            if agg[_DELIVERY] is None or t >= agg[_DELIVERY]:
                agg[_DELIVERY] = t
                if emp:
                    agg[_EMP] = emp
        elif kind == SIGNOFF:
            if agg[_SIGNED] is None or t < agg[_SIGNED]:
                agg[_SIGNED] = t
        elif kind == RETURN:
            if agg[_RETURNED] is None or t < agg[_RETURNED]:
                agg[_RETURNED] = t
        elif kind == PROBLEM:
            if agg[_PROBLEM] is None or t < agg[_PROBLEM]:
                agg[_PROBLEM] = t
        if len(out) >= chunk_rows:
            _flush(batch, store, parser, out, aggs, rejects, progress, fileobj)
            out, aggs, rejects, last_pid = [], {}, [], None
    _flush(batch, store, parser, out, aggs, rejects, progress, fileobj, last=True)


def _time(parser, raw, times, time_text, blank=False):
    """(time, staging text) of a time not seen before, remembered; None when it is
    not a time (or is blank, with `blank`)."""
    if not raw.strip():
        return None
    try:
        value = parser.time(raw)
    except ValueError:
        if blank:
            raise
        return None
    t = (value, time_text(value))
    if len(times) < _CACHE_LIMIT:
        times[raw] = t
    return t


def _clean(raw, cleaned, clean_one):
    value = clean_one(raw)
    if len(cleaned) < _CACHE_LIMIT:
        cleaned[raw] = value
    return value


def _unescape(value: str) -> str:
    if "\\" not in value:
        return value
    return (value.replace("\\\\", "\x00").replace("\\t", "\t").replace("\\n", "\n")
            .replace("\\r", "\r").replace("\x00", "\\"))


def _flush(batch, store, parser, scans, aggs, rejects, progress, fileobj, last=False) -> None:
    """Waybill rows from the aggregates (times are (datetime, staging text) pairs),
    then the chunk stored in one transaction."""
    book = RuleBook(point_ids=list(aggs))
    time_text = store.time_text
    null = "\\N" if store.vendor == "postgresql" else None
    escaped = store.vendor == "postgresql"
    terms: dict[tuple, tuple] = {}
    wb_rows = []
    append, row = wb_rows.append, store.waybill_row
    for point_id, wbs in aggs.items():
        areas: dict[str, int] = {}
        couriers: dict[str, int] = {}
        for wb, a in wbs.items():
            product, area_code, emp, cust = a[_PRODUCT], a[_AREA], a[_EMP], a[_CUSTOMER]
            product_raw = _unescape(product) if escaped else product
            area_id = courier_id = customer_id = None
            if area_code:
                area_id = areas.get(area_code)
                if area_id is None:
                    area_id = areas[area_code] = parser.area_id(
                        point_id, _unescape(area_code) if escaped else area_code)
            if emp:
                courier_id = couriers.get(emp)
                if courier_id is None:
                    courier_id = couriers[emp] = parser.courier_id(point_id, _unescape(emp) if escaped else emp)
            if cust:
                customer_id = parser.customer_id(point_id, _unescape(cust) if escaped else cust)
            arrived, promised = a[_ARRIVED], a[_PROMISED]
            deadline = warn_at = null
            if arrived is not None:
                # The rule in force depends on the arrival's local date: the same within a UTC hour.
                key = (point_id, product_raw, area_id, arrived[1][:13])
                found = terms.get(key)
                if found is None:
                    allowance, lead = book.terms(point_id=point_id, product=product_raw, area_id=area_id,
                                                 day=arrived[0].astimezone(SHANGHAI).date())
                    found = terms[key] = (dt.timedelta(minutes=allowance), dt.timedelta(minutes=lead))
                d = promised[0] if promised else arrived[0] + found[0]
                deadline, warn_at = time_text(d), time_text(d - found[1])
            delivery, signed, returned, problem = a[_DELIVERY], a[_SIGNED], a[_RETURNED], a[_PROBLEM]
            settled = signed if returned is None or (signed is not None and signed < returned) else returned
            append(row(
                point_id, wb, product, null if area_id is None else area_id,
                null if courier_id is None else courier_id, null if customer_id is None else customer_id,
                arrived[1] if arrived else null, promised[1] if promised else null, deadline, warn_at,
                delivery[1] if delivery else null, signed[1] if signed else null,
                returned[1] if returned else null, problem[1] if problem else null,
                settled[1] if settled else null))
    with transaction.atomic():
        created = store.store(scans, wb_rows, batch_id=batch.pk)
        RejectedRow.objects.bulk_create(rejects, batch_size=1000)
        batch.total_rows += len(scans) + len(rejects)
        batch.created_rows += created
        batch.duplicate_rows += len(scans) - created
        batch.rejected_rows += len(rejects)
        batch.save(update_fields=["total_rows", "created_rows", "duplicate_rows", "rejected_rows", "encoding"])
    if progress is not None:
        try:
            position = fileobj.tell()
        except (OSError, ValueError):
            position = 0
        if last:
            position = max(position, batch.size)
        progress(batch.total_rows, position)


def scans_import_rows(
    *, rows: list[dict[str, str]], point: NetworkPoint | None = None, actor: User | None = None
) -> ImportBatch:
    """The batch API's import: the same checks and storage as a file, for rows
    given as {field: text} with the field names of DEFAULT_SCAN_MAPPING
    (waybill_no, scan_type, scanned_at, point_code, …). Line numbers are the
    rows' positions, from 1."""
    import json

    payload = json.dumps(rows, ensure_ascii=False, sort_keys=True).encode()
    batch = ImportBatch.objects.create(
        point=point, kind=ImportBatch.Kind.SCANS, created_by=actor, size=len(payload),
        file_name=f"api-{timezone.localtime():%Y%m%d-%H%M%S}", sha256=hashlib.sha256(payload).hexdigest(),
        encoding="json",
    )
    fields = list(DEFAULT_SCAN_MAPPING)
    index = {f: i for i, f in enumerate(fields)}
    lines = ((n, [str(row.get(f) or "") for f in fields]) for n, row in enumerate(rows, start=1))
    _run(batch, lines, index, restrict_to=point, progress=None, fileobj=None, chunk_rows=CHUNK_ROWS)
    batch.state = ImportBatch.State.DONE
    batch.finished_at = timezone.now()
    batch.save()
    return batch
