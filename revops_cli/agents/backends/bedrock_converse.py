"""`--backend bedrock`: a Bedrock model (Converse API) drives the local tools and writes the analysis.

The loop: send the question with the tool list; while the model stops with `tool_use`, run each tool call
locally (every call lands in the trace under the agent that owns the tool) and send the results back; stop
at `end_turn` (or another final stop reason), or fail after `bedrock.max_turns` model turns. Token usage
of every turn is summed into Answer.data["usage"].

Tools (the model sees these names; the trace shows them under our agents):

    run_sql_pattern(pattern, params)   data           a named SQL pattern from the catalogue
    run_sql(sql)                       data           guarded read-only SQL
    deal_analysis(name)                deal_analysis  MEDDPICC assessment, risks, probability of one deal
    lead_analysis(name, company)       lead_analysis  ICP fit, priority and outreach angle of one person
    company_research(company)          web_search     firmographics, tech stack and news
    calls_search(account, period)      data           sales calls with an account, optionally in a period
    propose_action(text)               execution      describes a Slack note / webhook / CRM update; runs it
                                                      only when the request is confirmed (--yes), as locally

The system prompt (our agents' roles and the rules) goes to the model only: it is never written to the
trace, the log or the exports. Answer.agent is the agent whose tools the model called most ("manager" if none).
"""

from __future__ import annotations

import json
import time
from collections import Counter
from typing import Any, Callable

from revops_cli.agents.base import AgentContext, Task
from revops_cli.agents.backends import bedrock_client as bc
from revops_cli.errors import RevopsError, UsageError
from revops_cli.models import Answer, Step

MANAGER = "manager"
DEFAULT_MAX_TURNS = 8
DEFAULT_MAX_TOKENS = 2048
RESULT_ROWS = 50                 # rows of a query result sent back to the model
TEXT_LIMIT = 6000                # characters of an agent's write-up sent back to the model
FINAL_STOPS = ("end_turn", "stop_sequence", "max_tokens", "guardrail_intervened", "content_filtered")
SESSION_KEYS = ("opportunity", "account", "person", "company")

TOOL_OWNERS = {
    "run_sql_pattern": "data",
    "run_sql": "data",
    "calls_search": "data",
    "deal_analysis": "deal_analysis",
    "lead_analysis": "lead_analysis",
    "company_research": "web_search",
    "propose_action": "execution",
}

AGENT_ROLES = {
    "deal_analysis": "Deal Analysis: the status of one deal - MEDDPICC score, risks, adjusted probability, next steps.",
    "lead_analysis": "Lead Analysis: ICP fit, priority and an outreach angle for one lead or contact.",
    "data": "Data: revenue, pipeline, forecast, win rates, churn, expansion, competitors and calls, from the "
            "warehouse through named SQL patterns (prefer them) or guarded read-only SQL.",
    "web_search": "Web Search: a company's firmographics, funding, tech stack and recent news.",
    "execution": "Execution: Slack notes, outbound webhooks and CRM updates - proposed only; a person confirms them.",
}


def system_prompt(ctx: AgentContext) -> str:
    roles = "\n".join(f"- {r}" for r in AGENT_ROLES.values())
    return (
        "You are the manager of a Revenue Operations assistant. Answer the analyst's question with the tools, "
        "which reach the company's own warehouse and research. Today (the analysis date) is "
        f"{ctx.as_of.isoformat()}.\n\nThe specialists behind the tools:\n{roles}\n\n"
        "Rules:\n"
        "- Every number, name and date in the answer must come from a tool result; never invent figures.\n"
        "- Prefer run_sql_pattern; use run_sql only when no pattern fits, and only for SELECT queries.\n"
        "- For one deal call deal_analysis, for one person lead_analysis; do not rebuild them with SQL.\n"
        "- Actions (messages, webhooks, CRM updates) go through propose_action; say that they await "
        "confirmation unless the tool result says they ran.\n"
        "- If a tool returns an error, fix the call (the error names the problem) or explain what is missing.\n"
        "- Write the answer in Markdown: a one-line headline, 3-6 bullets of findings, then recommended next "
        "steps. Be concise."
    )


def _schema(props: dict[str, Any], required: list[str]) -> dict[str, Any]:
    return {"json": {"type": "object", "properties": props, "required": required}}


def tool_config(ctx: AgentContext) -> dict[str, Any]:
    """The toolConfig for Converse: our tools, the pattern names as an enum with their parameters described."""
    from revops_cli.warehouse.queries import pattern_catalog

    catalog = pattern_catalog(ctx.settings)
    lines = []
    for p in catalog:
        params = ", ".join(param.label for param in p.params.values()) or "no parameters"
        lines.append(f"- {p.name}: {p.description} Params: {params}.")
    pattern_help = "\n".join(lines)
    tools = [
        ("run_sql_pattern",
         "Run a named, read-only SQL pattern from the catalogue against the warehouse; returns columns and rows. "
         "Dates are YYYY-MM-DD. Patterns:\n" + pattern_help,
         _schema({"pattern": {"type": "string", "enum": catalog.names(), "description": "The pattern name."},
                  "params": {"type": "object", "description": "The pattern's parameters, by name."}},
                 ["pattern"])),
        ("run_sql",
         "Run one read-only SQL SELECT over the canonical tables (opportunities, accounts, calls, leads, contacts, "
         "users, ...). A guard refuses anything that is not a single read-only statement.",
         _schema({"sql": {"type": "string", "description": "One SELECT statement."}}, ["sql"])),
        ("deal_analysis",
         "Full analysis of one deal by deal or account name (typos tolerated): MEDDPICC, risks, probability.",
         _schema({"name": {"type": "string", "description": "Deal or account name, e.g. IXIS."}}, ["name"])),
        ("lead_analysis",
         "ICP fit, priority and outreach angle for one person (a lead or contact), optionally with their company.",
         _schema({"name": {"type": "string"}, "company": {"type": "string"}}, ["name"])),
        ("company_research",
         "Research one company: industry, size, funding, headquarters, tech stack, recent news, sources.",
         _schema({"company": {"type": "string"}}, ["company"])),
        ("calls_search",
         "Sales calls with an account (id or part of its name), newest first: brief, key points, next steps. "
         "`period` in words, e.g. 'this quarter', 'last 30 days', 'Q3 2026'.",
         _schema({"account": {"type": "string"}, "period": {"type": "string"}}, ["account"])),
        ("propose_action",
         "Describe an action - a Slack message, an outbound webhook, or a CRM update of the deal in context - "
         "in plain words, e.g. 'send the AE a note about the risks'. It is a dry run unless the user confirmed.",
         _schema({"text": {"type": "string", "description": "The action, in plain words."}}, ["text"])),
    ]
    return {"tools": [{"toolSpec": {"name": n, "description": d, "inputSchema": s}} for n, d, s in tools],
            "toolChoice": {"auto": {}}}


def _plain(obj: Any) -> Any:
    from revops_cli.output import json_default

    return json.loads(json.dumps(obj, default=json_default))


def _rows_payload(result: Any, **extra: Any) -> dict[str, Any]:
    records = result.records()
    return _plain({**extra, "columns": list(result.columns), "row_count": len(result.rows),
                   "truncated": bool(result.truncated) or len(records) > RESULT_ROWS,
                   "rows": records[:RESULT_ROWS]})


def _text(s: str) -> str:
    return s if len(s) <= TEXT_LIMIT else s[:TEXT_LIMIT] + "\n…(cut)"


class ToolRunner:
    """Runs the model's tool calls against the local agents; remembers what a final Answer needs."""

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
        }

    # tools whose inner code records a tool step of the same name get no wrapper step
    _SELF_TRACED = ("run_sql_pattern", "run_sql", "company_research")

    def run(self, use: dict[str, Any]) -> dict[str, Any]:
        """One toolUse block -> one toolResult block."""
        name, tool_id = str(use.get("name") or ""), use.get("toolUseId")
        args = use.get("input") if isinstance(use.get("input"), dict) else {}
        owner = TOOL_OWNERS.get(name, MANAGER)
        self.calls[owner] += 1
        trace = self.ctx.trace
        if owner not in ("data", MANAGER):
            trace.handoff(MANAGER, owner, f"the model called {name}")
        wrapper: Step | None = None
        if name not in self._SELF_TRACED:
            wrapper = trace.add(Step(kind="tool", agent=owner, name=name or "unknown_tool", params=dict(args),
                                     detail=f"model tool call {tool_id}"))
        mark = len(trace.steps)
        started = time.perf_counter()
        try:
            handler = self.handlers.get(name)
            if handler is None:
                raise UsageError(f"unknown tool {name!r}", f"tools: {', '.join(self.handlers)}")
            payload = handler(args, wrapper)
            status, content = "success", [{"json": payload}]
        except RevopsError as exc:
            if wrapper is None and len(trace.steps) == mark:   # failed before its own step was recorded
                trace.add(Step(kind="tool", agent=owner, name=name, params=dict(args), ok=False, error=exc.one_line()))
            if wrapper is not None:
                wrapper.ok, wrapper.error = False, exc.one_line()
            status, content = "error", [{"text": exc.one_line()}]
        if wrapper is not None:
            wrapper.duration_ms = round((time.perf_counter() - started) * 1000, 3)
        elif len(trace.steps) > mark and trace.steps[mark].kind == "tool":
            trace.steps[mark].detail = trace.steps[mark].detail or f"model tool call {tool_id}"
        return {"toolResult": {"toolUseId": tool_id, "content": content, "status": status}}

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
        return _rows_payload(result, pattern=pattern)

    def run_sql(self, args: dict[str, Any], _: Step | None) -> dict[str, Any]:
        result = self.ctx.run_sql("data", self._arg(args, "sql"))
        return _rows_payload(result)

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
        return _plain({"deal": opp.get("name"), "analysis": _text(answer.text),
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
        return _plain({"person": person.get("name"), "company": person.get("company"), "analysis": _text(answer.text)})

    def company_research(self, args: dict[str, Any], _: Step | None) -> dict[str, Any]:
        from revops_cli.agents.web_search import research

        company = self._arg(args, "company")
        result = research(self.ctx, company, agent="web_search")
        if result is None:
            return {"found": False, "company": company}
        self.entities.setdefault("company", result.company)
        self.sources += [{"type": "web", **s} for s in (result.sources or [])]
        return _plain({"found": True, **result.to_dict()})

    def calls_search(self, args: dict[str, Any], step: Step | None) -> dict[str, Any]:
        from revops_cli.agents.periods import parse_period

        account = self._arg(args, "account")
        params: dict[str, Any] = {"account": account}
        period_text = self._arg(args, "period", required=False)
        if period_text:
            period = parse_period(period_text, self.ctx.as_of)
            if period is None:
                raise UsageError(f"period {period_text!r} not understood",
                                 "use e.g. 'this quarter', 'last 30 days', 'Q3 2026'")
            params.update(start_date=period.start, end_date=period.end)
        result = self.ctx.run_pattern("data", "calls_for_account", **params)
        if step is not None:
            step.rows = len(result.rows)
        return _rows_payload(result, account=account, period=period_text)

    def propose_action(self, args: dict[str, Any], step: Step | None) -> dict[str, Any]:
        from revops_cli.agents.execution import ExecutionAgent

        text = self._arg(args, "text")
        ents: dict[str, Any] = {}
        for key in ("opportunity", "account", "person", "company"):
            value = self.entities.get(key) or self.ctx.session.get(key)
            if value:
                ents[key] = value
        answer = ExecutionAgent().handle(self.ctx, Task(intent="action", text=text, entities=ents))
        self.pending_actions += answer.pending_actions
        ran = bool(self.ctx.request.confirm)
        if step is not None:
            step.rows = len(answer.pending_actions) or len((answer.data or {}).get("actions") or [])
            step.detail = "ran (confirmed)" if ran else "dry run: awaiting confirmation"
        return _plain({"confirmed": ran, "description": _text(answer.text),
                       "pending_actions": answer.pending_actions})


def _usage_add(total: dict[str, int], usage: dict[str, Any] | None) -> None:
    for k, v in (usage or {}).items():
        if isinstance(v, int) and not isinstance(v, bool):
            total[k] = total.get(k, 0) + v


def _int(settings: Any, key: str, default: int) -> int:
    v = settings.get(key)
    try:
        return max(1, int(v)) if v not in (None, "") else default
    except (TypeError, ValueError):
        from revops_cli.errors import ConfigError

        raise ConfigError(f"{key} should be an integer, got {v!r}", "fix it in revops.yaml or the environment") from None


def run(ctx: AgentContext) -> Answer:
    settings, request = ctx.settings, ctx.request
    model_id = str(settings.get("bedrock.model_id") or "")
    if not model_id:
        from revops_cli.errors import ConfigError

        raise ConfigError("bedrock.model_id not set for the bedrock backend",
                          "set REVOPS_BEDROCK_MODEL_ID or bedrock.model_id in revops.yaml")
    max_turns = _int(settings, "bedrock.max_turns", DEFAULT_MAX_TURNS)
    inference = {"maxTokens": _int(settings, "bedrock.max_tokens", DEFAULT_MAX_TOKENS), "temperature": 0.0}
    ctx.trace.route(MANAGER, MANAGER, f"bedrock backend: model {model_id} drives the local tools",
                    query=request.text, model_id=model_id, backend="bedrock", max_turns=max_turns)
    client = bc.converse_client(settings)
    system = [{"text": system_prompt(ctx)}]
    tools = tool_config(ctx)
    runner = ToolRunner(ctx)
    question = request.text
    if request.agent:
        question += f"\n\n(The user asked the {request.agent.replace('_', ' ')} specialist"
        question += f"; inputs: {json.dumps(request.params, default=str)})" if request.params else ")"
    messages: list[dict[str, Any]] = [{"role": "user", "content": [{"text": question}]}]
    usage: dict[str, int] = {}
    attempts = bc.max_attempts(settings)
    stop_reason, final_text, turns = None, "", 0

    for turn in range(1, max_turns + 1):
        turns = turn
        response = bc.call_with_retries(
            lambda: client.converse(model_id=model_id, messages=messages, system=system, tool_config=tools,
                                    inference_config=inference),
            attempts,
            on_retry=lambda n, exc: ctx.trace.note(MANAGER, f"Bedrock throttled the model call; retry {n}"))
        _usage_add(usage, response.get("usage"))
        message = ((response.get("output") or {}).get("message")) or {"role": "assistant", "content": []}
        message = {"role": "assistant", "content": list(message.get("content") or [])}
        messages.append(message)
        stop_reason = response.get("stopReason")
        texts = [c["text"] for c in message["content"] if isinstance(c, dict) and c.get("text")]
        uses = [c["toolUse"] for c in message["content"] if isinstance(c, dict) and c.get("toolUse")]
        u = response.get("usage") or {}
        ctx.trace.add(Step(kind="note", agent=MANAGER, name="model_turn",
                           detail=f"turn {turn}: {stop_reason}, {len(uses)} tool call(s), "
                                  f"{u.get('inputTokens', 0)} in / {u.get('outputTokens', 0)} out tokens",
                           params={"turn": turn, "stop_reason": stop_reason,
                                   "input_tokens": u.get("inputTokens"), "output_tokens": u.get("outputTokens")}))
        if uses and stop_reason == "tool_use":
            results = [runner.run(use) for use in uses]
            messages.append({"role": "user", "content": results})
            continue
        final_text = "\n\n".join(t.strip() for t in texts if t.strip())
        break
    else:
        ctx.trace.note(MANAGER, f"stopped after {max_turns} model turns; tokens used: "
                                f"{usage.get('inputTokens', 0)} in / {usage.get('outputTokens', 0)} out")
        raise bc.BedrockError(f"the model did not finish within {max_turns} turns (bedrock.max_turns)",
                              "ask a narrower question, or raise bedrock.max_turns")

    if stop_reason not in FINAL_STOPS:
        ctx.trace.note(MANAGER, f"the model stopped with {stop_reason!r}")
    if stop_reason == "max_tokens":
        final_text += "\n\n_(cut at the model's output limit: bedrock.max_tokens)_"
    if stop_reason in ("guardrail_intervened", "content_filtered"):
        ctx.trace.note(MANAGER, f"the model's answer was filtered ({stop_reason})")
    if not final_text.strip():
        raise bc.BedrockError("the model returned no answer", f"stop reason {stop_reason}; try rephrasing")

    agent = MANAGER
    if runner.calls:
        ranked = [a for a, _ in runner.calls.most_common() if a != MANAGER]
        agent = ranked[0] if ranked else MANAGER
    data: dict[str, Any] = {
        "backend": "bedrock",
        "bedrock": {"model_id": model_id, "turns": turns, "stop_reason": stop_reason,
                    "tool_calls": sum(runner.calls.values())},
        "usage": usage,
    }
    for key in SESSION_KEYS:
        if runner.entities.get(key):
            data[key] = runner.entities[key]
    return Answer(agent=agent, text=final_text.strip() + "\n", data=data, sources=runner.sources, trace=ctx.trace,
                  pending_actions=runner.pending_actions)
