"""The one entry every channel calls: `ask(request) -> Answer`.

CLI commands, cron reports, the Slack bot and the webhook workers all build a `Request` and call this.
It picks the backend (local orchestrator, deployed Bedrock agents, or a model on Bedrock or an
OpenAI-compatible server driving our tools),
restores the session's context, answers, and writes the conversation log. Failures the user can fix come
back as an Answer with ok=False and a one-line error (and the CLI exits non-zero).
"""

from __future__ import annotations

import time
from typing import Any, Callable

from revops_cli.config import Settings, load_settings
from revops_cli.errors import RevopsError
from revops_cli.models import Answer, Request, Trace

SESSION_KEYS = ("opportunity", "account", "person", "company")


def session_context(log: Any, session_id: str | None) -> dict[str, Any]:
    """What earlier turns of this session left: the last deal, account, person and company discussed."""
    if log is None or not session_id:
        return {}
    ctx: dict[str, Any] = {}
    for turn in log.session_history(session_id, limit=10):    # oldest first, so newer turns overwrite
        data = turn.get("data") or {}
        for key in SESSION_KEYS:
            if data.get(key):
                ctx[key] = data[key]
        if turn.get("ok", True):
            ctx["last_answer"] = {"agent": turn.get("agent"), "answer": turn.get("response") or turn.get("answer"),
                                  "data": data}
    return ctx


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
        session = session_context(log, request.session_id)
        answer = _run_backend(backend, request, settings, warehouse, trace, session, on_text, handler)
    except RevopsError as exc:
        answer = Answer(agent="manager", text=f"**Sorry:** {exc.message}." + (f" {exc.hint}." if exc.hint else ""),
                        trace=trace, ok=False, error=exc.one_line(),
                        data={"error": {**exc.to_dict(), "retryable": exc.retryable}})
        trace.add(_error_step(exc))
    finally:
        if own_warehouse and warehouse is not None:
            warehouse.close()
    answer.trace = trace if not answer.trace.steps else answer.trace
    answer.session_id = request.session_id
    answer.request_id = request.request_id
    answer.started_at = started_wall
    answer.duration_ms = (time.perf_counter() - started) * 1000
    if log is not None:
        log.record(request, answer, backend=backend)
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
    from revops_cli.errors import ConfigError

    raise ConfigError(f"unknown backend {backend!r}", "use local, bedrock-agents, bedrock or openai")
