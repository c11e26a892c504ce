"""The conversation log: every answer any channel gives, in one SQLite file (`settings.conversations_path`).

Several processes write at once (the CLI, the Slack app, webhook workers): the file is in WAL mode, every
write is one short `BEGIN IMMEDIATE` transaction, and `busy_timeout` makes a writer wait for another
instead of failing. Readers never block writers. Secrets and system prompts are redacted (revops_cli/redaction.py)
before anything is stored; only the counts of what was redacted are kept.

Times are stored as fixed-width ISO 8601 UTC strings (`2025-08-03T03:25:49.123456Z`), so they sort and
compare as text. Filters (`since`, `until`) accept a datetime (naive = UTC), a date, an ISO string or an
epoch number; `since` is inclusive, `until` exclusive.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from dataclasses import asdict
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterator

from revops_cli.conversations import migrations
from revops_cli.conversations.quality import assess
from revops_cli.errors import NotFoundError, UnusableFileError, UsageError
from revops_cli.redaction import redact, redact_obj
from revops_cli.models import Answer, Request, new_id
from revops_cli.sidefiles import explain, is_damage, move_aside, reason, warn
from revops_cli.storage import BUSY_TIMEOUT_MS, connect_sqlite
from revops_cli.formatting import json_default


_JSON_COLUMNS = ("params", "agents_involved", "steps", "data", "sources", "pending_actions", "redactions", "receipt")
_SUMMARY_COLUMNS = ("id", "session_id", "channel", "user", "started_at", "ended_at", "query", "agent",
                    "agents_involved", "ok", "error", "duration_ms", "backend", "quality", "n_steps", "n_tools",
                    "n_failed_tools")


def iso_utc(ts: float) -> str:
    """Epoch seconds -> `YYYY-MM-DDTHH:MM:SS.ffffffZ` (fixed width, sorts as text)."""
    return datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def to_utc_iso(value: datetime | date | str | float | int | None) -> str | None:
    """A filter bound in the stored format. Naive datetimes and bare dates are taken as UTC."""
    if value is None:
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return iso_utc(float(value))
    if isinstance(value, str):
        s = value.strip()
        try:
            value = datetime.fromisoformat(s[:-1] + "+00:00" if s.endswith("Z") else s)
        except ValueError:
            raise UsageError(f"{value!r} is not a date or time", "use YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS") from None
    if isinstance(value, datetime):
        dt = value if value.tzinfo else value.replace(tzinfo=timezone.utc)
        return dt.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    if isinstance(value, date):
        return f"{value.isoformat()}T00:00:00.000000Z"
    raise UsageError(f"{value!r} is not a date or time", "use YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS")


def _dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"), default=json_default)


def _like(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


class ConversationLog:
    """Record answers; list, show and iterate them. One instance may be shared by threads."""

    def __init__(self, path: Path):
        self.path = Path(path).expanduser()
        self._lock = threading.RLock()
        self.notices: list[str] = []       # warnings (a damaged file moved aside), see take_notices
        self.problem: str | None = None    # why the log cannot be used by this process (disk full, read-only)
        self._conn: sqlite3.Connection | None = None
        try:
            self._conn = self._open()
        except UnusableFileError as exc:
            self.problem = exc.message

    def _open(self) -> sqlite3.Connection:
        """Connect and migrate. A file that is not a usable log (not SQLite, truncated, a failed migration)
        is moved aside (kept, named in a warning) and a new one started; a disk or permission problem
        raises UnusableFileError."""
        for attempt in (1, 2):
            try:
                conn = self._connect()        # 0600 in a 0700 folder, WAL, migrated (storage.py)
                try:
                    conn.execute("SELECT id FROM conversations ORDER BY started_at DESC LIMIT 1").fetchall()
                except BaseException:
                    conn.close()
                    raise
                return conn
            except sqlite3.Error as exc:
                if attempt == 1 and is_damage(exc) and self.path.exists():
                    self._move_aside(exc)
                    continue
                raise UnusableFileError(f"cannot use the conversation log {self.path}: {explain(exc, self.path)}",
                                        "free disk space or fix the permissions, or set conversations.enabled: false"
                                        ) from None
            except OSError as exc:
                raise UnusableFileError(f"cannot use the conversation log {self.path}: {explain(exc, self.path)}",
                                        "free disk space or fix the permissions, or set conversations.enabled: false"
                                        ) from None
        raise AssertionError("unreachable")

    def _move_aside(self, exc: BaseException) -> None:
        try:
            moved = move_aside(self.path)
        except OSError as err:
            raise UnusableFileError(f"the conversation log {self.path} is damaged ({reason(exc)}) and cannot be "
                                    f"moved aside ({reason(err)})", f"move or delete {self.path}") from None
        message = (f"the conversation log {self.path} is damaged ({reason(exc)}); kept it as {moved.name} "
                   "and started a new one")
        warn(message)
        self.notices.append(message)

    def take_notices(self) -> list[str]:
        """The warnings since the last call (the service adds them to the answer's trace)."""
        notices, self.notices = self.notices, []
        return notices

    def _with_conn(self, work: Callable[[sqlite3.Connection], Any]) -> Any:
        """Run `work` on the shared connection. Damage found now (a truncated file reads fine until a
        missing page is needed) moves the file aside and runs `work` once more on a new log; any other
        failure (disk full, read-only) is an UnusableFileError."""
        with self._lock:
            for attempt in (1, 2):
                if self._conn is None:        # unusable so far: the disk may have room again (a long-lived server)
                    try:
                        self._conn = self._open()
                        self.problem = None
                    except UnusableFileError as exc:
                        self.problem = exc.message
                        raise
                try:
                    return work(self._conn)
                except sqlite3.Error as exc:
                    if attempt == 1 and is_damage(exc) and self.path.exists():
                        self._conn.close()
                        self._conn = None
                        try:
                            self._move_aside(exc)
                            self._conn = self._open()
                        except UnusableFileError as err:
                            self.problem = err.message
                        continue
                    raise UnusableFileError(f"cannot use the conversation log {self.path}: {explain(exc, self.path)}",
                                            "free disk space or fix the permissions, or set conversations.enabled: false"
                                            ) from None
        raise AssertionError("unreachable")

    @classmethod
    def from_settings(cls, settings: Any) -> "ConversationLog | None":
        """The configured log, or None when `conversations.enabled` is false."""
        if not settings.get("conversations.enabled", True):
            return None
        return cls(settings.conversations_path)

    def _connect(self) -> sqlite3.Connection:
        return connect_sqlite(self.path, migrations.MIGRATIONS, busy_timeout_ms=BUSY_TIMEOUT_MS)

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()

    def __enter__(self) -> "ConversationLog":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    @property
    def schema_version(self) -> int:
        return self._with_conn(migrations.current_version)

    # ------------------------------------------------------------------ write

    def record(self, request: Request, answer: Answer, *, backend: str = "local") -> str:
        """Store one answered request (redacted); returns the conversation id.

        Recording the same request id again replaces the earlier record (a retried delivery is not
        duplicated).
        """
        cid = answer.request_id or request.request_id or new_id("req_")
        redactions: dict[str, dict[str, int]] = {}

        def keep(group: str, counts: dict[str, int]) -> None:
            if counts:
                bucket = redactions.setdefault(group, {})
                for k, n in counts.items():
                    bucket[k] = bucket.get(k, 0) + n

        query, c = redact(request.text or "")
        keep("query", c)
        params, c = redact_obj(request.params or {})
        keep("query", c)
        response, c = redact(answer.text or "")
        keep("response", c)
        error, c = redact(answer.error) if answer.error else (None, {})
        keep("response", c)
        steps, c = redact_obj([asdict(s) for s in answer.trace.steps])
        keep("steps", c)
        data, c = redact_obj({"data": answer.data or {}, "sources": answer.sources or [],
                              "pending_actions": answer.pending_actions or []})
        keep("data", c)
        receipt = data["data"].get("receipt") if isinstance(data["data"].get("receipt"), dict) else {}

        agents = answer.trace.agents()
        if answer.agent and answer.agent not in agents:
            agents.append(answer.agent)
        tools = [s for s in steps if s.get("kind") == "tool"]
        started = answer.started_at or time.time()
        duration_ms = float(answer.duration_ms or 0.0)
        record = {"query": query, "response": response, "steps": steps, "redactions": redactions}
        quality = assess(record).score
        row = (
            cid, request.request_id, answer.session_id or request.session_id, request.channel or "cli",
            request.user, request.source_system, request.source_process,
            iso_utc(started), iso_utc(started + duration_ms / 1000.0), query, _dumps(params),
            answer.agent, _dumps(agents), _dumps(steps), response, _dumps(data["data"]), _dumps(data["sources"]),
            _dumps(data["pending_actions"]), 1 if answer.ok else 0, error, round(duration_ms, 3), backend,
            quality, len(steps), len(tools), sum(1 for s in tools if not s.get("ok", True)),
            _dumps(redactions), iso_utc(time.time()), _dumps(receipt),
        )
        def write(conn: sqlite3.Connection) -> None:
            conn.execute("BEGIN IMMEDIATE")
            try:
                conn.execute(
                    "INSERT OR REPLACE INTO conversations (id, request_id, session_id, channel, user, "
                    "source_system, source_process, started_at, ended_at, query, params, agent, agents_involved, "
                    "steps, response, data, sources, pending_actions, ok, error, duration_ms, backend, quality, "
                    "n_steps, n_tools, n_failed_tools, redactions, recorded_at, receipt) "
                    "VALUES (" + ",".join("?" * len(row)) + ")", row)
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise

        self._with_conn(write)
        return cid

    # ------------------------------------------------------------------ read

    @staticmethod
    def _where(channel: str | None = None, since: Any = None, until: Any = None, search: str | None = None,
               session: str | None = None) -> tuple[str, list[Any]]:
        clauses, args = [], []
        if channel:
            clauses.append("channel = ?")
            args.append(channel)
        if since is not None:
            clauses.append("started_at >= ?")
            args.append(to_utc_iso(since))
        if until is not None:
            clauses.append("started_at < ?")
            args.append(to_utc_iso(until))
        if session:
            clauses.append("session_id = ?")
            args.append(session)
        if search:
            clauses.append("(query LIKE ? ESCAPE '\\' OR response LIKE ? ESCAPE '\\')")
            args += [_like(search), _like(search)]
        return (" WHERE " + " AND ".join(clauses)) if clauses else "", args

    @staticmethod
    def _decode(row: sqlite3.Row) -> dict[str, Any]:
        d = dict(row)
        d["conversation_id"] = d.pop("id")
        for k in _JSON_COLUMNS:
            if k in d and isinstance(d[k], str):
                d[k] = json.loads(d[k])
        if "ok" in d:
            d["ok"] = bool(d["ok"])
        return d

    def list(self, *, limit: int | None = 20, channel: str | None = None, since: Any = None, until: Any = None,
             search: str | None = None, session: str | None = None) -> list[dict[str, Any]]:
        """Summaries, newest first: id, session, channel, user, times, query, agent(s), ok, timing, quality."""
        where, args = self._where(channel, since, until, search, session)
        sql = f"SELECT {', '.join(_SUMMARY_COLUMNS)} FROM conversations{where} ORDER BY started_at DESC, id DESC"
        if limit is not None:
            sql += " LIMIT ?"
            args.append(int(limit))
        rows = self._with_conn(lambda conn: conn.execute(sql, args).fetchall())
        return [self._decode(r) for r in rows]

    def count(self, *, channel: str | None = None, since: Any = None, until: Any = None,
              search: str | None = None, session: str | None = None) -> int:
        where, args = self._where(channel, since, until, search, session)
        return self._with_conn(lambda conn: conn.execute(f"SELECT count(*) FROM conversations{where}", args).fetchone()[0])

    def get(self, conversation_id: str) -> dict[str, Any]:
        """The full record (steps, data, ... decoded). Accepts a unique prefix of the id, with or without `req_`."""
        cid = (conversation_id or "").strip()
        if not cid:
            raise UsageError("no conversation id given", "see `revops conversations list`")
        candidates = [cid] if "_" in cid else [cid, "req_" + cid]

        def exact(conn: sqlite3.Connection) -> sqlite3.Row | None:
            for prefix in candidates:
                row = conn.execute("SELECT * FROM conversations WHERE id = ?", (prefix,)).fetchone()
                if row is not None:
                    return row
            return None

        row = self._with_conn(exact)
        if row is not None:
            return self._decode(row)
        for prefix in candidates:
            rows = self._with_conn(lambda conn: conn.execute(
                "SELECT * FROM conversations WHERE id >= ? AND id < ? ORDER BY id LIMIT 6",
                (prefix, prefix + "\U0010ffff")).fetchall())
            if len(rows) == 1:
                return self._decode(rows[0])
            if len(rows) > 1:
                ids = ", ".join(r["id"] for r in rows[:5])
                raise UsageError(f"conversation id {cid!r} is ambiguous ({ids}{', ...' if len(rows) > 5 else ''})",
                                 "give more characters of the id")
        raise NotFoundError(f"no conversation {cid!r}", "see `revops conversations list`")

    def iter_range(self, *, since: Any = None, until: Any = None, channel: str | None = None,
                   session: str | None = None, search: str | None = None,
                   batch: int = 500) -> Iterator[dict[str, Any]]:
        """Full records, oldest first, streamed through one read cursor on its own connection
        (a long export neither blocks writers nor holds the shared connection)."""
        where, args = self._where(channel, since, until, search, session)
        conn = self._connect()
        try:
            cur = conn.execute(f"SELECT * FROM conversations{where} ORDER BY started_at, id", args)
            while True:
                rows = cur.fetchmany(batch)
                if not rows:
                    break
                for r in rows:
                    yield self._decode(r)
        finally:
            conn.close()

    def last_session(self, channel: str = "cli") -> str | None:
        """The session of the newest conversation on `channel` (for `--continue`)."""
        if self._conn is None:
            return None
        row = self._with_conn(lambda conn: conn.execute(
            "SELECT session_id FROM conversations WHERE channel = ? AND session_id IS NOT NULL "
            "ORDER BY started_at DESC, id DESC LIMIT 1", (channel,)).fetchone())
        return row[0] if row else None

    def session_history(self, session_id: str, limit: int = 10) -> list[dict[str, Any]]:
        """The last `limit` turns of a session, oldest first: id, started_at, query, params, agent,
        response, data (the entities/deal discussed), ok."""
        if self._conn is None:
            return []
        rows = self._with_conn(lambda conn: conn.execute(
            "SELECT id, started_at, query, params, agent, response, data, ok FROM conversations "
            "WHERE session_id = ? ORDER BY started_at DESC, id DESC LIMIT ?", (session_id, int(limit))).fetchall())
        return [self._decode(r) for r in reversed(rows)]
