"""Webhook workers: take a request from the queue, answer it, store the answer, deliver it.

One job:  receive -> (already delivered or failed? ack, done) -> mark processing -> service.ask ->
store the answer (status answered) -> deliver to the callback / default endpoint -> delivered | failed
(the failed ones are in the delivery dead-letter list) -> ack.

A passing failure (the warehouse or Bedrock unreachable, throttled or timing out: an answer whose error
is `retryable`) is not delivered: the job goes back on the queue with a growing delay
(`queue.retry_delay_s`, doubled per attempt, capped by the visibility timeout) and status "queued". Its
last allowed attempt (`queue.max_receives`) delivers the error answer, so the caller always hears back.

A delivery that fails for a passing reason (the receiver unreachable, timing out, or answering 408, 425,
429 or 5xx on every attempt of a round) is not a dead letter yet: the message goes back on the queue for
another round after `webhooks.redeliver_after_s` (60 s, 10 min, 1 h, 3 h), within `queue.max_receives`
receives; meanwhile the request is "answered" and its delivery "retrying". So a receiver down for hours
still gets the answer, and no worker sleeps waiting for it.

Processing is idempotent by tracking id: a redelivered job (a worker died, its visibility timeout
expired) whose answer is already stored only re-attempts the delivery, with the same `webhook-id`; the
conversation log replaces the record of a request id rather than adding one. A heartbeat extends the
message's visibility while a long job runs, so a live worker keeps its job and a dead one releases it.

`run_worker(settings)` runs `concurrency` threads until SIGTERM/SIGINT (when called in the main thread)
or `stop_event`; a stop lets the job in hand finish. `once=True` drains what is visible and returns.

Test hook: REVOPS_TEST_WORKER_DELAY_S (seconds, read only here) sleeps inside each job between
"processing" and the answer, so tests can kill a worker mid-job. Leave it unset in production.
"""

from __future__ import annotations

import logging
import os
import random
import signal
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from revops_cli.channels.webhook_server.queue import Message, Queue, Store, open_queue

log = logging.getLogger("revops.worker")

TEST_DELAY_ENV = "REVOPS_TEST_WORKER_DELAY_S"

# One answer at a time per process: answering is CPU-bound (the GIL gains nothing from threads), and the
# result cache's DuckDB file cannot be open read-only and read-write by two threads of one process at once.
# Threads still overlap the I/O-bound part, delivery; run more `revops worker` processes to answer in parallel.
_ASK_LOCK = threading.Lock()


@dataclass
class WorkerStats:
    processed: int = 0
    answered: int = 0
    delivered: int = 0
    failed: int = 0
    duplicates: int = 0
    retried: int = 0
    redeliveries: int = 0
    errors: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, **counts: int) -> None:
        with self.lock:
            for k, n in counts.items():
                setattr(self, k, getattr(self, k) + n)

    def to_dict(self) -> dict[str, int]:
        return {k: getattr(self, k)
                for k in ("processed", "answered", "delivered", "failed", "duplicates", "retried", "redeliveries",
                          "errors")}


class _Heartbeat:
    """Extends a message's visibility every third of the timeout while its job runs."""

    def __init__(self, queue: Queue, msg: Message):
        self.queue, self.msg = queue, msg
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._run, name="worker-heartbeat", daemon=True)

    def _run(self) -> None:
        period = max(0.2, self.queue.visibility_timeout / 3)
        while not self.done.wait(period):
            try:
                self.queue.extend(self.msg)
            except Exception as exc:  # a missed heartbeat only risks a duplicate, which is idempotent
                log.warning("heartbeat for %s failed: %s", self.msg.tracking_id, type(exc).__name__)

    def __enter__(self) -> "_Heartbeat":
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.done.set()
        self.thread.join(timeout=5)


def _test_delay() -> float:
    try:
        return float(os.environ.get(TEST_DELAY_ENV) or 0)
    except ValueError:
        return 0.0


class RetryLater(Exception):
    """The answer failed for a passing reason and this was not the job's last allowed attempt."""


def retry_delay(settings: Any, attempt: int, cap: float) -> float:
    """Seconds before a job that failed for a passing reason is tried again: doubling, jittered, capped."""
    base = settings.queue.retry_delay_s
    delay = min(cap, base * 2 ** max(0, attempt - 1))
    return delay * random.uniform(0.8, 1.0)


def caller_identity(body: dict[str, Any]) -> str | None:
    """Who asked, as the conversation log and the pending-action store see it: the API key (`key:<name>`)
    when the request carried one, else its `source_system` (anonymous or shared-secret signed callers)."""
    caller = body.get("caller")
    return caller if isinstance(caller, str) and caller.startswith("key:") else body.get("source_system")


def answer_request(settings: Any, msg: Message, conv_log: Any = "default", *,
                   last_attempt: bool = True) -> dict[str, Any]:
    """Run the service entry for one queued request; returns the stored answer record.

    Raises RetryLater instead when the answer failed for a passing reason and `last_attempt` is false."""
    from revops_cli import service
    from revops_cli.channels.webhook_server.deliveries import answer_record
    from revops_cli.models import Request

    body = msg.body
    request = Request(text=body["query"], agent=body.get("agent"), session_id=body.get("session_id"),
                      channel="webhook", source_system=body.get("source_system"),
                      source_process=body.get("source_process"), request_id=msg.tracking_id,
                      user=caller_identity(body), confirm_action_id=body.get("confirm_action_id"))
    with _ASK_LOCK:
        answer = service.ask(request, settings, log=conv_log)
    error = (answer.data or {}).get("error") or {}
    if not answer.ok and error.get("retryable") and not last_attempt:
        raise RetryLater(answer.error or error.get("message") or "a passing failure")
    return answer_record(answer)


def process(settings: Any, queue: Queue, msg: Message, *, conv_log: Any = "default",
            stats: WorkerStats | None = None) -> str:
    """Process one message; returns the request's final status. Acks unless the process dies first.
    Where the request ended up is published to the API host (SQS with a status queue)."""
    try:
        return _process(settings, queue, msg, conv_log=conv_log, stats=stats)
    finally:
        queue.publish_status(msg)


def _process(settings: Any, queue: Queue, msg: Message, *, conv_log: Any = "default",
             stats: WorkerStats | None = None) -> str:
    from revops_cli.channels.webhook_server.deliveries import defer, deliver_answer

    stats = stats or WorkerStats()
    store: Store = queue.store
    rec = store.get(msg.tracking_id)
    if rec is None:   # SQS: a message whose record is gone (should not happen): answer from the body alone
        store.ensure(msg.tracking_id, msg.body, msg.body.get("queued_at") or "")
        rec = store.get(msg.tracking_id)
    assert rec is not None
    if rec["status"] in ("delivered", "failed"):
        stats.add(processed=1, duplicates=1)
        queue.ack(msg)
        return rec["status"]
    retry: RetryLater | None = None
    with _Heartbeat(queue, msg):
        answer = rec["answer"]
        if answer is None:
            store.set_status(msg.tracking_id, "processing")
            queue.publish_status(msg)
            delay = _test_delay()
            if delay:
                time.sleep(delay)
            try:
                answer = answer_request(settings, msg, conv_log,
                                        last_attempt=msg.receive_count >= queue.max_receives)
                store.store_answer(msg.tracking_id, answer)
                stats.add(answered=1)
            except RetryLater as exc:
                retry = exc
        else:
            stats.add(duplicates=1)
        if retry is None:
            outcome = deliver_answer(settings, store, msg.tracking_id, msg.body, answer)
    if retry is not None:      # after the heartbeat stopped, so it cannot undo the delay
        wait = retry_delay(settings, msg.receive_count, queue.visibility_timeout)
        store.set_status(msg.tracking_id, "queued", error=str(retry))
        queue.release(msg, wait)
        stats.add(processed=1, retried=1)
        log.warning("job %s failed for a passing reason (%s); retrying in %.0f s (attempt %d of %d)",
                    msg.tracking_id, retry, wait, msg.receive_count, queue.max_receives)
        return "queued"
    if outcome.status == "failed" and outcome.retryable:
        later = redelivery_delay(settings, queue, msg)
        if later is not None:      # the receiver may be down for hours: another round later, not a dead letter
            defer(store, msg.tracking_id, outcome.error)
            queue.release(msg, later)
            stats.add(processed=1, redeliveries=1)
            log.warning("delivery of %s failed (%s); next round in %.0f s (receive %d of %d)",
                        msg.tracking_id, outcome.error, later, msg.receive_count, queue.max_receives)
            return "answered"
    status = "answered" if outcome.status == "skipped" else outcome.status
    stats.add(processed=1, delivered=1 if status == "delivered" else 0, failed=1 if status == "failed" else 0)
    queue.ack(msg)
    return status


def redelivery_delay(settings: Any, queue: Queue, msg: Message) -> float | None:
    """Seconds until the next delivery round of a message, or None when its rounds are used up: one round per
    entry of `webhooks.redeliver_after_s`, within `queue.max_receives` receives in all."""
    from revops_cli.channels.webhook_server.deliveries import redeliver_after

    schedule = redeliver_after(settings)
    done = msg.receive_count - 1
    if done >= len(schedule) or msg.receive_count >= queue.max_receives:
        return None
    return min(schedule[done], 12 * 3600)       # SQS caps a message's visibility at 12 hours


def _loop(settings: Any, queue: Queue, stop: threading.Event, once: bool, stats: WorkerStats,
          conv_log: Any) -> None:
    while not stop.is_set():
        try:
            msgs = queue.receive(1, wait_s=0 if once else 1.0)
        except Exception as exc:
            stats.add(errors=1)
            log.error("queue receive failed: %s", exc)
            if once or stop.wait(1.0):
                return
            continue
        if not msgs:
            if once:
                return
            continue
        for msg in msgs:
            try:
                process(settings, queue, msg, conv_log=conv_log, stats=stats)
            except Exception as exc:   # a bug or an outage: leave the message; it comes back after the timeout
                stats.add(errors=1)
                log.exception("job %s failed (%s); it will be retried after the visibility timeout",
                              msg.tracking_id, type(exc).__name__)


class WorkerPool:
    """`concurrency` worker threads sharing one queue; used by `revops worker` and inside serve-webhook."""

    def __init__(self, settings: Any, *, concurrency: int = 2, queue: Queue | None = None, once: bool = False,
                 stop_event: threading.Event | None = None):
        self.settings = settings
        self.queue = queue or open_queue(settings)
        self.concurrency = max(1, int(concurrency))
        self.once = once
        self.stop_event = stop_event or threading.Event()
        self.stats = WorkerStats()
        self.threads: list[threading.Thread] = []
        self._conv_log: Any = "default"

    def start(self) -> "WorkerPool":
        from revops_cli.service import open_log

        try:
            self._conv_log = open_log(self.settings)      # one log shared by the threads (it is thread-safe)
        except Exception:
            self._conv_log = "default"
        for i in range(self.concurrency):
            t = threading.Thread(target=_loop, name=f"revops-worker-{i}", daemon=True,
                                 args=(self.settings, self.queue, self.stop_event, self.once, self.stats,
                                       self._conv_log))
            t.start()
            self.threads.append(t)
        return self

    def join(self, timeout: float | None = None) -> None:
        deadline = None if timeout is None else time.monotonic() + timeout
        for t in self.threads:
            while t.is_alive():
                left = None if deadline is None else max(0.0, deadline - time.monotonic())
                t.join(0.2 if left is None else min(0.2, left))
                if deadline is not None and time.monotonic() >= deadline:
                    return

    def stop(self, timeout: float = 30) -> None:
        self.stop_event.set()
        close = getattr(self.queue, "close", None)
        if close:
            close()
        self.join(timeout)
        if self._conv_log not in (None, "default"):
            try:
                self._conv_log.close()
            except Exception:
                pass


def run_worker(settings: Any, *, once: bool = False, stop_event: threading.Event | None = None,
               concurrency: int = 1, queue: Queue | None = None) -> WorkerStats:
    """Run workers until stopped (SIGTERM/SIGINT in the main thread, or `stop_event`); `once`: drain and return."""
    pool = WorkerPool(settings, concurrency=concurrency, queue=queue, once=once, stop_event=stop_event)
    restore: dict[int, Any] = {}
    if threading.current_thread() is threading.main_thread():
        def on_signal(signum: int, frame: Any) -> None:
            log.info("signal %s: finishing the jobs in hand", signum)
            pool.stop_event.set()

        for sig in (signal.SIGTERM, signal.SIGINT):
            try:
                restore[sig] = signal.signal(sig, on_signal)
            except (ValueError, OSError):
                pass
    try:
        pool.start()
        pool.join()
    finally:
        pool.stop()
        for sig, handler in restore.items():
            signal.signal(sig, handler)
    return pool.stats
