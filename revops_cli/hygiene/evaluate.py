"""Evaluating the hygiene rules over open deals: pure Python over the rows of the `hygiene_deal_facts` SQL
pattern (one per open deal), so the Data agent, the report and the alerts evaluate the same way."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, Iterable

from revops_cli.hygiene.rules import CHECKS, SEVERITIES, Rule, RuleSet

PATTERN = "hygiene_deal_facts"
DEAL_KEYS = ("opportunity_id", "deal_name", "account_name", "owner_id", "owner_name", "segment", "region", "stage",
             "amount", "close_date", "forecast_category")


@dataclass(frozen=True)
class Violation:
    """One deal breaking one rule."""

    rule: str
    title: str
    severity: str
    detail: str
    deal: dict[str, Any]

    @property
    def opportunity_id(self) -> str:
        return str(self.deal.get("opportunity_id"))

    def to_dict(self) -> dict[str, Any]:
        return {"rule": self.rule, "title": self.title, "severity": self.severity, "detail": self.detail,
                **self.deal}


@dataclass
class HygieneResult:
    as_of: date
    rules: list[Rule]
    deals: list[dict[str, Any]]                      # every open deal checked
    violations: list[Violation] = field(default_factory=list)

    @property
    def deal_ids(self) -> list[str]:
        """Deals breaking at least one rule, in the order of the facts (biggest first)."""
        seen = dict.fromkeys(v.opportunity_id for v in self.violations)
        return [str(d["opportunity_id"]) for d in self.deals if str(d["opportunity_id"]) in seen]

    def by_rule(self) -> list[dict[str, Any]]:
        """Per rule (in the rule set's order): deals and amount breaking it, share of the deals checked."""
        out = []
        total = len(self.deals)
        for r in self.rules:
            hit = [v for v in self.violations if v.rule == r.name]
            out.append({"rule": r.name, "title": r.title, "severity": r.severity, "deal_count": len(hit),
                        "amount": sum(_num(v.deal.get("amount")) for v in hit),
                        "share_pct": (100.0 * len(hit) / total) if total else None})
        return out

    def by_owner(self) -> list[dict[str, Any]]:
        """Per owner: deals checked, deals with an issue, issues, amount at issue, issues per rule; most issues first."""
        owners: dict[str, dict[str, Any]] = {}
        for d in self.deals:
            o = owners.setdefault(_owner(d), {"owner_name": _owner(d), "owner_id": d.get("owner_id"),
                                              "open_deal_count": 0, "deal_count": 0, "issue_count": 0,
                                              "amount": 0.0, "by_rule": {r.name: 0 for r in self.rules}})
            o["open_deal_count"] += 1
        flagged: dict[str, set[str]] = {}
        for v in self.violations:
            o = owners[_owner(v.deal)]
            o["issue_count"] += 1
            o["by_rule"][v.rule] += 1
            ids = flagged.setdefault(o["owner_name"], set())
            if v.opportunity_id not in ids:
                ids.add(v.opportunity_id)
                o["deal_count"] += 1
                o["amount"] += _num(v.deal.get("amount"))
        rows = [o for o in owners.values() if o["deal_count"]]
        for o in rows:
            o["share_pct"] = 100.0 * o["deal_count"] / o["open_deal_count"]
        return sorted(rows, key=lambda o: (-o["issue_count"], -o["amount"], o["owner_name"]))

    def by_deal(self) -> list[dict[str, Any]]:
        """One row per deal breaking a rule: the deal, its issues (titles and details), most severe first,
        then the biggest."""
        rank = {s: i for i, s in enumerate(SEVERITIES)}
        grouped: dict[str, list[Violation]] = {}
        for v in self.violations:
            grouped.setdefault(v.opportunity_id, []).append(v)
        rows = []
        for oid in self.deal_ids:
            vs = grouped[oid]
            worst = min(rank.get(v.severity, 9) for v in vs)
            rows.append({**vs[0].deal, "issue_count": len(vs), "severity": SEVERITIES[worst] if worst < 9 else None,
                         "rules": [v.rule for v in vs], "issues": "; ".join(v.title for v in vs),
                         "details": "; ".join(v.detail for v in vs)})
        return sorted(rows, key=lambda r: (rank.get(r["severity"], 9), -r["issue_count"], -_num(r.get("amount")),
                                           str(r.get("opportunity_id"))))

    def summary(self) -> dict[str, Any]:
        amount_at_issue = sum(_num(d.get("amount")) for d in self.deals
                              if str(d["opportunity_id"]) in set(self.deal_ids))
        return {"open_deal_count": len(self.deals), "open_amount": sum(_num(d.get("amount")) for d in self.deals),
                "deal_count": len(self.deal_ids), "issue_count": len(self.violations), "amount": amount_at_issue,
                "rules": [r.name for r in self.rules],
                "by_rule": {r["rule"]: {k: r[k] for k in ("title", "severity", "deal_count", "amount", "share_pct")}
                            for r in self.by_rule()},
                "by_owner": {o["owner_name"]: {k: o[k] for k in ("deal_count", "issue_count", "amount",
                                                                   "open_deal_count")}
                             for o in self.by_owner()}}


def _num(v: Any) -> float:
    try:
        return 0.0 if v is None else float(v)
    except (TypeError, ValueError):
        return 0.0


def _owner(d: dict[str, Any]) -> str:
    return str(d.get("owner_name") or d.get("owner_id") or "Unassigned")


def facts_params(rs: RuleSet, as_of: date) -> dict[str, Any]:
    """The `hygiene_deal_facts` parameters a rule set needs (the deal filters are added by the caller)."""
    return {"as_of": as_of, "stage_order": list(rs.stage_order)}


def evaluate(deals: Iterable[dict[str, Any]], rs: RuleSet, as_of: date,
             rules: Iterable[Rule] | None = None) -> HygieneResult:
    """Every rule (or the `rules` given) on every deal, in rule order per deal."""
    deals = list(deals)
    chosen = list(rules) if rules is not None else list(rs.rules)
    result = HygieneResult(as_of=as_of, rules=chosen, deals=deals)
    for d in deals:
        slim = {k: d.get(k) for k in DEAL_KEYS}
        for r in chosen:
            if not r.applies_to(d):
                continue
            detail = CHECKS[r.check](d, r, rs, as_of)
            if detail:
                result.violations.append(Violation(r.name, r.title, r.severity, detail, slim))
    return result
