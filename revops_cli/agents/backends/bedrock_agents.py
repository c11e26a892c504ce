"""`--backend bedrock-agents`: ask the deployed Bedrock supervisor agent, record what its collaborators did.

One InvokeAgent call per request: the configured supervisor (`bedrock.agent_id`, `bedrock.agent_alias_id`),
a session id derived from the request's session (CLI session, Slack thread, webhook tracking id) so the
agent keeps its own memory across turns, and traces enabled. The completion's `chunk` events are the
answer text; its `trace` events become the same trace the local orchestrator records:

    orchestrationTrace.rationale                         -> note   (by the agent that reasoned, truncated)
    invocationInput.agentCollaboratorInvocationInput     -> route (first one from the supervisor) + handoff
    observation.agentCollaboratorInvocationOutput        -> handoff back to the caller
    invocationInput.actionGroupInvocationInput           -> tool   (name "<group>/<function or apiPath>")
    observation.actionGroupInvocationOutput              -> fills that tool step (ok, detail, duration)
    invocationInput.knowledgeBaseLookupInput (+ output)  -> tool "knowledge_base_lookup" (rows = references)
    observation.finalResponse                            -> remembered: who answered
    routingClassifierTrace                               -> route
    failureTrace                                         -> error step
    guardrailTrace (action INTERVENED)                   -> note
    model invocation usage (any trace)                   -> Answer.data["usage"]

Each event's acting agent comes from `collaboratorName`, else the last `callerChain` alias ARN, else its
`agentId`, mapped to our agent names (`agent_name()`). Answer.agent is the collaborator whose output the
supervisor returned (the last one to answer before the final response), or "manager".
"""

from __future__ import annotations

import codecs
import json
import re
import time
from datetime import datetime
from typing import Any, Iterable

from revops_cli.agents.base import AgentContext
from revops_cli.agents.backends import bedrock_client as bc
from revops_cli.errors import ConfigError
from revops_cli.models import AGENTS, Answer, Step

MANAGER = "manager"
NOTE_LIMIT = 400
DETAIL_LIMIT = 300

# The reference system's agents (revops-ai-framework v5) by id, and every spelling of their names.
REFERENCE_AGENT_IDS = {
    "PVWGKOWSOT": "manager",
    "DBHYUWC6U6": "deal_analysis",
    "IP9HPDIEPL": "lead_analysis",
    "NOJMSQ8JPT": "data",
    "QKRQXXPJOJ": "web_search",
    "AINAPUEIZU": "execution",
}
_NAME_WORDS = [
    ("deal_analysis", ("deal",)),
    ("lead_analysis", ("lead",)),
    ("web_search", ("websearch", "search", "research", "web")),
    ("execution", ("execution", "execute", "action")),
    ("data", ("data", "firebolt", "sql", "analytics")),
    ("manager", ("manager", "supervisor", "orchestrator", "router")),
]
_ALIAS_ARN = re.compile(r"agent-alias/(?P<agent>[0-9A-Z]{10})/(?P<alias>[0-9A-Z]{10})", re.I)


def agent_name(value: str | None, settings: Any = None) -> str | None:
    """Our agent name for a Bedrock agent id, alias ARN or collaborator name; None when unknown.

    `bedrock.agent_names` (a mapping of Bedrock agent id or collaborator name -> our name) wins; then the
    reference ids; then the words of the name ("DealAnalysisAgent", "deal-analysis-agent" -> deal_analysis).
    """
    if not value:
        return None
    v = str(value).strip()
    m = _ALIAS_ARN.search(v)
    ids = [m.group("agent").upper()] if m else [v.upper()]
    custom = (settings.get("bedrock.agent_names") if settings is not None else None) or {}
    for key, ours in custom.items():
        if str(key).upper() in ids or str(key).lower() == v.lower():
            return ours if ours in AGENTS else None
    if settings is not None and settings.get("bedrock.agent_id") and str(settings.get("bedrock.agent_id")).upper() in ids:
        return MANAGER
    for i in ids:
        if i in REFERENCE_AGENT_IDS:
            return REFERENCE_AGENT_IDS[i]
    if m:
        return None                 # an alias ARN of an agent we do not know
    if v in AGENTS:
        return v
    words = re.sub(r"([a-z])([A-Z])", r"\1 \2", v).lower()
    words = re.sub(r"[^a-z]+", " ", words)
    squashed = words.replace(" ", "")
    for ours, keys in _NAME_WORDS:
        if any(k in words.split() or squashed.startswith(k) for k in keys):
            return ours
    return None


def _trunc(text: Any, limit: int) -> str:
    s = " ".join(str(text or "").split())
    return s if len(s) <= limit else s[: limit - 1] + "…"


def _ts(value: Any) -> float | None:
    if isinstance(value, datetime):
        return value.timestamp()
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
        except ValueError:
            return None
    return None


_SQLISH = re.compile(r"^\s*(select|with)\b", re.I)
_FAILED = re.compile(r"^\s*(\{\s*\"?error\"?|error\b|exception\b|failed\b)|\"(status|success)\"\s*:\s*(\"?error\"?|false)",
                     re.I)


def _action_params(inp: dict[str, Any]) -> dict[str, Any]:
    params: dict[str, Any] = {}
    items = list(inp.get("parameters") or [])
    for content in ((inp.get("requestBody") or {}).get("content") or {}).values():
        items += list((content or {}).get("properties") or [])
    for p in items:
        name, value = str(p.get("name") or "value"), p.get("value")
        if name.lower() in ("query", "sql", "sql_query", "statement") and isinstance(value, str) and _SQLISH.match(value):
            name = "sql"            # the exports' data operations look for it
        params[name] = value
    return params


class TraceTranslator:
    """Feeds Bedrock `trace` events into our Trace."""

    def __init__(self, ctx: AgentContext):
        self.ctx = ctx
        self.trace = ctx.trace
        self.usage: dict[str, int] = {}
        self.collaborators: list[str] = []          # Bedrock collaborator names, in order
        self.action_groups: list[str] = []
        self.knowledge_bases: list[str] = []
        self.sources: list[dict[str, Any]] = []
        self.answered_by: str | None = None         # the last collaborator to return output
        self.routed = False
        self.failures: list[str] = []
        self._open: dict[str, tuple[Step, float]] = {}   # traceId -> pending tool step, its start
        self._last_rationale: str | None = None

    # -- who is acting ----------------------------------------------------------------------------
    def actor(self, part: dict[str, Any]) -> str:
        s = self.ctx.settings
        for candidate in (part.get("collaboratorName"),
                          ((part.get("callerChain") or [{}])[-1] or {}).get("agentAliasArn"),
                          part.get("agentId")):
            name = agent_name(candidate, s)
            if name:
                return name
        return MANAGER

    # -- events -----------------------------------------------------------------------------------
    def on_trace(self, part: dict[str, Any]) -> None:
        trace = part.get("trace") or {}
        agent = self.actor(part)
        at = _ts(part.get("eventTime")) or time.time()
        self._usage(trace)
        if "orchestrationTrace" in trace:
            self._orchestration(trace["orchestrationTrace"] or {}, agent, at, part)
        if "routingClassifierTrace" in trace:
            self._orchestration(trace["routingClassifierTrace"] or {}, agent, at, part, routing=True)
        if "failureTrace" in trace:
            f = trace["failureTrace"] or {}
            reason = _trunc(f.get("failureReason") or "the agent failed", DETAIL_LIMIT)
            code = f.get("failureCode")
            self.failures.append(reason)
            self._add(Step(kind="error", agent=agent, name=f"bedrock_failure{'_' + str(code) if code else ''}",
                           detail=reason, ok=False, error=reason, started_at=at))
        if "guardrailTrace" in trace:
            g = trace["guardrailTrace"] or {}
            if str(g.get("action") or "").upper() == "INTERVENED":
                self._add(Step(kind="note", agent=agent, name="guardrail", detail="a Bedrock guardrail intervened",
                               started_at=at))
        if "customOrchestrationTrace" in trace:
            ev = (trace["customOrchestrationTrace"] or {}).get("event") or {}
            if ev.get("text"):
                self._add(Step(kind="note", agent=agent, name="note", detail=_trunc(ev["text"], NOTE_LIMIT),
                               started_at=at))

    def _orchestration(self, o: dict[str, Any], agent: str, at: float, part: dict[str, Any],
                       routing: bool = False) -> None:
        rationale = (o.get("rationale") or {}).get("text")
        if rationale:
            self._last_rationale = _trunc(rationale, NOTE_LIMIT)
            self._add(Step(kind="note", agent=agent, name="rationale", detail=self._last_rationale, started_at=at))
        inv = o.get("invocationInput") or {}
        trace_id = str(inv.get("traceId") or (o.get("observation") or {}).get("traceId") or "")
        if inv.get("agentCollaboratorInvocationInput"):
            c = inv["agentCollaboratorInvocationInput"]
            bedrock_name = c.get("agentCollaboratorName") or c.get("agentCollaboratorAliasArn") or "collaborator"
            target = (agent_name(bedrock_name, self.ctx.settings)
                      or agent_name(c.get("agentCollaboratorAliasArn"), self.ctx.settings) or str(bedrock_name))
            if bedrock_name not in self.collaborators:
                self.collaborators.append(bedrock_name)
            what = _trunc((c.get("input") or {}).get("text"), DETAIL_LIMIT)
            if not self.routed and agent == MANAGER:
                self.routed = True
                reason = ("the Bedrock routing classifier picked it" if routing else
                          self._last_rationale or f"the Bedrock supervisor invoked {bedrock_name}")
                self._add(Step(kind="route", agent=MANAGER, name=target, detail=reason, started_at=at,
                               params={"collaborator": bedrock_name, "backend": "bedrock-agents"}))
            self._add(Step(kind="handoff", agent=agent, name=target, detail=what or f"invoke {bedrock_name}",
                           started_at=at, params={"collaborator": bedrock_name}))
        if inv.get("actionGroupInvocationInput"):
            a = inv["actionGroupInvocationInput"]
            group = a.get("actionGroupName") or "action_group"
            op = a.get("function") or " ".join(x for x in (a.get("verb"), a.get("apiPath")) if x) or "invoke"
            name = f"{group}/{op}"
            if name not in self.action_groups:
                self.action_groups.append(name)
            params = {"action_group": group, **_action_params(a)}
            step = self._add(Step(kind="tool", agent=agent, name=name, params=params, started_at=at, rows=None))
            self._open[trace_id or f"ag-{len(self._open)}"] = (step, at)
        if inv.get("knowledgeBaseLookupInput"):
            k = inv["knowledgeBaseLookupInput"]
            kb = k.get("knowledgeBaseId") or "knowledge_base"
            if kb not in self.knowledge_bases:
                self.knowledge_bases.append(kb)
            step = self._add(Step(kind="tool", agent=agent, name="knowledge_base_lookup", started_at=at,
                                  params={"knowledge_base_id": kb, "query": _trunc(k.get("text"), DETAIL_LIMIT)}))
            self._open[trace_id or f"kb-{len(self._open)}"] = (step, at)
        if inv.get("codeInterpreterInvocationInput"):
            code = (inv["codeInterpreterInvocationInput"] or {}).get("code")
            step = self._add(Step(kind="tool", agent=agent, name="code_interpreter", started_at=at,
                                  params={"code": _trunc(code, DETAIL_LIMIT)}))
            self._open[trace_id or f"ci-{len(self._open)}"] = (step, at)
        obs = o.get("observation") or {}
        if obs:
            self._observation(obs, agent, at, trace_id)

    def _close(self, trace_id: str, prefix: str) -> tuple[Step, float] | None:
        if trace_id and trace_id in self._open:
            return self._open.pop(trace_id)
        for key in list(self._open):           # no trace id: the oldest open step of that kind
            if key.startswith(prefix) or not trace_id:
                return self._open.pop(key)
        return None

    @staticmethod
    def _finish(step: Step, started: float, at: float, meta: dict[str, Any] | None) -> None:
        total = (meta or {}).get("totalTimeMs")
        step.duration_ms = float(total) if total is not None else max(0.0, round((at - started) * 1000, 3))

    def _observation(self, obs: dict[str, Any], agent: str, at: float, trace_id: str) -> None:
        if obs.get("actionGroupInvocationOutput") is not None:
            out = obs["actionGroupInvocationOutput"] or {}
            opened = self._close(trace_id, "ag-")
            if opened:
                step, started = opened
                text = str(out.get("text") or "")
                step.ok = not _FAILED.search(text[:400])
                step.detail = _trunc(text, DETAIL_LIMIT)
                if not step.ok:
                    step.error = _trunc(text, DETAIL_LIMIT)
                step.rows = _row_count(text)
                self._finish(step, started, at, out.get("metadata"))
        if obs.get("knowledgeBaseLookupOutput") is not None:
            refs = (obs["knowledgeBaseLookupOutput"] or {}).get("retrievedReferences") or []
            opened = self._close(trace_id, "kb-")
            if opened:
                step, started = opened
                step.rows = len(refs)
                step.detail = f"{len(refs)} reference(s)"
                self._finish(step, started, at, (obs["knowledgeBaseLookupOutput"] or {}).get("metadata"))
            for ref in refs:
                self._source(ref)
        if obs.get("codeInterpreterInvocationOutput") is not None:
            out = obs["codeInterpreterInvocationOutput"] or {}
            opened = self._close(trace_id, "ci-")
            if opened:
                step, started = opened
                step.ok = not out.get("executionError") and not out.get("executionTimeout")
                step.error = None if step.ok else _trunc(out.get("executionError") or "timed out", DETAIL_LIMIT)
                step.detail = _trunc(out.get("executionOutput"), DETAIL_LIMIT)
                self._finish(step, started, at, out.get("metadata"))
        if obs.get("agentCollaboratorInvocationOutput") is not None:
            c = obs["agentCollaboratorInvocationOutput"] or {}
            bedrock_name = c.get("agentCollaboratorName") or c.get("agentCollaboratorAliasArn") or "collaborator"
            who = (agent_name(bedrock_name, self.ctx.settings)
                   or agent_name(c.get("agentCollaboratorAliasArn"), self.ctx.settings) or MANAGER)
            text = ((c.get("output") or {}).get("text")) or ""
            self.answered_by = who if who != MANAGER else self.answered_by
            self._add(Step(kind="handoff", agent=who, name=agent, started_at=at,
                           detail=f"returned {len(text)} characters" if text else "returned",
                           params={"collaborator": bedrock_name}))
        if str(obs.get("type") or "").upper() in ("ASK_USER", "REPROMPT"):
            text = (obs.get("repromptResponse") or {}).get("text") or "the agent asked for more input"
            self._add(Step(kind="note", agent=agent, name="ask_user", detail=_trunc(text, NOTE_LIMIT), started_at=at))
        if obs.get("finalResponse") is not None and agent != MANAGER:
            self.answered_by = agent

    def _source(self, ref: dict[str, Any]) -> None:
        loc = ref.get("location") or {}
        uri = None
        for v in loc.values():
            if isinstance(v, dict):
                uri = v.get("uri") or v.get("url")
                if uri:
                    break
        src = {"type": "knowledge_base", "uri": uri, "location_type": loc.get("type")}
        if src not in self.sources:
            self.sources.append(src)

    def _usage(self, trace: dict[str, Any]) -> None:
        for section in trace.values():
            if not isinstance(section, dict):
                continue
            meta = ((section.get("modelInvocationOutput") or {}).get("metadata") or {})
            for k, v in (meta.get("usage") or {}).items():
                if isinstance(v, int):
                    self.usage[k] = self.usage.get(k, 0) + v

    def _add(self, step: Step) -> Step:
        return self.trace.add(step)

    def finish(self) -> None:
        """Tool calls whose output never came: left as they are (rows unknown), with a note."""
        for step, _ in self._open.values():
            step.detail = step.detail or "no output in the trace"
        self._open.clear()


def _row_count(text: str) -> int | None:
    """Rows in an action group's output when it is JSON with a list of rows; None when unknown."""
    try:
        data = json.loads(text)
    except (TypeError, ValueError):
        return None
    if isinstance(data, list):
        return len(data)
    if isinstance(data, dict):
        for key in ("rows", "data", "results", "records", "items"):
            if isinstance(data.get(key), list):
                return len(data[key])
        if isinstance(data.get("row_count"), int):
            return data["row_count"]
    return None


def _collect(events: Iterable[dict[str, Any]], tr: TraceTranslator, ctx: AgentContext) -> str:
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    parts: list[str] = []
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
                    tr._source(ref)
        elif "trace" in event:
            tr.on_trace(event["trace"] or {})
        elif "returnControl" in event:
            ctx.trace.note(MANAGER, "the agent asked to return control to the caller; revops does not run "
                                    "return-of-control action groups")
        elif "files" in event:
            names = [f.get("name") for f in (event["files"] or {}).get("files") or []]
            ctx.trace.note(MANAGER, f"the agent returned {len(names)} file(s): {', '.join(n for n in names if n)}")
    parts.append(decoder.decode(b"", final=True))
    return "".join(parts)


def run(ctx: AgentContext) -> Answer:
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
    ctx.trace.add(Step(kind="route", agent=MANAGER, name=MANAGER,
                       detail=f"bedrock-agents backend: supervisor agent {agent_id} (alias {alias_id})",
                       params={"query": request.text, "agent_id": agent_id, "agent_alias_id": alias_id,
                               "bedrock_session_id": session_id, "backend": "bedrock-agents"}))
    client = bc.agents_client(settings)
    attempts = bc.max_attempts(settings)

    def once() -> tuple[str, TraceTranslator]:
        mark = len(ctx.trace.steps)
        tr = TraceTranslator(ctx)
        if ctx.on_text is not None:
            ctx.on_text(None)           # a retried attempt streams its answer afresh
        try:
            events = client.invoke_agent(agent_id=str(agent_id), agent_alias_id=str(alias_id), session_id=session_id,
                                         input_text=request.text, enable_trace=True)
            text = _collect(events, tr, ctx)
        except bc.BedrockThrottledError:
            del ctx.trace.steps[mark:]      # a retried attempt starts its trace afresh
            raise
        except Exception as exc:
            tr.finish()
            if not bc.is_aws_error(exc):
                raise
            err = bc.map_error(exc, settings=settings, what="bedrock-agent-runtime InvokeAgent",
                               target=f"agent {agent_id} alias {alias_id}", sdk_retried=False)
            if isinstance(err, bc.BedrockThrottledError):
                del ctx.trace.steps[mark:]
            raise err from None
        tr.finish()
        return text, tr

    def retrying(attempt: int, exc: Exception) -> None:
        ctx.trace.note(MANAGER, f"Bedrock throttled the request; retry {attempt} of {attempts - 1}")

    text, tr = bc.call_with_retries(once, attempts, on_retry=retrying)
    answered_by = tr.answered_by or MANAGER
    data: dict[str, Any] = {
        "backend": "bedrock-agents",
        "bedrock": {"agent_id": agent_id, "agent_alias_id": alias_id, "session_id": session_id,
                    "collaborators": tr.collaborators, "action_groups": tr.action_groups,
                    "knowledge_bases": tr.knowledge_bases},
    }
    if tr.usage:
        data["usage"] = tr.usage
    if request.agent:
        data["requested_agent"] = request.agent
    if not text.strip():
        reason = tr.failures[-1] if tr.failures else "the agent returned no text"
        raise bc.BedrockError(f"the Bedrock agent gave no answer: {reason}",
                              "see the trace (`revops conversations show`) and the agent's CloudWatch logs")
    return Answer(agent=answered_by, text=text.strip() + "\n", data=data, sources=tr.sources, trace=ctx.trace)
