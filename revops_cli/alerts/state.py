"""What the alerts remember between runs, in SQLite (`<home>/alerts.db`, or `alerts.path`; numbered migrations
through storage.py like the conversation log): which firings are active, and which destination each was
delivered to. That is what makes every firing go out once per change:

- a condition that starts to hold opens a firing (id `alf_…`, also the Standard Webhooks `webhook-id`, so a
  receiver can drop a duplicate too), with one delivery row per destination, `pending`;
- while it keeps holding, later runs only note it (`last_seen_as_of`): nothing is sent again;
- when it stops holding, the firing is closed; if it holds again later, that is a new firing;
- a delivery is claimed (`pending`/`failed` -> `sending`, one atomic UPDATE) before it is sent, so two runs
  at once never both send it; a failed one is retried by the next run while its firing is active; a claim
  left by a run that died is taken back after CLAIM_TIMEOUT_S.

The file holds no secret: destinations are stored as written (`webhook:NAME`, `slack:#channel`), never URLs.
A damaged file is not moved aside (it would send every active firing again): it stops the run (exit 3).
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from revops_cli import storage
from revops_cli.errors import UnusableFileError

CLAIM_TIMEOUT_S = 600

MIGRATIONS: list[tuple[int, str]] = [
    (1, """
CREATE TABLE IF NOT EXISTS firings (
    firing_id        TEXT PRIMARY KEY,      -- alf_<hex>: also the webhook-id of its deliveries
    alert            TEXT NOT NULL,         -- the alert's name in alerts.yaml
    subject          TEXT NOT NULL,         -- 'deal:OPP-…', 'owner:USR-…' or 'all'
    active           INTEGER NOT NULL,      -- 1 while the condition holds
    title            TEXT NOT NULL,
    detail           TEXT NOT NULL,
    payload          TEXT NOT NULL DEFAULT '{}',   -- what was sent (JSON), no secrets
    fired_as_of      TEXT NOT NULL,         -- the analysis date of the run that opened it
    fired_at         TEXT NOT NULL,         -- wall clock, ISO 8601 UTC
    last_seen_as_of  TEXT NOT NULL,
    cleared_as_of    TEXT,
    cleared_at       TEXT
);
CREATE UNIQUE INDEX IF NOT EXISTS firings_one_active ON firings (alert, subject) WHERE active = 1;
CREATE TABLE IF NOT EXISTS deliveries (
    firing_id        TEXT NOT NULL,
    target           TEXT NOT NULL,         -- 'slack:#revops', 'webhook:NAME': never a URL
    status           TEXT NOT NULL,         -- pending | sending | delivered | failed
    attempts         INTEGER NOT NULL DEFAULT 0,
    claimed_at       REAL,
    delivered_at     TEXT,
    last_error       TEXT,                  -- redacted one-line message
    PRIMARY KEY (firing_id, target)
);
CREATE TABLE IF NOT EXISTS runs (
    run_id           TEXT PRIMARY KEY,
    started_at       TEXT NOT NULL,
    as_of            TEXT NOT NULL,
    summary          TEXT NOT NULL DEFAULT '{}'   -- the run's JSON log entry
);
"""),
]


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass
class Pending:
    firing_id: str
    target: str
    attempts: int
    payload: dict[str, Any]
    title: str
    alert: str
    subject: str


class AlertState:
    def __init__(self, path: Path):
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.conn = storage.connect_sqlite(self.path, MIGRATIONS)
        except (sqlite3.Error, OSError) as exc:
            raise UnusableFileError(f"the alert state {self.path} cannot be opened ({type(exc).__name__}: {exc})",
                                    "fix or remove the file: removing it sends every active firing again") from None

    @classmethod
    def from_settings(cls, settings: Any) -> "AlertState":
        path = settings.get("alerts.path") or (settings.home / "alerts.db")
        return cls(Path(path).expanduser())

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> "AlertState":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # -- firings ---------------------------------------------------------------------------------------
    def active(self) -> dict[tuple[str, str], sqlite3.Row]:
        rows = self.conn.execute("SELECT * FROM firings WHERE active = 1").fetchall()
        return {(r["alert"], r["subject"]): r for r in rows}

    def open_firing(self, firing_id: str, alert: str, subject: str, title: str, detail: str,
                    payload: dict[str, Any], as_of: str, targets: list[str]) -> bool:
        """Open a firing and its pending deliveries; False when another run opened it first."""
        from revops_cli.formatting import json_default
        from revops_cli.redaction import redact_value

        body = json.dumps(redact_value(payload), default=json_default, sort_keys=True)
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            self.conn.execute(
                "INSERT INTO firings (firing_id, alert, subject, active, title, detail, payload, fired_as_of, "
                "fired_at, last_seen_as_of) VALUES (?, ?, ?, 1, ?, ?, ?, ?, ?, ?)",
                (firing_id, alert, subject, title, detail, body, as_of, _now(), as_of))
            for t in targets:
                self.conn.execute("INSERT INTO deliveries (firing_id, target, status) VALUES (?, ?, 'pending')",
                                  (firing_id, t))
            self.conn.execute("COMMIT")
        except sqlite3.IntegrityError:
            self.conn.execute("ROLLBACK")
            return False
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        return True

    def seen(self, firing_id: str, as_of: str) -> None:
        self.conn.execute("UPDATE firings SET last_seen_as_of = ? WHERE firing_id = ?", (as_of, firing_id))

    def clear(self, firing_id: str, as_of: str) -> None:
        self.conn.execute("UPDATE firings SET active = 0, cleared_as_of = ?, cleared_at = ? WHERE firing_id = ?",
                          (as_of, _now(), firing_id))

    # -- deliveries ------------------------------------------------------------------------------------
    def undelivered(self) -> list[Pending]:
        """Deliveries of active firings not yet made (pending, failed, or a claim that timed out)."""
        import time

        rows = self.conn.execute(
            "SELECT d.firing_id, d.target, d.attempts, d.status, d.claimed_at, f.payload, f.title, f.alert, f.subject "
            "FROM deliveries d JOIN firings f ON f.firing_id = d.firing_id "
            "WHERE f.active = 1 AND d.status <> 'delivered' ORDER BY f.fired_at, d.firing_id, d.target").fetchall()
        out = []
        for r in rows:
            if r["status"] == "sending" and r["claimed_at"] and time.time() - r["claimed_at"] < CLAIM_TIMEOUT_S:
                continue
            out.append(Pending(r["firing_id"], r["target"], r["attempts"], json.loads(r["payload"]), r["title"],
                               r["alert"], r["subject"]))
        return out

    def claim(self, p: Pending) -> bool:
        """Take a delivery for this run (one atomic UPDATE); False when another run has it or it is done."""
        import time

        cur = self.conn.execute(
            "UPDATE deliveries SET status = 'sending', claimed_at = ?, attempts = attempts + 1 "
            "WHERE firing_id = ? AND target = ? AND (status IN ('pending', 'failed') OR "
            "(status = 'sending' AND claimed_at < ?))",
            (time.time(), p.firing_id, p.target, time.time() - CLAIM_TIMEOUT_S))
        return cur.rowcount == 1

    def delivered(self, p: Pending) -> None:
        self.conn.execute("UPDATE deliveries SET status = 'delivered', delivered_at = ?, last_error = NULL "
                          "WHERE firing_id = ? AND target = ?", (_now(), p.firing_id, p.target))

    def failed(self, p: Pending, error: str) -> None:
        from revops_cli.redaction import redact_text

        self.conn.execute("UPDATE deliveries SET status = 'failed', last_error = ? WHERE firing_id = ? AND target = ?",
                          (redact_text(error), p.firing_id, p.target))

    def deliveries(self, firing_id: str | None = None) -> list[dict[str, Any]]:
        sql = "SELECT * FROM deliveries" + (" WHERE firing_id = ?" if firing_id else "") + " ORDER BY firing_id, target"
        return [dict(r) for r in self.conn.execute(sql, (firing_id,) if firing_id else ()).fetchall()]

    def firings(self, active_only: bool = False) -> list[dict[str, Any]]:
        sql = "SELECT * FROM firings" + (" WHERE active = 1" if active_only else "") + " ORDER BY fired_at, firing_id"
        return [dict(r) for r in self.conn.execute(sql).fetchall()]

    # -- runs ------------------------------------------------------------------------------------------
    def record_run(self, run_id: str, as_of: str, summary: dict[str, Any]) -> None:
        from revops_cli.formatting import json_default

        self.conn.execute("INSERT INTO runs (run_id, started_at, as_of, summary) VALUES (?, ?, ?, ?)",
                          (run_id, _now(), as_of, json.dumps(summary, default=json_default, sort_keys=True)))
