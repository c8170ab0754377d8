"""An uploaded import file, imported in the background with a progress page.

`upload_start` keeps the uploaded file in the data directory under an opaque name
(`DATA_DIR/uploads/<kind>/<32 hex>`; never under a static or media URL), creates
the ImportBatch in state running and, once that is committed, starts `upload_run`:
in a thread of the web process in the embedded mode, as the Celery task
`kefu.imports.run_upload` when CELERY_BROKER_URL is set (the workers must see the
same data directory). The run hands the file to the kind's runner
(kefu.imports.kinds), which writes its progress (rows, bytes read) to the batch;
the page polls it.

A run that raises fails its batch with the error. A run that dies with its
process (a restart, the OOM killer) stops writing progress: a batch with no sign
of life for STALLED_AFTER is failed the next time the point's upload pages are
opened (`fail_stalled`). To resume, the user uploads the file again: an importer
never stores a row twice (each kind is idempotent on its own key).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
import threading
import uuid
from functools import partial
from pathlib import Path

from django.conf import settings
from django.core.files.move import file_move_safe
from django.core.files.uploadedfile import UploadedFile
from django.db import DatabaseError, close_old_connections, connection, transaction
from django.utils import timezone, translation
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from kefu.imports import kinds
from kefu.imports.models import ImportBatch
from kefu.orgs.models import User

logger = logging.getLogger(__name__)

CELERY_TASK = "kefu.imports.run_upload"
STALLED_AFTER = ImportBatch.STALLED_AFTER
# How often a run waiting for its turn (one import at a time per process) says it is alive.
WAIT_HEARTBEAT_S = 30.0
THREAD_PREFIX = "kefu-import-"
_TOKEN = re.compile(r"[0-9a-f]{32}").fullmatch
RUNNING, FAILED = ImportBatch.State.RUNNING, ImportBatch.State.FAILED


class Turns:
    """The embedded mode's queue: one import at a time per process (SQLite takes one
    writer at a time anyway), in the order of the uploads. A ticket is taken when the
    upload is committed; its thread waits until that ticket is served. A ticket may
    be given back at any time (a thread that could not start): it is skipped."""

    def __init__(self):
        self._cond = threading.Condition()
        self._next = 0
        self._serving = 0
        self._finished: set[int] = set()

    def take(self) -> int:
        with self._cond:
            ticket, self._next = self._next, self._next + 1
            return ticket

    def wait(self, ticket: int, timeout: float) -> bool:
        with self._cond:
            return self._cond.wait_for(lambda: self._serving == ticket, timeout)

    def done(self, ticket: int) -> None:
        with self._cond:
            self._finished.add(ticket)
            while self._serving in self._finished:
                self._finished.remove(self._serving)
                self._serving += 1
            self._cond.notify_all()


TURNS = Turns()


def upload_dir(kind: str) -> Path:
    return Path(settings.DATA_DIR) / "uploads" / kind


def upload_start(*, kind: str, upload: UploadedFile, actor: User, mapping: dict[str, str]) -> ImportBatch:
    """Keep `upload` and start its import (of `kind`, for the actor's point) in the
    background. Returns the batch, in state running. The caller has checked the
    actor's permission, the file's size and the mapping; nothing is kept if this fails."""
    if kinds.get(kind) is None or not kinds.get(kind).runner:
        raise ValueError(f"no background import of kind {kind!r}")
    token = uuid.uuid4().hex
    path = _keep(upload, kind, token)
    try:
        with transaction.atomic():
            batch = ImportBatch.objects.create(
                point_id=actor.point_id, kind=kind, file_name=(upload.name or kind)[:255], size=upload.size,
                mapping=mapping, created_by=actor, state=RUNNING, progress_at=timezone.now(),
            )
            transaction.on_commit(partial(_dispatch, batch.pk, token, translation.get_language()))
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    logger.info("upload kind=%s batch=%s point=%s size=%s", kind, batch.pk, actor.point_id, upload.size)
    return batch


def _keep(upload: UploadedFile, kind: str, token: str) -> Path:
    """The upload at DATA_DIR/uploads/<kind>/<token>, readable by this user only. A large
    upload already sits in a temporary file: it is moved, not copied, when it can be."""
    folder = upload_dir(kind)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / token
    temporary = getattr(upload, "temporary_file_path", None)
    if temporary is not None:
        file_move_safe(temporary(), str(path))
    else:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as out:
            for chunk in upload.chunks():
                out.write(chunk)
    path.chmod(0o600)
    return path


def _dispatch(batch_id: int, token: str, language: str | None) -> None:
    if settings.CELERY_BROKER_URL:
        try:
            import_string(settings.KEFU_CELERY_APP).send_task(CELERY_TASK, args=[batch_id, token, language])
        except Exception as exc:  # the broker is down: say so rather than stay "running"
            logger.exception("import not queued batch=%s", batch_id)
            with translation.override(language):
                _fail(batch_id, _("The import could not be queued: %(error)s") % {"error": _describe(exc)})
        return
    ticket = TURNS.take()
    try:
        threading.Thread(target=_run_in_thread, args=(batch_id, token, language, ticket),
                         name=f"{THREAD_PREFIX}{batch_id}", daemon=True).start()
    except BaseException:
        TURNS.done(ticket)
        raise


def _run_in_thread(batch_id: int, token: str, language: str | None, ticket: int) -> None:
    close_old_connections()
    try:
        # A waiting import keeps showing signs of life.
        while not TURNS.wait(ticket, WAIT_HEARTBEAT_S):
            try:
                ImportBatch.objects.filter(pk=batch_id, state=RUNNING).update(progress_at=timezone.now())
            except DatabaseError:  # busy with the running import's chunk: say it next time
                logger.warning("import heartbeat not written batch=%s", batch_id)
        upload_run(batch_id=batch_id, token=token, language=language)
    except Exception:  # upload_run fails the batch itself; this is the last resort
        logger.exception("import thread failed batch=%s", batch_id)
    finally:
        TURNS.done(ticket)
        connection.close()


def upload_run(*, batch_id: int, token: str, language: str | None = None) -> ImportBatch | None:
    """Import the kept file `token` into the batch `batch_id` (the background half of an
    upload) with its kind's runner. Idempotent: a batch no longer running, or whose
    file another run has claimed, is left alone. Any error fails the batch with its
    message. The file is deleted at the end, whatever happened."""
    batch = ImportBatch.objects.filter(pk=batch_id).select_related("point", "created_by").first()
    if batch is None or batch.state != RUNNING:
        return batch
    with translation.override(language or settings.LANGUAGE_CODE):
        path = _claim(batch.kind, token)
        if path is None:
            _fail(batch_id, _("The uploaded file is gone: the import cannot run. Upload the file again."))
            return None
        try:
            run = kinds.get(batch.kind).run()
            with path.open("rb") as fh:
                return run(batch=batch, fileobj=fh, progress=_progress_writer(batch))
        except Exception as exc:
            logger.exception("import failed batch=%s", batch_id)
            _fail(batch_id, _("The import stopped with an error: %(error)s") % {"error": _describe(exc)})
            return None
        finally:
            path.unlink(missing_ok=True)


def _claim(kind: str, token: str) -> Path | None:
    """Take the kept file for one run: renaming is atomic, so a second run finds nothing."""
    if not _TOKEN(token or ""):
        return None
    source = upload_dir(kind) / token
    claimed = source.with_name(f"{token}.running")
    try:
        os.rename(source, claimed)
    except FileNotFoundError:
        return None
    return claimed


def _progress_writer(batch: ImportBatch):
    """The importer's progress callback: (rows read so far, bytes read so far) onto the batch.
    The importer holds the same instance and saves it whole at the end, so the instance
    carries the figures too."""

    def progress(rows: int, bytes_read: int) -> None:
        batch.bytes_read = min(max(batch.bytes_read, bytes_read), batch.size or bytes_read)
        batch.total_rows = max(batch.total_rows, rows)
        batch.progress_at = timezone.now()
        ImportBatch.objects.filter(pk=batch.pk).update(
            bytes_read=batch.bytes_read, total_rows=batch.total_rows, progress_at=batch.progress_at)

    return progress


def _describe(exc: BaseException) -> str:
    text = str(exc).strip()
    return (f"{type(exc).__name__}: {text}" if text else type(exc).__name__)[:1000]


def _fail(batch_id: int, error: str) -> None:
    """Fail a running batch with `error`, on a working connection even if the error broke the last one."""
    def write():
        return ImportBatch.objects.filter(pk=batch_id, state=RUNNING).update(
            state=FAILED, error=error, finished_at=timezone.now())

    try:
        write()
    except Exception:
        logger.warning("retrying to fail batch=%s on a new connection", batch_id)
        connection.close()
        write()


def fail_stalled(*, point_id: int, kind: str, now: dt.datetime | None = None) -> int:
    """Fail the point's running imports of `kind` that have shown no sign of life for
    STALLED_AFTER (their process died). Returns how many. Looks before it writes (the
    pages call it on every view, and on SQLite a write waits for a running import's
    chunk); the write is a conditional UPDATE, safe from any number of views at once."""
    now = now or timezone.now()
    stalled = ImportBatch.objects.filter(point_id=point_id, kind=kind, state=RUNNING,
                                         progress_at__lt=now - STALLED_AFTER)
    if not stalled.exists():
        return 0
    minutes = int(STALLED_AFTER.total_seconds() // 60)
    return stalled.update(state=FAILED, finished_at=now, error=_(
        "The import stopped: no progress for %(minutes)s minutes (the server was probably restarted). "
        "Upload the file again; rows already stored are not stored twice.") % {"minutes": minutes})
