"""`--backend bedrock-agents`: ask the deployed Bedrock supervisor agent, record what its collaborators did.

One InvokeAgent call per request (more when the agent returns control): the configured supervisor
(`bedrock.agent_id`, `bedrock.agent_alias_id`), a session id derived from the request's session (CLI
session, Slack thread, webhook tracking id) so the agent keeps its own memory across turns, traces enabled,
and the final response streamed (`streamingConfigurations.streamFinalResponse`, unless `bedrock.stream` is
false). What the reference system's gateways put in front of every question goes with it (`request_context`):
the analysis date (`as_of` / REVOPS_AS_OF, else today) as a first line of the input text and as prompt session
attributes, and who asks from where as session attributes. `memoryId` is sent when `bedrock.memory_id` is set
(`per_user`: one memory per channel and user).

The events become our trace (bedrock_trace.py: every member of the service model's unions has an entry in
`EVENT_HANDLING`); `chunk` events are the answer text, streamed to the channel as they come. A failure trace
or a guardrail intervention makes the answer an error (ok: false, exit 8) with a one-line reason. A
`returnControl` event runs the requested revops tools (return_control.py) and sends their results back in a
new InvokeAgent call, up to `bedrock.max_turns` rounds.
"""

from __future__ import annotations

import codecs
from typing import Any, Iterable

from revops_cli.agents.backends import bedrock_client as bc
from revops_cli.agents.backends.bedrock_trace import (  # noqa: F401  (agent_name: part of this module's API)
    MANAGER, TraceTranslator, agent_name)
from revops_cli.agents.base import AgentContext
from revops_cli.errors import ConfigError
from revops_cli.models import Answer, Step

DEFAULT_MAX_ROUNDS = 8


class BedrockAgentFailed(bc.BedrockError):
    """The agent's trace reported a failure (failureTrace): the answer is an error, exit 8."""


class GuardrailIntervened(bc.BedrockError):
    """A Bedrock guardrail blocked the question or the answer: the answer is an error, exit 8."""


def request_context(ctx: AgentContext) -> tuple[str, dict[str, Any]]:
    """The input text and the session state of the first call: the analysis date and the user's context.

    The date goes in front of the question (the reference's gateways do this, and its Data agent's
    instructions read it) and into promptSessionAttributes (for `$prompt_session_attributes$` in prompt
    templates); the channel, user and request id into sessionAttributes (kept for the session, passed to
    action groups). Attribute values are strings, as the API requires."""
    request = ctx.request
    as_of = ctx.as_of
    date_line = f"Current date: {as_of.isoformat()} ({as_of.strftime('%A')})."
    prompt_attrs = {"current_date": as_of.isoformat(), "current_weekday": as_of.strftime("%A"),
                    "current_quarter": f"Q{(as_of.month - 1) // 3 + 1} {as_of.year}"}
    session_attrs = {"channel": request.channel, "request_id": request.request_id, "client": "revops-cli"}
    if request.user:
        session_attrs["user_id"] = str(request.user)
    if request.source_system:
        session_attrs["source_system"] = str(request.source_system)
    if request.source_process:
        session_attrs["source_process"] = str(request.source_process)
    return f"{date_line}\n\n{request.text}", {"sessionAttributes": session_attrs,
                                              "promptSessionAttributes": prompt_attrs}


def memory_id(ctx: AgentContext) -> str | None:
    """`bedrock.memory_id`: an id as given, or `per_user` for one memory per channel and user; None: no memory."""
    value = ctx.settings.get("bedrock.memory_id")
    if not value:
        return None
    if str(value) == "per_user":
        value = f"{ctx.request.channel}:{ctx.request.user or 'anonymous'}"
    return bc.safe_session_id(str(value), "revops-memory")


def collect(events: Iterable[dict[str, Any]], tr: TraceTranslator, ctx: AgentContext) -> tuple[str, dict | None]:
    """The answer text of one InvokeAgent response (streamed to ctx.on_text as it comes) and its
    returnControl payload, if any; trace events go to the translator."""
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    parts: list[str] = []
    returned: dict[str, Any] | None = None
    for event in events:
        if "chunk" in event:
            chunk = event["chunk"] or {}
            data = chunk.get("bytes") or b""
            piece = decoder.decode(data if isinstance(data, bytes) else str(data).encode())
            parts.append(piece)
            if piece and ctx.on_text is not None:
                ctx.on_text(piece)
            for cit in ((chunk.get("attribution") or {}).get("citations") or []):
                for ref in cit.get("retrievedReferences") or []:
                    tr.source(ref)
        elif "trace" in event:
            tr.on_trace(event["trace"] or {})
        elif "returnControl" in event:
            returned = event["returnControl"] or {}
        elif "files" in event:
            names = [f.get("name") for f in (event["files"] or {}).get("files") or []]
            ctx.trace.add(Step(kind="note", agent=MANAGER, name="files",
                               detail=f"the agent returned {len(names)} file(s): {', '.join(n for n in names if n)}"))
        else:
            ctx.trace.note(MANAGER, f"an InvokeAgent event revops does not know: {', '.join(event)}")
    parts.append(decoder.decode(b"", final=True))
    return "".join(parts), returned


def run(ctx: AgentContext) -> Answer:
    from revops_cli.agents.backends import model_loop
    from revops_cli.agents.backends.return_control import run_invocations
    from revops_cli.agents.backends.tool_runner import ToolRunner

    settings, request = ctx.settings, ctx.request
    agent_id = settings.get("bedrock.agent_id")
    alias_id = settings.get("bedrock.agent_alias_id")
    if not agent_id or not alias_id:
        missing = " and ".join(k for k, v in (("bedrock.agent_id", agent_id), ("bedrock.agent_alias_id", alias_id))
                               if not v)
        raise ConfigError(f"{missing} not set for the bedrock-agents backend",
                          "set REVOPS_BEDROCK_AGENT_ID / REVOPS_BEDROCK_AGENT_ALIAS_ID (or bedrock: in revops.yaml, "
                          "per profile); `revops agents list` shows them")
    session_id = bc.safe_session_id(request.session_id, request.request_id)
    input_text, state = request_context(ctx)
    memory = memory_id(ctx)
    stream = settings.get("bedrock.stream") is not False
    ctx.trace.add(Step(kind="route", agent=MANAGER, name=MANAGER,
                       detail=f"bedrock-agents backend: supervisor agent {agent_id} (alias {alias_id})",
                       params={"query": request.text, "agent_id": agent_id, "agent_alias_id": alias_id,
                               "bedrock_session_id": session_id, "backend": "bedrock-agents",
                               "as_of": ctx.as_of.isoformat(), **({"memory_id": memory} if memory else {})}))
    client = bc.agents_client(settings)
    attempts = bc.max_attempts(settings)
    max_rounds = model_loop.int_setting(settings, "bedrock.max_turns", DEFAULT_MAX_ROUNDS)
    tr = TraceTranslator(ctx)
    runner = ToolRunner(ctx)
    shown: list[str] = []                   # the text of the finished rounds

    def once(text_in: str, session_state: dict[str, Any]) -> tuple[str, dict | None]:
        mark, state = len(ctx.trace.steps), tr.checkpoint()
        if ctx.on_text is not None:
            ctx.on_text(None)           # a retried attempt streams its answer afresh
            if "".join(shown):
                ctx.on_text("".join(shown))
        try:
            events = client.invoke_agent(agent_id=str(agent_id), agent_alias_id=str(alias_id), session_id=session_id,
                                         input_text=text_in, enable_trace=True, session_state=session_state,
                                         memory_id=memory, stream_final_response=stream)
            return collect(events, tr, ctx)
        except bc.BedrockThrottledError:
            del ctx.trace.steps[mark:]      # a retried attempt starts its trace afresh
            tr.restore(state)
            raise
        except Exception as exc:
            tr.finish()
            if not bc.is_aws_error(exc):
                raise
            err = bc.map_error(exc, settings=settings, what="bedrock-agent-runtime InvokeAgent",
                               target=f"agent {agent_id} alias {alias_id}", sdk_retried=False)
            if isinstance(err, bc.BedrockThrottledError):
                del ctx.trace.steps[mark:]
                tr.restore(state)
            raise err from None

    def retrying(attempt: int, exc: Exception) -> None:
        ctx.trace.note(MANAGER, f"Bedrock throttled the request; retry {attempt} of {attempts - 1}")

    rounds = 0
    text_in, session_state = input_text, state
    while True:
        rounds += 1
        text, returned = bc.call_with_retries(lambda: once(text_in, session_state), attempts, on_retry=retrying)
        shown.append(text)
        if returned is None or tr.failures or tr.interventions:
            break
        if rounds >= max_rounds:
            tr.finish()
            raise bc.BedrockError(f"the Bedrock agent still asked for tools after {rounds} rounds of return of "
                                  "control (bedrock.max_turns)", "ask a narrower question, or raise bedrock.max_turns")
        results = run_invocations(ctx, runner, returned)
        if not results:             # nothing asked: nothing to send back
            break
        text_in = ""
        session_state = {**state, "invocationId": returned.get("invocationId") or "",
                         "returnControlInvocationResults": results}
        if not returned.get("invocationId"):
            del session_state["invocationId"]
    tr.finish()
    text = "".join(shown)

    if tr.interventions:
        raise GuardrailIntervened(tr.interventions[-1],
                                  "rephrase the question; the guardrail's policies are set on the agent in Bedrock")
    if tr.failures:
        raise BedrockAgentFailed(f"the Bedrock agent failed: {tr.failures[-1]}",
                                 "see the trace (`revops conversations show`) and the agent's CloudWatch logs")
    answered_by = tr.answered_by or (runner.main_agent() if runner.total_calls else MANAGER)
    data: dict[str, Any] = {
        "backend": "bedrock-agents",
        "bedrock": {"agent_id": agent_id, "agent_alias_id": alias_id, "session_id": session_id,
                    "collaborators": tr.collaborators, "action_groups": tr.action_groups,
                    "knowledge_bases": tr.knowledge_bases, "models": tr.models, "rounds": rounds,
                    "returned_control_calls": runner.total_calls, "as_of": ctx.as_of.isoformat()},
    }
    if memory:
        data["bedrock"]["memory_id"] = memory
    if tr.usage:
        data["usage"] = tr.usage
    if request.agent:
        data["requested_agent"] = request.agent
    if runner.total_calls:
        data.update(runner.session_data())
    if not text.strip():
        raise bc.BedrockError("the Bedrock agent gave no answer: the agent returned no text",
                              "see the trace (`revops conversations show`) and the agent's CloudWatch logs")
    return Answer(agent=answered_by, text=text.strip() + "\n", data=data, sources=tr.sources + runner.sources,
                  trace=ctx.trace, pending_actions=runner.pending_actions)
