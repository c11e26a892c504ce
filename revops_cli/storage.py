"""The one way revops keeps state in a local file: connect, WAL, wait out another process's lock, and
numbered migrations. Used by the conversation log, the webhook queue, the Slack state, the pending-action
store (SQLite, `connect_sqlite`) and the result cache (DuckDB: `LockBackoff` only).

- `connect_sqlite(path, migrations)`: 0600 before SQLite creates the file (so its -wal/-shm are 0600 too),
  autocommit (`isolation_level=None`; multi-statement writes say `BEGIN IMMEDIATE`), `busy_timeout`, WAL,
  `synchronous = NORMAL` (safe in WAL: a power cut may lose the last write only), then `migrate`. Switching a
  new file to WAL takes an exclusive lock that SQLite does not always wait for when several processes open a
  new file at once, so that step and the migrations are retried with `LockBackoff`.
- `migrate(conn, migrations)`: `migrations` is an append-only list of (number, step); a step is SQL text or a
  function of the connection (for a change that depends on what an older file holds). Every step above the
  file's `PRAGMA user_version` runs, in order, in one `BEGIN IMMEDIATE` transaction with the version bump;
  the version is read again after taking the write lock, so concurrent openers apply each step once. Never
  edit a released step: add a new one.
- `LockBackoff(seconds)`: exponential backoff with jitter until a deadline; `wait()` sleeps and says whether
  to try again. `is_locked(exc)` recognises SQLite's and DuckDB's "locked"/"busy" errors.

What a damaged file means (move it aside, start anew, warn) is each owner's decision (sidefiles.py).
"""

from __future__ import annotations

import random
import sqlite3
import time
from pathlib import Path
from typing import Callable, Sequence, Union

BUSY_TIMEOUT_MS = 15_000

Step = Union[str, Callable[[sqlite3.Connection], None]]
Migrations = Sequence[tuple[int, Step]]


def is_locked(exc: BaseException) -> bool:
    """Another process holds the file: SQLite's "database is locked"/"busy", DuckDB's lock conflicts."""
    from revops_cli.sidefiles import is_lock

    text = str(exc).lower()
    return "locked" in text or "busy" in text or is_lock(exc)


class LockBackoff:
    """Waits between attempts while another process holds a lock: 5 ms doubling to 200 ms, with jitter,
    until `seconds` have passed since it was made."""

    def __init__(self, seconds: float, *, first: float = 0.005, longest: float = 0.2, jitter: bool = True):
        self.deadline = time.monotonic() + seconds
        self.delay, self.longest, self.jitter = first, longest, jitter

    def wait(self) -> bool:
        """Sleep before the next attempt; False (without sleeping) once the deadline has passed."""
        if time.monotonic() > self.deadline:
            return False
        time.sleep(self.delay + (random.random() * self.delay if self.jitter else 0))
        self.delay = min(self.delay * 2, self.longest)
        return True


def connect_sqlite(path: Path | str, migrations: Migrations = (), *,
                   busy_timeout_ms: int = BUSY_TIMEOUT_MS) -> sqlite3.Connection:
    """An autocommit WAL connection to `path` (rows as sqlite3.Row), its migrations applied. Raises
    sqlite3.Error (not a database, a lock held past the timeout) or OSError (disk, permissions)."""
    from revops_cli.private_files import secure_sqlite

    path = Path(path)
    secure_sqlite(path)
    conn = sqlite3.connect(str(path), timeout=busy_timeout_ms / 1000, isolation_level=None,
                           check_same_thread=False)
    conn.row_factory = sqlite3.Row
    try:
        conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        backoff = LockBackoff(busy_timeout_ms / 1000, jitter=False)
        while True:
            try:
                if conn.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
                    conn.execute("PRAGMA journal_mode = WAL")
                migrate(conn, migrations)
                break
            except sqlite3.OperationalError as exc:
                if not is_locked(exc) or not backoff.wait():
                    raise
        conn.execute("PRAGMA synchronous = NORMAL")
        secure_sqlite(path)                 # the -wal and -shm files SQLite has just made
    except BaseException:
        conn.close()
        raise
    return conn


def current_version(conn: sqlite3.Connection) -> int:
    return conn.execute("PRAGMA user_version").fetchone()[0]


def migrate(conn: sqlite3.Connection, migrations: Migrations) -> list[int]:
    """Apply the steps above the file's user_version; returns the numbers applied by this call (usually
    none: a current file costs one PRAGMA read). `conn` must be in autocommit mode."""
    if not migrations or current_version(conn) >= migrations[-1][0]:
        return []
    applied: list[int] = []
    conn.execute("BEGIN IMMEDIATE")
    try:
        version = current_version(conn)      # another process may have migrated while we waited
        for number, step in migrations:
            if number <= version:
                continue
            if callable(step):
                step(conn)
            else:
                for statement in statements(step):
                    conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {int(number)}")
            applied.append(number)
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return applied


def statements(sql: str) -> list[str]:
    """Split SQL text into statements (executescript would commit the migration's transaction)."""
    out, buf = [], ""
    for line in sql.splitlines(keepends=True):
        buf += line
        if sqlite3.complete_statement(buf):
            if buf.strip():
                out.append(buf.strip())
            buf = ""
    if buf.strip():
        out.append(buf.strip())
    return out
