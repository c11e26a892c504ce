"""The deal risk rules: a table of small named functions (`RISK_RULES`), each looking at one thing.

Each rule takes the `RiskInputs` of one open deal and returns the `Risk`s it finds (usually none or one).
`assess` runs them in table order and sorts by severity (a stable sort: within a severity, table order is
the priority; the first risk is the "main" one). The rules, their keys and thresholds are documented in
agents/deal.py's docstring; thresholds come from the rubric's `risks:` and `stages:`.

To add a rule: write a function here and put it in `RISK_RULES` at its priority. A rule never raises for
missing data: it finds nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

from revops_cli.agents import meddpicc
from revops_cli.formatting import jsonable

SEVERITY_ORDER = {"high": 0, "medium": 1, "low": 2}


@dataclass
class Risk:
    """One risk of a deal: what (key, type), how bad (severity), in words (title, summary), and why
    (evidence: CRM fields, stage history and call sentences). `extra` carries the rule's own numbers
    (count, days, element, competitors) and is flattened into the answer's JSON."""

    key: str
    type: str
    severity: str
    title: str
    summary: str
    evidence: list[dict[str, Any]] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"key": self.key, "type": self.type, "severity": self.severity, "title": self.title,
                "summary": self.summary, "evidence": self.evidence, **self.extra}


@dataclass
class RiskInputs:
    """What the rules look at: the deal's CRM row, derived facts, the MEDDPICC scoring, its calls (newest
    first) and the rubric."""

    deal: dict[str, Any]
    facts: dict[str, Any]
    scored: dict[str, Any]
    lines: list[meddpicc.CallLines]
    rubric: meddpicc.Rubric
    deal_competitors: list[str]

    @property
    def stage(self) -> Any:
        return self.deal.get("stage")

    @property
    def late(self) -> bool:
        return self.rubric.is_late(self.stage)

    @property
    def cfg(self) -> dict[str, Any]:
        return self.rubric.risks

    @property
    def last(self) -> meddpicc.CallLines | None:
        return self.lines[0] if self.lines else None

    def element(self, name: str) -> dict[str, Any]:
        return next(e for e in self.scored["elements"] if e["element"] == name)

    @property
    def gated(self) -> set[str]:
        """The MEDDPICC elements a failed stage gate already speaks for."""
        return {g["element"] for g in self.scored["failed_gates"]}

    def said_in_last_call(self, signal: str) -> list[meddpicc.Line]:
        """Customer-side statements (not questions) of the most recent call that match a rubric signal."""
        rx = self.rubric.signals.get(signal)
        if self.last is None or rx is None:
            return []
        return [ln for ln in self.last.lines if meddpicc.is_statement(ln, self.rubric) and rx.search(ln.words)]


# ------------------------------------------------------------------------------------------- evidence

def call_evidence(line: meddpicc.Line, rubric: meddpicc.Rubric, **extra: Any) -> dict[str, Any]:
    return meddpicc.evidence_item(extra.pop("element", None), line,
                                  int(rubric.evidence.get("max_sentence_chars", 240)), **extra)


def crm_evidence(field_name: str, value: Any, sentence: str | None = None) -> dict[str, Any]:
    return {"source": "crm", "field": field_name, "value": jsonable(value), "call_id": None, "call_date": None,
            "sentence": sentence}


def element_evidence(el: dict) -> list[dict[str, Any]]:
    """A MEDDPICC element's CRM status and its first call sentence."""
    crm = [e for e in el["evidence"] if e["source"] == "crm"]
    calls = [e for e in el["evidence"] if e["source"] == "call"][:1]
    return [crm_evidence(f"{el['element']}_status", el["crm_status"], crm[0]["sentence"] if crm else None)] + calls


def late_high(x: RiskInputs) -> str:
    return "high" if x.late else "medium"


# ------------------------------------------------------------------------------------------- the rules

def close_date_past(x: RiskInputs) -> Iterable[Risk]:
    days = x.facts["days_to_close"]
    if days is not None and days < 0:
        yield Risk("close_date_past", "process", "high",
                   f"Close date {x.facts['close_date']} passed {-days} days ago and the deal is still open",
                   f"the close date passed {-days} days ago", [crm_evidence("close_date", x.facts["close_date"])])


def budget_slipping(x: RiskInputs) -> Iterable[Risk]:
    hits = x.said_in_last_call("budget_slip")
    if hits:
        yield Risk("budget_slipping", "business", late_high(x), "Budget or approval timing slipping in the last call",
                   "budget approval is slipping, per the last call", [call_evidence(ln, x.rubric) for ln in hits[:2]])


def failed_gates(x: RiskInputs) -> Iterable[Risk]:
    for g in x.scored["failed_gates"]:
        yield Risk(f"gate:{g['element']}", g["type"], "high",
                   f"{g['title']} ({g['label']} {g['score']}/3, needs {g['min_score']} from {g['stage']})",
                   f"{g['label'].lower()} is not validated at {x.stage}", element_evidence(x.element(g["element"])),
                   {"element": g["element"]})


def no_economic_buyer(x: RiskInputs) -> Iterable[Risk]:
    eb = x.element("economic_buyer")
    if x.late and eb["score"] < 2 and "economic_buyer" not in x.gated:
        yield Risk("no_economic_buyer", "business", "medium",
                   f"No validated economic buyer at {x.stage} (score {eb['score']}/3)",
                   "no validated economic buyer", element_evidence(eb), {"element": "economic_buyer"})


def close_date_pushed(x: RiskInputs) -> Iterable[Risk]:
    pushes = x.facts["push_count"]
    if pushes:
        sev = "high" if pushes >= int(x.cfg.get("pushes_high", 2)) else "medium"
        times = "once" if pushes == 1 else "twice" if pushes == 2 else f"{pushes} times"
        yield Risk("close_date_pushed", "process", sev,
                   f"Close date pushed {times}, {x.facts['days_pushed']} days in all "
                   f"(from {x.facts['first_close_date']} to {x.facts['close_date']})",
                   f"the close date has been pushed {times}",
                   [{"source": "stage_history", "field": "new_close_date", "call_id": None, "call_date": None,
                     "value": x.facts["close_date"], "sentence": None}], {"count": pushes})


def competitor_in_last_call(x: RiskInputs) -> Iterable[Risk]:
    names = (*x.rubric.competitors, *x.deal_competitors)
    comp_rx = meddpicc.competitor_regex(tuple(sorted(set(names))))
    if x.last is None or comp_rx is None:
        return
    named: list[str] = []
    ev = []
    for ln in x.last.lines:
        found = sorted({m.group(0) for m in comp_rx.finditer(ln.words)}, key=str.lower)
        if found:
            ev.append(call_evidence(ln, x.rubric, competitors=found))
            for f in found:
                canon = next((c for c in names if c.lower() == f.lower()), f)
                if canon not in named:
                    named.append(canon)
    if named:
        who = " and ".join(named) if len(named) <= 2 else ", ".join(named)
        sev = "high" if x.late and x.cfg.get("competitor_high_from_late", True) else "medium"
        yield Risk("competitor_in_last_call", "competitive", sev, f"{who} raised in the last call",
                   f"{who} came up in the last call", ev[:3], {"competitors": named})


def no_recent_activity(x: RiskInputs) -> Iterable[Risk]:
    idle = x.facts["days_since_activity"]
    if idle is not None and idle >= int(x.cfg.get("inactive_days", 21)):
        sev = "high" if idle >= int(x.cfg.get("inactive_days_high", 45)) else "medium"
        last = x.last
        yield Risk("no_recent_activity", "engagement", sev,
                   f"No activity for {idle} days (last CRM activity {x.facts['last_activity_date'] or 'none'}, "
                   f"last call {x.facts['last_call_date'] or 'none'})",
                   f"nothing has happened for {idle} days",
                   [crm_evidence("last_activity_date", x.facts["last_activity_date"])]
                   + ([{"source": "call", "call_id": last.call_id, "call_date": jsonable(last.call_date),
                        "sentence": None}] if last else []), {"days": idle})


def stuck_in_stage(x: RiskInputs) -> Iterable[Risk]:
    max_days = x.rubric.stage_max_days.get(str(x.stage))
    in_stage = x.facts["days_in_stage"]
    if max_days and in_stage is not None and in_stage > max_days:
        sev = "high" if in_stage >= max_days * float(x.cfg.get("stuck_high_factor", 2)) else "medium"
        yield Risk("stuck_in_stage", "process", sev,
                   f"{in_stage} days in {x.stage} since {x.facts['stage_entered']} (typical at most {max_days})",
                   f"it has been stuck in {x.stage} for {in_stage} days",
                   [{"source": "stage_history", "field": "changed_at", "value": x.facts["stage_entered"],
                     "call_id": None, "call_date": None, "sentence": None}], {"days": in_stage})


def paper_process_not_started(x: RiskInputs) -> Iterable[Risk]:
    pp = x.element("paper_process")
    if x.late and pp["score"] == 0 and "paper_process" not in x.gated:
        yield Risk("paper_process_not_started", "process", "medium", f"Paper process not started at {x.stage}",
                   "the paper process has not started", element_evidence(pp), {"element": "paper_process"})


def technical_concern(x: RiskInputs) -> Iterable[Risk]:
    hits = x.said_in_last_call("technical_concern")
    if hits:
        yield Risk("technical_concern", "technical", late_high(x), "Technical concern raised in the last call",
                   "a technical concern is open", [call_evidence(ln, x.rubric) for ln in hits[:2]])


def no_calls(x: RiskInputs) -> Iterable[Risk]:
    if not x.lines:
        yield Risk("no_calls", "engagement", "medium", "No call recorded on this deal", "no call is on record")


def single_threaded(x: RiskInputs) -> Iterable[Risk]:
    contacts = x.facts["customer_contacts"]
    if x.lines and len(contacts) <= 1:
        who = contacts[0] if contacts else "nobody"
        yield Risk("single_threaded", "engagement", "medium",
                   f"Single-threaded: {who} is the only customer contact on {len(x.lines)} call(s)",
                   "the deal is single-threaded",
                   [{"source": "call", "call_id": c.call_id, "call_date": jsonable(c.call_date), "sentence": None}
                    for c in x.lines[:3]])


RiskRule = Callable[[RiskInputs], Iterable[Risk]]

# In priority order within a severity.
RISK_RULES: list[RiskRule] = [
    close_date_past, budget_slipping, failed_gates, no_economic_buyer, close_date_pushed,
    competitor_in_last_call, no_recent_activity, stuck_in_stage, paper_process_not_started,
    technical_concern, no_calls, single_threaded,
]


def assess(x: RiskInputs, rules: list[RiskRule] = RISK_RULES) -> list[Risk]:
    """Every rule's risks for an open deal (none for a closed one), most severe first."""
    if x.deal.get("is_closed"):
        return []
    risks = [risk for rule in rules for risk in rule(x)]
    risks.sort(key=lambda r: SEVERITY_ORDER.get(r.severity, 9))
    return risks
