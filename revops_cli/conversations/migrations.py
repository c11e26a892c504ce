"""Numbered schema migrations for the conversation log (SQLite).

`MIGRATIONS` is an append-only list of (version, sql). `migrate(conn)` runs, in order, every migration
whose number is above the file's `PRAGMA user_version`, each in the same `BEGIN IMMEDIATE` transaction
as the `user_version` bump, and re-reads the version after taking the write lock, so several processes
opening a new file at once apply each migration exactly once. It runs on every open and costs one
PRAGMA read when the file is current (the approach of sqlite-utils / llm).

Never edit a released migration: add a new one.

Design: one row per conversation; the trace steps, the structured data and the sources are JSON text
columns rather than a steps table, because a conversation is always written whole (one INSERT per
answer keeps `record()` to a single cheap statement) and always read whole (show, export, continuity);
nothing queries single steps across conversations. A few derived numbers (step/tool counts, quality)
are plain columns so `list` can show them without decoding JSON.
"""

from __future__ import annotations

import sqlite3

MIGRATIONS: list[tuple[int, str]] = [
    (1, """
CREATE TABLE IF NOT EXISTS conversations (
    id              TEXT PRIMARY KEY,       -- Answer.request_id (or a new id)
    request_id      TEXT,
    session_id      TEXT,
    channel         TEXT NOT NULL,          -- cli | slack | webhook | report
    user            TEXT,
    source_system   TEXT,
    source_process  TEXT,
    started_at      TEXT NOT NULL,          -- ISO 8601 UTC, fixed width: 2025-08-03T03:25:49.123456Z
    ended_at        TEXT,
    query           TEXT NOT NULL,
    params          TEXT NOT NULL DEFAULT '{}',   -- Request.params (JSON)
    agent           TEXT,                   -- the answering agent
    agents_involved TEXT NOT NULL DEFAULT '[]',   -- JSON list
    steps           TEXT NOT NULL DEFAULT '[]',   -- JSON list of Step dicts
    response        TEXT,                   -- final answer, markdown
    data            TEXT NOT NULL DEFAULT '{}',   -- Answer.data (JSON)
    sources         TEXT NOT NULL DEFAULT '[]',
    pending_actions TEXT NOT NULL DEFAULT '[]',
    ok              INTEGER NOT NULL,
    error           TEXT,
    duration_ms     REAL,
    backend         TEXT,
    quality         REAL,
    n_steps         INTEGER NOT NULL DEFAULT 0,
    n_tools         INTEGER NOT NULL DEFAULT 0,
    n_failed_tools  INTEGER NOT NULL DEFAULT 0,
    redactions      TEXT NOT NULL DEFAULT '{}',   -- {field group: {kind: count}}, never values
    recorded_at     TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS conversations_started ON conversations (started_at);
CREATE INDEX IF NOT EXISTS conversations_channel ON conversations (channel, started_at);
CREATE INDEX IF NOT EXISTS conversations_session ON conversations (session_id, started_at);
"""),
    # The answer receipt (issue 13): what was computed - measures, filters, period, the SQL, the definitions
    # used, freshness - as its own column, so the log can be searched by it and exports carry it whole.
    (2, """
ALTER TABLE conversations ADD COLUMN receipt TEXT NOT NULL DEFAULT '{}';
"""),
]

SCHEMA_VERSION = MIGRATIONS[-1][0]


def current_version(conn: sqlite3.Connection) -> int:
    return conn.execute("PRAGMA user_version").fetchone()[0]


def migrate(conn: sqlite3.Connection) -> list[int]:
    """Apply pending migrations; returns the versions applied by this call (usually none).

    `conn` must be in autocommit mode (isolation_level=None).
    """
    if current_version(conn) >= SCHEMA_VERSION:
        return []
    applied: list[int] = []
    conn.execute("BEGIN IMMEDIATE")
    try:
        version = current_version(conn)      # another process may have migrated while we waited
        for number, sql in MIGRATIONS:
            if number <= version:
                continue
            for statement in _statements(sql):
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {int(number)}")
            applied.append(number)
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return applied


def _statements(sql: str) -> list[str]:
    """Split a migration into statements (executescript would commit our transaction)."""
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
