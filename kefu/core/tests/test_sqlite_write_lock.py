"""The SQLite backend's write lock: one write transaction at a time per database
file, across threads and processes, let go at commit, rollback and close."""

import multiprocessing
import threading

import pytest
from django.db.utils import ConnectionHandler

from kefu.core.sqlite.base import WriteLock


def _wrapper(path):
    handler = ConnectionHandler({"default": {
        "ENGINE": "kefu.core.sqlite", "NAME": str(path),
        "OPTIONS": {"transaction_mode": "IMMEDIATE", "init_command": "PRAGMA journal_mode=WAL;"},
    }})
    return handler["default"]


@pytest.fixture
def unblocked(django_db_blocker):
    # Connections of their own to files of their own: not the test database.
    with django_db_blocker.unblock():
        yield


def _free(lock_path) -> bool:
    """Whether another holder could take the lock now (asked from a new thread)."""
    result = []
    t = threading.Thread(target=lambda: result.append(_try_in_thread(lock_path)))
    t.start()
    t.join()
    return result[0]


def _try_in_thread(path) -> bool:
    lock = WriteLock.for_database(str(path))
    if lock.acquire(timeout=0.02):
        lock.release()
        return True
    return False


def test_a_second_thread_waits_for_the_first_and_then_gets_in(tmp_path):
    db = str(tmp_path / "a.sqlite3")
    lock = WriteLock.for_database(db)
    assert lock.acquire(timeout=1)
    assert not _free(db)
    lock.release()
    assert _free(db)


def _hold_in_child(db, held, done):
    lock = WriteLock.for_database(db)
    lock.acquire(timeout=5)
    held.set()
    done.wait(10)
    lock.release()


def test_another_process_holding_the_file_lock_keeps_this_one_out(tmp_path):
    db = str(tmp_path / "b.sqlite3")
    ctx = multiprocessing.get_context("fork")
    held, done = ctx.Event(), ctx.Event()
    child = ctx.Process(target=_hold_in_child, args=(db, held, done))
    child.start()
    try:
        assert held.wait(10)
        lock = WriteLock.for_database(db)
        assert not lock.acquire(timeout=0.05)
        done.set()
        assert lock.acquire(timeout=5)
        lock.release()
    finally:
        done.set()
        child.join(10)


@pytest.mark.parametrize("end", ["commit", "rollback", "close"])
def test_a_write_transaction_holds_the_lock_until_it_ends(tmp_path, end, unblocked):
    db = tmp_path / "c.sqlite3"
    conn = _wrapper(db)
    try:
        with conn.cursor() as cursor:
            cursor.execute("CREATE TABLE t (x integer)")
        assert _free(db)

        conn._start_transaction_under_autocommit()
        with conn.cursor() as cursor:
            cursor.execute("INSERT INTO t VALUES (1)")
        assert not _free(db)

        if end == "commit":
            conn.commit()
        elif end == "rollback":
            conn.rollback()
        else:
            conn.close()
        assert _free(db)
    finally:
        conn.close()

    reopened = _wrapper(db)
    with reopened.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM t")
        assert cursor.fetchone()[0] == (1 if end == "commit" else 0)
    reopened.close()


def test_an_in_memory_database_takes_no_lock(unblocked):
    conn = _wrapper(":memory:")
    conn.ensure_connection()
    assert conn._write_lock is None
    conn.close()


def test_a_lock_file_it_cannot_open_leaves_the_writes_to_sqlite(tmp_path, unblocked):
    db = tmp_path / "d.sqlite3"
    conn = _wrapper(db)
    with conn.cursor() as cursor:
        cursor.execute("CREATE TABLE t (x integer)")
    lock_path = tmp_path / "d.sqlite3.writelock"
    lock_path.unlink(missing_ok=True)
    lock_path.mkdir()  # os.open of a directory for writing fails, as a file of another user's would
    try:
        conn._start_transaction_under_autocommit()
        with conn.cursor() as cursor:
            cursor.execute("INSERT INTO t VALUES (1)")
        conn.commit()
        with conn.cursor() as cursor:
            cursor.execute("SELECT COUNT(*) FROM t")
            assert cursor.fetchone()[0] == 1
    finally:
        conn.close()


def test_the_lock_file_takes_the_database_files_permissions(tmp_path, unblocked):
    db = tmp_path / "e.sqlite3"
    db.touch()
    db.chmod(0o664)
    lock = WriteLock.for_database(str(db))
    assert lock.acquire(timeout=1)
    lock.release()
    assert (tmp_path / "e.sqlite3.writelock").stat().st_mode & 0o777 == 0o664
