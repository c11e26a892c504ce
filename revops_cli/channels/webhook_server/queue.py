"""The webhook API's durable queue and request store.

Two backends with the same SQS semantics, behind the `Queue` protocol:

- `SQLiteQueue` (default, `queue.kind: sqlite`): one SQLite file (`queue.path`, default
  `<home>/webhook-queue.db`) in WAL mode with `synchronous=NORMAL` and a busy timeout, so the API and
  any number of `revops worker` processes on the same machine share it. Intake is ONE INSERT: the row in
  `requests` is both the message and the request's status record.
- `SQSQueue` (`queue.kind: sqs`, `queue.sqs_queue_url`): Amazon SQS (boto3, imported lazily), so workers
  on any number of machines share the work; the queue's redrive policy moves a message that was received
  too often to its dead-letter queue (`create_sqs_queues()` makes both). Status and answers are kept in
  the local SQLite store of the process that writes them. With workers on other machines, give the API
  host a status queue (`queue.sqs_status_queue_url`, `create_sqs_status_queue()`): its address travels in
  each message as `reply_to`, workers send a snapshot of the request (status, answer, delivery) there at
  each step, and the API's `StatusListener` applies them to its store, so `GET /requests/{id}` on the API
  host shows work done anywhere. Each API host has its own status queue.

Semantics (both backends):
- `receive()` hides a message for `visibility_timeout` seconds and increments its receive count; a worker
  that dies mid-job simply never acks, and the message comes back when the timeout expires;
- `ack()` deletes it (only with the receipt of the latest receive: a worker whose visibility expired
  cannot delete a message someone else now holds); `extend()` is the heartbeat of a long job;
- a message received more than `max_receives` times goes to the dead-letter queue (the `dead_letters`
  table here) and its request is marked failed;
- delivery is at least once: processing is idempotent by tracking id (see worker.py).

Request statuses: queued -> processing -> answered -> delivered | failed.
The delivery dead-letter list (`deliveries` table) lives in the same file: see deliveries.py.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from revops_cli.errors import ConfigError, UnusableFileError
from revops_cli.storage import BUSY_TIMEOUT_MS, connect_sqlite
from revops_cli.redaction import redact_text, redact_value
from revops_cli.formatting import json_default

log = logging.getLogger("revops.queue")

STATUSES = ("queued", "processing", "answered", "delivered", "failed")

SCHEMA = """
CREATE TABLE IF NOT EXISTS requests (
    seq            INTEGER PRIMARY KEY,
    tracking_id    TEXT NOT NULL UNIQUE,
    body           TEXT NOT NULL,
    status         TEXT NOT NULL DEFAULT 'queued',
    queued_at      TEXT NOT NULL,
    updated_at     TEXT,
    in_queue       INTEGER NOT NULL DEFAULT 1,
    visible_at     REAL NOT NULL DEFAULT 0,
    receive_count  INTEGER NOT NULL DEFAULT 0,
    receipt        TEXT,
    answer         TEXT,
    error          TEXT,
    caller         TEXT
);
CREATE INDEX IF NOT EXISTS requests_ready ON requests (visible_at) WHERE in_queue = 1;
CREATE TABLE IF NOT EXISTS dead_letters (
    tracking_id    TEXT PRIMARY KEY,
    body           TEXT NOT NULL,
    receive_count  INTEGER NOT NULL,
    moved_at       TEXT NOT NULL,
    reason         TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS deliveries (
    id             TEXT PRIMARY KEY,
    tracking_id    TEXT NOT NULL UNIQUE,
    endpoint       TEXT NOT NULL,
    url            TEXT NOT NULL,
    msg_id         TEXT NOT NULL,
    payload        TEXT NOT NULL,
    status         TEXT NOT NULL,
    attempts       INTEGER NOT NULL DEFAULT 0,
    last_status    INTEGER,
    error          TEXT,
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS disabled_endpoints (
    endpoint       TEXT PRIMARY KEY,
    disabled_at    TEXT NOT NULL,
    reason         TEXT NOT NULL
);
"""


def utc_now() -> str:
    """`YYYY-MM-DDTHH:MM:SS.ffffffZ`, fixed width, sorts as text."""
    t = time.time()
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + f".{int((t % 1) * 1e6):06d}Z"


@dataclass
class Message:
    tracking_id: str
    body: dict[str, Any]
    receipt: str
    receive_count: int
    reply_to: str | None = None      # SQS: the API host's status queue


def queue_path(settings: Any) -> Path:
    p = settings.get("queue.path")
    return Path(p).expanduser() if p else Path(settings.home) / "webhook-queue.db"


def connect(path: Path) -> sqlite3.Connection:
    """A WAL connection with a busy timeout; autocommit (explicit BEGIN IMMEDIATE for multi-statement writes).
    Questions and answers are business data: the file (and its -wal/-shm) is 0600 in 0700 (storage.py)."""
    return connect_sqlite(path, MIGRATIONS, busy_timeout_ms=BUSY_TIMEOUT_MS)


def add_caller(conn: sqlite3.Connection) -> None:
    """Migration 2: `requests.caller` (who created the request), in a file made before it existed."""
    cols = {r[1] for r in conn.execute("PRAGMA table_info(requests)")}
    if "caller" not in cols:
        conn.execute("ALTER TABLE requests ADD COLUMN caller TEXT")
    conn.execute("CREATE INDEX IF NOT EXISTS requests_caller ON requests (caller, seq)")


# Numbered migrations (storage.migrate): append, never edit. 1 is the schema as it stands (every statement
# IF NOT EXISTS, so a file made before migrations were numbered takes it as it is); 2 adds `caller`.
MIGRATIONS = [(1, SCHEMA), (2, add_caller)]


def unusable_queue(path: Path, exc: BaseException) -> UnusableFileError:
    """The queue file cannot be opened. It is never moved aside on its own: it may hold accepted requests."""
    from revops_cli.sidefiles import is_damage, reason

    if isinstance(exc, sqlite3.Error) and is_damage(exc):
        return UnusableFileError(f"the webhook queue {path} is damaged ({reason(exc)})",
                                 "it may hold accepted requests: move it aside (keep it) to start an empty queue, "
                                 "or set queue.path")
    return UnusableFileError(f"cannot use the webhook queue {path}: {reason(exc)}",
                             "free disk space or fix the folder's permissions, or set queue.path")


class Store:
    """Request status and answers, the queue's DLQ table and the delivery list: one SQLite file.

    One connection per thread (SQLite connections are cheap; WAL lets readers and one writer overlap).
    """

    def __init__(self, path: Path):
        self.path = Path(path)
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        try:
            self.conn   # create the file and schema now, in the constructing thread
        except (sqlite3.Error, OSError) as exc:
            raise unusable_queue(self.path, exc) from None

    def write_problem(self) -> str | None:
        """Why the store cannot take a new request now (a damaged file, a full or read-only disk; without
        the path), or None."""
        from revops_cli.sidefiles import reason, write_problem

        try:
            self.conn.execute("SELECT count(*) FROM requests WHERE in_queue = 1").fetchone()
        except (sqlite3.Error, OSError) as exc:
            return reason(exc)
        return write_problem(self.path.parent)

    @property
    def conn(self) -> sqlite3.Connection:
        c = getattr(self._local, "conn", None)
        if c is None:
            c = self._local.conn = connect(self.path)
            with self._lock:
                self._all.append(c)
        return c

    def close(self) -> None:
        with self._lock:
            for c in self._all:
                try:
                    c.close()
                except sqlite3.Error:
                    pass
            self._all.clear()
        self._local = threading.local()

    def tx(self) -> "_Tx":
        return _Tx(self.conn)

    # -- requests ------------------------------------------------------------------------------------
    def insert(self, tracking_id: str, body: dict[str, Any], queued_at: str, *, in_queue: bool = True,
               caller: str | None = None) -> None:
        body = redact_value(body)      # a no-op for the API's (already redacted) bodies
        self.conn.execute("INSERT INTO requests (tracking_id, body, queued_at, in_queue, caller) VALUES (?, ?, ?, ?, ?)",
                          (tracking_id, json.dumps(body, separators=(",", ":")),
                           queued_at, 1 if in_queue else 0, caller))

    def ensure(self, tracking_id: str, body: dict[str, Any], queued_at: str) -> None:
        """Record a request seen first by a worker (SQS on another machine): no-op when known."""
        body = redact_value(body)
        self.conn.execute("INSERT OR IGNORE INTO requests (tracking_id, body, queued_at, in_queue) VALUES (?, ?, ?, 0)",
                          (tracking_id, json.dumps(body, separators=(",", ":")), queued_at))

    def delete(self, tracking_id: str) -> None:
        self.conn.execute("DELETE FROM requests WHERE tracking_id = ?", (tracking_id,))

    def get(self, tracking_id: str) -> dict[str, Any] | None:
        row = self.conn.execute("SELECT tracking_id, body, status, queued_at, updated_at, receive_count, answer, error, "
                                "caller FROM requests WHERE tracking_id = ?", (tracking_id,)).fetchone()
        if row is None:
            return None
        rec = dict(row)
        rec["body"] = json.loads(rec["body"])
        rec["answer"] = json.loads(rec["answer"]) if rec["answer"] else None
        return rec

    def list_for(self, caller: str, limit: int = 50) -> list[dict[str, Any]]:
        """The requests `caller` created, newest first (a row from before callers were recorded counts as
        `anonymous`)."""
        rows = self.conn.execute("SELECT tracking_id, body, status, queued_at, updated_at FROM requests "
                                 "WHERE coalesce(caller, 'anonymous') = ? ORDER BY seq DESC LIMIT ?",
                                 (caller, int(limit))).fetchall()
        out = []
        for r in rows:
            rec = dict(r)
            rec["body"] = json.loads(rec["body"])
            out.append(rec)
        return out

    def set_status(self, tracking_id: str, status: str, *, error: str | None = None,
                   only_from: tuple[str, ...] | None = None) -> None:
        assert status in STATUSES
        sql = "UPDATE requests SET status = ?, updated_at = ?, error = ? WHERE tracking_id = ?"
        args: list[Any] = [status, utc_now(), redact_text(error), tracking_id]
        if only_from:
            sql += f" AND status IN ({','.join('?' * len(only_from))})"
            args += list(only_from)
        self.conn.execute(sql, args)

    def store_answer(self, tracking_id: str, answer: dict[str, Any]) -> None:
        self.conn.execute("UPDATE requests SET answer = ?, status = 'answered', updated_at = ?, error = NULL "
                          "WHERE tracking_id = ?",
                          (json.dumps(redact_value(answer), ensure_ascii=False, default=json_default), utc_now(), tracking_id))

    def counts(self) -> dict[str, int]:
        rows = self.conn.execute("SELECT status, count(*) AS n FROM requests GROUP BY status").fetchall()
        return {r["status"]: r["n"] for r in rows}

    def tracking_ids(self) -> set[str]:
        return {r[0] for r in self.conn.execute("SELECT tracking_id FROM requests")}

    def dead_letters(self) -> list[dict[str, Any]]:
        rows = self.conn.execute("SELECT * FROM dead_letters ORDER BY moved_at").fetchall()
        return [dict(r) for r in rows]

    # -- snapshots: a request's state, sent from a worker's store to the API host's ---------------------
    def snapshot(self, tracking_id: str) -> dict[str, Any] | None:
        row = self.conn.execute("SELECT tracking_id, status, updated_at, receive_count, answer, error FROM requests "
                                "WHERE tracking_id = ?", (tracking_id,)).fetchone()
        if row is None:
            return None
        snap = dict(row)
        d = self.conn.execute("SELECT * FROM deliveries WHERE tracking_id = ?", (tracking_id,)).fetchone()
        snap["delivery"] = dict(d) if d else None
        return snap

    def apply_snapshot(self, snap: dict[str, Any]) -> bool:
        """Take a worker's snapshot unless this store already has a newer state; True when applied."""
        snap = redact_value(snap)
        with self.tx() as conn:
            cur = conn.execute("SELECT updated_at FROM requests WHERE tracking_id = ?",
                               (snap["tracking_id"],)).fetchone()
            if cur is None or (cur["updated_at"] or "") > (snap.get("updated_at") or ""):
                return False
            conn.execute("UPDATE requests SET status = ?, updated_at = ?, receive_count = max(receive_count, ?), "
                         "answer = coalesce(?, answer), error = ? WHERE tracking_id = ?",
                         (snap["status"], snap["updated_at"], int(snap.get("receive_count") or 0), snap.get("answer"),
                          snap.get("error"), snap["tracking_id"]))
            d = snap.get("delivery")
            if d:
                cols = ("id", "tracking_id", "endpoint", "url", "msg_id", "payload", "status", "attempts",
                        "last_status", "error", "created_at", "updated_at")
                conn.execute(f"INSERT OR REPLACE INTO deliveries ({', '.join(cols)}) "
                             f"VALUES ({', '.join('?' * len(cols))})", [d.get(c) for c in cols])
        return True


class _Tx:
    def __init__(self, conn: sqlite3.Connection):
        self.conn = conn

    def __enter__(self) -> sqlite3.Connection:
        self.conn.execute("BEGIN IMMEDIATE")
        return self.conn

    def __exit__(self, exc_type: Any, *exc: Any) -> None:
        self.conn.execute("ROLLBACK" if exc_type else "COMMIT")


class Queue(Protocol):
    """What the API and the workers need from a queue."""

    store: Store
    visibility_timeout: float
    max_receives: int

    def submit(self, tracking_id: str, body: dict[str, Any], queued_at: str, caller: str | None = None) -> None:
        """Record the request (status queued, created by `caller`) and enqueue it. Raises on failure: nothing
        is half-accepted."""

    def receive(self, max_messages: int = 1, wait_s: float = 0.0) -> list[Message]: ...

    def ack(self, msg: Message) -> bool: ...

    def extend(self, msg: Message, seconds: float | None = None) -> None: ...

    def release(self, msg: Message, delay_s: float = 0.0) -> None: ...

    def publish_status(self, msg: Message) -> None:
        """Tell the API host where the request stands (SQS with a status queue; a no-op otherwise)."""

    def depth(self) -> int: ...

    def close(self) -> None: ...


class SQLiteQueue:
    """SQS semantics on SQLite. Message = a row of `requests` with in_queue = 1."""

    POLL_MIN_S = 0.01
    POLL_MAX_S = 0.1

    def __init__(self, store: Store, *, visibility_timeout: float = 300, max_receives: int = 5):
        self.store = store
        self.visibility_timeout = float(visibility_timeout)
        self.max_receives = int(max_receives)
        self._wake = threading.Condition()     # in-process workers wake at once on a local submit

    def submit(self, tracking_id: str, body: dict[str, Any], queued_at: str, caller: str | None = None) -> None:
        self.store.insert(tracking_id, body, queued_at, caller=caller)
        with self._wake:
            self._wake.notify()

    def _claim(self, max_messages: int) -> list[Message]:
        now = time.time()
        out: list[Message] = []
        with self.store.tx() as conn:
            rows = conn.execute("SELECT tracking_id, body, receive_count FROM requests "
                                "WHERE in_queue = 1 AND visible_at <= ? ORDER BY visible_at, seq LIMIT ?",
                                (now, max_messages + 8)).fetchall()
            for row in rows:
                if row["receive_count"] >= self.max_receives:
                    reason = f"received {row['receive_count']} times without completing (queue.max_receives)"
                    conn.execute("INSERT OR REPLACE INTO dead_letters VALUES (?, ?, ?, ?, ?)",
                                 (row["tracking_id"], row["body"], row["receive_count"], utc_now(), reason))
                    conn.execute("UPDATE requests SET in_queue = 0, receipt = NULL, status = 'failed', error = ?, "
                                 "updated_at = ? WHERE tracking_id = ?", (reason, utc_now(), row["tracking_id"]))
                    continue
                if len(out) >= max_messages:
                    continue
                receipt = secrets.token_hex(8)
                conn.execute("UPDATE requests SET visible_at = ?, receive_count = receive_count + 1, receipt = ? "
                             "WHERE tracking_id = ?", (now + self.visibility_timeout, receipt, row["tracking_id"]))
                out.append(Message(row["tracking_id"], json.loads(row["body"]), receipt, row["receive_count"] + 1))
        return out

    def receive(self, max_messages: int = 1, wait_s: float = 0.0) -> list[Message]:
        deadline = time.monotonic() + max(0.0, wait_s)
        delay = self.POLL_MIN_S
        while True:
            msgs = self._claim(max_messages)
            remaining = deadline - time.monotonic()
            if msgs or remaining <= 0:
                return msgs
            with self._wake:
                if self._wake.wait(min(delay, remaining)):
                    delay = self.POLL_MIN_S
                else:
                    delay = min(delay * 2, self.POLL_MAX_S)

    def ack(self, msg: Message) -> bool:
        cur = self.store.conn.execute("UPDATE requests SET in_queue = 0, receipt = NULL "
                                      "WHERE tracking_id = ? AND receipt = ? AND in_queue = 1",
                                      (msg.tracking_id, msg.receipt))
        return cur.rowcount == 1

    def extend(self, msg: Message, seconds: float | None = None) -> None:
        seconds = self.visibility_timeout if seconds is None else seconds
        self.store.conn.execute("UPDATE requests SET visible_at = ? WHERE tracking_id = ? AND receipt = ?",
                                (time.time() + seconds, msg.tracking_id, msg.receipt))

    def release(self, msg: Message, delay_s: float = 0.0) -> None:
        self.store.conn.execute("UPDATE requests SET visible_at = ? WHERE tracking_id = ? AND receipt = ?",
                                (time.time() + delay_s, msg.tracking_id, msg.receipt))

    def publish_status(self, msg: Message) -> None:
        pass                           # the API reads the same file

    def depth(self) -> int:
        return self.store.conn.execute("SELECT count(*) FROM requests WHERE in_queue = 1").fetchone()[0]

    def close(self) -> None:
        with self._wake:
            self._wake.notify_all()


def _region_from_url(url: str) -> str | None:
    from urllib.parse import urlsplit

    host = urlsplit(url).hostname or ""
    parts = host.split(".")
    if len(parts) >= 3 and parts[0] == "sqs":
        return parts[1]
    return None


def sqs_client(queue_url: str | None = None, region: str | None = None) -> Any:
    try:
        import boto3
    except ImportError:
        raise ConfigError("queue.kind is sqs but boto3 is not installed", "pip install boto3") from None
    region = region or (_region_from_url(queue_url) if queue_url else None) or os.environ.get("AWS_DEFAULT_REGION") \
        or os.environ.get("AWS_REGION") or "us-east-1"
    return boto3.client("sqs", region_name=region)


def create_sqs_queues(name: str, *, max_receives: int = 5, visibility_timeout: int = 300,
                      client: Any = None) -> tuple[str, str]:
    """Create `name` and `name-dlq` with a redrive policy; returns (queue_url, dlq_url). Idempotent."""
    client = client or sqs_client()
    dlq_url = client.create_queue(QueueName=f"{name}-dlq")["QueueUrl"]
    dlq_arn = client.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    url = client.create_queue(QueueName=name, Attributes={
        "VisibilityTimeout": str(int(visibility_timeout)),
        "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": str(int(max_receives))}),
    })["QueueUrl"]
    return url, dlq_url


class SQSQueue:
    """Amazon SQS. The message body carries the whole request, so a worker anywhere can process it."""

    def __init__(self, store: Store, queue_url: str, *, visibility_timeout: float = 300, max_receives: int = 5,
                 client: Any = None, status_queue_url: str | None = None):
        self.store = store
        self.queue_url = queue_url
        self.status_queue_url = status_queue_url
        self.visibility_timeout = float(visibility_timeout)
        self.max_receives = int(max_receives)      # enforced by the queue's redrive policy
        self._client = client
        self._client_lock = threading.Lock()

    @property
    def client(self) -> Any:
        with self._client_lock:
            if self._client is None:
                self._client = sqs_client(self.queue_url)
            return self._client

    def submit(self, tracking_id: str, body: dict[str, Any], queued_at: str, caller: str | None = None) -> None:
        body = redact_value(body)      # the message body is stored by SQS: never a raw secret
        self.store.insert(tracking_id, body, queued_at, in_queue=False, caller=caller)
        try:
            message = {"tracking_id": tracking_id, "queued_at": queued_at, "body": body}
            if self.status_queue_url:
                message["reply_to"] = self.status_queue_url
            self.client.send_message(QueueUrl=self.queue_url, MessageBody=json.dumps(message, ensure_ascii=False))
        except Exception:
            self.store.delete(tracking_id)      # not accepted: the client gets a 503, nothing half-done
            raise

    def receive(self, max_messages: int = 1, wait_s: float = 0.0) -> list[Message]:
        resp = self.client.receive_message(
            QueueUrl=self.queue_url, MaxNumberOfMessages=max(1, min(10, max_messages)),
            WaitTimeSeconds=int(max(0, min(20, wait_s))), VisibilityTimeout=int(max(0, self.visibility_timeout)),
            AttributeNames=["ApproximateReceiveCount"], MessageSystemAttributeNames=["ApproximateReceiveCount"])
        out = []
        for m in resp.get("Messages", []):
            data = json.loads(m["Body"])
            self.store.ensure(data["tracking_id"], data["body"], data.get("queued_at") or utc_now())
            count = int((m.get("Attributes") or {}).get("ApproximateReceiveCount", 1))
            out.append(Message(data["tracking_id"], data["body"], m["ReceiptHandle"], count, data.get("reply_to")))
        return out

    def ack(self, msg: Message) -> bool:
        self.client.delete_message(QueueUrl=self.queue_url, ReceiptHandle=msg.receipt)
        return True

    def extend(self, msg: Message, seconds: float | None = None) -> None:
        seconds = self.visibility_timeout if seconds is None else seconds
        self.client.change_message_visibility(QueueUrl=self.queue_url, ReceiptHandle=msg.receipt,
                                              VisibilityTimeout=int(max(0, seconds)))

    def release(self, msg: Message, delay_s: float = 0.0) -> None:
        self.extend(msg, delay_s)

    def publish_status(self, msg: Message) -> None:
        if not msg.reply_to:
            return
        snap = self.store.snapshot(msg.tracking_id)
        if snap is None:
            return
        try:
            self.client.send_message(QueueUrl=msg.reply_to, MessageBody=json.dumps(snap, ensure_ascii=False))
        except Exception as exc:   # the work itself is done and delivered; only the API host's view lags
            log.warning("status of %s not sent to the API host: %s", msg.tracking_id, type(exc).__name__)

    def depth(self) -> int:
        attrs = self.client.get_queue_attributes(QueueUrl=self.queue_url,
                                                 AttributeNames=["ApproximateNumberOfMessages"])["Attributes"]
        return int(attrs.get("ApproximateNumberOfMessages", 0))

    def close(self) -> None:
        pass


def open_queue(settings: Any, store: Store | None = None) -> Queue:
    """The configured queue (`queue.kind`), with its store."""
    store = store or Store(queue_path(settings))
    vt = settings.queue.visibility_timeout
    max_receives = settings.queue.max_receives
    kind = str(settings.get("queue.kind", "sqlite")).lower()
    if kind == "sqlite":
        return SQLiteQueue(store, visibility_timeout=vt, max_receives=max_receives)
    if kind == "sqs":
        url = settings.get("queue.sqs_queue_url")
        if not url:
            raise ConfigError("queue.kind is sqs but no queue URL is set", "set queue.sqs_queue_url "
                              "(REVOPS_QUEUE__SQS_QUEUE_URL)")
        return SQSQueue(store, str(url), visibility_timeout=vt, max_receives=max_receives,
                        status_queue_url=settings.get("queue.sqs_status_queue_url") or None)
    raise ConfigError(f"unknown queue.kind {kind!r}", "use sqlite or sqs")



def create_sqs_status_queue(name: str, *, region: str | None = None) -> str:
    """Create `name-status`, the API host's status queue; returns its URL. Idempotent."""
    return sqs_client(region=region).create_queue(QueueName=f"{name}-status")["QueueUrl"]


class StatusListener:
    """On the API host: applies the snapshots workers send to the status queue to the local store."""

    def __init__(self, queue: SQSQueue, *, wait_s: float = 1.0):
        assert queue.status_queue_url
        self.queue, self.wait_s = queue, wait_s
        self.stop_event = threading.Event()
        self.applied = 0
        self.thread = threading.Thread(target=self._run, name="revops-status-listener", daemon=True)

    def start(self) -> "StatusListener":
        self.thread.start()
        return self

    def drain(self) -> int:
        """Apply what is waiting now; returns how many snapshots were read."""
        q = self.queue
        resp = q.client.receive_message(QueueUrl=q.status_queue_url, MaxNumberOfMessages=10,
                                        WaitTimeSeconds=int(self.wait_s))
        msgs = resp.get("Messages", [])
        for m in msgs:
            try:
                if q.store.apply_snapshot(json.loads(m["Body"])):
                    self.applied += 1
            except (ValueError, KeyError, TypeError) as exc:
                log.warning("ignored a malformed status message: %s", type(exc).__name__)
            q.client.delete_message(QueueUrl=q.status_queue_url, ReceiptHandle=m["ReceiptHandle"])
        return len(msgs)

    def _run(self) -> None:
        while not self.stop_event.is_set():
            try:
                self.drain()
            except Exception as exc:
                log.error("status queue receive failed: %s", type(exc).__name__)
                self.stop_event.wait(1.0)

    def stop(self, timeout: float = 5.0) -> None:
        self.stop_event.set()
        self.thread.join(timeout)
