"""`SlackBot`: the Bolt app and its handlers, plus what they need (Web API client, state, answer workers).

The ack path runs inline in the HTTP request and touches no warehouse and no Web API: `_gate` (middleware
after Bolt's signature check) drops bots' messages and repeated deliveries, and `_ack` / `_ack_command`
acknowledge. Lazy listeners then do the work: `_on_mention` / `_on_direct_message` / `_on_command` post the
"on it" placeholder and `submit` a `Job` to the answer pool (worker processes, workers.py, or threads);
`_on_confirm` / `_on_cancel` (and "@RevBot confirm" / "cancel" in the thread) settle a dry run: Confirm runs
the actions stored under the button's id (`act_…`, actions/pending.py) exactly as shown, never the
question again; only the asker or an `actions.approvers` entry may, others get an ephemeral refusal.
Access is checked by `refusal` (`slack.allowed_channels`, `slack.allowed_users`). slack_bolt and slack_sdk
are imported inside the methods that use them.
"""

from __future__ import annotations

import logging
import os
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from revops_cli.errors import ConfigError
from revops_cli.connectors import slack_format as fmt
from revops_cli.channels.slack import workers as worker_processes
from revops_cli.channels.slack.answerer import Answerer, Job
from revops_cli.channels.slack.credentials import SlackCredentials, load_credentials
from revops_cli.redaction import install_log_redaction, one_line, redactor
from revops_cli.channels.slack.state import SlackState
from revops_cli.channels.slack.texts import ACK_TEXT, HELP_TEXT, RESTART_TEXT, SLASH_ACK_TEXT
from revops_cli.models import new_id

log = logging.getLogger("revops.slack")

DEFAULT_API_URL = "https://slack.com/api/"
DEFAULT_WORKERS = 2             # answers computed at once (worker processes by default)

_CONFIRM_WORDS = re.compile(r"^\s*(confirm|yes|yes please|go ahead|do it|run it|approve)\s*[.!]*\s*$", re.I)
_CANCEL_WORDS = re.compile(r"^\s*(cancel|no|stop|don'?t|abort)\s*[.!]*\s*$", re.I)
_HANDLED_SUBTYPES = (None, "file_share", "thread_broadcast")


class CountingPool(ThreadPoolExecutor):
    """A thread pool that knows how many of its tasks have not finished yet (`unfinished`), so the bot can say
    whether any lazy listener is still working (`SlackBot.busy`)."""

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self._count_lock = threading.Lock()
        self.unfinished = 0

    def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> Any:
        with self._count_lock:
            self.unfinished += 1
        try:
            fut = super().submit(fn, *args, **kwargs)
        except BaseException:
            self._finished(None)
            raise
        fut.add_done_callback(self._finished)
        return fut

    def _finished(self, _fut: Any) -> None:
        with self._count_lock:
            self.unfinished -= 1


def _list_setting(value: Any) -> set[str]:
    if not value:
        return set()
    if isinstance(value, str):
        value = value.split(",")
    return {str(v).strip().lstrip("#") for v in value if str(v).strip()}


class SlackBot:
    """The Bolt app plus what it needs: the Web API client, the state file, the answer workers."""

    def __init__(self, settings: Any, *, client: Any = None, credentials: SlackCredentials | None = None,
                 socket_mode: bool = False):
        from slack_bolt import App

        from revops_cli.connectors.slack_client import web_client

        self.settings = settings
        self.socket_mode = socket_mode
        need = ("bot_token", "app_token") if socket_mode else ("bot_token", "signing_secret")
        self.credentials = credentials or load_credentials(settings, need=need)
        install_log_redaction(*self.credentials.secrets())
        api_url = (settings.get("slack.api_url") or DEFAULT_API_URL).rstrip("/") + "/"
        if client is None and settings.get("slack.api_url"):
            from revops_cli.connectors.addresses import check_outbound_url

            check_outbound_url(api_url, "slack.api_url")     # never a metadata or link-local address
        self.client = client or web_client(self.credentials.bot_token, api_url, 30)
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
        from revops_cli.actions.pending import PendingStore, approvers_of

        self.pending = PendingStore.from_settings(settings)      # the dry runs' actions (service.hold)
        self.approvers = approvers_of(settings)
        from revops_cli.service import open_log

        self.log = open_log(settings)
        self.answerer = Answerer(settings, self.client, self.state, self.log)
        workers = max(1, settings.slack.workers or DEFAULT_WORKERS)
        self.worker_mode = str(settings.get("slack.worker_mode", "process") or "process").lower()
        if self.worker_mode not in ("process", "thread"):
            raise ConfigError(f"slack.worker_mode {self.worker_mode!r} is not process or thread",
                              "process (default: answers never slow the acks down) or thread")
        self.listener_pool = CountingPool(max_workers=4, thread_name_prefix="slack-lazy")
        if self.worker_mode == "process":
            import multiprocessing
            from concurrent.futures import ProcessPoolExecutor

            level = logging.getLogger().getEffectiveLevel()
            self.answer_pool: Any = ProcessPoolExecutor(
                max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
                initializer=worker_processes.init_worker,
                initargs=(settings, self.credentials.bot_token, self.client.base_url, level,
                          sorted(redactor.secrets), os.getpid()))
            for _ in range(workers):                  # start the workers now, not with the first question
                self.answer_pool.submit(worker_processes.ping)
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

        from revops_cli.connectors.slack_client import HINTS

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
                    self.update(job.channel, job.placeholder_ts, RESTART_TEXT, [fmt.section(RESTART_TEXT)])
                else:
                    self.post(job.channel, RESTART_TEXT, thread_ts=job.thread_ts)
            except Exception as exc:
                log.warning("slack: could not tell %s: %s", job.channel, one_line(exc))
            if job.pending_id:
                self.state.finish(job.pending_id, "failed")
        self.state.close()
        self.pending.close()
        if self.log is not None:
            self.log.close()

    @property
    def answers_in_flight(self) -> int:
        return self._in_flight

    @property
    def busy(self) -> bool:
        """Work still under way: a lazy listener not finished, or an answer queued or running."""
        return self.listener_pool.unfinished > 0 or self._in_flight > 0

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
                           blocks=header + [fmt.section(ACK_TEXT)])
        except Exception as exc:
            # Not a member of that channel (or a DM with someone else): answer through the response_url.
            log.info("slack: cannot post in %s (%s); answering %s through the response_url", channel,
                     one_line(exc), self.command)
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
            kept = [fmt.section(f"{len(pending['actions'])} action(s) were waiting for a confirmation.")]
        try:
            self.update(pending["channel"], ts, note, kept + [fmt.context_block(note)])
        except Exception as exc:
            log.warning("slack: could not update the confirmation message: %s", one_line(exc))

    def _may_decide(self, pending: dict[str, Any], user: str | None, channel: str, what: str = "confirm") -> bool:
        """The rule of the pending-action store (actions/pending.py `refusal`): the asker or an approver, not
        expired, not settled. A refusal is an ephemeral note to the clicker; nothing runs."""
        from revops_cli.actions.pending import refusal

        why = self.refusal(channel, user)
        if why:
            self.ephemeral(channel, user, why, pending["thread_ts"])
            return False
        problem = refusal(self.pending.get(pending["id"]), pending["id"], "slack", user, self.approvers)
        if problem is None:
            return True
        if problem.reason == "forbidden":
            text = (f"Only <@{pending['user']}>, who asked, or an approver can {what} this. Nothing was run."
                    if pending.get("user") else f"Only the asker or an approver can {what} this. Nothing was run.")
        elif problem.reason == "expired":
            if what == "cancel":
                return True
            if self.state.claim(pending["id"], "expired"):
                self._settle(pending, "Expired: nothing was run. Ask again to get a fresh confirmation.", None)
            text = "That confirmation has expired: nothing was run. Ask again for a fresh one."
        elif problem.reason == "settled":
            text = "That was already confirmed or cancelled: nothing was run again."
        else:
            text = "That request is no longer waiting for a confirmation: nothing was run."
        self.ephemeral(channel, user, text, pending["thread_ts"])
        return False

    def confirm(self, pending: dict[str, Any], user: str | None, channel: str, *,
                message: dict[str, Any] | None = None) -> None:
        """Run the stored dry run `pending["id"]` (act_…) as it is: service.ask with confirm_action_id, which
        checks the same rule again and claims the id atomically, so it runs once whatever the clicks."""
        if not self._may_decide(pending, user, channel):
            return
        if not self.state.claim(pending["id"], "running"):
            self.ephemeral(channel, user, "That was already confirmed or cancelled: nothing was run again.",
                           pending["thread_ts"])
            return
        self._settle(pending, f"Confirmed by <@{user}>: running the action(s) shown, as shown.", message)
        placeholder = self.post(pending["channel"], ":gear: Running the confirmed action(s)…",
                                thread_ts=pending["thread_ts"])
        self.submit(Job(text=f"confirm {pending['id']}", user=user, channel=pending["channel"],
                        thread_ts=pending["thread_ts"], placeholder_ts=placeholder, source="confirm",
                        confirm_action_id=pending["id"], pending_id=pending["id"]))

    def cancel(self, pending: dict[str, Any], user: str | None, channel: str, *,
               message: dict[str, Any] | None = None) -> None:
        from revops_cli.actions.pending import PendingActionError

        if not self._may_decide(pending, user, channel, "cancel"):
            return
        if not self.state.claim(pending["id"], "cancelled"):
            self.ephemeral(channel, user, "That was already confirmed or cancelled.", pending["thread_ts"])
            return
        try:
            self.pending.cancel(pending["id"], channel="slack", user=user, approvers=self.approvers)
        except PendingActionError as exc:
            log.info("slack: cancel of %s: %s", pending["id"], exc.message)
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
                fut = self.answer_pool.submit(worker_processes.answer, job)
            self._queued[fut] = job
            fut.add_done_callback(self._done)

    def _done(self, fut: Any) -> None:
        if fut.cancelled():          # close() tells the asker
            return
        with self._in_flight_lock:
            self._in_flight -= 1
            job = self._queued.pop(fut, None)
        if fut.exception() is not None:     # a worker process died, for instance
            log.error("slack: an answer worker failed: %s", one_line(fut.exception()))
            if job is not None:
                self._sorry(job.channel, job.thread_ts, job.placeholder_ts, fut.exception(), "an answer worker")

    def _on_error(self, error: Exception, body: dict[str, Any]) -> None:
        log.error("slack: unhandled error for a %s request: %s", (body or {}).get("type", "?"), one_line(error))
