"""The scan file parser in a process of its own, for large files.

Parsing a million rows takes seconds; in a thread it competes for the
interpreter lock with the thread that feeds the database, and the two end up
taking turns. In a child process it runs on the other core. The child reads the
file itself (by path) with the column parser (`columnar`) when the file is a
CSV it can read, else with the row parser (`rows`), and hands each
chunk back through its stdout as length-prefixed pickles:

- PostgreSQL: the chunk's rows as one block of COPY text (bytes), which the
  parent writes to COPY as is;
- SQLite: the rows are written by the child into a staging database file of
  the chunk's own, which the parent ATTACHes, so the parent's thread does no
  per-row work at all; when the parent cannot ATTACH (it is inside a
  transaction) the rows come through the pipe instead. One file per chunk,
  because the parent's write transaction (BEGIN IMMEDIATE) locks every
  attached database: with one shared file the two processes took turns. The
  child stays at most STAGE_AHEAD chunks ahead of the parent, who deletes each
  file once stored.

The column parser's chunks also carry their rows grouped by waybill (`grouped`,
the same three ways), which spares the database that GROUP BY.

Run as `python -m kefu.parcels.ingest.worker`; the job (`shape.Job`: path,
column index, points, …) arrives pickled on stdin, the frames go out as
`protocol` writes them. The child needs no database connection. It loads this
module before `django.setup()`: what needs Django (the models behind `shape`,
`cells`, the parsers, the stores) is imported inside the functions, and Arrow
only when the column parser runs.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import sqlite3
import sys
import time
import traceback
from typing import TYPE_CHECKING

from kefu.parcels.ingest.protocol import STAGE_AHEAD, STAGE_SCHEMA, write_frame

if TYPE_CHECKING:
    from kefu.parcels.ingest.shape import Job, Staged

PARSER_APPS = ("django.contrib.auth", "django.contrib.contenttypes", "kefu.core", "kefu.orgs", "kefu.customers",
               "kefu.notifications", "kefu.tickets", "kefu.parcels", "kefu.imports")  # what the parser process loads


class _SqliteStage:
    """The child's staging databases: a file per chunk, closed before the parent
    is told (nobody else writes it: no journal)."""

    def __init__(self, prefix: str):
        self.prefix = prefix
        self.n = 0
        self.db = None
        self.parent = os.getppid()

    def _open(self) -> str:
        self.n += 1
        stale = f"{self.prefix}.{self.n - STAGE_AHEAD}"
        while os.path.exists(stale):  # the parent has not stored that chunk yet
            if os.getppid() != self.parent:  # it died without stopping us
                raise SystemExit(1)
            time.sleep(0.005)
        path = f"{self.prefix}.{self.n}"
        self.db = sqlite3.connect(path, isolation_level=None)
        self.db.execute("PRAGMA journal_mode = OFF")
        self.db.execute("PRAGMA synchronous = OFF")
        self.db.execute("BEGIN")
        return path

    def _close(self) -> None:
        self.db.execute("COMMIT")
        self.db.close()

    def put(self, rows: list) -> Staged:
        """A row parser's chunk (SCAN_COLS) in table sN."""
        from kefu.parcels.ingest.shape import SCAN_COLS, Staged
        from kefu.parcels.ingest.staging import SqliteStore

        path = self._open()
        staged = Staged(count=len(rows), file=path, table=self._table(f"s{self.n}", SCAN_COLS, rows, SqliteStore))
        self._close()
        return staged

    def put_compact(self, code_sets: list, rows: list, grouped: list) -> Staged:
        """A column chunk as `columnar.compact` gives it: tables cN (the code
        combinations), sN and gN; read through a join that gives SCAN_COLS and
        GROUP_COLS."""
        from kefu.parcels.ingest.shape import (
            CODE_SET_COLS,
            COMPACT_GROUP_COLS,
            COMPACT_SCAN_COLS,
            GROUP_COLS,
            SCAN_COLS,
            Staged,
        )

        path = self._open()
        n = self.n
        spec = ", ".join(["n integer PRIMARY KEY", *(f"{c} {'integer' if c == 'point_id' else 'text'}"
                                                      for c in CODE_SET_COLS)])
        self.db.execute(f"CREATE TABLE c{n} ({spec})")
        self.db.executemany(f"INSERT INTO c{n} VALUES ({', '.join('?' * (1 + len(CODE_SET_COLS)))})", code_sets)
        for name, cols, data in ((f"s{n}", COMPACT_SCAN_COLS, rows), (f"g{n}", COMPACT_GROUP_COLS, grouped)):
            self.db.execute(f"CREATE TABLE {name} ({', '.join(cols)})")
            self.db.executemany(f"INSERT INTO {name} VALUES ({', '.join('?' * len(cols))})", data)
        self._close()
        s, g, c = (f"{STAGE_SCHEMA}.{t}{n}" for t in "sgc")
        scans = ", ".join(f"c.{col}" if col in CODE_SET_COLS else f"s.{col}" for col in SCAN_COLS)
        groups = ", ".join(f"c.{col}" if col in CODE_SET_COLS else f"g.{col}" for col in GROUP_COLS)
        return Staged(count=len(rows), file=path,
                      table=f"(SELECT {scans} FROM {s} s JOIN {c} c ON c.n = s.codes)",
                      grouped=Staged(count=len(grouped),
                                     table=f"(SELECT {groups} FROM {g} g JOIN {c} c ON c.n = g.codes)"))

    def _table(self, name: str, cols, rows: list, store) -> str:
        spec = ", ".join(f"{c} {store(None).column_type(c)}" for c in cols)
        self.db.execute(f"CREATE TABLE {name} ({spec})")
        self.db.executemany(f"INSERT INTO {name} VALUES ({', '.join('?' * len(cols))})", rows)
        return f"{STAGE_SCHEMA}.{name}"


def run(job: Job, out) -> None:
    from django.utils import translation

    from kefu.imports.readers import ImportFileError, open_table
    from kefu.parcels.ingest import rows, staging
    from kefu.parcels.ingest.shape import Staged

    store = staging.PostgresStore(None) if job.vendor == "postgresql" else staging.SqliteStore(None)
    stage = _SqliteStage(job.stage_db) if job.vendor == "sqlite" and job.stage_db else None
    with translation.override(job.language), open(job.path, "rb") as fh:
        try:
            table = open_table(fh, job.file_name, required=job.required, lists=True)
            if job.columnar:
                for chunk in _columnar(job, table, store, stage):
                    write_frame(out, "chunk", chunk)
                write_frame(out, "end", None)
                return
            for chunk in rows.parse(table.rows, job.index, points=job.points, restricted=job.restricted,
                                    store=store, fileobj=fh, chunk_rows=job.chunk_rows):
                scans = chunk.scans
                if job.vendor == "postgresql":
                    chunk.scans = Staged(count=len(scans), data="".join(scans).encode())
                elif stage is not None:
                    chunk.scans = stage.put(scans)
                else:
                    chunk.scans = Staged(count=len(scans), rows=scans)
                write_frame(out, "chunk", chunk)
        except ImportFileError as exc:
            write_frame(out, "file-error", str(exc))
            return
    write_frame(out, "end", None)


def _columnar(job: Job, table, store, stage):
    """The file's chunks from the column parser, as `shape.Chunk`s."""
    import pyarrow as pa

    from kefu.parcels.ingest import columnar
    from kefu.parcels.ingest.cells import RowReader
    from kefu.parcels.ingest.shape import Chunk, Staged

    with contextlib.suppress(NotImplementedError):
        # jemalloc hands freed memory back sooner than Arrow's default pool (mimalloc): a lower peak.
        pa.set_memory_pool(pa.jemalloc_memory_pool())

    reader = RowReader(job.index, points=job.points, restricted=job.restricted, store=store)
    pg = job.vendor == "postgresql"
    for chunk, position in columnar.chunks(job.path, table, job.index, reader, chunk_rows=job.chunk_rows,
                                           dedupe=pg):
        if pg:
            scans = _pg_staged(chunk, store, job.batch_id)
        elif stage is not None:
            scans = stage.put_compact(*columnar.compact(chunk))
        else:
            grouped = columnar.rows(chunk.grouped)
            scans = Staged(count=chunk.scans.num_rows, rows=columnar.rows(chunk.scans),
                           grouped=Staged(count=len(grouped), rows=grouped))
        names = chunk.names()
        yield Chunk(scans, chunk.rejects, reader.take_new_points(), position, names["areas"], names["couriers"],
                    names["customers"], names["products"], reader.take_days(), reader.point_ids(), chunk.duplicates)


def _pg_staged(chunk, store, batch_id: int | None) -> Staged:
    """A column chunk as binary COPY data (the scans with the batch's id), or as
    COPY text where a value does not convert."""
    import pyarrow as pa

    from kefu.parcels.ingest import columnar
    from kefu.parcels.ingest.shape import Staged

    kinds = store.binary_kinds()
    data = grouped = None
    if batch_id is not None:
        n = chunk.scans.num_rows
        data = columnar.copy_binary(chunk.scans.append_column("batch_id", pa.array([batch_id] * n, pa.int64())),
                                    kinds, store.NULL)
        grouped = columnar.copy_binary(chunk.grouped, kinds, store.NULL)
    return Staged(
        count=chunk.scans.num_rows,
        data=data if data is not None else columnar.copy_text(chunk.scans, store.NULL), binary=data is not None,
        grouped=Staged(count=chunk.grouped.num_rows, binary=grouped is not None,
                       data=grouped if grouped is not None else columnar.copy_text(chunk.grouped, store.NULL)))


def main() -> None:
    # The pipe is the protocol: anything else that writes to stdout goes to stderr.
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    try:
        import django
        from django.conf import settings

        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
        # The parser needs the scan import's models and the translations (LOCALE_PATHS), not
        # the admin, the web pages or the API: loading those was much of its start, which every
        # import waits for before its first chunk.
        settings.INSTALLED_APPS = [app for app in settings.INSTALLED_APPS if app in PARSER_APPS]
        django.setup()
        # The job comes after the start: the importer checks the file meanwhile.
        job: Job = pickle.load(sys.stdin.buffer)
        run(job, out)
    except BaseException:
        write_frame(out, "crash", traceback.format_exc())
        raise SystemExit(1) from None
    out.close()


if __name__ == "__main__":
    # Through the module's own name, not as __main__: what the chunks pickle is then importable in
    # the parent, should a frame ever carry something defined here, and the module is loaded once.
    from kefu.parcels.ingest import worker

    worker.main()
