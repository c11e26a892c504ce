"""storage.py: the one connect + WAL + lock wait + numbered migrations behind every SQLite file revops keeps."""

from __future__ import annotations

import sqlite3
import stat
import threading

from revops_cli import storage

STEPS = [(1, "CREATE TABLE IF NOT EXISTS t (a TEXT);\nCREATE INDEX IF NOT EXISTS t_a ON t (a);"),
         (2, lambda conn: conn.execute("ALTER TABLE t ADD COLUMN b INTEGER DEFAULT 7"))]


def test_connect_is_private_wal_and_migrated(tmp_path):
    path = tmp_path / "state" / "x.db"
    path.parent.mkdir()
    conn = storage.connect_sqlite(path, STEPS)
    conn.execute("INSERT INTO t (a) VALUES ('x')")
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert storage.current_version(conn) == 2
    assert conn.execute("SELECT a, b FROM t").fetchone()[:] == ("x", 7)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert storage.migrate(conn, STEPS) == []                        # nothing pending on reopen
    conn.close()


def test_an_older_file_takes_only_the_new_steps(tmp_path):
    path = tmp_path / "old.db"
    storage.connect_sqlite(path, STEPS[:1]).close()                   # made by a version with one step
    conn = storage.connect_sqlite(path, STEPS)
    assert storage.current_version(conn) == 2 and "b" in [r[1] for r in conn.execute("PRAGMA table_info(t)")]


def test_many_openers_of_a_new_file_apply_each_step_once(tmp_path):
    path = tmp_path / "race.db"
    ran: list[int] = []
    steps = [(1, "CREATE TABLE t (a TEXT)"),        # no IF NOT EXISTS: a second run would fail
             (2, lambda conn: ran.append(2) or conn.execute("ALTER TABLE t ADD COLUMN b TEXT"))]
    errors = []

    def open_one():
        try:
            storage.connect_sqlite(path, steps).close()
        except Exception as exc:              # pragma: no cover - the assertion below shows it
            errors.append(exc)

    threads = [threading.Thread(target=open_one) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and ran == [2]


def test_a_failed_step_leaves_the_file_at_the_last_good_version(tmp_path):
    path = tmp_path / "bad.db"
    storage.connect_sqlite(path, STEPS[:1]).close()
    try:
        storage.connect_sqlite(path, STEPS[:1] + [(2, "ALTER TABLE nope ADD COLUMN c TEXT")])
    except sqlite3.OperationalError:
        pass
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 1


def test_lock_backoff_gives_up_at_its_deadline():
    backoff = storage.LockBackoff(0.05, first=0.01, longest=0.02)
    waits = 0
    while backoff.wait():
        waits += 1
    assert 1 <= waits <= 10
    assert storage.is_locked(sqlite3.OperationalError("database is locked"))
    assert not storage.is_locked(sqlite3.OperationalError("no such table: x"))
