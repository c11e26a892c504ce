"""Bedrock Agents' InvokeAgent events -> our Trace: one record per member of botocore's service model.

`EVENT_HANDLING` names, for every member of every union in the `bedrock-agent-runtime` InvokeAgent response
(and of the "one of" structures `InvocationInput`, `Observation` and `RetrievalResultLocation`), what revops
does with it: a trace step (its name), an error (ok: false, exit 8), a source, a sum into the usage, the
return-of-control round trip, a mapped exception, or a documented no-op. tests/test_bedrock_contract.py walks
the pinned botocore model and fails when a member is missing here (a botocore upgrade added one) or does
not do what its entry says. docs/bedrock.md prints the same table.

`TraceTranslator.on_trace` feeds one `trace` event into the Trace. Tool calls are matched to their outputs
by trace id, in order (two action-group calls of one step share a trace id; each output fills the oldest
open call), and carry the action group's `invocationId`.
"""

from __future__ import annotations

import json
import re
import time
from collections import deque
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from revops_cli.agents.base import AgentContext
from revops_cli.models import AGENTS, Step

MANAGER = "manager"
NOTE_LIMIT = 400
DETAIL_LIMIT = 300


@dataclass(frozen=True)
class Handling:
    """What revops does with one member. effect: step | error | source | usage | return_control | raises | no-op.
    `step`: the name of the step it adds (checked by the contract test)."""

    effect: str
    step: str | None
    doc: str


def _h(effect: str, step: str | None, doc: str) -> Handling:
    return Handling(effect, step, doc)


_EXC = "the stream stops: botocore raises it and revops maps it to one line (throttling retried, exit 3 or 8)"
_MODEL_IN = "no-op: the prompt holds the agent's instructions and is never recorded; the model id goes to data.bedrock.models"
_MODEL_OUT_USAGE = "usage: metadata.usage summed into data.usage; the raw response is not recorded"

EVENT_HANDLING: dict[str, Handling] = {
    # the event stream
    "ResponseStream.chunk": _h("step", None, "the answer text: streamed to the terminal, citations become sources"),
    "ResponseStream.trace": _h("step", None, "one of the Trace members below"),
    "ResponseStream.returnControl": _h("return_control", "return_control",
                                       "revops runs the requested tools and sends returnControlInvocationResults"),
    "ResponseStream.files": _h("step", "files", "note `files`: the names of the files the agent returned"),
    **{f"ResponseStream.{e}": _h("raises", None, _EXC) for e in (
        "accessDeniedException", "badGatewayException", "conflictException", "dependencyFailedException",
        "internalServerException", "modelNotReadyException", "resourceNotFoundException",
        "serviceQuotaExceededException", "throttlingException", "validationException")},
    # Trace
    "Trace.orchestrationTrace": _h("step", None, "one of the OrchestrationTrace members below"),
    "Trace.routingClassifierTrace": _h("step", None, "as orchestration; a route's reason is the routing classifier"),
    "Trace.preProcessingTrace": _h("step", None, "one of the PreProcessingTrace members below"),
    "Trace.postProcessingTrace": _h("step", None, "one of the PostProcessingTrace members below"),
    "Trace.failureTrace": _h("error", "bedrock_failure", "error step `bedrock_failure_<code>`; the answer is ok: false, exit 8"),
    "Trace.guardrailTrace": _h("error", "guardrail",
                               "action INTERVENED: error step `guardrail` naming the policies, ok: false, exit 8; "
                               "action NONE: a note `guardrail`"),
    "Trace.customOrchestrationTrace": _h("step", "custom_orchestration", "note `custom_orchestration` with the event text"),
    # OrchestrationTrace / RoutingClassifierTrace / Pre- and PostProcessingTrace
    "OrchestrationTrace.rationale": _h("step", "rationale", "note `rationale` (400 characters)"),
    "OrchestrationTrace.invocationInput": _h("step", None, "one of the InvocationInput members below"),
    "OrchestrationTrace.observation": _h("step", None, "one of the Observation members below"),
    "OrchestrationTrace.modelInvocationInput": _h("no-op", None, _MODEL_IN),
    "OrchestrationTrace.modelInvocationOutput": _h("usage", None, _MODEL_OUT_USAGE + "; reasoning text: note `reasoning`"),
    "RoutingClassifierTrace.invocationInput": _h("step", None, "one of the InvocationInput members below"),
    "RoutingClassifierTrace.observation": _h("step", None, "one of the Observation members below"),
    "RoutingClassifierTrace.modelInvocationInput": _h("no-op", None, _MODEL_IN),
    "RoutingClassifierTrace.modelInvocationOutput": _h("usage", None, _MODEL_OUT_USAGE),
    "PreProcessingTrace.modelInvocationInput": _h("no-op", None, _MODEL_IN),
    "PreProcessingTrace.modelInvocationOutput": _h("step", "preprocessing",
                                                   "note `preprocessing`: the input judged valid or not, and why; "
                                                   "usage summed"),
    "PostProcessingTrace.modelInvocationInput": _h("no-op", None, _MODEL_IN),
    "PostProcessingTrace.modelInvocationOutput": _h("step", "postprocessing",
                                                    "note `postprocessing` with the rewritten answer (400 characters); "
                                                    "usage summed"),
    "ReasoningContentBlock.reasoningText": _h("step", "reasoning", "note `reasoning` (400 characters)"),
    "ReasoningContentBlock.redactedContent": _h("no-op", None, "no-op: encrypted reasoning, nothing to show"),
    # InvocationInput (one of)
    "InvocationInput.actionGroupInvocationInput": _h(
        "step", "tool", "tool step `<actionGroupName>/<function>` or `<group>/<VERB> <apiPath>`; params: the "
                        "parameters and the request body's properties (every media type), `invocation_id`"),
    "InvocationInput.agentCollaboratorInvocationInput": _h(
        "step", "handoff", "route (the supervisor's first) and handoff caller -> collaborator; "
                           "return-of-control results passed down are counted in the detail"),
    "InvocationInput.knowledgeBaseLookupInput": _h("step", "knowledge_base_lookup", "tool step `knowledge_base_lookup`"),
    "InvocationInput.codeInterpreterInvocationInput": _h("step", "code_interpreter", "tool step `code_interpreter`"),
    # Observation (one of)
    "Observation.actionGroupInvocationOutput": _h("step", "tool", "fills the oldest open tool step of its trace id: "
                                                                  "ok, detail, rows, duration"),
    "Observation.agentCollaboratorInvocationOutput": _h("step", "handoff", "handoff collaborator -> caller; a "
                                                                           "return of control passed up is named"),
    "Observation.knowledgeBaseLookupOutput": _h("step", "knowledge_base_lookup", "fills the look-up: rows = "
                                                                                 "references; locations become sources"),
    "Observation.codeInterpreterInvocationOutput": _h("step", "code_interpreter", "fills the code step: ok, output, error"),
    "Observation.finalResponse": _h("step", "final_response", "note `final_response` by the agent that answered "
                                                              "(Answer.agent)"),
    "Observation.repromptResponse": _h("step", "ask_user", "note `ask_user` with the agent's question"),
    # return of control
    "InvocationInputMember.functionInvocationInput": _h("return_control", "return_control",
                                                        "runs the revops tool named by `function`"),
    "InvocationInputMember.apiInvocationInput": _h("return_control", "return_control",
                                                   "runs the revops tool named by the last part of `apiPath`"),
    "InvocationResultMember.functionResult": _h("step", "handoff", "passed between agents: counted in the handoff"),
    "InvocationResultMember.apiResult": _h("step", "handoff", "passed between agents: counted in the handoff"),
    "ImageInputSource.bytes": _h("no-op", None, "no-op: an image in a result passed between agents"),
    "Caller.agentAliasArn": _h("step", None, "names the acting agent of the event (the last of the caller chain)"),
    # knowledge-base locations: every kind becomes a source
    **{f"RetrievalResultLocation.{k}": _h("source", None, "a source {type: knowledge_base, uri, location_type}")
       for k in ("s3Location", "webLocation", "confluenceLocation", "salesforceLocation", "sharePointLocation",
                 "customDocumentLocation", "kendraDocumentLocation", "sqlLocation", "googleDriveLocation",
                 "oneDriveLocation")},
}

# The structures that hold exactly one of their structure members, like a union (botocore does not mark them).
ONE_OF_SHAPES = ("InvocationInput", "Observation", "RetrievalResultLocation")

# Bedrock agent ids of the reference system (revops-ai-framework v5), and the words of agent names.
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


def trunc(text: Any, limit: int) -> str:
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


def body_parameters(request_body: Any) -> list[dict[str, Any]]:
    """The parameters of an OpenAPI request body, whichever shape it has.

    In a trace (`RequestBody.content`) each media type maps to a *list* of parameters; in a return of control
    (`ApiRequestBody.content`) to `{"properties": [...]}`. Every media type's parameters, in order."""
    out: list[dict[str, Any]] = []
    content = (request_body or {}).get("content") if isinstance(request_body, dict) else None
    for value in (content or {}).values():
        if isinstance(value, dict):
            value = value.get("properties")
        for p in value or []:
            if isinstance(p, dict):
                out.append(p)
    return out


def action_params(inp: dict[str, Any]) -> dict[str, Any]:
    """An action group call's parameters (function parameters, API parameters, request body) by name."""
    params: dict[str, Any] = {}
    for p in list(inp.get("parameters") or []) + body_parameters(inp.get("requestBody")):
        if not isinstance(p, dict):
            continue
        name, value = str(p.get("name") or "value"), p.get("value")
        if name.lower() in ("query", "sql", "sql_query", "statement") and isinstance(value, str) and _SQLISH.match(value):
            name = "sql"            # the exports' data operations look for it
        params[name] = value
    return params


def row_count(text: str) -> int | None:
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


def _guardrail_policies(g: dict[str, Any]) -> list[str]:
    """What a guardrail acted on: 'content filter VIOLENCE', 'denied topic Investment advice', 'PII EMAIL'..."""
    found: list[str] = []
    for a in list(g.get("inputAssessments") or []) + list(g.get("outputAssessments") or []):
        for f in ((a.get("contentPolicy") or {}).get("filters") or []):
            found.append(f"content filter {f.get('type')}")
        for t in ((a.get("topicPolicy") or {}).get("topics") or []):
            found.append(f"denied topic {t.get('name')}")
        sip = a.get("sensitiveInformationPolicy") or {}
        found += [f"sensitive information {p.get('type')}" for p in sip.get("piiEntities") or []]
        found += [f"sensitive information {r.get('name') or 'regex'}" for r in sip.get("regexes") or []]
        words = a.get("wordPolicy") or {}
        if words.get("customWords") or words.get("managedWordLists"):
            found.append("word filter")
    return list(dict.fromkeys(x for x in found if x))


class TraceTranslator:
    """Feeds Bedrock `trace` events into our Trace."""

    def __init__(self, ctx: AgentContext):
        self.ctx = ctx
        self.trace = ctx.trace
        self.usage: dict[str, int] = {}
        self.collaborators: list[str] = []          # Bedrock collaborator names, in order
        self.action_groups: list[str] = []
        self.knowledge_bases: list[str] = []
        self.models: list[str] = []
        self.sources: list[dict[str, Any]] = []
        self.answered_by: str | None = None         # the last collaborator to return output
        self.routed = False
        self.failures: list[str] = []               # failure traces: the answer is an error
        self.interventions: list[str] = []          # guardrail interventions: the answer is an error
        self._open: dict[str, deque[tuple[Step, float]]] = {}   # "<kind>:<traceId>" -> open tool steps, in order
        self._last_rationale: str | None = None

    def checkpoint(self) -> dict[str, Any]:
        """The translator's state, to restore when an attempt is thrown away (throttled mid-stream)."""
        import copy

        return {k: copy.copy(v) if k not in ("ctx", "trace", "_open") else v for k, v in vars(self).items()} | {
            "_open": {k: deque(q) for k, q in self._open.items()}}

    def restore(self, state: dict[str, Any]) -> None:
        vars(self).update(state)

    # -- who is acting ----------------------------------------------------------------------------
    def actor(self, part: dict[str, Any]) -> str:
        s = self.ctx.settings
        chain = part.get("callerChain") or [{}]
        for candidate in (part.get("collaboratorName"), (chain[-1] or {}).get("agentAliasArn"), part.get("agentId")):
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
            self._orchestration(trace["orchestrationTrace"] or {}, agent, at)
        if "routingClassifierTrace" in trace:
            self._orchestration(trace["routingClassifierTrace"] or {}, agent, at, routing=True)
        if "preProcessingTrace" in trace:
            self._preprocessing(trace["preProcessingTrace"] or {}, agent, at)
        if "postProcessingTrace" in trace:
            self._postprocessing(trace["postProcessingTrace"] or {}, agent, at)
        if "failureTrace" in trace:
            f = trace["failureTrace"] or {}
            reason = trunc(f.get("failureReason") or "the agent failed", DETAIL_LIMIT)
            code = f.get("failureCode")
            self.failures.append(reason)
            self._add(Step(kind="error", agent=agent, name=f"bedrock_failure{'_' + str(code) if code is not None else ''}",
                           detail=reason, ok=False, error=reason, started_at=at))
        if "guardrailTrace" in trace:
            self._guardrail(trace["guardrailTrace"] or {}, agent, at)
        if "customOrchestrationTrace" in trace:
            ev = (trace["customOrchestrationTrace"] or {}).get("event") or {}
            self._add(Step(kind="note", agent=agent, name="custom_orchestration",
                           detail=trunc(ev.get("text") or "custom orchestration event", NOTE_LIMIT), started_at=at))

    def _guardrail(self, g: dict[str, Any], agent: str, at: float) -> None:
        policies = _guardrail_policies(g)
        if str(g.get("action") or "").upper() == "INTERVENED":
            what = "a Bedrock guardrail intervened" + (f" ({', '.join(policies)})" if policies else "")
            self.interventions.append(what)
            self._add(Step(kind="error", agent=agent, name="guardrail", detail=what, ok=False, error=what,
                           started_at=at))
        else:
            self._add(Step(kind="note", agent=agent, name="guardrail", started_at=at,
                           detail="a Bedrock guardrail checked the text and let it pass"))

    def _model_output(self, out: dict[str, Any], agent: str, at: float) -> None:
        reasoning = ((out.get("reasoningContent") or {}).get("reasoningText") or {}).get("text")
        if reasoning:
            self._add(Step(kind="note", agent=agent, name="reasoning", detail=trunc(reasoning, NOTE_LIMIT),
                           started_at=at))

    def _model_input(self, inp: dict[str, Any]) -> None:
        model = inp.get("foundationModel")
        if model and model not in self.models:
            self.models.append(model)

    def _preprocessing(self, p: dict[str, Any], agent: str, at: float) -> None:
        self._model_input(p.get("modelInvocationInput") or {})
        out = p.get("modelInvocationOutput")
        if out is None:
            return
        parsed = (out or {}).get("parsedResponse") or {}
        valid = parsed.get("isValid")
        verdict = ("the input was judged invalid" if valid is False else
                   "the input was judged valid" if valid else "pre-processing ran")
        why = trunc(parsed.get("rationale"), NOTE_LIMIT - len(verdict) - 2)
        self._add(Step(kind="note", agent=agent, name="preprocessing", detail=f"{verdict}: {why}" if why else verdict,
                       started_at=at))
        self._model_output(out or {}, agent, at)

    def _postprocessing(self, p: dict[str, Any], agent: str, at: float) -> None:
        self._model_input(p.get("modelInvocationInput") or {})
        out = p.get("modelInvocationOutput")
        if out is None:
            return
        text = ((out or {}).get("parsedResponse") or {}).get("text")
        self._add(Step(kind="note", agent=agent, name="postprocessing",
                       detail=trunc(text, NOTE_LIMIT) if text else "post-processing ran", started_at=at))
        self._model_output(out or {}, agent, at)

    def _orchestration(self, o: dict[str, Any], agent: str, at: float, routing: bool = False) -> None:
        self._model_input(o.get("modelInvocationInput") or {})
        if o.get("modelInvocationOutput"):
            self._model_output(o["modelInvocationOutput"], agent, at)
        if o.get("rationale") is not None:
            rationale = (o["rationale"] or {}).get("text") or "(no text)"
            self._last_rationale = trunc(rationale, NOTE_LIMIT)
            self._add(Step(kind="note", agent=agent, name="rationale", detail=self._last_rationale, started_at=at))
        inv = o.get("invocationInput") or {}
        trace_id = str(inv.get("traceId") or (o.get("observation") or {}).get("traceId") or "")
        if inv.get("agentCollaboratorInvocationInput") is not None:
            self._collaborator_input(inv["agentCollaboratorInvocationInput"] or {}, agent, at, routing)
        if inv.get("actionGroupInvocationInput") is not None:
            a = inv["actionGroupInvocationInput"] or {}
            group = a.get("actionGroupName") or "action_group"
            op = a.get("function") or " ".join(x for x in (a.get("verb"), a.get("apiPath")) if x) or "invoke"
            name = f"{group}/{op}"
            if name not in self.action_groups:
                self.action_groups.append(name)
            params = {"action_group": group, **action_params(a)}
            if a.get("invocationId"):
                params["invocation_id"] = a["invocationId"]
            step = self._add(Step(kind="tool", agent=agent, name=name, params=params, started_at=at, rows=None))
            self._push("ag", trace_id, step, at)
        if inv.get("knowledgeBaseLookupInput") is not None:
            k = inv["knowledgeBaseLookupInput"] or {}
            kb = k.get("knowledgeBaseId") or "knowledge_base"
            if kb not in self.knowledge_bases:
                self.knowledge_bases.append(kb)
            step = self._add(Step(kind="tool", agent=agent, name="knowledge_base_lookup", started_at=at,
                                  params={"knowledge_base_id": kb, "query": trunc(k.get("text"), DETAIL_LIMIT)}))
            self._push("kb", trace_id, step, at)
        if inv.get("codeInterpreterInvocationInput") is not None:
            c = inv["codeInterpreterInvocationInput"] or {}
            step = self._add(Step(kind="tool", agent=agent, name="code_interpreter", started_at=at,
                                  params={"code": trunc(c.get("code"), DETAIL_LIMIT), "files": list(c.get("files") or [])}))
            self._push("ci", trace_id, step, at)
        obs = o.get("observation")
        if obs is not None:
            self._observation(obs or {}, agent, at, trace_id)

    def _collaborator_input(self, c: dict[str, Any], agent: str, at: float, routing: bool) -> None:
        bedrock_name = c.get("agentCollaboratorName") or c.get("agentCollaboratorAliasArn") or "collaborator"
        target = (agent_name(bedrock_name, self.ctx.settings)
                  or agent_name(c.get("agentCollaboratorAliasArn"), self.ctx.settings) or str(bedrock_name))
        if bedrock_name not in self.collaborators:
            self.collaborators.append(bedrock_name)
        payload = c.get("input") or {}
        what = trunc(payload.get("text"), DETAIL_LIMIT)
        results = (payload.get("returnControlResults") or {}).get("returnControlInvocationResults") or []
        if results:
            what = (what + "; " if what else "") + f"passes the results of {len(results)} returned call(s)"
        if not self.routed and agent == MANAGER:
            self.routed = True
            reason = ("the Bedrock routing classifier picked it" if routing else
                      self._last_rationale or f"the Bedrock supervisor invoked {bedrock_name}")
            self._add(Step(kind="route", agent=MANAGER, name=target, detail=reason, started_at=at,
                           params={"collaborator": bedrock_name, "backend": "bedrock-agents"}))
        self._add(Step(kind="handoff", agent=agent, name=target, detail=what or f"invoke {bedrock_name}",
                       started_at=at, params={"collaborator": bedrock_name}))

    def _push(self, kind: str, trace_id: str, step: Step, at: float) -> None:
        self._open.setdefault(f"{kind}:{trace_id}", deque()).append((step, at))

    def _pop(self, kind: str, trace_id: str) -> tuple[Step, float] | None:
        """The oldest open step of this kind and trace id; without a match, the oldest open step of the kind."""
        queue = self._open.get(f"{kind}:{trace_id}")
        if not queue:
            queue = next((q for key, q in self._open.items() if key.startswith(kind + ":") and q), None)
        return queue.popleft() if queue else None

    @staticmethod
    def _finish(step: Step, started: float, at: float, meta: dict[str, Any] | None) -> None:
        total = (meta or {}).get("totalTimeMs")
        step.duration_ms = float(total) if total is not None else max(0.0, round((at - started) * 1000, 3))

    def _observation(self, obs: dict[str, Any], agent: str, at: float, trace_id: str) -> None:
        if obs.get("actionGroupInvocationOutput") is not None:
            out = obs["actionGroupInvocationOutput"] or {}
            opened = self._pop("ag", trace_id)
            if opened is None:      # an output whose call we never saw: still a tool step
                opened = (self._add(Step(kind="tool", agent=agent, name="action_group", started_at=at)), at)
            step, started = opened
            text = str(out.get("text") or "")
            step.ok = not _FAILED.search(text[:400])
            step.detail = trunc(text, DETAIL_LIMIT)
            if not step.ok:
                step.error = trunc(text, DETAIL_LIMIT)
            step.rows = row_count(text)
            self._finish(step, started, at, out.get("metadata"))
        if obs.get("knowledgeBaseLookupOutput") is not None:
            out = obs["knowledgeBaseLookupOutput"] or {}
            refs = out.get("retrievedReferences") or []
            opened = self._pop("kb", trace_id) or (
                self._add(Step(kind="tool", agent=agent, name="knowledge_base_lookup", started_at=at)), at)
            step, started = opened
            step.rows = len(refs)
            step.detail = f"{len(refs)} reference(s)"
            self._finish(step, started, at, out.get("metadata"))
            for ref in refs:
                self.source(ref)
        if obs.get("codeInterpreterInvocationOutput") is not None:
            out = obs["codeInterpreterInvocationOutput"] or {}
            opened = self._pop("ci", trace_id) or (
                self._add(Step(kind="tool", agent=agent, name="code_interpreter", started_at=at)), at)
            step, started = opened
            step.ok = not out.get("executionError") and not out.get("executionTimeout")
            step.error = None if step.ok else trunc(out.get("executionError") or "timed out", DETAIL_LIMIT)
            step.detail = trunc(out.get("executionOutput"), DETAIL_LIMIT)
            self._finish(step, started, at, out.get("metadata"))
        if obs.get("agentCollaboratorInvocationOutput") is not None:
            c = obs["agentCollaboratorInvocationOutput"] or {}
            bedrock_name = c.get("agentCollaboratorName") or c.get("agentCollaboratorAliasArn") or "collaborator"
            who = (agent_name(bedrock_name, self.ctx.settings)
                   or agent_name(c.get("agentCollaboratorAliasArn"), self.ctx.settings) or MANAGER)
            payload = c.get("output") or {}
            text = payload.get("text") or ""
            detail = f"returned {len(text)} characters" if text else "returned"
            roc = payload.get("returnControlPayload")
            if roc is not None:
                n = len((roc or {}).get("invocationInputs") or [])
                detail += f"; asked its caller to run {n} action(s) (return of control)"
            self.answered_by = who if who != MANAGER else self.answered_by
            self._add(Step(kind="handoff", agent=who, name=agent, started_at=at, detail=detail,
                           params={"collaborator": bedrock_name}))
        if obs.get("repromptResponse") is not None or str(obs.get("type") or "").upper() in ("ASK_USER", "REPROMPT"):
            text = (obs.get("repromptResponse") or {}).get("text") or "the agent asked for more input"
            self._add(Step(kind="note", agent=agent, name="ask_user", detail=trunc(text, NOTE_LIMIT), started_at=at))
        if obs.get("finalResponse") is not None:
            if agent != MANAGER:
                self.answered_by = agent
            text = (obs["finalResponse"] or {}).get("text") or ""
            self._add(Step(kind="note", agent=agent, name="final_response", started_at=at,
                           detail=f"answered ({len(text)} characters)"))

    def source(self, ref: dict[str, Any]) -> None:
        """A retrieved reference (knowledge base or citation) as a source: its location, whatever kind."""
        loc = ref.get("location") or {}
        uri = None
        for v in loc.values():
            if isinstance(v, dict):
                uri = v.get("uri") or v.get("url") or v.get("id") or v.get("query")
                if uri:
                    break
        src = {"type": "knowledge_base", "uri": uri, "location_type": loc.get("type")}
        if src not in self.sources:
            self.sources.append(src)

    def _usage(self, trace: dict[str, Any]) -> None:
        for section in trace.values():
            if not isinstance(section, dict):
                continue
            metas = [((section.get("modelInvocationOutput") or {}).get("metadata") or {})]
            metas.append(section.get("metadata") or {})            # failure and guardrail traces carry their own
            for meta in metas:
                for k, v in ((meta or {}).get("usage") or {}).items():
                    if isinstance(v, int) and not isinstance(v, bool):
                        self.usage[k] = self.usage.get(k, 0) + v

    def _add(self, step: Step) -> Step:
        return self.trace.add(step)

    def finish(self) -> None:
        """Tool calls whose output never came: left as they are (rows unknown), with a note."""
        for queue in self._open.values():
            for step, _ in queue:
                step.detail = step.detail or "no output in the trace"
        self._open.clear()
