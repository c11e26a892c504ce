"""Runs a model's tool calls against the local agents, whatever wire format the call came in.

    ToolRunner(ctx).run(ToolCall(id, name, args)) -> ToolResult(ok, payload | error)

Every call lands in the trace under the agent that owns the tool (tools.py): a `handoff` from the manager
for the specialists, and a `tool` step (the inner SQL pattern's own step for run_sql_pattern, run_sql and
company_research, a wrapper step for the others) whose detail names the model's call id. A failure the model
can fix (an unknown pattern, refused SQL, a name that matches nothing) is a RevopsError: it becomes an error
result that goes back to the model, and the step is marked failed. The runner remembers what a final Answer
needs: the deal / person / company discussed, the pending actions, the sources, and the calls per agent.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any, Callable

from revops_cli.agents.backends.tools import MANAGER, TOOL_OWNERS
from revops_cli.agents.base import AgentContext, Task
from revops_cli.errors import RevopsError, UsageError
from revops_cli.models import Answer, Step

RESULT_ROWS = 50                 # rows of a query result sent back to the model
TEXT_LIMIT = 6000                # characters of an agent's write-up sent back to the model
SESSION_KEYS = ("opportunity", "account", "person", "company")


@dataclass
class ToolCall:
    """One call the model asked for. `bad_args`: why its arguments could not be read (sent back as the error)."""

    id: str | None
    name: str
    args: dict[str, Any]
    bad_args: str | None = None


@dataclass
class ToolResult:
    call: ToolCall
    ok: bool
    payload: dict[str, Any] | None = None      # the tool's JSON result when ok
    error: str | None = None                   # the one-line error otherwise

    def text(self) -> str:
        """The result as one string (wire formats whose tool results are text)."""
        return json.dumps(self.payload, ensure_ascii=False) if self.ok else f"error: {self.error}"


def plain(obj: Any) -> Any:
    """JSON-safe copy (dates, decimals) of a tool result."""
    from revops_cli.formatting import json_default

    return json.loads(json.dumps(obj, default=json_default))


def rows_payload(result: Any, **extra: Any) -> dict[str, Any]:
    records = result.records()
    return plain({**extra, "columns": list(result.columns), "row_count": len(result.rows),
                  "truncated": bool(result.truncated) or len(records) > RESULT_ROWS,
                  "rows": records[:RESULT_ROWS],
                  # A mapped warehouse: the data this result could not contain, so the model does not read 0 as fact.
                  **({"model": result.meta["model"]} if result.meta.get("model") else {})})


def metrics_receipt(plan: Any) -> dict[str, Any]:
    """What a metrics result must carry for the model to answer honestly: each measure's definition, the
    period, and what this warehouse does not have (an unavailable measure is null, not 0)."""
    out: dict[str, Any] = {"measures": dict(plan.measures)}
    if plan.query is not None and plan.query.period:
        out["period"] = {"start": plan.query.period[0].isoformat(), "end": plan.query.period[1].isoformat()}
    for key in ("dimensions", "unavailable", "missing", "approximations"):
        if getattr(plan, key):
            out[key] = dict(getattr(plan, key))
    return out


def cut_text(s: str) -> str:
    return s if len(s) <= TEXT_LIMIT else s[:TEXT_LIMIT] + "\n…(cut)"


class ToolRunner:
    """Runs the model's tool calls against the local agents; remembers what a final Answer needs."""

    # tools whose inner code records a tool step of the same name get no wrapper step
    SELF_TRACED = ("run_sql_pattern", "run_sql", "company_research", "query_metrics")

    def __init__(self, ctx: AgentContext):
        self.ctx = ctx
        self.calls: Counter[str] = Counter()          # owner agent -> model tool calls
        self.entities: dict[str, Any] = {}            # the deal / person / company discussed
        self.pending_actions: list[dict[str, Any]] = []
        self.sources: list[dict[str, Any]] = []
        self.handlers: dict[str, Callable[[dict[str, Any], Step | None], dict[str, Any]]] = {
            "run_sql_pattern": self.run_sql_pattern, "run_sql": self.run_sql, "deal_analysis": self.deal_analysis,
            "lead_analysis": self.lead_analysis, "company_research": self.company_research,
            "calls_search": self.calls_search, "propose_action": self.propose_action,
            "query_metrics": self.query_metrics,
        }

    @property
    def total_calls(self) -> int:
        return sum(self.calls.values())

    def main_agent(self) -> str:
        """The agent whose tools the model called most ("manager" if none)."""
        ranked = [a for a, _ in self.calls.most_common() if a != MANAGER]
        return ranked[0] if ranked else MANAGER

    def run(self, call: ToolCall) -> ToolResult:
        name, args = call.name, call.args
        owner = TOOL_OWNERS.get(name, MANAGER)
        self.calls[owner] += 1
        trace = self.ctx.trace
        if owner not in ("data", MANAGER):
            trace.handoff(MANAGER, owner, f"the model called {name}")
        wrapper: Step | None = None
        if name not in self.SELF_TRACED or call.bad_args:
            wrapper = trace.add(Step(kind="tool", agent=owner, name=name or "unknown_tool", params=dict(args),
                                     detail=f"model tool call {call.id}"))
        mark = len(trace.steps)
        started = time.perf_counter()
        try:
            if call.bad_args:
                raise UsageError(call.bad_args, "send the arguments as one JSON object")
            handler = self.handlers.get(name)
            if handler is None:
                raise UsageError(f"unknown tool {name!r}", f"tools: {', '.join(self.handlers)}")
            result = ToolResult(call, True, payload=handler(args, wrapper))
        except RevopsError as exc:
            if wrapper is None and len(trace.steps) == mark:   # failed before its own step was recorded
                trace.add(Step(kind="tool", agent=owner, name=name, params=dict(args), ok=False, error=exc.one_line()))
            if wrapper is not None:
                wrapper.ok, wrapper.error = False, exc.one_line()
            result = ToolResult(call, False, error=exc.one_line())
        if wrapper is not None:
            wrapper.duration_ms = round((time.perf_counter() - started) * 1000, 3)
        elif len(trace.steps) > mark and trace.steps[mark].kind == "tool":
            trace.steps[mark].detail = trace.steps[mark].detail or f"model tool call {call.id}"
        return result

    def session_data(self) -> dict[str, Any]:
        """The entities an Answer's data carries, so a follow-up question knows what was discussed."""
        return {k: self.entities[k] for k in SESSION_KEYS if self.entities.get(k)}

    def _remember(self, answer: Answer) -> None:
        """What a later tool of this request builds on (an action "about the risks" reads the last analysis)."""
        self.sources += answer.sources
        self.ctx.session.update({k: v for k, v in self.entities.items() if v})
        self.ctx.session["last_answer"] = {"agent": answer.agent, "answer": answer.text, "data": answer.data}

    # -- the tools ------------------------------------------------------------------------------------
    @staticmethod
    def _arg(args: dict[str, Any], key: str, required: bool = True) -> str | None:
        v = args.get(key)
        if v is None or (isinstance(v, str) and not v.strip()):
            if required:
                raise UsageError(f"missing argument {key!r}", f"pass {key}")
            return None
        return str(v).strip()

    def run_sql_pattern(self, args: dict[str, Any], _: Step | None) -> dict[str, Any]:
        pattern = self._arg(args, "pattern")
        params = args.get("params") or {}
        if not isinstance(params, dict):
            raise UsageError("params must be an object of parameter names and values", "e.g. {\"limit\": 10}")
        result = self.ctx.run_pattern("data", pattern, **params)
        return rows_payload(result, pattern=pattern)

    def run_sql(self, args: dict[str, Any], _: Step | None) -> dict[str, Any]:
        result = self.ctx.run_sql("data", self._arg(args, "sql"))
        return rows_payload(result)

    def query_metrics(self, args: dict[str, Any], _: Step | None) -> dict[str, Any]:
        from revops_cli.model.planner import ModelQuery

        query = ModelQuery.from_dict(args, as_of=self.ctx.as_of,
                                     fiscal_year_start_month=self.ctx.settings.fiscal_year_start_month)
        plan, result = self.ctx.query_metrics("data", query)
        self.sources.append({"type": "warehouse", "measures": list(plan.measures), "rows": len(result.rows)})
        return rows_payload(result, **metrics_receipt(plan))

    def deal_analysis(self, args: dict[str, Any], step: Step | None) -> dict[str, Any]:
        from revops_cli.agents import entities
        from revops_cli.agents.deal import DealAnalysisAgent

        name = self._arg(args, "name")
        opp = entities.resolve_deal(self.ctx, name)
        account = {"account_id": opp.get("account_id"), "name": opp.get("account_name")}
        task = Task(intent="deal_status", text=self.ctx.request.text, entities={"opportunity": opp, "account": account},
                    params={"name": name})
        answer = DealAnalysisAgent().handle(self.ctx, task)
        self.entities.update({"opportunity": answer.data.get("opportunity") or opp, "account": account})
        self._remember(answer)
        if step is not None:
            step.rows, step.detail = len(answer.data.get("risks") or []), f"{opp.get('name')}: analysed"
        data = answer.data
        return plain({"deal": opp.get("name"), "analysis": cut_text(answer.text),
                      "probability": data.get("probability"), "meddpicc_score": (data.get("meddpicc") or {}).get("score"),
                      "risks": data.get("risks"), "bottom_line": data.get("bottom_line")})

    def lead_analysis(self, args: dict[str, Any], step: Step | None) -> dict[str, Any]:
        from revops_cli.agents import entities
        from revops_cli.agents.lead import LeadAnalysisAgent

        name, company = self._arg(args, "name"), self._arg(args, "company", required=False)
        person = entities.resolve_person(self.ctx, name, company)
        ents: dict[str, Any] = {"person": person}
        if person.get("company"):
            ents["company"] = person["company"]
        answer = LeadAnalysisAgent().handle(self.ctx, Task(intent="lead_assess", text=self.ctx.request.text,
                                                           entities=ents, params={"name": name, "company": company}))
        self.entities.update(ents)
        self._remember(answer)
        if step is not None:
            step.rows, step.detail = 1, f"{person.get('name')}: assessed"
        return plain({"person": person.get("name"), "company": person.get("company"),
                      "analysis": cut_text(answer.text)})

    def company_research(self, args: dict[str, Any], _: Step | None) -> dict[str, Any]:
        from revops_cli.agents.web_search import research

        company = self._arg(args, "company")
        result = research(self.ctx, company, agent="web_search")
        if result is None:
            return {"found": False, "company": company}
        self.entities.setdefault("company", result.company)
        self.sources += [{"type": "web", **s} for s in (result.sources or [])]
        return plain({"found": True, **result.to_dict()})

    def calls_search(self, args: dict[str, Any], step: Step | None) -> dict[str, Any]:
        from revops_cli.agents.periods import parse_period

        account = self._arg(args, "account")
        params: dict[str, Any] = {"account": account}
        period_text = self._arg(args, "period", required=False)
        if period_text:
            period = parse_period(period_text, self.ctx.as_of, self.ctx.fiscal_start_month)
            if period is None:
                raise UsageError(f"period {period_text!r} not understood",
                                 "use e.g. 'this quarter', 'last 30 days', 'Q3 2026'")
            params.update(start_date=period.start, end_date=period.end)
        result = self.ctx.run_pattern("data", "calls_for_account", **params)
        if step is not None:
            step.rows = len(result.rows)
        return rows_payload(result, account=account, period=period_text)

    def propose_action(self, args: dict[str, Any], step: Step | None) -> dict[str, Any]:
        from revops_cli.agents.execution import ExecutionAgent

        text = self._arg(args, "text")
        ents: dict[str, Any] = {}
        for key in SESSION_KEYS:
            value = self.entities.get(key) or self.ctx.session.get(key)
            if value:
                ents[key] = value
        answer = ExecutionAgent().handle(self.ctx, Task(intent="action", text=text, entities=ents))
        self.pending_actions += answer.pending_actions
        ran = bool(self.ctx.request.confirm)
        if step is not None:
            step.rows = len(answer.pending_actions) or len((answer.data or {}).get("actions") or [])
            step.detail = "ran (confirmed)" if ran else "dry run: awaiting confirmation"
        return plain({"confirmed": ran, "description": cut_text(answer.text),
                      "pending_actions": answer.pending_actions})
