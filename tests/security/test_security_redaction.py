"""Planted secrets never leave (issue 14, finding 3), read back from every sink as an attacker would.

One secret of every kind (generated here, in realistic formats: card numbers pass Luhn, JWTs are signed,
AWS keys have the right alphabet and length) is planted in questions. Then every place revops writes or
sends is read back: the conversation log (`revops conversations show --format json`), the export files, the
conversation and queue SQLite files with their -wal/-shm, `GET /requests/{id}`, the SQS message body, the
outbound webhook payload, the Slack posts and the `/revops` repost, `revops config show`, and log output
(httpx's request line, a traceback, uvicorn's access line from a real `revops serve-webhook`). None may
hold a secret value. A question with an order number, an amount and a date must come through unchanged.
Files are 0600 in 0700 folders.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import os
import random
import socket
import stat
import string
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cli import REVOPS, run
from revops_cli.redaction import install_log_redaction, luhn_ok, redact

RNG = random.Random(20261130)
ALNUM = string.ascii_letters + string.digits


def _pick(alphabet: str, n: int) -> str:
    return "".join(RNG.choice(alphabet) for _ in range(n))


def _card(prefix: str, length: int) -> str:
    """A card number with a valid Luhn check digit."""
    body = prefix + "".join(RNG.choice(string.digits) for _ in range(length - len(prefix) - 1))
    for d in string.digits:
        if luhn_ok(body + d):
            return body + d
    raise AssertionError


def _not_luhn(prefix: str, length: int) -> str:
    n = _card(prefix, length)
    return n[:-1] + str((int(n[-1]) + 1) % 10)


def _aws_secret() -> str:
    while True:
        v = _pick(ALNUM + "/+", 40)
        if any(c.isupper() for c in v) and any(c.islower() for c in v) and any(c.isdigit() for c in v):
            return v


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _jwt() -> str:
    head = _b64url(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    body = _b64url(json.dumps({"sub": "sarah.johnson", "iat": 1764460800, "scope": "crm:write"}).encode())
    sig = _b64url(hmac.new(b"k" * 32, f"{head}.{body}".encode(), hashlib.sha256).digest())
    return f"{head}.{body}.{sig}"


VISA = _card("4", 16)
MASTERCARD = _card("51", 16)
AMEX = _card("37", 15)
PEM_BODY = "\n".join(base64.b64encode(RNG.randbytes(48)).decode() for _ in range(4))
PW = "Tr0ub4dor" + _pick(string.digits, 3)

# kind -> (the sentence planted in a question, the values that must never be seen again)
PLANTED: dict[str, tuple[str, list[str]]] = {}


def _plant(kind: str, sentence: str, *secrets: str) -> None:
    PLANTED[kind] = (sentence, list(secrets))


_k = "AKIA" + _pick(string.ascii_uppercase + string.digits, 16)
_plant("aws_access_key", f"our key id is {_k}", _k)
_s = _aws_secret()
_plant("aws_secret_prose", f"the aws secret is {_s} if you need it", _s)
_s2 = _aws_secret()
_plant("aws_secret_access_key", f"secret access key = {_s2}", _s2)
_g = "ghp_" + _pick(ALNUM, 36)
_plant("github_ghp", f"use {_g} for the repo", _g)
_gp = "github_pat_" + _pick(ALNUM, 22) + "_" + _pick(ALNUM, 59)
_plant("github_pat", f"fine-grained token {_gp}", _gp)
_x = f"xoxb-{_pick(string.digits, 12)}-{_pick(string.digits, 13)}-{_pick(ALNUM, 24)}"
_plant("slack_bot_token", f"the bot token {_x} works", _x)
_xa = f"xapp-1-A{_pick(string.ascii_uppercase + string.digits, 10)}-{_pick(string.digits, 13)}-{_pick('abcdef0123456789', 64)}"
_plant("slack_app_token", f"app token {_xa}", _xa)
_hook = f"T{_pick(string.ascii_uppercase + string.digits, 8)}/B{_pick(string.ascii_uppercase + string.digits, 8)}/{_pick(ALNUM, 24)}"
_plant("slack_webhook_url", f"post to https://hooks.slack.com/services/{_hook}", _hook, _hook.split("/")[-1])
_sk = "sk_live_" + _pick(ALNUM, 24)
_plant("stripe_secret", f"stripe {_sk}", _sk)
_rk = "rk_live_" + _pick(ALNUM, 24)
_plant("stripe_restricted", f"restricted key {_rk}", _rk)
_j = _jwt()
_plant("jwt", f"session {_j}", _j, _j.split(".")[2])
_plant("private_key", f"-----BEGIN RSA PRIVATE KEY-----\n{PEM_BODY}\n-----END RSA PRIVATE KEY-----",
       *PEM_BODY.splitlines())
_dbpw = "Pg" + _pick(ALNUM, 14)
_plant("url_password", f"the dsn is postgres://revops:{_dbpw}@db.internal:5432/crm", _dbpw)
_tok = _pick(ALNUM, 32)
_plant("url_token", f"see https://files.example.com/q4.csv?token={_tok}&v=2", _tok)
_sig = _pick("0123456789abcdef", 64)
_plant("presigned_url", "https://bucket.s3.amazonaws.com/r.csv?X-Amz-Algorithm=AWS4-HMAC-SHA256"
       f"&X-Amz-Signature={_sig}", _sig)
_plant("password_phrase", f"my password is {PW}", PW)
_pwd = "Zq" + _pick(ALNUM, 10) + "7"
_plant("pwd_colon", f"pwd: {_pwd}", _pwd)
_api = "srch_" + _pick(ALNUM, 20) + "9"
_plant("api_key_phrase", f"the api key is {_api}", _api)
_plant("card_visa_spaces", "charge card " + " ".join(VISA[i:i + 4] for i in range(0, 16, 4)), VISA,
       " ".join(VISA[i:i + 4] for i in range(0, 16, 4)))
_plant("card_mastercard_dashes", "card " + "-".join(MASTERCARD[i:i + 4] for i in range(0, 16, 4)), MASTERCARD,
       "-".join(MASTERCARD[i:i + 4] for i in range(0, 16, 4)))
_plant("card_amex_plain", f"amex {AMEX} exp 09/29", AMEX)
_b = _pick(ALNUM, 40)
_plant("bearer", f"Authorization: Bearer {_b}", _b)

ALL_SECRETS = sorted({s for _, secrets in PLANTED.values() for s in secrets}, key=len, reverse=True)

# Ordinary questions whose numbers must come through untouched (order numbers fail Luhn on purpose).
ORDER = _not_luhn("4", 16)
ORDINARY = [
    f"what is the status of order {ORDER} for $12,500.00 booked on 2026-11-24?",
    "what is the status of the IXIS deal? invoice INV-2026-000123, PO 4500012345, phone +1 415-555-0134",
    "analyze Q4 revenue: $1,250,000.50 closed between 2026-10-01 and 2026-12-31, 37 deals, 12.5% churn",
]


def question(kind: str) -> str:
    return f"what is the status of the IXIS deal? {PLANTED[kind][0]}"


def assert_clean(blob: bytes | str, where: str) -> None:
    text = blob.decode("utf-8", "replace") if isinstance(blob, bytes) else blob
    found = [s for s in ALL_SECRETS if s in text]
    assert not found, f"{where} holds {len(found)} planted secret(s), e.g. {found[0][:12]}…"


def mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def assert_private(*files: Path) -> None:
    for f in files:
        if f.exists():
            assert mode(f) == 0o600, f"{f} is {oct(mode(f))}"
            assert mode(f.parent) == 0o700, f"{f.parent} is {oct(mode(f.parent))}"


def sqlite_bytes(path: Path) -> bytes:
    return b"".join(p.read_bytes() for p in (path, Path(f"{path}-wal"), Path(f"{path}-shm")) if p.exists())


# ------------------------------------------------------------------------------------------- the table
@pytest.mark.parametrize("kind", sorted(PLANTED))
def test_every_kind_is_redacted(kind):
    sentence, secrets = PLANTED[kind]
    out, counts = redact(question(kind))
    assert counts and "[REDACTED:" in out
    assert_clean(out, kind)


@pytest.mark.parametrize("text", ORDINARY)
def test_ordinary_questions_are_not_altered(text):
    assert not luhn_ok(ORDER)
    assert redact(text) == (text, {})


# --------------------------------------------------------------------- conversation log and exports
@pytest.mark.parametrize("demo_db", [42], indirect=True)
def test_conversation_log_and_exports_hold_no_secret(demo_db, revops_home, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("REVOPS_DUCKDB_PATH", str(demo_db))
    for kind in PLANTED:
        assert run(capsys, "ask", question(kind), "-f", "json").code == 0
    for text in ORDINARY:              # answered, "no deal matches" (exit 2) or not understood (exit 9): all logged
        r = run(capsys, "ask", text, "-f", "json")
        assert r.code in (0, 2, 9) and r.json()["request_id"]
    listing = run(capsys, "conversations", "list", "-n", "100", "--format", "json")
    assert listing.code == 0
    shown = []
    rows = listing.json()
    assert len(rows) == len(PLANTED) + len(ORDINARY)
    for row in rows:
        r = run(capsys, "conversations", "show", row["conversation_id"], "--format", "json")
        assert r.code == 0
        shown.append(r.json())
        assert_clean(r.out, f"conversations show {row['conversation_id']}")
    queries = [c["query"] for c in shown]
    for text in ORDINARY:                                         # no false positive damaged a question
        assert text in queries
    assert sum("[REDACTED:" in q for q in queries) == len(PLANTED)

    out = tmp_path / "exports" / "new"
    assert run(capsys, "export-conversations", "--to", str(out)).code == 0
    files = [p for p in out.rglob("*") if p.is_file()]
    assert len(files) == 2 * (len(PLANTED) + len(ORDINARY))
    for f in files:
        assert_clean(f.read_bytes(), str(f))
        assert mode(f) == 0o600
    for d in [out, *(p for p in out.rglob("*") if p.is_dir())]:
        assert mode(d) == 0o700, d

    db = revops_home / "conversations.db"
    assert_clean(sqlite_bytes(db), "conversations.db (+wal, shm)")
    assert_private(db, Path(f"{db}-wal"), Path(f"{db}-shm"), revops_home / "cache.duckdb")
    assert mode(revops_home) == 0o700


# ------------------------------------------------------------------------------------------ webhook API
pytest.importorskip("fastapi")
WH_SECRET = "whsec_" + base64.b64encode(RNG.randbytes(24)).decode()


def _webhook_settings(settings_for, demo_db, rx, **env):
    return settings_for(demo_db, REVOPS_WEBHOOK_URL=rx.url, REVOPS_WEBHOOK_SECRET=WH_SECRET,
                        REVOPS_WEBHOOK_ALLOW_HOSTS="127.0.0.1", **env)


def _post_all(client) -> dict[str, str]:
    ids = {}
    for kind in PLANTED:
        r = client.post("/webhook", json={"query": question(kind), "source_system": "crm_dashboard",
                                          "source_process": "qbr", "timestamp": "2026-11-24T10:00:00Z"})
        assert r.status_code == 202, r.text
        assert_clean(r.text, "the 202 receipt")
        ids[kind] = r.json()["tracking_id"]
    r = client.post("/webhook", json={"query": ORDINARY[0], "source_system": "crm_dashboard",
                                      "source_process": "qbr", "timestamp": "2026-11-24T10:00:00Z"})
    ids["ordinary"] = r.json()["tracking_id"]
    return ids


@pytest.mark.parametrize("demo_db", [42], indirect=True)
def test_webhook_queue_status_and_outbound_payload_hold_no_secret(demo_db, settings_for, revops_home):
    from fastapi.testclient import TestClient

    from fakes.webhook_receiver import WebhookReceiver
    from revops_cli.channels.webhook_server.api import create_app
    from revops_cli.channels.webhook_server.worker import run_worker

    with WebhookReceiver(secret=WH_SECRET) as rx:
        s = _webhook_settings(settings_for, demo_db, rx)
        app = create_app(s, start_workers=False)
        with TestClient(app) as client:
            ids = _post_all(client)
            for tid in ids.values():                          # while queued
                assert_clean(client.get(f"/requests/{tid}").text, "GET /requests/{id} (queued)")
            stats = run_worker(s, once=True, queue=app.state.queue)
            assert stats.delivered == len(ids)
            for kind, tid in ids.items():                     # answered and delivered
                r = client.get(f"/requests/{tid}")
                assert r.status_code == 200 and r.json()["status"] == "delivered"
                assert_clean(r.text, f"GET /requests/{tid}")
                if kind == "ordinary":
                    assert r.json()["query"] == ORDINARY[0]
                else:
                    assert "[REDACTED:" in r.json()["query"]
        assert len(rx.delivered) == len(ids)
        for req in rx.requests:
            assert req.verified
            assert_clean(req.body, "the outbound webhook payload")
        assert any(req.json["original_query"] == ORDINARY[0] for req in rx.requests)
    app.state.queue.store.close()
    q = revops_home / "webhook-queue.db"
    assert_clean(sqlite_bytes(q), "the queue file (+wal, shm)")
    assert_private(q, Path(f"{q}-wal"), Path(f"{q}-shm"))


@pytest.mark.parametrize("demo_db", [42], indirect=True)
def test_sqs_message_bodies_hold_no_secret(demo_db, settings_for, monkeypatch):
    moto = pytest.importorskip("moto")
    from revops_cli.channels.webhook_server.queue import SQSQueue, Store, create_sqs_queues, sqs_client

    for k, v in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_SESSION_TOKEN": "testing",
                 "AWS_DEFAULT_REGION": "us-east-1"}.items():
        monkeypatch.setenv(k, v)
    with moto.mock_aws():
        url, _ = create_sqs_queues("revops-redact")
        store = Store(Path(os.environ["REVOPS_HOME"]) / "webhook-queue.db")
        q = SQSQueue(store, url)
        for i, kind in enumerate(PLANTED):                    # a caller that skips the API: the queue redacts too
            q.submit(f"t-{i}", {"query": question(kind), "source_system": "crm", "source_process": "qbr"}, "x")
        client = sqs_client(url)
        bodies = []
        while True:
            msgs = client.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=60).get("Messages", [])
            if not msgs:
                break
            bodies += [m["Body"] for m in msgs]
        assert len(bodies) == len(PLANTED)
        for b in bodies:
            assert_clean(b, "an SQS message body")
        store.close()


# ------------------------------------------------------------------------------------------------ Slack
def _slack_command(http, signing: str, fields: dict[str, str]):
    from urllib.parse import urlencode

    from slack_sdk.signature import SignatureVerifier

    body = urlencode(fields)
    ts = str(int(time.time()))
    sig = SignatureVerifier(signing).generate_signature(timestamp=ts, body=body)
    return http.post("/slack/events", content=body, headers={
        "Content-Type": "application/x-www-form-urlencoded", "X-Slack-Request-Timestamp": ts, "X-Slack-Signature": sig})


@pytest.mark.parametrize("demo_db", [42], indirect=True)
def test_slack_dry_runs_keep_no_secret_in_either_store(demo_db, settings_for, revops_home):
    """An action asked in Slack is a dry run with Confirm buttons: slack.db (where the buttons are) and
    actions.db (the stored actions) are both written, and neither may hold the secret in the question."""
    from fastapi.testclient import TestClient

    from fakes.slack_api import SlackAPIFake
    from revops_cli.channels.slack.serve import create_http_app

    token = "xoxb-" + _pick(string.digits, 12) + "-" + _pick(ALNUM, 24)
    signing = _pick("0123456789abcdef", 32)
    fake = SlackAPIFake(token=token, bot_user_id="UBOT0001").start()
    kinds = ["github_pat", "password_phrase"]
    try:
        s = settings_for(demo_db, REVOPS_SLACK_BOT_TOKEN=token, REVOPS_SLACK_SIGNING_SECRET=signing,
                         REVOPS_SLACK__API_URL=fake.base_url, REVOPS_SLACK__WORKER_MODE="thread")
        with TestClient(create_http_app(s)) as http:
            for i, kind in enumerate(kinds):
                r = _slack_command(http, signing, {
                    "command": "/revops", "text": f"notify the owner of the IXIS deal: \"{PLANTED[kind][0]}\"",
                    "user_id": "U0SARAH01", "user_name": "sarah", "channel_id": "C0DEALDESK",
                    "channel_name": "deal-desk", "team_id": "T0001", "response_url": "http://127.0.0.1:9/none",
                    "trigger_id": f"1.3.{i}"})
                assert r.status_code == 200
            assert fake.wait_for_calls("chat.update", len(kinds), 120)
        buttons = [c for c in fake.calls_to("chat.update") if "revops_confirm" in json.dumps(c.args)]
        assert len(buttons) == len(kinds)          # each answer was a dry run waiting for Confirm
    finally:
        fake.stop()
    for name in ("slack.db", "actions.db"):
        for f in (revops_home / name, Path(f"{revops_home / name}-wal")):
            if f.exists():
                assert_clean(f.read_bytes(), str(f.name))
        assert (revops_home / name).exists()


@pytest.mark.parametrize("demo_db", [42], indirect=True)
@pytest.mark.parametrize("member", [True, False], ids=["repost-in-channel", "response-url"])
def test_slack_posts_and_the_revops_repost_hold_no_secret(demo_db, settings_for, revops_home, member):
    """/revops reposts the question in the channel (chat.postMessage, then chat.update with the answer); where
    the bot is not a member it answers through the response_url instead. Neither may carry a secret."""
    from fastapi.testclient import TestClient

    from fakes.slack_api import SlackAPIFake
    from fakes.webhook_receiver import WebhookReceiver
    from revops_cli.channels.slack.serve import create_http_app

    token = "xoxb-" + _pick(string.digits, 12) + "-" + _pick(ALNUM, 24)
    signing = _pick("0123456789abcdef", 32)
    fake = SlackAPIFake(token=token, bot_user_id="UBOT0001", strict_channels=not member).start()
    kinds = sorted(PLANTED)
    try:
        with WebhookReceiver(path="/respond") as responses:
            s = settings_for(demo_db, REVOPS_SLACK_BOT_TOKEN=token, REVOPS_SLACK_SIGNING_SECRET=signing,
                             REVOPS_SLACK__API_URL=fake.base_url, REVOPS_SLACK__WORKER_MODE="thread")
            with TestClient(create_http_app(s)) as http:
                for i, kind in enumerate(kinds):
                    r = _slack_command(http, signing, {
                        "command": "/revops", "text": question(kind), "user_id": "U0SARAH01", "user_name": "sarah",
                        "channel_id": "C0DEALDESK", "channel_name": "deal-desk", "team_id": "T0001",
                        "response_url": responses.url, "trigger_id": f"1.2.{i}"})
                    assert r.status_code == 200
                    assert_clean(r.text, "the /revops ack")
                if member:
                    assert fake.wait_for_calls("chat.update", len(kinds), 120)
                else:
                    assert responses.wait_for(len(kinds), 120)
            sent = [json.dumps(c.args) for c in fake.calls] + [r.body.decode() for r in responses.requests]
        if member:
            reposts = fake.calls_to("chat.postMessage")
            assert len(reposts) == len(kinds) and all("asked" in c.args.get("text", "") for c in reposts)
        else:
            assert len(responses.requests) == len(kinds) and all(b'asked' in r.body for r in responses.requests)
        assert sum("[REDACTED:" in blob for blob in sent) >= len(kinds)
        for blob in sent:
            assert_clean(blob, "a Slack post")
        assert_private(revops_home / "slack.db", Path(f"{revops_home / 'slack.db'}-wal"))
    finally:
        fake.stop()


# ------------------------------------------------------------------------------------------ config show
def test_config_show_masks_credentials_inside_urls(monkeypatch, capsys):
    pw = "Fb" + _pick(ALNUM, 14)
    tok = _pick(ALNUM, 30)
    monkeypatch.setenv("REVOPS_WAREHOUSE", "firebolt")
    monkeypatch.setenv("REVOPS_FIREBOLT_URL", f"http://admin:{pw}@firebolt.internal:3473/?token={tok}")
    monkeypatch.setenv("REVOPS_WEBHOOK_URL", f"https://hooks.slack.com/services/{_hook}")
    monkeypatch.setenv("REVOPS_WEBHOOK_SECRET", WH_SECRET)
    for fmt in ([], ["--format", "json"]):
        r = run(capsys, "config", "show", *fmt)
        assert r.code == 0, r.err
        for secret in (pw, tok, _hook.split("/")[-1], WH_SECRET):
            assert secret not in r.out + r.err
        assert "firebolt.internal" in r.out                    # still says where


# ------------------------------------------------------------------------------------------------- logs
def test_log_lines_hold_no_secret(caplog):
    import httpx

    from fakes.webhook_receiver import WebhookReceiver

    install_log_redaction()
    caplog.set_level(logging.DEBUG)
    with WebhookReceiver() as rx:
        httpx.get(rx.url + f"?token={_tok}&api_key={_api}", timeout=5)        # httpx logs the request line
    log = logging.getLogger("revops.test")
    log.info("asked: %s", question("password_phrase"))
    log.warning("card %s for %s", VISA, "IXIS")
    try:
        raise ValueError(f"cannot connect with {_x} and {_sk}")
    except ValueError:
        log.exception("boom")
    logging.getLogger("httpcore.http11").debug("sending %s", question("jwt"))       # a child logger
    text = caplog.text + "\n".join(r.getMessage() + (r.exc_text or "") for r in caplog.records)
    assert "HTTP Request: GET" in text and "[REDACTED:" in text and "IXIS" in text
    assert_clean(text, "log output")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_uvicorn_access_line_shows_no_query_token(revops_home, tmp_path):
    """A real `revops serve-webhook --access-log`: the access line keeps its shape, the ?token= is gone."""
    import httpx

    port = _free_port()
    err = tmp_path / "serve.err"
    with open(err, "wb") as f:
        proc = subprocess.Popen([REVOPS, "serve-webhook", "--host", "127.0.0.1", "--port", str(port), "--no-workers",
                                 "--access-log"], stdout=f, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                env={**os.environ, "REVOPS_WEBHOOK_SECRET": WH_SECRET})
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(300):
            try:
                if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        else:
            pytest.fail("serve-webhook did not start: " + err.read_text()[-2000:])
        httpx.get(base + f"/requests/abc?token={_tok}&X-Amz-Signature={_sig}", timeout=5)
        r = httpx.post(base + "/webhook", json={"query": question("aws_secret_prose"), "source_system": "crm",
                                                "source_process": "qbr", "timestamp": "2026-11-24T10:00:00Z"})
        assert r.status_code == 202
    finally:
        proc.terminate()
        proc.wait(30)
    text = err.read_text()
    assert "GET /requests/abc?token=[REDACTED:url_token]" in text, text[-2000:]
    assert "POST /webhook" in text
    assert_clean(text, "the server log")
    assert WH_SECRET not in text
    q = revops_home / "webhook-queue.db"
    assert_clean(sqlite_bytes(q), "the queue file (+wal, shm)")
    assert_private(q, Path(f"{q}-wal"), Path(f"{q}-shm"))
