"""Pipeline changes between two dates: what the forecast call asks every week.

Public, for the Data agent (agents/analyses/forecast_call.py), the reports and the alerts (issue 18); it sits
below all three (it imports only the warehouse's query door), so a feature never reaches into an agent for it:

    from revops_cli.pipeline_changes import compute_pipeline_changes
    ch = compute_pipeline_changes(warehouse, settings, start=date(2026, 11, 18), end=date(2026, 11, 24),
                                  period_start=date(2026, 10, 1), period_end=date(2026, 12, 31))
    ch.commit_before, ch.commit_after, ch.commit_change       # the period's commit at both dates
    ch.deals                                                  # [DealChange]: kinds, amounts, days moved
    ch.rollup("owner")                                        # [ChangeGroup] per rep (also team, segment,
                                                              #  forecast_category)

Changes are made on `start` .. `end` (both days included); "before" is the pipeline at the end of the day
before `start`, "after" at the end of `end`. Both states are rebuilt from the stage and close-date history
(the `pipeline_changes` SQL pattern) or, where a warehouse keeps no history, from the daily snapshots
`revops snapshot` stores (`snapshots.py`). `changes_from_rows` is the pure part: rows in, records out.

Kinds of change a deal can have (several at once): new, won, lost, reopened, slipped (open in the period
before, now closing after it), pushed, pulled_in (with days), amount_up, amount_down, stage_forward,
stage_back. The pipeline bridge attributes each deal's change of the period's open pipeline to one cause
(new, pulled in, reopened, amount up, amount down, won, lost, slipped, other), so the steps sum exactly to
the net change.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any, Callable, Iterable

KINDS = ("new", "won", "lost", "reopened", "slipped", "pushed", "pulled_in", "amount_up", "amount_down",
         "stage_forward", "stage_back")
KIND_LABELS = {"new": "New", "won": "Won", "lost": "Lost", "reopened": "Reopened",
               "slipped": "Slipped out of the period", "pushed": "Pushed", "pulled_in": "Pulled in",
               "amount_up": "Amount up", "amount_down": "Amount down", "stage_forward": "Stage forward",
               "stage_back": "Stage back"}
BRIDGE_STEPS = ("new", "pulled_in", "reopened", "amount_up", "amount_down", "won", "lost", "slipped", "other")
BRIDGE_LABELS = {"new": "New deals", "pulled_in": "Pulled into the period", "reopened": "Reopened",
                 "amount_up": "Amounts up", "amount_down": "Amounts down", "won": "Won", "lost": "Lost",
                 "slipped": "Slipped out of the period", "other": "Other"}
ROLLUPS = ("owner", "team", "segment", "forecast_category")


def _f(v: Any) -> float:
    try:
        return 0.0 if v is None else float(v)
    except (TypeError, ValueError):
        return 0.0


def _d(v: Any) -> date | None:
    if v is None or isinstance(v, date):
        return v if not hasattr(v, "date") else v.date()
    return date.fromisoformat(str(v)[:10])


class Levels:
    """The changes of the period's open pipeline and commit, for a record with both before and after."""

    pipeline_before: float
    pipeline_after: float
    commit_before: float
    commit_after: float

    @property
    def pipeline_change(self) -> float:
        return self.pipeline_after - self.pipeline_before

    @property
    def commit_change(self) -> float:
        return self.commit_after - self.commit_before


@dataclass
class DealChange(Levels):
    """One deal that changed between the two dates, with its state at both."""

    opportunity_id: str
    deal_name: str
    account_name: str | None
    owner_id: str | None
    owner_name: str | None
    team: str | None
    segment: str | None
    region: str | None
    forecast_category: str | None         # the category it was in before (after, for a new deal)
    kinds: list[str]
    cause: str | None                     # the bridge step its pipeline change counts under (None: no change)
    existed_before: bool
    stage_before: str | None
    stage_after: str | None
    close_date_before: date | None
    close_date_after: date | None
    amount_before: float | None
    amount_after: float | None
    forecast_category_before: str | None
    forecast_category_after: str | None
    days_moved: int                       # + pushed, - pulled in, 0 unchanged
    amount_change: float
    pipeline_before: float                # its open amount closing in the period, before / after
    pipeline_after: float
    commit_before: float
    commit_after: float

    @property
    def amount(self) -> float:
        """The deal's amount now (before, for one that has no amount now)."""
        return self.amount_after if self.amount_after is not None else _f(self.amount_before)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d.update(pipeline_change=self.pipeline_change, commit_change=self.commit_change,
                 change=", ".join(KIND_LABELS[k] for k in self.kinds))
        return d


@dataclass
class ChangeGroup(Levels):
    """The changes of one rep, team, segment or forecast category."""

    by: str
    key: str
    counts: dict[str, int] = field(default_factory=dict)      # kind -> deals
    amounts: dict[str, float] = field(default_factory=dict)   # kind -> amount (the deal's amount; for amount
                                                              # changes the change itself)
    pipeline_before: float = 0.0
    pipeline_after: float = 0.0
    commit_before: float = 0.0
    commit_after: float = 0.0
    deals: int = 0

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"by": self.by, "key": self.key, "deals": self.deals}
        for k in KINDS:
            out[f"{k}_count"] = self.counts.get(k, 0)
            out[f"{k}_amount"] = self.amounts.get(k, 0.0)
        out.update(pipeline_change=self.pipeline_change, commit_change=self.commit_change)
        return out


@dataclass
class PipelineChanges(Levels):
    start: date
    end: date
    period_start: date
    period_end: date
    source: str                             # "history" | "snapshots"
    deals: list[DealChange]
    pipeline_before: float
    pipeline_after: float
    commit_before: float
    commit_after: float
    best_case_before: float
    best_case_after: float
    deals_before: int
    deals_after: int
    owner_levels: dict[str, dict[str, float]] = field(default_factory=dict)   # owner_id -> pipeline/commit before/after
    notes: list[str] = field(default_factory=list)

    @property
    def best_case_change(self) -> float:
        return self.best_case_after - self.best_case_before

    def of_kind(self, kind: str) -> list[DealChange]:
        return [d for d in self.deals if kind in d.kinds]

    def counts(self) -> dict[str, int]:
        return {k: len(self.of_kind(k)) for k in KINDS}

    def amounts(self) -> dict[str, float]:
        return {k: _kind_amount(self.of_kind(k), k) for k in KINDS}

    def bridge(self) -> list[tuple[str, float]]:
        """The period's open pipeline change by cause, in BRIDGE_STEPS order; sums to `pipeline_change`."""
        steps = {s: 0.0 for s in BRIDGE_STEPS}
        for d in self.deals:
            if d.cause:
                steps[d.cause] += d.pipeline_change
        return [(s, steps[s]) for s in BRIDGE_STEPS]

    def rollup(self, by: str) -> list[ChangeGroup]:
        """Per rep (`owner`), `team`, `segment` or `forecast_category`: counts and amounts per kind, and the
        change of the period's pipeline and commit; biggest pipeline change first."""
        if by not in ROLLUPS:
            raise ValueError(f"rollup by {by!r}: use one of {', '.join(ROLLUPS)}")
        groups: dict[str, ChangeGroup] = {}
        for d in self.deals:
            key = {"owner": d.owner_name or d.owner_id, "team": d.team, "segment": d.segment,
                   "forecast_category": d.forecast_category}[by] or "Unknown"
            g = groups.setdefault(key, ChangeGroup(by, key))
            g.deals += 1
            for k in d.kinds:
                g.counts[k] = g.counts.get(k, 0) + 1
                g.amounts[k] = g.amounts.get(k, 0.0) + _kind_amount([d], k)
            g.pipeline_before += d.pipeline_before
            g.pipeline_after += d.pipeline_after
            g.commit_before += d.commit_before
            g.commit_after += d.commit_after
        return sorted(groups.values(), key=lambda g: (-abs(g.pipeline_change), -g.deals, g.key))

    def summary(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "start": self.start.isoformat(), "end": self.end.isoformat(),
            "period_start": self.period_start.isoformat(), "period_end": self.period_end.isoformat(),
            "source": self.source, "changed_deals": len(self.deals),
            "pipeline_before": self.pipeline_before, "pipeline_after": self.pipeline_after,
            "pipeline_change": self.pipeline_change, "commit_before": self.commit_before,
            "commit_after": self.commit_after, "commit_change": self.commit_change,
            "commit_change_pct": (100.0 * self.commit_change / self.commit_before) if self.commit_before else None,
            "pipeline_change_pct": (100.0 * self.pipeline_change / self.pipeline_before) if self.pipeline_before else None,
            "best_case_before": self.best_case_before, "best_case_after": self.best_case_after,
            "best_case_change": self.best_case_change,
            "deals_before": self.deals_before, "deals_after": self.deals_after}
        counts, amounts = self.counts(), self.amounts()
        for k in KINDS:
            out[f"{k}_count"] = counts[k]
            out[f"{k}_amount"] = amounts[k]
        out["days_pushed"] = sum(d.days_moved for d in self.of_kind("pushed"))
        out["days_pulled_in"] = -sum(d.days_moved for d in self.of_kind("pulled_in"))
        out["bridge"] = {s: v for s, v in self.bridge()}
        out["bridge_labels"] = dict(BRIDGE_LABELS)
        return out


def _kind_amount(deals: Iterable[DealChange], kind: str) -> float:
    if kind in ("amount_up", "amount_down"):
        return sum(d.amount_change for d in deals)
    return sum(d.amount for d in deals)


# ----------------------------------------------------------------------------------------------------------
# Rows in, records out
# ----------------------------------------------------------------------------------------------------------

def classify(row: dict[str, Any], period_start: date, period_end: date) -> tuple[list[str], str | None, int]:
    """(kinds, bridge cause, days moved) of one deal from its two states (the pattern's columns)."""
    kinds: list[str] = []
    existed = bool(row.get("existed_before"))
    cb, ca = bool(row.get("closed_before")), bool(row.get("closed_after"))
    d0, d1 = _d(row.get("close_date_before")), _d(row.get("close_date_after"))
    a0, a1 = _f(row.get("amount_before")), _f(row.get("amount_after"))
    days = (d1 - d0).days if (existed and d0 and d1) else 0
    if not existed:
        kinds.append("new")
    if ca and (not cb or not existed):
        kinds.append("won" if row.get("won_after") else "lost")
    if existed and cb and not ca:
        kinds.append("reopened")
    if existed and not ca:
        in_before = not cb and d0 is not None and period_start <= d0 <= period_end
        if in_before and d1 is not None and d1 > period_end:
            kinds.append("slipped")
        if days > 0:
            kinds.append("pushed")
        elif days < 0:
            kinds.append("pulled_in")
        if a1 > a0:
            kinds.append("amount_up")
        elif a1 < a0:
            kinds.append("amount_down")
        p0, p1 = row.get("stage_probability_before"), row.get("stage_probability_after")
        if row.get("stage_before") != row.get("stage_after") and not cb and p0 is not None and p1 is not None:
            kinds.append("stage_forward" if _f(p1) > _f(p0) else "stage_back" if _f(p1) < _f(p0) else "stage_forward")
    pb, pa = _f(row.get("pipeline_before")), _f(row.get("pipeline_after"))
    cause = None
    if pb != pa:
        if pb == 0:
            cause = ("new" if not existed else "reopened" if "reopened" in kinds
                     else "pulled_in" if (d0 and not (period_start <= d0 <= period_end)) else "amount_up"
                     if a1 > a0 else "other")
        elif pa == 0:
            cause = ("won" if "won" in kinds else "lost" if "lost" in kinds else "slipped" if "slipped" in kinds
                     else "other")
        else:
            cause = "amount_up" if pa > pb else "amount_down"
    return kinds, cause, days


def changes_from_rows(rows: list[dict[str, Any]], *, start: date, end: date, period_start: date,
                      period_end: date, source: str = "history") -> PipelineChanges:
    """The `pipeline_changes` pattern's rows (or the same columns from snapshots) as records."""
    first = rows[0] if rows else {}
    deals = []
    owner_levels: dict[str, dict[str, float]] = {}
    for r in rows:
        if not r.get("opportunity_id"):
            continue            # the totals-only row of a window without changes
        kinds, cause, days = classify(r, period_start, period_end)
        if not kinds and cause is None:
            continue            # touched, but back where it was (a stage moved and back, a date set twice)
        existed = bool(r.get("existed_before"))
        pb, pa = _f(r.get("pipeline_before")), _f(r.get("pipeline_after"))
        fb, fa = r.get("forecast_category_before"), r.get("forecast_category_after")
        deals.append(DealChange(
            opportunity_id=r["opportunity_id"], deal_name=r.get("deal_name") or r["opportunity_id"],
            account_name=r.get("account_name"), owner_id=r.get("owner_id"), owner_name=r.get("owner_name"),
            team=r.get("team"), segment=r.get("segment"), region=r.get("region"),
            forecast_category=(fb if existed else fa), kinds=kinds, cause=cause, existed_before=existed,
            stage_before=r.get("stage_before") if existed else None, stage_after=r.get("stage_after"),
            close_date_before=_d(r.get("close_date_before")) if existed else None,
            close_date_after=_d(r.get("close_date_after")),
            amount_before=_f(r.get("amount_before")) if existed else None, amount_after=_f(r.get("amount_after")),
            forecast_category_before=fb if existed else None, forecast_category_after=fa, days_moved=days,
            amount_change=(_f(r.get("amount_after")) - _f(r.get("amount_before"))) if existed else 0.0,
            pipeline_before=pb, pipeline_after=pa,
            commit_before=pb if fb == "Commit" else 0.0, commit_after=pa if fa == "Commit" else 0.0))
        if r.get("owner_id") and r.get("owner_pipeline_before") is not None:
            owner_levels[r["owner_id"]] = {k: _f(r.get(f"owner_{k}")) for k in (
                "pipeline_before", "pipeline_after", "commit_before", "commit_after")}
    deals.sort(key=lambda d: (-abs(d.pipeline_change), -d.amount, d.opportunity_id))
    return PipelineChanges(
        start=start, end=end, period_start=period_start, period_end=period_end, source=source, deals=deals,
        pipeline_before=_f(first.get("total_pipeline_before")), pipeline_after=_f(first.get("total_pipeline_after")),
        commit_before=_f(first.get("total_commit_before")), commit_after=_f(first.get("total_commit_after")),
        best_case_before=_f(first.get("total_best_case_before")),
        best_case_after=_f(first.get("total_best_case_after")),
        deals_before=int(_f(first.get("total_deals_before"))), deals_after=int(_f(first.get("total_deals_after"))),
        owner_levels=owner_levels)


RunPattern = Callable[..., list[dict[str, Any]]]


def pipeline_changes(run_pattern: RunPattern, *, start: date, end: date, period_start: date, period_end: date,
                     segment: str | None = None, region: str | None = None,
                     owner_id: str | None = None) -> PipelineChanges:
    """The changes, with `run_pattern(name, **values) -> rows` (a traced agent call, or a report's runner)."""
    values: dict[str, Any] = {"start_date": start, "end_date": end, "period_start": period_start,
                              "period_end": period_end}
    for k, v in (("segment", segment), ("region", region), ("owner_id", owner_id)):
        if v is not None:
            values[k] = v
    rows = run_pattern("pipeline_changes", **values)
    return changes_from_rows(rows, start=start, end=end, period_start=period_start, period_end=period_end)


def compute_pipeline_changes(warehouse: Any, settings: Any, *, start: date, end: date, period_start: date,
                             period_end: date, segment: str | None = None, region: str | None = None,
                             owner_id: str | None = None) -> PipelineChanges:
    """`pipeline_changes` on an open warehouse (warehouse/queries.py, through the semantic model)."""
    from revops_cli.models import jsonable
    from revops_cli.warehouse.queries import run_pattern

    def runner(name: str, **values: Any) -> list[dict[str, Any]]:
        _, _, result = run_pattern(warehouse, settings, name, values)
        return [jsonable(r) for r in result.records()]

    return pipeline_changes(runner, start=start, end=end, period_start=period_start, period_end=period_end,
                            segment=segment, region=region, owner_id=owner_id)


def changes_from_snapshots(before: list[dict[str, Any]], after: list[dict[str, Any]], *, start: date, end: date,
                           period_start: date, period_end: date) -> PipelineChanges:
    """The changes between two stored pipeline snapshots (warehouse/snapshots.py): `before` taken at the
    end of the day before `start` (or earlier), `after` at the end of `end`. Forecast categories are the
    real ones of each day. A deal in neither snapshot is not known; one only in `after` is new when created
    on or after `start`."""
    old = {r["opportunity_id"]: r for r in before}
    new = {r["opportunity_id"]: r for r in after}

    def level(r: dict[str, Any] | None) -> float:
        if r is None or r.get("is_closed"):
            return 0.0
        d = _d(r.get("close_date"))
        return _f(r.get("amount")) if d is not None and period_start <= d <= period_end else 0.0

    rows: list[dict[str, Any]] = []
    totals = {"pipeline_before": 0.0, "pipeline_after": 0.0, "commit_before": 0.0, "commit_after": 0.0,
              "best_case_before": 0.0, "best_case_after": 0.0, "deals_before": 0, "deals_after": 0}
    owners: dict[str, dict[str, float]] = {}
    for oid in sorted(set(old) | set(new)):
        b, a = old.get(oid), new.get(oid)
        cur = a or b
        pb, pa = level(b), level(a)
        fb, fa = (b or {}).get("forecast_category"), (a or {}).get("forecast_category")
        totals["pipeline_before"] += pb
        totals["pipeline_after"] += pa
        totals["commit_before"] += pb if fb == "Commit" else 0.0
        totals["commit_after"] += pa if fa == "Commit" else 0.0
        totals["best_case_before"] += pb if fb == "Best Case" else 0.0
        totals["best_case_after"] += pa if fa == "Best Case" else 0.0
        totals["deals_before"] += 1 if pb else 0
        totals["deals_after"] += 1 if pa else 0
        o = owners.setdefault(cur.get("owner_id") or "", {"pipeline_before": 0.0, "pipeline_after": 0.0,
                                                           "commit_before": 0.0, "commit_after": 0.0})
        o["pipeline_before"] += pb
        o["pipeline_after"] += pa
        o["commit_before"] += pb if fb == "Commit" else 0.0
        o["commit_after"] += pa if fa == "Commit" else 0.0
        if a is None:
            continue            # closed before the window and dropped from the later snapshot: no news
        created = _d(a.get("created_date"))
        existed = b is not None or (created is not None and created < start)
        if b is None and existed:
            continue            # older than the first snapshot's horizon (closed long ago): nothing to compare
        keys = ("stage", "close_date", "amount", "forecast_category", "is_closed")
        if existed and all(b.get(k) == a.get(k) for k in keys):
            continue
        rows.append({
            "opportunity_id": oid, "deal_name": a.get("deal_name"), "account_name": a.get("account_name"),
            "owner_id": a.get("owner_id"), "owner_name": a.get("owner_name"), "team": a.get("team"),
            "segment": a.get("segment"), "region": a.get("region"), "existed_before": existed,
            "stage_before": (b or {}).get("stage"), "stage_after": a.get("stage"),
            "close_date_before": (b or {}).get("close_date"), "close_date_after": a.get("close_date"),
            "amount_before": (b or {}).get("amount"), "amount_after": a.get("amount"),
            "closed_before": bool((b or {}).get("is_closed")), "won_before": bool((b or {}).get("is_won")),
            "closed_after": bool(a.get("is_closed")), "won_after": bool(a.get("is_won")),
            "forecast_category_before": fb, "forecast_category_after": fa,
            "stage_probability_before": (b or {}).get("probability"), "stage_probability_after": a.get("probability"),
            "pipeline_before": pb, "pipeline_after": pa})
    first = {f"total_{k}": v for k, v in totals.items()}
    for r in rows:
        r.update(first)
        lv = owners.get(r.get("owner_id") or "", {})
        r.update({f"owner_{k}": v for k, v in lv.items()})
    ch = changes_from_rows(rows or [first], start=start, end=end, period_start=period_start,
                           period_end=period_end, source="snapshots")
    return ch
