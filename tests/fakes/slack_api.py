"""A local Slack Web API: slack_sdk's WebClient runs unchanged against it (`base_url=fake.base_url`).

Wire behaviour copied from Slack: `POST|GET /api/<method>`, arguments as a query string, a form body or a
JSON body; the token as `Authorization: Bearer xoxb-…` (or a `token` argument); the answer is always HTTP
200 with `{"ok": true, ...}` or `{"ok": false, "error": "invalid_auth"}` (a rate limit is HTTP 429 with
`Retry-After`).

Methods: auth.test, chat.postMessage, chat.update, chat.postEphemeral, chat.delete, reactions.add,
users.lookupByEmail, users.info, conversations.replies, conversations.history, files.getUploadURLExternal,
the upload URL it hands out (`POST /upload/<file_id>`), files.completeUploadExternal.

Usage:
    with SlackAPIFake(token="xoxb-test", users=[{"id": "U0001", "email": "sarah@acme.io", "name": "Sarah"}],
                      channels={"deal-desk": "C0001"}) as slack:
        WebClient(token="xoxb-test", base_url=slack.base_url).chat_postMessage(channel="#deal-desk", text="hi")
        slack.calls                    # every call (SlackCall: method, args, token, http_method), thread-safe copy
        slack.calls_to("chat.postMessage")
        slack.messages                 # posted/updated messages (dicts with channel, ts, text, blocks, thread_ts, user)
        slack.uploads                  # {file_id: {"filename", "bytes", "title", "channel_id", "completed"}}
        slack.fail_next("chat.postMessage", "ratelimited", status=429, retry_after=1)
        slack.wait_for_calls("chat.postMessage", 1, timeout=5)   # for background (lazy listener) tests
Channels: by default any channel id (C…/D…/G…) or user id (U…, answered as a DM channel D…) is accepted,
and `#name` must be one of `channels` (name -> id) if given; `strict_channels=True` also refuses unknown ids.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any, Callable
from urllib.parse import parse_qs, urlsplit

try:
    from fakes.loopback import LoopbackServer
except ImportError:       # imported as tests.fakes.*
    from tests.fakes.loopback import LoopbackServer


@dataclass
class SlackCall:
    method: str
    args: dict[str, Any]
    token: str | None
    http_method: str = "POST"
    headers: dict[str, str] = field(default_factory=dict)


class SlackAPIFake(LoopbackServer):
    def __init__(self, token: str = "xoxb-test-token", *, users: list[dict[str, Any]] | None = None,
                 channels: dict[str, str] | None = None, strict_channels: bool = False,
                 team: str = "Acme", team_id: str = "T0001", bot_user_id: str = "UBOT0001"):
        self.tokens = {token} if isinstance(token, str) else set(token)
        self.users = list(users or [])
        self.channels = dict(channels or {})          # name (without #) -> id
        self.strict_channels = strict_channels
        self.team, self.team_id, self.bot_user_id = team, team_id, bot_user_id
        self._lock = threading.Lock()
        self._cond = threading.Condition(self._lock)
        self._calls: list[SlackCall] = []
        self._messages: list[dict[str, Any]] = []
        self.uploads: dict[str, dict[str, Any]] = {}
        self._failures: dict[str, list[tuple[str, int, float | None]]] = {}
        self._ts = itertools.count(1)
        self._ids = itertools.count(1)

    # -- inspection ------------------------------------------------------------------------------------
    @property
    def calls(self) -> list[SlackCall]:
        with self._lock:
            return list(self._calls)

    def calls_to(self, method: str) -> list[SlackCall]:
        return [c for c in self.calls if c.method == method]

    @property
    def messages(self) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(m) for m in self._messages]

    def wait_for_calls(self, method: str, n: int = 1, timeout: float = 5.0, *,
                       busy: Callable[[], bool] | None = None) -> bool:
        """Whether `n` calls of `method` arrived. With `busy` (the bot's "work still under way"), it waits for
        as long as the bot works, however slow the machine, and answers as soon as the calls are there or the
        bot has gone idle without making them; `timeout` then only stops a hung bot."""
        def arrived() -> bool:
            return sum(c.method == method for c in self._calls) >= n

        with self._cond:
            if busy is None:
                return self._cond.wait_for(arrived, timeout)
            deadline = time.monotonic() + timeout
            while not arrived():
                if not busy():
                    return arrived()      # idle: every call it made has been recorded
                if time.monotonic() > deadline:
                    return False
                self._cond.wait(0.05)     # woken by a call; the slice only re-checks busy()
            return True

    def fail_next(self, method: str, error: str = "internal_error", *, status: int = 200,
                  retry_after: float | None = None, times: int = 1) -> None:
        with self._lock:
            self._failures.setdefault(method, []).extend([(error, status, retry_after)] * times)

    def reset(self) -> None:
        with self._lock:
            self._calls.clear()
            self._messages.clear()
            self.uploads.clear()
            self._failures.clear()

    # -- server ----------------------------------------------------------------------------------------
    @property
    def port(self) -> int:
        assert self._server is not None, "fake not started"
        return self._server.server_address[1]

    @property
    def root_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    @property
    def base_url(self) -> str:
        """What WebClient(base_url=...) and `slack.api_url` take: ends with '/api/'."""
        return self.root_url + "api/"

    def start(self) -> "SlackAPIFake":
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def _reply(self, status: int, body: bytes, content_type: str = "application/json; charset=utf-8",
                       extra: dict[str, str] | None = None) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                for k, v in (extra or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(body)

            def _handle(self) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("content-length") or 0)
                raw = self.rfile.read(length) if length else b""
                headers = {k.lower(): v for k, v in self.headers.items()}
                if parts.path.startswith("/upload/"):
                    status, body = fake._upload(parts.path.rsplit("/", 1)[-1], raw)
                    self._reply(status, body, "text/plain")
                    return
                if not parts.path.startswith("/api/"):
                    self._reply(404, b'{"ok":false,"error":"unknown_method"}')
                    return
                method = parts.path[len("/api/"):]
                args: dict[str, Any] = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
                ctype = headers.get("content-type", "")
                if raw and "json" in ctype:
                    try:
                        args.update(json.loads(raw))
                    except ValueError:
                        self._reply(200, b'{"ok":false,"error":"invalid_json"}')
                        return
                elif raw:
                    args.update({k: v[-1] for k, v in parse_qs(raw.decode("utf-8"), keep_blank_values=True).items()})
                auth = headers.get("authorization", "")
                token = auth[7:] if auth.lower().startswith("bearer ") else args.pop("token", None)
                status, payload, extra = fake._dispatch(self.command, method, args, token, headers)
                self._reply(status, json.dumps(payload).encode(), extra=extra)

            do_GET = do_POST = _handle

        self.serve(Handler, "slack-api-fake")
        return self

    # -- the API ---------------------------------------------------------------------------------------
    def _new_ts(self) -> str:
        return f"1764000000.{next(self._ts):06d}"

    def _channel(self, value: Any) -> str | None:
        value = str(value or "").strip()
        if not value:
            return None
        if value.startswith("#"):
            return self.channels.get(value[1:])
        if value in self.channels:
            return self.channels[value]
        if value in self.channels.values():
            return value
        if value[:1] == "U" and any(u.get("id") == value for u in self.users):
            return "D" + value[1:]
        if self.strict_channels:
            return None
        if value[:1] in "CDG":
            return value
        if value[:1] in "UW":
            return "D" + value[1:]
        return None

    def _upload(self, file_id: str, raw: bytes) -> tuple[int, bytes]:
        with self._lock:
            entry = self.uploads.get(file_id)
            if entry is None:
                return 404, b"unknown upload"
            entry["bytes"] = raw
        return 200, f"OK - {len(raw)}".encode()

    def _dispatch(self, http_method: str, method: str, args: dict[str, Any], token: str | None,
                  headers: dict[str, str]) -> tuple[int, dict[str, Any], dict[str, str]]:
        with self._cond:
            self._calls.append(SlackCall(method, dict(args), token, http_method, headers))
            self._cond.notify_all()
            failures = self._failures.get(method)
            failure = failures.pop(0) if failures else None
        if failure:
            error, status, retry_after = failure
            return status, {"ok": False, "error": error}, ({"Retry-After": str(retry_after)} if retry_after else {})
        if not token:
            return 200, {"ok": False, "error": "not_authed"}, {}
        if token not in self.tokens:
            return 200, {"ok": False, "error": "invalid_auth"}, {}
        handler = getattr(self, "_m_" + method.replace(".", "_"), None)
        if handler is None:
            return 200, {"ok": False, "error": "unknown_method"}, {}
        return 200, handler(args), {}

    @staticmethod
    def _blocks(value: Any) -> Any:
        if isinstance(value, str):
            try:
                return json.loads(value)
            except ValueError:
                return value
        return value

    def _m_auth_test(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "url": "https://acme.slack.com/", "team": self.team, "user": "revops",
                "team_id": self.team_id, "user_id": self.bot_user_id, "bot_id": "B0001"}

    def _post(self, args: dict[str, Any], kind: str) -> dict[str, Any]:
        channel = self._channel(args.get("channel"))
        if channel is None:
            return {"ok": False, "error": "channel_not_found"}
        if not (args.get("text") or args.get("blocks") or args.get("attachments")):
            return {"ok": False, "error": "no_text"}
        ts = self._new_ts()
        message = {"type": "message", "channel": channel, "ts": ts, "text": args.get("text", ""),
                   "blocks": self._blocks(args.get("blocks")), "thread_ts": args.get("thread_ts"),
                   "user": self.bot_user_id, "bot_id": "B0001", "kind": kind,
                   "ephemeral_user": args.get("user") if kind == "ephemeral" else None}
        with self._lock:
            self._messages.append(message)
        if kind == "ephemeral":
            return {"ok": True, "message_ts": ts}
        return {"ok": True, "channel": channel, "ts": ts,
                "message": {k: message[k] for k in ("type", "text", "ts", "user", "bot_id") if message[k] is not None}}

    def _m_chat_postMessage(self, args: dict[str, Any]) -> dict[str, Any]:
        return self._post(args, "message")

    def _m_chat_postEphemeral(self, args: dict[str, Any]) -> dict[str, Any]:
        return self._post(args, "ephemeral")

    def _m_chat_update(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(args.get("channel"))
        with self._lock:
            for m in self._messages:
                if m["channel"] == channel and m["ts"] == args.get("ts"):
                    m["text"] = args.get("text", m["text"])
                    if args.get("blocks") is not None:
                        m["blocks"] = self._blocks(args.get("blocks"))
                    m["edited"] = True
                    return {"ok": True, "channel": channel, "ts": m["ts"], "text": m["text"]}
        return {"ok": False, "error": "message_not_found"}

    def _m_chat_delete(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(args.get("channel"))
        with self._lock:
            for m in list(self._messages):
                if m["channel"] == channel and m["ts"] == args.get("ts"):
                    self._messages.remove(m)
                    return {"ok": True, "channel": channel, "ts": m["ts"]}
        return {"ok": False, "error": "message_not_found"}

    def _m_reactions_add(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True} if args.get("name") else {"ok": False, "error": "invalid_name"}

    def _user_json(self, u: dict[str, Any]) -> dict[str, Any]:
        return {"id": u["id"], "team_id": self.team_id, "name": u.get("name", u["id"]),
                "real_name": u.get("real_name", u.get("name", "")),
                "profile": {"email": u.get("email"), "real_name": u.get("real_name", u.get("name", "")),
                            "display_name": u.get("name", "")},
                "is_bot": False, "tz": u.get("tz", "America/New_York")}

    def _m_users_lookupByEmail(self, args: dict[str, Any]) -> dict[str, Any]:
        email = str(args.get("email", "")).lower()
        for u in self.users:
            if str(u.get("email", "")).lower() == email:
                return {"ok": True, "user": self._user_json(u)}
        return {"ok": False, "error": "users_not_found"}

    def _m_users_info(self, args: dict[str, Any]) -> dict[str, Any]:
        for u in self.users:
            if u.get("id") == args.get("user"):
                return {"ok": True, "user": self._user_json(u)}
        return {"ok": False, "error": "user_not_found"}

    def _thread(self, channel: str | None, ts: str | None) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(m) for m in self._messages if m["channel"] == channel and m["kind"] == "message"
                    and (m["ts"] == ts or m.get("thread_ts") == ts)]

    def _m_conversations_replies(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(args.get("channel"))
        if channel is None:
            return {"ok": False, "error": "channel_not_found"}
        msgs = self._thread(channel, args.get("ts"))
        if not msgs:
            return {"ok": False, "error": "thread_not_found"}
        return {"ok": True, "messages": msgs, "has_more": False}

    def _m_conversations_history(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(args.get("channel"))
        if channel is None:
            return {"ok": False, "error": "channel_not_found"}
        with self._lock:
            msgs = [dict(m) for m in self._messages if m["channel"] == channel and m["kind"] == "message"]
        return {"ok": True, "messages": list(reversed(msgs)), "has_more": False}

    def _m_files_getUploadURLExternal(self, args: dict[str, Any]) -> dict[str, Any]:
        if not args.get("filename") or not str(args.get("length", "")).isdigit():
            return {"ok": False, "error": "invalid_arguments"}
        file_id = f"F{next(self._ids):08d}"
        with self._lock:
            self.uploads[file_id] = {"filename": args["filename"], "length": int(args["length"]), "bytes": None,
                                     "title": None, "channel_id": None, "completed": False}
        return {"ok": True, "upload_url": f"{self.root_url}upload/{file_id}", "file_id": file_id}

    def _m_files_completeUploadExternal(self, args: dict[str, Any]) -> dict[str, Any]:
        files = args.get("files")
        if isinstance(files, str):
            try:
                files = json.loads(files)
            except ValueError:
                return {"ok": False, "error": "invalid_arguments"}
        out = []
        with self._lock:
            for f in files or []:
                entry = self.uploads.get(f.get("id"))
                if entry is None or entry["bytes"] is None:
                    return {"ok": False, "error": "file_not_found"}
                entry.update(title=f.get("title") or entry["filename"], channel_id=args.get("channel_id"),
                             initial_comment=args.get("initial_comment"), thread_ts=args.get("thread_ts"),
                             completed=True)
                out.append({"id": f["id"], "title": entry["title"], "name": entry["filename"]})
        if not out:
            return {"ok": False, "error": "invalid_arguments"}
        return {"ok": True, "files": out}
