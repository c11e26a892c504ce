"""The one entry every channel calls: `ask(request) -> Answer`.

CLI commands, cron reports, the Slack bot and the webhook workers all build a `Request` and call this.
A dry run (an answer with pending actions) is stored in the pending-action store (actions/pending.py) and
its id returned in `answer.data["pending_action_id"]`; a request with `confirm_action_id` runs those stored
actions exactly as stored, without any backend, session or planning (`confirm_stored`).
It picks the backend (local orchestrator, deployed Bedrock agents, or a model on Bedrock or an
OpenAI-compatible server driving our tools),
restores the session's context, answers, and writes the conversation log. Failures the user can fix come
back as an Answer with ok=False and a one-line error (and the CLI exits non-zero).
"""

from __future__ import annotations

import time
from datetime import date
from typing import Any, Callable

from revops_cli.config import Settings, load_settings
from revops_cli.errors import ConfigError, RevopsError
from revops_cli.models import Answer, Request, Trace

SESSION_KEYS = ("opportunity", "account", "person", "company")


def session_context(log: Any, session_id: str | None) -> dict[str, Any]:
    """What earlier turns of this session left: the last deal, account, person and company discussed.
    A log that cannot be read gives no context (the answer still comes; `record_answer` warns)."""
    if log is None or not session_id:
        return {}
    try:
        turns = log.session_history(session_id, limit=10)
    except RevopsError:
        return {}
    ctx: dict[str, Any] = {}
    for turn in turns:    # oldest first, so newer turns overwrite
        data = turn.get("data") or {}
        for key in SESSION_KEYS:
            if data.get(key):
                ctx[key] = data[key]
        if turn.get("ok", True):
            ctx["last_answer"] = {"agent": turn.get("agent"), "answer": turn.get("response") or turn.get("answer"),
                                  "data": data}
        else:
            # a failed answer leaves nothing to act on: an action drafted next never carries its text
            ctx.pop("last_answer", None)
    return ctx


def calendar(as_of: date, fiscal_start_month: int = 1) -> dict[str, Any]:
    """The periods around a date as the agents count them (`agents/periods.py`, fiscal quarters from
    `fiscal_start_month`): quarter, prev_quarter, next_quarter, month, prev_month, fiscal_year, each a Period
    with `start`, `end` and `label`. For channels that name dates without asking a question (report
    parameters such as `{quarter_start}`)."""
    from datetime import timedelta

    from revops_cli.agents.periods import fiscal_year_period, month_of, quarter_of

    q, m = quarter_of(as_of, fiscal_start_month), month_of(as_of)
    return {"quarter": q, "prev_quarter": q.previous,
            "next_quarter": quarter_of(q.end + timedelta(days=1), fiscal_start_month),
            "month": m, "prev_month": month_of(m.start - timedelta(days=1)),
            "fiscal_year": fiscal_year_period(as_of, fiscal_start_month)}


def open_log(settings: Settings):
    from revops_cli.conversations.log import ConversationLog

    return ConversationLog.from_settings(settings)


def ask(request: Request, settings: Settings | None = None, *, mode: str = "online", warehouse: Any = None,
        log: Any = "default", on_text: Callable[[str | None], None] | None = None,
        handler: Callable[[Any], Answer] | None = None) -> Answer:
    """Answer one request. `mode`: online | refresh | offline (result cache only). `on_text`: called with
    each piece of answer text as a streaming backend (bedrock-agents, openai with openai.stream) receives it; None = start over.
    `handler`: a channel's direct tool call (the MCP server's run_pattern and query_sql), called with the
    AgentContext in place of the backend: same warehouse, cache, trace, errors and conversation log."""
    settings = settings or load_settings()
    started = time.perf_counter()
    started_wall = time.time()
    if log == "default":
        log = open_log(settings)
    backend = request.backend or settings.get("backend", "local")
    own_warehouse = warehouse is None
    trace = Trace()
    answer: Answer
    try:
        if warehouse is None:
            from revops_cli.warehouse.connect import open_warehouse

            warehouse = open_warehouse(settings, mode=mode)
        if request.confirm_action_id:
            answer = confirm_stored(request, settings, warehouse, trace, on_text)
        else:
            session = session_context(log, request.session_id)
            answer = _run_backend(backend, request, settings, warehouse, trace, session, on_text, handler)
            if answer.ok and answer.pending_actions and not request.confirm:
                hold(answer, request, settings)
    except RevopsError as exc:
        answer = Answer(agent="manager", text=f"**Sorry:** {exc.message}." + (f" {exc.hint}." if exc.hint else ""),
                        trace=trace, ok=False, error=exc.one_line(),
                        data={"error": exc.to_dict()})
        trace.add(_error_step(exc))
    finally:
        if own_warehouse and warehouse is not None:
            warehouse.close()
    answer.trace = trace if not answer.trace.steps else answer.trace
    if answer.ok:
        add_model_receipt(answer, settings)
    answer.session_id = request.session_id
    answer.request_id = request.request_id
    answer.started_at = started_wall
    answer.duration_ms = (time.perf_counter() - started) * 1000
    # A damaged or unwritable side file never costs the answer: its warning goes into the trace.
    for holder in (log, getattr(warehouse, "cache", None)):
        for notice in (holder.take_notices() if hasattr(holder, "take_notices") else []):
            answer.trace.note("manager", notice)
    if log is not None:
        record_answer(log, request, answer, backend)
    return answer


def add_model_receipt(answer: Answer, settings: Settings) -> None:
    """On a mapped warehouse: the data the answer read that the warehouse lacks or approximates, in
    `data["model"]` and as notes under the text (templates/model_notes.md.j2). Nothing on the demo warehouse."""
    if not any(getattr(s, "model", None) for s in answer.trace.steps):
        return
    from revops_cli.model.compile import answer_receipt
    from revops_cli.templates import render

    data = answer.data if isinstance(answer.data, dict) else {}
    said = set(data.get("unavailable") or {})
    for part in data.get("analyses") or []:
        said |= set(part.get("unavailable") or {})
    receipt = answer_receipt(answer.trace.steps, said)
    if not receipt:
        return
    if isinstance(answer.data, dict):
        answer.data["model"] = receipt
    notes = render(settings, "model_notes.md.j2", missing=receipt.get("missing") or {},
                   approximations=receipt.get("approximations") or {}).strip()
    if notes:
        answer.text = answer.text.rstrip() + "\n\n" + notes + "\n"


def record_answer(log: Any, request: Request, answer: Answer, backend: str) -> None:
    """Write the answer to the conversation log; a write that fails (disk full, read-only, a file that
    cannot be replaced) is one warning, on stderr and in the answer's trace, never a lost answer."""
    from revops_cli.sidefiles import reason, warn

    try:
        log.record(request, answer, backend=backend)
    except Exception as exc:
        why = exc.message if isinstance(exc, RevopsError) else f"{getattr(log, 'path', 'the log')}: {reason(exc)}"
        message = f"not saved: this answer was not written to the conversation log ({why})"
        warn(message)
        answer.trace.note("manager", message)


RERUN_PHRASE = "Re-run with --yes to"          # what the dry-run templates say, made exact per channel below
CONFIRM_PHRASES = {
    "cli": "Confirm with `revops execute --confirm {id}` (before {expires}) to",
    "slack": "Press **Confirm** below (before {expires}) to",
    "webhook": 'Confirm by sending `{{"confirm_action_id": "{id}"}}` to POST /webhook as the same caller '
               "(before {expires}) to",
    "mcp": "Confirm with the confirm_action tool, pending_action_id `{id}` (before {expires}), to",
    "*": "Confirm `{id}` (before {expires}) to",
}


def hold(answer: Answer, request: Request, settings: Settings) -> None:
    """A dry run: store its actions exactly as shown (actions/pending.py) and give the answer their id.
    Each pending action gains `payload_hash`; `data` gains `pending_action_id` and `pending_action_expires_at`."""
    from revops_cli.actions.pending import PendingStore, normalised, payload_hash, ttl_of

    from revops_cli.redaction import redact_text, redact_value

    for action in answer.pending_actions:
        # Stored and hashed redacted: the store holds no secret, and the Slack client redacts what it sends
        # the same way, so what runs is byte for byte what is stored.
        action["payload"] = normalised(redact_value(action.get("payload")))
        action["payload_hash"] = payload_hash(action["payload"])
    import sqlite3

    try:
        store = PendingStore.from_settings(settings)
    except (sqlite3.Error, OSError) as exc:
        raise ConfigError(f"cannot store the dry run: {exc}", "check that REVOPS_HOME is writable") from None
    with store:
        record = store.add(answer.pending_actions, channel=request.channel, user=request.user,
                           session_id=request.session_id, request_id=request.request_id, text=redact_text(request.text),
                           ttl_s=ttl_of(settings))
    answer.data["pending_action_id"] = record.id
    answer.data["pending_action_expires_at"] = record.expires_at_iso
    how = CONFIRM_PHRASES.get(request.channel, CONFIRM_PHRASES["*"]).format(id=record.id,
                                                                           expires=record.expires_at_iso)
    if RERUN_PHRASE in answer.text:
        answer.text = answer.text.replace(RERUN_PHRASE, how)
    else:
        answer.text = answer.text.rstrip("\n") + f"\n\n{how} run the {len(record.actions)} action(s) shown.\n"
    for action in answer.data.get("actions") or []:          # the same actions, as `data` shows them
        match = next((p for p in answer.pending_actions if p.get("kind") == action.get("kind")
                      and p.get("target") == action.get("target")), None)
        if match is not None and action is not match:
            action["payload"], action["payload_hash"] = match["payload"], match["payload_hash"]
    answer.trace.note(answer.agent, f"dry run stored as {record.id} ({len(record.actions)} action(s), "
                                    f"confirmable by {record.asker} until {record.expires_at_iso})")


def confirm_stored(request: Request, settings: Settings, warehouse: Any, trace: Trace,
                   on_text: Callable[[str | None], None] | None = None) -> Answer:
    """`request.confirm_action_id`: claim the stored dry run (exists, not expired, not run, asked by this
    channel+user or an approver) and run its actions as stored; no backend, no session, no planning."""
    from revops_cli.actions.pending import PendingStore, approvers_of
    from revops_cli.agents.base import AgentContext
    from revops_cli.agents.execution import run_stored

    with PendingStore.from_settings(settings) as store:
        record = store.claim(request.confirm_action_id or "", channel=request.channel, user=request.user,
                             approvers=approvers_of(settings))
        if not request.session_id:
            request.session_id = record.session_id       # the confirmation joins the dry run's conversation
        ctx = AgentContext(settings=settings, warehouse=warehouse, trace=trace, request=request, session={},
                           on_text=on_text)
        try:
            answer = run_stored(ctx, record)
        except BaseException:
            store.finish(record.id, "failed")
            raise
        store.finish(record.id, "done" if answer.ok else "failed",
                     [{k: a.get(k) for k in ("kind", "target", "payload_hash", "status", "error", "result")}
                      for a in answer.data.get("actions") or []])
    return answer


def _error_step(exc: RevopsError):
    from revops_cli.models import Step

    return Step(kind="error", agent="manager", name=type(exc).__name__, detail=exc.message, ok=False,
                error=exc.one_line())


def _run_backend(backend: str, request: Request, settings: Settings, warehouse: Any, trace: Trace,
                 session: dict[str, Any], on_text: Callable[[str | None], None] | None = None,
                 handler: Callable[[Any], Answer] | None = None) -> Answer:
    from revops_cli.agents.base import AgentContext

    ctx = AgentContext(settings=settings, warehouse=warehouse, trace=trace, request=request, session=session,
                       on_text=on_text)
    if handler is not None:
        cache = getattr(warehouse, "cache", None)
        if cache is not None:
            with cache.batch():
                return handler(ctx)
        return handler(ctx)
    if backend == "local":
        from revops_cli.agents.manager import Manager

        cache = getattr(warehouse, "cache", None)
        if cache is not None:
            with cache.batch():
                return Manager().handle(ctx, request.text, request.agent, request.params)
        return Manager().handle(ctx, request.text, request.agent, request.params)
    if backend in ("bedrock-agents", "bedrock", "openai"):
        from revops_cli.agents.backends import run as run_llm

        return run_llm(backend, ctx)
    raise ConfigError(f"unknown backend {backend!r}", "use local, bedrock-agents, bedrock or openai")
