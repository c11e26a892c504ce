"""Answering one question: `Job` (what was asked, and where the answer goes) and `Answerer`.

`Answerer.answer(job)` calls `service.ask` in the thread's session, renders the answer as Block Kit
(connectors/slack_format.py) in place of the "on it" placeholder, split over more messages if needed, and adds Confirm /
Cancel buttons (`confirm_buttons`) when the answer is a dry run: the button's value is the dry run's id
(`act_…`, stored by service.ask in the pending-action store); `SlackState` remembers the message. A
confirmation job carries that id and runs the stored actions as they are, never the question again.
A failure becomes a polite message in the thread (`Answerer.sorry`). It runs in the bot's process
(`slack.worker_mode = thread`) or in each answer worker process (workers.py).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from typing import Any

from revops_cli.connectors import slack_format as fmt
from revops_cli.redaction import one_line, redact_text, redact_value
from revops_cli.channels.slack.state import SlackState
from revops_cli.channels.slack.texts import CONFIRM_HINT, SORRY_TEXT

log = logging.getLogger("revops.slack")


@dataclass
class Job:
    """One question to answer, and where the answer goes."""

    text: str
    user: str | None
    channel: str
    thread_ts: str
    placeholder_ts: str | None = None
    source: str = "app_mention"
    confirm_action_id: str | None = None     # a Confirm click: run this stored dry run (actions/pending.py)
    params: dict[str, Any] = field(default_factory=dict)
    header: list[dict[str, Any]] = field(default_factory=list)
    pending_id: str | None = None

    @property
    def session_id(self) -> str:
        return f"slack:{self.channel}:{self.thread_ts}"


class Answerer:
    """Answers jobs: `service.ask`, then the answer posted to Slack. Runs in the bot's process (thread mode)
    or in each worker process (process mode), with its own Web API client, state and conversation log."""

    def __init__(self, settings: Any, client: Any, state: SlackState, log_: Any):
        self.settings, self.client, self.state, self.log = settings, client, state, log_

    # -- Web API helpers -----------------------------------------------------
    def post(self, channel: str, text: str, *, thread_ts: str | None = None,
             blocks: list[dict[str, Any]] | None = None) -> str | None:
        kwargs: dict[str, Any] = {"channel": channel, "text": redact_text(text or " ")}   # every post, the repost too
        if thread_ts:
            kwargs["thread_ts"] = thread_ts
        if blocks:
            kwargs["blocks"] = redact_value(blocks)
        return self.client.chat_postMessage(**kwargs).get("ts")

    def update(self, channel: str, ts: str, text: str, blocks: list[dict[str, Any]] | None) -> None:
        self.client.chat_update(channel=channel, ts=ts, text=redact_text(text or " "), blocks=redact_value(blocks or []))

    def ephemeral(self, channel: str, user: str, text: str, thread_ts: str | None = None) -> None:
        try:
            kwargs: dict[str, Any] = {"channel": channel, "user": user, "text": redact_text(text)}
            if thread_ts:
                kwargs["thread_ts"] = thread_ts
            self.client.chat_postEphemeral(**kwargs)
        except Exception as exc:
            log.warning("slack: could not send an ephemeral note in %s: %s", channel, one_line(exc))

    def answer(self, job: Job, respond: Any = None) -> None:
        """Ask the service and post the answer (or a polite failure) where the job says."""
        from revops_cli import service
        from revops_cli.models import Request

        try:
            request = Request(text=job.text, channel="slack", user=job.user, session_id=job.session_id,
                              source_system="slack", source_process=job.source,
                              confirm_action_id=job.confirm_action_id, params=dict(job.params))
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
        pid = (answer.data or {}).get("pending_action_id") if answer.ok and answer.pending_actions else None
        if pid:
            # The actions and the question are in the pending-action store (service.hold, redacted there);
            # slack.db keeps only where the buttons are, so a click or "@RevBot confirm" finds them and the
            # buttons can be settled. No copy of the question text: it could hold a secret.
            self.state.add_pending(pid, user=job.user, channel=job.channel, thread_ts=job.thread_ts,
                                   session_id=job.session_id, actions=answer.pending_actions,
                                   request={"request_id": request.request_id})
            markdown = re.sub(r"Re-run with --yes to", CONFIRM_HINT.replace("*", "**"), markdown)
            footer.append(confirm_buttons(pid, len(answer.pending_actions)))
        messages = fmt.render_messages(markdown, header=job.header, footer=footer)
        if respond is not None:
            for m in messages:
                respond(text=redact_text(m["text"]), blocks=redact_value(m["blocks"]), response_type="in_channel", replace_original=False)
            return
        last_ts = None
        for i, m in enumerate(messages):
            if i == 0 and job.placeholder_ts:
                try:
                    self.update(job.channel, job.placeholder_ts, m["text"], m["blocks"])
                    last_ts = job.placeholder_ts
                    continue
                except Exception as exc:      # the placeholder was deleted: post instead
                    log.info("slack: could not replace the placeholder (%s); posting", one_line(exc))
            last_ts = self.post(job.channel, m["text"], thread_ts=job.thread_ts, blocks=m["blocks"])
        if pid:
            self.state.set_message(pid, last_ts)

    def sorry(self, channel: str | None, thread_ts: str | None, placeholder_ts: str | None, exc: BaseException,
               what: str, respond: Any = None) -> None:
        log.error("slack: %s in %s failed: %s", what, channel, one_line(exc))
        log.debug("slack: traceback", exc_info=exc)
        if not channel:
            return
        try:
            if respond is not None:
                respond(text=SORRY_TEXT, response_type="ephemeral", replace_original=False)
            elif placeholder_ts:
                self.update(channel, placeholder_ts, SORRY_TEXT, [fmt.section(SORRY_TEXT)])
            else:
                self.post(channel, SORRY_TEXT, thread_ts=thread_ts)
        except Exception as exc2:
            log.error("slack: could not tell %s about the failure either: %s", channel, one_line(exc2))


def confirm_buttons(pid: str, n: int) -> dict[str, Any]:
    label = "Confirm" if n == 1 else f"Confirm all {n}"
    return {"type": "actions", "block_id": "revops_confirm", "elements": [
        {"type": "button", "action_id": "revops_confirm", "style": "primary", "value": pid,
         "text": {"type": "plain_text", "text": label}},
        {"type": "button", "action_id": "revops_cancel", "value": pid,
         "text": {"type": "plain_text", "text": "Cancel"}},
    ]}
