"""The deal analysis agent: "what is the status of the IXIS deal?" answered like a senior analyst.

Three queries, all filtered by opportunity id (`deal_detail`, `stage_history`, `deal_calls`), then plain
Python: MEDDPICC from the CRM statuses and the call transcripts (agents/meddpicc.py and its rubric),
typed risks and opportunities with their evidence, and a call-evidence-adjusted probability.

Risk rules (agents/deal_risks.py: `RISK_RULES`, one small named function per row below, each returning `Risk`
records), in priority order within a severity (open deals only; thresholds in the rubric's `risks:`
and `stages:`; severity high | medium; the first risk after sorting by severity is the "main" one).
"Said in the last call" means a customer-side statement (not a question) in the most recent call.

| key                       | type        | when                                                               |
| ------------------------- | ----------- | ------------------------------------------------------------------ |
| close_date_past           | process     | close date before today, deal still open (high)                    |
| budget_slipping           | business    | last call: next quarter, budget freeze, slip, pushed, delay ...    |
|                           |             | (signals.budget_slip; high late in the cycle)                      |
| gate:<element>            | gate's type | a MEDDPICC stage gate failed, e.g. EB < 2 at Negotiate (high)      |
| no_economic_buyer         | business    | economic buyer < 2 late in the cycle, no gate already says so      |
| close_date_pushed         | process     | close date moved later N times in stage history (new > old);       |
|                           |             | N >= risks.pushes_high: high                                       |
| competitor_in_last_call   | competitive | a competitor named by anyone in the last call (high late in cycle) |
| no_recent_activity        | engagement  | max(last_activity_date, last call) >= inactive_days ago            |
|                           |             | (high from inactive_days_high)                                     |
| stuck_in_stage            | process     | days since entering the current stage > stages.max_days[stage]     |
|                           |             | (high from stuck_high_factor x that)                               |
| paper_process_not_started | process     | paper process scores 0 late in the cycle, no gate already says so  |
| technical_concern         | technical   | last call: failed POC, missing support, performance issue ...      |
| single_threaded           | engagement  | at most one customer-side person across the deal's calls           |
| no_calls                  | engagement  | no call recorded on the deal                                       |

"Late in the cycle" = at or past `stages.late` (Business Justification) in `stages.order`.

Opportunities: expansion / additional use cases in any call (largest "$500K"-style amount kept),
positive technical validation in any call, and, for open deals, champion / economic buyer / metrics
confirmed in the CRM (status Validated or better) and scored >= 2.

Probability: the CRM probability plus the rubric's `probability:` adjustments (per high and per medium
risk, once for any failed gate, by MEDDPICC band, +1 per opportunity up to a cap), clamped to
[min, max] = [1, 99] for open deals; closed deals keep the CRM figure. Every adjustment is listed.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from datetime import date
from typing import Any

from revops_cli.agents import meddpicc
from revops_cli.agents.base import AgentContext, Task
from revops_cli.agents.deal_risks import RiskInputs, assess, call_evidence
from revops_cli.errors import NotFoundError, UsageError
from revops_cli.models import Answer, jsonable

NAME = "deal_analysis"


@dataclass
class DealEvidence:
    """What the Deal agent knows of one deal (`DealAnalysisAgent.assess`): the rows read, the MEDDPICC
    scoring, the risks and opportunities, and `probability` = {"crm", "adjusted", "adjustments", ...}."""

    rubric: Any
    detail: dict[str, Any]
    history: list[dict[str, Any]]
    calls: list[dict[str, Any]]
    scored: dict[str, Any]
    facts: dict[str, Any]
    risks: list[dict[str, Any]]
    opportunities: list[dict[str, Any]]
    probability: dict[str, Any]
RISK_INTENTS = frozenset({"deal_risks"})


def _day(v: Any) -> date | None:
    return meddpicc.day_of(v)


def _quarter(d: date | None) -> str | None:
    return f"Q{(d.month - 1) // 3 + 1} {d.year}" if d else None


def _short(text: str | None, n: int = 110) -> str:
    text = " ".join(str(text or "").split())
    return text if len(text) <= n else text[: n - 1].rstrip() + "…"


class DealAnalysisAgent:
    name = NAME

    def handle(self, ctx: AgentContext, task: Task) -> Answer:
        started = time.perf_counter()
        opp_id = self._opportunity_id(task)
        ev = self.assess(ctx, opp_id)
        rubric, detail, history, calls = ev.rubric, ev.detail, ev.history, ev.calls
        scored, facts, risks, opportunities, probability = (ev.scored, ev.facts, ev.risks, ev.opportunities,
                                                            ev.probability)

        opportunity = self._opportunity_dict(detail, facts)
        data = {
            "opportunity": opportunity,
            "meddpicc": {k: scored[k] for k in ("score", "band", "elements", "failed_gates", "weights",
                                               "rubric_files")},
            "risks": risks,
            "opportunities": opportunities,
            "probability": probability,
            "facts": facts,
            "stage_history": [{k: jsonable(v) for k, v in h.items()} for h in history],
            "calls": [{"call_id": c.get("call_id"), "started_at": jsonable(c.get("started_at")),
                       "date": jsonable(_day(c.get("started_at"))), "title": c.get("title"),
                       "duration_minutes": c.get("duration_minutes"), "participants": c.get("participants")}
                      for c in calls],
        }
        data["bottom_line"] = self._bottom_line(opportunity, scored, risks, opportunities, probability,
                                                rubric.bands[0][1] if rubric.bands else None)
        only_risks = task.intent in RISK_INTENTS
        data["view"] = "risks" if only_risks else "full"
        data["focus"] = self._focus(task.entities.get("focus") or [], detail, opportunity, facts, scored,
                                    risks=risks, calls=data["calls"])
        text = ctx.render("deal.md.j2", d=data, opp=opportunity, m=data["meddpicc"], risks=risks,
                          opportunities=opportunities, prob=probability, facts=facts, only_risks=only_risks,
                          focus=data["focus"])
        from revops_cli.model.compile import unavailable

        no_transcripts = unavailable(ctx.semantic_model(), ["calls.transcript"])
        if no_transcripts:    # a mapped warehouse without transcripts: the call evidence above is not there
            data["unavailable"] = no_transcripts
            ctx.trace.note(NAME, "unavailable on this warehouse: calls.transcript: "
                           + "; ".join(no_transcripts.values()))
            text = text.rstrip() + "\n\n_" + ctx.render("data_unavailable.md.j2", kind="deal_transcripts",
                                                         gaps=no_transcripts).strip() + "_\n"
        sources = [{"type": "crm", "table": "opportunities", "id": opp_id, "name": opportunity["name"]}]
        sources += [{"type": "call", "table": "calls", "id": c["call_id"], "date": c["date"], "title": c["title"]}
                    for c in data["calls"]]
        return Answer(agent=NAME, text=text, data=data, sources=sources, trace=ctx.trace,
                      duration_ms=(time.perf_counter() - started) * 1000)

    def assess(self, ctx: AgentContext, opp_id: str) -> "DealEvidence":
        """One deal's evidence: its detail, history and calls (three queries), MEDDPICC, risks, opportunities
        and the call-evidence-adjusted probability. The forecast roll-up reuses it for every open deal."""
        rubric = meddpicc.load_rubric(ctx.settings)
        as_of = ctx.as_of

        detail = ctx.run_pattern(NAME, "deal_detail", opportunity_id=opp_id).first()
        if detail is None:
            raise NotFoundError(f"no opportunity {opp_id}", "find deals with `revops deal <name>`")
        history = [h for h in ctx.run_pattern(NAME, "stage_history", opportunity_id=opp_id).records()
                   if _day(h.get("changed_at")) is None or _day(h.get("changed_at")) <= as_of]
        calls = ctx.run_pattern(NAME, "deal_calls", opportunity_id=opp_id, as_of=as_of,
                                limit=int(rubric.evidence.get("max_calls", 50))).records()

        with ctx.tool(NAME, "meddpicc_score", {"opportunity_id": opp_id, "calls": len(calls),
                                               "rubric": rubric.files[-1]}) as step:
            lines = meddpicc.prepare_calls(calls, rubric, detail.get("owner_name"))
            deal_competitors = [c.strip() for c in str(detail.get("competitors") or "").split(",") if c.strip()]
            scored = meddpicc.score(detail, lines, rubric, deal_competitors)
            step.detail = f"{scored['score']}/100 {scored['band']}"
            step.rows = sum(len(c.lines) for c in lines)

        with ctx.tool(NAME, "assess_risks", {"opportunity_id": opp_id, "as_of": as_of.isoformat()}) as step:
            facts = self._facts(detail, history, lines, as_of)
            risks = self._risks(detail, facts, scored, lines, rubric, deal_competitors)
            opportunities = self._opportunities(detail, scored, lines, rubric)
            probability = self._probability(detail, risks, scored, opportunities, rubric)
            step.detail = f"{len(risks)} risks, {len(opportunities)} opportunities"
            step.rows = len(risks) + len(opportunities)
        return DealEvidence(rubric, detail, history, calls, scored, facts, risks, opportunities, probability)

    # -------------------------------------------------------------------------------------------- input
    @staticmethod
    def _opportunity_id(task: Task) -> str:
        opp = task.entities.get("opportunity") or task.params.get("opportunity_id")
        if isinstance(opp, dict):
            opp = opp.get("opportunity_id")
        if not opp:
            raise UsageError("which deal? no opportunity was given", "name the deal, e.g. `revops deal IXIS`")
        return str(opp)

    # -------------------------------------------------------------------------------------------- facts
    @staticmethod
    def _facts(detail: dict, history: list[dict], lines: list[meddpicc.CallLines], as_of: date) -> dict[str, Any]:
        close = _day(detail.get("close_date"))
        pushes = [h for h in history
                  if h.get("old_close_date") and h.get("new_close_date")
                  and _day(h["new_close_date"]) > _day(h["old_close_date"])]
        stage_moves = [h for h in history if (h.get("from_stage") or "") != (h.get("to_stage") or "")]
        entered = None
        for h in stage_moves:
            if (h.get("to_stage") or "") == (detail.get("stage") or ""):
                entered = _day(h.get("changed_at"))
        if entered is None and stage_moves:
            entered = _day(stage_moves[-1].get("changed_at"))
        if entered is None:
            entered = _day(detail.get("created_date"))
        last_call = lines[0].call_date if lines else None
        last_crm = _day(detail.get("last_activity_date"))
        last_any = max((d for d in (last_crm, last_call) if d), default=None)
        customers: list[str] = []
        for c in lines:
            for p in c.customer_people or sorted({ln.speaker for ln in c.lines if ln.customer and ln.speaker}):
                if p not in customers:
                    customers.append(p)
        first_close = _day(pushes[0]["old_close_date"]) if pushes else None
        return {
            "close_date": jsonable(close),
            "close_quarter": _quarter(close),
            "days_to_close": (close - as_of).days if close else None,
            "push_count": len(pushes),
            "days_pushed": sum((_day(h["new_close_date"]) - _day(h["old_close_date"])).days for h in pushes),
            "first_close_date": jsonable(first_close),
            "stage_entered": jsonable(entered),
            "days_in_stage": (as_of - entered).days if entered else None,
            "last_activity_date": jsonable(last_crm),
            "last_call_date": jsonable(last_call),
            "days_since_activity": (as_of - last_any).days if last_any else None,
            "call_count": len(lines),
            "customer_contacts": customers,
        }

    @staticmethod
    def _opportunity_dict(d: dict, facts: dict) -> dict[str, Any]:
        keys = ("opportunity_id", "account_id", "account_name", "owner_id", "owner_name", "owner_email",
                "owner_team", "stage", "amount", "probability", "close_date", "segment", "region", "industry",
                "forecast_category", "created_date", "is_closed", "is_won", "last_activity_date", "competitors",
                "next_step", "lead_source", "account_type")
        out = {k: jsonable(d.get(k)) for k in keys}
        out["name"] = d.get("deal_name")
        out["type"] = d.get("deal_type")
        out["weighted_amount"] = jsonable(d.get("weighted_amount"))
        out["close_quarter"] = facts["close_quarter"]
        out["days_to_close"] = facts["days_to_close"]
        return out

    # -------------------------------------------------------------------------------------------- focus
    @staticmethod
    def _focus(aspects: list[str], d: dict, opp: dict, facts: dict, scored: dict,
               risks: list[dict] | None = None, calls: list[dict] | None = None) -> list[dict[str, str]]:
        """The direct answer to the aspects the question asked about (the manager's `focus`: next_step,
        economic_buyer, champion, close_date, pushes, competition, owner, paper_process, forecast_category,
        last_contact, blockers, amount), from the CRM record, the MEDDPICC scoring, the risks and the calls;
        the full assessment follows it."""
        out: list[dict[str, str]] = []
        elements = {e["element"]: e for e in scored.get("elements") or []}
        for aspect in aspects:
            if aspect == "paper_process":
                el = elements.get("paper_process") or {}
                note = str(d.get("paper_process") or "").strip()
                text = (note or "nothing recorded in the CRM") + (
                    f" — MEDDPICC {el.get('status')} ({el.get('score')}/3)" if el else "")
                out.append({"aspect": aspect, "label": "Paper Process", "text": text})
                continue
            if aspect == "forecast_category":
                out.append({"aspect": aspect, "label": "Forecast category (CRM)",
                            "text": f"{d.get('forecast_category') or 'none'} ({opp.get('stage')}, "
                                    f"{opp.get('probability')}% probability)"})
                continue
            if aspect == "last_contact":
                last_call = (calls or [None])[0]
                parts = [f"last CRM activity {facts.get('last_activity_date') or 'none recorded'}"]
                parts.append(f"last call {last_call['date']} ({last_call.get('title')})" if last_call
                             else "no call recorded")
                if facts.get("days_since_activity") is not None:
                    parts.append(f"{facts['days_since_activity']} days since the last touch")
                out.append({"aspect": aspect, "label": "Last contact", "text": "; ".join(parts)})
                continue
            if aspect == "blockers":
                top = [r["title"] for r in (risks or []) if r.get("severity") == "high"] or \
                      [r["title"] for r in (risks or [])]
                out.append({"aspect": aspect, "label": "What stands in the way",
                            "text": "; ".join(top[:3]) if top else "no risk found in the CRM record or the calls"})
                continue
            if aspect == "stage":
                status = ("closed " + ("won" if opp.get("is_won") else "lost")) if opp.get("is_closed") else None
                text = status or (f"{opp.get('stage')} since {facts.get('stage_entered')} "
                                  f"({facts.get('days_in_stage')} days; {opp.get('probability')}% probability)")
                out.append({"aspect": aspect, "label": "Stage", "text": text})
                continue
            if aspect == "amount":
                from revops_cli.formatting import money

                out.append({"aspect": aspect, "label": "Size",
                            "text": f"{money(opp.get('amount'))} ({opp.get('stage')})"})
                continue
            if aspect == "next_step":
                out.append({"aspect": aspect, "label": "Next step (CRM)",
                            "text": str(d.get("next_step") or "none recorded in the CRM")})
            elif aspect in ("economic_buyer", "champion"):
                who = d.get(aspect)
                status = d.get(f"{aspect}_status") or "Unknown"
                label = "Economic buyer (CRM)" if aspect == "economic_buyer" else "Champion (CRM)"
                text = (f"{who} — CRM status {status}" if who else f"none named in the CRM (status {status})")
                out.append({"aspect": aspect, "label": label, "text": text})
            elif aspect == "close_date":
                if opp.get("is_closed"):
                    text = f"closed {'won' if opp.get('is_won') else 'lost'} on {opp.get('close_date')}"
                elif facts.get("close_date"):
                    days = facts.get("days_to_close")
                    text = f"{facts['close_date']} ({facts.get('close_quarter')}, " + (
                        f"{days} days from today)" if days is not None and days >= 0 else f"overdue by {-(days or 0)} days)")
                else:
                    text = "no close date in the CRM"
                if facts.get("push_count"):
                    text += f"; pushed {facts['push_count']} time(s) so far"
                out.append({"aspect": aspect, "label": "Expected close", "text": text})
            elif aspect == "pushes":
                n = facts.get("push_count") or 0
                text = (f"pushed {n} time(s), {facts.get('days_pushed')} days in all (first expected "
                        f"{facts.get('first_close_date')}, now {facts.get('close_date')})" if n
                        else f"not pushed: the close date has not moved later (now {facts.get('close_date')})")
                out.append({"aspect": aspect, "label": "Close date pushes", "text": text})
            elif aspect == "competition":
                comps = [c.strip() for c in str(d.get("competitors") or "").split(",") if c.strip()]
                out.append({"aspect": aspect, "label": "Competitors on this deal (CRM)",
                            "text": ", ".join(comps) if comps else "none recorded"})
            elif aspect == "owner":
                owner = d.get("owner_name") or "unassigned"
                out.append({"aspect": aspect, "label": "Owner",
                            "text": owner + (f" ({d.get('owner_email')})" if d.get("owner_email") else "")})
        return out

    # -------------------------------------------------------------------------------------------- risks
    def _risks(self, d: dict, facts: dict, scored: dict, lines: list[meddpicc.CallLines],
               rubric: meddpicc.Rubric, deal_competitors: list[str]) -> list[dict[str, Any]]:
        """The risk rules of agents/deal_risks.py, as the answer's JSON carries them."""
        inputs = RiskInputs(d, facts, scored, lines, rubric, deal_competitors)
        return [risk.to_dict() for risk in assess(inputs)]

    # -------------------------------------------------------------------------------------------- upside
    def _opportunities(self, d: dict, scored: dict, lines: list[meddpicc.CallLines],
                       rubric: meddpicc.Rubric) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        by_el = {e["element"]: e for e in scored["elements"]}

        def first_hits(signal: str, limit: int = 2) -> list[meddpicc.Line]:
            rx = rubric.signals.get(signal)
            if rx is None:
                return []
            hits = []
            for call in lines:
                for ln in call.lines:
                    if meddpicc.counts_as_evidence(ln, rubric) and rx.search(ln.words):
                        hits.append(ln)
                        if len(hits) >= limit:
                            return hits
            return hits

        exp = first_hits("expansion", 3)
        if exp:
            amounts = [a for a in (meddpicc.parse_amount(ln.words) for ln in exp) if a]
            amount = max(amounts) if amounts else None
            from revops_cli.formatting import money

            title = (f"Additional use cases worth {money(amount)} ARR mentioned" if amount
                     else "Expansion or additional use cases mentioned")
            out.append({"key": "expansion", "type": "business", "title": title, "amount": amount,
                        "evidence": [call_evidence(ln, rubric) for ln in exp[:2]]})
        win = first_hits("technical_win")
        if win:
            out.append({"key": "technical_win", "type": "technical", "title": "Positive technical validation",
                        "evidence": [call_evidence(ln, rubric) for ln in win]})
        if d.get("is_closed"):
            return out                                   # qualification strengths matter no more
        for key, title in (("champion", "Champion in place"), ("economic_buyer", "Economic buyer engaged"),
                           ("metrics", "Business case quantified")):
            el = by_el[key]
            if el["score"] >= 2 and el["crm_score"] >= 2:     # confirmed in the CRM, not only hinted at on a call
                note = next((e["sentence"] for e in el["evidence"] if e["source"] == "crm" and e["sentence"]), None)
                note = re.split(r" - |; | \(", note)[0] if note else None
                out.append({"key": key, "type": "business",
                            "title": f"{title}" + (f": {_short(note, 70)}" if note else ""),
                            "evidence": el["evidence"][:2]})
        return out

    # -------------------------------------------------------------------------------------------- probability
    @staticmethod
    def _probability(d: dict, risks: list[dict], scored: dict, opportunities: list[dict],
                     rubric: meddpicc.Rubric) -> dict[str, Any]:
        crm = d.get("probability")
        crm = int(crm) if crm is not None else None
        cfg = rubric.probability
        adjustments: list[dict[str, Any]] = []
        if crm is None or d.get("is_closed"):
            return {"crm": crm, "adjusted": crm, "adjustments": adjustments,
                    "note": "closed deal: the CRM figure stands" if d.get("is_closed") else "no CRM probability"}
        high = [r for r in risks if r["severity"] == "high"]
        medium = [r for r in risks if r["severity"] == "medium"]
        if high and cfg.get("per_high_risk"):
            adjustments.append({"reason": f"{len(high)} high-severity risk(s)",
                                "delta": len(high) * int(cfg["per_high_risk"])})
        if medium and cfg.get("per_medium_risk"):
            adjustments.append({"reason": f"{len(medium)} medium-severity risk(s)",
                                "delta": len(medium) * int(cfg["per_medium_risk"])})
        if scored["failed_gates"] and cfg.get("failed_gate"):
            gates = ", ".join(g["label"] for g in scored["failed_gates"])
            adjustments.append({"reason": f"failed stage gate ({gates})", "delta": int(cfg["failed_gate"])})
        band_delta = int((cfg.get("band") or {}).get(scored["band"], 0))
        if band_delta:
            adjustments.append({"reason": f"MEDDPICC {scored['band']} ({scored['score']:g}/100)", "delta": band_delta})
        if opportunities and cfg.get("per_opportunity"):
            bonus = min(len(opportunities) * int(cfg["per_opportunity"]), int(cfg.get("max_opportunity_bonus", 99)))
            if bonus:
                adjustments.append({"reason": f"{len(opportunities)} opportunity signal(s)", "delta": bonus})
        raw = crm + sum(a["delta"] for a in adjustments)
        adjusted = max(int(cfg.get("min", 1)), min(int(cfg.get("max", 99)), raw))
        return {"crm": crm, "adjusted": adjusted, "adjustments": adjustments,
                "delta": adjusted - crm}

    # -------------------------------------------------------------------------------------------- words
    @staticmethod
    def _bottom_line(opp: dict, scored: dict, risks: list[dict], opportunities: list[dict],
                     prob: dict, top_band: str | None) -> str:
        if opp.get("is_closed"):
            outcome = "won" if opp.get("is_won") else "lost"
            return (f"This deal closed {outcome} on {opp.get('close_date')} ({opp.get('stage')}); its MEDDPICC "
                    f"record reads {scored['band']} ({scored['score']:g}/100), and the CRM figures stand.")
        weak = [e["label"] for e in sorted(scored["elements"], key=lambda e: (e["score"], -e["weight"]))
                if e["score"] <= 1][:2]
        first = f"MEDDPICC is {scored['band']} ({scored['score']:g}/100"
        first += f", weak on {' and '.join(weak)})" if weak else ")"
        if risks:
            main = risks[0]
            n_high = sum(1 for r in risks if r["severity"] == "high")
            joint = "but" if scored["band"] == top_band else "and"
            if len(risks) == 1:
                first += f", {joint} one risk is open: {main['summary']}"
            else:
                first += (f", {joint} {len(risks)} risks are open ({n_high} high), chief among them that "
                          f"{main['summary']}")
        else:
            first += " and no risk was found in the CRM record or the calls"
        upside = next((o for o in opportunities if o["key"] == "expansion"), opportunities[0] if opportunities else None)
        if prob["adjusted"] == prob["crm"]:
            second = f"The call evidence leaves the probability at the CRM's {prob['crm']}%"
        else:
            second = f"Adjusted for the call evidence, the probability is {prob['adjusted']}% against the CRM's {prob['crm']}%"
        if upside:
            second += f"; upside: {upside['title'][0].lower() + upside['title'][1:]}"
        return f"{first}. {second}."


AGENT = DealAnalysisAgent()
