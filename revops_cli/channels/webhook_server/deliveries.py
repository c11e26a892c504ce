"""Outbound delivery of answers, and the delivery dead-letter list.

`deliver_answer()` builds the reference outbound payload for one answered request, POSTs it signed
(Standard Webhooks) through `connectors.webhooks.deliver` (retries with exponential backoff and jitter,
`Retry-After`, 410 disables, no redirects, short timeouts, SSRF guard pinned to the connected address),
and records the outcome in the `deliveries` table of the queue file: `delivered`, or `failed` with the
reason. The failed ones are the dead-letter list (`revops webhook deliveries list --failed`);
`replay()` sends one again (`revops webhook deliveries replay ID`).

Every attempt of one request carries the same `webhook-id` (`msg_<tracking id>`), on retries, on a
redelivered job and on a replay, so a receiver that dedupes on it sees each answer once.

A 410 Gone disables the endpoint (`disabled_endpoints` table): later answers for it go straight to the
dead-letter list without a request. Replaying a delivery is the operator's "it is back" and re-enables
the endpoint.

Settings read (with defaults): webhooks.attempts (3), webhooks.backoff_s ([0.5, 2, 8]),
webhooks.timeout_s (5), webhooks.max_retry_after_s (60), webhooks.allow_hosts, webhooks.url,
webhooks.secret, webhooks.endpoints.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any

from revops_cli.errors import NotFoundError, UsageError
from revops_cli.channels.webhook_server.queue import Store, utc_now
from revops_cli.redaction import redact_value, url_without_query
from revops_cli.formatting import json_default

DEFAULT_ENDPOINT = "default"


def msg_id_for(tracking_id: str) -> str:
    return f"msg_{tracking_id}"


_MD = [
    (re.compile(r"```[a-zA-Z0-9_-]*\n?"), ""),
    (re.compile(r"`([^`]*)`"), r"\1"),
    (re.compile(r"!\[([^\]]*)\]\([^)]*\)"), r"\1"),
    (re.compile(r"\[([^\]]+)\]\(([^)]+)\)"), r"\1 (\2)"),
    (re.compile(r"\*\*(.+?)\*\*", re.S), r"\1"),
    (re.compile(r"__(.+?)__", re.S), r"\1"),
    (re.compile(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])"), r"\1"),
    (re.compile(r"^#{1,6}\s*", re.M), ""),
    (re.compile(r"^\s*>\s?", re.M), ""),
    (re.compile(r"^(\s*)[•*+]\s+", re.M), r"\1- "),
    (re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$", re.M), ""),
]


def markdown_to_plain(text: str) -> str:
    """Markdown answer -> plain text (the reference `response_plain`)."""
    out = text or ""
    for pattern, repl in _MD:
        out = pattern.sub(repl, out)
    return re.sub(r"\n{3,}", "\n\n", out).strip()


def answer_record(answer: Any) -> dict[str, Any]:
    """What the store keeps of an Answer (and GET /requests shows), redacted (redaction.py)."""
    record = redact_value({
        "response": answer.text, "response_plain": markdown_to_plain(answer.text), "agent": answer.agent,
        "ok": bool(answer.ok), "error": answer.error, "session_id": answer.session_id,
        "timestamp": utc_now()[:19] + "Z", "duration_ms": round(float(answer.duration_ms or 0), 2)})
    for key in PENDING_KEYS:            # a dry run: the id to send back as confirm_action_id
        if (answer.data or {}).get(key):
            record[key] = answer.data[key]
    return record


PENDING_KEYS = ("pending_action_id", "pending_action_expires_at")


def outbound_payload(tracking_id: str, body: dict[str, Any], answer: dict[str, Any], url: str) -> dict[str, Any]:
    """The reference payload; redacted (the body and answer already are, except rows stored before)."""
    return redact_value({
        "tracking_id": tracking_id,
        "source_system": body.get("source_system"),
        "source_process": body.get("source_process"),
        "original_query": body.get("query"),
        "ai_response": {"response": answer.get("response"), "response_plain": answer.get("response_plain"),
                        "session_id": answer.get("session_id") or body.get("session_id"),
                        "timestamp": answer.get("timestamp"),
                        **{k: answer[k] for k in PENDING_KEYS if answer.get(k)}},
        "webhook_metadata": {"delivered_at": utc_now()[:19] + "Z", "webhook_url": url_without_query(url)},
    })


def _endpoint_key(name: str | None) -> str:
    return name or DEFAULT_ENDPOINT


def _seconds(settings: Any, key: str, default: list[float]) -> list[float]:
    """A list of seconds from settings: a YAML list, or "1, 2.5, 10" from the environment."""
    v = settings.get(key, default)
    if isinstance(v, str):
        v = [x for x in v.replace(";", ",").split(",") if x.strip()]
    try:
        return [float(x) for x in (v or [])]
    except (TypeError, ValueError):
        raise UsageError(f"{key} {v!r} is not a list of seconds", f"e.g. {default}") from None


def _backoff(settings: Any) -> list[float]:
    return _seconds(settings, "webhooks.backoff_s", [0.5, 2, 8])


def delivery_options(settings: Any) -> dict[str, Any]:
    allow = settings.get("webhooks.allow_hosts") or []
    if isinstance(allow, str):
        allow = [h.strip() for h in allow.split(",") if h.strip()]
    return {"allow_hosts": list(allow), "attempts": settings.webhooks.attempts,
            "backoff_s": _backoff(settings), "timeout_s": settings.webhooks.timeout_s,
            "max_retry_after_s": settings.webhooks.max_retry_after_s}


@dataclass
class Outcome:
    status: str               # delivered | failed | skipped (no endpoint configured)
    error: str | None = None
    attempts: int = 0
    delivery_id: str | None = None
    retryable: bool = False   # failed for a passing reason: the worker may redeliver later


def is_disabled(store: Store, endpoint_name: str | None) -> dict[str, Any] | None:
    row = store.conn.execute("SELECT * FROM disabled_endpoints WHERE endpoint = ?",
                             (_endpoint_key(endpoint_name),)).fetchone()
    return dict(row) if row else None


def _record(store: Store, tracking_id: str, endpoint_name: str, url: str, payload: dict[str, Any],
            status: str, attempts: int, last_status: int | None, error: str | None) -> str:
    did = "dlv_" + hashlib.sha256(tracking_id.encode()).hexdigest()[:16]
    now = utc_now()
    store.conn.execute(
        "INSERT INTO deliveries (id, tracking_id, endpoint, url, msg_id, payload, status, attempts, last_status, "
        "error, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?) "
        "ON CONFLICT(tracking_id) DO UPDATE SET endpoint=excluded.endpoint, url=excluded.url, "
        "payload=excluded.payload, status=excluded.status, attempts=deliveries.attempts + excluded.attempts, "
        "last_status=excluded.last_status, error=excluded.error, updated_at=excluded.updated_at",
        (did, tracking_id, endpoint_name, url_without_query(url), msg_id_for(tracking_id),
         json.dumps(payload, ensure_ascii=False, default=json_default), status, attempts, last_status, error, now, now))
    return store.conn.execute("SELECT id FROM deliveries WHERE tracking_id = ?", (tracking_id,)).fetchone()[0]


def _send(settings: Any, store: Store, tracking_id: str, endpoint_name: str | None, payload: dict[str, Any],
          url: str, secret: str | None, **overrides: Any) -> Outcome:
    from revops_cli.connectors.webhooks import deliver

    key = _endpoint_key(endpoint_name)
    disabled = is_disabled(store, endpoint_name)
    if disabled:
        error = f"endpoint {key!r} is disabled since {disabled['disabled_at'][:19]}Z ({disabled['reason']})"
        did = _record(store, tracking_id, key, url, payload, "failed", 0, None, error)
        store.set_status(tracking_id, "failed", error=error)
        return Outcome("failed", error, 0, did)
    opts = {**delivery_options(settings), **overrides}
    result = deliver(url, payload, secret=secret, msg_id=msg_id_for(tracking_id), **opts)
    if result.disabled:
        store.conn.execute("INSERT OR REPLACE INTO disabled_endpoints VALUES (?, ?, ?)",
                           (key, utc_now(), "the receiver answered 410 Gone"))
    status = "delivered" if result.ok else "failed"
    did = _record(store, tracking_id, key, url, payload, status, result.attempts, result.status, result.error)
    store.set_status(tracking_id, status, error=result.error)
    return Outcome(status, result.error, result.attempts, did, retryable=result.retryable)


def deliver_answer(settings: Any, store: Store, tracking_id: str, body: dict[str, Any],
                   answer: dict[str, Any]) -> Outcome:
    """Send one answered request to its endpoint (`callback` or the default) and record the outcome.

    A request with no callback and no configured webhook URL is answered only (pulled with GET /requests).
    """
    from revops_cli.errors import RevopsError
    from revops_cli.connectors.webhooks import endpoint

    name = body.get("callback")
    try:
        url, secret = endpoint(settings, name)
    except RevopsError as exc:
        if name is None:
            return Outcome("skipped", exc.one_line())
        error = exc.one_line()
        did = _record(store, tracking_id, _endpoint_key(name), "", outbound_payload(tracking_id, body, answer, ""),
                      "failed", 0, None, error)
        store.set_status(tracking_id, "failed", error=error)
        return Outcome("failed", error, 0, did)
    payload = outbound_payload(tracking_id, body, answer, url)
    return _send(settings, store, tracking_id, name, payload, url, secret)


def redeliver_after(settings: Any) -> list[float]:
    """The pauses before the worker's later delivery rounds (`webhooks.redeliver_after_s`); [] turns them off."""
    return _seconds(settings, "webhooks.redeliver_after_s", [60, 600, 3600, 10800])


def defer(store: Store, tracking_id: str, error: str | None) -> None:
    """A failed round that will be tried again: the delivery is `retrying`, the request stays `answered`."""
    store.conn.execute("UPDATE deliveries SET status = 'retrying', updated_at = ? WHERE tracking_id = ?",
                       (utc_now(), tracking_id))
    store.set_status(tracking_id, "answered", error=error)


def list_deliveries(store: Store, *, failed: bool = False, limit: int | None = 100) -> list[dict[str, Any]]:
    sql = "SELECT id, tracking_id, endpoint, url, msg_id, status, attempts, last_status, error, created_at, updated_at " \
          "FROM deliveries"
    if failed:
        sql += " WHERE status = 'failed'"
    sql += " ORDER BY updated_at DESC"
    if limit:
        sql += f" LIMIT {int(limit)}"
    return [dict(r) for r in store.conn.execute(sql).fetchall()]


def find(store: Store, ident: str) -> dict[str, Any]:
    rows = store.conn.execute("SELECT * FROM deliveries WHERE id = ? OR tracking_id = ?", (ident, ident)).fetchall()
    if not rows:
        like = ident.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        rows = store.conn.execute("SELECT * FROM deliveries WHERE id LIKE ? ESCAPE '\\' OR tracking_id LIKE ? "
                                  "ESCAPE '\\' LIMIT 5", (like, like)).fetchall()
    if not rows:
        raise NotFoundError(f"no delivery {ident!r}", "see `revops webhook deliveries list --failed`")
    if len(rows) > 1:
        raise UsageError(f"{ident!r} matches several deliveries", ", ".join(r["id"] for r in rows))
    rec = dict(rows[0])
    rec["payload"] = json.loads(rec["payload"])
    return rec


def replay(settings: Any, store: Store, ident: str, **overrides: Any) -> Outcome:
    """Send a recorded delivery again, to its endpoint as configured now. Re-enables a 410-disabled endpoint."""
    from revops_cli.connectors.webhooks import endpoint

    rec = find(store, ident)
    name = None if rec["endpoint"] == DEFAULT_ENDPOINT else rec["endpoint"]
    url, secret = endpoint(settings, name)
    store.conn.execute("DELETE FROM disabled_endpoints WHERE endpoint = ?", (rec["endpoint"],))
    payload = rec["payload"]
    payload.setdefault("webhook_metadata", {})["webhook_url"] = url_without_query(url)
    payload["webhook_metadata"]["delivered_at"] = utc_now()[:19] + "Z"
    return _send(settings, store, rec["tracking_id"], name, payload, url, secret, **overrides)
