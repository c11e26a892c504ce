"""Numbered schema migrations for the conversation log (SQLite).

`MIGRATIONS` is an append-only list of (version, sql), applied by `storage.migrate` (revops_cli/storage.py:
every migration above the file's `PRAGMA user_version`, in one `BEGIN IMMEDIATE` transaction with the
version bump, each exactly once however many processes open a new file at once; the approach of
sqlite-utils / llm). It runs on every open and costs one PRAGMA read when the file is current.

Never edit a released migration: add a new one.

Design: one row per conversation; the trace steps, the structured data and the sources are JSON text
columns rather than a steps table, because a conversation is always written whole (one INSERT per
answer keeps `record()` to a single cheap statement) and always read whole (show, export, continuity);
nothing queries single steps across conversations. A few derived numbers (step/tool counts, quality)
are plain columns so `list` can show them without decoding JSON.
"""

from __future__ import annotations

import sqlite3

from revops_cli import storage

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
    return storage.current_version(conn)


def migrate(conn: sqlite3.Connection) -> list[int]:
    """Apply pending migrations (storage.migrate); returns the versions applied by this call (usually none)."""
    return storage.migrate(conn, MIGRATIONS)
