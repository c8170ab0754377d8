"""The scan file parser in a process of its own, for large files.

Parsing a million rows takes seconds; in a thread it competes for the
interpreter lock with the thread that feeds the database, and the two end up
taking turns. In a child process it runs on the other core. The child reads the
file itself (by path) with the column parser (`columnar`) when the file is a
CSV it can read, else with the row parser (`importer._parse`), and hands each
chunk back through its stdout as length-prefixed pickles:

- PostgreSQL: the chunk's rows as one block of COPY text (bytes), which the
  parent writes to COPY as is;
- SQLite: the rows are written by the child into a table of its own staging
  database (a file the parent ATTACHes), so the parent's thread does no
  per-row work at all; when the parent cannot ATTACH (it is inside a
  transaction) the rows come through the pipe instead.

The column parser's chunks also carry their rows grouped by waybill (`grouped`,
the same three ways), which spares the database that GROUP BY.

Run as `python -m kefu.parcels.parse_worker`; the job (path, column index,
points, …) arrives pickled on stdin. The child needs no database connection.
"""

from __future__ import annotations

import os
import pickle
import sqlite3
import struct
import sys
import traceback
from dataclasses import dataclass

_HEADER = struct.Struct("<I")
STAGE_SCHEMA = "kefu_stage"  # the name the parent ATTACHes the staging database under


@dataclass
class Job:
    path: str
    file_name: str
    index: dict[str, int | None]
    points: dict[str, int]
    restricted: bool
    vendor: str  # "postgresql" or "sqlite"
    language: str | None
    chunk_rows: int
    required: set[str]
    stage_db: str | None  # SQLite only: the staging database file, None to send rows through the pipe
    columnar: bool = True  # read a CSV that qualifies with the column parser


@dataclass
class Staged:
    """A chunk's rows as the child left them: in `table` of the staging
    database (SQLite), or as COPY text `data` (PostgreSQL), or as `rows`."""

    count: int
    table: str | None = None
    data: bytes | None = None
    rows: list | None = None
    grouped: Staged | None = None  # the rows grouped by waybill (columnar.GROUP_COLS), when the parser did it

    def __len__(self) -> int:
        return self.count


def write_frame(out, kind: str, payload) -> None:
    blob = pickle.dumps((kind, payload), protocol=pickle.HIGHEST_PROTOCOL)
    out.write(_HEADER.pack(len(blob)))
    out.write(blob)
    out.flush()


def read_frame(stream):
    """(kind, payload), or None at the end of the stream."""
    head = stream.read(_HEADER.size)
    if len(head) < _HEADER.size:
        return None
    (size,) = _HEADER.unpack(head)
    blob = stream.read(size)
    if len(blob) < size:
        return None
    return pickle.loads(blob)


class _SqliteStage:
    """The child's staging database: one table per chunk, committed before the
    parent is told, in WAL mode so the parent reads while the child writes."""

    def __init__(self, path: str):
        self.db = sqlite3.connect(path, isolation_level=None)
        self.db.execute("PRAGMA journal_mode = WAL")
        self.db.execute("PRAGMA synchronous = OFF")
        self.n = 0

    def put(self, rows: list, grouped: list | None = None) -> Staged:
        """The chunk's rows (staging.SCAN_COLS) in table sN, and when given the
        rows grouped by waybill (staging.GROUP_COLS) in gN, in one commit."""
        from kefu.parcels.staging import GROUP_COLS, SCAN_COLS, SqliteStore

        self.n += 1
        self.db.execute("BEGIN")
        staged = Staged(count=len(rows), table=self._table(f"s{self.n}", SCAN_COLS, rows, SqliteStore))
        if grouped is not None:
            staged.grouped = Staged(count=len(grouped),
                                    table=self._table(f"g{self.n}", GROUP_COLS, grouped, SqliteStore))
        self.db.execute("COMMIT")
        return staged

    def _table(self, name: str, cols, rows: list, store) -> str:
        spec = ", ".join(f"{c} {store(None).column_type(c)}" for c in cols)
        self.db.execute(f"CREATE TABLE {name} ({spec})")
        self.db.executemany(f"INSERT INTO {name} VALUES ({', '.join('?' * len(cols))})", rows)
        return f"{STAGE_SCHEMA}.{name}"


def run(job: Job, out) -> None:
    from django.utils import translation

    from kefu.imports.readers import ImportFileError, open_table
    from kefu.parcels import columnar, importer, staging

    store = staging.PostgresStore(None) if job.vendor == "postgresql" else staging.SqliteStore(None)
    stage = _SqliteStage(job.stage_db) if job.vendor == "sqlite" and job.stage_db else None
    with translation.override(job.language), open(job.path, "rb") as fh:
        try:
            table = open_table(fh, job.file_name, required=job.required, lists=True)
            if job.columnar and columnar.applies(job.path, table):
                for chunk in _columnar(job, table, store, stage):
                    write_frame(out, "chunk", chunk)
                write_frame(out, "end", None)
                return
            for chunk in importer._parse(table.rows, job.index, points=job.points, restricted=job.restricted,
                                         store=store, fileobj=fh, chunk_rows=job.chunk_rows):
                rows = chunk.scans
                if job.vendor == "postgresql":
                    chunk.scans = Staged(count=len(rows), data="".join(rows).encode())
                elif stage is not None:
                    chunk.scans = stage.put(rows)
                else:
                    chunk.scans = Staged(count=len(rows), rows=rows)
                write_frame(out, "chunk", chunk)
        except ImportFileError as exc:
            write_frame(out, "file-error", str(exc))
            return
    write_frame(out, "end", None)


def _columnar(job: Job, table, store, stage):
    """The file's chunks from the column parser, as `importer._Chunk`s."""
    from kefu.parcels import columnar, importer
    from kefu.parcels.cells import RowReader

    reader = RowReader(job.index, points=job.points, restricted=job.restricted, store=store)
    pg = job.vendor == "postgresql"
    for chunk, position in columnar.chunks(job.path, table, job.index, reader, chunk_rows=job.chunk_rows,
                                           dedupe=pg):
        if pg:
            scans = Staged(count=chunk.scans.num_rows, data=columnar.copy_text(chunk.scans, store.NULL),
                           grouped=Staged(count=chunk.grouped.num_rows,
                                          data=columnar.copy_text(chunk.grouped, store.NULL)))
        elif stage is not None:
            scans = stage.put(columnar.rows(chunk.scans), columnar.rows(chunk.grouped))
        else:
            grouped = columnar.rows(chunk.grouped)
            scans = Staged(count=chunk.scans.num_rows, rows=columnar.rows(chunk.scans),
                           grouped=Staged(count=len(grouped), rows=grouped))
        names = chunk.names()
        yield importer._Chunk(scans, chunk.rejects, reader.take_new_points(), position, names["areas"],
                              names["couriers"], names["customers"], names["products"], reader.take_days(),
                              reader.point_ids(), chunk.duplicates)


def main() -> None:
    # The pipe is the protocol: anything else that writes to stdout goes to stderr.
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    try:
        job: Job = pickle.load(sys.stdin.buffer)
        import django

        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
        django.setup()
        run(job, out)
    except BaseException:
        write_frame(out, "crash", traceback.format_exc())
        raise SystemExit(1) from None
    out.close()


if __name__ == "__main__":
    # Through the module's own name, so that what the chunks pickle is importable in the parent.
    from kefu.parcels import parse_worker

    parse_worker.main()
