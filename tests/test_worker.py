"""Webhook workers: answer, store, deliver signed; retries, 410, SSRF, dead letters, replay; SIGKILL mid-job; SQS."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from fakes.webhook_receiver import WebhookReceiver
from revops_cli.channels.webhook_server import worker as worker_mod
from revops_cli.channels.webhook_server.deliveries import list_deliveries
from revops_cli.channels.webhook_server.queue import open_queue
from revops_cli.channels.webhook_server.worker import process, run_worker

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
ROOT = Path(__file__).resolve().parent.parent


def body(query="What deals are closing this quarter?", **kw):
    return {"query": query, "source_system": "crm_dashboard", "source_process": "quarterly_review",
            "timestamp": "2025-08-16T10:00:00+00:00", "agent": None, "session_id": "webhook_s1", "callback": None,
            **kw}


@pytest.fixture
def fake_answers(monkeypatch):
    """Answer without a warehouse: these tests are about the queue and the delivery."""
    calls: list[str] = []

    def answer(settings, msg, conv_log="default", **kw):
        calls.append(msg.tracking_id)
        return {"response": f"**Answer** to {msg.body['query']}", "response_plain": f"Answer to {msg.body['query']}",
                "agent": "data", "ok": True, "error": None, "session_id": msg.body.get("session_id"),
                "timestamp": "2026-11-24T00:00:00Z", "duration_ms": 1.0}

    monkeypatch.setattr(worker_mod, "answer_request", answer)
    return calls


@pytest.fixture
def rx():
    with WebhookReceiver(secret=SECRET) as r:
        yield r


def cli(capsys, *args):
    """The real CLI entry, with the webhook group registered as app.py does."""
    from cli import run
    from revops_cli.app import app
    from revops_cli.commands import webhook

    if not any(g.name == "webhook" for g in app.registered_groups):
        app.add_typer(webhook.app, name="webhook")
    return run(capsys, *args)


def make_settings(monkeypatch, url=None, allow=True, **extra):
    from revops_cli.config import load_settings

    if url:
        monkeypatch.setenv("REVOPS_WEBHOOK_URL", url)
    monkeypatch.setenv("REVOPS_WEBHOOK_SECRET", SECRET)
    if allow:
        monkeypatch.setenv("REVOPS_WEBHOOK_ALLOW_HOSTS", "127.0.0.1")
    s = load_settings()
    s.data["webhooks"].update({"backoff_s": [0.05, 0.1, 0.2], "timeout_s": 2})
    s.data["webhooks"].update(extra)
    return s


def enqueue(q, n=1, **kw):
    ids = []
    for i in range(n):
        tid = f"00000000-0000-4000-8000-{i:012d}"
        q.submit(tid, body(**kw), "2026-11-24T00:00:00.000000Z")
        ids.append(tid)
    return ids


def test_answers_are_delivered_signed_with_the_reference_shape(monkeypatch, rx, fake_answers):
    s = make_settings(monkeypatch, rx.url)
    q = open_queue(s)
    ids = enqueue(q, 3)
    stats = run_worker(s, once=True, concurrency=2, queue=q)
    assert stats.delivered == 3 and stats.errors == 0
    assert sorted(r.json["tracking_id"] for r in rx.delivered) == ids
    for r in rx.requests:
        assert r.verified and r.headers["webhook-id"] == f"msg_{r.json['tracking_id']}"
        p = r.json
        assert set(p) == {"tracking_id", "source_system", "source_process", "original_query", "ai_response",
                          "webhook_metadata"}
        assert set(p["ai_response"]) == {"response", "response_plain", "session_id", "timestamp"}
        assert p["webhook_metadata"]["webhook_url"] == rx.url and p["webhook_metadata"]["delivered_at"].endswith("Z")
        assert p["original_query"] == "What deals are closing this quarter?" and p["source_system"] == "crm_dashboard"
    assert all(q.store.get(t)["status"] == "delivered" for t in ids)


def test_receiver_failing_first_attempts_still_gets_it(monkeypatch, rx, fake_answers):
    s = make_settings(monkeypatch, rx.url)
    q = open_queue(s)
    [tid] = enqueue(q)
    rx.fail_next(2, 503)
    run_worker(s, once=True, queue=q)
    assert [r.status for r in rx.requests] == [503, 503, 200]
    assert len({r.headers["webhook-id"] for r in rx.requests}) == 1        # one message id across retries
    [d] = list_deliveries(q.store)
    assert (d["status"], d["attempts"], d["last_status"]) == ("delivered", 3, 200)
    assert q.store.get(tid)["status"] == "delivered"


def test_410_disables_the_endpoint_and_replay_recovers(monkeypatch, rx, fake_answers, capsys):
    from revops_cli.channels.webhook_server.deliveries import replay

    s = make_settings(monkeypatch, rx.url)
    q = open_queue(s)
    [t1] = enqueue(q)
    rx.respond_with(410)
    run_worker(s, once=True, queue=q)
    assert len(rx.requests) == 1
    [d] = list_deliveries(q.store, failed=True)
    assert d["tracking_id"] == t1 and "410" in d["error"]
    assert q.store.get(t1)["status"] == "failed"
    q.submit("11111111-0000-4000-8000-000000000000", body("second"), "x")    # endpoint disabled: no request made
    run_worker(s, once=True, queue=q)
    assert len(rx.requests) == 1
    assert len(list_deliveries(q.store, failed=True)) == 2
    assert "disabled" in q.store.get("11111111-0000-4000-8000-000000000000")["error"]

    rx.respond_with(200)                       # the receiver is back; the operator replays
    out = replay(s, q.store, d["id"])
    assert out.status == "delivered"
    assert rx.delivered[-1].json["tracking_id"] == t1 and rx.delivered[-1].verified
    assert q.store.get(t1)["status"] == "delivered"
    assert [x["tracking_id"] for x in list_deliveries(q.store, failed=True)] == ["11111111-0000-4000-8000-000000000000"]


def test_ssrf_guard_refuses_loopback_without_allow_hosts(monkeypatch, rx, fake_answers):
    s = make_settings(monkeypatch, rx.url, allow=False)
    q = open_queue(s)
    [tid] = enqueue(q)
    run_worker(s, once=True, queue=q)
    assert rx.requests == []                  # never connected
    [d] = list_deliveries(q.store, failed=True)
    assert d["tracking_id"] == tid and "loopback" in d["error"] and "allow_hosts" in d["error"]
    rec = q.store.get(tid)
    assert rec["status"] == "failed" and rec["answer"]["ok"]       # answered, not delivered: nothing lost


def test_redelivered_job_with_a_stored_answer_only_redelivers(monkeypatch, rx, fake_answers):
    s = make_settings(monkeypatch, rx.url)
    q = open_queue(s)
    [tid] = enqueue(q)
    q.visibility_timeout = 0.1
    [msg] = q.receive(1)
    q.store.store_answer(tid, {"response": "stored", "response_plain": "stored", "session_id": "s",
                               "timestamp": "t"})     # a worker answered, then died before delivering
    deadline = time.monotonic() + 5
    msgs = []
    while not msgs and time.monotonic() < deadline:
        msgs = q.receive(1, wait_s=0.05)
    assert msgs and msgs[0].receive_count == 2
    assert process(s, q, msgs[0]) == "delivered"
    assert fake_answers == []                 # not answered again
    assert [r.json["ai_response"]["response"] for r in rx.requests] == ["stored"]
    q.submit("dup", body(), "x")
    q.store.set_status("dup", "delivered")    # already delivered: a duplicate is only acked
    [m] = q.receive(1)
    assert process(s, q, m) == "delivered" and len(rx.requests) == 1 and q.depth() == 0


def test_no_endpoint_configured_leaves_the_answer_to_be_pulled(monkeypatch, fake_answers):
    s = make_settings(monkeypatch, None)
    q = open_queue(s)
    [tid] = enqueue(q)
    stats = run_worker(s, once=True, queue=q)
    assert stats.answered == 1 and q.store.get(tid)["status"] == "answered" and list_deliveries(q.store) == []


def test_deliveries_cli_list_and_replay(monkeypatch, rx, fake_answers, capsys):
    monkeypatch.setenv("REVOPS_WEBHOOKS__BACKOFF_S", "0.05,0.1")     # the CLI loads its own settings
    s = make_settings(monkeypatch, rx.url, redeliver_after_s=[])    # no later rounds: a dead letter at once
    q = open_queue(s)
    [tid] = enqueue(q)
    rx.respond_with(500)
    run_worker(s, once=True, queue=q)
    res = cli(capsys, "webhook", "deliveries", "list", "--failed", "-f", "json")
    assert res.code == 0, res.err
    [row] = res.json()
    assert row["tracking_id"] == tid and row["status"] == "failed" and "500" in row["error"]
    res = cli(capsys, "webhook", "deliveries", "replay", row["id"])
    assert res.code == 7 and "failed again" in res.err
    rx.respond_with(200)
    res = cli(capsys, "webhook", "deliveries", "replay", tid[:8])
    assert res.code == 0 and "delivered" in res.out
    assert cli(capsys, "webhook", "deliveries", "list", "--failed", "-f", "json").json() == []
    assert cli(capsys, "webhook", "deliveries", "replay", "nope").code == 2


def test_a_receiver_down_for_a_while_gets_the_answer_in_a_later_round(monkeypatch, rx, fake_answers, capsys):
    s = make_settings(monkeypatch, rx.url, redeliver_after_s=[0, 0, 0])   # rounds at once, so the test is quick
    q = open_queue(s)
    [tid] = enqueue(q)
    rx.fail_next(6, 503)                               # down for two whole rounds of 3 attempts
    [msg] = q.receive(1)
    assert process(s, q, msg) == "answered"            # round 1 failed: not a dead letter, back on the queue
    [row] = list_deliveries(q.store)
    assert (row["status"], q.store.get(tid)["status"]) == ("retrying", "answered")
    assert list_deliveries(q.store, failed=True) == []
    stats = run_worker(s, once=True, queue=q)          # round 2 fails too, round 3 gets through
    assert (stats.redeliveries, stats.delivered) == (1, 1)
    assert [r.status for r in rx.requests] == [503] * 6 + [200]
    assert len({r.headers["webhook-id"] for r in rx.requests}) == 1 and all(r.verified for r in rx.requests)
    assert fake_answers == [tid]                       # answered once, delivered in the third round
    [row] = list_deliveries(q.store)
    assert (row["status"], row["attempts"], q.store.get(tid)["status"]) == ("delivered", 7, "delivered")


def test_later_rounds_end_in_the_dead_letter_list(monkeypatch, rx, fake_answers):
    s = make_settings(monkeypatch, rx.url, redeliver_after_s=[0])          # one later round
    q = open_queue(s)
    [tid] = enqueue(q)
    rx.respond_with(500)
    stats = run_worker(s, once=True, queue=q)
    assert (stats.redeliveries, stats.failed) == (1, 1) and len(rx.requests) == 6
    [row] = list_deliveries(q.store, failed=True)
    assert row["tracking_id"] == tid and q.store.get(tid)["status"] == "failed"


def test_a_refused_delivery_is_not_retried_later(monkeypatch, rx, fake_answers):
    s = make_settings(monkeypatch, rx.url, redeliver_after_s=[0, 0])
    q = open_queue(s)
    enqueue(q)
    rx.respond_with(400)                               # the receiver rejects the payload: asking again won't help
    stats = run_worker(s, once=True, queue=q)
    assert (stats.redeliveries, stats.failed, len(rx.requests)) == (0, 1, 1)


# -- a worker killed with SIGKILL mid-job loses nothing -------------------------------------------------

WORKER = ("import sys; from revops_cli.config import load_settings; "
          "from revops_cli.channels.webhook_server.worker import run_worker; "
          "s = run_worker(load_settings(), concurrency=int(sys.argv[1])); print(s.to_dict())")


@pytest.mark.parametrize("demo_db", [42], indirect=True)
def test_sigkill_mid_job_loses_no_request(demo_db, revops_home, rx, tmp_path, monkeypatch):
    from revops_cli.config import load_settings

    env = {**os.environ, "REVOPS_HOME": str(revops_home), "REVOPS_DUCKDB_PATH": str(demo_db),
           "REVOPS_WEBHOOK_URL": rx.url, "REVOPS_WEBHOOK_SECRET": SECRET, "REVOPS_WEBHOOK_ALLOW_HOSTS": "127.0.0.1",
           "REVOPS_QUEUE__VISIBILITY_TIMEOUT": "1", "PYTHONPATH": str(ROOT)}
    for k in list(env):
        if k.startswith("REVOPS_TEST_"):
            del env[k]
    for k in ("REVOPS_DUCKDB_PATH", "REVOPS_QUEUE__VISIBILITY_TIMEOUT"):
        monkeypatch.setenv(k, env[k])
    if True:
        s = load_settings()
        q = open_queue(s)
        questions = ["What deals are closing this quarter?", "what is the status of the IXIS deal?",
                     "show me the pipeline by stage", "What deals are closing this quarter?"]
        ids = []
        for i, text in enumerate(questions):
            tid = f"0000000{i}-0000-4000-8000-000000000000"
            q.submit(tid, body(text), "x")
            ids.append(tid)
        slow = subprocess.Popen([sys.executable, "-c", WORKER, "1"], env={**env, "REVOPS_TEST_WORKER_DELAY_S": "60"},
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=tmp_path)
        try:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and q.store.counts().get("processing", 0) == 0:
                time.sleep(0.05)
            assert q.store.counts().get("processing") == 1, slow.stderr.read1(4000) if slow.poll() else "no job taken"
        finally:
            slow.send_signal(signal.SIGKILL)
            slow.wait(10)
        assert slow.returncode == -signal.SIGKILL
        fresh = subprocess.Popen([sys.executable, "-c", WORKER, "2"], env=env, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, cwd=tmp_path, text=True)
        try:
            deadline = time.monotonic() + 45
            while time.monotonic() < deadline and q.store.counts().get("delivered", 0) < len(ids):
                time.sleep(0.1)
        finally:
            fresh.send_signal(signal.SIGTERM)           # graceful: finishes the job in hand, then exits 0
            out, err = fresh.communicate(timeout=30)
        assert fresh.returncode == 0, err[-2000:]
        assert q.store.counts() == {"delivered": len(ids)}, err[-2000:]
        delivered = {r.json["tracking_id"] for r in rx.delivered}
        assert delivered == set(ids)                                   # every tracking id, none missing
        assert len(rx.delivered) == len(ids)                           # and each exactly once
        assert all(r.verified for r in rx.requests)
        ixis = next(r.json for r in rx.delivered if r.json["tracking_id"] == ids[1])
        assert "IXIS" in ixis["ai_response"]["response"]


# -- passing failures: retried with a delay, not delivered as failures -----------------------------------

def _closed_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _firebolt_env(url: str) -> dict[str, str]:
    return {"REVOPS_WAREHOUSE": "firebolt", "REVOPS_FIREBOLT_URL": url, "REVOPS_FIREBOLT_DATABASE": "revops"}


def test_an_unreachable_warehouse_is_retried_then_the_error_is_delivered(demo_db, settings_for, rx):
    s = settings_for(demo_db, REVOPS_WEBHOOK_URL=rx.url, REVOPS_WEBHOOK_SECRET=SECRET,
                     REVOPS_WEBHOOK_ALLOW_HOSTS="127.0.0.1", REVOPS_QUEUE__MAX_RECEIVES="3",
                     REVOPS_QUEUE__RETRY_DELAY_S="0", **_firebolt_env(f"http://127.0.0.1:{_closed_port()}"))
    q = open_queue(s)
    [tid] = enqueue(q, 1, query="what is the status of the IXIS deal?")
    stats = run_worker(s, once=True, queue=q)
    assert (stats.retried, stats.answered, stats.delivered) == (2, 1, 1)        # attempts 1, 2 retried; 3 delivers
    [d] = rx.delivered                                                            # the caller hears back once
    assert d.json["tracking_id"] == tid and "cannot reach Firebolt" in d.json["ai_response"]["response"]
    rec = q.store.get(tid)
    assert rec["status"] == "delivered" and rec["receive_count"] == 3 and rec["answer"]["ok"] is False


def test_a_request_survives_a_warehouse_outage(demo_db, settings_for, rx, tmp_path):
    import shutil

    from fakes.firebolt_core import FireboltCoreFake

    down = settings_for(demo_db, REVOPS_WEBHOOK_URL=rx.url, REVOPS_WEBHOOK_SECRET=SECRET,
                        REVOPS_WEBHOOK_ALLOW_HOSTS="127.0.0.1", REVOPS_QUEUE__RETRY_DELAY_S="0",
                        **_firebolt_env(f"http://127.0.0.1:{_closed_port()}"))
    q = open_queue(down)
    [tid] = enqueue(q, 1, query="what is the status of the IXIS deal?")
    [msg] = q.receive(1)
    assert process(down, q, msg) == "queued"
    rec = q.store.get(tid)
    assert rec["status"] == "queued" and "cannot reach Firebolt" in rec["error"] and rx.requests == []
    served = tmp_path / "firebolt-side.duckdb"
    shutil.copy(demo_db, served)
    with FireboltCoreFake(served, database="revops") as url:                      # the warehouse is back
        from revops_cli.config import load_settings

        os.environ["REVOPS_FIREBOLT_URL"] = url                                    # restored by monkeypatch
        up = load_settings()
        [msg] = q.receive(1)
        assert msg.receive_count == 2
        assert process(up, q, msg) == "delivered"
    [d] = rx.delivered
    assert d.verified and d.json["tracking_id"] == tid
    assert q.store.get(tid)["answer"]["ok"] is True and "IXIS" in d.json["ai_response"]["response"]


def test_an_error_asking_again_cannot_fix_is_delivered_at_once(demo_db, settings_for, rx):
    s = settings_for(demo_db, REVOPS_WEBHOOK_URL=rx.url, REVOPS_WEBHOOK_SECRET=SECRET,
                     REVOPS_WEBHOOK_ALLOW_HOSTS="127.0.0.1", REVOPS_QUEUE__RETRY_DELAY_S="0")
    q = open_queue(s)
    [tid] = enqueue(q, 1, query="run this SQL: DELETE FROM opportunities")
    stats = run_worker(s, once=True, queue=q)
    assert (stats.retried, stats.delivered) == (0, 1)
    rec = q.store.get(tid)
    assert rec["status"] == "delivered" and rec["receive_count"] == 1


# -- Amazon SQS: enqueue through the API, a worker consumes ---------------------------------------------

@pytest.mark.parametrize("demo_db", [42], indirect=True)
def test_sqs_backend_api_to_worker(demo_db, settings_for, monkeypatch, rx):
    moto = pytest.importorskip("moto")
    pytest.importorskip("fastapi")
    from fastapi.testclient import TestClient

    from revops_cli.channels.webhook_server.queue import SQSQueue, create_sqs_queues
    from revops_cli.channels.webhook_server.api import create_app

    for k, v in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_SESSION_TOKEN": "testing",
                 "AWS_DEFAULT_REGION": "us-east-1"}.items():
        monkeypatch.setenv(k, v)
    with moto.mock_aws():
        url, _ = create_sqs_queues("revops-webhook", max_receives=3)
        s = settings_for(demo_db, REVOPS_QUEUE__KIND="sqs", REVOPS_QUEUE__SQS_QUEUE_URL=url,
                         REVOPS_WEBHOOK_URL=rx.url, REVOPS_WEBHOOK_SECRET=SECRET, REVOPS_WEBHOOK_ALLOW_HOSTS="127.0.0.1")
        app = create_app(s, start_workers=False)
        assert isinstance(app.state.queue, SQSQueue)
        with TestClient(app) as client:
            ids = []
            for text in ("What deals are closing this quarter?", "what is the status of the IXIS deal?"):
                r = client.post("/webhook", json={"query": text, "source_system": "crm", "source_process": "qbr",
                                                  "timestamp": "2025-08-16T10:00:00Z"})
                assert r.status_code == 202
                ids.append(r.json()["tracking_id"])
            assert client.get("/readyz").json()["queue"] == "sqs"
            stats = run_worker(s, once=True, queue=app.state.queue)
            assert stats.delivered == 2
            assert {r.json["tracking_id"] for r in rx.delivered} == set(ids)
            assert all(client.get(f"/requests/{t}").json()["status"] == "delivered" for t in ids)


@pytest.mark.parametrize("demo_db", [42], indirect=True)
def test_sqs_worker_on_another_machine_reports_back_to_the_api_host(demo_db, settings_for, monkeypatch, rx,
                                                                    tmp_path):
    """The API host and the worker each have their own store (two machines); the worker's snapshots reach
    the API host through its status queue, so GET /requests there shows the answer and the delivery."""
    moto = pytest.importorskip("moto")
    pytest.importorskip("fastapi")
    from fastapi.testclient import TestClient

    from revops_cli.channels.webhook_server.api import create_app
    from revops_cli.channels.webhook_server.queue import (
        SQSQueue, Store, StatusListener, create_sqs_queues, create_sqs_status_queue)

    for k, v in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_SESSION_TOKEN": "testing",
                 "AWS_DEFAULT_REGION": "us-east-1"}.items():
        monkeypatch.setenv(k, v)
    with moto.mock_aws():
        url, _ = create_sqs_queues("revops-webhook", max_receives=3)
        status_url = create_sqs_status_queue("revops-webhook")
        s = settings_for(demo_db, REVOPS_QUEUE__KIND="sqs", REVOPS_QUEUE__SQS_QUEUE_URL=url,
                         REVOPS_QUEUE__SQS_STATUS_QUEUE_URL=status_url, REVOPS_WEBHOOK_URL=rx.url,
                         REVOPS_WEBHOOK_SECRET=SECRET, REVOPS_WEBHOOK_ALLOW_HOSTS="127.0.0.1")
        app = create_app(s, start_workers=False)
        with TestClient(app) as client:
            listener = app.state.workers["status_listener"]
            assert isinstance(listener, StatusListener)
            r = client.post("/webhook", json={"query": "what is the status of the IXIS deal?", "source_system": "crm",
                                              "source_process": "qbr", "timestamp": "2025-08-16T10:00:00Z"})
            tid = r.json()["tracking_id"]
            elsewhere = SQSQueue(Store(tmp_path / "worker-machine.db"), url)      # no status_queue_url of its own
            stats = run_worker(s, once=True, queue=elsewhere)
            assert stats.delivered == 1 and elsewhere.store.get(tid)["status"] == "delivered"
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and client.get(f"/requests/{tid}").json()["status"] != "delivered":
                time.sleep(0.05)
            seen = client.get(f"/requests/{tid}").json()
            assert seen["status"] == "delivered" and "IXIS" in seen["answer"]["response"]
            assert seen["delivery"]["status"] == "delivered" and seen["delivery"]["attempts"] == 1
            assert [r.json["tracking_id"] for r in rx.delivered] == [tid]
            assert listener.applied >= 2                       # "processing", then "delivered"
