"""Django's SQLite backend, with write transactions waiting on a lock rather than
sleeping in SQLite's busy handler.

SQLite lets one writer in at a time. A connection that finds the database
locked sleeps in its busy handler — 1, 2, 5, 10, 15, 20, 25 … ms — and tries
again, so under a steady stream of short write transactions (the API creating
tickets from several threads and worker processes) the waiting connections
sleep far longer than the writer holds the lock: the web server stood idle
while requests queued (decision 0004).

Every `transaction.atomic` block here starts with `BEGIN IMMEDIATE` (settings),
which takes SQLite's write lock. This backend takes `WriteLock` first: threads
of a process wait on a `threading.Lock` (one of them wakes the moment it is
free), processes on an `flock` of a file beside the database (tried every 0.1 to
1 ms: no strict first-come order between processes, but no sleeping past the
moment it is free either). The lock is let go at commit, rollback or close. A
connection that cannot get it within `KEFU_SQLITE_WRITE_WAIT` seconds, or cannot
use the lock file at all (permissions, a filesystem without locks), goes on to
SQLite, whose own busy timeout then applies as before; writes outside a
transaction (autocommit) never take it. In-memory databases need none.
"""

from __future__ import annotations

import fcntl
import logging
import os
import stat
import threading
import time
from pathlib import Path

from django.conf import settings
from django.db.backends.sqlite3 import base

logger = logging.getLogger(__name__)

# Between two tries of the file lock: short, because a write transaction here lasts a
# millisecond or two; doubled up to the cap while the wait goes on.
_FIRST_POLL_S = 0.0001
_POLL_CAP_S = 0.001


class WriteLock:
    """One per database file and process: a thread lock, then the file lock.
    Re-entrant per holder is not needed: Django starts one transaction at a time
    per connection."""

    _registry: dict[tuple[str, int], WriteLock] = {}
    _registry_lock = threading.Lock()

    def __init__(self, path: str):
        self.path = path + ".writelock"
        self._thread_lock = threading.Lock()
        self._fd: int | None = None

    @classmethod
    def for_database(cls, path: str) -> WriteLock:
        # Keyed by pid too: a forked worker must not share its parent's open file
        # (flock belongs to the open file, so parent and child would both hold it).
        key = (os.path.realpath(path), os.getpid())
        with cls._registry_lock:
            lock = cls._registry.get(key)
            if lock is None:
                lock = cls._registry[key] = cls(key[0])
            return lock

    def acquire(self, timeout: float) -> bool:
        """True when this caller now holds the lock; False after `timeout` seconds,
        or when the lock file cannot be used (logged; SQLite's own locking remains)."""
        deadline = time.monotonic() + timeout
        if not self._thread_lock.acquire(timeout=timeout):
            return False
        try:
            if self._fd is None:
                self._fd = self._open()
            pause = _FIRST_POLL_S
            while True:
                try:
                    fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    return True
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        break
                    time.sleep(pause)
                    pause = min(pause * 2, _POLL_CAP_S)
        except OSError as exc:
            logger.warning("sqlite write lock unusable, left to SQLite's busy timeout",
                           extra={"path": self.path, "error": str(exc)})
        except BaseException:
            self._thread_lock.release()
            raise
        self._thread_lock.release()
        return False

    def _open(self) -> int:
        # The database file's permissions, as SQLite gives its -wal and -shm files: whoever
        # may write the database may take the lock.
        database = self.path.removesuffix(".writelock")
        try:
            mode = stat.S_IMODE(os.stat(database).st_mode) & 0o666
        except OSError:
            mode = 0o644
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, mode)
        try:
            if os.fstat(fd).st_size == 0:  # just made: umask may have narrowed the mode
                os.fchmod(fd, mode)
        except OSError:
            pass
        return fd

    def release(self) -> None:
        fcntl.flock(self._fd, fcntl.LOCK_UN)
        self._thread_lock.release()


class DatabaseWrapper(base.DatabaseWrapper):
    _write_lock: WriteLock | None = None
    _holds_write_lock = False

    def get_new_connection(self, conn_params):
        conn = super().get_new_connection(conn_params)
        name = str(self.settings_dict["NAME"])
        if not self.is_in_memory_db() and Path(name).parent.is_dir():
            self._write_lock = WriteLock.for_database(name)
        return conn

    def _start_transaction_under_autocommit(self):
        lock = self._write_lock
        if lock is not None and not self._holds_write_lock and self.transaction_mode == "IMMEDIATE":
            self._holds_write_lock = lock.acquire(getattr(settings, "KEFU_SQLITE_WRITE_WAIT", 10.0))
        try:
            super()._start_transaction_under_autocommit()
        except BaseException:
            self._let_go()
            raise

    def _let_go(self) -> None:
        if self._holds_write_lock:
            self._holds_write_lock = False
            self._write_lock.release()

    def _commit(self):
        try:
            return super()._commit()
        finally:
            self._let_go()

    def _rollback(self):
        try:
            return super()._rollback()
        finally:
            self._let_go()

    def _close(self):
        try:
            return super()._close()
        finally:
            self._let_go()
