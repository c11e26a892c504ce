"""The MCP server: revops' tools and resources on the official SDK's `MCPServer` (`mcp` >= 2).

Every tool answers with both a text block (the answer's markdown, or a table) and structured content: the
Answer's JSON (`Answer.to_dict()`, the shape `--format json` prints), described by the tool's outputSchema.
A failed answer is `isError: true` with the one-line error as text and the Answer JSON (ok false) as data.

Tools marked read-only (`readOnlyHint`) never change anything outside revops' own log and cache. Actions are
two steps: `propose_action` plans a dry run and returns its pending-action id; `confirm_action` (destructive)
shows the stored action, asks the user through MCP elicitation when the client supports it, and runs it
exactly as stored (`Request.confirm_action_id`); a client without elicitation confirms by calling the tool.

Tool bodies are blocking (DuckDB, SQLite, HTTP): they run in worker threads so one slow call does not hold
the others (streamable HTTP serves several clients).
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Annotated, Any, Callable

import anyio.to_thread
from mcp.server.mcpserver import Context, MCPServer
from mcp.types import CallToolResult, TextContent, ToolAnnotations
from pydantic import BaseModel, ConfigDict, Field

from revops_cli import __version__
from revops_cli.config import Settings
from revops_cli.channels.mcp_server.calls import Asker, McpCalls
from revops_cli.models import Answer, new_id
from revops_cli.formatting import json_default

INSTRUCTIONS = """\
revops answers Revenue Operations questions from the user's own warehouse, deterministically: deal
assessments (MEDDPICC, risks, adjusted probability), lead scores (ICP fit), revenue, pipeline, forecast,
churn, expansion and competitor analyses, company research, named SQL patterns and read-only SQL.
Prefer the specific tools (deal_assessment, lead_assessment, run_pattern) when they fit; `ask` routes any
question. Numbers in answers come from the warehouse: quote them, do not recompute them. Actions (Slack
messages, webhooks, CRM updates) are only proposed (propose_action); nothing runs until the user confirms
with confirm_action."""

READ_ONLY = ToolAnnotations(readOnlyHint=True, destructiveHint=False, idempotentHint=True, openWorldHint=False)


class AnswerJSON(BaseModel):
    """The Answer's JSON, as `revops ask --format json` prints it (README: JSON output)."""

    model_config = ConfigDict(extra="allow")

    agent: str = Field(description="The agent that answered: deal_analysis, lead_analysis, data, web_search, "
                                   "execution or manager.")
    answer: str = Field(description="The answer in markdown.")
    data: dict[str, Any] = Field(description="The answer's figures and entities, as numbers and ids.")
    sources: list[dict[str, Any]] = Field(description="What the answer was built from (patterns, tables, calls).")
    trace: list[dict[str, Any]] = Field(description="Routing decisions, hand-offs and tool calls, with timings.")
    ok: bool = Field(description="False when the question could not be answered; `error` says why.")
    error: str | None = Field(description="One line: what went wrong and what to do.")
    session_id: str | None = None
    request_id: str | None = None
    duration_ms: float | None = None
    pending_actions: list[dict[str, Any]] = Field(default_factory=list,
                                                  description="Actions shown but not run (a dry run).")


class PatternList(BaseModel):
    patterns: list[dict[str, Any]] = Field(description="Each pattern: name, description, examples, params "
                                                       "{name: {type, required, default, description, choices}}.")


class ConfirmRun(BaseModel):
    """What the elicitation asks the user."""

    confirm: bool = Field(description="Run the action(s) now, exactly as shown?")


def tool_result(answer: Answer) -> CallToolResult:
    """Text and structured content of one answer; a failed answer is a tool error."""
    payload = answer.to_dict()
    if not answer.ok:
        err = answer.data.get("error") or {}
        line = err.get("message") or answer.error or "the question could not be answered"
        text = f"Error: {line}" + (f"\nhint: {err['hint']}" if err.get("hint") else "")
        return CallToolResult(content=[TextContent(type="text", text=text)], structured_content=payload,
                              is_error=True)
    return CallToolResult(content=[TextContent(type="text", text=answer.text)], structured_content=payload)


class Askers:
    """One Asker per MCP connection: the client's name and a session id that lives as long as the connection
    (stdio: the process; streamable HTTP: the Mcp-Session-Id the server gave the client)."""

    MAX = 1000

    def __init__(self) -> None:
        self._known: "OrderedDict[str, Asker]" = OrderedDict()

    def of(self, ctx: Context) -> Asker:
        headers = ctx.headers or {}
        key = headers.get("mcp-session-id") or "stdio"
        asker = self._known.get(key)
        if asker is None:
            params = ctx.session.client_params
            client = getattr(getattr(params, "client_info", None), "name", None) or "client"
            asker = Asker(user=str(client), session_id=new_id("mcp-"))
            self._known[key] = asker
            while len(self._known) > self.MAX:
                self._known.popitem(last=False)
        return asker


def supports_elicitation(ctx: Context) -> bool:
    caps = ctx.client_capabilities
    return caps is not None and getattr(caps, "elicitation", None) is not None


def build_server(settings: Settings, *, calls: McpCalls | None = None) -> MCPServer:
    """The server with every tool and resource."""
    calls = calls or McpCalls(settings)
    askers = Askers()
    server = MCPServer("revops", title="revops", version=__version__, instructions=INSTRUCTIONS,
                       website_url=None, log_level="WARNING")

    async def run(ctx: Context, call: Callable[..., Answer], *args: Any) -> CallToolResult:
        """One tool call: `call(asker, *args)` (calls.py) on a worker thread, its answer as the tool's result."""
        return tool_result(await anyio.to_thread.run_sync(call, askers.of(ctx), *args))

    # -- questions -------------------------------------------------------------------------------------
    @server.tool(
        title="Ask revops",
        description=(
            "Ask any RevOps question in plain words; revops' manager routes it to the Deal, Lead, Data, Web "
            "Search or Execution agent and answers from the warehouse. Examples: 'what are the main risks of the "
            "IXIS deal?', 'analyze Q4 revenue by customer segment', 'which competitors came up in calls with "
            "Acme Corp?', 'what deals are closing this quarter?'. Follow-ups in the same connection keep "
            "context ('what are its risks?'). An action request here is only a dry run (see propose_action). "
            "Returns the answer in markdown and its JSON (agent, data, sources, trace)."),
        annotations=READ_ONLY)
    async def ask(
        question: Annotated[str, Field(min_length=1, description="The question, in plain words.")],
        ctx: Context,
        session: Annotated[str | None, Field(description="Optional name of a session to keep context under "
                                                          "(default: this connection's own session).")] = None,
    ) -> Annotated[CallToolResult, AnswerJSON]:
        return await run(ctx, calls.ask, question, session)

    @server.tool(
        title="Deal assessment",
        description=(
            "Assess one deal (opportunity): MEDDPICC scores with evidence, risks and opportunities, the stage "
            "probability and the risk-adjusted probability, amount, close date, owner, next steps. `name` is the "
            "deal or account name; typos are tolerated, an ambiguous name returns a 'did you mean' list. "
            "data has opportunity, meddpicc, risks, probability figures."),
        annotations=READ_ONLY)
    async def deal_assessment(
        name: Annotated[str, Field(min_length=1, description="Deal or account name, e.g. 'IXIS' or 'Acme Corp'.")],
        ctx: Context,
    ) -> Annotated[CallToolResult, AnswerJSON]:
        return await run(ctx, calls.deal, name)

    @server.tool(
        title="Lead assessment",
        description=(
            "Score a lead or contact against the ideal customer profile: ICP fit 0-100 with the reasoning per "
            "criterion, priority, confidence, and an engagement strategy with a context question. Give the "
            "person's name and, when known, their company."),
        annotations=READ_ONLY)
    async def lead_assessment(
        name: Annotated[str, Field(min_length=1, description="The person's full name, e.g. 'John Smith'.")],
        ctx: Context,
        company: Annotated[str | None, Field(description="Their company, e.g. 'DataCorp' (helps tell "
                                                          "namesakes apart).")] = None,
    ) -> Annotated[CallToolResult, AnswerJSON]:
        return await run(ctx, calls.lead, name, company)

    research_world = (settings.get("search.provider") or "offline") != "offline"

    @server.tool(
        title="Company research",
        description=(
            "Research a company through revops' configured research provider: firmographics (industry, size, "
            "revenue, location), tech stack, recent news and signals, and what the warehouse already knows "
            "about it (account, deals)."),
        annotations=ToolAnnotations(readOnlyHint=True, destructiveHint=False, idempotentHint=True,
                                    openWorldHint=research_world))
    async def company_research(
        company: Annotated[str, Field(min_length=1, description="Company name, e.g. 'CloudTech'.")],
        ctx: Context,
    ) -> Annotated[CallToolResult, AnswerJSON]:
        return await run(ctx, calls.research, company)

    # -- data ------------------------------------------------------------------------------------------
    @server.tool(
        title="List SQL patterns",
        description=(
            "List revops' named SQL patterns (the vetted, parameterised read-only queries over the canonical "
            "schema): name, description, example questions, and each parameter's type (str, int, float, date "
            "YYYY-MM-DD, bool, list[str]), whether it is required, its default and allowed values. Use before "
            "run_pattern."),
        annotations=READ_ONLY)
    async def list_patterns() -> Annotated[CallToolResult, PatternList]:
        patterns = await anyio.to_thread.run_sync(calls.list_patterns)
        lines = [f"- `{p['name']}`: {p['description']}"
                 + (f" (params: {', '.join(n + ('' if s['required'] else '?') + ':' + s['type'] for n, s in p['params'].items())})"
                    if p["params"] else "") for p in patterns]
        return CallToolResult(content=[TextContent(type="text", text="\n".join(lines) + "\n")],
                              structured_content={"patterns": patterns})

    @server.tool(
        title="Run a SQL pattern",
        description=(
            "Run one named SQL pattern (see list_patterns) with its parameters, e.g. pattern "
            "'deals_closing_in_period' with params {\"start_date\": \"2026-10-01\", \"end_date\": "
            "\"2026-12-31\"}. Values are checked against the pattern's types; a missing or unknown parameter is "
            "an error naming the right ones. data has pattern, params (typed, defaults filled), columns "
            "[{name, type}], rows (objects), row_count, truncated."),
        annotations=READ_ONLY)
    async def run_pattern(
        pattern: Annotated[str, Field(min_length=1, description="The pattern's name, from list_patterns.")],
        ctx: Context,
        params: Annotated[dict[str, Any] | None, Field(description="Parameter values by name; dates as "
                                                                    "YYYY-MM-DD, lists as arrays.")] = None,
    ) -> Annotated[CallToolResult, AnswerJSON]:
        return await run(ctx, calls.run_pattern, pattern, params)

    @server.tool(
        title="Read-only SQL",
        description=(
            "Run one read-only SQL query (a single SELECT / WITH statement) on the warehouse's canonical schema "
            "(the revops://schema resource: accounts, opportunities, contacts, leads, calls, users, targets, "
            "...). A guard refuses anything that writes, changes the schema or reaches outside the warehouse; "
            "results are cut at the configured row limit. Prefer run_pattern when a pattern fits. data has "
            "columns, rows, row_count, truncated."),
        annotations=READ_ONLY)
    async def query_sql(
        sql: Annotated[str, Field(min_length=1, description="One read-only SELECT statement.")],
        ctx: Context,
    ) -> Annotated[CallToolResult, AnswerJSON]:
        return await run(ctx, calls.query_sql, sql)

    @server.tool(
        title="Measures by dimensions",
        description=(
            "Named measures (the semantic model's: pipeline, bookings, revenue, win_rate, "
            "net_revenue_retention, churned_arr, ... see the revops://measures resource) by dimensions "
            "(segment, region, owner, stage, ..., and time:day|week|month|quarter|year on the fiscal calendar), "
            "e.g. measures [\"bookings\", \"revenue\"], dimensions [\"segment\"], period \"this quarter\". "
            "No SQL to write. data has columns, rows, measures (each one's definition), and unavailable / missing "
            "when this warehouse lacks the data (an unavailable measure is null, not 0)."),
        annotations=READ_ONLY)
    async def query_metrics(
        measures: Annotated[list[str], Field(min_length=1, description="Measure names.")],
        ctx: Context,
        dimensions: Annotated[list[str] | None, Field(description="Dimension names; dates take :grain, "
                                                                   "e.g. time:quarter.")] = None,
        filters: Annotated[list[dict[str, Any]] | None, Field(
            description="[{field, op, value}]: field a dimension or entity.column; op one of =, !=, in, "
                        "not in, <, <=, >, >=, between, contains.")] = None,
        period: Annotated[str | None, Field(description="In words ('Q3 2026', 'last 90 days') or "
                                                        "'2026-10-01 to 2026-12-31'.")] = None,
        order: Annotated[list[str] | None, Field(description="Output columns, -name for descending.")] = None,
        limit: Annotated[int | None, Field(ge=1, description="At most this many rows.")] = None,
    ) -> Annotated[CallToolResult, AnswerJSON]:
        query = {"measures": measures, "dimensions": dimensions or [], "filters": filters or [],
                 "period": period, "order": order or [], "limit": limit}
        return await run(ctx, calls.query_metrics, query)

    # -- actions ---------------------------------------------------------------------------------------
    @server.tool(
        title="Propose an action (dry run)",
        description=(
            "Plan an action without running it: a Slack message ('notify the AE about the risks of the IXIS "
            "deal'), a configured webhook ('trigger the crm_alerts webhook with the deal summary') or a CRM "
            "update ('update the IXIS deal next step to \"pricing call on Friday\"'). Returns what would be "
            "sent, to whom, with data.pending_action_id (and data.pending_action_expires_at). Nothing runs "
            "until confirm_action is called with that id and the user agrees."),
        annotations=ToolAnnotations(readOnlyHint=False, destructiveHint=False, idempotentHint=False,
                                    openWorldHint=False))
    async def propose_action(
        action: Annotated[str, Field(min_length=1, description="The action, in plain words.")],
        ctx: Context,
    ) -> Annotated[CallToolResult, AnswerJSON]:
        return await run(ctx, calls.propose_action, action)

    # -- resources -------------------------------------------------------------------------------------
    @server.resource("revops://schema", name="schema", title="Canonical warehouse schema",
                     description="The canonical schema revops' patterns and agents speak (warehouse/schema.sql), "
                                 "with the configured table mapping.", mime_type="text/x-sql")
    def schema() -> str:
        return schema_text(settings)

    @server.resource("revops://measures", name="measures", title="Semantic model: measures and dimensions",
                     mime_type="text/markdown")
    def measures() -> str:
        from revops_cli.agents.backends.tools import metrics_help

        return metrics_help(settings)[2] + "\n"

    @server.resource("revops://patterns", name="patterns", title="SQL pattern catalog",
                     description="Every named SQL pattern with its parameters (the list_patterns tool's data).",
                     mime_type="application/json")
    def patterns() -> str:
        import json

        return json.dumps({"patterns": calls.list_patterns()}, indent=1, default=json_default)

    @server.resource("revops://conversations/recent", name="recent-conversations", title="Recent conversations",
                     description="The latest answers from every channel (CLI, Slack, webhook, MCP): id, channel, "
                                 "user, time, question, agent, ok, duration.", mime_type="application/json")
    def recent_conversations() -> str:
        import json

        return json.dumps({"conversations": calls.recent_conversations()}, indent=1, default=json_default)

    register_confirm(server, calls, askers)
    return server


def register_confirm(server: MCPServer, calls: McpCalls, askers: Askers) -> None:
    """confirm_action: show the stored dry run, ask the user (elicitation) when the client can, run it as stored."""
    from mcp.shared.exceptions import NoBackChannelError

    from revops_cli.errors import RevopsError

    @server.tool(
        title="Confirm a proposed action",
        description=(
            "Run an action proposed by propose_action (or shown as a dry run by ask), exactly as it was shown: "
            "give the data.pending_action_id of that dry run (act_...). Only the client that proposed it may "
            "confirm it, before it expires, once. When the client supports elicitation the user is shown the "
            "stored action and asked to confirm; a 'no' cancels it for good. Sends Slack messages, calls "
            "webhooks or records CRM updates: only call it when the user has asked for the action to run."),
        annotations=ToolAnnotations(readOnlyHint=False, destructiveHint=True, idempotentHint=False,
                                    openWorldHint=True))
    async def confirm_action(
        pending_action_id: Annotated[str, Field(min_length=1, description="The dry run's id, act_…, from "
                                                                          "data.pending_action_id.")],
        ctx: Context,
    ) -> Annotated[CallToolResult, AnswerJSON]:
        asker = askers.of(ctx)
        run_it = lambda: calls.confirm(asker, pending_action_id)  # noqa: E731
        try:
            record = await anyio.to_thread.run_sync(calls.pending, asker, pending_action_id)
        except RevopsError:                  # unknown, expired, settled, not theirs: the service says so (and logs it)
            return tool_result(await anyio.to_thread.run_sync(run_it))
        if supports_elicitation(ctx):
            try:
                outcome = await ctx.elicit(confirmation_message(record), ConfirmRun)
            except NoBackChannelError:       # a stateless request cannot be asked back: the tool call is the consent
                outcome = None
            if outcome is not None and not (outcome.action == "accept" and outcome.data.confirm):
                declined = outcome.action in ("decline", "accept")      # "no", or a form sent unticked
                if declined:
                    await anyio.to_thread.run_sync(calls.cancel, asker, record.id)
                return tool_result(not_run_answer(record, "cancelled" if declined else "pending"))
        return tool_result(await anyio.to_thread.run_sync(run_it))


def action_line(action: dict[str, Any]) -> str:
    payload = action.get("payload") or {}
    what = {"slack": "Slack message", "webhook": "webhook call", "crm_update": "CRM update"}.get(action.get("kind"),
                                                                                                  action.get("kind"))
    if action.get("kind") == "crm_update":
        detail = f"{payload.get('field')}: {payload.get('old_value')!r} -> {payload.get('new_value')!r}"
    else:
        detail = str(payload.get("text") or "")
    detail = detail if len(detail) <= 400 else detail[:399] + "…"
    return f"- {what} to {action.get('target')}: {detail}"


def confirmation_message(record: Any) -> str:
    lines = [f"revops will run {len(record.actions)} action(s), exactly as shown (dry run {record.id}, "
             f"asked as: {record.text!r}):"]
    lines += [action_line(a) for a in record.actions]
    lines.append("Run now?")
    return "\n".join(lines)


def not_run_answer(record: Any, status: str) -> Answer:
    why = ("Cancelled: nothing was run, and this dry run can no longer be confirmed." if status == "cancelled"
           else f"Not run: the dry run {record.id} still waits for a confirmation until {record.expires_at_iso}.")
    text = why + "\n\n" + "\n".join(action_line(a) for a in record.actions) + "\n"
    return Answer(agent="execution", text=text, data={"pending_action_id": record.id, "status": status,
                                                       "actions": record.actions, "dry_run": True})


def schema_text(settings: Settings) -> str:
    from importlib.resources import files

    text = files("revops_cli.warehouse").joinpath("schema.sql").read_text(encoding="utf-8")
    mapping = settings.get("tables") or {}
    if mapping:
        lines = "\n".join(f"--   {k} -> {v}" for k, v in sorted(mapping.items()))
        text = f"-- This warehouse maps the canonical tables to its own (tables: in revops.yaml):\n{lines}\n\n" + text
    return text

