"""What every agent works with: the task it was handed and a context whose tool calls land in the trace."""

from __future__ import annotations

import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Callable, Iterator, Optional, Protocol

from revops_cli.config import Settings
from revops_cli.models import Answer, Request, Step, Trace
from revops_cli.warehouse.base import QueryResult


@dataclass
class Task:
    """What the manager hands an agent: the intent, the resolved entities and the original text."""

    intent: str                                   # e.g. deal_status, lead_assess, revenue_by_segment, research, action
    text: str
    entities: dict[str, Any] = field(default_factory=dict)   # {"opportunity": {...}, "account": {...}, "person": {...}, "company": "...", "period": Period}
    params: dict[str, Any] = field(default_factory=dict)     # explicit inputs from the command line


@dataclass
class AgentContext:
    settings: Settings
    warehouse: Any                                # CachedWarehouse
    trace: Trace
    request: Request
    session: dict[str, Any] = field(default_factory=dict)    # what earlier turns of this session left (last deal, account, ...)
    memo: dict[Any, Any] = field(default_factory=dict)       # results already fetched in this request
    on_text: Optional[Callable[[Optional[str]], None]] = None  # streaming backends: each piece of answer text
                                                               # as it arrives; None = drop it, a retry restarts

    @property
    def as_of(self) -> date:
        return self.settings.as_of

    @property
    def fiscal_start_month(self) -> int:
        return self.settings.fiscal_year_start_month

    @contextmanager
    def tool(self, agent: str, name: str, params: dict[str, Any] | None = None,
             sql_pattern: str | None = None) -> Iterator[Step]:
        """Record a tool call: parameters, duration, rows, success or error."""
        step = Step(kind="tool", agent=agent, name=name, params=dict(params or {}), sql_pattern=sql_pattern)
        started = time.perf_counter()
        try:
            yield step
        except Exception as exc:
            step.ok = False
            step.error = getattr(exc, "message", None) or str(exc)
            raise
        finally:
            step.duration_ms = round((time.perf_counter() - started) * 1000, 3)
            self.trace.add(step)

    def run_pattern(self, agent: str, pattern: str, /, **values: Any) -> QueryResult:
        from revops_cli.warehouse.queries import run_pattern

        with self.tool(agent, "run_sql_pattern", {"pattern": pattern, **values}, sql_pattern=pattern) as step:
            _, _, result = run_pattern(self.warehouse, self.settings, pattern, values)
            step.record(result)
        return result

    def run_sql(self, agent: str, sql: str) -> QueryResult:
        from revops_cli.warehouse.queries import run_sql

        with self.tool(agent, "run_sql", {"sql": sql}) as step:
            result = run_sql(self.warehouse, self.settings, sql)
            step.record(result)
        return result

    def query_metrics(self, agent: str, query: Any) -> tuple[Any, QueryResult]:
        """Named measures by dimensions through the semantic model (model/planner.py): (MeasurePlan, rows).
        The step's params are the query; the plan's definitions, missing and unavailable data go into the
        result's meta (the answer's receipt)."""
        from revops_cli.model.planner import run_model_query

        with self.tool(agent, "query_metrics", query.to_dict()) as step:
            plan, result = run_model_query(self.settings, self.warehouse, query)
            step.rows = len(result.rows)
            step.cached = result.cached
            notes = [f"{m} unavailable: {why}" for m, why in plan.unavailable.items()]
            if result.truncated:
                notes.append(result.limit_note or "")
            step.detail = "; ".join(n for n in notes if n) or None
        return plan, result
    def run_query(self, agent: str, name: str, sql: str, params: list[Any] | None = None,
                  trace_params: dict[str, Any] | None = None) -> QueryResult:
        """revops' own lookup SQL in canonical names (through the semantic model), as a traced step."""
        from revops_cli.warehouse.queries import run_query

        with self.tool(agent, name, trace_params) as step:
            result = run_query(self.warehouse, self.settings, sql, params)
            step.record(result)
        return result

    def semantic_model(self):
        """The semantic model of this warehouse (the identity model, read from no file, on the demo)."""
        from revops_cli.model.compile import model_for

        return model_for(self.settings)

    def render(self, template: str, **values: Any) -> str:
        from revops_cli.templates import render

        return render(self.settings, template, as_of=self.as_of, **values)


class Agent(Protocol):
    name: str

    def handle(self, ctx: AgentContext, task: Task) -> Answer:
        ...
