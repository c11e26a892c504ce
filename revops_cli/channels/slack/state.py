"""The bot's SQLite file (`<home>/slack.db`, or `slack.state_path`): `SlackState`.

It holds the event ids already seen, so a retried or twice-delivered event is answered once even by
several processes behind one URL, and the actions waiting for a Confirm / Cancel click, so they survive a
restart.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
import time
from collections import OrderedDict
from pathlib import Path
from typing import Any

from revops_cli.storage import connect_sqlite
from revops_cli.formatting import json_default

log = logging.getLogger("revops.slack")

SEEN_TTL_S = 24 * 3600           # event ids are remembered this long (Slack retries within minutes)

# Numbered migrations (storage.migrate): append, never edit. 1 is the schema as it was before numbering
# (IF NOT EXISTS, so an older file takes it as it is).
MIGRATIONS = [(1, """
CREATE TABLE IF NOT EXISTS seen_events (key TEXT PRIMARY KEY, seen_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS pending_actions (id TEXT PRIMARY KEY, created_at REAL NOT NULL,
    updated_at REAL NOT NULL, status TEXT NOT NULL, user TEXT, channel TEXT NOT NULL,
    thread_ts TEXT NOT NULL, session_id TEXT NOT NULL, message_ts TEXT, request TEXT NOT NULL,
    actions TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS pending_by_session ON pending_actions (session_id, status);
""")]


class SlackState:
    """Seen event ids (dedupe across retries and processes) and pending confirmations, in one SQLite file.

    `first_time(key)` is an in-memory LRU in front of an `INSERT OR IGNORE`, so two processes behind one
    URL still answer an event once. Pending confirmations survive a restart."""

    def __init__(self, path: Path, lru_size: int = 20000):
        from revops_cli.sidefiles import is_damage, move_aside, reason, warn

        self.path = Path(path)
        self._lock = threading.Lock()
        try:
            self._open()
        except sqlite3.Error as exc:
            if not (is_damage(exc) and self.path.exists()):
                raise
            # A damaged file (not SQLite, truncated) is kept under a new name and a new one started: the
            # bot keeps answering; the confirmations that were pending in it are lost (they expire anyway).
            moved = move_aside(self.path)
            warn(f"the Slack state file {self.path} is damaged ({reason(exc)}); kept it as {moved.name} and "
                 "started a new one (pending confirmations in it are dropped)")
            self._open()
        self._recent: OrderedDict[str, None] = OrderedDict()
        self._lru_size = lru_size
        self._inserts = 0

    def _open(self) -> None:
        # pending actions and who asked: 0600 in a 0700 folder; WAL, busy timeout, migrations (storage.py)
        self._conn = connect_sqlite(self.path, MIGRATIONS)
        try:
            with self._lock:
                self._conn.execute("SELECT count(*) FROM pending_actions WHERE status = 'pending'").fetchone()
        except BaseException:
            self._conn.close()
            raise

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def first_time(self, key: str) -> bool:
        """True the first time `key` is seen by any process sharing the file, False afterwards."""
        with self._lock:
            if key in self._recent:
                self._recent.move_to_end(key)
                return False
            self._recent[key] = None
            if len(self._recent) > self._lru_size:
                self._recent.popitem(last=False)
            now = time.time()
            try:
                cur = self._conn.execute("INSERT OR IGNORE INTO seen_events (key, seen_at) VALUES (?, ?)", (key, now))
                self._inserts += 1
                if self._inserts % 1000 == 0:
                    self._conn.execute("DELETE FROM seen_events WHERE seen_at < ?", (now - SEEN_TTL_S,))
                return cur.rowcount == 1
            except sqlite3.Error as exc:     # the in-memory LRU still dedupes within this process
                log.warning("slack: seen-events table unavailable (%s); deduping in memory only", exc)
                return True

    def add_pending(self, pid: str, *, user: str | None, channel: str, thread_ts: str, session_id: str,
                    request: dict[str, Any], actions: list[dict[str, Any]]) -> None:
        now = time.time()
        with self._lock:
            self._conn.execute(
                "INSERT INTO pending_actions (id, created_at, updated_at, status, user, channel, thread_ts, "
                "session_id, message_ts, request, actions) VALUES (?, ?, ?, 'pending', ?, ?, ?, ?, NULL, ?, ?)",
                (pid, now, now, user, channel, thread_ts, session_id, json.dumps(request, default=json_default),
                 json.dumps(actions, default=json_default)))

    def set_message(self, pid: str, message_ts: str | None) -> None:
        with self._lock:
            self._conn.execute("UPDATE pending_actions SET message_ts = ? WHERE id = ?", (message_ts, pid))

    def get(self, pid: str) -> dict[str, Any] | None:
        with self._lock:
            row = self._conn.execute("SELECT * FROM pending_actions WHERE id = ?", (pid,)).fetchone()
        return self._decode(row)

    def latest_pending(self, session_id: str) -> dict[str, Any] | None:
        with self._lock:
            row = self._conn.execute("SELECT * FROM pending_actions WHERE session_id = ? AND status = 'pending' "
                                     "ORDER BY created_at DESC LIMIT 1", (session_id,)).fetchone()
        return self._decode(row)

    def claim(self, pid: str, status: str) -> bool:
        """Move a pending entry to `status`; False if it was no longer pending (another click won)."""
        with self._lock:
            cur = self._conn.execute("UPDATE pending_actions SET status = ?, updated_at = ? "
                                     "WHERE id = ? AND status = 'pending'", (status, time.time(), pid))
        return cur.rowcount == 1

    def finish(self, pid: str, status: str) -> None:
        with self._lock:
            self._conn.execute("UPDATE pending_actions SET status = ?, updated_at = ? WHERE id = ?",
                               (status, time.time(), pid))

    @staticmethod
    def _decode(row: sqlite3.Row | None) -> dict[str, Any] | None:
        if row is None:
            return None
        d = dict(row)
        d["request"] = json.loads(d["request"])
        d["actions"] = json.loads(d["actions"])
        return d
