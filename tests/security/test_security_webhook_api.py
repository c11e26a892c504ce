"""Issue 14, finding 2 (and the webhook parts of 6): the webhook API from an attacker's side.

Before: no authentication by default while the docs showed `--host 0.0.0.0`; one API key could read
another key's requests; a signed inbound request could be replayed (three sends, three jobs); text/plain
and form bodies were accepted (a browser form could enqueue requests); `POST /webhook/` answered 307 and
a malformed Content-Length got a plain-text 400.

The server here is the real uvicorn, configured exactly as `revops serve-webhook` configures it, on
127.0.0.1; inbound signatures are made with the reference `standardwebhooks` library.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import sqlite3
import stat
import subprocess
import sys
import threading
import time
from datetime import datetime, timezone

import pytest

pytest.importorskip("fastapi")
standardwebhooks = pytest.importorskip("standardwebhooks")

import httpx  # noqa: E402

from cli import REVOPS, run, run_process  # noqa: E402
from revops_cli.channels.webhook_server.api import create_app  # noqa: E402
from revops_cli.channels.webhook_server.auth import KeyStore, bind_decision  # noqa: E402
from revops_cli.channels.webhook_server.queue import queue_path  # noqa: E402
from revops_cli.channels.webhook_server.server import uvicorn_config  # noqa: E402

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
GOOD = {"query": "What deals are closing this quarter?", "source_system": "crm_dashboard",
        "source_process": "quarterly_review", "timestamp": "2025-08-16T10:00:00Z"}


def load(monkeypatch, **env):
    from revops_cli.config import load_settings

    for k, v in env.items():
        monkeypatch.setenv(k, v)
    return load_settings()


class Served:
    """The API under real uvicorn (serve-webhook's config) on a free 127.0.0.1 port; no workers."""

    def __init__(self, settings, **app_kw):
        import uvicorn

        self.app = create_app(settings, start_workers=False, **app_kw)
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.server = uvicorn.Server(uvicorn_config(self.app, port=self.port, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True)

    def __enter__(self) -> httpx.Client:
        self.thread.start()
        deadline = time.monotonic() + 15
        while not self.server.started and time.monotonic() < deadline:
            time.sleep(0.02)
        assert self.server.started, "server did not start"
        self.client = httpx.Client(base_url=f"http://127.0.0.1:{self.port}", timeout=10, trust_env=False)
        return self.client

    def __exit__(self, *exc):
        self.client.close()
        self.server.should_exit = True
        self.thread.join(30)
        self.sock.close()

    def raw(self, data: bytes) -> tuple[int, dict[str, str], bytes]:
        """Send bytes as they are (no client library fixing them up); the status, headers and body back."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=10) as s:
            s.sendall(data)
            chunks = []
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                chunks.append(chunk)
        head, _, body = b"".join(chunks).partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        headers = {k.strip().lower(): v.strip() for k, _, v in (ln.partition(":") for ln in lines[1:])}
        return int(lines[0].split()[1]), headers, body


def jobs(settings) -> int:
    with sqlite3.connect(queue_path(settings)) as conn:
        return conn.execute("SELECT count(*) FROM requests").fetchone()[0]


def assert_json_error(r: httpx.Response, status: int, code: str) -> None:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/json")
    err = r.json()["error"]
    assert err["code"] == code and err["message"]


def signed(msg_id: str, body: bytes, when: datetime | None = None) -> dict[str, str]:
    wh = standardwebhooks.Webhook(SECRET)
    when = when or datetime.now(timezone.utc)
    return {"webhook-id": msg_id, "webhook-timestamp": str(int(when.timestamp())),
            "webhook-signature": wh.sign(msg_id, when, body.decode()), "content-type": "application/json"}


# -- API keys: no key, another caller's key, revoked keys ---------------------------------------------------

def test_without_a_key_nothing_is_queued_or_read(monkeypatch, capsys):
    s = load(monkeypatch)
    key_a = run(capsys, "webhook", "keys", "add", "crm-a").out.strip()
    with Served(s) as c:
        tid = c.post("/webhook", json=GOOD, headers={"Authorization": f"Bearer {key_a}"}).json()["tracking_id"]
        assert_json_error(c.post("/webhook", json=GOOD), 401, "unauthorized")
        assert_json_error(c.post("/webhook", json=GOOD, headers={"X-API-Key": key_a + "x"}), 401, "unauthorized")
        assert_json_error(c.get(f"/requests/{tid}"), 401, "unauthorized")
        assert_json_error(c.get("/requests"), 401, "unauthorized")
    assert jobs(s) == 1


def test_key_b_cannot_read_or_list_key_a_requests(monkeypatch, capsys):
    s = load(monkeypatch)
    key_a = run(capsys, "webhook", "keys", "add", "crm-a").out.strip()
    key_b = run(capsys, "webhook", "keys", "add", "crm-b").out.strip()
    a, b = {"X-API-Key": key_a}, {"Authorization": f"Bearer {key_b}"}
    with Served(s) as c:
        secret_q = {**GOOD, "query": "What is the IXIS deal's discount floor?"}
        tid = c.post("/webhook", json=secret_q, headers=a).json()["tracking_id"]
        mine = c.get(f"/requests/{tid}", headers=a)
        assert mine.status_code == 200 and mine.json()["query"] == secret_q["query"]
        theirs = c.get(f"/requests/{tid}", headers=b)
        unknown = c.get("/requests/00000000-0000-4000-8000-000000000000", headers=b)
        assert_json_error(theirs, 404, "not_found")
        assert theirs.json() == unknown.json()                 # indistinguishable from an id that does not exist
        assert "IXIS" not in theirs.text
        assert c.get("/requests", headers=b).json() == {"requests": []}
        assert [r["tracking_id"] for r in c.get("/requests", headers=a).json()["requests"]] == [tid]


def test_a_revoked_key_stops_working_on_a_running_server(monkeypatch, capsys):
    s = load(monkeypatch)
    key = run(capsys, "webhook", "keys", "add", "crm-a").out.strip()
    run(capsys, "webhook", "keys", "add", "other")
    with Served(s) as c:
        assert c.post("/webhook", json=GOOD, headers={"X-API-Key": key}).status_code == 202
        assert run(capsys, "webhook", "keys", "revoke", "crm-a").code == 0
        assert_json_error(c.post("/webhook", json=GOOD, headers={"X-API-Key": key}), 401, "unauthorized")
    assert run(capsys, "webhook", "keys", "revoke", "crm-a").code == 2          # unknown name now


def test_keys_are_stored_hashed_and_private(monkeypatch, capsys, revops_home):
    s = load(monkeypatch)
    made = run(capsys, "webhook", "keys", "add", "crm-a")
    key = made.out.strip()
    assert made.code == 0 and key.startswith("rvk_") and len(key) > 40 and "shown only now" in made.err
    listed = run(capsys, "webhook", "keys", "list", "-f", "json")
    assert listed.json() == [{"name": "crm-a", "prefix": key[:8], "created_at": listed.json()[0]["created_at"]}]
    assert key not in listed.out
    with Served(s) as c:                           # use it, so the queue file is written too
        assert c.post("/webhook", json=GOOD, headers={"X-API-Key": key}).status_code == 202
    files = [p for p in revops_home.rglob("*") if p.is_file()]
    assert any(p.name == "webhook-api-keys.json" for p in files) and any(p.suffix == ".db" for p in files)
    for p in files:
        assert key.encode() not in p.read_bytes(), p
        assert key[8:].encode() not in p.read_bytes(), p
    keys_file = revops_home / "webhook-api-keys.json"
    assert stat.S_IMODE(keys_file.stat().st_mode) == 0o600
    assert run(capsys, "webhook", "keys", "add", "crm-a").code == 2             # names are unique


# -- inbound signatures: replays ------------------------------------------------------------------------------

def test_a_replayed_signed_request_creates_no_second_job(monkeypatch):
    s = load(monkeypatch, REVOPS_WEBHOOKS__INBOUND_SECRET=SECRET)
    body = json.dumps(GOOD).encode()
    headers = signed("msg_attack_1", body)
    with Served(s) as c:
        first = c.post("/webhook", content=body, headers=headers)
        assert first.status_code == 202
        for _ in range(2):
            again = c.post("/webhook", content=body, headers=headers)
            assert_json_error(again, 409, "replayed")
            assert again.json()["error"]["details"][0]["tracking_id"] == first.json()["tracking_id"]
        assert jobs(s) == 1
    with Served(s) as c:                           # a restart does not reopen the window
        assert_json_error(c.post("/webhook", content=body, headers=headers), 409, "replayed")
        fresh = c.post("/webhook", content=body, headers=signed("msg_attack_2", body))
        assert fresh.status_code == 202             # a new message from the sender still goes through
        get_headers = signed("msg_read_1", b"")
        assert c.get(f"/requests/{fresh.json()['tracking_id']}", headers=get_headers).status_code == 200
        assert_json_error(c.get(f"/requests/{first.json()['tracking_id']}", headers=get_headers), 409, "replayed")
    assert jobs(s) == 2


def test_unsigned_stale_or_tampered_inbound_requests_are_401(monkeypatch):
    s = load(monkeypatch, REVOPS_WEBHOOKS__INBOUND_SECRET=SECRET)
    body = json.dumps(GOOD).encode()
    stale = datetime.fromtimestamp(time.time() - 600, timezone.utc)
    with Served(s) as c:
        assert_json_error(c.post("/webhook", content=body, headers={"content-type": "application/json"}),
                          401, "unauthorized")
        assert_json_error(c.post("/webhook", content=body, headers=signed("m1", body, stale)), 401, "unauthorized")
        assert_json_error(c.post("/webhook", content=body.replace(b"quarter", b"decade"), headers=signed("m2", body)),
                          401, "unauthorized")
    assert jobs(s) == 0


# -- content types: a browser form cannot enqueue -----------------------------------------------------------

@pytest.mark.parametrize("content_type, payload", [
    ("text/plain", json.dumps(GOOD)),
    ("application/x-www-form-urlencoded", "query=What+deals&source_system=x&source_process=y&timestamp=2025-08-16"),
    ("multipart/form-data; boundary=xyz", "--xyz\r\nContent-Disposition: form-data; name=query\r\n\r\nhi\r\n--xyz--"),
    (None, json.dumps(GOOD)),
    ("application/json; charset=latin-1", json.dumps(GOOD)),
])
def test_only_json_bodies_are_accepted(monkeypatch, content_type, payload):
    s = load(monkeypatch)                          # loopback without keys: exactly what a browser could reach
    headers = {"content-type": content_type} if content_type else {}
    with Served(s) as c:
        r = c.post("/webhook", content=payload.encode(), headers=headers)
        assert_json_error(r, 415, "unsupported_media_type")
        ok = c.post("/webhook", content=json.dumps(GOOD).encode(),
                    headers={"content-type": "Application/JSON; charset=UTF-8"})
        assert ok.status_code == 202
    assert jobs(s) == 1


# -- one JSON error shape, at every layer ----------------------------------------------------------------------

def test_trailing_slashes_and_wrong_methods_answer_json_not_redirects(monkeypatch):
    s = load(monkeypatch)
    with Served(s) as c:
        tid = c.post("/webhook", json=GOOD).json()["tracking_id"]
        r = c.post("/webhook/", json=GOOD)
        assert_json_error(r, 404, "not_found")
        assert "location" not in r.headers and "/webhook" in r.json()["error"]["message"]
        assert_json_error(c.get(f"/requests/{tid}/"), 404, "not_found")
        assert_json_error(c.get("/requests/"), 404, "not_found")
        assert_json_error(c.get("/webhook"), 405, "method_not_allowed")
        assert_json_error(c.delete(f"/requests/{tid}"), 405, "method_not_allowed")
        assert_json_error(c.get("/nowhere"), 404, "not_found")
    assert jobs(s) == 1


@pytest.mark.parametrize("head", [
    b"Content-Length: abc\r\n",
    b"Content-Length: -5\r\n",
    b"Content-Length: 5\r\nContent-Length: 7\r\n",
    b"Content-Length: 99999999999999999999999\r\n",
])
def test_a_malformed_content_length_gets_the_json_error_shape(monkeypatch, head):
    s = load(monkeypatch)
    body = json.dumps(GOOD).encode()
    served = Served(s)
    with served:
        request = b"POST /webhook HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n" + head + \
            b"Connection: close\r\n\r\n" + body
        status, headers, reply = served.raw(request)
    assert 400 <= status < 500
    assert headers["content-type"].startswith("application/json")
    assert json.loads(reply)["error"]["code"] in ("bad_request", "payload_too_large")
    assert jobs(s) == 0


# -- where the server may listen ------------------------------------------------------------------------------

@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "::1", "[::1]", "localhost"])
def test_loopback_needs_no_authentication(host):
    d = bind_decision(host, auth_configured=False, insecure=False)
    assert d.allowed and d.allow_anonymous and d.warning is None


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.20", "10.0.0.5", "revops.internal", "::ffff:10.0.0.1"])
def test_beyond_loopback_needs_authentication_or_insecure(host):
    refused = bind_decision(host, auth_configured=False, insecure=False)
    assert not refused.allowed and refused.error.exit_code == 3
    assert "revops webhook keys add" in refused.error.one_line() and "--insecure" in refused.error.one_line()
    with_auth = bind_decision(host, auth_configured=True, insecure=False)
    assert with_auth.allowed and not with_auth.allow_anonymous and with_auth.warning is None
    insecure = bind_decision(host, auth_configured=False, insecure=True)
    assert insecure.allowed and insecure.allow_anonymous and "no authentication" in insecure.warning


def test_serve_webhook_refuses_0_0_0_0_without_auth_exit_3():
    res = run_process("serve-webhook", "--host", "0.0.0.0", "--port", "1", timeout=60)   # refused before binding
    assert res.code == 3, res
    lines = [ln for ln in res.err.splitlines() if ln.strip()]
    assert len(lines) == 1 and "refusing to listen on 0.0.0.0" in lines[0] and "keys add" in lines[0]
    assert "Traceback" not in res.err


def test_insecure_start_warns_and_serves_anonymously(monkeypatch, capsys, caplog):
    import uvicorn

    started = {}

    def fake_run(self, sockets=None):          # do not really bind 0.0.0.0 in a test
        started["config"] = self.config

    monkeypatch.setattr(uvicorn.Server, "run", fake_run)
    with caplog.at_level(logging.WARNING, logger="revops.webhook_api"):
        res = run(capsys, "serve-webhook", "--host", "0.0.0.0", "--insecure", "--no-workers")
    assert res.code == 0, res
    assert started["config"].host == "0.0.0.0"
    assert any("--insecure" in r.getMessage() and "no authentication" in r.getMessage() for r in caplog.records)


def test_a_server_beyond_loopback_never_falls_back_to_anonymous(monkeypatch, capsys):
    """Keys existed at start (so the bind was allowed); revoking the last one must not open the server."""
    s = load(monkeypatch)
    run(capsys, "webhook", "keys", "add", "only")
    with Served(s, allow_anonymous=False) as c:
        run(capsys, "webhook", "keys", "revoke", "only")
        assert_json_error(c.post("/webhook", json=GOOD), 401, "unauthorized")
    assert jobs(s) == 0


def test_real_start_on_another_loopback_address(tmp_path, revops_home):
    """`serve-webhook --host 127.0.0.2` (loopback) starts without authentication and without a warning."""
    probe = socket.socket()
    try:
        probe.bind(("127.0.0.2", 0))
    except OSError:
        pytest.skip("127.0.0.2 is not bindable here")
    port = probe.getsockname()[1]
    probe.close()
    proc = subprocess.Popen([REVOPS, "serve-webhook", "--host", "127.0.0.2", "--port", str(port), "--no-workers"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                            env={**os.environ}, text=True)
    try:
        deadline = time.monotonic() + 60
        up = False
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                up = httpx.get(f"http://127.0.0.2:{port}/healthz", timeout=2, trust_env=False).status_code == 200
            except httpx.HTTPError:
                up = False
            if up:
                break
            time.sleep(0.1)
        assert up, proc.stderr.read() if proc.poll() is not None else "did not answer"
        r = httpx.post(f"http://127.0.0.2:{port}/webhook", json=GOOD, timeout=5, trust_env=False)
        assert r.status_code == 202
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=60)
    assert "--insecure" not in err and "WARNING" not in err


def test_a_damaged_keys_file_stops_the_start_but_not_a_running_server(monkeypatch, capsys, revops_home):
    s = load(monkeypatch)
    key = run(capsys, "webhook", "keys", "add", "crm-a").out.strip()
    keys_file = revops_home / "webhook-api-keys.json"
    with Served(s) as c:
        keys_file.write_text("{not json")          # damaged while serving: the keys read before still hold
        assert c.post("/webhook", json=GOOD, headers={"X-API-Key": key}).status_code == 202
        assert_json_error(c.post("/webhook", json=GOOD), 401, "unauthorized")
    res = run(capsys, "serve-webhook", "--no-workers")
    assert res.code == 3 and "webhook-api-keys.json" in res.err and "Traceback" not in res.err


def test_a_client_that_hangs_up_mid_body_queues_nothing_and_logs_no_error(monkeypatch, caplog):
    s = load(monkeypatch)
    body = json.dumps(GOOD).encode()
    served = Served(s)
    with served, caplog.at_level("INFO"):
        head = (b"POST /webhook HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                b"Content-Length: " + str(len(body) + 100).encode() + b"\r\n\r\n")
        with socket.create_connection(("127.0.0.1", served.port), timeout=10) as sock:
            sock.sendall(head + body[:10])          # then hang up with most of the promised body unsent
        deadline = time.monotonic() + 10
        while not any("closed the connection" in r.getMessage() for r in caplog.records) \
                and time.monotonic() < deadline:
            time.sleep(0.05)
        assert served.client.get("/healthz").status_code == 200          # the server is still there
    assert any("closed the connection" in r.getMessage() for r in caplog.records)
    assert not [r for r in caplog.records if r.levelname in ("ERROR", "CRITICAL")]
    assert jobs(s) == 0
