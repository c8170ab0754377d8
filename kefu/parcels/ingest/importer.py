"""Streaming import of scan events (kefu import-scans, the web upload, the batch API).

Default layout, one scan per row, headers in any order:
    运单号, 扫描类型, 扫描时间, 网点编号, 员工工号, 产品类型, 签收时限, 片区, 客户编号
(the last five optional). Scan types: 揽收, 发件, 到件, 派件, 签收, 问题件, 退回.
Times are Asia/Shanghai local time.

The file is read and stored in chunks, so a file of a million rows never sits
in memory: row by row (`rows.parse`), or for a large CSV file a column at a time
(`columnar`, in the parser process). Each chunk goes to staging tables (COPY
on PostgreSQL; executemany, or the parser process's own file, on SQLite) and
from there into the real tables with
set-based statements: scans `ON CONFLICT DO NOTHING` (idempotent on waybill,
type and time), waybills upserted with "earliest scan wins" rules, so chunks and
re-imports merge in any order. Points, couriers and areas a file names but the
system does not know are created unconfirmed; rejected rows are kept with
their line and reason.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import logging
import os
import pickle
import queue
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from kefu.customers.models import Customer
from kefu.imports.models import ImportBatch, RejectedRow
from kefu.imports.readers import ImportFileError, file_sha256, file_size, open_table
from kefu.orgs.models import Area, NetworkPoint, Region, Role, User
from kefu.parcels.importers import SCANS
from kefu.parcels.ingest import cells, protocol, staging, worker
from kefu.parcels.ingest.rows import parse
from kefu.parcels.ingest.shape import (
    AREA,
    COURIER,
    CUSTOMER,
    DEFAULT_SCAN_MAPPING,
    REQUIRED_SCAN_FIELDS,
    Chunk,
    Job,
)
from kefu.parcels.rules import RuleBook

logger = logging.getLogger(__name__)

CHUNK_ROWS = 25_000

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
            point=point, kind=SCANS, file_name=file_name[:255], sha256=file_sha256(fileobj),
            size=size, mapping=mapping or {}, created_by=actor,
        )
    else:
        batch.point, batch.kind, batch.file_name = point, SCANS, file_name[:255]
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
        required = {columns[f] for f in REQUIRED_SCAN_FIELDS}
        table = open_table(fileobj, file_name, required=required, lists=True)
        batch.encoding = table.encoding
        index = {f: (table.index(h) if h in table.header else None) for f, h in columns.items()}
        path = getattr(fileobj, "name", None)
        in_process = (isinstance(path, str) and os.path.isfile(path)
                      and size >= settings.KEFU_SCAN_PARSE_PROCESS_BYTES)
        _run(batch, table.rows, index, restrict_to=point, progress=progress, fileobj=fileobj,
             chunk_rows=chunk_rows,
             source=(path, file_name, required, table) if in_process else None)
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


def _run(batch, rows, index, *, restrict_to, progress, fileobj, chunk_rows, source=None) -> None:
    """A parser turns the rows into staging chunks (no database work, so it runs
    while the database stores the previous chunk); this thread stores them. The
    parser is a thread, or for a large file (`source` = path, name, required
    headers and the file's `Table`) a process of its own. A chunk's scans, waybills and rejected rows
    commit together."""
    store = staging.for_connection(connection)
    store.begin()
    if restrict_to is not None:
        points = {restrict_to.code: restrict_to.pk}
    else:
        points = dict(NetworkPoint.objects.values_list("code", "id"))
    restricted = restrict_to is not None
    if source is not None:
        path, file_name, required, table = source
        job = Job(path=path, file_name=file_name, index=index, points=points, restricted=restricted,
                  vendor=store.vendor, language=translation.get_language(), chunk_rows=chunk_rows,
                  required=required, stage_db=None, columnar=settings.KEFU_SCAN_COLUMNAR, batch_id=batch.pk)
        chunks = _from_process(job, store, table)
    else:
        chunks = _in_background(parse(rows, index, points=points, restricted=restricted, store=store,
                                      fileobj=fileobj, chunk_rows=chunk_rows),
                                language=translation.get_language())
    refs = _References(unescape=store.vendor == "postgresql")
    with contextlib.closing(chunks):
        for chunk in chunks:
            _store(batch, store, chunk, refs)
            if progress is not None:
                progress(batch.total_rows, batch.size if chunk.position < 0 else chunk.position)


class _References:
    """Ids for what the file names: points, areas, couriers and customers, and
    the deadline terms, each looked up (or created unconfirmed) once per import;
    what a chunk adds goes to the staging tables the waybill upsert joins."""

    def __init__(self, unescape: bool):
        self.unescape = cells.unescape if unescape else (lambda v: v)
        self.points: dict[int, int] = {}  # provisional id → id
        self.region: Region | None = None
        self.areas: dict[tuple[int, str], int] = {}
        self.couriers: set[tuple[int, str]] = set()
        self.customers: set[tuple[int, str]] = set()
        self.products: set[str] = {""}
        self.days: set[dt.date] = set()
        self.point_ids: set[int] = set()
        self.terms: set[tuple] = set()
        self.book: RuleBook | None = None

    def point(self, code: str) -> int:
        if self.region is None:
            self.region, _c = Region.objects.get_or_create(code="UNASSIGNED", defaults={"name": "未分配区域"})
        point, _c = NetworkPoint.objects.get_or_create(
            code=code[:32], defaults={"region": self.region, "name": code[:100], "confirmed": False})
        return point.pk

    def real(self, pid: int) -> int:
        return self.points.get(pid, pid)

    def codes(self, chunk: Chunk) -> list[tuple[int, int, str, int]]:
        rows = []
        for pid, code in chunk.areas:
            key = (self.real(pid), self.unescape(code))
            if key not in self.areas:
                area, _c = Area.objects.get_or_create(point_id=key[0], code=key[1][:32],
                                                      defaults={"name": key[1][:100], "confirmed": False})
                self.areas[key] = area.pk
                rows.append((AREA, key[0], key[1], area.pk))
        for pid, code in chunk.couriers:
            key = (self.real(pid), self.unescape(code))
            if key not in self.couriers:
                self.couriers.add(key)
                rows.append((COURIER, key[0], key[1], _courier(*key)))
        for pid, code in chunk.customers:
            key = (self.real(pid), self.unescape(code))
            if key not in self.customers:
                self.customers.add(key)
                found = (Customer.objects.filter(point_id=key[0], code=key[1])
                         .values_list("pk", flat=True).first())
                if found is not None:
                    rows.append((CUSTOMER, key[0], key[1], found))
        return rows

    def new_terms(self, chunk: Chunk) -> list[tuple]:
        """Allowance and lead for every (point, product, area, day) the waybills
        may need: few, each computed once from the rules in force that day."""
        self.point_ids |= {self.real(pid) for pid, _code in chunk.areas}
        self.point_ids |= {self.real(pid) for pid in chunk.point_ids}
        self.products |= {self.unescape(p) for p in chunk.products}
        self.days |= chunk.days
        if self.book is None or chunk.new_points:
            self.book = RuleBook(point_ids=sorted(self.point_ids))
        rows = []
        for pid in self.point_ids:
            area_ids = [None, *(aid for (p, _code), aid in self.areas.items() if p == pid)]
            for product in self.products:
                for area_id in area_ids:
                    for day in self.days:
                        key = (pid, product, area_id, day)
                        if key not in self.terms:
                            self.terms.add(key)
                            rows.append((*key, *self.book.terms(point_id=pid, product=product, area_id=area_id,
                                                                day=day)))
        return rows


def _courier(point_id: int, employee_no: str) -> int:
    """The point's user with this employee number, else a new unconfirmed courier."""
    uid = (User.objects.filter(point_id=point_id, employee_no=employee_no)
           .order_by("pk").values_list("pk", flat=True).first())
    if uid is None:
        user = User(username=f"p{point_id}-{employee_no}"[:150], point_id=point_id, role=Role.COURIER,
                    employee_no=employee_no[:32], display_name=employee_no[:100], confirmed=False)
        user.set_unusable_password()
        user.save()
        uid = user.pk
    return uid


def _from_process(job: Job, store, table):
    """Yields the chunks a parser process makes of the file at `job.path`. On
    SQLite, outside a transaction, the process stages each chunk in a database
    file of its own that this connection ATTACHes while it stores the chunk, and
    deletes after (ATTACH is refused inside a transaction; then the rows come
    through the pipe)."""
    attach = store.vendor == "sqlite" and not connection.in_atomic_block
    workdir = tempfile.mkdtemp(prefix="kefu-scans-") if attach else None
    if attach:
        job.stage_db = os.path.join(workdir, "stage")
    root = str(Path(worker.__file__).resolve().parents[3])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")]))}
    child = subprocess.Popen([sys.executable, "-m", worker.__name__], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, env=env, cwd=root)
    attached = False
    try:
        # While the process starts: can the column parser read the file (it reads all of it)?
        job.columnar = job.columnar and protocol.columnar_applies(job.path, table)
        child.stdin.write(pickle.dumps(job, protocol=pickle.HIGHEST_PROTOCOL))
        child.stdin.close()
        while True:
            frame = protocol.read_frame(child.stdout)
            if frame is None:
                code = child.wait()
                logger.error("scan parser process stopped without a result, exit code %s", code)
                raise ImportFileError(_("The file's parser stopped unexpectedly (exit code %(code)s); "
                                        "the rows stored before are kept.") % {"code": code})
            kind, payload = frame
            if kind == "end":
                return
            if kind == "file-error":
                raise ImportFileError(payload)
            if kind == "crash":
                logger.error("scan parser process failed:\n%s", payload)
                last = payload.strip().splitlines()[-1][:200] if payload.strip() else ""
                raise ImportFileError(_("The file's parser failed (%(why)s); the rows stored before are kept.")
                                      % {"why": last})
            staged = payload.scans.file
            if staged is not None:
                with connection.cursor() as cursor:
                    cursor.execute(f"ATTACH DATABASE %s AS {protocol.STAGE_SCHEMA}", [staged])
                attached = True
            yield payload
            if staged is not None:
                with connection.cursor() as cursor:
                    cursor.execute(f"DETACH DATABASE {protocol.STAGE_SCHEMA}")
                attached = False
                os.unlink(staged)  # the parser process waits for this before it runs too far ahead
    finally:
        if child.poll() is None:
            child.kill()
        child.wait()
        child.stdout.close()
        try:
            if attached:
                with connection.cursor() as cursor:
                    cursor.execute(f"DETACH DATABASE {protocol.STAGE_SCHEMA}")
        finally:
            if workdir is not None:
                shutil.rmtree(workdir, ignore_errors=True)


_END = object()


def _in_background(items, *, language: str | None, depth: int = 2):
    """Yields what `items` yields, producing it in a thread `depth` items ahead.
    An exception in the thread is raised here; stopping early stops the thread."""
    q: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(item) -> bool:
        while not stop.is_set():
            try:
                q.put(item, timeout=0.2)
                return True
            except queue.Full:
                continue
        return False

    def work():
        try:
            with translation.override(language):
                for item in items:
                    if not put(item):
                        return
            put(_END)
        except BaseException as exc:  # handed to the consumer, which raises it
            put(_Failure(exc))

    thread = threading.Thread(target=work, name="kefu-scan-parser", daemon=True)
    thread.start()
    try:
        while True:
            item = q.get()
            if item is _END:
                return
            if isinstance(item, _Failure):
                raise item.exc
            yield item
    finally:
        stop.set()
        thread.join()


@dataclass
class _Failure:
    exc: BaseException


def _store(batch, store, chunk: Chunk, refs: _References) -> None:
    """One chunk in one transaction: scans, waybills (deadlines from the rules in
    force), unknown points, areas and couriers created unconfirmed, rejected rows."""
    with transaction.atomic():
        created = 0
        for code, temp_id in chunk.new_points.items():
            refs.points[temp_id] = refs.point(code)
        if chunk.scans:
            with store.cursor() as cursor:
                store.load_scans(cursor, chunk.scans, writable=bool(refs.points))
                if refs.points:
                    store.renumber_points(cursor, refs.points)
                store.add_codes(cursor, refs.codes(chunk))
                store.add_terms(cursor, refs.new_terms(chunk))
                created = store.store_chunk(cursor, batch_id=batch.pk)
                store.clear(cursor)
        RejectedRow.objects.bulk_create(
            [RejectedRow(batch=batch, line=line, reason=reason[:500], raw={"cells": cells})
             for line, reason, cells in chunk.rejects],
            batch_size=1000,
        )
        batch.total_rows += len(chunk.scans) + len(chunk.rejects) + chunk.duplicates
        batch.created_rows += created
        batch.duplicate_rows += len(chunk.scans) - created + chunk.duplicates
        batch.rejected_rows += len(chunk.rejects)
        batch.save(update_fields=["total_rows", "created_rows", "duplicate_rows", "rejected_rows", "encoding"])


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
        point=point, kind=SCANS, created_by=actor, size=len(payload),
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
