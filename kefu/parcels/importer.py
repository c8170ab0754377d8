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
import re
from collections.abc import Callable
from typing import IO
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.imports.models import ImportBatch, RejectedRow
from kefu.imports.readers import ImportFileError, open_table, parse_local_datetime
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
) -> ImportBatch:
    """Import one scan file. `point` restricts the rows to that point (a point's
    user uploading); None is a system import that may name any point."""
    size = _size(fileobj)
    batch = ImportBatch.objects.create(
        point=point, kind=ImportBatch.Kind.SCANS, file_name=file_name[:255], sha256=_sha256(fileobj),
        size=size, mapping=mapping or {}, created_by=actor,
    )
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


def _size(fileobj) -> int:
    fileobj.seek(0, 2)
    size = fileobj.tell()
    fileobj.seek(0)
    return size


def _sha256(fileobj) -> str:
    digest = hashlib.sha256()
    for chunk in iter(lambda: fileobj.read(1 << 20), b""):
        digest.update(chunk)
    fileobj.seek(0)
    return digest.hexdigest()


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


# Positions in a waybill's aggregate row.
_PRODUCT, _AREA, _COURIER, _CUSTOMER, _ARRIVED, _PROMISED, _DELIVERY, _SIGNED, _RETURNED, _PROBLEM = range(10)


def _run(batch, rows, index, *, restrict_to, progress, fileobj, chunk_rows) -> None:
    parser = _Parser(restrict_to)
    store = staging.for_connection(connection)
    i_wb, i_type, i_time, i_point = (index[f] for f in REQUIRED_SCAN_FIELDS)
    i_emp, i_prod, i_prom, i_area, i_cust = (index[f] for f in
                                             ("employee_no", "product", "promised_at", "area_code", "customer_code"))
    scans: list[tuple] = []
    waybills: dict[tuple[int, str], list] = {}
    rejects: list[RejectedRow] = []
    types = SCAN_TYPE_NAMES
    for line, row in rows:
        try:
            wb = row[i_wb].strip().upper()
            if not _WAYBILL(wb):
                raise ValueError(_("the waybill number %(w)s is not valid") % {"w": wb[:50] or "—"})
            kind = types.get(row[i_type].strip()) or types.get(row[i_type].strip().lower())
            if kind is None:
                raise ValueError(_("unknown scan type %(t)s") % {"t": row[i_type][:20]})
            try:
                at = parser.time(row[i_time])
            except ValueError:
                raise ValueError(_("the time %(t)s is not a date and time") % {"t": row[i_time][:40]}) from None
            code = row[i_point].strip()
            if not code:
                raise ValueError(_("the point code is empty"))
            point_id = parser.point_id(code)
            emp = row[i_emp].strip() if i_emp is not None and i_emp < len(row) else ""
            product = row[i_prod].strip() if i_prod is not None and i_prod < len(row) else ""
            prom_text = row[i_prom].strip() if i_prom is not None and i_prom < len(row) else ""
            area_code = row[i_area].strip() if i_area is not None and i_area < len(row) else ""
            cust = row[i_cust].strip() if i_cust is not None and i_cust < len(row) else ""
            try:
                promised = parser.time(prom_text) if prom_text else None
            except ValueError:
                raise ValueError(_("the sign-off deadline %(t)s is not a date and time") % {"t": prom_text[:40]}) from None
        except (ValueError, IndexError) as exc:
            reason = str(exc) if isinstance(exc, ValueError) else _("the row has too few columns")
            rejects.append(RejectedRow(batch=batch, line=line, reason=reason, raw={"cells": row}))
            continue
        scans.append((point_id, wb, int(kind), at, emp, product, promised, area_code, cust))
        agg = waybills.get((point_id, wb))
        if agg is None:
            agg = waybills[(point_id, wb)] = [product, None, None, None, None, None, None, None, None, None]
        _fold(agg, parser, point_id, kind, at, emp, product, promised, area_code, cust)
        if len(scans) >= chunk_rows:
            _flush(batch, store, scans, waybills, rejects, progress, fileobj)
            scans, waybills, rejects = [], {}, []
    _flush(batch, store, scans, waybills, rejects, progress, fileobj)


def _fold(agg, parser, point_id, kind, at, emp, product, promised, area_code, cust) -> None:
    if product and not agg[_PRODUCT]:
        agg[_PRODUCT] = product
    if area_code and agg[_AREA] is None:
        agg[_AREA] = parser.area_id(point_id, area_code)
    if cust and agg[_CUSTOMER] is None:
        agg[_CUSTOMER] = parser.customer_id(point_id, cust)
    if promised is not None and agg[_PROMISED] is None:
        agg[_PROMISED] = promised
    if kind == ScanType.ARRIVAL:
        if agg[_ARRIVED] is None or at < agg[_ARRIVED]:
            agg[_ARRIVED] = at
    elif kind == ScanType.DELIVERY:
        if agg[_DELIVERY] is None or at >= agg[_DELIVERY]:
            agg[_DELIVERY] = at
            if emp:
                agg[_COURIER] = parser.courier_id(point_id, emp)
    elif kind == ScanType.SIGNOFF:
        if agg[_SIGNED] is None or at < agg[_SIGNED]:
            agg[_SIGNED] = at
    elif kind == ScanType.RETURN:
        if agg[_RETURNED] is None or at < agg[_RETURNED]:
            agg[_RETURNED] = at
    elif kind == ScanType.PROBLEM:
        if agg[_PROBLEM] is None or at < agg[_PROBLEM]:
            agg[_PROBLEM] = at


def _flush(batch, store, scans, waybills, rejects, progress, fileobj) -> None:
    book = RuleBook(point_ids=list({k[0] for k in waybills}))
    wb_rows = []
    for (point_id, wb), a in waybills.items():
        deadline = warn_at = None
        if a[_ARRIVED] is not None:
            deadline, warn_at = book.deadline(point_id=point_id, product=a[_PRODUCT] or "", area_id=a[_AREA],
                                              arrived_at=a[_ARRIVED], promised_at=a[_PROMISED])
        settled = min((t for t in (a[_SIGNED], a[_RETURNED]) if t is not None), default=None)
        wb_rows.append((point_id, wb, a[_PRODUCT] or "", a[_AREA], a[_COURIER], a[_CUSTOMER], a[_ARRIVED],
                        a[_PROMISED], deadline, warn_at, a[_DELIVERY], a[_SIGNED], a[_RETURNED],
                        a[_PROBLEM], settled))
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
        progress(batch.total_rows, position)
