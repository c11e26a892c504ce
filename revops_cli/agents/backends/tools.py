"""The tools a model may call, defined once for every backend that lets a model drive our agents.

    tool_definitions(settings) -> list[ToolDef]

A `ToolDef` is a record: name, the agent that owns it, a description for the model, a JSON schema for its
input, and whether it only reads. Each wire format is rendered from the same records:

    ToolDef.bedrock_spec()   {"toolSpec": {"name", "description", "inputSchema": {"json": schema}}}   (Converse)
    ToolDef.openai_tool()    {"type": "function", "function": {"name", "description", "parameters"}}  (Chat Completions)

(The MCP server, `channels/mcp_server/`, offers a different set to a person's assistant — the whole
orchestrator as `ask`, and a confirm step — and defines its tools there.)

The tools (the model sees these names; the trace shows them under our agents):

    run_sql_pattern(pattern, params)   data           a named SQL pattern from the catalogue
    run_sql(sql)                       data           guarded read-only SQL
    deal_analysis(name)                deal_analysis  MEDDPICC assessment, risks, probability of one deal
    lead_analysis(name, company)       lead_analysis  ICP fit, priority and outreach angle of one person
    company_research(company)          web_search     firmographics, tech stack and news
    calls_search(account, period)      data           sales calls with an account, optionally in a period
    query_metrics(measures, ...)       data           named measures by dimensions through the semantic model
                                                      (model/planner.py): no SQL to write
    propose_action(text)               execution      describes a Slack note / webhook / CRM update (a dry run,
                                                      stored by the service as act_…); runs it only with --yes

`ToolRunner` (tool_runner.py) runs them; `AGENT_ROLES` and `system_prompt` tell the model who is behind them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from revops_cli.agents.base import AgentContext

MANAGER = "manager"

TOOL_OWNERS = {
    "run_sql_pattern": "data",
    "run_sql": "data",
    "calls_search": "data",
    "query_metrics": "data",
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


@dataclass(frozen=True)
class ToolDef:
    """One tool, in no wire format. `parameters` is a JSON schema of type object."""

    name: str
    owner: str                      # the agent whose work it is (the trace's `agent`)
    description: str
    parameters: dict[str, Any] = field(hash=False)
    read_only: bool = True          # False: it can change something outside (only propose_action)

    def bedrock_spec(self) -> dict[str, Any]:
        """The Converse API's `toolSpec` entry."""
        return {"toolSpec": {"name": self.name, "description": self.description,
                             "inputSchema": {"json": self.parameters}}}

    def openai_tool(self) -> dict[str, Any]:
        """The Chat Completions API's function tool."""
        return {"type": "function", "function": {"name": self.name, "description": self.description,
                                                 "parameters": self.parameters}}


def _schema(props: dict[str, Any], required: list[str]) -> dict[str, Any]:
    return {"type": "object", "properties": props, "required": required}


def pattern_help(settings: Any) -> tuple[list[str], str]:
    """The catalogue's pattern names and one line per pattern with its parameters (for the model)."""
    from revops_cli.warehouse.queries import pattern_catalog

    catalog = pattern_catalog(settings)
    lines = []
    for p in catalog:
        params = ", ".join(param.label for param in p.params.values()) or "no parameters"
        lines.append(f"- {p.name}: {p.description} Params: {params}.")
    return catalog.names(), "\n".join(lines)


def metrics_help(settings: Any) -> tuple[list[str], list[str], str]:
    """The model's measure names, dimension names, and one line per measure and dimension (for the model)."""
    from revops_cli.model.loader import load_model

    model = load_model(settings)
    lines = ["Measures:"] + [f"- {m.name}: {m.description}" for m in model.measures.values()]
    lines += ["Dimensions (dates take :day, :week, :month, :quarter or :year):",
              "- time: each measure's own date"]
    lines += [f"- {d.name}: {d.description or d.name}" + (" (a date)" if d.time else "")
              for d in model.dimensions.values()]
    return list(model.measures), ["time", *model.dimensions], "\n".join(lines)


def metrics_schema(measures: list[str]) -> dict[str, Any]:
    """The JSON schema of a model query (ModelQuery.from_dict)."""
    return _schema({
        "measures": {"type": "array", "items": {"type": "string", "enum": measures}, "minItems": 1,
                     "description": "Measure names."},
        "dimensions": {"type": "array", "items": {"type": "string"},
                       "description": "Dimension names, e.g. [\"segment\", \"time:quarter\"]."},
        "filters": {"type": "array", "description": "Conditions on dimensions or entity.column.",
                    "items": {"type": "object", "required": ["field", "op", "value"], "properties": {
                        "field": {"type": "string", "description": "A dimension, or entity.column."},
                        "op": {"type": "string", "enum": ["=", "!=", "in", "not in", "<", "<=", ">", ">=",
                                                          "between", "contains"]},
                        "value": {"description": "A value; a list for in / not in; [low, high] for between; "
                                                 "one competitor for contains."}}}},
        "period": {"type": "string", "description": "The period the measures' dates fall in, in words "
                                                    "('Q3 2026', 'this quarter', 'last 90 days') or as "
                                                    "'2026-10-01 to 2026-12-31'."},
        "order": {"type": "array", "items": {"type": "string"},
                  "description": "Output columns; prefix - for descending, e.g. [\"-bookings\"]."},
        "limit": {"type": "integer", "minimum": 1},
    }, ["measures"])


def tool_definitions(settings: Any) -> list[ToolDef]:
    """Every tool, in the order the model sees them; the pattern names are an enum, each described."""
    names, help_text = pattern_help(settings)
    measures, _, metrics_text = metrics_help(settings)
    specs = [
        ("run_sql_pattern",
         "Run a named, read-only SQL pattern from the catalogue against the warehouse; returns columns and rows. "
         "Dates are YYYY-MM-DD. Patterns:\n" + help_text,
         _schema({"pattern": {"type": "string", "enum": names, "description": "The pattern name."},
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
        ("query_metrics",
         "Named measures by dimensions from the semantic model, e.g. bookings and revenue by segment this "
         "quarter: no SQL to write. Returns columns and rows, each measure's definition, and what this warehouse "
         "lacks (an unavailable measure is null, not 0: say so). A date dimension's value is the first day of "
         "its bucket; quarters and years are fiscal.\n" + metrics_text,
         metrics_schema(measures)),
        ("propose_action",
         "Describe an action - a Slack message, an outbound webhook, or a CRM update of the deal in context - "
         "in plain words, e.g. 'send the AE a note about the risks'. It is a dry run unless the user confirmed.",
         _schema({"text": {"type": "string", "description": "The action, in plain words."}}, ["text"])),
    ]
    return [ToolDef(name=n, owner=TOOL_OWNERS[n], description=d, parameters=s, read_only=n != "propose_action")
            for n, d, s in specs]


def system_prompt(ctx: "AgentContext") -> str:
    """Our agents' roles and the rules, for the model only: never written to the trace, the log or exports."""
    roles = "\n".join(f"- {r}" for r in AGENT_ROLES.values())
    return (
        "You are the manager of a Revenue Operations assistant. Answer the analyst's question with the tools, "
        "which reach the company's own warehouse and research. Today (the analysis date) is "
        f"{ctx.as_of.isoformat()}.\n\nThe specialists behind the tools:\n{roles}\n\n"
        "Rules:\n"
        "- Every number, name and date in the answer must come from a tool result; never invent figures.\n"
        "- For figures by name (pipeline, bookings, revenue, win rate, NRR, ... by segment, region, quarter) "
        "prefer query_metrics; then run_sql_pattern; use run_sql only when neither fits, and only for SELECT "
        "queries.\n"
        "- When a tool result lists `unavailable` or `missing` data, say what this warehouse does not have; "
        "never report it as 0.\n"
        "- For one deal call deal_analysis, for one person lead_analysis; do not rebuild them with SQL.\n"
        "- Actions (messages, webhooks, CRM updates) go through propose_action; say that they await "
        "confirmation unless the tool result says they ran.\n"
        "- If a tool returns an error, fix the call (the error names the problem) or explain what is missing.\n"
        "- Write the answer in Markdown: a one-line headline, 3-6 bullets of findings, then recommended next "
        "steps. Be concise."
    )
