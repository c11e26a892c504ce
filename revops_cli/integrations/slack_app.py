"""The Slack bot (`revops serve-slack`): @mentions, direct messages and /revops, answered in threads.

One Bolt app (slack-bolt), served over HTTP (FastAPI, POST /slack/events for events, commands and
interactions; GET /healthz) or over Socket Mode (an app token, no public URL).

The flow of a mention:
1. The HTTP request is verified by Bolt (signature and a timestamp younger than 5 minutes, else 401;
   url_verification challenges are answered) and acknowledged at once: the ack path touches no warehouse,
   only a small SQLite table of seen event ids (retries, with X-Slack-Retry-Num, are acked and dropped).
2. A lazy listener (a Bolt worker thread) posts "looking into it" in the thread (thread_ts = the event's
   thread_ts or ts) and hands the question to a bounded pool of answer workers (`slack.workers`).
3. The worker calls `service.ask(Request(channel="slack", user=<Slack user>, session_id="slack:<channel>:
   <thread_ts>"))` (the service restores the thread's context: a follow-up keeps the deal) and replaces the
   placeholder with the answer rendered as Block Kit (slack_format), split over more messages if needed.
4. Actions (Answer.pending_actions) are shown with Confirm / Cancel buttons and stored in SQLite
   (`<home>/slack.db`); Confirm re-runs the request with confirm=True in the same session. Only the person
   who asked can confirm. A reply "@RevBot confirm" / "@RevBot cancel" in the thread works too.

Errors never end in silence: an answer with ok=False becomes a polite message with the one-line error and
hint; an unexpected exception becomes "Sorry, something went wrong on my side" in the thread and one log
line. Tokens and the signing secret are redacted from every log record the process emits.

slack_bolt, slack_sdk and fastapi are imported here only: nothing else in the CLI pays for them.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sqlite3
import threading
import time
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from revops_cli.errors import ConfigError
from revops_cli.integrations import slack_format as fmt
from revops_cli.integrations.slack_secrets import SlackCredentials, load_credentials
from revops_cli.models import new_id

log = logging.getLogger("revops.slack")

DEFAULT_API_URL = "https://slack.com/api/"
EVENTS_PATH = "/slack/events"
DEFAULT_WORKERS = 2             # answers computed at once (worker processes by default)
WORKER_NICENESS = 10            # answer processes yield the CPU to the process that acks
PENDING_TTL_S = 24 * 3600        # a confirmation button older than this no longer runs anything
SEEN_TTL_S = 24 * 3600           # event ids are remembered this long (Slack retries within minutes)

ACK_TEXT = ":hourglass_flowing_sand: On it: pulling the numbers now. I'll answer right here in this thread."
SLASH_ACK_TEXT = "Got it, working on it. The answer will appear in this channel."
SORRY_TEXT = ("Sorry, something went wrong on my side and I couldn't finish that answer. "
              "It's logged; please try again in a minute.")
RESTART_TEXT = "Sorry, I was restarted before I could answer this one. Please ask again."
HELP_TEXT = ("Ask me about deals, leads, pipeline or revenue, e.g. "
             "_@RevBot what is the status of the IXIS deal?_ Follow-ups in the same thread keep the context.")
CONFIRM_HINT = "Press *Confirm* below to"
_CONFIRM_WORDS = re.compile(r"^\s*(confirm|yes|yes please|go ahead|do it|run it|approve)\s*[.!]*\s*$", re.I)
_CANCEL_WORDS = re.compile(r"^\s*(cancel|no|stop|don'?t|abort)\s*[.!]*\s*$", re.I)
_HANDLED_SUBTYPES = (None, "file_share", "thread_broadcast")


# ---------------------------------------------------------------------------------------- log redaction
class RedactingFilter(logging.Filter):
    """Replaces the given secrets, and anything shaped like a Slack token, in every record it sees."""

    _TOKEN = re.compile(r"\b(?:xox[abposre]|xapp)-[A-Za-z0-9-]{6,}")

    def __init__(self) -> None:
        super().__init__("revops-redact")
        self.secrets: set[str] = set()

    def add(self, *secrets: str | None) -> None:
        self.secrets.update(s for s in secrets if s and len(s) >= 6)

    def scrub(self, text: str) -> str:
        for s in self.secrets:
            if s in text:
                text = text.replace(s, "[REDACTED]")
        return self._TOKEN.sub("[REDACTED:slack_token]", text)

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:   # a malformed record: leave it to logging's own error handling
            return True
        clean = self.scrub(message)
        if record.exc_info and record.exc_info[1] is not None:
            exc_text = logging.Formatter().formatException(record.exc_info)
            record.exc_text = self.scrub(exc_text)
            record.exc_info = None
        if clean != message or record.args:
            record.msg, record.args = clean, None
        return True


_redactor = RedactingFilter()


def install_log_redaction(*secrets: str | None) -> RedactingFilter:
    """Redact these secrets from every record handled by the root logger's handlers (now and, through
    `redacting_handler`, those the serve command adds)."""
    _redactor.add(*secrets)
    for h in logging.getLogger().handlers:
        if _redactor not in h.filters:
            h.addFilter(_redactor)
    return _redactor


def redacting_handler(level: int = logging.INFO) -> logging.Handler:
    handler = logging.StreamHandler()
    handler.setLevel(level)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(_redactor)
    return handler


# ---------------------------------------------------------------------------------------- state (SQLite)
class SlackState:
    """Seen event ids (dedupe across retries and processes) and pending confirmations, in one SQLite file.

    `first_time(key)` is an in-memory LRU in front of an `INSERT OR IGNORE`, so two processes behind one
    URL still answer an event once. Pending confirmations survive a restart."""

    def __init__(self, path: Path, lru_size: int = 20000):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        new = not self.path.exists()
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(self.path, timeout=15, isolation_level=None, check_same_thread=False)
        self._conn.row_factory = sqlite3.Row
        if new:
            try:
                self.path.chmod(0o600)
            except OSError:
                pass
        with self._lock:
            self._conn.execute("PRAGMA busy_timeout = 15000")
            self._conn.execute("PRAGMA journal_mode = WAL")
            self._conn.execute("PRAGMA synchronous = NORMAL")
            self._conn.execute("CREATE TABLE IF NOT EXISTS seen_events (key TEXT PRIMARY KEY, seen_at REAL NOT NULL)")
            self._conn.execute(
                "CREATE TABLE IF NOT EXISTS pending_actions (id TEXT PRIMARY KEY, created_at REAL NOT NULL, "
                "updated_at REAL NOT NULL, status TEXT NOT NULL, user TEXT, channel TEXT NOT NULL, "
                "thread_ts TEXT NOT NULL, session_id TEXT NOT NULL, message_ts TEXT, request TEXT NOT NULL, "
                "actions TEXT NOT NULL)")
            self._conn.execute("CREATE INDEX IF NOT EXISTS pending_by_session ON pending_actions (session_id, status)")
        self._recent: OrderedDict[str, None] = OrderedDict()
        self._lru_size = lru_size
        self._inserts = 0

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def first_time(self, key: str) -> bool:
        """True the first time `key` is seen by any process sharing the file, False afterwards."""
        with self._lock:
            if key in self._recent:
                self._recent.move_to_end(key)
                return False
            self._recent[key] = None
            if len(self._recent) > self._lru_size:
                self._recent.popitem(last=False)
            now = time.time()
            try:
                cur = self._conn.execute("INSERT OR IGNORE INTO seen_events (key, seen_at) VALUES (?, ?)", (key, now))
                self._inserts += 1
                if self._inserts % 1000 == 0:
                    self._conn.execute("DELETE FROM seen_events WHERE seen_at < ?", (now - SEEN_TTL_S,))
                return cur.rowcount == 1
            except sqlite3.Error as exc:     # the in-memory LRU still dedupes within this process
                log.warning("slack: seen-events table unavailable (%s); deduping in memory only", exc)
                return True

    def add_pending(self, pid: str, *, user: str | None, channel: str, thread_ts: str, session_id: str,
                    request: dict[str, Any], actions: list[dict[str, Any]]) -> None:
        now = time.time()
        with self._lock:
            self._conn.execute(
                "INSERT INTO pending_actions (id, created_at, updated_at, status, user, channel, thread_ts, "
                "session_id, message_ts, request, actions) VALUES (?, ?, ?, 'pending', ?, ?, ?, ?, NULL, ?, ?)",
                (pid, now, now, user, channel, thread_ts, session_id, json.dumps(request, default=str),
                 json.dumps(actions, default=str)))

    def set_message(self, pid: str, message_ts: str | None) -> None:
        with self._lock:
            self._conn.execute("UPDATE pending_actions SET message_ts = ? WHERE id = ?", (message_ts, pid))

    def get(self, pid: str) -> dict[str, Any] | None:
        with self._lock:
            row = self._conn.execute("SELECT * FROM pending_actions WHERE id = ?", (pid,)).fetchone()
        return self._decode(row)

    def latest_pending(self, session_id: str) -> dict[str, Any] | None:
        with self._lock:
            row = self._conn.execute("SELECT * FROM pending_actions WHERE session_id = ? AND status = 'pending' "
                                     "ORDER BY created_at DESC LIMIT 1", (session_id,)).fetchone()
        return self._decode(row)

    def claim(self, pid: str, status: str) -> bool:
        """Move a pending entry to `status`; False if it was no longer pending (another click won)."""
        with self._lock:
            cur = self._conn.execute("UPDATE pending_actions SET status = ?, updated_at = ? "
                                     "WHERE id = ? AND status = 'pending'", (status, time.time(), pid))
        return cur.rowcount == 1

    def finish(self, pid: str, status: str) -> None:
        with self._lock:
            self._conn.execute("UPDATE pending_actions SET status = ?, updated_at = ? WHERE id = ?",
                               (status, time.time(), pid))

    @staticmethod
    def _decode(row: sqlite3.Row | None) -> dict[str, Any] | None:
        if row is None:
            return None
        d = dict(row)
        d["request"] = json.loads(d["request"])
        d["actions"] = json.loads(d["actions"])
        return d


# ---------------------------------------------------------------------------------------- the bot
@dataclass
class Job:
    """One question to answer, and where the answer goes."""

    text: str
    user: str | None
    channel: str
    thread_ts: str
    placeholder_ts: str | None = None
    source: str = "app_mention"
    confirm: bool = False
    params: dict[str, Any] = field(default_factory=dict)
    header: list[dict[str, Any]] = field(default_factory=list)
    pending_id: str | None = None

    @property
    def session_id(self) -> str:
        return f"slack:{self.channel}:{self.thread_ts}"


def _list_setting(value: Any) -> set[str]:
    if not value:
        return set()
    if isinstance(value, str):
        value = value.split(",")
    return {str(v).strip().lstrip("#") for v in value if str(v).strip()}


class Answerer:
    """Answers jobs: `service.ask`, then the answer posted to Slack. Runs in the bot's process (thread mode)
    or in each worker process (process mode), with its own Web API client, state and conversation log."""

    def __init__(self, settings: Any, client: Any, state: SlackState, log_: Any):
        self.settings, self.client, self.state, self.log = settings, client, state, log_

    # -- Web API helpers -----------------------------------------------------
    def post(self, channel: str, text: str, *, thread_ts: str | None = None,
             blocks: list[dict[str, Any]] | None = None) -> str | None:
        kwargs: dict[str, Any] = {"channel": channel, "text": text or " "}
        if thread_ts:
            kwargs["thread_ts"] = thread_ts
        if blocks:
            kwargs["blocks"] = blocks
        return self.client.chat_postMessage(**kwargs).get("ts")

    def update(self, channel: str, ts: str, text: str, blocks: list[dict[str, Any]] | None) -> None:
        self.client.chat_update(channel=channel, ts=ts, text=text or " ", blocks=blocks or [])

    def ephemeral(self, channel: str, user: str, text: str, thread_ts: str | None = None) -> None:
        try:
            kwargs: dict[str, Any] = {"channel": channel, "user": user, "text": text}
            if thread_ts:
                kwargs["thread_ts"] = thread_ts
            self.client.chat_postEphemeral(**kwargs)
        except Exception as exc:
            log.warning("slack: could not send an ephemeral note in %s: %s", channel, _one_line(exc))

    def answer(self, job: Job, respond: Any = None) -> None:
        """Ask the service and post the answer (or a polite failure) where the job says."""
        from revops_cli import service
        from revops_cli.models import Request

        try:
            request = Request(text=job.text, channel="slack", user=job.user, session_id=job.session_id,
                              source_system="slack", source_process=job.source, confirm=job.confirm,
                              params=dict(job.params))
            answer = service.ask(request, self.settings, log=self.log)
        except Exception as exc:
            self.sorry(job.channel, job.thread_ts, job.placeholder_ts, exc, f"{job.source} from {job.user}",
                       respond=respond)
            if job.pending_id:
                self.state.finish(job.pending_id, "failed")
            return
        try:
            self._deliver(job, request, answer, respond)
        except Exception as exc:
            self.sorry(job.channel, job.thread_ts, job.placeholder_ts, exc, f"posting the answer to {job.user}",
                       respond=respond)
        if job.pending_id:
            self.state.finish(job.pending_id, "done" if answer.ok else "failed")

    def _deliver(self, job: Job, request: Any, answer: Any, respond: Any = None) -> None:
        if answer.ok:
            markdown = answer.text
        else:
            markdown = f"Sorry, I couldn't answer that: {answer.error or 'no answer'}."
            log.info("slack: %s from %s in %s: %s", job.source, job.user, job.channel, answer.error)
        about = f"{(answer.agent or 'revops').replace('_', ' ')} · {answer.duration_ms / 1000:.1f} s"
        footer = [fmt.context_block(about + (f" · `{answer.request_id}`" if answer.request_id else ""))]
        pid = None
        if answer.ok and answer.pending_actions and not job.confirm:
            pid = new_id("pa_")
            self.state.add_pending(pid, user=job.user, channel=job.channel, thread_ts=job.thread_ts,
                                   session_id=job.session_id, actions=answer.pending_actions,
                                   request={"text": request.text, "params": request.params,
                                            "request_id": request.request_id})
            markdown = re.sub(r"Re-run with --yes to", CONFIRM_HINT.replace("*", "**"), markdown)
            footer.append(confirm_buttons(pid, len(answer.pending_actions)))
        messages = fmt.render_messages(markdown, header=job.header, footer=footer)
        if respond is not None:
            for m in messages:
                respond(text=m["text"], blocks=m["blocks"], response_type="in_channel", replace_original=False)
            return
        last_ts = None
        for i, m in enumerate(messages):
            if i == 0 and job.placeholder_ts:
                try:
                    self.update(job.channel, job.placeholder_ts, m["text"], m["blocks"])
                    last_ts = job.placeholder_ts
                    continue
                except Exception as exc:      # the placeholder was deleted: post instead
                    log.info("slack: could not replace the placeholder (%s); posting", _one_line(exc))
            last_ts = self.post(job.channel, m["text"], thread_ts=job.thread_ts, blocks=m["blocks"])
        if pid:
            self.state.set_message(pid, last_ts)

    def sorry(self, channel: str | None, thread_ts: str | None, placeholder_ts: str | None, exc: BaseException,
               what: str, respond: Any = None) -> None:
        log.error("slack: %s in %s failed: %s", what, channel, _one_line(exc))
        log.debug("slack: traceback", exc_info=exc)
        if not channel:
            return
        try:
            if respond is not None:
                respond(text=SORRY_TEXT, response_type="ephemeral", replace_original=False)
            elif placeholder_ts:
                self.update(channel, placeholder_ts, SORRY_TEXT, [fmt._section(SORRY_TEXT)])
            else:
                self.post(channel, SORRY_TEXT, thread_ts=thread_ts)
        except Exception as exc2:
            log.error("slack: could not tell %s about the failure either: %s", channel, _one_line(exc2))


class SlackBot:
    """The Bolt app plus what it needs: the Web API client, the state file, the answer workers."""

    def __init__(self, settings: Any, *, client: Any = None, credentials: SlackCredentials | None = None,
                 socket_mode: bool = False):
        from slack_bolt import App
        from slack_sdk import WebClient

        self.settings = settings
        self.socket_mode = socket_mode
        need = ("bot_token", "app_token") if socket_mode else ("bot_token", "signing_secret")
        self.credentials = credentials or load_credentials(settings, need=need)
        install_log_redaction(*self.credentials.secrets())
        api_url = (settings.get("slack.api_url") or DEFAULT_API_URL).rstrip("/") + "/"
        self.client = client or WebClient(token=self.credentials.bot_token, base_url=api_url, timeout=30)
        if not self.client.token:
            self.client.token = self.credentials.bot_token
        self.allowed_channels = _list_setting(settings.get("slack.allowed_channels"))
        self.allowed_users = _list_setting(settings.get("slack.allowed_users"))
        self.command = "/" + str(settings.get("slack.command", "revops")).lstrip("/")
        identity = self._auth_test()
        self.bot_user_id: str | None = identity.get("user_id")
        self.bot_id: str | None = identity.get("bot_id")
        self.team: str | None = identity.get("team")
        self.state = SlackState(Path(settings.get("slack.state_path") or settings.home / "slack.db"))
        from revops_cli.service import open_log

        self.log = open_log(settings)
        self.answerer = Answerer(settings, self.client, self.state, self.log)
        workers = max(1, int(settings.get("slack.workers", DEFAULT_WORKERS) or DEFAULT_WORKERS))
        self.worker_mode = str(settings.get("slack.worker_mode", "process") or "process").lower()
        if self.worker_mode not in ("process", "thread"):
            raise ConfigError(f"slack.worker_mode {self.worker_mode!r} is not process or thread",
                              "process (default: answers never slow the acks down) or thread")
        self.listener_pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="slack-lazy")
        if self.worker_mode == "process":
            import multiprocessing
            from concurrent.futures import ProcessPoolExecutor

            level = logging.getLogger().getEffectiveLevel()
            self.answer_pool: Any = ProcessPoolExecutor(
                max_workers=workers, mp_context=multiprocessing.get_context("spawn"), initializer=_worker_init,
                initargs=(settings, self.credentials.bot_token, self.client.base_url, level,
                          sorted(_redactor.secrets), os.getpid()))
            for _ in range(workers):                  # start the workers now, not with the first question
                self.answer_pool.submit(_worker_ping)
        else:
            self.answer_pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="slack-answer")
        self._in_flight = 0
        self._closed = False
        self._queued: dict[Any, Job] = {}
        self._in_flight_lock = threading.RLock()
        self.app = App(
            client=self.client,                # carries the bot token

            signing_secret=self.credentials.signing_secret or "",
            request_verification_enabled=not socket_mode,
            token_verification_enabled=True,
            process_before_response=True,      # ack functions run inline (they are trivial); work is lazy
            listener_executor=self.listener_pool,
            logger=logging.getLogger("revops.slack.bolt"),
        )
        self.app.revops_bot = self          # type: ignore[attr-defined]
        self._register()

    # -- setup ------------------------------------------------------------------------------------------
    def _auth_test(self) -> dict[str, Any]:
        from slack_sdk.errors import SlackApiError, SlackClientError

        from revops_cli.integrations.slack_client import HINTS

        try:
            return dict(self.client.auth_test().data)
        except SlackApiError as exc:
            error = (exc.response.get("error") if exc.response is not None else None) or "unknown_error"
            raise ConfigError(f"Slack auth.test failed: {error}", HINTS.get(error, "check the bot token")) from None
        except (SlackClientError, OSError) as exc:
            raise ConfigError(f"cannot reach the Slack Web API: {type(exc).__name__}",
                              "check the network and slack.api_url") from None

    def _register(self) -> None:
        from slack_bolt.middleware import CustomMiddleware

        app = self.app
        app.use(CustomMiddleware(app_name=app.name, func=self._gate))
        app.event("app_mention")(ack=self._ack, lazy=[self._on_mention])
        app.event("message", matchers=[self._is_dm_question])(ack=self._ack, lazy=[self._on_direct_message])
        app.event("message")(self._ack)                    # other message events: acknowledged, ignored
        app.command(self.command)(ack=self._ack_command, lazy=[self._on_command])
        app.action("revops_confirm")(ack=self._ack, lazy=[self._on_confirm])
        app.action("revops_cancel")(ack=self._ack, lazy=[self._on_cancel])
        app.error(self._on_error)

    def close(self) -> None:
        """Finish what is running (lazy listeners, then answers) and release the files. Idempotent."""
        if self._closed:
            return
        self._closed = True
        log.info("slack: stopping (%d answer(s) in flight)", self._in_flight)
        self.listener_pool.shutdown(wait=True)
        # Answers already running finish; queued ones are dropped and their askers told to ask again.
        self.answer_pool.shutdown(wait=True, cancel_futures=True)
        with self._in_flight_lock:
            dropped = [job for fut, job in self._queued.items() if fut.cancelled()]
            self._queued.clear()
        if dropped:
            log.warning("slack: stopped with %d question(s) not started; telling their askers", len(dropped))
        for job in dropped:
            try:
                if job.placeholder_ts:
                    self.update(job.channel, job.placeholder_ts, RESTART_TEXT, [fmt._section(RESTART_TEXT)])
                else:
                    self.post(job.channel, RESTART_TEXT, thread_ts=job.thread_ts)
            except Exception as exc:
                log.warning("slack: could not tell %s: %s", job.channel, _one_line(exc))
            if job.pending_id:
                self.state.finish(job.pending_id, "failed")
        self.state.close()
        if self.log is not None:
            self.log.close()

    @property
    def answers_in_flight(self) -> int:
        return self._in_flight

    # -- the ack path (runs inline in the HTTP request: no warehouse, no Web API) -------------------------
    def from_bot(self, event: dict[str, Any]) -> bool:
        return bool(event.get("bot_id") or event.get("subtype") == "bot_message" or event.get("bot_profile")
                    or (self.bot_user_id and event.get("user") == self.bot_user_id))

    def _gate(self, req: Any, resp: Any, next: Any) -> Any:
        """Global middleware after Bolt's verification: drop bots' messages and repeated deliveries."""
        from slack_bolt import BoltResponse

        body = req.body or {}
        if req.lazy_only or body.get("type") != "event_callback":
            return next()
        event = body.get("event") or {}
        if self.from_bot(event):
            return BoltResponse(status=200, body="")
        event_id = body.get("event_id")
        if event_id and not self.state.first_time("event:" + str(event_id)):
            retry = (req.headers.get("x-slack-retry-num") or [None])[0]
            log.info("slack: %s delivered again (retry %s, %s): acknowledged, not answered twice", event_id,
                     retry or "-", (req.headers.get("x-slack-retry-reason") or ["-"])[0])
            return BoltResponse(status=200, body="")
        return next()

    def _is_dm_question(self, body: dict[str, Any]) -> bool:
        event = body.get("event") or {}
        return (event.get("channel_type") == "im" and event.get("subtype") in _HANDLED_SUBTYPES
                and not self.from_bot(event) and bool(event.get("user")))

    @staticmethod
    def _ack(ack: Any) -> None:
        ack()

    def _ack_command(self, ack: Any, command: dict[str, Any]) -> None:
        refusal = self.refusal(command.get("channel_id"), command.get("user_id"), command.get("channel_name"))
        if refusal:
            ack(text=refusal, response_type="ephemeral")
        elif not (command.get("text") or "").strip():
            ack(text=HELP_TEXT.replace("@RevBot", self.command), response_type="ephemeral")
        else:
            ack(text=SLASH_ACK_TEXT, response_type="ephemeral")

    def refusal(self, channel: str | None, user: str | None, channel_name: str | None = None) -> str | None:
        """Why this user may not ask here (None = allowed). DMs count as the channel `im`."""
        if self.allowed_users and user not in self.allowed_users:
            return "Sorry, I only answer the people on my access list. Ask your RevOps admin to add you."
        if self.allowed_channels:
            names = {channel, channel_name}
            if (channel or "").startswith("D") or channel_name == "directmessage":
                names |= {"im", "dm"}
            if not names & self.allowed_channels:
                return "Sorry, I'm not enabled in this channel. Ask your RevOps admin to add it to my allowed channels."
        return None

    # -- Web API (delegated) ---------------------------------------------------------------------------
    def post(self, *a: Any, **k: Any) -> str | None:
        return self.answerer.post(*a, **k)

    def update(self, *a: Any, **k: Any) -> None:
        self.answerer.update(*a, **k)

    def ephemeral(self, *a: Any, **k: Any) -> None:
        self.answerer.ephemeral(*a, **k)

    def _sorry(self, *a: Any, **k: Any) -> None:
        self.answerer.sorry(*a, **k)

    # -- events -----------------------------------------------------------------------------------------
    def _on_mention(self, event: dict[str, Any]) -> None:
        self._question(event, "app_mention")

    def _on_direct_message(self, event: dict[str, Any]) -> None:
        self._question(event, "direct_message")

    def _question(self, event: dict[str, Any], source: str) -> None:
        channel, user, ts = event.get("channel"), event.get("user"), event.get("ts")
        if not channel or not ts or self.from_bot(event):
            return
        # A mention in a DM may arrive both as app_mention and as message.im: answer the message once.
        if not self.state.first_time(f"message:{channel}:{ts}"):
            return
        thread_ts = event.get("thread_ts") or ts
        try:
            refusal = self.refusal(channel, user)
            if refusal:
                self.ephemeral(channel, user, refusal, thread_ts)
                return
            text = fmt.slack_to_plain(event.get("text") or "", self.bot_user_id)
            if not text:
                self.post(channel, HELP_TEXT, thread_ts=thread_ts)
                return
            session = f"slack:{channel}:{thread_ts}"
            if _CONFIRM_WORDS.match(text) or _CANCEL_WORDS.match(text):
                pending = self.state.latest_pending(session)
                if pending is not None:
                    if _CONFIRM_WORDS.match(text):
                        self.confirm(pending, user, channel)
                    else:
                        self.cancel(pending, user, channel)
                    return
            placeholder = self.post(channel, ACK_TEXT, thread_ts=thread_ts)
            self.submit(Job(text=text, user=user, channel=channel, thread_ts=thread_ts, placeholder_ts=placeholder,
                            source=source))
        except Exception as exc:
            self._sorry(channel, thread_ts, None, exc, f"{source} from {user}")

    def _on_command(self, command: dict[str, Any], respond: Any) -> None:
        channel, user = command.get("channel_id"), command.get("user_id")
        text = (command.get("text") or "").strip()
        if not channel or not text or self.refusal(channel, user, command.get("channel_name")):
            return      # the ack already said why
        header = [fmt.context_block(f"<@{user}> asked: _{fmt.escape(text)[:2900]}_")]
        try:
            ts = self.post(channel, f"<@{user}> asked: {fmt.escape(text)}\n{ACK_TEXT}",
                           blocks=header + [fmt._section(ACK_TEXT)])
        except Exception as exc:
            # Not a member of that channel (or a DM with someone else): answer through the response_url.
            log.info("slack: cannot post in %s (%s); answering %s through the response_url", channel,
                     _one_line(exc), self.command)
            self.submit(Job(text=text, user=user, channel=channel, thread_ts=command.get("trigger_id") or new_id(),
                            source="slash_command", header=header), respond=respond)
            return
        self.submit(Job(text=text, user=user, channel=channel, thread_ts=ts, placeholder_ts=ts,
                        source="slash_command", header=header))

    # -- confirmations ----------------------------------------------------------------------------------
    def _on_confirm(self, body: dict[str, Any], action: dict[str, Any]) -> None:
        self._button(body, action, self.confirm)

    def _on_cancel(self, body: dict[str, Any], action: dict[str, Any]) -> None:
        self._button(body, action, self.cancel)

    def _button(self, body: dict[str, Any], action: dict[str, Any], handler: Any) -> None:
        user = (body.get("user") or {}).get("id")
        channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id")
        message = body.get("message") or {}
        try:
            pending = self.state.get(str(action.get("value") or ""))
            if pending is None:
                self.ephemeral(channel, user, "That request is no longer waiting for a confirmation.",
                               message.get("thread_ts"))
                return
            handler(pending, user, channel, message=message)
        except Exception as exc:
            self._sorry(channel, message.get("thread_ts") or message.get("ts"), None, exc, f"button from {user}")

    def _settle(self, pending: dict[str, Any], note: str, message: dict[str, Any] | None) -> None:
        """Replace the buttons of the confirmation message (the clicked one, else the stored one) by a note."""
        message = message or {}
        ts = message.get("ts") or pending.get("message_ts")
        if not ts:
            return
        blocks = message.get("blocks")
        kept = [b for b in (blocks or []) if b.get("block_id") != "revops_confirm"]
        if not blocks:
            kept = [fmt._section(f"{len(pending['actions'])} action(s) were waiting for a confirmation.")]
        try:
            self.update(pending["channel"], ts, note, kept + [fmt.context_block(note)])
        except Exception as exc:
            log.warning("slack: could not update the confirmation message: %s", _one_line(exc))

    def _may_decide(self, pending: dict[str, Any], user: str | None, channel: str) -> bool:
        refusal = self.refusal(channel, user)
        if refusal:
            self.ephemeral(channel, user, refusal, pending["thread_ts"])
            return False
        if pending.get("user") and user != pending["user"]:
            self.ephemeral(channel, user, f"Only <@{pending['user']}>, who asked, can confirm or cancel this.",
                           pending["thread_ts"])
            return False
        if time.time() - pending["created_at"] > PENDING_TTL_S:
            if self.state.claim(pending["id"], "expired"):
                self._settle(pending, "Expired: nothing was run. Ask again to get a fresh confirmation.", None)
            self.ephemeral(channel, user, "That confirmation has expired; ask again.", pending["thread_ts"])
            return False
        return True

    def confirm(self, pending: dict[str, Any], user: str | None, channel: str, *,
                message: dict[str, Any] | None = None) -> None:
        if not self._may_decide(pending, user, channel):
            return
        if not self.state.claim(pending["id"], "running"):
            self.ephemeral(channel, user, "That was already confirmed or cancelled.", pending["thread_ts"])
            return
        self._settle(pending, f"Confirmed by <@{user}>: running now.", message)
        req = pending["request"]
        placeholder = self.post(pending["channel"], ":gear: Running the confirmed action(s)…",
                                thread_ts=pending["thread_ts"])
        self.submit(Job(text=req["text"], user=user, channel=pending["channel"], thread_ts=pending["thread_ts"],
                        placeholder_ts=placeholder, source="confirm", confirm=True, params=req.get("params") or {},
                        pending_id=pending["id"]))

    def cancel(self, pending: dict[str, Any], user: str | None, channel: str, *,
               message: dict[str, Any] | None = None) -> None:
        if not self._may_decide(pending, user, channel):
            return
        if not self.state.claim(pending["id"], "cancelled"):
            self.ephemeral(channel, user, "That was already confirmed or cancelled.", pending["thread_ts"])
            return
        self._settle(pending, f"Cancelled by <@{user}>.", message)
        self.post(pending["channel"], "Cancelled: nothing was run.", thread_ts=pending["thread_ts"])

    # -- answering (worker processes or threads) -------------------------------------------------------
    def submit(self, job: Job, respond: Any = None) -> None:
        """Queue a job for the answer workers. `respond` (a response_url, not picklable) runs in a thread."""
        with self._in_flight_lock:
            self._in_flight += 1
            if respond is not None or self.worker_mode == "thread":
                fut = (self.listener_pool if respond is not None and self.worker_mode == "process"
                       else self.answer_pool).submit(self.answerer.answer, job, respond)
            else:
                fut = self.answer_pool.submit(_worker_answer, job)
            self._queued[fut] = job
            fut.add_done_callback(self._done)

    def _done(self, fut: Any) -> None:
        if fut.cancelled():          # close() tells the asker
            return
        with self._in_flight_lock:
            self._in_flight -= 1
            job = self._queued.pop(fut, None)
        if fut.exception() is not None:     # a worker process died, for instance
            log.error("slack: an answer worker failed: %s", _one_line(fut.exception()))
            if job is not None:
                self._sorry(job.channel, job.thread_ts, job.placeholder_ts, fut.exception(), "an answer worker")

    def _on_error(self, error: Exception, body: dict[str, Any]) -> None:
        log.error("slack: unhandled error for a %s request: %s", (body or {}).get("type", "?"), _one_line(error))


# ---------------------------------------------------------------------------------------- worker processes
_WORKER: Answerer | None = None


def _worker_init(settings: Any, bot_token: str, api_url: str, log_level: int, secrets: list[str],
                 parent_pid: int) -> None:
    """In each answer process: logging (redacted), a Web API client, the state file, the conversation log."""
    global _WORKER
    from slack_sdk import WebClient

    try:
        os.nice(WORKER_NICENESS)     # answers are background work: the acks get the CPU first
    except (AttributeError, OSError):
        pass
    _die_with_parent(parent_pid)

    from revops_cli.service import open_log

    root = logging.getLogger()
    root.setLevel(log_level)
    if not root.handlers:
        root.addHandler(redacting_handler(log_level))
    install_log_redaction(*secrets)
    settings.data.setdefault("slack", {})
    state = SlackState(Path(settings.get("slack.state_path") or settings.home / "slack.db"))
    _WORKER = Answerer(settings, WebClient(token=bot_token, base_url=api_url, timeout=30), state, open_log(settings))


def _die_with_parent(parent_pid: int) -> None:
    """Exit this worker when the bot's process is gone, even if it was killed with no chance to stop us."""
    def watch() -> None:
        while True:
            time.sleep(1.0)
            if os.getppid() != parent_pid:
                os._exit(0)

    threading.Thread(target=watch, name="slack-worker-watchdog", daemon=True).start()


def _worker_ping() -> bool:
    return _WORKER is not None


def _worker_answer(job: Job) -> None:
    assert _WORKER is not None, "answer worker not initialised"
    _WORKER.answer(job)


def confirm_buttons(pid: str, n: int) -> dict[str, Any]:
    label = "Confirm" if n == 1 else f"Confirm all {n}"
    return {"type": "actions", "block_id": "revops_confirm", "elements": [
        {"type": "button", "action_id": "revops_confirm", "style": "primary", "value": pid,
         "text": {"type": "plain_text", "text": label}},
        {"type": "button", "action_id": "revops_cancel", "value": pid,
         "text": {"type": "plain_text", "text": "Cancel"}},
    ]}


def _one_line(exc: BaseException) -> str:
    from revops_cli.errors import RevopsError

    if isinstance(exc, RevopsError):
        return exc.one_line()
    try:
        from slack_sdk.errors import SlackApiError

        if isinstance(exc, SlackApiError) and exc.response is not None:
            return f"SlackApiError: {exc.response.get('error')}"
    except ImportError:  # pragma: no cover
        pass
    text = str(exc).splitlines()[0] if str(exc) else ""
    return _redactor.scrub(f"{type(exc).__name__}: {text}"[:300])


# ---------------------------------------------------------------------------------------- entry points
def create_bolt_app(settings: Any, *, client: Any = None, socket_mode: bool = False):
    """The Bolt `App`, with the `SlackBot` that owns it at `app.revops_bot` (call `.close()` when done)."""
    return SlackBot(settings, client=client, socket_mode=socket_mode).app


def create_http_app(settings: Any, *, client: Any = None):
    """FastAPI app: POST /slack/events (events, slash commands, interactivity), GET /healthz."""
    from contextlib import asynccontextmanager

    from fastapi import FastAPI
    from slack_bolt.adapter.fastapi import SlackRequestHandler

    bot = SlackBot(settings, client=client)
    handler = SlackRequestHandler(bot.app)

    @asynccontextmanager
    async def lifespan(_: Any):
        try:
            yield
        finally:
            bot.close()

    api = FastAPI(title="revops Slack bot", docs_url=None, redoc_url=None, openapi_url=None, lifespan=lifespan)
    api.state.bot = bot

    async def slack_events(req: Any) -> Any:
        # Bolt's dispatch is synchronous and short here (verify, dedupe, ack, start the lazy listener), so
        # it runs on the event loop: no thread hop on the ack path. A plain Starlette route: no validation.
        return await handler.handle(req)

    api.add_route(EVENTS_PATH, slack_events, methods=["POST"], include_in_schema=False)

    @api.get("/healthz")
    async def healthz() -> dict[str, Any]:
        return {"ok": True, "team": bot.team, "bot_user_id": bot.bot_user_id,
                "answers_in_flight": bot.answers_in_flight}

    return api


def serve_http(settings: Any, host: str = "127.0.0.1", port: int = 3000, *, log_level: str = "info") -> None:
    import uvicorn

    app = create_http_app(settings)
    log.info("slack: serving %s on http://%s:%s%s", app.state.bot.team or "Slack", host, port, EVENTS_PATH)
    uvicorn.run(app, host=host, port=port, log_level=log_level, access_log=False, log_config=None)


def run_socket_mode(settings: Any) -> None:
    """Connect to Slack over Socket Mode (an app token, xapp-…) and serve until interrupted."""
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    bot = SlackBot(settings, socket_mode=True)
    handler = SocketModeHandler(bot.app, bot.credentials.app_token)
    log.info("slack: connected to %s over Socket Mode as %s", bot.team or "Slack", bot.bot_user_id)
    try:
        handler.start()
    except KeyboardInterrupt:
        pass
    finally:
        try:
            handler.close()
        finally:
            bot.close()


__all__ = ["SlackBot", "SlackState", "create_bolt_app", "create_http_app", "serve_http", "run_socket_mode",
           "install_log_redaction", "redacting_handler"]
