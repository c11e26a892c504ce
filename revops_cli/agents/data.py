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

import re
from typing import Any

from revops_cli.agents import analyses as A
from revops_cli.agents.adhoc import NOT_A_MEASURE, beyond, money_asked, wants_model
from revops_cli.agents.analyses.applies import inherent, measures_not_computed, not_applied, understood_by
from revops_cli.agents.base import AgentContext, Task
from revops_cli.agents.periods import parse_period
from revops_cli.models import Answer, jsonable
from revops_cli.formatting import format_value, num

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
    if out.period and out.period.label == "any close date":
        period_label = "any close date"
    elif out.period:
        p = out.period
        period_label = A.period_name(p) if p.start != p.end else \
            p.label if p.start.isoformat() in p.label else f"{p.label} ({p.start.isoformat()})"
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
        **({"unavailable": dict(out.unavailable)} if out.unavailable else {}),
    }


_DEAL_LIST = re.compile(r"\b(deals|opportunities|opps|pipeline)\b", re.I)
_DEAL_WORDS = re.compile(r"\b(deals?|opportunit\w*|opps?|closing|anything clos\w*|"
                         r"(?:slated|set|due|scheduled|expected|supposed|going|forecast(?:ed)?)\s+to\s+(?:close|land))\b", re.I)
_CLOSING_WORDS = re.compile(r"\b(clos\w*|due|land\w*|expected)\b", re.I)
_USAGE_TALK = re.compile(r"\b(?:usage|consumption|engagement|active users|engine hours|utili[sz]ation)\b", re.I)
_USAGE_DOWN = re.compile(r"\b(?:declin\w*|drop\w*|fall\w*|fell|decreas\w*|down|churn\w*|risk\w*)\b", re.I)
_CALL_TALK = re.compile(r"\b(calls?|meetings?|mention\w*|came up|comes? up|talk\w*|transcripts?|said)\b", re.I)

# The count each analysis' interpretation line ends with: (summary key, singular noun)
_COUNTS: dict[str, tuple[str, str]] = {
    "hygiene": ("deal_count", "deal"),
    "pipeline_changes": ("matching_deals", "changed deal"), "forecast_rollup": ("rep_count", "rep"),
    "deals_closing": ("deal_count", "deal"), "pipeline": ("deal_count", "deal"),
    "deal_risk_factors": ("open_deal_count", "deal"), "slipped_deals": ("slipped_count", "deal"),
    "win_rate": ("closed_count", "closed deal"), "owner_leaderboard": ("rep_count", "rep"),
    "lead_volume_by_source": ("lead_count", "lead"), "declining_engagement": ("declining_count", "customer"),
    "expansion": ("candidate_count", "customer"), "competitor_mentions": ("call_count", "call"),
}
_WHAT: dict[str, str] = {
    "pipeline_changes": "Pipeline changes", "forecast_rollup": "Forecast roll-up",
    "deals_closing": "Open deals", "pipeline": "Open pipeline", "deal_risk_factors": "Risk factors in open deals",
    "slipped_deals": "Slipped deals", "win_rate": "Win rate", "owner_leaderboard": "Closed-won by rep",
    "lead_volume_by_source": "New leads by source", "declining_engagement": "Customers with declining usage",
    "expansion": "Expansion candidates", "revenue_trend": "Revenue by month", "revenue_by_segment": "Revenue by segment",
    "forecast_vs_target": "Forecast vs target", "coverage": "Pipeline coverage", "competitor_mentions": "Competitor mentions",
}


_SMALLEST = re.compile(r"\b(?:bottom|smallest|lowest)\b", re.I)


def top_deals(out: A.Outcome, n: int, smallest: bool = False) -> str | None:
    """'top 5 deals closing this month', 'biggest 5 open opps': a deal list cut to the N biggest (or smallest) by
    amount; the totals stay those of every matching deal, and the list says which N of how many it shows. What
    cannot be done (the smallest N of more deals than the list holds) is returned, for the answer to refuse."""
    if out.analysis != "deals_closing" or not out.rows:
        return None
    total = int(out.summary.get("deal_count") or len(out.rows))
    if smallest and total > len(out.rows):
        return f"the {n} smallest of {total} deals (the list holds the biggest {len(out.rows)}: add a stage, an owner or an amount)"
    rows = sorted(out.rows, key=lambda r: float(r.get("amount") or 0), reverse=not smallest)[:n]
    out.rows, out.row_total = rows, len(rows)
    out.top = (n, "smallest" if smallest else "biggest", total)
    out.bullets.insert(0, f"The {len(rows)} {out.top[1]} of {num(total)} deals by amount are listed; the totals "
                          "are of every one.")
    return None


def interpretation(out: A.Outcome, parsed: Any) -> str:
    """'Open deals · region EMEA · amount ≥ $500K · close date in December 2026 · 6 deals'."""
    from revops_cli.agents.analyses.running import count_of

    parts = [out.what or _WHAT.get(out.analysis, out.title)]
    for f in parsed.filters:
        if inherent(out.analysis, f) or (out.what and f.dimension == "account"):
            continue                    # "Usage at DataCorp" says the account already
        parts.append(f.label())
    for d in parsed.dimensions:
        parts.append(f"by {d.replace('_', ' ')}")
    if out.period is not None and out.period.label == "any close date":
        parts.append("any close date")
    elif out.period is not None:
        word = "close date in " if out.analysis in ("deals_closing", "pipeline", "deal_risk_factors", "win_rate",
                                                    "hygiene") else ""
        parts.append(f"{word}{out.period.label}")
    compare = getattr(parsed, "compare_period", None) or out.compare_period    # the question's own comparison first
    if compare is not None:
        parts.append(f"vs {compare.label}")
    key = _COUNTS.get(out.analysis)
    if out.what:
        pass                            # one account's usage: no count of rows to report
    elif out.top is not None:
        parts.append(f"{out.top[0]} {out.top[1]} of {count_of(out.top[2], 'deal')}")
    elif key and out.summary.get(key[0]) is not None:
        parts.append(count_of(out.summary.get(key[0]), key[1]))
    elif out.rows is not None:
        from revops_cli.agents.analyses.running import row_count

        parts.append(count_of(row_count(out), "row"))
    return " · ".join(parts)


def receipt(ctx: AgentContext, outcomes: list[A.Outcome], parsed: Any, line: str) -> dict[str, Any]:
    """What was computed, as data: measures, filters, period, the SQL, the definitions used, freshness."""
    first = outcomes[0]
    catalog_defs = []
    for o in outcomes:
        a = ANALYSES[o.analysis]
        catalog_defs.append({"kind": "analysis", "name": a.name, "description": a.description})
        for s in o.sources:
            if s.get("type") == "sql_pattern":
                catalog_defs.append({"kind": "sql_pattern", "name": s["pattern"], "description": s.get("description")})
    queries = [q for o in outcomes for q in o.queries]
    return jsonable({
        "interpretation": line,
        "analysis": [o.analysis for o in outcomes],
        "measures": list(parsed.measures),
        "dimensions": list(parsed.dimensions),
        "filters": [f.to_dict() for f in parsed.filters],
        "period": first.period.to_dict() if first.period else None,
        "compare_period": first.compare_period.to_dict() if first.compare_period else None,
        "shape": parsed.shape,
        "sql": queries,
        "definitions": catalog_defs,
        "freshness": {"as_of": ctx.as_of.isoformat(), "warehouse": getattr(ctx.warehouse, "kind", None),
                      "from_cache": bool(queries) and all(q.get("cached") for q in queries)},
        "not_understood": list(parsed.unknown),
        "follow_up": parsed.follow_up,
    })


# The analyses that speak to a measure the question names (a sales cycle is in the win-rate analysis)
_MEASURE_ANALYSES = {"sales_cycle_days": "win_rate", "average_deal_size": "win_rate", "win_rate": "win_rate",
                     "bookings": "owner_leaderboard", "pipeline": "pipeline", "weighted_pipeline": "pipeline",
                     "deal_count": "deals_closing", "revenue": "revenue_by_segment", "leads": "lead_volume_by_source",
                     "conversion_rate": "lead_volume_by_source", "slip_count": "slipped_deals",
                     "calls": "competitor_mentions"}



def _measures_left(analyses: list[str], measures: list[str]) -> list[str]:
    """The measures named that none of the chosen analyses computes."""
    left = list(measures)
    for a in analyses:
        left = [m for m in left if m in measures_not_computed(a, left)]
    return left


def answers_no_measure_named(parsed: Any, analysis: str) -> bool:
    """The analysis was chosen by a word the question uses as a filter, computes no measure (NOT_A_MEASURE) and
    speaks to none of the measures named: "average deal size for expansion deals" filters on the deal type
    Expansion and is not the expansion-candidates analysis."""
    return analysis in NOT_A_MEASURE and bool(parsed.measures) \
        and all(_MEASURE_ANALYSES.get(m) != analysis for m in parsed.measures) \
        and any(f.text and (f.text.lower().replace(" ", "_") in analysis
                            or str(f.value).lower().replace(" ", "_") in analysis) for f in parsed.filters)

def chosen_by_filter_words(text: str, parsed: Any, analysis: str) -> bool:
    """The analysis was chosen by words the question uses as filters or breakdowns: without them it is not chosen
    ("deals pushed more than twice" is a filter on deals, not the slipped-deals analysis)."""
    from revops_cli.agents.understanding import without_filter_words

    return choose_analysis(without_filter_words(text, parsed)) != analysis


def closest_questions(text: str, settings: Any = None, n: int = 3, measures: list[str] | None = None) -> list[str]:
    """The example questions nearest the question, best first: those of the analyses that compute a measure the
    question names, then the catalogue's examples by word overlap."""
    from rapidfuzz import fuzz, process

    caps = capabilities(settings)
    examples: list[str] = []
    for c in caps:
        examples += [e for e in c["examples"] if e not in examples]
    first: list[str] = []
    for m in measures or []:
        name = _MEASURE_ANALYSES.get(m)
        cap = next((c for c in caps if c["name"] == name), None)
        if cap and cap["examples"] and cap["examples"][0] not in first:
            first.append(cap["examples"][0])
    ranked = [e for e, _, _ in process.extract(text, examples, scorer=fuzz.token_set_ratio, limit=n + len(first))]
    return (first + [e for e in ranked if e not in first])[:n]


def not_understood(ctx: AgentContext, text: str, parsed: Any, missing: list[str], understood: str | None,
                   analysis: str | None) -> Answer:
    """ok=False, exit 9: the question is not answered with a number, and says exactly what was not understood."""
    from revops_cli.errors import NotUnderstoodError

    closest = closest_questions(text, ctx.settings, measures=list(parsed.measures) if parsed is not None else None)
    words = [m for m in missing if m.strip() != text.strip()] if analysis is None else []
    if words:
        message = f"revops does not know {', '.join(repr(m) for m in words)} (it looks like a filter it cannot apply)"
    elif analysis is None:
        message = "revops could not match this question to an analysis it runs"
    else:
        message = f"revops cannot apply {', '.join(repr(m) for m in missing)} to {ANALYSES[analysis].title.lower()}"
    err = NotUnderstoodError(message, "closest questions revops can answer: " + "; ".join(f'"{q}"' for q in closest))
    ctx.trace.note("data", f"not answered: {message}")
    body = ctx.render("data_not_understood.md.j2", question=text.strip(), missing=missing, understood=understood,
                      analysis=ANALYSES[analysis].title if analysis else None, closest=closest, words=words,
                      unknown=list(parsed.unknown) if parsed is not None else [])
    return Answer(agent="data", text=body, ok=False, error=err.one_line(),
                  data={"analysis": None, "error": {**err.to_dict(), "retryable": False},
                        "not_understood": missing, "closest_questions": closest,
                        "question": parsed.to_dict() if parsed is not None else None,
                        "capabilities": [c["name"] for c in capabilities()]})


class DataAgent:
    name = "data"

    def handle(self, ctx: AgentContext, task: Task) -> Answer:
        answer = self._answer(ctx, task)
        data = answer.data if isinstance(answer.data, dict) else {}
        if answer.ok and not data.get("account"):
            # the account a question filters on is the answer's account (the session's "it", the eval's entity)
            f = next((f for f in (data.get("question") or {}).get("filters") or [] if f.get("dimension") == "account"
                      and f.get("op") == "="), None)
            if f is not None:
                data["account"] = {"account_id": f.get("id"), "name": f.get("value")}
        return answer

    def _answer(self, ctx: AgentContext, task: Task) -> Answer:
        from revops_cli.agents.understanding import ParsedQuestion, is_follow_up, parse, refine

        text = task.text or ""
        forced = task.params.get("analysis")
        names_found = (task.entities or {}).get("names")
        if names_found is None:            # called directly (reports, tools): find the names here
            from revops_cli.agents.names import find_names

            names_found = find_names(ctx, text)
        parsed = parse(text, names_found, ctx.as_of, ctx.fiscal_start_month)
        self._team_members(ctx, parsed)
        e = task.entities or {}
        if A.as_period(e.get("period")) is not None and parsed.period is None \
                and not any(f.dimension == "last_activity" and parse_period(f.text, ctx.as_of, ctx.fiscal_start_month)
                            for f in parsed.filters):     # "no activity in the last 14 days" is no period
            parsed.period = A.as_period(e.get("period"))
        names = [forced] if forced in ANALYSES else choose_analyses(text)
        if not forced and not names and not parsed.measures and parsed.filter("account") is not None \
                and _USAGE_TALK.search(text):
            # "datacorp usage last 90 days", "how is techflow's usage trending": that account's usage
            names = ["declining_engagement" if _USAGE_DOWN.search(text) else "expansion"]
        if not forced and names and names[0] == "competitor_mentions" and parsed.filter("competitor") is not None \
                and _DEAL_LIST.search(text) and not _CALL_TALK.search(text):
            # "open deals with Snowflake as a competitor": a filter on deals, not a question about calls
            names = ["pipeline" if re.search(r"\bpipeline\b", text, re.I) else "deals_closing"]
        any_close_date = False
        if not names and not forced and _DEAL_WORDS.search(text) and not parsed.unknown \
                and not set(parsed.measures) - {"pipeline", "deal_count"}:
            # about deals, with no analysis word: the deals themselves, every filter applied
            names = ["deals_closing"]
            any_close_date = parsed.period is None and not _CLOSING_WORDS.search(text)
            ctx.trace.note(self.name, "a question about deals: the matching open deals"
                           + (" (any close date)" if any_close_date else ""))
        if not forced and names and names[0] == "owner_leaderboard" and "pipeline" in parsed.measures \
                and not re.search(r"\b(won|closed|leaderboard|top|best|rank\w*)\b", text, re.I):
            names = ["pipeline"]         # "pipeline by owner": open pipeline broken down by rep
        last = (ctx.session.get("last_answer") or {}).get("data") or {}
        if task.intent == "follow_up" and last.get("question") and (last.get("analysis") in ANALYSES
                                                                      or last.get("analysis") == "adhoc"):
            previous = ParsedQuestion.from_dict(last["question"])
            # the follow-up's own analysis counts only when it names a measure of its own ("and the win rate?")
            own = names if names and names[0] != last["analysis"] and parsed.measures else []
            added = [d for d in parsed.dimensions if d not in previous.dimensions]
            parsed = refine(previous, parsed, ctx.as_of)
            names = own or ([last["analysis"]] if last["analysis"] in ANALYSES else [])
            if not own and added and names == ["deals_closing"]:
                # "open opps in emea" then "by stage?": those deals' totals per stage through the model, with
                # the list's close dates (any, when the list had no period), not the list again
                parsed.measures = parsed.measures or ["pipeline", "open_deal_count"]
                parsed.shape = "breakdown"
                names = []
            ctx.trace.note(self.name, f"follow-up: refines the last question ({previous.text!r})")
            text = previous.text if not own else text
            if names == ["deals_closing"] and parsed.period is None and not _CLOSING_WORDS.search(text):
                any_close_date = True        # the list had any close date; its follow-up keeps that
        elif not forced and is_follow_up(text) and not parsed.measures and not parsed.filters \
                and not _DEAL_WORDS.search(text) and len(text.split()) <= 5:
            # "by owner?", "and by region?" with no earlier question to refine (or after a failed one): a
            # breakdown of what? Not a guess at some analysis that happens to have an owner column
            return not_understood(ctx, text, parsed, [text.strip()], None, None)
        status = parsed.filter("status")
        if not forced and not names and not parsed.measures and not _DEAL_WORDS.search(text) \
                and status is not None and status.value in ("won", "lost"):
            # "closed won last quarter by segment", "closed lost this year": bookings, or the count of lost deals
            answer = self._closed_deals(ctx, parsed, text)
            if answer is not None:
                return answer
        if not forced and (not names or wants_model(parsed) or beyond(parsed, text, names[0])
                           or answers_no_measure_named(parsed, names[0])
                           or _measures_left(names, parsed.measures)):
            adhoc = self._adhoc(ctx, parsed, text)
            if adhoc is not None:
                return adhoc
        if not names:
            understood = " · ".join([m.replace("_", " ") for m in parsed.measures] + [f.label() for f in parsed.filters]
                                    + [f"by {d.replace('_', ' ')}" for d in parsed.dimensions])
            if not understood and parsed.unknown and _DEAL_WORDS.search(text):
                understood = "deals"     # "deals where we're up against teradata": the deals, and what was not known
            return not_understood(ctx, text, parsed, (list(parsed.unknown) if understood else []) or [text.strip()],
                                  understood or None, None)
        for name in names:
            missing = not_applied(name, parsed.filters, parsed.dimensions) + [
                u for u in parsed.unknown if not understood_by(name, u)]
            if not forced:
                missing += [m.replace("_", " ") for m in _measures_left(names, parsed.measures)]
            if missing and not forced and (name not in NOT_A_MEASURE or chosen_by_filter_words(text, parsed, name)):
                # an analysis about something no measure captures ("competitor mentions") hands over only when the
                # words that chose it are the question's filters ("open pipeline by competitor", "emea commit"),
                # and only a question the model reads whole
                adhoc = self._adhoc(ctx, parsed, text, refuse=name not in NOT_A_MEASURE)
                if adhoc is not None:
                    return adhoc
            if missing:
                understood = " · ".join([_WHAT.get(name, name)] + [f.label() for f in parsed.filters
                                                                 if f.label() not in missing])
                return not_understood(ctx, text, parsed, missing, understood, name)
        ask = self._ask(ctx, task, parsed, text)
        ask.any_close_date = any_close_date
        outcomes = []
        for name in names:
            ctx.trace.note(self.name, f"analysis: {name} ({ANALYSES[name].description.split(' - ')[0]})")
            outcomes.append(A.RUNNERS[name](ask))
        if parsed.shape == "comparison" and parsed.compare_period is not None and len(outcomes) == 1:
            outcomes.append(self._compare(ctx, task, parsed, text, names[0], outcomes[0]))
        if parsed.shape == "top_n" and parsed.limit:
            for o in outcomes:
                cannot = top_deals(o, parsed.limit, smallest=bool(_SMALLEST.search(text)))
                if cannot:
                    understood = " · ".join([_WHAT.get(o.analysis, o.title)] + [f.label() for f in parsed.filters])
                    return not_understood(ctx, text, parsed, [cannot], understood, o.analysis)
        lines = [interpretation(o, parsed) for o in outcomes[:1]]
        sections = [_section(o) for o in outcomes]
        body = ctx.render("data.md.j2", sections=sections, interpretation=lines[0])
        data = _data(outcomes[0])
        data["question"] = parsed.to_dict()
        data["interpretation"] = lines[0]
        data["receipt"] = receipt(ctx, outcomes, parsed, lines[0])
        if len(outcomes) > 1:
            data["analyses"] = [_data(o) for o in outcomes]
        sources: list[dict[str, Any]] = []
        for o in outcomes:
            sources += [s for s in o.sources if s not in sources]
        return Answer(agent=self.name, text=body, data=data, sources=sources)

    def _team_members(self, ctx: AgentContext, parsed: Any) -> None:
        """A manager's team ("tom becker's team"): the reps whose manager is that person, looked up once. None found
        (no reports, or no manager column on this warehouse) leaves the filter unresolved, so it is refused."""
        for f in parsed.filters:
            if f.dimension != "team_of" or f.members is not None or not f.id:
                continue
            manager = str(f.id).replace("'", "''")
            try:
                rows = ctx.run_sql(self.name, f"SELECT name FROM users WHERE manager_id = '{manager}' ORDER BY name").records()
            except Exception as exc:        # a warehouse without the column: the filter stays not understood
                ctx.trace.note(self.name, f"team of {f.value}: not looked up ({exc})")
                continue
            members = [str(r["name"]) for r in rows if r.get("name")]
            if members:
                f.members = members
                ctx.trace.note(self.name, f"team of {f.value}: {len(members)} reps")

    @staticmethod
    def _adhoc(ctx: AgentContext, parsed: Any, text: str, refuse: bool = True) -> Answer | None:
        """The question as a query of the semantic model (agents/adhoc.py), when it parses completely into one:
        the answer; a refusal naming what the model cannot express (None instead when not `refuse`); None when it
        names no measure."""
        from revops_cli.agents import adhoc
        from revops_cli.model.loader import load_model

        p = adhoc.plan(parsed, text, load_model(ctx.settings), ctx.as_of, ctx.fiscal_start_month)
        if p is None:
            return None
        if isinstance(p, adhoc.Refusal):
            if not refuse:
                return None
            understood = " · ".join([adhoc.TITLES.get(m, m) for m in parsed.measures]
                                    + [f.label() for f in parsed.filters if f.label() not in p.missing])
            return not_understood(ctx, text, parsed, p.missing, understood or None, None)
        return adhoc.answer(ctx, p)

    @classmethod
    def _closed_deals(cls, ctx: AgentContext, parsed: Any, text: str) -> Answer | None:
        """Closed won as bookings (amount and count), closed lost as a count, through the model; the question is
        kept without the measure, so a follow-up ("and lost?") can turn won into lost. (Deals asked for as deals,
        "deals we won", are a list: agents/adhoc.py.)"""
        from dataclasses import replace

        won = parsed.filter("status").value == "won"
        if not won and money_asked(text):
            asked = parsed             # "how much did we lose to snowflake": the lost amount (agents/adhoc.py)
        else:
            asked = replace(parsed, measures=["bookings"] if won else ["lost_deal_count"],
                            filters=parsed.filters if won else [f for f in parsed.filters if f.dimension != "status"])
        answer = cls._adhoc(ctx, asked, text)
        if answer is not None and answer.ok and isinstance(answer.data, dict):
            answer.data["question"] = parsed.to_dict()
        return answer

    def _compare(self, ctx: AgentContext, task: Task, parsed: Any, text: str, name: str, first: A.Outcome) -> A.Outcome:
        """The same analysis over the comparison period ('compare with last quarter')."""
        from dataclasses import replace

        other = replace(parsed, period=parsed.compare_period, compare_period=None)
        out = A.RUNNERS[name](self._ask(ctx, task, other, text))
        if first.summary and out.summary:
            key = _COUNTS.get(name, ("", ""))[0]
            for k in ("win_rate_pct", key, "total_amount", "open_amount", "won_amount"):
                if k and k in first.summary and k in out.summary:
                    first.bullets.insert(0, f"Against {out.period.label if out.period else 'the comparison period'}: "
                                            f"{k.replace('_', ' ')} {_fmt(first.summary[k])} vs {_fmt(out.summary[k])}.")
                    break
        return out

    @staticmethod
    def _ask(ctx: AgentContext, task: Task, parsed: Any, text: str) -> A.Ask:
        e = task.entities or {}
        period = parsed.period if parsed is not None and parsed.period is not None else \
            (A.as_period(e.get("period")) or parse_period(text, ctx.as_of, ctx.fiscal_start_month))
        filters = list(parsed.filters) if parsed is not None else []
        segment = task.params.get("segment") or next((f.value for f in filters if f.dimension == "segment"), None)
        region = task.params.get("region") or next((f.value for f in filters if f.dimension == "region"), None)
        account = e.get("account") if isinstance(e.get("account"), dict) else None
        if account is not None and not (account.get("account_id") or account.get("name")):
            account = None
        acc_filter = next((f for f in filters if f.dimension == "account"), None)
        if acc_filter is not None:
            account = {"account_id": acc_filter.id, "name": acc_filter.value}
        return A.Ask(ctx=ctx, text=text, period=period, segment=segment, region=region, account=account,
                     params=dict(task.params or {}), filters=filters,
                     dimensions=list(parsed.dimensions) if parsed is not None else [])


def _fmt(v: Any) -> str:
    from revops_cli.formatting import money, num

    if isinstance(v, float) and abs(v) >= 1000:
        return money(v)
    return num(v)
