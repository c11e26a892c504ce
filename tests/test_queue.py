"""The webhook queue: SQS semantics on SQLite (visibility, receive count, DLQ, receipts) and on SQS (moto)."""

from __future__ import annotations

import threading
import time

import pytest

from revops_cli.channels.webhook_server.queue import (
    SQLiteQueue, SQSQueue, Store, create_sqs_queues, open_queue, queue_path)

BODY = {"query": "What deals are closing this quarter?", "source_system": "crm", "source_process": "qr",
        "timestamp": "2025-08-16T10:00:00+00:00", "agent": None, "session_id": "webhook_x", "callback": None}


@pytest.fixture
def store(tmp_path):
    s = Store(tmp_path / "q.db")
    yield s
    s.close()


def wait_visible(q, timeout=5.0):
    """Receive until a message shows up again (bounded); the visibility timeouts here are 0.1-0.2 s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        msgs = q.receive(1, wait_s=0.05)
        if msgs:
            return msgs
    return []


def test_submit_receive_ack(store):
    q = SQLiteQueue(store, visibility_timeout=30, max_receives=3)
    q.submit("t1", BODY, "2026-01-01T00:00:00.000000Z")
    assert store.get("t1")["status"] == "queued" and q.depth() == 1
    [msg] = q.receive(5)
    assert (msg.tracking_id, msg.receive_count, msg.body) == ("t1", 1, BODY)
    assert q.receive(5) == []                 # hidden while it is being worked on
    assert q.ack(msg)
    assert q.depth() == 0 and q.receive(1) == []
    assert store.get("t1")["body"] == BODY    # the request record stays


def test_visibility_timeout_returns_an_unacked_message_and_old_receipts_cannot_ack(store):
    q = SQLiteQueue(store, visibility_timeout=0.1, max_receives=5)
    q.submit("t1", BODY, "2026-01-01T00:00:00.000000Z")
    [first] = q.receive(1)
    [second] = wait_visible(q)                # the worker holding `first` "died"
    assert second.receive_count == 2 and second.receipt != first.receipt
    assert not q.ack(first)                   # a stale receipt deletes nothing
    assert q.ack(second)


def test_extend_keeps_a_message_hidden_and_release_shows_it(store):
    q = SQLiteQueue(store, visibility_timeout=0.1, max_receives=5)
    q.submit("t1", BODY, "x")
    [msg] = q.receive(1)
    q.extend(msg, 60)
    time.sleep(0.15)
    assert q.receive(1) == []
    q.release(msg)
    assert [m.tracking_id for m in q.receive(1)] == ["t1"]


def test_dead_letter_after_max_receives(store):
    q = SQLiteQueue(store, visibility_timeout=0.05, max_receives=2)
    q.submit("poison", BODY, "x")
    assert [m.receive_count for m in q.receive(1)] == [1]
    assert [m.receive_count for m in wait_visible(q)] == [2]
    deadline = time.monotonic() + 5
    while not store.dead_letters() and time.monotonic() < deadline:
        assert q.receive(1, wait_s=0.05) == []      # a third receive moves it to the DLQ instead
    dlq = store.dead_letters()
    assert [(d["tracking_id"], d["receive_count"]) for d in dlq] == [("poison", 2)]
    assert "max_receives" in dlq[0]["reason"]
    rec = store.get("poison")
    assert rec["status"] == "failed" and "max_receives" in rec["error"]
    assert q.depth() == 0


def test_concurrent_receivers_never_share_a_message(tmp_path):
    path = tmp_path / "q.db"
    producer = SQLiteQueue(Store(path), visibility_timeout=60)
    ids = [f"t{i}" for i in range(60)]
    for t in ids:
        producer.submit(t, BODY, "x")
    got: list[str] = []
    lock = threading.Lock()

    def consume():
        q = SQLiteQueue(Store(path), visibility_timeout=60)   # own connection, like another process
        while True:
            msgs = q.receive(3)
            if not msgs:
                return
            with lock:
                got.extend(m.tracking_id for m in msgs)
            for m in msgs:
                q.ack(m)

    threads = [threading.Thread(target=consume) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(got) == sorted(ids)        # every message once: none lost, none twice


def test_open_queue_from_settings(settings_for, tmp_path, monkeypatch):
    from revops_cli.config import load_settings
    from revops_cli.errors import ConfigError

    monkeypatch.setenv("REVOPS_QUEUE__VISIBILITY_TIMEOUT", "7")
    s = load_settings()
    q = open_queue(s)
    assert isinstance(q, SQLiteQueue) and q.visibility_timeout == 7
    assert queue_path(s) == s.home / "webhook-queue.db"
    monkeypatch.setenv("REVOPS_QUEUE__KIND", "sqs")
    with pytest.raises(ConfigError):
        open_queue(load_settings())


# -- Amazon SQS (moto) ----------------------------------------------------------------------------------

@pytest.fixture
def aws(monkeypatch):
    moto = pytest.importorskip("moto")
    for k, v in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_SESSION_TOKEN": "testing",
                 "AWS_DEFAULT_REGION": "us-east-1"}.items():
        monkeypatch.setenv(k, v)
    with moto.mock_aws():
        yield


def test_sqs_queue_semantics_and_redrive(aws, store):
    url, dlq_url = create_sqs_queues("revops-test", max_receives=2, visibility_timeout=30)
    q = SQSQueue(store, url, visibility_timeout=0, max_receives=2)
    q.submit("t1", BODY, "2026-01-01T00:00:00.000000Z")
    assert store.get("t1")["status"] == "queued"
    [m1] = q.receive(1)
    assert (m1.tracking_id, m1.body, m1.receive_count) == ("t1", BODY, 1)
    [m2] = q.receive(1)                    # visibility 0: back at once, counted
    assert m2.receive_count == 2
    assert q.receive(1) == []              # a third receive: the redrive policy moved it to the DLQ
    dlq = SQSQueue(store, dlq_url, visibility_timeout=30)
    assert [m.tracking_id for m in dlq.receive(1)] == ["t1"]

    q2 = SQSQueue(store, url, visibility_timeout=30)
    q2.submit("t2", BODY, "x")
    [m] = q2.receive(1)
    q2.ack(m)
    q2.visibility_timeout = 0
    assert q2.receive(1) == []             # acked = deleted


def test_sqs_send_failure_accepts_nothing(aws, store):
    q = SQSQueue(store, "https://sqs.us-east-1.amazonaws.com/123456789012/missing", visibility_timeout=30)
    with pytest.raises(Exception):
        q.submit("t1", BODY, "x")
    assert store.get("t1") is None


def test_a_snapshot_from_another_store_applies_only_when_newer(tmp_path):
    api, worker = Store(tmp_path / "api.db"), Store(tmp_path / "worker.db")
    body = {"query": "q", "source_system": "crm"}
    api.insert("t1", body, "2026-11-24T00:00:00.000000Z", in_queue=False)
    worker.ensure("t1", body, "2026-11-24T00:00:00.000000Z")
    worker.set_status("t1", "processing")
    early = worker.snapshot("t1")
    worker.store_answer("t1", {"response": "**Answer**", "ok": True})
    late = worker.snapshot("t1")
    assert api.apply_snapshot(late) and api.get("t1")["answer"] == {"response": "**Answer**", "ok": True}
    assert not api.apply_snapshot(early)                  # arrives late, out of order: ignored
    assert api.get("t1")["status"] == "answered"
    assert not api.apply_snapshot({**late, "tracking_id": "unknown"})   # not a request of this host
