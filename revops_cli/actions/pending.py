"""The pending-action store: dry runs waiting for a confirmation (`<home>/actions.db`, or `actions.path`).

A dry-run answer (any channel, any backend) stores the actions it showed, exactly: kind, target, payload
and a hash of the payload, who asked (channel + user), the session, when, and until when it may be
confirmed (`actions.pending_ttl_seconds`, default 3600). The answer carries the id (`act_…`); one id holds
every action of that answer, confirmed together.

Confirming (`Request.confirm_action_id`, see service.ask) runs the stored actions as they are: nothing is
planned again, no session is read, no text is parsed. `claim()` checks, in one place for every channel:
the id exists, it has not expired, it has not run (the claim is one conditional UPDATE, so two clicks run
it once), the stored payloads still match their hashes, and the confirming channel + user is the asker or
an approver (`actions.approvers`: `user` entries approve on the asker's channel, `channel:user` entries on
that channel). Each refusal is a `PendingActionError` (exit code 2) with a one-line message.

SQLite in WAL mode, the file 0600 (the payloads hold message texts); several processes (Slack workers,
webhook workers, the CLI) share it.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from revops_cli.errors import UsageError
from revops_cli.formatting import json_default

DEFAULT_TTL_S = 3600
ID_PREFIX = "act_"
PUBLIC_KEYS = ("kind", "target", "payload", "status")


class PendingActionError(UsageError):
    """A confirmation that cannot run: unknown id, expired, already run or cancelled, or not yours."""

    exit_code = 2

    def __init__(self, message: str, hint: str | None = None, *, reason: str = "unknown"):
        super().__init__(message, hint)
        self.reason = reason            # unknown | expired | settled | forbidden | tampered
        self.http_status = {"unknown": 404, "forbidden": 403, "expired": 410}.get(reason, 409)


def canonical_json(payload: Any) -> str:
    from revops_cli.models import jsonable

    return json.dumps(jsonable(payload), sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=json_default)


def payload_hash(payload: Any) -> str:
    """`sha256:<hex>` of the payload's canonical JSON (sorted keys, no spaces)."""
    return "sha256:" + hashlib.sha256(canonical_json(payload).encode("utf-8")).hexdigest()


def normalised(payload: Any) -> Any:
    """The payload as it is stored and run: plain JSON (dates as text, decimals as numbers)."""
    return json.loads(canonical_json(payload))


def iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, tz=timezone.utc).isoformat(timespec="seconds")


@dataclass
class PendingAction:
    """One dry-run answer's actions, as stored."""

    id: str
    channel: str
    user: str | None
    session_id: str | None
    request_id: str | None
    text: str
    created_at: float
    expires_at: float
    status: str                                   # pending | running | done | failed | cancelled
    actions: list[dict[str, Any]] = field(default_factory=list)   # kind, target, payload, payload_hash
    settled_by: str | None = None

    @property
    def asker(self) -> str:
        return f"{self.channel}:{self.user or '-'}"

    @property
    def expires_at_iso(self) -> str:
        return iso(self.expires_at)


def approvers_of(settings: Any) -> list[str]:
    value = settings.get("actions.approvers") or []
    if isinstance(value, str):
        value = value.split(",")
    return [str(v).strip() for v in value if str(v).strip()]


def ttl_of(settings: Any) -> float:
    from revops_cli.errors import ConfigError

    value = settings.get("actions.pending_ttl_seconds", DEFAULT_TTL_S)
    try:
        ttl = float(DEFAULT_TTL_S if value is None else value)
    except (TypeError, ValueError):
        raise ConfigError(f"actions.pending_ttl_seconds {value!r} is not a number of seconds",
                          "set it to e.g. 3600") from None
    if ttl <= 0:
        raise ConfigError("actions.pending_ttl_seconds must be more than 0", "set it to e.g. 3600")
    return ttl


def may_confirm(record: PendingAction, channel: str, user: str | None, approvers: list[str]) -> bool:
    """The asker (same channel and user), or an approver: `user` on the asker's channel, or `channel:user`."""
    if not user:
        return False
    if channel == record.channel and user == record.user:
        return True
    for entry in approvers:
        ch, sep, who = entry.partition(":")
        if sep and ch == channel and who == user:
            return True
        if not sep and channel == record.channel and entry == user:
            return True
    return False


def refusal(record: PendingAction | None, action_id: str, channel: str, user: str | None, approvers: list[str],
            now: float | None = None) -> PendingActionError | None:
    """Why `channel`+`user` may not confirm `record` now (None: they may)."""
    now = time.time() if now is None else now
    if record is None:
        return PendingActionError(f"no dry run {action_id!r} is waiting for a confirmation",
                                  "run the request again without --yes to get a fresh id", reason="unknown")
    if not may_confirm(record, channel, user, approvers):
        return PendingActionError(f"{action_id} was asked by someone else; only they or an approver may confirm it",
                                  "ask them to confirm it, or ask for the action yourself", reason="forbidden")
    if record.status != "pending":
        word = {"cancelled": "was cancelled", "failed": "already ran (and failed)"}.get(record.status, "already ran")
        return PendingActionError(f"{action_id} {word}; nothing was run again",
                                  "ask again for a fresh dry run", reason="settled")
    if record.expires_at <= now:
        return PendingActionError(f"{action_id} expired at {record.expires_at_iso}; nothing was run",
                                  "ask again for a fresh dry run", reason="expired")
    return None


# Numbered migrations (storage.migrate): append, never edit. 1 is the schema as it was before numbering.
MIGRATIONS = [(1, """
CREATE TABLE IF NOT EXISTS pending_actions (id TEXT PRIMARY KEY, channel TEXT NOT NULL, user TEXT,
    session_id TEXT, request_id TEXT, text TEXT NOT NULL, created_at REAL NOT NULL,
    expires_at REAL NOT NULL, status TEXT NOT NULL, settled_by TEXT, settled_at REAL,
    actions TEXT NOT NULL, results TEXT)
""")]


class PendingStore:
    """The SQLite file of dry runs. Safe to share between processes; each call is one short transaction."""

    def __init__(self, path: Path):
        from revops_cli.private_files import private_dir
        from revops_cli.storage import connect_sqlite

        self.path = Path(path)
        private_dir(self.path.parent)
        self._conn = connect_sqlite(self.path, MIGRATIONS)   # 0600 (and its WAL, which holds the payloads), WAL

    @classmethod
    def from_settings(cls, settings: Any) -> "PendingStore":
        p = settings.get("actions.path")
        return cls(Path(p).expanduser() if p else settings.home / "actions.db")

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> "PendingStore":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # -- writing a dry run ---------------------------------------------------------------------------
    def add(self, actions: list[dict[str, Any]], *, channel: str, user: str | None, session_id: str | None,
            request_id: str | None, text: str, ttl_s: float = DEFAULT_TTL_S,
            now: float | None = None) -> PendingAction:
        """Store the actions as shown (each: kind, target, payload, payload_hash); returns the record."""
        from revops_cli.models import new_id

        now = time.time() if now is None else now
        stored = []
        for a in actions:
            payload = normalised(a.get("payload"))
            stored.append({"kind": a["kind"], "target": a.get("target"), "payload": payload,
                           "payload_hash": payload_hash(payload)})
        record = PendingAction(id=new_id(ID_PREFIX), channel=channel, user=user, session_id=session_id,
                               request_id=request_id, text=text, created_at=now, expires_at=now + ttl_s,
                               status="pending", actions=stored)
        self._conn.execute(
            "INSERT INTO pending_actions (id, channel, user, session_id, request_id, text, created_at, expires_at, "
            "status, actions) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?)",
            (record.id, channel, user, session_id, request_id, text, now, record.expires_at,
             json.dumps(stored, ensure_ascii=False)))
        return record

    # -- reading -------------------------------------------------------------------------------------
    def get(self, action_id: str) -> PendingAction | None:
        row = self._conn.execute("SELECT * FROM pending_actions WHERE id = ?", (action_id,)).fetchone()
        if row is None:
            return None
        return PendingAction(id=row["id"], channel=row["channel"], user=row["user"], session_id=row["session_id"],
                             request_id=row["request_id"], text=row["text"], created_at=row["created_at"],
                             expires_at=row["expires_at"], status=row["status"], settled_by=row["settled_by"],
                             actions=json.loads(row["actions"]))

    # -- confirming ----------------------------------------------------------------------------------
    def claim(self, action_id: str, *, channel: str, user: str | None, approvers: list[str],
              now: float | None = None) -> PendingAction:
        """Take the dry run for running: every check, then one conditional UPDATE (only one caller wins).
        Raises PendingActionError with the reason otherwise."""
        now = time.time() if now is None else now
        action_id = (action_id or "").strip()
        record = self.get(action_id)
        problem = refusal(record, action_id, channel, user, approvers, now)
        if problem is not None:
            raise problem
        assert record is not None
        for a in record.actions:
            if payload_hash(a["payload"]) != a.get("payload_hash"):
                raise PendingActionError(f"{action_id} was changed after it was shown; nothing was run",
                                         "ask again for a fresh dry run", reason="tampered")
        cur = self._conn.execute(
            "UPDATE pending_actions SET status = 'running', settled_by = ?, settled_at = ? "
            "WHERE id = ? AND status = 'pending' AND expires_at > ?", (f"{channel}:{user}", now, action_id, now))
        if cur.rowcount != 1:          # another click (or process) won the race
            raise PendingActionError(f"{action_id} already ran; nothing was run again",
                                     "ask again for a fresh dry run", reason="settled")
        record.status, record.settled_by = "running", f"{channel}:{user}"
        return record

    def finish(self, action_id: str, status: str, results: list[dict[str, Any]] | None = None) -> None:
        self._conn.execute("UPDATE pending_actions SET status = ?, results = ? WHERE id = ?",
                           (status, json.dumps(results, default=json_default) if results is not None else None, action_id))

    def cancel(self, action_id: str, *, channel: str, user: str | None, approvers: list[str],
               now: float | None = None) -> PendingAction:
        """Cancel a waiting dry run (same rules as confirming, except that an expired one may be cancelled)."""
        now = time.time() if now is None else now
        record = self.get(action_id)
        problem = refusal(record, action_id, channel, user, approvers, now)
        if problem is not None and problem.reason != "expired":
            raise problem
        cur = self._conn.execute("UPDATE pending_actions SET status = 'cancelled', settled_by = ?, settled_at = ? "
                                 "WHERE id = ? AND status = 'pending'", (f"{channel}:{user}", now, action_id))
        if cur.rowcount != 1:
            raise PendingActionError(f"{action_id} already ran or was cancelled", reason="settled")
        assert record is not None
        record.status = "cancelled"
        return record
