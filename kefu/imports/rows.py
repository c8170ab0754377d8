"""Importing a file of rows: what every importer shares, so that a new one only says
how to read a row and how to store a chunk of them.

    class FineImporter(RowImporter):
        kind = FINES                      # declared in the app's importers.py
        fields = {"fine_no": "罚款编号", "waybill_no": "运单号", "amount": "金额", …}
        required = ("fine_no", "amount")

        def parse(self, row: Row) -> dict:          # raise ValueError(reason) to reject
            …
        def store(self, batch, rows: list[Parsed], stored: Stored) -> None:
            …                                       # count created, duplicates, rejects

    batch = run_import(FineImporter(), point=point, fileobj=f, file_name="fines.xlsx", actor=user)

`run_import` does the rest, the same for every kind: the ImportBatch (with the
file's size and SHA-256), the size limit, the column mapping (other layouts name
their headers: {"amount": "罚款金额"}), CSV in UTF-8 / GBK / GB18030 and Excel with
a merged title row (kefu.imports.readers), blank lines skipped, chunks of
`chunk_rows` rows each stored in its own transaction, every rejected row kept with
its line and reason (RejectedRow), the batch's counters, progress for the upload
page, and a batch that always ends done or failed, with the reason. A file that
cannot be read at all fails the batch and stores nothing; a problem in a row
rejects that row and keeps the others. An importer is idempotent on its own key
(a re-import counts duplicates), so uploading the same file again is safe.

For the upload page, declare the kind with a runner (kefu.imports.kinds) that calls
`run_uploaded(FineImporter(), batch=…, fileobj=…, progress=…)`; kefu.imports.uploads
then keeps the file, runs it in the background and shows its progress.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import IO

from django.conf import settings
from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.imports.models import ImportBatch, RejectedRow
from kefu.imports.readers import ImportFileError, file_sha256, file_size, open_table

logger = logging.getLogger(__name__)

Progress = Callable[[int, int], None]  # (rows read, bytes read)


class Row:
    """One row of the file as {header: text}, read by field name through the mapping."""

    __slots__ = ("columns", "raw")

    def __init__(self, raw: dict[str, str], columns: dict[str, str]):
        self.raw = raw
        self.columns = columns

    def get(self, name: str) -> str:
        """The cell of field `name`, stripped ("" when the file has no such column)."""
        return (self.raw.get(self.columns[name]) or "").strip()

    def header(self, name: str) -> str:
        """The header that field `name` is read from (for a reason: "金额 is empty")."""
        return self.columns[name]


@dataclass
class Parsed:
    line: int
    value: object  # what `parse` returned
    raw: dict[str, str]


@dataclass
class Stored:
    created: int = 0
    duplicates: int = 0
    rejects: list[tuple[int, str, dict]] = field(default_factory=list)  # (line, reason, raw row)


class RowImporter:
    """The interface of an importer (see the module). One instance per batch: `begin`
    may keep look-ups and the keys seen in the file on it."""

    kind: str = ""
    fields: dict[str, str] = {}  # field → default header, in the order a form shows them
    required: tuple[str, ...] = ()
    chunk_rows = 500
    # A chunk's rows, rejects and counters commit together. An importer whose `store`
    # writes through services with transactions of their own (one ticket each) says
    # False: on SQLite a long transaction would hold the one write lock for the chunk.
    atomic_chunks = True

    def max_bytes(self) -> int:
        return settings.KEFU_MAX_IMPORT_BYTES

    def too_big(self, size: int) -> str:
        """Why a file of `size` bytes is refused."""
        return _("The file is %(size)s; the limit is %(limit)s.") % {
            "size": filesizeformat(size), "limit": filesizeformat(self.max_bytes())}

    def columns(self, mapping: dict[str, str]) -> dict[str, str]:
        """Field → header: the defaults, with the mapping's non-blank names instead."""
        unknown = set(mapping) - set(self.fields)
        if unknown:
            raise ImportFileError(
                _("Unknown fields in the column mapping: %(f)s") % {"f": ", ".join(sorted(unknown))})
        return {**self.fields, **{k: v for k, v in mapping.items() if v}}

    def begin(self, batch: ImportBatch) -> None:
        """Before the first row."""

    def parse(self, row: Row) -> object:
        """The row's value to store; raise ValueError with the reason a person reads."""
        raise NotImplementedError

    def store(self, batch: ImportBatch, rows: list[Parsed], stored: Stored) -> None:
        """Store one chunk's parsed rows (inside the chunk's transaction unless
        `atomic_chunks` is off), counting into `stored` as it goes: created,
        duplicates (already stored, or met before in the file) and rejects."""
        raise NotImplementedError


def run_import(importer: RowImporter, *, point, fileobj: IO[bytes], file_name: str, actor=None,
               mapping: dict[str, str] | None = None, batch: ImportBatch | None = None,
               progress: Progress | None = None) -> ImportBatch:
    """Import one file with `importer` (see the module). `batch`, when given, was created
    beforehand (by an upload, to show progress) and is filled in. A file that cannot be
    read at all gives a FAILED batch with the reason; otherwise a DONE batch with its
    counts and rejects."""
    size = file_size(fileobj)
    digest = file_sha256(fileobj)
    if batch is None:
        batch = ImportBatch.objects.create(
            point=point, kind=importer.kind, file_name=file_name[:255], sha256=digest, size=size,
            mapping=mapping or {}, created_by=actor,
        )
    else:
        batch.sha256, batch.size = digest, size
        batch.save(update_fields=["sha256", "size"])
    try:
        if size > importer.max_bytes():
            raise ImportFileError(importer.too_big(size))
        columns = importer.columns(mapping or {})
        table = open_table(fileobj, file_name, required={columns[f] for f in importer.required})
        batch.encoding = table.encoding
        importer.begin(batch)
        for chunk in _chunks(table.rows, importer.chunk_rows):
            if importer.atomic_chunks:
                with transaction.atomic():
                    _store_chunk(importer, batch, chunk, columns)
            else:
                _store_chunk(importer, batch, chunk, columns)
            if progress is not None:
                progress(batch.total_rows, _tell(fileobj, size))
        batch.state = ImportBatch.State.DONE
    except ImportFileError as exc:
        batch.state = ImportBatch.State.FAILED
        batch.error = str(exc)
    except Exception:
        # Never leave a batch "running" forever; rows stored so far are kept and counted.
        logger.exception("import batch=%s failed", batch.pk)
        batch.state = ImportBatch.State.FAILED
        batch.error = _(
            "The import stopped on an unexpected error after %(n)s rows; the rows before it were kept."
        ) % {"n": batch.total_rows}
    batch.finished_at = timezone.now()
    batch.save()
    logger.info(
        "import batch=%s kind=%s state=%s rows=%s created=%s duplicates=%s rejected=%s",
        batch.pk, batch.kind, batch.state, batch.total_rows, batch.created_rows, batch.duplicate_rows,
        batch.rejected_rows,
    )
    return batch


def run_uploaded(importer: RowImporter, *, batch: ImportBatch, fileobj: IO[bytes],
                 progress: Progress | None = None) -> ImportBatch:
    """The runner of an uploaded file (kefu.imports.uploads): the batch says the rest."""
    return run_import(importer, point=batch.point, fileobj=fileobj, file_name=batch.file_name,
                      actor=batch.created_by, mapping=batch.mapping or None, batch=batch, progress=progress)


def _chunks(rows: Iterable[tuple[int, dict[str, str]]], size: int):
    chunk: list[tuple[int, dict[str, str]]] = []
    for line, raw in rows:
        if not any(v for k, v in raw.items() if k != "__extra__"):
            continue  # blank lines are not rows
        chunk.append((line, raw))
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _store_chunk(importer: RowImporter, batch: ImportBatch, chunk, columns: dict[str, str]) -> None:
    parsed: list[Parsed] = []
    rejects: list[tuple[int, str, dict]] = []
    for line, raw in chunk:
        try:
            parsed.append(Parsed(line, importer.parse(Row(raw, columns)), raw))
        except ValueError as exc:
            rejects.append((line, str(exc), raw))
    stored = Stored()
    try:
        if parsed:
            importer.store(batch, parsed, stored)
    except Exception:
        if not importer.atomic_chunks:
            # What was stored before the failing row is kept (each row committed on its
            # own): count it, and the rows read up to the failing one.
            _count(batch, rows=len(rejects) + stored.created + stored.duplicates + len(stored.rejects) + 1,
                   stored=stored, rejects=rejects + stored.rejects)
        raise
    _count(batch, rows=len(chunk), stored=stored, rejects=rejects + stored.rejects)


def _count(batch: ImportBatch, *, rows: int, stored: Stored, rejects: list[tuple[int, str, dict]]) -> None:
    rejects = sorted(rejects, key=lambda r: r[0])
    RejectedRow.objects.bulk_create(
        [RejectedRow(batch=batch, line=line, reason=reason[:500], raw=raw) for line, reason, raw in rejects])
    batch.total_rows += rows
    batch.created_rows += stored.created
    batch.duplicate_rows += stored.duplicates
    batch.rejected_rows += len(rejects)
    batch.save(update_fields=["total_rows", "created_rows", "duplicate_rows", "rejected_rows", "encoding"])


def _tell(fileobj: IO[bytes], size: int) -> int:
    try:
        return min(fileobj.tell(), size)
    except (OSError, ValueError):
        return 0
