"""The webhook API: intake, errors, auth, schemathesis over /openapi.json, and end to end on loopback."""

from __future__ import annotations

import json
import socket
import threading
import time

import pytest

pytest.importorskip("fastapi")

from fastapi.testclient import TestClient  # noqa: E402

from fakes.webhook_receiver import WebhookReceiver  # noqa: E402
from revops_cli.connectors import webhooks as wh  # noqa: E402
from revops_cli.channels.webhook_server.api import create_app  # noqa: E402

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
GOOD = {"query": "What deals are closing this quarter?", "source_system": "crm_dashboard",
        "source_process": "quarterly_review", "timestamp": "2025-08-16T10:00:00Z"}


def settings(monkeypatch, **env):
    from revops_cli.config import load_settings

    for k, v in env.items():
        monkeypatch.setenv(k, v)
    return load_settings()


@pytest.fixture
def client(monkeypatch):
    s = settings(monkeypatch)
    s.data["webhooks"]["endpoints"] = {"crm_alerts": {"url": "https://hooks.example.com/a"}}
    with TestClient(create_app(s, start_workers=False)) as c:
        yield c


def test_accepts_with_the_reference_receipt_and_status(client):
    r = client.post("/webhook", json=GOOD)
    assert r.status_code == 202
    d = r.json()
    assert d["success"] is True and d["status"] == "queued" and d["message"] == "Request queued for processing"
    assert d["queued_at"].endswith("Z") and len(d["tracking_id"]) == 36
    s = client.get(f"/requests/{d['tracking_id']}").json()
    assert (s["status"], s["query"], s["source_system"], s["answer"]) == ("queued", GOOD["query"], "crm_dashboard", None)
    assert s["session_id"].startswith("webhook_")
    r2 = client.post("/webhook", json={**GOOD, "agent": "deal_analysis", "session_id": "s-1", "callback": "crm_alerts"})
    assert r2.status_code == 202
    assert client.get(f"/requests/{r2.json()['tracking_id']}").json()["session_id"] == "s-1"


@pytest.mark.parametrize("payload, status, code", [
    (b"{not json", 400, "invalid_json"),
    (b"\xff\xfe", 400, "invalid_json"),
    (b"[1, 2]", 422, "invalid_request"),
    (json.dumps({k: v for k, v in GOOD.items() if k != "query"}).encode(), 422, "invalid_request"),
    (json.dumps({**GOOD, "query": "   "}).encode(), 422, "invalid_request"),
    (json.dumps({**GOOD, "query": "x" * 4001}).encode(), 422, "invalid_request"),
    (json.dumps({**GOOD, "timestamp": "yesterday"}).encode(), 422, "invalid_request"),
    (json.dumps({**GOOD, "agent": "ceo"}).encode(), 422, "invalid_request"),
    (json.dumps({**GOOD, "query": 42}).encode(), 422, "invalid_request"),
    (json.dumps({**GOOD, "query": "\ud800"}).encode(), 400, "invalid_json"),     # a lone surrogate
    (json.dumps({**GOOD, "callback": "nowhere"}).encode(), 422, "unknown_callback"),
    (json.dumps({**GOOD, "query": "x" * 70_000}).encode(), 413, "payload_too_large"),
])
def test_malformed_requests_get_documented_4xx_json(client, payload, status, code):
    r = client.post("/webhook", content=payload, headers={"content-type": "application/json"})
    assert r.status_code == status, r.text
    assert r.json()["error"]["code"] == code and r.json()["error"]["message"]


def test_unknown_callback_lists_the_configured_endpoints(client):
    err = client.post("/webhook", json={**GOOD, "callback": "nowhere"}).json()["error"]
    assert "crm_alerts" in err["message"] and err["details"][0]["allowed"] == ["crm_alerts"]


def test_validation_errors_do_not_echo_input(client):
    r = client.post("/webhook", json={**GOOD, "agent": "sk-secret-value-123"})
    assert r.status_code == 422 and "sk-secret-value-123" not in r.text


def test_chunked_body_over_the_limit_is_413(client):
    def gen():
        for _ in range(100):
            yield b"x" * 1024
    r = client.post("/webhook", content=gen(), headers={"content-type": "application/json"})
    assert r.status_code == 413


def test_unknown_request_404_and_health(client):
    assert client.get("/requests/does-not-exist").json()["error"]["code"] == "not_found"
    assert client.get("/requests/" + "x" * 100).status_code == 404
    assert client.get("/healthz").json()["status"] == "ok"
    ready = client.get("/readyz").json()
    assert ready["status"] == "ready" and ready["queue"] == "sqlite"
    assert client.get("/nowhere").json()["error"]["code"] == "not_found"
    spec = client.get("/openapi.json").json()
    post = spec["paths"]["/webhook"]["post"]
    assert {"202", "400", "401", "413", "422", "503"} <= set(post["responses"])
    assert post["requestBody"]["content"]["application/json"]["schema"]["properties"]["query"]["maxLength"] == 4000


def test_api_key_auth(monkeypatch):
    s = settings(monkeypatch)
    s.data["webhooks"]["api_keys"] = ["key-one-123456", "key-two-abcdef"]
    with TestClient(create_app(s, start_workers=False)) as c:
        r = c.post("/webhook", json=GOOD)
        assert r.status_code == 401 and r.json()["error"]["code"] == "unauthorized"
        assert c.post("/webhook", json=GOOD, headers={"Authorization": "Bearer wrong"}).status_code == 401
        ok = c.post("/webhook", json=GOOD, headers={"Authorization": "Bearer key-two-abcdef"})
        assert ok.status_code == 202
        tid = ok.json()["tracking_id"]
        assert c.get(f"/requests/{tid}").status_code == 401
        assert c.get(f"/requests/{tid}", headers={"X-API-Key": "key-two-abcdef"}).status_code == 200
        assert c.get(f"/requests/{tid}", headers={"X-API-Key": "key-one-123456"}).status_code == 404   # not its own
        assert "key-one" not in c.get("/openapi.json").text
        assert c.get("/healthz").status_code == 200            # probes need no key


def test_signed_inbound_requests(monkeypatch):
    s = settings(monkeypatch)
    s.data["webhooks"]["inbound_secret"] = SECRET
    with TestClient(create_app(s, start_workers=False)) as c:
        body = json.dumps(GOOD).encode()
        assert c.post("/webhook", content=body, headers={"content-type": "application/json"}).status_code == 401
        headers = wh.signed_headers(SECRET, "msg_in_1", body)
        assert c.post("/webhook", content=body + b" ", headers=headers).status_code == 401   # tampered
        r = c.post("/webhook", content=body, headers=headers)
        assert r.status_code == 202
        old = wh.signed_headers(SECRET, "msg_in_2", body, timestamp=int(time.time()) - 3600)
        assert c.post("/webhook", content=body, headers=old).status_code == 401             # replayed late
        tid = r.json()["tracking_id"]
        assert c.get(f"/requests/{tid}").status_code == 401
        assert c.get(f"/requests/{tid}", headers=wh.signed_headers(SECRET, "msg_in_3", b"")).status_code == 200


def test_queue_failure_is_503_and_nothing_accepted(monkeypatch):
    s = settings(monkeypatch)
    app = create_app(s, start_workers=False)

    def broken(*a, **k):
        raise OSError("disk full")

    monkeypatch.setattr(app.state.queue, "submit", broken)
    with TestClient(app) as c:
        r = c.post("/webhook", json=GOOD)
        assert r.status_code == 503 and r.json()["error"]["code"] == "queue_unavailable"
    assert app.state.queue.depth() == 0


# -- schemathesis over /openapi.json ---------------------------------------------------------------------

def test_schemathesis_finds_no_5xx_and_no_undocumented_status(monkeypatch):
    schemathesis = pytest.importorskip("schemathesis")
    from hypothesis import HealthCheck, given, settings as hsettings
    from hypothesis.errors import Unsatisfiable
    from schemathesis.checks import not_a_server_error
    from schemathesis.generation import GenerationMode
    from schemathesis.specs.openapi.checks import status_code_conformance

    s = settings(monkeypatch)
    s.data["webhooks"]["endpoints"] = {"crm_alerts": {"url": "https://hooks.example.com/a"}}
    app = create_app(s, start_workers=False)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    ran = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            @given(case=operation.as_strategy(generation_mode=mode))
            @hsettings(max_examples=30, deadline=None, database=None, derandomize=True,
                       suppress_health_check=list(HealthCheck))
            def check(case):
                case.call_and_validate(checks=[not_a_server_error, status_code_conformance])

            try:
                check()
            except Unsatisfiable:
                assert mode == GenerationMode.NEGATIVE   # nothing to make invalid (no parameters, no body)
                continue
            ran += 1
    assert ran >= 5      # 4 operations positive; negative wherever there is something to make invalid


# -- end to end on loopback: uvicorn, workers, a demo warehouse, a signed receiver ----------------------

class Server:
    """uvicorn in a thread on a free loopback port; stopped on exit."""

    def __init__(self, app):
        import uvicorn

        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on"))
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True)

    def __enter__(self):
        self.thread.start()
        deadline = time.monotonic() + 15
        while not self.server.started and time.monotonic() < deadline:
            time.sleep(0.02)
        assert self.server.started, "server did not start"
        return f"http://127.0.0.1:{self.port}"

    def __exit__(self, *exc):
        self.server.should_exit = True
        self.thread.join(30)
        self.sock.close()


QUESTIONS = ["What deals are closing this quarter?", "what is the status of the IXIS deal?",
             "What is our pipeline by stage this quarter?", "Which deals are at risk this quarter?",
             "What deals are closing this quarter?"]


@pytest.mark.parametrize("demo_db", [42], indirect=True)
def test_end_to_end_on_loopback(demo_db, settings_for):
    import httpx

    from revops_cli.conversations.log import ConversationLog

    with WebhookReceiver(secret=SECRET) as rx:
        s = settings_for(demo_db, REVOPS_WEBHOOK_URL=rx.url, REVOPS_WEBHOOK_SECRET=SECRET,
                         REVOPS_WEBHOOK_ALLOW_HOSTS="127.0.0.1")
        rx.fail_next(1, 503)                          # the first attempt fails; the retry gets through
        s.data["webhooks"]["backoff_s"] = [0.05, 0.1]
        with Server(create_app(s, start_workers=True, workers=2)) as base, httpx.Client(base_url=base, timeout=10,
                                                                                          trust_env=False) as c:
            ids = []
            for q in QUESTIONS:
                r = c.post("/webhook", json={**GOOD, "query": q, "source_process": "e2e"})
                assert r.status_code == 202
                ids.append(r.json()["tracking_id"])
            assert rx.wait_for(len(ids) + 1, timeout=40), f"got {len(rx.requests)}"
            deadline = time.monotonic() + 20
            statuses = {}
            while time.monotonic() < deadline:
                statuses = {t: c.get(f"/requests/{t}").json() for t in ids}
                if all(v["status"] == "delivered" for v in statuses.values()):
                    break
                time.sleep(0.05)
            assert {v["status"] for v in statuses.values()} == {"delivered"}
            assert c.get("/readyz").json()["workers"] == 2
        delivered = [r for r in rx.delivered]
        assert sorted(r.json["tracking_id"] for r in delivered) == sorted(ids)
        assert all(r.verified for r in rx.requests)
        by_id = {r.json["tracking_id"]: r.json for r in delivered}
        ixis = by_id[ids[1]]
        assert ixis["original_query"] == QUESTIONS[1] and "IXIS" in ixis["ai_response"]["response"]
        assert "**" not in ixis["ai_response"]["response_plain"]
        assert ixis["source_system"] == "crm_dashboard" and ixis["webhook_metadata"]["webhook_url"] == rx.url
        st = statuses[ids[1]]
        assert st["answer"]["response"] == ixis["ai_response"]["response"] and st["delivery"]["status"] == "delivered"
    log = ConversationLog.from_settings(s)
    rows = log.list(channel="webhook", limit=50)
    assert len(rows) == len(QUESTIONS)
    full = [log.get(r["conversation_id"]) for r in rows]
    assert {f["source_system"] for f in full} == {"crm_dashboard"}
    assert {f["source_process"] for f in full} == {"e2e"}
    assert sorted(f["request_id"] for f in full) == sorted(ids)


def test_concurrent_posts_are_all_stored(monkeypatch):
    """Many requests in flight at once: each 202 names a row that is really in the queue."""
    import asyncio

    import httpx

    s = settings(monkeypatch)
    app = create_app(s, start_workers=False)

    async def burst():
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://revops") as c:
            return await asyncio.gather(*[c.post("/webhook", json=GOOD) for _ in range(40)])

    async def main():
        async with app.router.lifespan_context(app):
            return await burst()

    replies = asyncio.run(main())
    assert all(r.status_code == 202 for r in replies)
    ids = {r.json()["tracking_id"] for r in replies}
    assert len(ids) == 40
    assert all(app.state.queue.store.get(t) is not None for t in ids)
