"""Evaluating alerts: which conditions hold today. Hygiene alerts check every open deal with their rule
(revops_cli/hygiene/, over the `hygiene_deal_facts` pattern); measure alerts compare the current fiscal
quarter's open pipeline, commit or best case with `since` days ago (the pipeline changes between the two dates,
pipeline_changes.py), for the whole team or per rep. Every read goes through warehouse/queries.py."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from revops_cli.alerts.rules import AlertDef

MEASURE_LABELS = {"pipeline": "Open pipeline", "commit": "Commit", "best_case": "Best case"}


@dataclass
class Firing:
    """A condition that holds today: one alert about one subject (a deal, a rep, or the team)."""

    alert: AlertDef
    subject: str                        # 'deal:OPP-…', 'owner:USR-…', 'all'
    detail: str                         # one sentence: what holds
    data: dict[str, Any] = field(default_factory=dict)

    def payload(self, firing_id: str, as_of: date) -> dict[str, Any]:
        """The JSON a webhook receives (and the alert log keeps): no URL, no secret."""
        return {"type": "revops.alert", "firing_id": firing_id, "alert": self.alert.name, "title": self.alert.title,
                "severity": self.alert.severity, "kind": self.alert.kind, "subject": self.subject,
                "detail": self.detail, "as_of": as_of.isoformat(), "data": self.data}

    def text(self) -> str:
        """Plain text of the alert (Slack escapes it when it posts)."""
        return f"{self.alert.title}: {self.detail}"


def _money(v: Any) -> str:
    from revops_cli.formatting import money

    return money(v)


def hygiene_firings(alerts: list[AlertDef], deals: list[dict[str, Any]], rules: Any, as_of: date) -> list[Firing]:
    from revops_cli.hygiene import evaluate

    out = []
    for a in alerts:
        result = evaluate(deals, rules, as_of, [a.rule])
        for v in result.violations:
            d = v.deal
            detail = (f"{d.get('deal_name')} ({_money(d.get('amount'))}, {d.get('stage')}, "
                      f"{d.get('owner_name') or 'no owner'}): {v.detail}")
            out.append(Firing(a, f"deal:{d.get('opportunity_id')}", detail,
                              {"deal": {k: d.get(k) for k in ("opportunity_id", "deal_name", "account_name", "owner_id",
                                                              "owner_name", "stage", "amount", "close_date")},
                               "rule": a.rule.name if a.rule else None, "check": a.rule.check if a.rule else None,
                               "finding": v.detail}))
    return out


def measure_holds(a: AlertDef, before: float | None, after: float) -> tuple[bool, float | None]:
    """Whether the measure alert's condition holds, and the change in percent (None without a 'before')."""
    pct = (100.0 * (after - before) / before) if before else None
    if a.above is not None and after > a.above:
        return True, pct
    if a.below is not None and after < a.below:
        return True, pct
    if a.change is None or before is None:
        return False, pct
    delta = after - before
    moved = {"down": -delta, "up": delta, "any": abs(delta)}[a.change]
    if moved <= 0:
        return False, pct
    if a.by_pct is not None and before and 100.0 * moved / abs(before) > a.by_pct:
        return True, pct
    if a.by_amount is not None and moved > a.by_amount:
        return True, pct
    return False, pct


def measure_firings(alerts: list[AlertDef], warehouse: Any, settings: Any, as_of: date) -> list[Firing]:
    """Each measure alert over the pipeline changes of its window (one computation per window and filter)."""
    from revops_cli import service

    quarter = service.calendar(as_of, settings.fiscal_year_start_month)["quarter"]
    computed: dict[tuple, Any] = {}
    out = []
    for a in alerts:
        key = (a.since, a.segment, a.region)
        if key not in computed:
            from revops_cli.pipeline_changes import compute_pipeline_changes

            start = as_of - timedelta(days=max(a.since, 1) - 1)
            computed[key] = compute_pipeline_changes(warehouse, settings, start=start, end=as_of,
                                                     period_start=quarter.start, period_end=quarter.end,
                                                     segment=a.segment, region=a.region)
        ch = computed[key]
        since_day = (as_of - timedelta(days=max(a.since, 1))).isoformat()
        label = MEASURE_LABELS[a.measure]
        subjects: list[tuple[str, str, float, float]] = []
        if a.per == "owner":
            names = {d.owner_id: d.owner_name for d in ch.deals if getattr(d, "owner_id", None)}
            for owner_id, lv in sorted(ch.owner_levels.items()):
                subjects.append((f"owner:{owner_id}", f"{names.get(owner_id) or owner_id}'s "
                                 f"{label[0].lower() + label[1:]}",
                                 float(lv.get(f"{a.measure}_before") or 0), float(lv.get(f"{a.measure}_after") or 0)))
        else:
            subjects.append(("all", label, float(getattr(ch, f"{a.measure}_before")),
                             float(getattr(ch, f"{a.measure}_after"))))
        for subject, what, before, after in subjects:
            holds, pct = measure_holds(a, before, after)
            if not holds:
                continue
            change = f" ({pct:+.1f}%)" if pct is not None else ""
            detail = (f"{what} of {quarter.label} {_money(before)} on {since_day} → {_money(after)} on "
                      f"{as_of.isoformat()}{change}")
            out.append(Firing(a, subject, detail, {"measure": a.measure, "before": before, "after": after,
                                                   "change_pct": pct, "since": since_day,
                                                   "period": {"label": quarter.label,
                                                              "start": quarter.start.isoformat(),
                                                              "end": quarter.end.isoformat()}}))
    return out


def evaluate_alerts(alerts: list[AlertDef], warehouse: Any, settings: Any, as_of: date) -> list[Firing]:
    """Every alert's firings today, in alert order, subjects in a stable order."""
    from revops_cli.hygiene import PATTERN, facts_params, load_rules
    from revops_cli.models import jsonable
    from revops_cli.warehouse.queries import run_pattern

    firings: list[Firing] = []
    hygiene = [a for a in alerts if a.kind == "hygiene"]
    measures = [a for a in alerts if a.kind == "measure"]
    if hygiene:
        rules = load_rules(settings)
        _, _, result = run_pattern(warehouse, settings, PATTERN, facts_params(rules, as_of))
        deals = [jsonable(r) for r in result.records()]
        firings += hygiene_firings(hygiene, deals, rules, as_of)
    if measures:
        firings += measure_firings(measures, warehouse, settings, as_of)
    order = {a.name: i for i, a in enumerate(alerts)}
    return sorted(firings, key=lambda f: (order[f.alert.name], f.subject))
