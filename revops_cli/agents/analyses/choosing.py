"""Choosing the analysis a question asks for: ordered keyword rules on the lower-cased question (the
order is documented in the package docstring; specific beats general)."""

from __future__ import annotations

import re
from typing import Callable

from revops_cli.agents.analyses.catalog import ANALYSES


def rx(pattern: str) -> re.Pattern:
    return re.compile(pattern, re.I)


_CHURN_CONTEXT = rx(r"\b(churn\w*|customers?|accounts?|usage|engagement|consumption|active users|renewals?)\b")
_RISK_PHRASE = rx(r"\brisk factors?\b|\bred flags?\b|\bwarning signs?\b")
_RISK_WORD = rx(r"\b(risks?|risky|at[- ]risk|in danger|jeopard\w*|slipping away)\b")
_CUSTOMER_RISK = rx(r"\b(customers?|accounts?|logos?|renewals?|clients?)\b")     # "na customers at risk"
_DEAL_CONTEXT = rx(r"\b(deals?|opportunit\w*|opps?|pipeline|closing|forecast)\b")
_CHURN = rx(r"\bchurn\w*")
_FALL = rx(r"\b(declin\w*|drop\w*|fall\w*|fell|decreas\w*|shrink\w*|disengag\w*|inactive|going dark|"
            r"less active|waning|down)\b")
_ENGAGE_CONTEXT = rx(r"\b(customers?|accounts?|usage|engagement|users|consumption|activity|logins?|queries)\b")
# "came up on a call" is a mention; "renewals coming up in the next 60 days" is a date
_COMPETITOR = rx(r"\b(competitors?|competition|competitive|compete\w*|rivals?|mentioned|mentions?|came up|"
                  r"comes? up(?! for renewal)|coming up(?!\s+(?:in|within|for|over|this|next|soon|by|on|before)\b))\b")
_COMPETITOR_NAME = rx(r"\b(snowflake|databricks|bigquery|redshift|clickhouse|synapse|teradata)\b")
_CALL_WORDS = rx(r"\b(calls?|meetings?|conversations?|transcripts?|talk\w*|said|saying|say|says|discuss\w*)\b")
_COVERAGE = rx(r"\bcoverage\b|\benough pipeline\b|\bpipeline (?:vs\.?|versus|against|to|for) (?:the )?"
                r"(?:target|quota|plan)")
# "upsell targets" are accounts to sell to; "commit deals" are deals with that forecast category (a filter)
_FORECAST = rx(r"\b(forecast\w*|(?<!upsell )(?<!expansion )(?<!cross-sell )targets?|quotas?|attainment|"
                r"commit(?!\s+(?:deals?|opps?|opportunit\w*))|"
                r"(?:hit|make|making|meet|reach|beat|miss|missing|get to) (?:the |our )?(?:number|plan|target)|"
                r"on track|gap to)\b")
_WIN_RATE = rx(r"\b(win[- ]?rates?|close rates?|closing rates?|won vs\.? lost|win ratio|loss rates?|"
                r"how many deals (?:did )?we win)\b")
_SLIPPED = rx(r"\b(slip\w*|pushed|push(?:ed)? out|delayed|moved out|keep moving)\b")
_LEADERBOARD = rx(r"\b(leaderboard|(?:top|best|worst)\s+(?:\d+\s+)?(?:reps?|sellers?|aes?|performers?|"
                   r"account executives?|salespeople)|rank\w*\s+(?:the\s+)?(?:reps?|aes?|owners?|sellers?)|"
                   r"by (?:rep|owner|ae|seller)s?\b|who closed the most)")
_LEADS = rx(r"\b(leads?|mqls?)\b")
_LEAD_VOLUME = rx(r"\b(sources?|channels?|volume|new|how many|count|number of|by)\b")
_EXPANSION = rx(r"\b(expan\w*|upsell\w*|up-sell\w*|cross-sell\w*|whitespace|headroom|"
                 r"(?:usage|consumption) (?:growth|increase\w*|grow\w*|grew|trends?)|(?:grow\w*|grew|increas\w*) (?:their |the )?(?:usage|consumption|accounts)|"
                 r"growing (?:customers|accounts))\b")
_REVENUE = rx(r"\b(revenue|mrr|arr|billing|bill|billed|invoiced|bookings|sales performance)\b")
_TREND = rx(r"\b(trends?|trending|monthly|by month|per month|each month|month over month|mom|over time)\b")
_REVENUE_SEGMENT = rx(r"\b(revenue|mrr|arr|billing|bill|billed|invoiced|yoy|year over year|year-over-year)\b|"
                       r"\bsame (?:quarter|period|month) last year\b|\bvs\.? last year\b")
_DEALS = rx(r"\b(deals?|opportunit\w*|opps)\b")
_CLOSING = rx(r"\b(clos\w*|expected|due|landing|land|this quarter|next quarter|q[1-4])\b")
_PIPELINE = rx(r"\b(pipeline|pipe|by stage|stages?|weighted)\b")

_CHANGE = rx(r"\b(?:what(?:'s| has| have)? (?:changed|moved|happened)|changes? (?:in|to|of)|"
             r"(?:pipeline|forecast|commit|deal)s? (?:changes?|movement|moves)|week over week|wow|"
             r"moved since|changed since)\b")
_CHANGE_CONTEXT = rx(r"\b(pipeline|forecast|commit|deals?|opportunit\w*|opps|best case)\b")
_OUT_OF = rx(r"\b(?:slip\w*|fell|fall\w*|dropped|drop\w*|moved|pushed) out of\b|\bpulled (?:in|into|forward)\b")
_WON_LOST_RECENTLY = rx(r"\b(?:did we|have we|we) (?:win|won|lose|lost|close|closed|add|added)\b")
_RECENT = rx(r"\b(?:this|last) week\b|\bsince\b|\btoday\b|\byesterday\b|\b(?:last|past) \w+ days\b")
_ROLLUP = rx(r"\b(?:roll[- ]?ups?|evidence[- ]adjusted|adjusted (?:forecast|number|commit)|"
             r"(?:forecast|commit|number)s? (?:by|per|for each) (?:rep|ae|owner|seller)s?|"
             r"(?:soft|shaky|inflated|hollow|sandbagg\w*) commit|commit (?:looks?|is|seems?) (?:soft|shaky|"
             r"inflated|real|hollow|weak)|(?:reps?|aes?|sellers?)'?s? commit|\w+'s? commit (?:\w+ )?(?:soft|shaky|"
             r"real|solid|hollow|inflated|believable|at risk))\b")



# Rule phrases that are also plain deal filters the semantic model applies exactly, with the question's own
# period and other filters ("deals closing this quarter with no activity in 30 days"): these go to the model
# unless the question says "hygiene" or "rules".
FILTER_LIKE_RULES = ("close_date_past", "no_activity", "pushes")


def _hygiene(t: str) -> bool:
    """A hygiene word, or a rule's phrase that no deal filter expresses ("no next step", "skipped a stage",
    "no economic buyer") about deals, not customers."""
    from revops_cli.hygiene.asked import GENERAL, PHRASES

    if GENERAL.search(t):
        return True
    asked = any(rx.search(t) for check, rx in PHRASES.items() if check not in FILTER_LIKE_RULES)
    return asked and not (_CHURN_CONTEXT.search(t) and not _DEAL_CONTEXT.search(t))


RULES: list[tuple[str, Callable[[str], bool]]] = [
    ("hygiene", _hygiene),
    ("pipeline_changes", lambda t: bool((_CHANGE.search(t) and _CHANGE_CONTEXT.search(t))
                                        or _OUT_OF.search(t) or (_WON_LOST_RECENTLY.search(t) and _RECENT.search(t))
                                        or (_SLIPPED.search(t) and _RECENT.search(t)
                                                                 and not re.search(r"\bsince (?:the )?(?:start|beginning)", t)))),
    ("forecast_rollup", lambda t: bool(_ROLLUP.search(t))),
    ("deal_risk_factors", lambda t: bool(
        (_RISK_PHRASE.search(t) or (_RISK_WORD.search(t) and _DEAL_CONTEXT.search(t)))
        and not (_CHURN_CONTEXT.search(t) and not _DEAL_CONTEXT.search(t)) and not _CHURN.search(t))),
    ("declining_engagement", lambda t: bool(_CHURN.search(t) or (_FALL.search(t) and _ENGAGE_CONTEXT.search(t))
                                            or (_RISK_WORD.search(t) and _CUSTOMER_RISK.search(t)
                                                and not _DEAL_CONTEXT.search(t)))),
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


def keyword_spans(text: str) -> list[tuple[int, int]]:
    """Where the keyword rules read the question ("declining usage", "risk factors", "coverage"): words an analysis
    understands, so they are never named as a filter not understood (agents/understanding.py)."""
    t = (text or "").replace("’", "'")
    # a competitor is understood when the warehouse knows it (agents/names.py), not because this list names it:
    # "deals against teradata" on a warehouse with no Teradata deal names what it did not understand
    patterns = [v for v in globals().values() if isinstance(v, re.Pattern) and v is not _JOIN
                and v is not _COMPETITOR_NAME]
    return [m.span() for p in patterns for m in p.finditer(t)]
