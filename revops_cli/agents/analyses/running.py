"""Running an analysis: the request as the analyses see it (`Ask`), what they hand back (`Outcome`),
`run` (one SQL pattern, its parameters, rows and source recorded), and small number and wording helpers."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from revops_cli.agents.periods import Period
from revops_cli.models import jsonable
from revops_cli.formatting import num

AGENT = "data"
ROW_CAP = 50            # rows kept in Answer.data["rows"]
TABLE_ROWS = 15         # rows shown in the markdown table
SUMMARY_LIMIT = 5000    # rows fetched when a summary needs every matching row, not just the top


@dataclass
class Ask:
    ctx: Any                      # AgentContext
    text: str
    period: Period | None         # named by the question (or the manager), else None
    segment: str | None
    region: str | None
    account: dict[str, Any] | None
    params: dict[str, Any] = field(default_factory=dict)   # explicit inputs (task.params)
    filters: list[Any] = field(default_factory=list)       # understanding.Filter: every one must be applied
    dimensions: list[str] = field(default_factory=list)    # breakdowns asked for ("by owner")
    any_close_date: bool = False                           # open deals whatever their close date

    @property
    def as_of(self) -> date:
        return self.ctx.as_of

    def value(self, dimension: str) -> Any:
        """The value of an equality filter on `dimension`, or None."""
        return next((f.value for f in self.filters if f.dimension == dimension and f.op == "="), None)

    def values(self, dimension: str) -> list[Any]:
        out: list[Any] = []
        for f in self.filters:
            if f.dimension == dimension and f.op == "=":
                out.append(f.value)
            elif f.dimension == dimension and f.op == "in":
                out += list(f.value)
        return out

    def id_of(self, dimension: str) -> Any:
        return next((f.id for f in self.filters if f.dimension == dimension and f.op == "="), None)

    @property
    def owner_id(self) -> str | None:
        return self.params.get("owner_id") or self.id_of("owner")

    @property
    def min_amount(self) -> float | None:
        for f in self.filters:
            if f.dimension == "amount" and f.op == ">=":
                return float(f.value)
            if f.dimension == "amount" and f.op == "between":
                return float(f.value[0])
        return None

    @property
    def below_amount(self) -> float | None:
        return next((float(f.value) for f in self.filters if f.dimension == "amount" and f.op == "<"), None)

    @property
    def max_amount(self) -> float | None:
        for f in self.filters:
            if f.dimension == "amount" and f.op == "<=":
                return float(f.value)
            if f.dimension == "amount" and f.op == "between":
                return float(f.value[1])
        return None

    def filter_words(self) -> str:
        """' in EMEA, owned by X, of at least $500K' - the filters in the wording of a headline."""
        from revops_cli.formatting import money

        parts = []
        for f in self.filters:
            if f.dimension in ("segment", "region", "status"):
                continue                       # said by segment_words / the analysis itself
            if f.dimension == "amount":
                parts.append(f"of at least {money(f.value)}" if f.op == ">=" else f"of at most {money(f.value)}"
                             if f.op == "<=" else f"under {money(f.value)}" if f.op == "<"
                             else f"of {money(f.value[0])}–{money(f.value[1])}")
            elif f.dimension == "owner":
                parts.append(f"owned by {f.value}")
            elif f.dimension == "competitor":
                parts.append(f"with {f.value} as a competitor")
            elif f.dimension == "account":
                parts.append(f"at {f.value}")
            elif f.dimension == "region":
                parts.append(f"in {f.value}")
            elif f.dimension == "stage":
                parts.append("in " + " or ".join(self.values("stage")))
            else:
                parts.append(f"with {f.dimension.replace('_', ' ')} {f.value}")
        return (" " + ", ".join(parts)) if parts else ""

    @property
    def fiscal_start_month(self) -> int:
        return getattr(self.ctx, "fiscal_start_month", 1)

    @property
    def low(self) -> str:
        return self.text.lower()


@dataclass
class Outcome:
    analysis: str
    title: str
    period: Period | None = None
    compare_period: Period | None = None
    params: dict[str, Any] = field(default_factory=dict)
    summary: dict[str, Any] = field(default_factory=dict)
    rows: list[dict[str, Any]] = field(default_factory=list)
    row_total: int | None = None  # how many rows the analysis found when `rows` keeps only the first ROW_CAP
    columns: list[tuple[str, str, str]] = field(default_factory=list)   # (key, header, format)
    headline: str = ""
    bullets: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    results: dict[str, dict[str, Any]] = field(default_factory=dict)
    sources: list[dict[str, Any]] = field(default_factory=list)
    queries: list[dict[str, Any]] = field(default_factory=list)          # each SQL run: pattern, text, bound values
    unavailable: dict[str, str] = field(default_factory=dict)   # data this warehouse lacks -> why (model)
    what: str | None = None       # the interpretation line's first words when not the analysis' own ("Usage at X")
    top: tuple[int, str, int] | None = None   # a list cut to the question's N: (N, "biggest"/"smallest", how many match)


def row_count(out: Outcome) -> int:
    """How many rows the analysis found: its own count when `rows` was cut, else the rows kept."""
    return max(out.row_total or 0, len(out.rows))


def as_float(v: Any) -> float:
    return 0.0 if v is None else float(v)


def ratio_pct(part: Any, whole: Any) -> float | None:
    return None if not whole else 100.0 * as_float(part) / as_float(whole)


def change_pct(cur: Any, prev: Any) -> float | None:
    return None if not prev else 100.0 * (as_float(cur) - as_float(prev)) / as_float(prev)


def run(ask: Ask, out: Outcome, pattern: str, key: str | None = None, **values: Any) -> list[dict[str, Any]]:
    """Run a pattern with the values it declares (None values dropped); record params, rows and source."""
    from revops_cli.warehouse.queries import pattern_catalog

    pat = pattern_catalog(ask.ctx.settings).get(pattern)
    given = {k: v for k, v in values.items() if k in pat.params and v is not None}
    typed = pat.coerce(given)
    result = ask.ctx.run_pattern(AGENT, pattern, **given)
    rows = [{k: (float(v) if isinstance(v, Decimal) else v) for k, v in r.items()} for r in result.records()]
    slot = key or pattern
    sql, bound = pat.render(typed, table=ask.ctx.settings.table)
    out.results[slot] = {"pattern": pattern, "params": jsonable(typed), "row_count": len(rows),
                         "truncated": result.truncated, "rows": jsonable(rows[:ROW_CAP])}
    out.queries.append({"pattern": pattern, "sql": sql, "bound": jsonable(bound), "rows": len(rows),
                        "cached": bool(getattr(result, "cached", False))})
    if not out.params:
        out.params = jsonable(typed)
    if not any(s.get("pattern") == pattern for s in out.sources):
        out.sources.append({"type": "sql_pattern", "pattern": pattern, "description": pat.description})
    return rows


def lacks(ask: Ask, *requires: str) -> dict[str, str]:
    """Which of these canonical data (`entity` or `entity.column`) the warehouse's semantic model declares
    missing, with the reason; empty on the demo warehouse."""
    from revops_cli.model.compile import unavailable

    return unavailable(ask.ctx.semantic_model(), requires)


def pattern_lacks(ask: Ask, pattern: str) -> dict[str, str]:
    """What a pattern's `requires:` names that this warehouse lacks."""
    from revops_cli.warehouse.queries import pattern_catalog

    return lacks(ask, *pattern_catalog(ask.ctx.settings).get(pattern).requires)


def pattern_fallback(ask: Ask, pattern: str) -> tuple[dict[str, Any], dict[str, str]]:
    """The parameters a pattern declares (`fallback:`) for answering without what this warehouse lacks, and the
    lacking items with their reasons; ({}, {}) on a warehouse that has everything the pattern requires."""
    from revops_cli.warehouse.queries import pattern_catalog

    pat = pattern_catalog(ask.ctx.settings).get(pattern)
    gaps = lacks(ask, *pat.requires)
    params, _ = pat.fallback(gaps)
    return params, gaps


def unavailable_note(ask: Ask, out: Outcome, kind: str, gaps: dict[str, str]) -> str:
    """The sentence saying what this warehouse cannot answer (templates/data_unavailable.md.j2), recorded in
    the outcome and the trace, so the answer never shows 0 or "none" for data that does not exist."""
    out.unavailable.update(gaps)
    ask.ctx.trace.note(AGENT, f"unavailable on this warehouse ({kind}): "
                       + "; ".join(f"{k}: {v}" for k, v in gaps.items()))
    return ask.ctx.render("data_unavailable.md.j2", kind=kind, gaps=gaps).strip()


def count_of(count: Any, word: str, plural: str | None = None) -> str:
    """'1 deal', '3 deals', '1,204 accounts'."""
    n = int(count or 0)
    return f"{num(n)} {word if n == 1 else (plural or word + 's')}"


def period_name(p: Period) -> str:
    """'Q4 2026 (2026-10-01 to 2026-12-31)'; a label that already gives its dates ('this week (…)') as it is."""
    if p.start.isoformat() in p.label:
        return p.label
    return f"{p.label} ({p.start.isoformat()} to {p.end.isoformat()})"


def segment_words(ask: Ask) -> str:
    """' Enterprise', ' EMEA', ' Enterprise EMEA': the segment and region a question filters on."""
    return "".join(f" {w}" for w in (ask.segment, ask.region) if w)
