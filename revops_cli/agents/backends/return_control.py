"""Return of control: a deployed Bedrock agent asks revops to run an action group's call, and gets the result.

An action group configured with `RETURN_CONTROL` does not call a Lambda: InvokeAgent ends with a
`returnControl` event (`invocationId`, `invocationInputs`: function or API calls). revops runs each call as
one of its own tools (tools.py, through the same ToolRunner as the model-driven backends, traced under the
tool's agent) and sends the results back in the next InvokeAgent's
`sessionState.returnControlInvocationResults`, with the same `invocationId`, in the order asked.

Which tool: the `function` name, or the last part of the `apiPath` (`POST /run_sql` -> run_sql); the
reference system's Firebolt action (`query_fire`, `POST /query`) is `run_sql`. Parameters are the function
parameters, the API parameters and the request body's properties, converted by their declared type.

Read-only tools run at once. `propose_action` (the only tool that can change anything) follows the
confirmation flow of every backend: without `--yes` it is a dry run (the answer's pending actions, stored
as `act_…` by the service, run by `revops execute --confirm act_…`), and the agent is told it awaits
confirmation; with `--yes` it runs. A call whose `actionInvocationType` asks for the user's confirmation is
answered CONFIRM for read-only tools and for confirmed requests, DENY otherwise.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from revops_cli.agents.backends.bedrock_trace import action_params, agent_name, trunc
from revops_cli.agents.backends.tool_runner import ToolCall, ToolResult, ToolRunner
from revops_cli.agents.backends.tools import TOOL_OWNERS
from revops_cli.models import Step

MANAGER = "manager"
ALIASES = {"query_fire": "run_sql", "query": "run_sql", "firebolt_query": "run_sql", "sql": "run_sql",
           "execute_sql": "run_sql", "run_query": "run_sql", "pattern": "run_sql_pattern",
           "deal": "deal_analysis", "lead": "lead_analysis", "research": "company_research",
           "calls": "calls_search", "action": "propose_action"}
ARG_ALIASES = {"run_sql": {"query": "sql", "sql_query": "sql", "statement": "sql"}}
CONFIRMING = ("USER_CONFIRMATION", "USER_CONFIRMATION_AND_RESULT")


@dataclass
class Invocation:
    """One call of a return of control: which member it came as, and the revops tool it maps to."""

    kind: str                       # "function" | "api"
    raw: dict[str, Any]
    tool: str | None
    args: dict[str, Any]

    @property
    def label(self) -> str:
        r = self.raw
        op = r.get("function") if self.kind == "function" else f"{r.get('httpMethod') or 'POST'} {r.get('apiPath')}"
        return f"{r.get('actionGroup') or 'action_group'}/{op}"


def tool_name(raw_name: str | None) -> str | None:
    """Our tool for a function name or API path; None when there is none."""
    if not raw_name:
        return None
    n = str(raw_name).strip().strip("/").split("/")[-1].lower().replace("-", "_")
    if n in TOOL_OWNERS:
        return n
    return ALIASES.get(n)


def typed(value: Any, kind: str | None) -> Any:
    """A parameter's string value as its declared type (integer, number, boolean, array, object)."""
    if not isinstance(value, str):
        return value
    k = (kind or "string").lower()
    try:
        if k == "integer":
            return int(value)
        if k == "number":
            return float(value)
        if k == "boolean":
            return value.strip().lower() in ("true", "1", "yes")
        if k in ("array", "object"):
            return json.loads(value)
    except ValueError:
        return value
    return value


def invocations(payload: dict[str, Any]) -> list[Invocation]:
    out: list[Invocation] = []
    for member in payload.get("invocationInputs") or []:
        member = member or {}
        if member.get("functionInvocationInput") is not None:
            kind, raw = "function", member["functionInvocationInput"] or {}
            name = raw.get("function")
        elif member.get("apiInvocationInput") is not None:
            kind, raw = "api", member["apiInvocationInput"] or {}
            name = raw.get("apiPath")
        else:                                        # a member this botocore does not know: answered as a failure
            kind, raw, name = "function", {"actionGroup": "unknown", "function": "unknown"}, None
        tool = tool_name(name)
        kinds = {str(p.get("name")): p.get("type") for p in (raw.get("parameters") or []) if isinstance(p, dict)}
        args = {}
        for key, value in action_params({"parameters": raw.get("parameters"), "requestBody": raw.get("requestBody")}).items():
            args[key] = typed(value, kinds.get(key))
        for old, new in ARG_ALIASES.get(tool or "", {}).items():
            if old in args and new not in args:
                args[new] = args.pop(old)
        out.append(Invocation(kind=kind, raw=raw, tool=tool, args=args))
    return out


def _result_member(inv: Invocation, result: ToolResult | None, error: str | None, confirmation: str | None
                   ) -> dict[str, Any]:
    ok = result is not None and result.ok
    body = result.text() if result is not None else f"error: {error}"
    r = inv.raw
    if inv.kind == "api":
        member: dict[str, Any] = {"actionGroup": r.get("actionGroup") or "action_group",
                                  "httpMethod": r.get("httpMethod") or "POST", "apiPath": r.get("apiPath") or "/",
                                  "httpStatusCode": 200 if ok else 400,
                                  "responseBody": {"application/json": {"body": body}}}
    else:
        member = {"actionGroup": r.get("actionGroup") or "action_group", "function": r.get("function") or "unknown",
                  "responseBody": {"TEXT": {"body": body}}}
    if r.get("agentId"):
        member["agentId"] = r["agentId"]
    if not ok:
        member["responseState"] = "FAILURE"
    if confirmation:
        member["confirmationState"] = confirmation
    return {"apiResult" if inv.kind == "api" else "functionResult": member}


def run_invocations(ctx: Any, runner: ToolRunner, payload: dict[str, Any]) -> list[dict[str, Any]]:
    """Run a returnControl payload's calls; the `returnControlInvocationResults`, in the order asked."""
    calls = invocations(payload)
    invocation_id = payload.get("invocationId")
    who = next((agent_name(c.raw.get("collaboratorName") or c.raw.get("agentId"), ctx.settings)
                for c in calls if c.raw.get("collaboratorName") or c.raw.get("agentId")), None) or MANAGER
    ctx.trace.add(Step(kind="note", agent=who, name="return_control",
                       detail=f"the agent returned control to run {len(calls)} call(s): "
                              + ", ".join(c.label for c in calls),
                       params={"invocation_id": invocation_id, "calls": [c.label for c in calls],
                               "tools": [c.tool for c in calls]}))
    results: list[dict[str, Any]] = []
    for i, inv in enumerate(calls):
        confirm_type = str(inv.raw.get("actionInvocationType") or "RESULT").upper()
        if inv.tool is None:
            error = (f"revops has no tool for {inv.label}; tools: {', '.join(TOOL_OWNERS)}")
            ctx.trace.add(Step(kind="tool", agent=who, name=inv.label, params=dict(inv.args), ok=False,
                               error=trunc(error, 300), detail="return of control: no such revops tool"))
            results.append(_result_member(inv, None, error, "DENY" if confirm_type in CONFIRMING else None))
            continue
        read_only = inv.tool != "propose_action"
        confirmation = None
        if confirm_type in CONFIRMING:
            confirmation = "CONFIRM" if (read_only or ctx.request.confirm) else "DENY"
        call = ToolCall(id=f"{invocation_id or 'roc'}:{i}", name=inv.tool, args=inv.args)
        result = runner.run(call)
        results.append(_result_member(inv, result, None, confirmation))
    return results
