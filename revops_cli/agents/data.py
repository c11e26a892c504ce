"""The Data agent: answers general RevOps questions across the business from the SQL pattern catalogue.

It picks one analysis (two when the question plainly asks for both) with the keyword rules in
`analyses/choosing.py`, fills the patterns' parameters from the question and the resolved entities, runs them, and
writes a short analyst's read of the result - headline, 3-5 bullets, the table - from the pattern results
only. A question it cannot map gets a list of what it can answer.

    Answer.data = {
        "analysis": "revenue_by_segment",            # None when nothing matched
        "period": {"label", "start", "end", "kind"}, "compare_period": {...} | None,
        "params": {...},                             # the typed parameters of the first pattern run
        "summary": {...},                            # the headline figures, as numbers
        "rows": [...],                               # the table's rows (at most 50)
        "results": {pattern: {"pattern", "params", "row_count", "truncated", "rows"}},
        "analyses": [ {the same keys} ... ],         # only when two analyses ran
    }
"""

from __future__ import annotations

from typing import Any

from revops_cli.agents import analyses as A
from revops_cli.agents.base import AgentContext, Task
from revops_cli.agents.periods import parse_period
from revops_cli.models import Answer, jsonable
from revops_cli.templates import format_value

ANALYSES = A.ANALYSES
choose_analysis = A.choose_analysis
choose_analyses = A.choose_analyses

__all__ = ["DataAgent", "ANALYSES", "choose_analysis", "choose_analyses", "capabilities"]


def capabilities(settings=None) -> list[dict[str, Any]]:
    """What the agent can answer: each analysis with its description and example questions (its own and the
    ones in its patterns' headers)."""
    catalog = None
    if settings is not None:
        from revops_cli.warehouse.queries import pattern_catalog

        catalog = pattern_catalog(settings)
    out = []
    for a in ANALYSES.values():
        examples = list(a.examples)
        if catalog is not None:
            for name in a.patterns:
                if name in catalog:
                    examples += [e for e in catalog.get(name).examples if e not in examples]
        out.append({"name": a.name, "title": a.title, "description": a.description, "patterns": list(a.patterns),
                    "default_period": a.default_period, "examples": examples})
    return out


def _section(out: A.Outcome) -> dict[str, Any]:
    shown = out.rows[:A.TABLE_ROWS]
    period_label = None
    if out.period:
        p = out.period
        period_label = f"{p.label} ({p.start.isoformat()} to {p.end.isoformat()})" if p.start != p.end else \
            f"{p.label} ({p.start.isoformat()})"
    return {
        "title": out.title,
        "period_label": period_label,
        "headline": out.headline,
        "bullets": out.bullets[:5],
        "table": {"headers": [c[1] for c in out.columns],
                  "rows": [[format_value(r.get(k), fmt) for k, _, fmt in out.columns] for r in shown],
                  "more": max(A.row_count(out) - len(shown), 0), "kept": len(out.rows[:A.ROW_CAP])},
        "notes": out.notes,
    }


def _data(out: A.Outcome) -> dict[str, Any]:
    return {
        "analysis": out.analysis,
        "period": out.period.to_dict() if out.period else None,
        "compare_period": out.compare_period.to_dict() if out.compare_period else None,
        "params": out.params,
        "summary": jsonable(out.summary),
        "rows": jsonable(out.rows[:A.ROW_CAP]),
        "row_count": A.row_count(out),          # every row the analysis found; `rows` keeps the first ROW_CAP
        "results": out.results,
    }


class DataAgent:
    name = "data"

    def handle(self, ctx: AgentContext, task: Task) -> Answer:
        text = task.text or ""
        forced = task.params.get("analysis")
        names = [forced] if forced in ANALYSES else choose_analyses(text)
        if not names:
            caps = capabilities(ctx.settings)
            ctx.trace.note(self.name, "no analysis matches the question; listing capabilities")
            body = ctx.render("data_capabilities.md.j2", question=text.strip(), capabilities=caps)
            return Answer(agent=self.name, text=body, data={"analysis": None, "capabilities": caps})
        ask = self._ask(ctx, task)
        outcomes = []
        for name in names:
            ctx.trace.note(self.name, f"analysis: {name} ({ANALYSES[name].description.split(' - ')[0]})")
            outcomes.append(A.RUNNERS[name](ask))
        body = ctx.render("data.md.j2", sections=[_section(o) for o in outcomes])
        data = _data(outcomes[0])
        if len(outcomes) > 1:
            data["analyses"] = [_data(o) for o in outcomes]
        sources: list[dict[str, Any]] = []
        for o in outcomes:
            sources += [s for s in o.sources if s not in sources]
        return Answer(agent=self.name, text=body, data=data, sources=sources)

    @staticmethod
    def _ask(ctx: AgentContext, task: Task) -> A.Ask:
        text = task.text or ""
        e = task.entities or {}
        period = A.as_period(e.get("period")) or parse_period(text, ctx.as_of, ctx.fiscal_start_month)
        segment = task.params.get("segment") or A.find_segment(text)
        region = task.params.get("region") or A.find_region(text)
        account = e.get("account") if isinstance(e.get("account"), dict) else None
        if account is not None and not (account.get("account_id") or account.get("name")):
            account = None
        return A.Ask(ctx=ctx, text=text, period=period, segment=segment, region=region, account=account,
                     params=dict(task.params or {}))
