"""The forecast roll-up: per rep and team for a period, closed won, commit, best case and pipeline; the CRM's
weighted number and revops' evidence-adjusted number side by side; the deals that make the gap and why;
against the bookings target.

    from revops_cli.agents.analyses.rollup import forecast_rollup
    r = forecast_rollup(ctx, period)          # ctx: an AgentContext (the Deal agent's assessment needs one)
    r.total, r.reps, r.teams                  # [RollupLine]
    r.gap_deals                               # [DealForecast], biggest difference first

The evidence-adjusted probability of an open deal is the Deal agent's (`DealAnalysisAgent.assess`: MEDDPICC
from the CRM and the call transcripts, the risk rules, the rubric's `probability:` adjustments), never a copy
of it. Weighted = closed won + the open amount x probability (CRM, or adjusted). A Commit deal is "soft" when
the evidence takes SOFT_DROP points or more off its CRM probability, or leaves it under SOFT_BELOW; a rep's
`soft_commit` is the amount of those deals.
At most MAX_ASSESSED open deals (the biggest) are assessed; the rest keep the CRM probability, with a note.
A deal's assessment is kept in process for EVIDENCE_TTL_S per warehouse and analysis date, so the four
sections of `revops report forecast-rollup` assess each deal once, not four times.

Targets are per segment (the `targets` table); a team whose name is a segment carries that segment's target,
and the total the sum of all segments'. No per-rep quota exists in the canonical schema.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

from revops_cli.agents.periods import Period

SOFT_BELOW = 50            # an open Commit deal whose adjusted probability is below this % is soft,
SOFT_DROP = 5              # and so is one the evidence takes this many points or more below the CRM
MAX_ASSESSED = 300         # open deals assessed by the Deal agent per roll-up (biggest first)
EVIDENCE_TTL_S = 300.0     # a report's sections share one assessment of each deal (in process, per warehouse)
_EVIDENCE: dict[tuple, tuple[float, Any]] = {}
CATEGORIES = {"Commit": "commit", "Best Case": "best_case", "Pipeline": "pipeline"}


def _f(v: Any) -> float:
    return 0.0 if v is None else float(v)


@dataclass
class DealForecast:
    opportunity_id: str
    deal_name: str
    account_name: str | None
    owner_id: str | None
    owner_name: str | None
    team: str | None
    segment: str | None
    stage: str | None
    forecast_category: str | None
    amount: float
    close_date: date | None
    is_won: bool
    crm_probability: int | None
    adjusted_probability: int | None
    assessed: bool                          # False: not assessed (closed, or beyond MAX_ASSESSED): CRM figure
    reasons: list[str] = field(default_factory=list)   # the adjustments and main risks, in words
    high_risks: int = 0
    failed_gates: int = 0

    @property
    def crm_weighted(self) -> float:
        return self.amount if self.is_won else self.amount * (self.crm_probability or 0) / 100.0

    @property
    def adjusted_weighted(self) -> float:
        return self.amount if self.is_won else self.amount * (self.adjusted_probability or 0) / 100.0

    @property
    def gap(self) -> float:
        """Adjusted minus CRM weighted: negative where the evidence says less than the CRM."""
        return self.adjusted_weighted - self.crm_weighted

    @property
    def soft(self) -> bool:
        return (not self.is_won and self.forecast_category == "Commit"
                and ((self.adjusted_probability or 0) < SOFT_BELOW
                     or (self.adjusted_probability or 0) <= (self.crm_probability or 0) - SOFT_DROP))

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d.update(crm_weighted=self.crm_weighted, adjusted_weighted=self.adjusted_weighted, gap=self.gap,
                 soft=self.soft, why="; ".join(self.reasons))
        return d


@dataclass
class RollupLine:
    by: str                                  # owner | team | total
    key: str
    team: str | None = None
    closed_won: float = 0.0
    commit: float = 0.0
    best_case: float = 0.0
    pipeline: float = 0.0
    crm_weighted: float = 0.0
    adjusted_weighted: float = 0.0
    commit_adjusted: float = 0.0             # the commit deals' amount x adjusted probability
    soft_commit: float = 0.0                 # commit deals under SOFT_BELOW adjusted
    soft_deals: int = 0
    open_deals: int = 0
    target: float | None = None

    @property
    def gap(self) -> float:
        return self.adjusted_weighted - self.crm_weighted

    @property
    def soft_commit_pct(self) -> float | None:
        return 100.0 * self.soft_commit / self.commit if self.commit else None

    @property
    def commit_forecast(self) -> float:
        return self.closed_won + self.commit

    @property
    def attainment_pct(self) -> float | None:
        return 100.0 * self.closed_won / self.target if self.target else None

    @property
    def adjusted_pct_of_target(self) -> float | None:
        return 100.0 * self.adjusted_weighted / self.target if self.target else None

    def add(self, d: DealForecast) -> None:
        if d.is_won:
            self.closed_won += d.amount
        else:
            self.open_deals += 1
            slot = CATEGORIES.get(d.forecast_category or "")
            if slot:
                setattr(self, slot, getattr(self, slot) + d.amount)
            if d.forecast_category == "Commit":
                self.commit_adjusted += d.adjusted_weighted
            if d.soft:
                self.soft_commit += d.amount
                self.soft_deals += 1
        self.crm_weighted += d.crm_weighted
        self.adjusted_weighted += d.adjusted_weighted

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d.update(gap=self.gap, soft_commit_pct=self.soft_commit_pct, commit_forecast=self.commit_forecast,
                 attainment_pct=self.attainment_pct, adjusted_pct_of_target=self.adjusted_pct_of_target)
        return d


@dataclass
class ForecastRollup:
    period: Period
    deals: list[DealForecast]
    total: RollupLine
    reps: list[RollupLine]
    teams: list[RollupLine]
    assessed: int
    not_assessed: int
    targets: dict[str, float]

    @property
    def gap_deals(self) -> list[DealForecast]:
        """The open deals whose evidence moves the number, biggest difference first."""
        return sorted((d for d in self.deals if not d.is_won and d.gap != 0),
                      key=lambda d: (d.gap, -d.amount, d.opportunity_id))

    @property
    def soft_reps(self) -> list[RollupLine]:
        """Reps with soft commit, the most soft commit first."""
        return sorted((r for r in self.reps if r.soft_commit > 0),
                      key=lambda r: (-r.soft_commit, -(r.soft_commit_pct or 0), r.key))


def _reasons(ev: Any) -> list[str]:
    prob = ev.probability
    high = [r for r in ev.risks if r.get("severity") == "high"]
    out = [str(r.get("title") or r.get("key")) for r in high[:2]]
    out += [f"{a['reason']} ({a['delta']:+d})" for a in prob.get("adjustments") or []]
    return out


def build_rollup(period: Period, rows: list[dict[str, Any]], evidence: dict[str, Any],
                 targets: dict[str, float]) -> ForecastRollup:
    """The roll-up from the period's deals (`forecast_rollup_deals` rows), the Deal agent's evidence per
    assessed opportunity id, and the bookings targets per segment."""
    deals = []
    for r in rows:
        ev = evidence.get(r["opportunity_id"])
        crm = None if r.get("probability") is None else int(r["probability"])
        won = bool(r.get("is_won"))
        adjusted = crm
        if ev is not None and not won:
            adjusted = ev.probability.get("adjusted", crm)
        close = r.get("close_date")
        deals.append(DealForecast(
            opportunity_id=r["opportunity_id"], deal_name=r.get("deal_name") or r["opportunity_id"],
            account_name=r.get("account_name"), owner_id=r.get("owner_id"), owner_name=r.get("owner_name"),
            team=r.get("team"), segment=r.get("segment"), stage=r.get("stage"),
            forecast_category=r.get("forecast_category"), amount=_f(r.get("amount")),
            close_date=close if isinstance(close, date) or close is None else date.fromisoformat(str(close)[:10]),
            is_won=won, crm_probability=crm, adjusted_probability=adjusted, assessed=ev is not None and not won,
            reasons=_reasons(ev) if ev is not None and not won else [],
            high_risks=sum(1 for x in ev.risks if x.get("severity") == "high") if ev is not None and not won else 0,
            failed_gates=len(ev.scored.get("failed_gates") or []) if ev is not None and not won else 0))
    total = RollupLine("total", "Total", target=sum(targets.values()) if targets else None)
    reps: dict[str, RollupLine] = {}
    teams: dict[str, RollupLine] = {}
    for d in deals:
        total.add(d)
        rep = d.owner_name or d.owner_id or "Unassigned"
        reps.setdefault(rep, RollupLine("owner", rep, team=d.team)).add(d)
        team = d.team or "Unassigned"
        teams.setdefault(team, RollupLine("team", team, target=targets.get(team))).add(d)
    order = lambda line: (-(line.closed_won + line.commit), line.key)  # noqa: E731
    assessed = sum(1 for d in deals if d.assessed)
    open_n = sum(1 for d in deals if not d.is_won)
    return ForecastRollup(period=period, deals=deals, total=total, reps=sorted(reps.values(), key=order),
                          teams=sorted(teams.values(), key=order), assessed=assessed,
                          not_assessed=open_n - assessed, targets=dict(targets))


def forecast_rollup(ctx: Any, period: Period, *, agent: str = "data", segment: str | None = None,
                    region: str | None = None, owner_id: str | None = None) -> ForecastRollup:
    """Run the roll-up on an AgentContext: the period's deals, the targets, and the Deal agent's assessment
    of each open deal (MAX_ASSESSED biggest)."""
    from revops_cli.agents.deal import DealAnalysisAgent
    from revops_cli.model.compile import unavailable
    from revops_cli.models import jsonable

    values: dict[str, Any] = {"start_date": period.start, "end_date": period.end}
    for k, v in (("segment", segment), ("region", region), ("owner_id", owner_id)):
        if v is not None:
            values[k] = v
    rows = [jsonable(r) for r in ctx.run_pattern(agent, "forecast_rollup_deals", **values).records()]
    targets: dict[str, float] = {}
    if not unavailable(ctx.semantic_model(), ["targets", "accounts.segment"]):
        for r in ctx.run_pattern(agent, "forecast_vs_target", start_date=period.start,
                                 end_date=period.end).records():
            if r.get("segment") != "Total" and r.get("bookings_target") is not None:
                if segment is None or r["segment"] == segment:
                    targets[str(r["segment"])] = float(r["bookings_target"])
    deal_agent = DealAnalysisAgent()
    evidence = {}
    identity = str(getattr(ctx.warehouse, "identity", "") or id(ctx.warehouse))
    for r in [r for r in rows if not r.get("is_closed")][:MAX_ASSESSED]:
        key = (identity, str(ctx.as_of), r["opportunity_id"])
        hit = _EVIDENCE.get(key)
        if hit is None or time.monotonic() - hit[0] > EVIDENCE_TTL_S:
            if len(_EVIDENCE) > 20 * MAX_ASSESSED:
                _EVIDENCE.clear()
            hit = _EVIDENCE[key] = (time.monotonic(), deal_agent.assess(ctx, r["opportunity_id"]))
        evidence[r["opportunity_id"]] = hit[1]
    return build_rollup(period, rows, evidence, targets)
