"""Slack's side of the bot, for tests: signed event and button requests into the real Bolt app (HTTP), and
the Web API fake (fakes/slack_api.py) taking the bot's calls. `SlackThread.start(settings_for, db, ...)`.

Requests are signed the way Slack signs them (slack_sdk's SignatureVerifier.generate_signature over
`v0:<timestamp>:<body>`), so they pass Bolt's real verification."""

from __future__ import annotations

import itertools
import json
import time
from dataclasses import dataclass, field
from typing import Any, Callable
from urllib.parse import urlencode

BOT_TOKEN = "xoxb-test-4242424242-abcdefghijklmnop"
SIGNING_SECRET = "test-signing-secret-7f3a9c2e51b04d68"
BOT_USER = "UBOT0001"
CHANNEL = "C0DEALDESK"
WAIT = 30.0

_counter = itertools.count(1)


def new_ts() -> str:
    return f"1763900000.{next(_counter):06d}"


def sign(body: str, secret: str = SIGNING_SECRET) -> dict[str, str]:
    from slack_sdk.signature import SignatureVerifier

    ts = str(int(time.time()))
    return {"X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": SignatureVerifier(secret).generate_signature(timestamp=ts, body=body)}


def mention(text: str, *, user: str, thread_ts: str | None = None, channel: str = CHANNEL) -> dict[str, Any]:
    ts = new_ts()
    event = {"type": "app_mention", "user": user, "text": f"<@{BOT_USER}> {text}", "ts": ts, "channel": channel,
             "event_ts": ts}
    if thread_ts:
        event["thread_ts"] = thread_ts
    return {"token": "legacy", "team_id": "T0001", "api_app_id": "A0001", "event": event, "type": "event_callback",
            "event_id": f"Ev{ts.replace('.', '')}", "event_time": int(time.time()),
            "authorizations": [{"team_id": "T0001", "user_id": BOT_USER, "is_bot": True}]}


def button_click(action_id: str, value: str, *, user: str, message: dict[str, Any]) -> dict[str, Any]:
    """The `block_actions` payload Slack sends when `user` clicks a button of `message` (ours: Confirm/Cancel)."""
    return {"type": "block_actions", "team": {"id": "T0001"}, "user": {"id": user}, "api_app_id": "A0001",
            "token": "legacy", "trigger_id": "1.2.3",
            "container": {"type": "message", "message_ts": message.get("ts"), "channel_id": CHANNEL},
            "channel": {"id": CHANNEL, "name": "deal-desk"},
            "message": {"type": "message", "ts": message.get("ts"), "thread_ts": message.get("thread_ts"),
                        "text": message.get("text", ""), "blocks": message.get("blocks") or []},
            "actions": [{"type": "button", "action_id": action_id, "block_id": "revops_confirm",
                         "value": value, "action_ts": "1.1"}]}


def eventually(check: Callable[[], Any], timeout: float = WAIT) -> bool:
    """Poll until `check()` is true (the timeout only bounds a failing test; nothing is timed)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.02)
    return bool(check())


@dataclass
class SlackThread:
    fake: Any                 # SlackAPIFake
    http: Any                 # fastapi TestClient around the bot's HTTP app
    bot: Any
    settings: Any
    _close: list[Callable[[], None]] = field(default_factory=list)

    @classmethod
    def start(cls, settings_for: Callable[..., Any], db: Any, **env: str) -> "SlackThread":
        from fastapi.testclient import TestClient

        from fakes.slack_api import SlackAPIFake
        from revops_cli.channels.slack.serve import create_http_app

        fake = SlackAPIFake(token=BOT_TOKEN, bot_user_id=BOT_USER).start()
        settings = settings_for(db, REVOPS_SLACK_BOT_TOKEN=BOT_TOKEN, REVOPS_SLACK_SIGNING_SECRET=SIGNING_SECRET,
                                REVOPS_SLACK__API_URL=fake.base_url, REVOPS_SLACK__WORKER_MODE="thread", **env)
        app = create_http_app(settings)
        client = TestClient(app)
        client.__enter__()
        return cls(fake, client, app.state.bot, settings, [fake.stop, lambda: client.__exit__(None, None, None)])

    def close(self) -> None:
        while self._close:
            self._close.pop()()

    # -- Slack sends ------------------------------------------------------------------------------------
    def post_event(self, payload: dict[str, Any]) -> Any:
        body = json.dumps(payload)
        r = self.http.post("/slack/events", content=body, headers={"Content-Type": "application/json", **sign(body)})
        assert r.status_code == 200, r.text
        return r

    def ask(self, text: str, *, user: str, thread_ts: str | None = None) -> str:
        """Mention the bot; returns the message's ts (the thread, for a first message)."""
        ev = mention(text, user=user, thread_ts=thread_ts)
        self.post_event(ev)
        return ev["event"]["ts"]

    def click(self, action_id: str, value: str, *, user: str, message: dict[str, Any]) -> Any:
        body = urlencode({"payload": json.dumps(button_click(action_id, value, user=user, message=message))})
        r = self.http.post("/slack/events", content=body,
                           headers={"Content-Type": "application/x-www-form-urlencoded", **sign(body)})
        assert r.status_code == 200, r.text
        return r

    # -- what Slack received ------------------------------------------------------------------------------
    def thread(self, thread_ts: str) -> list[dict[str, Any]]:
        return [m for m in self.fake.messages if m.get("thread_ts") == thread_ts or m["ts"] == thread_ts]

    @staticmethod
    def text_of(message: dict[str, Any]) -> str:
        from revops_cli.connectors.slack_format import block_text

        blocks = message.get("blocks") or []
        return "\n".join(block_text(b) for b in blocks) if blocks else message.get("text", "")

    def answers_in(self, thread_ts: str) -> int:
        """Answers that replaced their "On it" placeholder in the thread."""
        return sum(1 for m in self.thread(thread_ts) if m.get("edited"))

    def buttons(self, thread_ts: str) -> tuple[dict[str, Any], str]:
        """The last message with Confirm / Cancel buttons, and the Confirm button's value."""
        for m in reversed(self.thread(thread_ts)):
            for b in m.get("blocks") or []:
                if b.get("type") == "actions":
                    return m, b["elements"][0]["value"]
        raise AssertionError("no message with buttons in the thread")

    def posts_outside(self, channel: str = CHANNEL) -> list[dict[str, Any]]:
        """chat.postMessage calls to anywhere but the bot's channel: what the actions sent (DMs, #channels)."""
        return [c.args for c in self.fake.calls_to("chat.postMessage") if c.args.get("channel") != channel]
