"""The Data agent's catalogue of analyses: which question words pick which analysis, which SQL patterns
it runs, how its parameters are filled from the question, and the headline figures it reports.

Choosing an analysis (`choose_analysis`) is deterministic: the rules below are tried in order on the
lower-cased question and the first that matches wins. The order matters - specific beats general:

 1. deal_risk_factors     "risk factor(s)", "red flags", or a risk word (risk, risky, at risk, in danger,
                          jeopardy, slipping away) next to deals / opportunities / pipeline / closing / forecast
                          - unless the question is about churn, customers, usage or engagement
 2. declining_engagement  churn, or a fall word (declin*, drop*, fall*, decreas*, shrink*, disengag*, inactive,
                          "going dark", "less active") about customers / accounts / usage / engagement / users
 3. competitor_mentions   competitor*, competition, competitive, rival(s), "mentioned", "mentions", "came/comes up",
                          or a competitor's name (Snowflake, Databricks, ...) with calls / meetings / talk
 4. coverage              coverage, "enough pipeline", pipeline vs/against/to target/quota/plan
 5. forecast_vs_target    forecast, target, quota, attainment, commit, "hit the number/plan", "on track", gap to
 6. win_rate              win rate, close rate, won vs lost, win ratio, loss rate, "how many deals did we win"
 7. slipped_deals         slip*, pushed, "push out", delayed, "moved out"
 8. owner_leaderboard     leaderboard, top/best reps/sellers/AEs/performers, rank reps, "by rep/owner/AE",
                          "who closed the most"
 9. lead_volume_by_source lead(s) or MQLs with source / channel / volume / new / how many / count / by;
                          "lead source(s)"
10. expansion             expansion, upsell, cross-sell, whitespace, headroom, usage growth / growing usage
11. revenue_trend         revenue / MRR / billing / bookings with trend, monthly, by month, per month,
                          month over month, MoM, over time
12. revenue_by_segment    revenue, MRR, ARR, billing, YoY, year over year, "same quarter/period last year",
                          "vs last year"
13. deals_closing         deals / opportunities / opps with closing / close / expected / due / landing /
                          "this quarter" / a quarter
14. pipeline              pipeline, "by stage", stages, weighted

Two analyses are run when the question joins two asks ("and", "plus", "as well as", "also", ";") and each
part on its own picks a different analysis: "forecast vs target and pipeline coverage this quarter".

Default periods (when the question names none): this quarter for pipeline, deals, risk factors,
forecast, coverage, leaderboard and slipped deals (pushes made this quarter so far); this quarter to date
against the same months last year for revenue by segment; the last 12 months for revenue trend and win
rate; the last 30 days against the 30 before for usage (declining engagement, expansion) and lead volume;
the last 90 days for competitor mentions (365 for one account's calls).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, Callable

from revops_cli.agents.periods import Period, month_of, quarter, quarter_of
from revops_cli.models import jsonable
from revops_cli.templates import _money as money, _num as num, _pct as pct, _signed_pct as signed_pct

AGENT = "data"
SEGMENTS = ("SMB", "Mid-Market", "Enterprise")
ROW_CAP = 50            # rows kept in Answer.data["rows"]
TABLE_ROWS = 15         # rows shown in the markdown table
SUMMARY_LIMIT = 5000    # rows fetched when a summary needs every matching row, not just the top


@dataclass(frozen=True)
class Analysis:
    name: str
    title: str
    description: str
    patterns: tuple[str, ...]
    default_period: str
    keywords: tuple[str, ...]
    examples: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "title": self.title, "description": self.description,
                "patterns": list(self.patterns), "default_period": self.default_period,
                "keywords": list(self.keywords), "examples": list(self.examples)}


ANALYSES: dict[str, Analysis] = {a.name: a for a in (
    Analysis("deal_risk_factors", "Risk factors in the deals closing",
             "Risk factors across all open deals closing in a period - no economic buyer at a late stage, close "
             "date pushed 2+ times, no activity for 21+ days, competitor present, close date past - with counts, "
             "amounts and the biggest deals per factor.",
             ("data_deal_risk_factors",), "this quarter",
             ("risk factors", "red flags", "deals at risk", "risky deals"),
             ("What are the main risk factors for deals closing this quarter?", "Which Q4 deals are at risk?")),
    Analysis("declining_engagement", "Customers with declining engagement",
             "Customers whose usage fell (last N days vs the N before), with the ARR at risk, renewals due soon "
             "and accounts without a recent call.",
             ("declining_usage",), "last 30 days vs the 30 before",
             ("declining", "churn", "drop in usage", "disengaged", "at-risk customers"),
             ("Which customers show declining engagement patterns?", "Which customers are at risk of churning?")),
    Analysis("competitor_mentions", "Competitor mentions in sales calls",
             "Which competitors come up in call transcripts - across all calls in a period, in one account's calls, "
             "or in our last call with an account.",
             ("competitor_mentions", "data_call_volume", "calls_for_account"),
             "last 90 days (one account: last 365 days)",
             ("competitors", "competition", "mentioned", "came up"),
             ("Analyze competitor mentions across all Q3 sales calls",
              "Which competitors were mentioned in our last call with Acme Corp?")),
    Analysis("coverage", "Pipeline coverage vs target",
             "Closed-won plus open pipeline against the bookings target - coverage ratio of the remaining target.",
             ("pipeline_coverage_vs_target",), "this quarter",
             ("coverage", "enough pipeline"),
             ("What is our pipeline coverage for Q4?", "Do we have enough pipeline to hit the target?")),
    Analysis("forecast_vs_target", "Forecast vs target",
             "Closed won, commit and best case against the bookings target, per segment, with the gap.",
             ("forecast_vs_target",), "this quarter",
             ("forecast", "target", "quota", "attainment", "commit", "hit the number"),
             ("Forecast vs target this quarter", "Are we going to hit the number?")),
    Analysis("win_rate", "Win rate",
             "Won / closed deals by count and amount, by segment or by rep, against the same period last year.",
             ("win_rate",), "last 12 months",
             ("win rate", "close rate", "won vs lost"),
             ("Win rate by segment this year", "Which reps have the best win rate?")),
    Analysis("slipped_deals", "Slipped deals",
             "Open deals whose close date was pushed out during a period, with pushes and days pushed.",
             ("slipped_deals",), "this quarter so far",
             ("slipped", "pushed", "delayed"),
             ("Which deals keep slipping?", "Which deals had their close date pushed this quarter?")),
    Analysis("owner_leaderboard", "Rep leaderboard",
             "AEs ranked by closed-won amount, with win rate and their open pipeline in the period.",
             ("owner_leaderboard",), "this quarter",
             ("leaderboard", "top reps", "best AEs", "by rep"),
             ("Who are our top reps this quarter?", "Show the sales leaderboard for Enterprise")),
    Analysis("lead_volume_by_source", "New leads by source",
             "Leads created in a period by source, with qualification and conversion rates, against the period before.",
             ("new_leads_by_source",), "last 30 days vs the 30 before",
             ("leads by source", "lead volume", "new leads", "lead sources"),
             ("New leads by source last month", "Which lead sources convert best?")),
    Analysis("expansion", "Expansion opportunities",
             "Customers with rising usage or active users and no open expansion deal, with ARR and spend headroom.",
             ("expansion_signals",), "last 30 days vs the 30 before",
             ("expansion", "upsell", "cross-sell", "usage growth", "headroom"),
             ("Identify top expansion opportunities based on usage trends",
              "Show upsell opportunities in Mid-Market")),
    Analysis("revenue_trend", "Revenue trend",
             "Recognised revenue per month with paying accounts and month-over-month change, against a year earlier.",
             ("revenue_by_month",), "last 12 months",
             ("revenue trend", "monthly revenue", "revenue by month", "MoM"),
             ("Show revenue by month this year", "What are the Q4 revenue trends?")),
    Analysis("revenue_by_segment", "Revenue by segment",
             "Recognised revenue by segment against the same period last year (year-over-year change, share of total).",
             ("revenue_by_segment",), "this quarter to date vs the same months last year",
             ("revenue", "ARR", "YoY", "same quarter last year", "segment"),
             ("Analyze Q4 revenue performance by customer segment",
              "Compare revenue performance vs same quarter last year")),
    Analysis("deals_closing", "Deals closing",
             "Open deals with a close date in a period - count, amount, weighted amount, segment and stage mix, "
             "the biggest deals.",
             ("deals_closing_in_period", "weighted_pipeline", "pipeline_by_quarter_and_stage"), "this quarter",
             ("deals closing", "closing this quarter", "expected to close"),
             ("What deals are closing this quarter?", "Which Enterprise deals close in Q4?")),
    Analysis("pipeline", "Open pipeline",
             "Open pipeline by close quarter and stage, with the weighted amount by segment.",
             ("pipeline_by_quarter_and_stage", "weighted_pipeline"), "this quarter (4 quarters when asked by quarter)",
             ("pipeline", "by stage", "weighted pipeline"),
             ("Pipeline by stage", "Show pipeline by quarter and stage")),
)}


# ----------------------------------------------------------------------------------------------------------
# Choosing the analysis
# ----------------------------------------------------------------------------------------------------------

def _rx(pattern: str) -> re.Pattern:
    return re.compile(pattern, re.I)


_CHURN_CONTEXT = _rx(r"\b(churn\w*|customers?|accounts?|usage|engagement|consumption|active users|renewals?)\b")
_RISK_PHRASE = _rx(r"\brisk factors?\b|\bred flags?\b|\bwarning signs?\b")
_RISK_WORD = _rx(r"\b(risks?|risky|at[- ]risk|in danger|jeopard\w*|slipping away)\b")
_DEAL_CONTEXT = _rx(r"\b(deals?|opportunit\w*|opps?|pipeline|closing|forecast)\b")
_CHURN = _rx(r"\bchurn\w*")
_FALL = _rx(r"\b(declin\w*|drop\w*|fall\w*|fell|decreas\w*|shrink\w*|disengag\w*|inactive|going dark|"
            r"less active|waning|down)\b")
_ENGAGE_CONTEXT = _rx(r"\b(customers?|accounts?|usage|engagement|users|consumption|activity|logins?|queries)\b")
_COMPETITOR = _rx(r"\b(competitors?|competition|competitive|compete\w*|rivals?|mentioned|mentions?|came up|"
                  r"comes? up|coming up)\b")
_COMPETITOR_NAME = _rx(r"\b(snowflake|databricks|bigquery|redshift|clickhouse|synapse|teradata)\b")
_CALL_WORDS = _rx(r"\b(calls?|meetings?|conversations?|transcripts?|talk\w*|said|discuss\w*)\b")
_COVERAGE = _rx(r"\bcoverage\b|\benough pipeline\b|\bpipeline (?:vs\.?|versus|against|to|for) (?:the )?"
                r"(?:target|quota|plan)")
_FORECAST = _rx(r"\b(forecast\w*|targets?|quotas?|attainment|commit|hit (?:the|our) (?:number|plan|target)|"
                r"on track|gap to)\b")
_WIN_RATE = _rx(r"\b(win[- ]?rates?|close rates?|closing rates?|won vs\.? lost|win ratio|loss rates?|"
                r"how many deals (?:did )?we win)\b")
_SLIPPED = _rx(r"\b(slip\w*|pushed|push(?:ed)? out|delayed|moved out|keep moving)\b")
_LEADERBOARD = _rx(r"\b(leaderboard|(?:top|best|worst)\s+(?:\d+\s+)?(?:reps?|sellers?|aes?|performers?|"
                   r"account executives?|salespeople)|rank\w*\s+(?:the\s+)?(?:reps?|aes?|owners?|sellers?)|"
                   r"by (?:rep|owner|ae|seller)s?\b|who closed the most)")
_LEADS = _rx(r"\b(leads?|mqls?)\b")
_LEAD_VOLUME = _rx(r"\b(sources?|channels?|volume|new|how many|count|number of|by)\b")
_EXPANSION = _rx(r"\b(expan\w*|upsell\w*|up-sell\w*|cross-sell\w*|whitespace|headroom|"
                 r"(?:usage|consumption) (?:growth|increase\w*|grow\w*|trends?)|grow\w* (?:usage|consumption|accounts)|"
                 r"growing (?:customers|accounts))\b")
_REVENUE = _rx(r"\b(revenue|mrr|arr|billing|bookings|sales performance)\b")
_TREND = _rx(r"\b(trends?|trending|monthly|by month|per month|each month|month over month|mom|over time)\b")
_REVENUE_SEGMENT = _rx(r"\b(revenue|mrr|arr|billing|yoy|year over year|year-over-year)\b|"
                       r"\bsame (?:quarter|period|month) last year\b|\bvs\.? last year\b")
_DEALS = _rx(r"\b(deals?|opportunit\w*|opps)\b")
_CLOSING = _rx(r"\b(clos\w*|expected|due|landing|land|this quarter|next quarter|q[1-4])\b")
_PIPELINE = _rx(r"\b(pipeline|by stage|stages?|weighted)\b")

RULES: list[tuple[str, Callable[[str], bool]]] = [
    ("deal_risk_factors", lambda t: bool(
        (_RISK_PHRASE.search(t) or (_RISK_WORD.search(t) and _DEAL_CONTEXT.search(t)))
        and not (_CHURN_CONTEXT.search(t) and not _DEAL_CONTEXT.search(t)) and not _CHURN.search(t))),
    ("declining_engagement", lambda t: bool(_CHURN.search(t) or (_FALL.search(t) and _ENGAGE_CONTEXT.search(t)))),
    ("competitor_mentions", lambda t: bool(_COMPETITOR.search(t) or (_COMPETITOR_NAME.search(t)
                                                                      and _CALL_WORDS.search(t)))),
    ("coverage", lambda t: bool(_COVERAGE.search(t))),
    ("forecast_vs_target", lambda t: bool(_FORECAST.search(t))),
    ("win_rate", lambda t: bool(_WIN_RATE.search(t))),
    ("slipped_deals", lambda t: bool(_SLIPPED.search(t))),
    ("owner_leaderboard", lambda t: bool(_LEADERBOARD.search(t))),
    ("lead_volume_by_source", lambda t: bool(_LEADS.search(t) and _LEAD_VOLUME.search(t))),
    ("expansion", lambda t: bool(_EXPANSION.search(t))),
    ("revenue_trend", lambda t: bool(_REVENUE.search(t) and _TREND.search(t))),
    ("revenue_by_segment", lambda t: bool(_REVENUE_SEGMENT.search(t))),
    ("deals_closing", lambda t: bool(_DEALS.search(t) and _CLOSING.search(t))),
    ("pipeline", lambda t: bool(_PIPELINE.search(t))),
]
assert [r[0] for r in RULES] == list(ANALYSES)   # one rule per analysis, in the documented order

_JOIN = re.compile(r"\s*(?:;|\band\b|\bplus\b|\bas well as\b|\balso\b|&)\s*", re.I)


def choose_analysis(text: str) -> str | None:
    """The analysis a question asks for (first matching rule), or None."""
    t = " ".join((text or "").lower().replace("’", "'").split())
    for name, matches in RULES:
        if matches(t):
            return name
    return None


def choose_analyses(text: str) -> list[str]:
    """One analysis, or two when the question joins two asks that each pick a different one."""
    first = choose_analysis(text)
    if first is None:
        return []
    picked = [a for a in (choose_analysis(part) for part in _JOIN.split(text or "") if part.strip()) if a]
    others = [a for a in dict.fromkeys(picked) if a != first]
    if not others:
        return [first]
    pair = [first, others[0]]
    # in the order the question asks them
    return sorted(pair, key=lambda a: picked.index(a) if a in picked else 0)


# ----------------------------------------------------------------------------------------------------------
# Filling parameters from the question
# ----------------------------------------------------------------------------------------------------------

_SEGMENT_WORDS = (("SMB", _rx(r"\b(smb|small business(?:es)?|small customers)\b")),
                  ("Mid-Market", _rx(r"\bmid[- ]?market\b|\bmid[- ]?size\w*\b|\bmm\b")),
                  ("Enterprise", _rx(r"\benterprises?\b")))
_REGIONS = (("NA", re.compile(r"\bNA\b|\bnorth america\w*\b|\bnorth-america\b", re.I)),
            ("EMEA", _rx(r"\bemea\b|\beurope\b")), ("APAC", _rx(r"\bapac\b|\basia\b")),
            ("LATAM", _rx(r"\blatam\b|\blatin america\b|\bsouth america\b")))
_AMOUNT = _rx(r"\b(?:over|above|more than|greater than|at least|bigger than|larger than)\s*\$?\s*"
              r"(\d+(?:[.,]\d+)?)\s*(k|m|mm|million|thousand)?\b")
_LAST_CALL = _rx(r"\b(last|latest|most recent|recent|previous)\s+(?:sales\s+)?(call|meeting|conversation|demo)\b")
_WITH_NAME = re.compile(r"\b(?:with|for|at|from)\s+(?P<n>[A-Z0-9][\w&.'-]*(?:\s+[A-Z0-9][\w&.'-]*){0,3})")


def find_segment(text: str) -> str | None:
    """A segment the question filters on ("enterprise customers"), not "by segment"."""
    found = [seg for seg, rx in _SEGMENT_WORDS if rx.search(text)]
    return found[0] if len(found) == 1 else None


def find_region(text: str) -> str | None:
    found = [reg for reg, rx in _REGIONS if rx.search(text)]
    return found[0] if len(found) == 1 else None


def find_min_amount(text: str) -> float | None:
    m = _AMOUNT.search(text)
    if not m:
        return None
    value = float(m.group(1).replace(",", "."))
    unit = (m.group(2) or "").lower()
    return value * (1_000 if unit in ("k", "thousand") else 1_000_000 if unit in ("m", "mm", "million") else 1)


def find_competitors(text: str, known: list[str]) -> list[str]:
    """Competitors the question names, from the known list."""
    return [c for c in known if re.search(rf"\b{re.escape(c)}\b", text, re.I)]


def account_span(text: str) -> str | None:
    """'our last call with Acme Corp' -> 'Acme Corp' (a fallback when the manager resolved no account)."""
    for m in _WITH_NAME.finditer(text):
        words = m.group("n").split()
        while words and words[-1].lower() in ("in", "on", "last", "this", "during", "about", "q1", "q2", "q3", "q4"):
            words.pop()
        name = " ".join(words).strip(" ?.!,'\"")
        if name and name.lower() not in ("our", "the", "all", "each", "every"):
            return name
    return None


def as_period(value: Any) -> Period | None:
    if value is None or isinstance(value, Period):
        return value
    if isinstance(value, dict) and value.get("start") and value.get("end"):
        def d(v: Any) -> date:
            return v if isinstance(v, date) else date.fromisoformat(str(v))
        return Period(str(value.get("label") or f"{value['start']} to {value['end']}"), d(value["start"]),
                      d(value["end"]), str(value.get("kind") or "days"))
    return None


_BARE_QUARTER = _rx(r"\bq[1-4]\b(?!\s*(?:fy)?'?\d)")
_ANY_YEAR = _rx(r"\b20\d\d\b|\blast year\b")


def ahead(ask: "Ask") -> Period | None:
    """The period for a forward-looking analysis (deals closing, pipeline, deal risks): a bare "Q1" asked in
    November means the coming Q1, not the one that ended ten months ago."""
    p = ask.period
    if p is not None and p.kind == "quarter" and p.end < ask.as_of and _BARE_QUARTER.search(ask.text) \
            and not _ANY_YEAR.search(ask.text):
        return quarter(p.start.year + 1, (p.start.month - 1) // 3 + 1)
    return p


def last_days(as_of: date, n: int) -> Period:
    return Period(f"last {n} days", as_of - timedelta(days=n - 1), as_of, "days")


def clip(p: Period, as_of: date) -> Period:
    """The part of a period up to today (a quarter in progress becomes quarter to date)."""
    if p.end <= as_of or p.start > as_of:
        return p
    return Period(f"{p.label} to date", p.start, as_of, p.kind)


def window_days(p: Period | None, default: int = 30) -> int:
    if p is None:
        return default
    if p.kind in ("days", "week"):
        return (p.end - p.start).days + 1
    if p.kind == "month":
        return 30
    if p.kind == "quarter":
        return 90
    return default


# ----------------------------------------------------------------------------------------------------------
# Running: the request as the runners see it, and what they hand back
# ----------------------------------------------------------------------------------------------------------

@dataclass
class Ask:
    ctx: Any                      # AgentContext
    text: str
    period: Period | None         # named by the question (or the manager), else None
    segment: str | None
    region: str | None
    account: dict[str, Any] | None
    params: dict[str, Any] = field(default_factory=dict)   # explicit inputs (task.params)

    @property
    def as_of(self) -> date:
        return self.ctx.as_of

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
    columns: list[tuple[str, str, str]] = field(default_factory=list)   # (key, header, format)
    headline: str = ""
    bullets: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    results: dict[str, dict[str, Any]] = field(default_factory=dict)
    sources: list[dict[str, Any]] = field(default_factory=list)


def _f(v: Any) -> float:
    return 0.0 if v is None else float(v)


def _ratio_pct(part: Any, whole: Any) -> float | None:
    return None if not whole else 100.0 * _f(part) / _f(whole)


def _change_pct(cur: Any, prev: Any) -> float | None:
    return None if not prev else 100.0 * (_f(cur) - _f(prev)) / _f(prev)


def run(ask: Ask, out: Outcome, pattern: str, key: str | None = None, **values: Any) -> list[dict[str, Any]]:
    """Run a pattern with the values it declares (None values dropped); record params, rows and source."""
    from revops_cli.warehouse.queries import pattern_catalog

    pat = pattern_catalog(ask.ctx.settings).get(pattern)
    given = {k: v for k, v in values.items() if k in pat.params and v is not None}
    typed = pat.coerce(given)
    result = ask.ctx.run_pattern(AGENT, pattern, **given)
    rows = [{k: (float(v) if isinstance(v, Decimal) else v) for k, v in r.items()} for r in result.records()]
    slot = key or pattern
    out.results[slot] = {"pattern": pattern, "params": jsonable(typed), "row_count": len(rows),
                         "truncated": result.truncated, "rows": jsonable(rows[:ROW_CAP])}
    if not out.params:
        out.params = jsonable(typed)
    if not any(s.get("pattern") == pattern for s in out.sources):
        out.sources.append({"type": "sql_pattern", "pattern": pattern, "description": pat.description})
    return rows


def _n(count: Any, word: str, plural: str | None = None) -> str:
    """'1 deal', '3 deals', '1,204 accounts'."""
    n = int(count or 0)
    return f"{num(n)} {word if n == 1 else (plural or word + 's')}"


def _pname(p: Period) -> str:
    return f"{p.label} ({p.start.isoformat()} to {p.end.isoformat()})"


def _seg_txt(ask: Ask) -> str:
    return f" {ask.segment}" if ask.segment else ""


# ----------------------------------------------------------------------------------------------------------
# The analyses
# ----------------------------------------------------------------------------------------------------------

def revenue_by_segment(ask: Ask) -> Outcome:
    out = Outcome("revenue_by_segment", "Revenue by segment")
    base = ask.period or quarter_of(ask.as_of)
    cur = clip(base, ask.as_of)
    prev = Period(f"same period {cur.start.year - 1}" if cur.start.year == cur.end.year else "a year earlier",
                  base.prev_year.start, cur.prev_year.end, cur.kind)
    out.period, out.compare_period = cur, prev
    rows = run(ask, out, "revenue_by_segment", start_date=cur.start, end_date=cur.end,
               prev_start_date=prev.start, prev_end_date=prev.end)
    total = next((r for r in rows if r["segment"] == "Total"), None) or {
        "revenue": 0.0, "prev_year_revenue": 0.0, "paying_accounts": 0, "prev_year_paying_accounts": 0}
    segs = [r for r in rows if r["segment"] != "Total"]
    tot_rev = _f(total["revenue"])
    by_seg = {r["segment"]: {"revenue": _f(r["revenue"]), "prev_year_revenue": _f(r["prev_year_revenue"]),
                             "yoy_change": _f(r["revenue"]) - _f(r["prev_year_revenue"]),
                             "yoy_change_pct": _change_pct(r["revenue"], r["prev_year_revenue"]),
                             "share_pct": _ratio_pct(r["revenue"], tot_rev),
                             "paying_accounts": int(r["paying_accounts"] or 0)} for r in segs}
    s = out.summary = {
        "revenue": tot_rev, "prev_year_revenue": _f(total["prev_year_revenue"]),
        "yoy_change": tot_rev - _f(total["prev_year_revenue"]),
        "yoy_change_pct": _change_pct(tot_rev, total["prev_year_revenue"]),
        "paying_accounts": int(total["paying_accounts"] or 0),
        "prev_year_paying_accounts": int(total["prev_year_paying_accounts"] or 0),
        "by_segment": by_seg,
    }
    if by_seg:
        top = max(by_seg, key=lambda k: by_seg[k]["revenue"])
        s["top_segment"] = top
        s["top_segment_share_pct"] = by_seg[top]["share_pct"]
        mover = max(by_seg, key=lambda k: abs(by_seg[k]["yoy_change"]))
        s["biggest_mover"] = mover
        growers = [k for k in by_seg if by_seg[k]["yoy_change_pct"] is not None]
        if growers:
            s["fastest_growing_segment"] = max(growers, key=lambda k: by_seg[k]["yoy_change_pct"])
    out.headline = (f"Revenue for {cur.label} was **{money(tot_rev)}**, {signed_pct(s['yoy_change_pct'])} against "
                    f"{money(s['prev_year_revenue'])} in {prev.start.isoformat()} to {prev.end.isoformat()} "
                    f"({'+' if s['yoy_change'] >= 0 else '-'}{money(abs(s['yoy_change']))}).")
    if by_seg:
        top = s["top_segment"]
        out.bullets.append(f"**{top}** is the largest segment: {money(by_seg[top]['revenue'])}, "
                           f"{pct(by_seg[top]['share_pct'])} of revenue.")
        mv = by_seg[s["biggest_mover"]]
        out.bullets.append(f"Biggest mover: **{s['biggest_mover']}**, {'+' if mv['yoy_change'] >= 0 else '-'}"
                           f"{money(abs(mv['yoy_change']))} ({signed_pct(mv['yoy_change_pct'])}) year over year.")
        if s.get("fastest_growing_segment") and s["fastest_growing_segment"] != s["biggest_mover"]:
            fg = s["fastest_growing_segment"]
            out.bullets.append(f"Fastest growth: **{fg}** at {signed_pct(by_seg[fg]['yoy_change_pct'])}.")
        if ask.segment and ask.segment in by_seg:
            sg = by_seg[ask.segment]
            out.bullets.append(f"{ask.segment}: {money(sg['revenue'])} ({signed_pct(sg['yoy_change_pct'])} YoY), "
                               f"{pct(sg['share_pct'])} of the total, {num(sg['paying_accounts'])} paying accounts.")
        out.bullets.append(f"Paying accounts: {num(s['paying_accounts'])} vs {num(s['prev_year_paying_accounts'])} "
                           f"a year earlier.")
    if base.end > ask.as_of >= base.start:
        out.notes.append(f"{base.label} is in progress: compared month for month with the same months a year earlier.")
    out.rows = rows
    out.columns = [("segment", "Segment", "text"), ("revenue", "Revenue", "money"),
                   ("prev_year_revenue", "Same period last year", "money"), ("yoy_change", "Change", "money"),
                   ("yoy_change_pct", "YoY", "signed_pct"), ("paying_accounts", "Paying accounts", "num")]
    return out


def revenue_trend(ask: Ask) -> Outcome:
    out = Outcome("revenue_trend", "Revenue trend")
    if ask.period:
        cur = clip(ask.period, ask.as_of)
    else:
        start = ask.as_of.replace(day=1)
        for _ in range(11):
            start = (start - timedelta(days=1)).replace(day=1)
        cur = Period("last 12 months", start, ask.as_of, "months")
    prev = Period(f"{cur.label} a year earlier", cur.prev_year.start, cur.prev_year.end, cur.kind)
    out.period, out.compare_period = cur, prev
    seg = ask.segment
    rows = run(ask, out, "revenue_by_month", start_date=cur.start, end_date=cur.end, segment=seg)
    prev_rows = run(ask, out, "revenue_by_month", key="revenue_by_month_prev_year", start_date=prev.start,
                    end_date=prev.end, segment=seg)
    total = sum(_f(r["revenue"]) for r in rows)
    prev_total = sum(_f(r["revenue"]) for r in prev_rows)
    s = out.summary = {"revenue": total, "prev_year_revenue": prev_total,
                       "yoy_change_pct": _change_pct(total, prev_total), "months": len(rows)}
    if rows:
        best = max(rows, key=lambda r: _f(r["revenue"]))
        first, last = rows[0], rows[-1]
        s.update(first_month=jsonable(first["month"]), first_month_revenue=_f(first["revenue"]),
                 last_month=jsonable(last["month"]), last_month_revenue=_f(last["revenue"]),
                 change_over_period_pct=_change_pct(last["revenue"], first["revenue"]),
                 best_month=jsonable(best["month"]), best_month_revenue=_f(best["revenue"]),
                 last_mom_change_pct=last.get("mom_change_pct"))
        out.headline = (f"Revenue{_seg_txt(ask)} over {cur.label}: **{money(total)}** across {len(rows)} months, "
                        f"{signed_pct(s['yoy_change_pct'])} against the same months a year earlier "
                        f"({money(prev_total)}).")
        out.bullets.append(f"From {money(first['revenue'])} in {jsonable(first['month'])[:7]} to "
                           f"{money(last['revenue'])} in {jsonable(last['month'])[:7]} "
                           f"({signed_pct(s['change_over_period_pct'])}).")
        out.bullets.append(f"Best month: {jsonable(best['month'])[:7]} at {money(best['revenue'])}.")
        if last.get("mom_change_pct") is not None:
            out.bullets.append(f"Latest month vs the one before: {signed_pct(last['mom_change_pct'])}; "
                               f"{num(last['paying_accounts'])} paying accounts.")
        if last["month"] and jsonable(last["month"]) >= ask.as_of.replace(day=1).isoformat():
            out.notes.append("The latest month may still be incomplete.")
    else:
        out.headline = f"No billed revenue in {_pname(cur)}."
    out.rows = rows
    out.columns = [("month", "Month", "month"), ("revenue", "Revenue", "money"),
                   ("paying_accounts", "Paying accounts", "num"), ("mom_change_pct", "MoM", "signed_pct")]
    return out


def _stage_mix(rows: list[dict[str, Any]]) -> dict[str, dict[str, float]]:
    mix: dict[str, dict[str, float]] = {}
    for r in rows:
        m = mix.setdefault(r["stage"], {"deal_count": 0, "total_amount": 0.0, "weighted_amount": 0.0,
                                        "probability": _f(r.get("stage_probability"))})
        m["deal_count"] += int(r["deal_count"] or 0)
        m["total_amount"] += _f(r["total_amount"])
        m["weighted_amount"] += _f(r["weighted_amount"])
    return mix


def pipeline(ask: Ask) -> Outcome:
    out = Outcome("pipeline", "Open pipeline")
    if ask.period:
        cur = ahead(ask) or ask.period
    elif re.search(r"\bby quarter|\bquarters\b|\bquarterly\b", ask.low):
        first = quarter_of(ask.as_of)
        last = first
        for _ in range(3):
            last = quarter_of(last.end + timedelta(days=1))
        cur = Period(f"{first.label} to {last.label}", first.start, last.end, "quarters")
    else:
        cur = quarter_of(ask.as_of)
    out.period = cur
    rows = run(ask, out, "pipeline_by_quarter_and_stage", start_date=cur.start, end_date=cur.end, segment=ask.segment)
    seg_rows = run(ask, out, "weighted_pipeline", start_date=cur.start, end_date=cur.end, group_by="segment",
                   segment=ask.segment)
    mix = _stage_mix(rows)
    total = sum(m["total_amount"] for m in mix.values())
    weighted = sum(m["weighted_amount"] for m in mix.values())
    count = sum(int(m["deal_count"]) for m in mix.values())
    late = {k: v for k, v in mix.items() if v["probability"] >= 60}
    s = out.summary = {
        "deal_count": count, "open_amount": total, "weighted_amount": weighted,
        "by_stage": {k: {"deal_count": int(v["deal_count"]), "amount": v["total_amount"],
                         "weighted_amount": v["weighted_amount"], "share_pct": _ratio_pct(v["total_amount"], total)}
                     for k, v in mix.items()},
        "late_stage_amount": sum(v["total_amount"] for v in late.values()),
        "late_stage_share_pct": _ratio_pct(sum(v["total_amount"] for v in late.values()), total),
        "commit_amount": sum(_f(r["commit_amount"]) for r in seg_rows),
        "by_segment": {r["segment"]: {"deal_count": int(r["deal_count"]), "open_amount": _f(r["open_amount"]),
                                      "weighted_amount": _f(r["weighted_amount"])} for r in seg_rows},
    }
    out.headline = (f"Open pipeline{_seg_txt(ask)} closing in {cur.label}: **{money(total)}** across "
                    f"{num(count)} deals, {money(weighted)} weighted ({pct(_ratio_pct(weighted, total))} of the total).")
    if mix:
        big = max(mix, key=lambda k: mix[k]["total_amount"])
        s["largest_stage"] = big
        out.bullets.append(f"Largest stage: **{big}** with {money(mix[big]['total_amount'])} "
                           f"({pct(s['by_stage'][big]['share_pct'])}, {_n(mix[big]['deal_count'], 'deal')}).")
        out.bullets.append(f"Late stage (60%+ probability): {money(s['late_stage_amount'])}, "
                           f"{pct(s['late_stage_share_pct'])} of the pipeline.")
    if s["by_segment"] and not ask.segment:
        top = max(s["by_segment"], key=lambda k: s["by_segment"][k]["open_amount"])
        out.bullets.append(f"**{top}** holds the most: {money(s['by_segment'][top]['open_amount'])} "
                           f"({money(s['by_segment'][top]['weighted_amount'])} weighted).")
    out.bullets.append(f"Commit: {money(s['commit_amount'])}.")
    out.rows = rows
    out.columns = [("close_quarter", "Quarter", "text"), ("stage", "Stage", "text"), ("deal_count", "Deals", "num"),
                   ("total_amount", "Amount", "money"), ("weighted_amount", "Weighted", "money")]
    return out


def deals_closing(ask: Ask) -> Outcome:
    out = Outcome("deals_closing", "Deals closing")
    cur = ahead(ask) or quarter_of(ask.as_of)
    out.period = cur
    min_amount = find_min_amount(ask.text)
    owner_id = ask.params.get("owner_id")
    filtered = min_amount is not None or owner_id is not None
    deals = run(ask, out, "deals_closing_in_period", start_date=cur.start, end_date=cur.end, segment=ask.segment,
                owner_id=owner_id, min_amount=min_amount, limit=SUMMARY_LIMIT if filtered else ROW_CAP)
    if filtered:
        if len(deals) >= SUMMARY_LIMIT:
            out.notes.append(f"Only the {SUMMARY_LIMIT} biggest matching deals are counted.")
        count = len(deals)
        total = sum(_f(d["amount"]) for d in deals)
        weighted = sum(_f(d["weighted_amount"]) for d in deals)
        commit = sum(_f(d["amount"]) for d in deals if d["forecast_category"] == "Commit")
        by_seg: dict[str, dict[str, Any]] = {}
        for d in deals:
            b = by_seg.setdefault(d["segment"] or "Unknown", {"deal_count": 0, "open_amount": 0.0, "weighted_amount": 0.0})
            b["deal_count"] += 1
            b["open_amount"] += _f(d["amount"])
            b["weighted_amount"] += _f(d["weighted_amount"])
        by_stage: dict[str, dict[str, Any]] = {}
        for d in deals:
            b = by_stage.setdefault(d["stage"], {"deal_count": 0, "amount": 0.0})
            b["deal_count"] += 1
            b["amount"] += _f(d["amount"])
    else:
        seg_rows = run(ask, out, "weighted_pipeline", start_date=cur.start, end_date=cur.end, group_by="segment",
                       segment=ask.segment)
        stage_rows = run(ask, out, "pipeline_by_quarter_and_stage", start_date=cur.start, end_date=cur.end,
                         segment=ask.segment)
        count = sum(int(r["deal_count"]) for r in seg_rows)
        total = sum(_f(r["open_amount"]) for r in seg_rows)
        weighted = sum(_f(r["weighted_amount"]) for r in seg_rows)
        commit = sum(_f(r["commit_amount"]) for r in seg_rows)
        by_seg = {r["segment"]: {"deal_count": int(r["deal_count"]), "open_amount": _f(r["open_amount"]),
                                 "weighted_amount": _f(r["weighted_amount"])} for r in seg_rows}
        by_stage = {k: {"deal_count": int(v["deal_count"]), "amount": v["total_amount"]}
                    for k, v in _stage_mix(stage_rows).items()}
    top5 = sum(_f(d["amount"]) for d in deals[:5])
    s = out.summary = {"deal_count": count, "total_amount": total, "weighted_amount": weighted,
                       "commit_amount": commit, "top5_amount": top5, "top5_share_pct": _ratio_pct(top5, total),
                       "by_segment": by_seg, "by_stage": by_stage}
    if min_amount is not None:
        s["min_amount"] = min_amount
    what = f"open{_seg_txt(ask)} deals" + (f" of at least {money(min_amount)}" if min_amount is not None else "")
    out.headline = (f"**{num(count)}** {what} are set to close in {cur.label}, worth **{money(total)}** "
                    f"({money(weighted)} probability-weighted).")
    if deals:
        d0 = deals[0]
        s["largest_deal"] = {"opportunity_id": d0["opportunity_id"], "deal_name": d0["deal_name"],
                             "amount": _f(d0["amount"]), "stage": d0["stage"]}
        out.bullets.append(f"Biggest: **{d0['deal_name']}** ({money(d0['amount'])}, {d0['stage']}, "
                           f"{d0['probability']}%, closes {jsonable(d0['close_date'])}).")
        out.bullets.append(f"The top 5 deals are {money(top5)}, {pct(s['top5_share_pct'])} of the total.")
    out.bullets.append(f"Commit: {money(commit)} ({pct(_ratio_pct(commit, total))} of the amount).")
    if by_stage:
        big = max(by_stage, key=lambda k: by_stage[k]["amount"])
        out.bullets.append(f"Most money sits in **{big}**: {money(by_stage[big]['amount'])} across "
                           f"{_n(by_stage[big]['deal_count'], 'deal')}.")
    if len(by_seg) > 1:
        parts = ", ".join(f"{k} {money(v['open_amount'])}" for k, v in
                          sorted(by_seg.items(), key=lambda kv: -kv[1]["open_amount"]))
        out.bullets.append(f"By segment: {parts}.")
    out.rows = deals[:ROW_CAP]
    out.columns = [("deal_name", "Deal", "text"), ("segment", "Segment", "text"), ("stage", "Stage", "text"),
                   ("amount", "Amount", "money"), ("probability", "Prob.", "pct"),
                   ("close_date", "Close", "date"), ("owner_name", "Owner", "text")]
    return out


RISK_FACTORS: dict[str, str] = {
    "no_economic_buyer": "No economic buyer at a late stage",
    "pushed": "Close date pushed 2+ times",
    "stale": "No activity for 21+ days",
    "competitor": "Competitor in the deal",
    "past_due": "Close date already passed",
}


def deal_risk_factors(ask: Ask) -> Outcome:
    out = Outcome("deal_risk_factors", "Risk factors in the deals closing")
    cur = ahead(ask) or quarter_of(ask.as_of)
    out.period = cur
    rows = run(ask, out, "data_deal_risk_factors", start_date=cur.start, end_date=cur.end, as_of=ask.as_of,
               segment=ask.segment, per_factor=3)
    summary_row = rows[0] if rows else {}
    top = [r for r in rows if r.get("factor")]
    open_count = int(summary_row.get("open_deal_count") or 0)
    open_amount = _f(summary_row.get("open_amount"))
    factors = {}
    for key, label in RISK_FACTORS.items():
        factors[key] = {"label": label, "deal_count": int(summary_row.get(f"{key}_count") or 0),
                        "amount": _f(summary_row.get(f"{key}_amount")),
                        "share_of_amount_pct": _ratio_pct(summary_row.get(f"{key}_amount"), open_amount),
                        "top_deals": [{"opportunity_id": r["opportunity_id"], "deal_name": r["deal_name"],
                                       "amount": _f(r["amount"]), "stage": r["stage"]}
                                      for r in top if r["factor"] == key]}
    s = out.summary = {"open_deal_count": open_count, "open_amount": open_amount,
                       "at_risk_count": int(summary_row.get("at_risk_count") or 0),
                       "at_risk_amount": _f(summary_row.get("at_risk_amount")),
                       "multi_risk_count": int(summary_row.get("multi_risk_count") or 0),
                       "multi_risk_amount": _f(summary_row.get("multi_risk_amount")),
                       "factors": factors}
    s["at_risk_share_pct"] = _ratio_pct(s["at_risk_amount"], open_amount)
    ranked = sorted(factors, key=lambda k: (-factors[k]["amount"], k))
    s["top_factor"] = ranked[0] if open_count and factors[ranked[0]]["deal_count"] else None
    out.headline = (f"Of **{num(open_count)}** open{_seg_txt(ask)} deals closing in {cur.label} "
                    f"({money(open_amount)}), **{num(s['at_risk_count'])}** show at least one risk factor "
                    f"({money(s['at_risk_amount'])}, {pct(s['at_risk_share_pct'])} of the amount); "
                    f"{num(s['multi_risk_count'])} show two or more ({money(s['multi_risk_amount'])}).")
    for k in ranked:
        f = factors[k]
        if not f["deal_count"]:
            continue
        biggest = ", ".join(f"{d['deal_name']} ({money(d['amount'])})" for d in f["top_deals"])
        out.bullets.append(f"**{f['label']}**: {_n(f['deal_count'], 'deal')}, {money(f['amount'])} "
                           f"({pct(f['share_of_amount_pct'])}) - biggest: {biggest}.")
    deal_cols = ("factor", "factor_rank", "opportunity_id", "deal_name", "account_name", "segment", "owner_name",
                 "stage", "amount", "probability", "close_date", "last_activity_date", "days_since_activity",
                 "push_count", "economic_buyer_status", "competitors")
    out.rows = [{**{k: r.get(k) for k in deal_cols}, "factor_label": RISK_FACTORS.get(r["factor"], r["factor"])}
                for r in top][:ROW_CAP]
    out.columns = [("factor_label", "Risk factor", "text"), ("deal_name", "Deal", "text"),
                   ("stage", "Stage", "text"), ("amount", "Amount", "money"), ("close_date", "Close", "date"),
                   ("days_since_activity", "Days idle", "num"), ("push_count", "Pushes", "num"),
                   ("owner_name", "Owner", "text")]
    return out


def _usage_window(ask: Ask) -> tuple[int, date, Period, Period]:
    n = int(ask.params.get("window_days") or window_days(ask.period))
    end = min(ask.period.end, ask.as_of) if ask.period else ask.as_of
    recent = Period(f"last {n} days" if end == ask.as_of else f"{n} days to {end.isoformat()}",
                    end - timedelta(days=n - 1), end, "days")
    return n, end, recent, recent.previous


_SEGMENT_KEYS = (("SMB", "smb"), ("Mid-Market", "mid_market"), ("Enterprise", "enterprise"))


def declining_engagement(ask: Ask) -> Outcome:
    out = Outcome("declining_engagement", "Customers with declining engagement")
    n, end, recent, prior = _usage_window(ask)
    out.period, out.compare_period = recent, prior
    rows = run(ask, out, "declining_usage", as_of=end, window_days=n, segment=ask.segment, limit=ROW_CAP)
    t = rows[0] if rows else {}
    count = int(t.get("total_accounts") or 0)
    arr_at_risk = _f(t.get("total_arr"))
    by_seg = {seg: {"account_count": int(t.get(f"{k}_accounts") or 0), "arr": _f(t.get(f"{k}_arr"))}
              for seg, k in _SEGMENT_KEYS if t.get(f"{k}_accounts")}
    s = out.summary = {
        "declining_count": count, "arr_at_risk": arr_at_risk,
        "avg_usage_change_pct": t.get("avg_usage_change_pct"),
        "min_decline_pct": 10.0, "window_days": n, "by_segment": by_seg,
        "renewing_within_90_days_count": int(t.get("renewing_90d_count") or 0),
        "renewing_within_90_days_arr": _f(t.get("renewing_90d_arr")),
        "no_call_30_days_count": int(t.get("no_call_30d_count") or 0),
    }
    if not rows:
        out.headline = (f"No{_seg_txt(ask)} customer used the product 10% or more less in the {recent.label} than in "
                        f"the {n} days before.")
        return out
    out.headline = (f"**{num(count)}**{_seg_txt(ask)} {'customer' if count == 1 else 'customers'} used the "
                    f"product at least 10% less in the {recent.label} than in the {n} days before, carrying "
                    f"**{money(arr_at_risk)}** ARR.")
    worst = rows[0]
    s["steepest_decline"] = {"account_name": worst["account_name"], "usage_change_pct": _f(worst["usage_change_pct"])}
    s["largest_arr_declining"] = {"account_name": t.get("largest_arr_account"), "arr": _f(t.get("largest_arr")),
                                  "usage_change_pct": t.get("largest_arr_usage_change_pct")}
    out.bullets.append(f"Steepest drop: **{worst['account_name']}** ({worst['segment']}), engine hours "
                       f"{signed_pct(worst['usage_change_pct'])}, {money(worst['arr'])} ARR.")
    if count > 1:
        out.bullets.append(f"Most ARR exposed: **{t.get('largest_arr_account')}**, {money(t.get('largest_arr'))} ARR at "
                           f"{signed_pct(t.get('largest_arr_usage_change_pct'))}; average change across them "
                           f"{signed_pct(s['avg_usage_change_pct'])}.")
    out.bullets.append((f"Renewing within 90 days: **{num(s['renewing_within_90_days_count'])}** "
                        f"({money(s['renewing_within_90_days_arr'])} ARR) - talk to these first"
                        if s["renewing_within_90_days_count"] else "None of them renews within 90 days")
                       + f"; no call in 30+ days: {num(s['no_call_30_days_count'])}.")
    if len(by_seg) > 1:
        parts = ", ".join(f"{k} {num(v['account_count'])} ({money(v['arr'])})"
                          for k, v in sorted(by_seg.items(), key=lambda kv: -kv[1]["arr"]))
        out.bullets.append(f"By segment: {parts}.")
    out.rows = [{k: v for k, v in r.items() if not _is_total(k)} for r in rows]
    out.columns = [("account_name", "Account", "text"), ("segment", "Segment", "text"),
                   ("usage_change_pct", "Usage change", "signed_pct"), ("arr", "ARR", "money"),
                   ("days_to_renewal", "Days to renewal", "num"), ("days_since_last_call", "Days since call", "num"),
                   ("csm_name", "CSM", "text")]
    return out


def _is_total(key: str) -> bool:
    """Columns that repeat a total on every row (kept in the summary, not in each row)."""
    return key.startswith(("total_", "largest_", "renewing_90d", "no_call_30d", "avg_usage", "smb_", "mid_market_",
                           "enterprise_"))


def expansion(ask: Ask) -> Outcome:
    out = Outcome("expansion", "Expansion opportunities")
    n, end, recent, prior = _usage_window(ask)
    out.period, out.compare_period = recent, prior
    rows = run(ask, out, "expansion_signals", as_of=end, window_days=n, segment=ask.segment, limit=ROW_CAP)
    t = rows[0] if rows else {}
    count = int(t.get("total_accounts") or 0)
    arr, headroom = _f(t.get("total_arr")), _f(t.get("total_headroom"))
    by_seg = {seg: {"account_count": int(t.get(f"{k}_accounts") or 0), "headroom": _f(t.get(f"{k}_headroom"))}
              for seg, k in _SEGMENT_KEYS if t.get(f"{k}_accounts")}
    s = out.summary = {"candidate_count": count, "arr": arr, "spend_headroom": headroom,
                       "min_growth_pct": 10.0, "window_days": n, "by_segment": by_seg}
    out.headline = (f"**{num(count)}**{_seg_txt(ask)} {'customer' if count == 1 else 'customers'} grew engine hours "
                    f"or active users by 10%+ in the {recent.label} and have no open expansion deal: {money(arr)} ARR "
                    f"today, **{money(headroom)}** spend headroom.")
    if rows:
        fastest = rows[0]
        s["fastest_growth"] = {"account_name": fastest["account_name"],
                               "engine_hours_growth_pct": fastest["engine_hours_growth_pct"]}
        s["largest_headroom"] = {"account_name": t.get("largest_headroom_account"),
                                 "spend_headroom": _f(t.get("largest_headroom"))}
        out.bullets.append(f"Fastest growth: **{fastest['account_name']}** ({fastest['segment']}), engine hours "
                           f"{signed_pct(fastest['engine_hours_growth_pct'])}, active users "
                           f"{signed_pct(fastest['active_users_growth_pct'])}.")
        if _f(t.get("largest_headroom")) > 0:
            out.bullets.append(f"Most room: **{t.get('largest_headroom_account')}**, {money(t.get('largest_headroom'))} "
                               f"between today's ARR and its potential spend.")
        with_room = sorted((r for r in rows if _f(r["spend_headroom"]) > 0), key=lambda r: -_f(r["spend_headroom"]))
        if with_room:
            out.bullets.append(f"Among the {_n(len(rows), 'fastest grower')} listed, most room: "
                               + ", ".join(f"{r['account_name']} ({money(r['spend_headroom'])})" for r in with_room[:3])
                               + ".")
        if len(by_seg) > 1:
            parts = ", ".join(f"{k} {num(v['account_count'])} ({money(v['headroom'])})"
                              for k, v in sorted(by_seg.items(), key=lambda kv: -kv[1]["headroom"]))
            out.bullets.append(f"By segment: {parts}.")
    out.rows = [{k: v for k, v in r.items() if not _is_total(k)} for r in rows]
    out.columns = [("account_name", "Account", "text"), ("segment", "Segment", "text"),
                   ("engine_hours_growth_pct", "Usage growth", "signed_pct"),
                   ("active_users_growth_pct", "Active users", "signed_pct"), ("arr", "ARR", "money"),
                   ("spend_headroom", "Headroom", "money"), ("owner_name", "Owner", "text")]
    return out


def known_competitors(ask: Ask) -> list[str]:
    from revops_cli.warehouse.queries import pattern_catalog

    configured = ask.ctx.settings.get("competitors")
    if isinstance(configured, list) and configured:
        return [str(c) for c in configured]
    return list(pattern_catalog(ask.ctx.settings).get("competitor_mentions").params["competitors"].default or [])


def competitor_mentions(ask: Ask) -> Outcome:
    out = Outcome("competitor_mentions", "Competitor mentions in sales calls")
    known = known_competitors(ask)
    named = find_competitors(ask.text, known)
    comps = named or known
    account = ask.account
    account_key = (account or {}).get("account_id") or (account or {}).get("name")
    if not account_key and re.search(r"\b(calls?|meetings?|conversations?) with\b", ask.text, re.I):
        account_key = account_span(ask.text)
    if account_key and _LAST_CALL.search(ask.text):
        return _last_call_competitors(ask, out, account_key, account, comps)
    cur = clip(ask.period, ask.as_of) if ask.period else last_days(ask.as_of, 365 if account_key else 90)
    out.period = cur
    rows = run(ask, out, "competitor_mentions", start_date=cur.start, end_date=cur.end, competitors=comps,
               account=account_key)
    vol = (run(ask, out, "data_call_volume", start_date=cur.start, end_date=cur.end, competitors=comps,
               account=account_key) or [{}])[0]
    calls = int(vol.get("call_count") or 0)
    with_any = int(vol.get("competitor_call_count") or 0)
    mentions = {r["competitor"]: int(r["mention_call_count"] or 0) for r in rows}
    s = out.summary = {"call_count": calls, "competitor_call_count": with_any,
                       "competitor_call_share_pct": _ratio_pct(with_any, calls), "mentions": mentions,
                       "competitors_checked": comps}
    where = f" with {(account or {}).get('name') or account_key}" if account_key else ""
    what = "a competitor" if not named else " or ".join(named)
    out.headline = (f"**{num(with_any)}** of {num(calls)} calls{where} in {cur.label} mentioned {what} "
                    f"({pct(s['competitor_call_share_pct'])}).")
    ranked = [r for r in rows if int(r["mention_call_count"] or 0) > 0]
    for r in ranked:
        r["call_share_pct"] = _ratio_pct(r["mention_call_count"], calls)
    if ranked:
        lead = ranked[0]
        s["top_competitor"] = lead["competitor"]
        out.bullets.append(f"**{lead['competitor']}** comes up most: {_n(lead['mention_call_count'], 'call')} "
                           f"({pct(lead['call_share_pct'])} of all calls), {_n(lead['account_count'], 'account')}, "
                           f"{_n(lead['opportunity_count'], 'deal')}.")
        for r in ranked[1:4]:
            out.bullets.append(f"{r['competitor']}: {_n(r['mention_call_count'], 'call')}, "
                               f"{_n(r['account_count'], 'account')}.")
        silent = [c for c in comps if not mentions.get(c)]
        if silent:
            out.bullets.append(f"Not mentioned: {', '.join(silent)}.")
    else:
        s["top_competitor"] = None
    out.rows = rows
    out.columns = [("competitor", "Competitor", "text"), ("mention_call_count", "Calls", "num"),
                   ("account_count", "Accounts", "num"), ("opportunity_count", "Deals", "num"),
                   ("last_mentioned_at", "Last mentioned", "date")]
    return out


def _last_call_competitors(ask: Ask, out: Outcome, account_key: str, account: dict | None,
                           comps: list[str]) -> Outcome:
    out.title = "Competitors in the last call"
    calls = run(ask, out, "calls_for_account", account=account_key, end_date=ask.as_of, include_transcript=True,
                limit=1)
    if not calls:
        name = (account or {}).get("name") or account_key
        out.summary = {"call_id": None, "competitors_mentioned": [], "mentions": {}}
        out.headline = f"No calls with {name} on record up to {ask.as_of.isoformat()}."
        return out
    call = calls[0]
    text = call.get("transcript") or ""
    found = []
    for c in comps:
        hits = re.findall(rf"\b{re.escape(c)}\b", text, re.I)
        if hits:
            lines = [ln.strip() for ln in text.splitlines() if re.search(rf"\b{re.escape(c)}\b", ln, re.I)]
            found.append({"competitor": c, "mentions": len(hits), "first_quote": (lines[0][:200] if lines else "")})
    found.sort(key=lambda r: (-r["mentions"], r["competitor"]))
    started = call["started_at"]
    day = started.date() if isinstance(started, datetime) else started
    out.period = Period(f"last call with {call['account_name']}", day, day, "days")
    out.summary = {"call_id": call["call_id"], "call_date": jsonable(started)[:10], "call_title": call.get("title"),
                   "account_name": call["account_name"],
                   "competitors_mentioned": [r["competitor"] for r in found],
                   "mentions": {r["competitor"]: r["mentions"] for r in found}, "competitors_checked": comps}
    when = jsonable(started)[:10]
    if found:
        names = ", ".join(f"**{r['competitor']}** ({r['mentions']}x)" for r in found)
        out.headline = (f"Our last call with {call['account_name']} ({call.get('title') or call['call_id']}, "
                        f"{when}) mentioned {names}.")
        for r in found:
            if r["first_quote"]:
                out.bullets.append(f"{r['competitor']}: \"{r['first_quote']}\"")
    else:
        out.headline = (f"Our last call with {call['account_name']} ({call.get('title') or call['call_id']}, {when}) "
                        f"mentioned none of: {', '.join(comps)}.")
    if call.get("next_steps"):
        out.bullets.append(f"Next steps from that call: {' '.join(str(call['next_steps']).split())[:200]}")
    out.rows = found
    out.results["calls_for_account"]["rows"] = [{k: v for k, v in r.items() if k != "transcript"}
                                                for r in out.results["calls_for_account"]["rows"]]
    out.columns = [("competitor", "Competitor", "text"), ("mentions", "Mentions", "num"),
                   ("first_quote", "First mention", "text")]
    return out


def lead_volume_by_source(ask: Ask) -> Outcome:
    out = Outcome("lead_volume_by_source", "New leads by source")
    cur = clip(ask.period, ask.as_of) if ask.period else last_days(ask.as_of, 30)
    prev = ask.period.previous if ask.period and ask.period.kind == "quarter" else (
        month_of(cur.start - timedelta(days=1)) if cur.kind == "month" else cur.previous)
    if ask.period and ask.period.kind == "quarter" and cur.end < ask.period.end:
        prev = Period(f"{prev.label} (same days)", prev.start, prev.start + (cur.end - cur.start), prev.kind)
    out.period, out.compare_period = cur, prev
    rows = run(ask, out, "new_leads_by_source", start_date=cur.start, end_date=cur.end, region=ask.region)
    prev_rows = run(ask, out, "new_leads_by_source", key="new_leads_by_source_previous", start_date=prev.start,
                    end_date=prev.end, region=ask.region)
    total = sum(int(r["lead_count"]) for r in rows)
    prev_total = sum(int(r["lead_count"]) for r in prev_rows)
    prev_by = {r["source"]: int(r["lead_count"]) for r in prev_rows}
    by_source = {r["source"]: {"lead_count": int(r["lead_count"]), "share_pct": _ratio_pct(r["lead_count"], total),
                               "previous_count": prev_by.get(r["source"], 0),
                               "change_pct": _change_pct(r["lead_count"], prev_by.get(r["source"], 0)),
                               "qualified_rate_pct": r["qualified_rate_pct"],
                               "conversion_rate_pct": r["conversion_rate_pct"]} for r in rows}
    for r in rows:
        r["share_pct"] = by_source[r["source"]]["share_pct"]
        r["previous_count"] = by_source[r["source"]]["previous_count"]
    qualified = sum(int(r["mql_count"]) + int(r["sql_count"]) + int(r["converted_count"]) for r in rows)
    s = out.summary = {"lead_count": total, "previous_lead_count": prev_total,
                       "change_pct": _change_pct(total, prev_total), "qualified_count": qualified,
                       "qualified_rate_pct": _ratio_pct(qualified, total), "by_source": by_source}
    region = f" in {ask.region}" if ask.region else ""
    out.headline = (f"**{num(total)}** new leads{region} in {cur.label}, {signed_pct(s['change_pct'])} against "
                    f"{num(prev_total)} in the period before ({prev.start.isoformat()} to {prev.end.isoformat()}).")
    if rows:
        top = rows[0]
        s["top_source"] = top["source"]
        s["top_source_share_pct"] = by_source[top["source"]]["share_pct"]
        out.bullets.append(f"**{top['source']}** brought the most: {_n(top['lead_count'], 'lead')} "
                           f"({pct(s['top_source_share_pct'])}).")
        movers = [k for k in by_source if by_source[k]["previous_count"]]
        if movers:
            mv = max(movers, key=lambda k: abs(by_source[k]["lead_count"] - by_source[k]["previous_count"]))
            s["biggest_mover"] = mv
            out.bullets.append(f"Biggest change: {mv}, {num(by_source[mv]['previous_count'])} -> "
                               f"{num(by_source[mv]['lead_count'])} ({signed_pct(by_source[mv]['change_pct'])}).")
        named = [k for k in by_source if re.search(rf"\b{re.escape(k.lower())}s?\b", ask.low)]
        for k in named[:1]:
            v = by_source[k]
            s["named_source"] = k
            out.bullets.insert(0, f"**{k}**: {_n(v['lead_count'], 'lead')} ({pct(v['share_pct'])} of all), "
                                  f"{num(v['previous_count'])} in the period before; "
                                  f"{pct(v['qualified_rate_pct'])} reached MQL or beyond.")
        sized = [r for r in rows if int(r["lead_count"]) >= 5] or rows
        best = max(sized, key=lambda r: (_f(r["qualified_rate_pct"]), r["source"]))
        s["best_qualifying_source"] = best["source"]
        out.bullets.append(f"Best qualification rate: {best['source']}, {pct(best['qualified_rate_pct'])} reached "
                           f"MQL or beyond; overall {pct(s['qualified_rate_pct'])}.")
    out.rows = rows
    out.columns = [("source", "Source", "text"), ("lead_count", "Leads", "num"), ("share_pct", "Share", "pct"),
                   ("previous_count", "Period before", "num"), ("qualified_rate_pct", "Qualified", "pct"),
                   ("conversion_rate_pct", "Converted", "pct")]
    return out


def forecast_vs_target(ask: Ask) -> Outcome:
    out = Outcome("forecast_vs_target", "Forecast vs target")
    cur = ask.period or quarter_of(ask.as_of)
    out.period = cur
    rows = run(ask, out, "forecast_vs_target", start_date=cur.start, end_date=cur.end)
    total = next((r for r in rows if r["segment"] == "Total"), None)
    segs = [r for r in rows if r["segment"] != "Total"]
    if ask.segment:
        total = next((r for r in segs if r["segment"] == ask.segment), total)
    if not total or total.get("bookings_target") is None:
        out.summary = {"bookings_target": None}
        out.headline = f"No bookings target is set for {_pname(cur)}."
        out.rows, out.columns = rows, _FORECAST_COLUMNS
        return out
    s = out.summary = {k: _f(total[k]) for k in (
        "bookings_target", "closed_won_amount", "commit_amount", "best_case_amount", "pipeline_amount",
        "commit_forecast_amount", "best_case_forecast_amount", "gap_to_target_at_commit",
        "gap_to_target_at_best_case")}
    s["attainment_pct"] = total["attainment_pct"]
    s["commit_forecast_pct_of_target"] = total["commit_forecast_pct_of_target"]
    s["segment"] = total["segment"]
    days_left = (cur.end - ask.as_of).days if cur.start <= ask.as_of <= cur.end else None
    s["days_left"] = days_left
    who = ask.segment or "We"
    out.headline = (f"{who} {'have' if who == 'We' else 'has'} closed **{money(s['closed_won_amount'])}** of a "
                    f"{money(s['bookings_target'])} target for {cur.label} ({pct(s['attainment_pct'])}); with commit "
                    f"the forecast is **{money(s['commit_forecast_amount'])}** "
                    f"({pct(s['commit_forecast_pct_of_target'])} of target).")
    gap = s["gap_to_target_at_commit"]
    if gap > 0:
        best_gap = s["gap_to_target_at_best_case"]
        out.bullets.append(f"Gap at commit: **{money(gap)}**; with best case "
                           + (f"{money(best_gap)} would remain." if best_gap > 0 else
                              f"the target is covered by {money(-best_gap)}."))
    else:
        out.bullets.append(f"Commit already covers the target, by {money(-gap)}.")
    out.bullets.append(f"Still open: commit {money(s['commit_amount'])}, best case {money(s['best_case_amount'])}, "
                       f"pipeline {money(s['pipeline_amount'])}.")
    if days_left is not None:
        out.bullets.append(f"{_n(days_left, 'day')} left in the quarter.")
    if segs and not ask.segment:
        worst = max(segs, key=lambda r: (_f(r["gap_to_target_at_commit"]), r["segment"]))
        best = min(segs, key=lambda r: (_f(r["gap_to_target_at_commit"]), r["segment"]))
        s["largest_gap_segment"] = worst["segment"] if _f(worst["gap_to_target_at_commit"]) > 0 else None
        if _f(worst["gap_to_target_at_commit"]) > 0:
            out.bullets.append(f"Largest gap: **{worst['segment']}**, {money(worst['gap_to_target_at_commit'])} short "
                               f"at commit ({pct(worst['commit_forecast_pct_of_target'])} of its target); best "
                               f"placed: {best['segment']} at {pct(best['commit_forecast_pct_of_target'])}.")
        else:
            tight = min(segs, key=lambda r: (_f(r["commit_forecast_pct_of_target"]), r["segment"]))
            out.bullets.append(f"Every segment's commit covers its target; tightest: **{tight['segment']}** at "
                               f"{pct(tight['commit_forecast_pct_of_target'])} of target.")
    out.rows = rows
    out.columns = _FORECAST_COLUMNS
    return out


_FORECAST_COLUMNS = [("segment", "Segment", "text"), ("bookings_target", "Target", "money"),
                     ("closed_won_amount", "Closed won", "money"), ("commit_amount", "Commit", "money"),
                     ("best_case_amount", "Best case", "money"), ("gap_to_target_at_commit", "Gap at commit", "money"),
                     ("commit_forecast_pct_of_target", "Forecast % of target", "pct")]


def coverage(ask: Ask) -> Outcome:
    out = Outcome("coverage", "Pipeline coverage vs target")
    cur = ask.period or quarter_of(ask.as_of)
    out.period = cur
    rows = run(ask, out, "pipeline_coverage_vs_target", start_date=cur.start, end_date=cur.end)
    total = next((r for r in rows if r["segment"] == (ask.segment or "Total")), None)
    if not total or total.get("bookings_target") is None:
        out.summary = {"bookings_target": None}
        out.headline = f"No bookings target is set for {_pname(cur)}."
        out.rows, out.columns = rows, _COVERAGE_COLUMNS
        return out
    s = out.summary = {k: (None if total[k] is None else float(total[k])) for k in (
        "bookings_target", "closed_won_amount", "open_pipeline_amount", "weighted_pipeline_amount",
        "remaining_target", "coverage_ratio", "total_coverage_ratio", "attainment_pct", "gap_amount")}
    s["open_deal_count"] = int(total["open_deal_count"] or 0)
    ratio = s["coverage_ratio"]
    out.headline = (f"{ask.segment or 'Total'} coverage for {cur.label}: **{ratio:.1f}x** the remaining target "
                    f"({money(s['open_pipeline_amount'])} open against {money(s['remaining_target'])} still to close)."
                    if ratio is not None else
                    f"The {cur.label} target of {money(s['bookings_target'])} is already met with "
                    f"{money(s['closed_won_amount'])} closed won.")
    out.bullets.append(f"Closed won so far {money(s['closed_won_amount'])} ({pct(s['attainment_pct'])} of "
                       f"{money(s['bookings_target'])}).")
    out.bullets.append(f"Weighted pipeline {money(s['weighted_pipeline_amount'])} across {_n(s['open_deal_count'], 'deal')}"
                       + (f" - {'enough to cover' if s['weighted_pipeline_amount'] >= (s['remaining_target'] or 0) else 'short of'}"
                          f" the remaining target even after weighting." if s["remaining_target"] else "."))
    segs = [r for r in rows if r["segment"] != "Total" and r["coverage_ratio"] is not None]
    if segs and not ask.segment:
        thin = min(segs, key=lambda r: _f(r["coverage_ratio"]))
        s["thinnest_segment"] = thin["segment"]
        out.bullets.append(f"Thinnest coverage: **{thin['segment']}** at {_f(thin['coverage_ratio']):.1f}x.")
    out.rows = rows
    out.columns = _COVERAGE_COLUMNS
    return out


_COVERAGE_COLUMNS = [("segment", "Segment", "text"), ("bookings_target", "Target", "money"),
                     ("closed_won_amount", "Closed won", "money"), ("open_pipeline_amount", "Open pipeline", "money"),
                     ("remaining_target", "Remaining", "money"), ("coverage_ratio", "Coverage", "ratio")]


def win_rate(ask: Ask) -> Outcome:
    out = Outcome("win_rate", "Win rate")
    cur = clip(ask.period, ask.as_of) if ask.period else Period(
        "last 12 months", ask.as_of - timedelta(days=364), ask.as_of, "days")
    prev = Period(f"{cur.label}, a year earlier", cur.prev_year.start, cur.prev_year.end, cur.kind)
    out.period, out.compare_period = cur, prev
    by_owner = bool(re.search(r"\b(reps?|owners?|aes?|sellers?|salespeople|who)\b", ask.low))
    group = "owner" if by_owner else "segment"
    deal_type = next((t for t in ("New Business", "Expansion", "Renewal") if t.lower() in ask.low), None)
    rows = run(ask, out, "win_rate", start_date=cur.start, end_date=cur.end, group_by=group, segment=ask.segment,
               deal_type=deal_type)
    tot = (run(ask, out, "win_rate", key="win_rate_total", start_date=cur.start, end_date=cur.end, group_by="total",
               segment=ask.segment, deal_type=deal_type) or [{}])[0]
    prev_tot = (run(ask, out, "win_rate", key="win_rate_prev_year", start_date=prev.start, end_date=prev.end,
                    group_by="total", segment=ask.segment, deal_type=deal_type) or [{}])[0]
    s = out.summary = {"win_rate_pct": tot.get("win_rate_pct"), "closed_count": int(tot.get("closed_count") or 0),
                       "won_count": int(tot.get("won_count") or 0), "won_amount": _f(tot.get("won_amount")),
                       "win_rate_by_amount_pct": tot.get("win_rate_by_amount_pct"),
                       "avg_won_cycle_days": tot.get("avg_won_cycle_days"),
                       "prev_year_win_rate_pct": prev_tot.get("win_rate_pct"), "group_by": group}
    s["change_pts"] = (None if s["win_rate_pct"] is None or s["prev_year_win_rate_pct"] is None
                       else s["win_rate_pct"] - s["prev_year_win_rate_pct"])
    kind = f" {deal_type}" if deal_type else ""
    out.headline = (f"Win rate{_seg_txt(ask)}{kind} over {cur.label}: **{pct(s['win_rate_pct'], 1)}** "
                    f"({num(s['won_count'])} won of {num(s['closed_count'])} closed), against "
                    f"{pct(s['prev_year_win_rate_pct'], 1)} a year earlier.")
    out.bullets.append(f"By amount: {pct(s['win_rate_by_amount_pct'], 1)} - {money(s['won_amount'])} won.")
    if s["avg_won_cycle_days"] is not None:
        out.bullets.append(f"Average sales cycle of won deals: {num(s['avg_won_cycle_days'])} days.")
    label = "owner_name" if by_owner else "segment"
    ranked = [r for r in rows if r["win_rate_pct"] is not None and (not by_owner or int(r["closed_count"]) >= 5)]
    if ranked:
        best, worst = ranked[0], ranked[-1]
        s["best"] = {"name": best[label], "win_rate_pct": best["win_rate_pct"]}
        s["worst"] = {"name": worst[label], "win_rate_pct": worst["win_rate_pct"]}
        out.bullets.append(f"Best: **{best[label]}** at {pct(best['win_rate_pct'], 1)}; lowest: {worst[label]} at "
                           f"{pct(worst['win_rate_pct'], 1)}" + (" (reps with 5+ closed deals)." if by_owner else "."))
    out.rows = rows
    out.columns = [(label, "Rep" if by_owner else "Segment", "text"), ("closed_count", "Closed", "num"),
                   ("won_count", "Won", "num"), ("win_rate_pct", "Win rate", "pct1"),
                   ("win_rate_by_amount_pct", "By amount", "pct1"), ("won_amount", "Won amount", "money")]
    return out


def slipped_deals(ask: Ask) -> Outcome:
    out = Outcome("slipped_deals", "Slipped deals")
    cur = clip(ask.period or quarter_of(ask.as_of), ask.as_of)
    out.period = cur
    rows = run(ask, out, "slipped_deals", start_date=cur.start, end_date=cur.end, segment=ask.segment,
               limit=ROW_CAP)
    t = rows[0] if rows else {}
    count = int(t.get("total_deals") or 0)
    s = out.summary = {"slipped_count": count, "slipped_amount": _f(t.get("total_amount")),
                       "pushed_twice_count": int(t.get("pushed_twice_deals") or 0),
                       "pushed_twice_amount": _f(t.get("pushed_twice_amount")),
                       "total_days_pushed": int(t.get("total_days_pushed") or 0)}
    s["avg_days_pushed"] = s["total_days_pushed"] / count if count else None
    out.headline = (f"**{num(count)}** open{_seg_txt(ask)} {'deal' if count == 1 else 'deals'} had the close date "
                    f"pushed during {cur.label}, worth **{money(s['slipped_amount'])}**; "
                    f"{num(s['pushed_twice_count'])} were pushed two or more times ({money(s['pushed_twice_amount'])}).")
    if rows:
        r0 = rows[0]
        s["largest_deal"] = {"deal_name": t.get("largest_deal_name"), "amount": _f(t.get("largest_amount"))}
        out.bullets.append(f"Worst: **{r0['deal_name']}** pushed {_n(r0['push_count'], 'time')} "
                           f"({_n(r0['days_pushed'], 'day')}), {money(r0['amount'])}, now closing "
                           f"{jsonable(r0['current_close_date'])}.")
        out.bullets.append(f"On average a slipped deal moved {num(s['avg_days_pushed'])} days.")
        out.bullets.append(f"Biggest slipped deal: {t.get('largest_deal_name')} ({money(t.get('largest_amount'))}, "
                           f"{t.get('largest_deal_stage')}).")
    keep = ("opportunity_id", "deal_name", "account_name", "segment", "owner_name", "stage", "amount", "is_closed",
            "is_won", "push_count", "days_pushed", "first_close_date", "current_close_date", "last_pushed_at")
    out.rows = [{k: r.get(k) for k in keep} for r in rows]
    out.columns = [("deal_name", "Deal", "text"), ("stage", "Stage", "text"), ("amount", "Amount", "money"),
                   ("push_count", "Pushes", "num"), ("days_pushed", "Days pushed", "num"),
                   ("current_close_date", "Now closing", "date"), ("owner_name", "Owner", "text")]
    return out


def owner_leaderboard(ask: Ask) -> Outcome:
    out = Outcome("owner_leaderboard", "Rep leaderboard")
    cur = ask.period or quarter_of(ask.as_of)
    out.period = cur
    rows = run(ask, out, "owner_leaderboard", start_date=cur.start, end_date=cur.end, segment=ask.segment,
               limit=SUMMARY_LIMIT)
    won = sum(_f(r["won_amount"]) for r in rows)
    s = out.summary = {"rep_count": len(rows), "won_amount": won,
                       "open_pipeline_amount": sum(_f(r["open_pipeline_amount"]) for r in rows)}
    top3 = sum(_f(r["won_amount"]) for r in rows[:3])
    s["top3_share_pct"] = _ratio_pct(top3, won)
    out.headline = (f"Closed-won{_seg_txt(ask)} in {cur.label}: **{money(won)}** across "
                    f"{_n(sum(1 for r in rows if _f(r['won_amount']) > 0), 'rep')} "
                    f"({_n(len(rows), 'rep')} with deals closing in the period).")
    if rows:
        r0 = rows[0]
        s["top_rep"] = {"owner_name": r0["owner_name"], "won_amount": _f(r0["won_amount"])}
        out.bullets.append(f"#1: **{r0['owner_name']}** with {money(r0['won_amount'])} won ({_n(r0['won_count'], 'deal')}, "
                           f"win rate {pct(r0['win_rate_pct'])}).")
        out.bullets.append(f"The top 3 reps account for {pct(s['top3_share_pct'])} of closed-won.")
        pipe = max(rows, key=lambda r: _f(r["weighted_pipeline_amount"]))
        out.bullets.append(f"Most weighted pipeline left: {pipe['owner_name']} ({money(pipe['weighted_pipeline_amount'])}).")
    out.rows = rows[:ROW_CAP]
    out.columns = [("leaderboard_rank", "#", "num"), ("owner_name", "Rep", "text"), ("won_amount", "Won", "money"),
                   ("won_count", "Deals won", "num"), ("win_rate_pct", "Win rate", "pct"),
                   ("open_pipeline_amount", "Open pipeline", "money")]
    return out


RUNNERS: dict[str, Callable[[Ask], Outcome]] = {
    "deal_risk_factors": deal_risk_factors, "declining_engagement": declining_engagement,
    "competitor_mentions": competitor_mentions, "coverage": coverage, "forecast_vs_target": forecast_vs_target,
    "win_rate": win_rate, "slipped_deals": slipped_deals, "owner_leaderboard": owner_leaderboard,
    "lead_volume_by_source": lead_volume_by_source, "expansion": expansion, "revenue_trend": revenue_trend,
    "revenue_by_segment": revenue_by_segment, "deals_closing": deals_closing, "pipeline": pipeline,
}
assert set(RUNNERS) == set(ANALYSES)
