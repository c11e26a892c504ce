"""The Slack bot, driven like Slack drives it: signed HTTP requests into the FastAPI app, and a local fake of
the Web API (tests/fakes/slack_api.py) taking the bot's calls. Answers come from lazy listeners on worker
threads, so tests wait on the fake (`env.answered`) for as long as the bot works (`bot.busy`), never on a clock, and
leaving the TestClient joins every thread."""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest

pytest.importorskip("slack_bolt")
pytest.importorskip("fastapi")

from fastapi.testclient import TestClient  # noqa: E402
from slack_sdk.signature import SignatureVerifier  # noqa: E402

from fakes.slack_api import SlackAPIFake  # noqa: E402
from slack_events import button_click  # noqa: E402
from revops_cli.errors import ConfigError  # noqa: E402
from revops_cli.channels.slack.bot import SlackBot  # noqa: E402
from revops_cli.connectors.slack_format import block_text  # noqa: E402
from revops_cli.redaction import RedactingFilter  # noqa: E402
from revops_cli.channels.slack.serve import create_bolt_app, create_http_app, run_socket_mode  # noqa: E402
from revops_cli.channels.slack.state import SlackState  # noqa: E402
from revops_cli.channels.slack.texts import RESTART_TEXT, SORRY_TEXT  # noqa: E402

BOT_TOKEN = "xoxb-test-4242424242-abcdefghijklmnop"
SIGNING_SECRET = "test-signing-secret-7f3a9c2e51b04d68"
BOT_USER = "UBOT0001"
USER = "U0SARAH01"
OTHER = "U0OTHER02"
CHANNEL = "C0DEALDESK"
HANG = 600.0     # only stops a hung bot: waits end when the calls arrive or the bot goes idle, never on a clock


def sign(body: str, ts: int | None = None, secret: str = SIGNING_SECRET) -> dict[str, str]:
    ts = int(time.time()) if ts is None else ts
    sig = SignatureVerifier(secret).generate_signature(timestamp=str(ts), body=body)
    return {"X-Slack-Request-Timestamp": str(ts), "X-Slack-Signature": sig}


_counter = iter(range(1, 10**6))


def new_ts() -> str:
    return f"1763900000.{next(_counter):06d}"


def mention(text: str, *, channel: str = CHANNEL, user: str = USER, ts: str | None = None,
            thread_ts: str | None = None, event_id: str | None = None, **extra: Any) -> dict[str, Any]:
    ts = ts or new_ts()
    event = {"type": "app_mention", "user": user, "text": f"<@{BOT_USER}> {text}", "ts": ts, "channel": channel,
             "event_ts": ts, **extra}
    if thread_ts:
        event["thread_ts"] = thread_ts
    return {"token": "legacy-verification", "team_id": "T0001", "api_app_id": "A0001", "event": event,
            "type": "event_callback", "event_id": event_id or f"Ev{ts.replace('.', '')}", "event_time": int(time.time()),
            "authorizations": [{"team_id": "T0001", "user_id": BOT_USER, "is_bot": True}]}


@dataclass
class Env:
    fake: SlackAPIFake
    http: TestClient
    bot: Any
    settings: Any
    home: Path

    def post_event(self, payload: dict[str, Any], headers: dict[str, str] | None = None):
        body = json.dumps(payload)
        return self.http.post("/slack/events", content=body,
                              headers={"Content-Type": "application/json", **sign(body), **(headers or {})})

    def post_form(self, fields: dict[str, str]):
        body = urlencode(fields)
        return self.http.post("/slack/events", content=body,
                              headers={"Content-Type": "application/x-www-form-urlencoded", **sign(body)})

    def click(self, action_id: str, value: str, *, user: str = USER, message: dict[str, Any] | None = None):
        payload = button_click(action_id, value, user=user, message=message or {})
        return self.post_form({"payload": json.dumps(payload)})

    def answered(self, method: str, n: int = 1) -> bool:
        """Whether the bot made `n` calls of `method`, waiting for as long as it still works (`bot.busy`)."""
        return self.fake.wait_for_calls(method, n, HANG, busy=lambda: self.bot.busy)

    def settles(self, check: Any) -> bool:
        """Whether `check()` comes true, waiting for as long as the bot still works (`bot.busy`)."""
        deadline = time.monotonic() + HANG
        while not check():
            if not self.bot.busy or time.monotonic() > deadline:
                return bool(check())
            time.sleep(0.02)
        return True

    def thread(self, thread_ts: str) -> list[dict[str, Any]]:
        return [m for m in self.fake.messages if m.get("thread_ts") == thread_ts or m["ts"] == thread_ts]

    def text_of(self, message: dict[str, Any]) -> str:
        blocks = message.get("blocks") or []
        return "\n".join(block_text(b) for b in blocks) if blocks else message.get("text", "")


@pytest.fixture
def slack_env(settings_for, revops_home, tmp_path):
    """Builds the app around a database: env(db, **extra_env)."""
    stack: list[Any] = []

    def make(db: Path, mode: str = "thread", **env: str) -> Env:
        """mode: the answer workers, "process" (the default of `revops serve-slack`) or "thread" (quicker to
        start, and lets a test patch the service)."""
        fake = SlackAPIFake(token=BOT_TOKEN, bot_user_id=BOT_USER,
                            users=[{"id": USER, "name": "sarah", "email": "sarah.johnson@firebolt.io"}]).start()
        stack.append(fake.stop)
        settings = settings_for(db, REVOPS_SLACK_BOT_TOKEN=BOT_TOKEN, REVOPS_SLACK_SIGNING_SECRET=SIGNING_SECRET,
                                REVOPS_SLACK__API_URL=fake.base_url, REVOPS_SLACK__WORKER_MODE=mode, **env)
        app = create_http_app(settings)
        client = TestClient(app)
        client.__enter__()
        stack.append(lambda: client.__exit__(None, None, None))
        return Env(fake, client, app.state.bot, settings, revops_home)

    yield make
    for close in reversed(stack):       # the TestClient first: its lifespan joins the bot's threads
        close()


@pytest.fixture
def no_warehouse(tmp_path) -> Path:
    return tmp_path / "no-warehouse.duckdb"     # for tests that never reach the warehouse


def ixis_name(db: Path) -> str:
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute("SELECT name FROM opportunities WHERE name LIKE 'IXIS%' ORDER BY amount DESC LIMIT 1"
                           ).fetchone()[0]
    finally:
        con.close()


# --------------------------------------------------------------------------------------------- the flow
def test_mention_is_acked_then_answered_in_its_thread_and_follow_up_keeps_the_deal(demo_db, slack_env):
    env = slack_env(demo_db, mode="process")
    first = mention("what is the status of the IXIS deal?")
    ts = first["event"]["ts"]
    r = env.post_event(first)
    assert r.status_code == 200
    assert env.answered("chat.update", 1)
    placeholder = env.fake.calls_to("chat.postMessage")[0].args
    assert placeholder["channel"] == CHANNEL and placeholder["thread_ts"] == ts
    assert "On it" in placeholder["text"]
    answer = env.thread(ts)
    assert len(answer) == 1 and answer[0]["edited"]          # the placeholder, replaced by the answer
    text = env.text_of(answer[0])
    deal = ixis_name(demo_db)
    assert deal in text
    for heading in ("*The Dry Numbers*", "*Bottom Line*", "*Risks and Opportunities*"):
        assert heading in text
    assert "**" not in text                                   # mrkdwn, not markdown
    assert all(len(block_text(b)) <= 3000 for b in answer[0]["blocks"]) and len(answer[0]["blocks"]) <= 50

    # The follow-up in the same thread: "its" is the IXIS deal.
    follow = mention("what are its main risks?", thread_ts=ts)
    assert env.post_event(follow).status_code == 200
    assert env.answered("chat.update", 2)
    second = env.fake.calls_to("chat.update")[1].args
    posted = next(m for m in env.fake.messages if m["ts"] == second["ts"])
    assert posted["thread_ts"] == ts
    text2 = env.text_of(posted)
    assert deal in text2 and "Risks and Opportunities" in text2 and "The Dry Numbers" not in text2

    # The conversation log: channel slack, the Slack user, the thread as the session.
    from revops_cli.conversations.log import ConversationLog

    with ConversationLog(env.settings.conversations_path) as log:
        rows = log.list(session=f"slack:{CHANNEL}:{ts}")
    assert len(rows) == 2
    assert {r["channel"] for r in rows} == {"slack"} and {r["user"] for r in rows} == {USER}


def test_a_retry_is_acked_and_not_answered_twice(demo_db, slack_env, caplog):
    env = slack_env(demo_db, mode="process")
    payload = mention("what is the status of the IXIS deal?")
    assert env.post_event(payload).status_code == 200
    with caplog.at_level(logging.INFO, logger="revops.slack"):
        again = env.post_event(payload, {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"})
        third = env.post_event(payload, {"X-Slack-Retry-Num": "2", "X-Slack-Retry-Reason": "http_timeout"})
    assert again.status_code == 200 and third.status_code == 200
    assert env.answered("chat.update", 1)
    env.bot.close()                                   # joins the workers: anything still coming has come
    assert len(env.fake.calls_to("chat.postMessage")) == 1 and len(env.fake.calls_to("chat.update")) == 1
    assert "delivered again (retry 1" in caplog.text


def test_dedupe_is_shared_by_processes_through_sqlite(tmp_path):
    a = SlackState(tmp_path / "slack.db")
    b = SlackState(tmp_path / "slack.db")       # another process behind the same URL
    try:
        assert a.first_time("event:Ev1") is True
        assert a.first_time("event:Ev1") is False         # the LRU
        assert b.first_time("event:Ev1") is False         # the file
        assert b.first_time("event:Ev2") is True
    finally:
        a.close()
        b.close()


def test_direct_message_is_answered_in_a_thread(demo_db, slack_env):
    env = slack_env(demo_db)
    ts = new_ts()
    dm = {"type": "event_callback", "team_id": "T0001", "event_id": "EvDM1", "event_time": 1,
          "event": {"type": "message", "channel_type": "im", "channel": "D0SARAH", "user": USER,
                    "text": "what is the status of the IXIS deal?", "ts": ts, "event_ts": ts}}
    assert env.post_event(dm).status_code == 200
    assert env.answered("chat.update", 1)
    msg = env.thread(ts)[0]
    assert msg["channel"] == "D0SARAH" and msg["thread_ts"] == ts
    assert ixis_name(demo_db) in env.text_of(msg)


def test_slash_command_acks_ephemeral_then_answers_in_channel(demo_db, slack_env):
    env = slack_env(demo_db)
    r = env.post_form({"command": "/revops", "text": "what is the status of the IXIS deal?", "user_id": USER,
                       "user_name": "sarah", "channel_id": CHANNEL, "channel_name": "deal-desk", "team_id": "T0001",
                       "response_url": env.fake.root_url + "respond/1", "trigger_id": "1.2.3"})
    assert r.status_code == 200
    assert "working on it" in r.json()["text"].lower()
    assert r.json().get("response_type", "ephemeral") == "ephemeral"
    assert env.answered("chat.update", 1)
    top = env.fake.calls_to("chat.postMessage")[0].args
    assert top["channel"] == CHANNEL and not top.get("thread_ts")
    msg = next(m for m in env.fake.messages if m["ts"] == env.fake.calls_to("chat.update")[0].args["ts"])
    text = env.text_of(msg)
    assert f"<@{USER}> asked" in text and ixis_name(demo_db) in text


# --------------------------------------------------------------------------------------------- actions
def stored(env: Env, pid: str) -> dict[str, Any]:
    state = SlackState(env.home / "slack.db")
    try:
        return state.get(pid)
    finally:
        state.close()


def _pending_message(env: Env, thread_ts: str) -> dict[str, Any]:
    for m in env.thread(thread_ts):
        for b in m.get("blocks") or []:
            if b.get("type") == "actions":
                return m
    raise AssertionError("no message with buttons in the thread")


def test_write_actions_wait_for_confirm_and_run_once(demo_db, slack_env):
    env = slack_env(demo_db, mode="process")
    ev = mention("update the IXIS deal stage to Closed Won")
    ts = ev["event"]["ts"]
    env.post_event(ev)
    assert env.answered("chat.update", 1)
    msg = _pending_message(env, ts)
    text = env.text_of(msg)
    assert "Dry run: nothing was sent" in text and "--yes" not in text and "Press *Confirm* below" in text
    buttons = next(b for b in msg["blocks"] if b["type"] == "actions")["elements"]
    assert [b["action_id"] for b in buttons] == ["revops_confirm", "revops_cancel"]
    pid = buttons[0]["value"]
    assert not (env.home / "outbox.duckdb").exists()          # nothing ran yet

    # Someone else cannot confirm it.
    assert env.click("revops_confirm", pid, user=OTHER, message=msg).status_code == 200
    assert env.answered("chat.postEphemeral", 1)
    assert "Only <@" in env.fake.calls_to("chat.postEphemeral")[0].args["text"]

    # A restart does not lose it: it is in <home>/slack.db.
    assert stored(env, pid)["status"] == "pending"

    r = env.click("revops_confirm", pid, message=msg)
    assert r.status_code == 200
    assert env.settles(lambda: any("1 of 1 action done" in env.text_of(m) for m in env.thread(ts)))
    env.click("revops_confirm", pid, message=msg)              # a double click
    assert env.answered("chat.postEphemeral", 2)
    env.bot.close()
    outcome = [env.text_of(m) for m in env.thread(ts)]
    assert any("1 of 1 action done" in t for t in outcome)
    assert any("Confirmed by <@" in t for t in outcome)
    assert "already confirmed" in env.fake.calls_to("chat.postEphemeral")[1].args["text"]
    assert stored(env, pid)["status"] == "done"
    assert (env.home / "outbox.duckdb").exists()
    import duckdb

    con = duckdb.connect(str(env.home / "outbox.duckdb"), read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM crm_outbox").fetchone()[0] == 1
    finally:
        con.close()


def test_cancel_and_reply_confirmation(demo_db, slack_env):
    env = slack_env(demo_db)
    ev = mention("update the IXIS deal stage to Closed Won")
    ts = ev["event"]["ts"]
    env.post_event(ev)
    assert env.answered("chat.update", 1)
    msg = _pending_message(env, ts)
    pid = next(b for b in msg["blocks"] if b["type"] == "actions")["elements"][1]["value"]
    env.click("revops_cancel", pid, message=msg)
    assert env.answered("chat.postMessage", 2)
    assert any("Cancelled: nothing was run" in m["text"] for m in env.thread(ts))
    assert stored(env, pid)["status"] == "cancelled"

    # Asked again, then confirmed by a reply in the thread instead of the button.
    env.post_event(mention("update the IXIS deal stage to Closed Won", thread_ts=ts))
    assert env.answered("chat.update", 3)
    again = [m for m in env.thread(ts) if m["ts"] != msg["ts"] and any(b.get("type") == "actions" for b in m["blocks"] or [])]
    pid2 = next(b for b in again[-1]["blocks"] if b["type"] == "actions")["elements"][0]["value"]
    assert pid2 != pid and env.settles(lambda: stored(env, pid2)["message_ts"])
    env.post_event(mention("confirm", thread_ts=ts))
    assert env.settles(lambda: any("1 of 1 action done" in env.text_of(m) for m in env.thread(ts)))
    env.bot.close()
    assert stored(env, pid2)["status"] == "done"
    settled = next(m for m in env.fake.messages if m["ts"] == again[-1]["ts"])
    assert not any(b["type"] == "actions" for b in settled["blocks"]) and "Confirmed by" in env.text_of(settled)


# --------------------------------------------------------------------------------------------- robustness
def test_bad_and_stale_signatures_get_401_and_url_verification_is_answered(no_warehouse, slack_env):
    env = slack_env(no_warehouse)
    body = json.dumps(mention("hi"))
    bad = env.http.post("/slack/events", content=body, headers={"Content-Type": "application/json",
                                                                **sign(body, secret="not-the-secret")})
    stale = env.http.post("/slack/events", content=body, headers={"Content-Type": "application/json",
                                                                  **sign(body, ts=int(time.time()) - 6 * 60)})
    unsigned = env.http.post("/slack/events", content=body, headers={"Content-Type": "application/json"})
    assert bad.status_code == 401 and stale.status_code == 401 and unsigned.status_code == 401
    challenge = env.post_event({"token": "x", "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P",
                                "type": "url_verification"})
    assert challenge.status_code == 200
    assert challenge.json()["challenge"] == "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"
    assert env.http.get("/healthz").json()["bot_user_id"] == BOT_USER
    env.bot.close()
    assert not env.fake.calls_to("chat.postMessage")


def test_bots_and_itself_are_ignored(no_warehouse, slack_env):
    env = slack_env(no_warehouse)
    own = mention("what is the status of the IXIS deal?", user=BOT_USER)
    other_bot = mention("what is the status of the IXIS deal?", user="U0BOT999", bot_id="B0OTHER")
    bot_msg = {"type": "event_callback", "event_id": "EvBM", "team_id": "T0001",
               "event": {"type": "message", "subtype": "bot_message", "channel_type": "im", "channel": "D0X",
                         "bot_id": "B0OTHER", "text": "hello", "ts": new_ts()}}
    channel_msg = {"type": "event_callback", "event_id": "EvCM", "team_id": "T0001",
                   "event": {"type": "message", "channel_type": "channel", "channel": CHANNEL, "user": USER,
                             "text": "chatter", "ts": new_ts()}}
    for p in (own, other_bot, bot_msg, channel_msg):
        assert env.post_event(p).status_code == 200
    env.bot.close()
    assert env.fake.calls_to("chat.postMessage") == [] and env.fake.calls_to("chat.update") == []


def test_failed_answer_is_a_polite_message(demo_db, slack_env):
    env = slack_env(demo_db)
    ev = mention("what is the status of the ZZQX Nonexistent deal?")
    env.post_event(ev)
    assert env.answered("chat.update", 1)
    text = env.text_of(env.thread(ev["event"]["ts"])[0])
    assert text.startswith("Sorry, I couldn't answer that:") and "no deal matches" in text


def test_unexpected_exception_says_sorry_and_logs_one_line(no_warehouse, slack_env, monkeypatch, caplog):
    from revops_cli import service

    def boom(*a: Any, **k: Any):
        raise RuntimeError(f"kaboom with {BOT_TOKEN} inside")

    monkeypatch.setattr(service, "ask", boom)
    env = slack_env(no_warehouse)
    ev = mention("what is the status of the IXIS deal?")
    with caplog.at_level(logging.INFO):
        env.post_event(ev)
        assert env.answered("chat.update", 1)
        env.bot.close()
    msg = env.thread(ev["event"]["ts"])[0]
    assert env.text_of(msg) == SORRY_TEXT and "Traceback" not in msg["text"]
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR and r.name == "revops.slack"]
    assert len(errors) == 1 and "RuntimeError: kaboom" in errors[0].getMessage()
    assert BOT_TOKEN not in caplog.text


def test_shutdown_tells_askers_whose_questions_never_started(no_warehouse, slack_env, monkeypatch):
    import threading

    from revops_cli import service
    from revops_cli.models import Answer

    release = threading.Event()

    def slow(request: Any, *a: Any, **k: Any) -> Answer:
        release.wait(HANG)
        return Answer(agent="data", text="**Done**")

    monkeypatch.setattr(service, "ask", slow)
    env = slack_env(no_warehouse, REVOPS_SLACK__WORKERS="1")
    for _ in range(3):
        env.post_event(mention("pipeline by stage"))
    assert env.answered("chat.postMessage", 3)
    assert env.settles(lambda: env.bot.answers_in_flight == 3)
    closing = threading.Thread(target=env.bot.close)
    closing.start()
    # release the running one only once close() has dropped the two queued ones (else a worker may take one)
    assert env.settles(lambda: sum(f.cancelled() for f in list(env.bot._queued)) == 2)
    release.set()                                             # the running one finishes...
    closing.join(HANG)
    assert len(env.fake.calls_to("chat.update")) == 3         # ...the two queued ones are told to ask again
    texts = sorted(env.text_of(m) for m in env.fake.messages)
    assert texts[0].startswith("*Done*") and texts[1:] == [RESTART_TEXT, RESTART_TEXT]


def test_slack_api_failure_while_answering_is_logged(demo_db, slack_env, caplog):
    env = slack_env(demo_db)
    env.fake.fail_next("chat.update", "internal_error")
    ev = mention("what is the status of the IXIS deal?")
    with caplog.at_level(logging.INFO, logger="revops.slack"):
        env.post_event(ev)
        assert env.answered("chat.postMessage", 2)   # placeholder, then the answer posted
        env.bot.close()
    assert ixis_name(demo_db) in env.text_of(env.thread(ev["event"]["ts"])[-1])


def test_allowlists_refuse_politely(no_warehouse, slack_env):
    env = slack_env(no_warehouse, REVOPS_SLACK__ALLOWED_CHANNELS="C0ALLOWED",
                    REVOPS_SLACK__ALLOWED_USERS=f"{USER},{OTHER}")
    env.post_event(mention("what is the status of the IXIS deal?", channel=CHANNEL))
    env.post_event(mention("what is the status of the IXIS deal?", channel="C0ALLOWED", user="U0STRANGER"))
    assert env.answered("chat.postEphemeral", 2)
    r = env.post_form({"command": "/revops", "text": "pipeline", "user_id": USER, "channel_id": CHANNEL,
                       "channel_name": "deal-desk", "team_id": "T0001", "response_url": "http://127.0.0.1:9/x",
                       "trigger_id": "1"})
    env.bot.close()
    notes = {c.args["user"]: c.args["text"] for c in env.fake.calls_to("chat.postEphemeral")}
    assert "not enabled in this channel" in notes[USER] and "access list" in notes["U0STRANGER"]
    assert "not enabled in this channel" in r.json()["text"]
    assert env.fake.calls_to("chat.postMessage") == []


def test_tokens_never_reach_logs_or_files(demo_db, slack_env, caplog, tmp_path):
    with caplog.at_level(logging.DEBUG):
        env = slack_env(demo_db)
        ev = mention("what is the status of the IXIS deal? my token is " + BOT_TOKEN)
        env.post_event(ev)
        assert env.answered("chat.update", 1)
        env.bot.close()
    assert BOT_TOKEN not in caplog.text and SIGNING_SECRET not in caplog.text
    assert "xoxb-test" not in caplog.text
    from revops_cli.conversations.export import export_conversations
    from revops_cli.conversations.log import ConversationLog

    with ConversationLog(env.settings.conversations_path) as log:
        export_conversations(log, str(env.home / "export"))
    files = [p for p in env.home.rglob("*") if p.is_file()]
    assert any(p.name == "slack.db" for p in files) and any(p.suffix == ".json" for p in files)
    for p in files:
        data = p.read_bytes()
        assert BOT_TOKEN.encode() not in data and SIGNING_SECRET.encode() not in data, p
    assert SlackBot.__name__ and "xoxb" not in repr(env.bot.credentials)


def test_create_bolt_app_with_an_injected_client(no_warehouse, settings_for):
    from slack_sdk import WebClient

    with SlackAPIFake(token=BOT_TOKEN, bot_user_id=BOT_USER) as fake:
        settings = settings_for(no_warehouse, REVOPS_SLACK_BOT_TOKEN=BOT_TOKEN,
                                REVOPS_SLACK_SIGNING_SECRET=SIGNING_SECRET)
        app = create_bolt_app(settings, client=WebClient(token=BOT_TOKEN, base_url=fake.base_url))
        try:
            assert app.revops_bot.bot_user_id == BOT_USER and app.client.base_url == fake.base_url
        finally:
            app.revops_bot.close()


def test_missing_credentials_name_the_environment_variables(no_warehouse, settings_for):
    settings = settings_for(no_warehouse)
    with pytest.raises(ConfigError) as e:
        create_http_app(settings)
    assert "REVOPS_SLACK_BOT_TOKEN" in e.value.message and "REVOPS_SLACK_SIGNING_SECRET" in e.value.message
    settings = settings_for(no_warehouse, REVOPS_SLACK_BOT_TOKEN=BOT_TOKEN)
    with pytest.raises(ConfigError) as e:
        run_socket_mode(settings)
    assert "REVOPS_SLACK_APP_TOKEN" in e.value.message


def test_bad_token_is_a_config_error(no_warehouse, settings_for):
    with SlackAPIFake(token="xoxb-the-real-one-000000") as fake:
        settings = settings_for(no_warehouse, REVOPS_SLACK_BOT_TOKEN=BOT_TOKEN,
                                REVOPS_SLACK_SIGNING_SECRET=SIGNING_SECRET, REVOPS_SLACK__API_URL=fake.base_url)
        with pytest.raises(ConfigError) as e:
            create_http_app(settings)
    assert "invalid_auth" in e.value.message and BOT_TOKEN not in e.value.one_line()


# --------------------------------------------------------------------------------------------- secrets
def test_secrets_manager_supplies_what_config_lacks(no_warehouse, settings_for, monkeypatch):
    moto = pytest.importorskip("moto")
    import boto3

    from revops_cli.channels.slack.credentials import load_credentials

    for k, v in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                 "AWS_DEFAULT_REGION": "us-east-1"}.items():
        monkeypatch.setenv(k, v)
    with moto.mock_aws():
        sm = boto3.client("secretsmanager", region_name="us-east-1")
        arn = sm.create_secret(Name="revops-slack-bedrock-secrets", SecretString=json.dumps(
            {"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": SIGNING_SECRET}))["ARN"]
        creds = load_credentials(settings_for(no_warehouse, REVOPS_SLACK__SECRETS_MANAGER_ID=arn))
        assert creds.bot_token == BOT_TOKEN and creds.signing_secret == SIGNING_SECRET
        assert creds.sources == {"bot_token": "secrets manager", "signing_secret": "secrets manager"}
        assert BOT_TOKEN not in repr(creds) and SIGNING_SECRET not in str(creds)
        monkeypatch.delenv("REVOPS_SLACK__SECRETS_MANAGER_ID")
        # The environment wins over the secret.
        creds = load_credentials(settings_for(no_warehouse, REVOPS_SLACK__SECRETS_MANAGER_ID=arn,
                                              REVOPS_SLACK_BOT_TOKEN="xoxb-from-env-000000"))
        assert creds.bot_token == "xoxb-from-env-000000" and creds.signing_secret == SIGNING_SECRET
        monkeypatch.delenv("REVOPS_SLACK_BOT_TOKEN")
        # A secret without the keys, and a missing secret: errors that name what to set.
        sm.create_secret(Name="empty", SecretString="{}")
        with pytest.raises(ConfigError) as e:
            load_credentials(settings_for(no_warehouse, REVOPS_SLACK__SECRETS_MANAGER_ID="empty"))
        assert "REVOPS_SLACK_BOT_TOKEN" in e.value.message and "SLACK_BOT_TOKEN" in e.value.hint
        with pytest.raises(ConfigError) as e:
            load_credentials(settings_for(no_warehouse, REVOPS_SLACK__SECRETS_MANAGER_ID="nope"))
        assert "ResourceNotFoundException" in e.value.message


def test_log_redaction_filter():
    f = RedactingFilter()
    f.add(SIGNING_SECRET)
    rec = logging.LogRecord("x", logging.INFO, __file__, 1, "token %s secret %s", (BOT_TOKEN, SIGNING_SECRET), None)
    f.filter(rec)
    assert BOT_TOKEN not in rec.getMessage() and SIGNING_SECRET not in rec.getMessage()
