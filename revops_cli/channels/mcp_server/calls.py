"""What each MCP tool does, without the SDK: every call is a `Request` on channel `mcp` through `service.ask`.

The question tools (ask, deal, lead, research, actions) build the same Request the CLI commands build.
run_pattern and query_sql run through the same query functions the agents use (`warehouse/queries.py`:
the pattern catalog, the read-only guard), handed to `service.ask` as its `handler`, so they too get the
warehouse behind the result cache, a traced step, one-line errors and a conversation-log record.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from revops_cli.config import Settings
from revops_cli.models import Answer, Request

CHANNEL = "mcp"
TABLE_TEXT_ROWS = 50          # rows shown in a table answer's text; the structured content has them all


@dataclass
class Asker:
    """Who is asking: the client's name (the one it gave at initialize, e.g. `Claude Desktop`; with channel
    `mcp` the asker is `mcp:Claude Desktop`) and its session, so follow-ups ("what are its risks?") and
    confirmations stay with the client that asked."""

    user: str
    session_id: str


class McpCalls:
    """The tools' bodies. One instance per server; safe to call from several threads."""

    def __init__(self, settings: Settings, *, mode: str = "online", log: Any = "default"):
        self.settings = settings
        self.mode = mode
        self._log = log

    @property
    def log(self):
        if self._log == "default":
            from revops_cli import service

            self._log = service.open_log(self.settings)
        return self._log

    def request(self, asker: Asker, text: str, **fields: Any) -> Request:
        fields.setdefault("session_id", asker.session_id)
        return Request(text=text, channel=CHANNEL, user=asker.user, **fields)

    def answer(self, request: Request, handler: Any = None) -> Answer:
        from revops_cli import service

        return service.ask(request, self.settings, mode=self.mode, log=self.log, handler=handler)

    # -- the question tools ----------------------------------------------------------------------------
    def ask(self, asker: Asker, question: str, session: str | None = None) -> Answer:
        return self.answer(self.request(asker, question, session_id=session or asker.session_id))

    def deal(self, asker: Asker, name: str) -> Answer:
        return self.answer(self.request(asker, f"What is the status of the {name} deal?", agent="deal_analysis",
                                        params={"name": name}))

    def lead(self, asker: Asker, name: str, company: str | None = None) -> Answer:
        text = f"Assess {name}" + (f" from {company}" if company else "") + " as a lead"
        return self.answer(self.request(asker, text, agent="lead_analysis", params={"name": name, "company": company}))

    def research(self, asker: Asker, company: str) -> Answer:
        return self.answer(self.request(asker, f"Research {company}", agent="web_search", params={"company": company}))

    def propose_action(self, asker: Asker, action: str) -> Answer:
        """The Execution agent's dry run: nothing runs (`confirm` stays False)."""
        return self.answer(self.request(asker, action, agent="execution"))

    # -- confirmations (actions/pending.py) ------------------------------------------------------------
    def pending(self, asker: Asker, action_id: str):
        """The stored dry run `action_id`, if this asker may confirm it now; else the store's PendingActionError."""
        from revops_cli.actions.pending import PendingStore, approvers_of, refusal

        action_id = (action_id or "").strip()
        with PendingStore.from_settings(self.settings) as store:
            record = store.get(action_id)
        problem = refusal(record, action_id, CHANNEL, asker.user, approvers_of(self.settings))
        if problem is not None:
            raise problem
        return record

    def confirm(self, asker: Asker, action_id: str) -> Answer:
        """Run the stored actions exactly as stored (`Request.confirm_action_id`): the service checks the asker,
        the expiry and that it has not run, then runs them; the record joins the dry run's session."""
        return self.answer(self.request(asker, f"confirm {action_id}", agent="execution", session_id=None,
                                        confirm_action_id=(action_id or "").strip()))

    def cancel(self, asker: Asker, action_id: str) -> None:
        from revops_cli.actions.pending import PendingStore, approvers_of

        with PendingStore.from_settings(self.settings) as store:
            store.cancel(action_id.strip(), channel=CHANNEL, user=asker.user, approvers=approvers_of(self.settings))

    # -- the data tools --------------------------------------------------------------------------------
    def run_pattern(self, asker: Asker, pattern: str, params: dict[str, Any] | None = None) -> Answer:
        values = dict(params or {})

        def handler(ctx) -> Answer:
            from revops_cli.warehouse.queries import run_pattern

            with ctx.tool("data", "run_sql_pattern", {"pattern": pattern, **values}, sql_pattern=pattern) as step:
                pat, typed, result = run_pattern(ctx.warehouse, ctx.settings, pattern, values)
                step.record(result)
            return table_answer(result, f"Pattern `{pat.name}`", pattern=pat.name, params=typed)

        text = f"run pattern {pattern}" + "".join(f" {k}={v}" for k, v in values.items())
        return self.answer(self.request(asker, text, agent="data", params={"pattern": pattern, **values},
                                        backend="local"), handler)

    def query_sql(self, asker: Asker, sql: str) -> Answer:
        def handler(ctx) -> Answer:
            from revops_cli.warehouse.queries import run_sql

            with ctx.tool("data", "run_sql", {"sql": sql}) as step:
                result = run_sql(ctx.warehouse, ctx.settings, sql)
                step.record(result)
            return table_answer(result, "Query")

        return self.answer(self.request(asker, sql, agent="data", params={"sql": sql}, backend="local"), handler)

    def query_metrics(self, asker: Asker, query: dict[str, Any]) -> Answer:
        """Named measures by dimensions through the semantic model (model/planner.py)."""
        def handler(ctx) -> Answer:
            from revops_cli.agents.backends.tool_runner import metrics_receipt
            from revops_cli.model.planner import ModelQuery

            q = ModelQuery.from_dict(query, as_of=ctx.as_of,
                                     fiscal_year_start_month=ctx.settings.fiscal_year_start_month)
            plan, result = ctx.query_metrics("data", q)
            receipt = metrics_receipt(plan)
            answer = table_answer(result, "Measures " + ", ".join(plan.measures), **receipt)
            notes = [f"- **{m}**: {d}" for m, d in plan.measures.items()]
            notes += [f"- {m} is not available on this warehouse: {why}" for m, why in plan.unavailable.items()]
            notes += [f"- this warehouse has no {what}: {why}" for what, why in plan.missing.items()
                      if not any(why == u for u in plan.unavailable.values())]
            answer.text += "\n" + "\n".join(notes) + "\n"
            return answer

        text = "query metrics " + ", ".join(str(m) for m in query.get("measures") or [])
        return self.answer(self.request(asker, text, agent="data", params={"query_metrics": query},
                                        backend="local"), handler)

    def list_patterns(self) -> list[dict[str, Any]]:
        from revops_cli.warehouse.queries import pattern_catalog

        return [p.to_dict() for p in pattern_catalog(self.settings)]

    # -- resources -------------------------------------------------------------------------------------
    def recent_conversations(self, limit: int | None = None) -> list[dict[str, Any]]:
        from revops_cli.models import jsonable

        if self.log is None:
            return []
        n = int(limit or self.settings.get("mcp.recent_conversations", 20))
        return jsonable(self.log.list(limit=n))


def table_answer(result, title: str, **extra: Any) -> Answer:
    """A query result as an Answer: a markdown table in the text, `revops data run -f json`'s shape in data."""
    from revops_cli.models import jsonable
    from revops_cli.output import markdown_table, result_to_json

    shown = result.rows[:TABLE_TEXT_ROWS]
    lines = [f"**{title}**: {len(result.rows)} row{'s' if len(result.rows) != 1 else ''}"
             + (" (cut at the row limit)" if result.truncated else "") + ".", ""]
    if result.columns:
        lines.append(markdown_table(result.columns, shown))
    if len(result.rows) > len(shown):
        lines += ["", f"… {len(result.rows) - len(shown)} more row(s) in the structured content."]
    return Answer(agent="data", text="\n".join(lines) + "\n", data=jsonable(result_to_json(result, **extra)))
