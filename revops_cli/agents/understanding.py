"""What a question asks, as a record: measures × dimensions × filters × period × shape, plus the words that
looked like a filter but were not understood.

`parse(text, names, as_of)` builds a `ParsedQuestion` from the names the manager found (agents/names.py) and
the words. The record speaks the semantic model's vocabulary (measure and dimension names of
revops_cli/model/), so a model query can be built from it; the Data agent's built-in analyses read the same
filters (`Ask.filters`) and must apply every one or refuse (`agents/data.py`).

    ParsedQuestion(measures=["pipeline"], dimensions=["owner"],
                   filters=[Filter("region", "=", "EMEA", "EMEA"), Filter("amount", ">=", 500000.0, "over $500K")],
                   period=Period("December 2026", ...), shape="breakdown", unknown=["Narnia"])

A follow-up ("which of those are over $1M?", "only EMEA", "and by owner?", "compare with last quarter")
refines the last question: `refine(last, follow_up)` keeps what the follow-up does not change.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

# names.py kinds -> model dimension names
DIMENSION_OF_KIND = {"region": "region", "segment": "segment", "industry": "industry", "stage": "stage",
                     "deal_type": "type", "lead_source": "lead_source", "competitor": "competitor", "owner": "owner",
                     "forecast_category": "forecast_category", "lead_status": "lead_status", "account": "account"}

_MEASURE_WORDS: list[tuple[str, re.Pattern]] = [
    ("pipeline_created", re.compile(r"\b(?:pipeline|pipe)\s+(?:(?:have|did|has)\s+(?:we|you|they|been)\s+|was\s+|were\s+|"
                                    r"we(?:'ve| have)?\s+)?(?:created|generated|sourced|added|built|generate|create|add|build)\b|"
                                    r"\bnew pipeline\b", re.I)),
    # "how many opps have we created this month", "deals opened last week", "new opps added in Q3": a count of
    # deals by their created date (the deals themselves, whatever their stage now)
    ("created_deal_count", re.compile(r"\b(?:deals?|opps?|opportunit(?:y|ies)|oppties)\s+(?:(?:have|did|has)\s+(?:we|you|they|been)\s+|"
                                      r"was\s+|were\s+|got\s+|we(?:'ve| have)?\s+)?(?:created|opened|added|generated|"
                                      r"create|add|generate)\b|\b(?:deals?|opps?|opportunit(?:y|ies))\s+(?:did|do)\s+(?:we|you|they)\s+open\b|\b(?:created|opened|added)\s+(?:\w+\s+)?(?:deals|opps|opportunities)\b",
                                      re.I)),
    ("net_revenue_retention", re.compile(r"\bnrr\b|\bnet (?:revenue |dollar )?retention\b", re.I)),
    ("gross_revenue_retention", re.compile(r"\bgrr\b|\bgross (?:revenue |dollar )?retention\b", re.I)),
    # accounts whose first won deal closed in the period: "new logos", "new customers won", "logos landed"
    # ("new logo pipeline", "new logo deals": the deal type New Business, names.ALIASES)
    ("new_logos", re.compile(r"\b(?:new[- ]logos?|new (?:paying )?(?:customers?|clients?|accounts?)(?: (?:won|wins|landed|signed|added))?|"
                             r"new customer (?:wins|count)|logos? (?:won|landed|signed|added)|first[- ]time (?:customers|buyers)|"
                             r"became (?:paying )?customers?)\b"
                             r"(?!\s+(?:deals?|opps?|opportunit\w*|pipe(?:line)?|bookings|revenue|arr|acv|amount)\b)", re.I)),
    ("churned_arr", re.compile(r"\bchurned arr\b|\barr churned\b|\barr\b[^?.]{0,25}\b(?:lost|lose|losing) to churn\b", re.I)),
    ("churned_customers", re.compile(r"\b(?:customers?|accounts?|logos?|clients?)\s+(?:have\s+|has\s+|did\s+we\s+|we\s+)?"
                                     r"(?:churn(?:ed)?|lost|lose)\b|\bchurned (?:customers|accounts|logos|clients)\b|"
                                     r"\bchurn(?:ed)? (?=(?:by|per|split by|broken down by) )|\bchurn counts?\b|"
                                     r"\b(?:how many|number of) churn(?:s|ed)?\b", re.I)),
    ("customers", re.compile(r"\b(?:how many|number of|count of|total)\s+(?:\w+\s+)?(?:customers|clients|logos)\b|"
                             r"\bcustomer counts?\b", re.I)),
    ("weighted_pipeline", re.compile(r"\bweighted (?:pipe(?:line)?|amount|forecast)\b", re.I)),
    ("created_deal_count", re.compile(r"\b(?:deals|opps|opportunities)\s+(?:were\s+|got\s+|have\s+been\s+|did\s+we\s+|we\s+|"
                                      r"(?:did|has|have)\s+(?:[\w'’-]+\s+){1,3}?)?"   # "opps did priya create"
                                      r"(?:create|created|opened|add|added|source|sourced)\b(?!\s+(?:date|by))", re.I)),  # "deals open": the status
    # "renewal rate": the share of closed renewal deals that were won (the deal type comes from the vocabulary)
    ("win_rate", re.compile(r"\bwin[- ]?rates?\b|\bclose rates?\b|\brenewal rates?\b|"
                            r"\bhow (?:do|did|are|have) we (?:do|done|doing|fare|fared|faring|perform\w*)\s+"
                            r"(?:against|vs\.?|versus|when (?:we )?(?:face|facing|compete with|competing with))\b", re.I)),
    ("average_deal_size", re.compile(r"\b(?:average|avg|mean) (?:won |closed[- ]won |open )?deal sizes?\b|\bdeal sizes?\b|"
                                     r"\b(?:average|avg|mean) (?:won |open |closed[- ]won )?(?:[\w-]+ )?(?:deal|opportunity|opp)\b(?! counts?)",
                                     re.I)),
    ("sales_cycle_days", re.compile(r"\bsales cycles?\b|\bcycle (?:times?|length)\b|\b(?:days|time) to (?:close|win)\b|"
                                    r"\bhow long (?:does|do|did) it (?:usually |typically )?take\b[^?]*\bto (?:close|win)\b|"
                                    r"\bhow long\b[^?]{0,40}?\bto (?:close|win)\b", re.I)),
    ("bookings", re.compile(r"\bbookings?\b|\bclosed[- ]won amount\b|\b(?:closed|sold|booked|won) the most\b|"
                            r"\b(?:did|have|has)\s+(?:we|\w+)\s+(?:book|booked|sell|sold)\b|\bwe\s+(?:booked|sold)\b", re.I)),
    ("open_deal_count", re.compile(r"\bopen deal counts?\b|\bnumber of open deals\b|\bhow many open (?:deals|opportunities|opps)\b", re.I)),
    ("arr", re.compile(r"\barr\b|\bannual(?:ized|ised)? recurring revenue\b|\b(?:annual )?run[- ]rate\b", re.I)),
    ("mrr", re.compile(r"\bmrr\b|\bmonthly recurring revenue\b", re.I)),
    ("revenue", re.compile(r"\brevenue\b|\brev\b|\bbilling\b|\bbill(?:ed)?\b|\binvoiced\b|\bpa(?:y|id|ying) us\b", re.I)),
    ("conversion_rate", re.compile(r"\bconversion rates?\b|\bconvert\w*\b", re.I)),
    ("slip_count", re.compile(r"\bslip\w*\b|\bpushed\b", re.I)),
    ("pipeline", re.compile(r"\bpipe(?:line)?\b", re.I)),
    ("deal_count", re.compile(r"\bdeal counts?\b|\b(?:how many|number of|count of|# of) (?:[\w-]+\s+){0,2}?"
                              r"(?:deals|opportunities|opps|losses|wins|renewals|upsells)\b", re.I)),
    ("usage_queries", re.compile(r"\b(?:queries|query (?:count|volume)s?)\b|"
                                 # "the lowest usage", "usage by segment": usage as a number is the queries run
                                 r"\b(?:lowest|highest|least|most|fewest|top|bottom|biggest|smallest)\s+usage\b|"
                                 r"\busage\s+(?:by|per)\s+(?!day\b)", re.I)),
    ("engine_hours", re.compile(r"\b(?:engine|compute)[- ]hours?\b", re.I)),
    ("leads", re.compile(r"\b(?:new )?leads\b|\bmqls?\b|\bsqls\b", re.I)),
    ("calls", re.compile(r"\bcalls\b", re.I)),
]
_BY = re.compile(r"\b(?:by|per|for each|each|broken down by|split by|grouped by)\s+(?:customer |account |deal |sales |opportunity |opp )?(region|segment|industry|vertical|"
                 r"owner|rep|ae|seller|stage|type|deal type|source|lead source|competitor|quarter|month|week|year|"
                 r"account|customer|team|forecast category)s?\b", re.I)
_BY_DIMENSION = {"rep": "owner", "ae": "owner", "seller": "owner", "vertical": "industry", "deal type": "type",
                 "source": "lead_source", "lead source": "lead_source", "customer": "account",
                 "forecast category": "forecast_category"}
_TIME_GRAINS = {"quarter", "month", "week", "year"}
_BY_LOOSE = re.compile(r"\b(?:by|per|split by|broken down by)\s+([a-z]{5,})\b", re.I)
_BY_WORDS = ("region", "segment", "industry", "vertical", "owner", "seller", "stage", "source", "competitor",
             "quarter", "month", "account", "customer")


_BY_ANY = re.compile(r"(?<!\bwon )(?<!\blost )(?<!\bowned )(?<!\bclosed )(?<!\bcreated )(?<!\bsourced )(?<!\bbooked )"
                     r"(?<!\bsold )(?<!\bmanaged )(?<!\bhandled )(?<!\bworked )(?<!\brun )(?<!\bled )"
                     r"\b(?:broken down by|split by|grouped by|by|per)\s+([a-z][a-z-]+)\b", re.I)
_BY_FINE = frozenset("""the a an end far now then close closing amount amounts value size count number deal deals date
dates day days week weeks month months quarter quarters year years total how what which whom who rep reps ae aes
percent percentage share me us them him her far default name""".split())


def unknown_breakdowns(text: str, names: Any, by_spans: list[tuple[int, int]]) -> list[str]:
    """'by persona', 'per cohort': a breakdown by something that is no dimension is named, never dropped."""
    known = [(m.start, m.end) for m in (names.mentions if names is not None else [])]
    out = []
    for m in _BY_ANY.finditer(text):
        a, b = m.span(1)
        if any(x <= m.start() < y or x <= a < y for x, y in by_spans) or any(x < b and a < y for x, y in known):
            continue
        word = m.group(1).lower()
        if word in _BY_FINE or word.rstrip("s") in _BY_FINE or word in UNDERSTOOD_WORDS:
            continue
        out.append(m.group(0).strip())
    return out


def _by_typo(word: str) -> str | None:
    """The dimension word a misspelt one stands for (one edit or one swap away, a clear winner), or None."""
    from rapidfuzz.distance import OSA

    w = word.lower().rstrip("s") if len(word) > 5 else word.lower()
    if w in _BY_WORDS:
        return None
    near = [d for d in _BY_WORDS if OSA.distance(w, d) <= 1]
    return near[0] if len(near) == 1 else None

_NUM = r"(\d+(?:[.,]\d+)?)\s*(k|m|mm|mn|b|bn|million|thousand|billion)?"
_MONEY = rf"\$?\s*{_NUM}"
_AMOUNT_MIN = re.compile(rf"(?:\b(?:over|above|more than|greater than|at least|bigger than|larger than|exceeding|"
                         rf"north of|upwards of|min(?:imum)?(?: of)?)\s*|>=?\s*|≥\s*){_MONEY}(?![\w%])|"
                         rf"\$\s*{_NUM}\s*(?:\+|or more|and (?:up|above|over)|or bigger|or larger)", re.I)
_AMOUNT_MAX = re.compile(rf"(?:\b(?:at most|up to|no more than|max(?:imum)?(?: of)?)"
                         rf"\s*|<=\s*|≤\s*){_MONEY}(?![\w%])|\$\s*{_NUM}\s*or (?:less|smaller|under)", re.I)
_AMOUNT_BELOW = re.compile(rf"(?:\b(?:under|below|less than|smaller than)\s*|<\s*){_MONEY}(?![\w%])", re.I)
_AMOUNT_BETWEEN = re.compile(rf"\bbetween\s+{_MONEY}\s+and\s+{_MONEY}", re.I)
_ANY_MONEY = re.compile(r"\$\s*\d[\d,.]*\s*(?:k|m|mm|mn|b|bn|million|thousand|billion)?\b|\b\d[\d,.]*\s*(?:k|m|mm|million)\b(?!\w)",
                        re.I)
_STATUS = [("won", re.compile(r"\b(?:closed[- ])?won\b|\bwins\b|"
                             # "how many deals did Priya close/win last quarter": the past act of closing is a win
                             r"\bdid\s+(?:[\w'’-]+\s+){1,3}?(?:close|win)\b(?!\s+(?:date|rate))", re.I)),
           ("lost", re.compile(r"\b(?:closed[- ])?lost\b|\blosses\b|\blos(?:e|ing)\b", re.I)),
           ("open", re.compile(r"\bopen\b|\bactive (?:deals|opportunities)\b|\bin flight\b|\bin the pipe(?:line)?\b", re.I))]

# Conditions on each deal that are no dimension value (model dimensions and canonical columns, agents/adhoc.py):
# close-date pushes (the history), days without activity, a close date already past; and a lead's status.
_TIMES = {"once": 1, "twice": 2, "thrice": 3, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5}
_PUSHES = re.compile(r"\b(?:pushed|slipped|moved|delayed)\s+(?:out\s+|back\s+)?(?P<op>more than|over|at least|"
                     r"(?:\d+|once|twice)\s+or more)?\s*(?P<n>\d+|once|twice|thrice|one|two|three|four|five)"
                     r"(?:\s+times?)?(?P<plus>\+)?(?!\s*(?:days?|weeks?|months?))", re.I)
_IDLE = re.compile(r"\b(?:no|without(?: any)?) (?:activity|touch(?:es)?|contact|updates?|engagement)\s+(?:in|for|over)\s+"
                   r"(?:the\s+)?(?:last\s+|past\s+)?(?P<n>\d+|a|one|two|three|four|six)\s+(?P<unit>days?|weeks?|wks?|months?|mos?)|"
                   r"\b(?:idle|inactive|untouched|quiet|dark|not touched|stale)\s+(?:for\s+|in\s+)?(?:over\s+|more than\s+)?"
                   r"(?:the\s+)?(?:last\s+|past\s+)?(?P<n2>\d+|a|one|two|three|four|six)\s+(?P<unit2>days?|weeks?|wks?|months?|mos?)", re.I)
_OVERDUE = re.compile(r"\bpast (?:their |its |the )?(?:expected )?close dates?\b|\boverdue\b|\bpast due\b|"
                      r"\bclose dates? (?:is |are |already )?(?:in the past|passed|gone by)\b", re.I)
_LEAD_STATUS = [("MQL", re.compile(r"\bMQLs?\b|\bmarketing[- ]qualified\b", re.I)),
                ("SQL", re.compile(r"\bSQLs\b|\bSQL leads?\b|\bsales[- ]qualified\b", re.I))]


# Which competitors are on the deals ("who is marcus competing against", "competitive threats in emea", "which
# competitors are on our open deals"): a breakdown of the deals by competitor, when no competitor is named and
# the question is not about what was said on calls (that is the competitor-mentions analysis).
DEAL_COMPETITORS = re.compile(
    r"\b(?:who|whom|which|what)\b[^?]{0,60}?\b(?:compet(?:ing|e|es)\s+(?:against|with)|up against|against)\b|"
    r"\bcompetitive\s+(?:threats?|landscape|pressure|situation)\b|"
    r"\bcompetitors?\s+(?:breakdown|split|mix)\b|\b(?:top|main|biggest|most common)\s+competitors?\b|"
    r"\bcompetitors?\s+(?:(?:are|is|were|show(?:s|ing)? up)\s+)?(?:on|in|across)\s+(?:our\s+|his\s+|her\s+|their\s+|the\s+)?(?:open\s+|active\s+)?"
    r"(?:deals|opps|opportunities|pipe(?:line)?)\b", re.I)
_ON_CALLS = re.compile(r"\b(?:calls?|mention\w*|came up|comes? up|coming up|said|say|saying|transcripts?|meetings?|"
                       r"talk\w*|los(?:e|t|ing)|losses|beat\w*)\b", re.I)


def asks_deal_competitors(text: str, names: Any = None) -> bool:
    """The question asks which competitors are on the deals (`DEAL_COMPETITORS`), naming none."""
    named = names.of("competitor") if names is not None else []
    return not named and bool(DEAL_COMPETITORS.search(text)) and not _ON_CALLS.search(text)


def compares(text: str, names: Any = None) -> bool:
    """The question compares two periods or groups; 'vs' / 'versus' / 'against' right before a competitor's name
    ('win rate vs databricks', 'deals against snowflake') names the competitor, not a comparison."""
    comps = [m.start for m in names.of("competitor")] if names is not None else []
    for m in _COMPARE.finditer(text):
        if re.fullmatch(r"vs\.?|versus", m.group(0), re.I):
            rest = text[m.end():]
            if m.end() + (len(rest) - len(rest.lstrip())) in comps:
                continue
        return True
    return False


def condition_filters(text: str, as_of: date) -> tuple[list["Filter"], list[tuple[int, int]]]:
    """Close-date pushes, days without activity, an overdue close date, MQL/SQL: filters and their spans."""
    from datetime import timedelta

    out: list[Filter] = []
    spans: list[tuple[int, int]] = []
    for m in _PUSHES.finditer(text):
        word = m.group("n").lower()
        n = int(word) if word.isdigit() else _TIMES[word]
        op = ">" if (m.group("op") or "").lower() in ("more than", "over") else ">="
        out.append(Filter("close_date_pushes", op, n, m.group(0).strip()))
        spans.append(m.span())
    for m in _IDLE.finditer(text):
        word, unit = (m.group("n") or m.group("n2")).lower(), (m.group("unit") or m.group("unit2")).lower()
        n = int(word) if word.isdigit() else _TIMES.get(word, 6 if word == "six" else 1)
        days = n * (7 if unit.startswith("w") else 30 if unit.startswith("mo") else 1)
        out.append(Filter("last_activity", "<", as_of - timedelta(days=days), m.group(0).strip()))
        spans.append(m.span())
    m = _OVERDUE.search(text)
    if m:
        out.append(Filter("close_date", "<", as_of, m.group(0).strip()))
        spans.append(m.span())
    for value, rx in _LEAD_STATUS:
        m = rx.search(text)
        if m:
            out.append(Filter("lead_status", "=", value, m.group(0)))
            spans.append(m.span())
            break
    return out, spans
_TOP = re.compile(r"\b(?:top|biggest|largest|best)\s+(\d+)\b|\b(\d+)\s+(?:biggest|largest)\b", re.I)
_BOTTOM = re.compile(r"\b(?:bottom|smallest|worst)\s+(\d+)\b", re.I)
# "which rep is carrying the most open pipeline", "what region has the biggest pipe", "who has the most commit":
# a breakdown by that group, ranked biggest first (the bottom one for "least", "fewest")
_RANKED = re.compile(r"\b(?:which|what)\s+(?P<dim>reps?|owners?|aes?|sellers?|regions?|segments?|industr(?:y|ies)|"
                     r"verticals?|stages?|lead sources?|sources?|competitors?|accounts?|customers?)\b"
                     r"|^\s*(?:and\s+|so\s+)?(?P<who>who)(?:'s|\s+is|\s+has|\s+have|\s+had|\s+holds|\s+owns|\s+carries)?\b", re.I)
_SUPERLATIVE = re.compile(r"\b(?P<dir>most|biggest|largest|highest|least|smallest|lowest|fewest)\b", re.I)
_MOST_DEALS = re.compile(r"\b(?:most|fewest|least)\s+(?:open\s+|active\s+)?(?:deals|opps|opportunities)\b", re.I)
_RANKED_DIMENSION = {"rep": "owner", "owner": "owner", "ae": "owner", "seller": "owner", "region": "region",
                     "segment": "segment", "industry": "industry", "industrie": "industry", "vertical": "industry",
                     "stage": "stage", "lead source": "lead_source", "source": "lead_source", "competitor": "competitor",
                     "account": "account", "customer": "account", "who": "owner"}


def ranked_subject(text: str) -> tuple[str, bool, bool] | None:
    """(dimension, plural, descending) when the question ranks a group by a superlative, else None."""
    m = _RANKED.search(text)
    if not m:
        return None
    sup = _SUPERLATIVE.search(text, m.end())
    if not sup or re.match(r"\s+(?:recent|recently|likely|important|common|often)\b", text[sup.end():], re.I):
        return None
    word = (m.group("dim") or m.group("who")).lower()
    if word == "who" and re.match(r"\s*(?:are|were|is)\s+(?:our|the)\b", text[m.end():], re.I):
        return None                # "who are our biggest customers": the customers, not a rep
    plural = word.endswith("s") and word not in ("who",) or word == "industries"
    if word == "industries":
        word = "industry"
    elif word.endswith("s") and word[:-1] in _RANKED_DIMENSION:
        word = word[:-1]
    dim = _RANKED_DIMENSION.get(word)
    if dim is None:
        return None
    return dim, plural, sup.group("dir").lower() not in ("least", "smallest", "lowest", "fewest")
_COMPARE = re.compile(r"\bcompare\w*\b|\bvs\.?\b|\bversus\b|\bagainst (?:last|the previous|previous|prior)\b|"
                      r"\bcompared (?:to|with)\b", re.I)
_TWO_PERIODS = re.compile(r"\b(?:vs\.?|versus|compared (?:to|with)|against|with|and|to)\b", re.I)
# Rates the model has no measure for (churned customers and churned ARR are counts and amounts, not rates)
_NO_MEASURE_RATE = re.compile(r"\b(?:logo |customer |revenue |gross |net )?(?:churn|attrition|retention|expansion|"
                              r"upsell)[- ]rates?\b", re.I)
_PRIOR_PERIOD = re.compile(r"\b(?:the\s+)?(?:quarter|month|year|week|period|qtr)\s+(?:before|prior)\b|"
                           r"\bthe\s+(?:previous|prior|preceding)\s+(?:one|quarter|month|year|week|period|qtr)\b|"
                           r"\bthe one before\b", re.I)
_SHARE = re.compile(r"\bshare of\b|\bwhat (?:share|percent\w*|fraction|portion)\b|\bpercent(?:age)? of\b|"
                    r"\bwhat\s*%|%\s*of\b", re.I)
_TREND = re.compile(r"\btrends?\b|\bover time\b|\bmonth over month\b|\bby month\b|\bmonthly\b|\bweekly\b", re.I)

# Words that look like a filter on the deals but that no built-in analysis reads. Named, never dropped.
_FILTER_LIKE: list[re.Pattern] = [
    # "deals with no competitor": no analysis and no model filter reads an empty competitors field
    re.compile(r"\b(?:no|without(?: any| a)?|zero)\s+(?:competitors?|competition)\b|\bunopposed\b|\buncontested\b", re.I),
    re.compile(r"\bno (?:activity|touch\w*|contact|calls?|meetings?)\b[^?.,;]*", re.I),
    re.compile(r"\b(?:pushed|slipped|moved)\s+(?:more than|over|at least|twice|\d+)[^?.,;]*", re.I),
    re.compile(r"\bwithout (?:an? |the )?[\w-]+(?: [\w-]+)?", re.I),
    re.compile(r"\b(?:excluding|except|other than|not in)\s+[\w$.-]+(?: [\w-]+)?", re.I),
    re.compile(r"\b(?:created|opened|added)\s+(?:in|during|since|before|after|last|this)\b[^?.,;]*", re.I),
]
_NAMED_FILTER = re.compile(
    r"\b(?P<word>[A-Za-z][\w&.-]*(?:\s+[A-Z][\w&.-]*)?)\s+(?P<what>region|segment|industry|vertical|territory|"
    r"team|stage|lead source|source|competitor|geo)\b", re.I)
_IN_PLACE = re.compile(r"\b(?:in|from|within|across|for|at|against|with|owned by|by)\s+(?:the\s+)?"
                       r"(?P<word>[A-Z][\w&.'’-]*(?:\s+[A-Z][\w&.'’-]*){0,2})")
_NOT_FILTER_CAPS = frozenset({
    "q1", "q2", "q3", "q4", "fy", "ytd", "qtd", "mtd", "wtd", "i", "the", "our", "we", "ae", "aes", "crm",
    "january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
    "november", "december", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "meddpicc", "icp", "slack",
    "revbot", "revops", "usd", "arr", "mrr", "nrr", "kpi", "mql", "sql", "sqls", "mqls", "yoy", "qoq", "mom",
})
_VERBS = frozenset({"analyze", "analyse", "show", "list", "compare", "review", "give", "get", "find", "main", "key",
                    "biggest", "top", "new", "each", "every", "any", "which", "what", "whose", "per", "by", "current",
                    "previous", "late", "early", "same", "other", "different", "primary", "strongest", "weakest"})
_NOT_FILTER_WORDS = frozenset({"this", "last", "next", "previous", "the", "each", "every", "all", "which", "what",
                               "our", "my", "by", "per", "a", "an", "that", "any", "same", "one", "sales", "customer",
                               "deal", "deals", "key", "main", "top", "biggest", "which", "every"})


# A manager's team named by the manager: "tom becker's team", "elena's reps", "the team under kevin"
_TEAM_AFTER = re.compile(r"(?:'s|’s|s'|’)?\s+(?:whole\s+|entire\s+)?(?:team|reps|org|organi[sz]ation|direct reports|"
                         r"reports|people|group|sellers|aes)\b", re.I)
_TEAM_BEFORE = re.compile(r"\b(?:team of|reps? (?:under|reporting to)|reporting (?:in)?to|reports? to|(?:the )?team under|"
                          r"managed by|under)\s+$", re.I)


@dataclass
class Filter:
    """One condition of the question, in the model's dimension names."""

    dimension: str          # region | segment | industry | owner | stage | type | lead_source | competitor |
                            # forecast_category | lead_status | account | amount | status
    op: str                 # = | >= | <= | between
    value: Any              # a canonical value, a number, or [low, high] for between
    text: str = ""          # the words of the question it came from
    id: str | None = None   # the record id for owner / account (the manager's for team_of)
    members: list[str] | None = None    # team_of: the names of the reps the manager manages, once looked up

    def label(self) -> str:
        from revops_cli.formatting import money

        if self.dimension == "amount":
            if self.op == "between":
                return f"amount {money(self.value[0])}–{money(self.value[1])}"
            return f"amount {'≥' if self.op == '>=' else '≤' if self.op == '<=' else self.op} {money(self.value)}"
        if self.dimension == "stage" and isinstance(self.value, list):
            return "stage " + " or ".join(self.value)
        if self.dimension == "status":
            return str(self.value)
        if self.dimension == "close_date_pushes":
            return f"close date pushed {'more than' if self.op == '>' else 'at least'} {self.value}×"
        if self.dimension == "last_activity":
            return f"no activity since {_iso(self.value)}"
        if self.dimension == "close_date":
            return f"close date before {_iso(self.value)} (overdue)"
        if self.dimension == "team_of":
            return f"team of {self.value}" + (f" ({len(self.members)} reps)" if self.members else "")
        return f"{self.dimension.replace('_', ' ')} {self.value}"

    def to_dict(self) -> dict[str, Any]:
        return {"dimension": self.dimension, "op": self.op, "value": self.value, "text": self.text, "id": self.id,
                "label": self.label(), **({"members": list(self.members)} if self.members is not None else {})}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Filter":
        return cls(d["dimension"], d.get("op", "="), d.get("value"), d.get("text", ""), d.get("id"),
                   list(d["members"]) if d.get("members") is not None else None)


@dataclass
class ParsedQuestion:
    text: str
    measures: list[str] = field(default_factory=list)        # model measure names
    dimensions: list[str] = field(default_factory=list)      # group-by: model dimension names, or a time grain
    filters: list[Filter] = field(default_factory=list)
    period: Any = None                                        # agents.periods.Period | None
    compare_period: Any = None
    shape: str = "number"                                     # list | number | breakdown | top_n | comparison | share | trend
    limit: int | None = None
    unknown: list[str] = field(default_factory=list)          # words that looked like filters, not understood
    follow_up: bool = False

    def filter(self, dimension: str) -> Filter | None:
        return next((f for f in self.filters if f.dimension == dimension), None)

    def values(self, dimension: str) -> list[Any]:
        return [f.value for f in self.filters if f.dimension == dimension]

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.text, "measures": list(self.measures), "dimensions": list(self.dimensions),
                "filters": [f.to_dict() for f in self.filters],
                "period": self.period.to_dict() if self.period is not None else None,
                "compare_period": self.compare_period.to_dict() if self.compare_period is not None else None,
                "shape": self.shape, "limit": self.limit, "unknown": list(self.unknown), "follow_up": self.follow_up}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "ParsedQuestion":
        from revops_cli.agents.analyses.question import as_period

        return cls(text=d.get("text", ""), measures=list(d.get("measures") or []),
                   dimensions=list(d.get("dimensions") or []),
                   filters=[Filter.from_dict(f) for f in d.get("filters") or []],
                   period=as_period(d.get("period")), compare_period=as_period(d.get("compare_period")),
                   shape=d.get("shape") or "number", limit=d.get("limit"), unknown=list(d.get("unknown") or []),
                   follow_up=bool(d.get("follow_up")))


def _iso(value: Any) -> str:
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def without_filter_words(text: str, parsed: "ParsedQuestion") -> str:
    """The question with the words its filters and breakdowns came from blanked out: what is left says what it
    asks about ("open pipeline by competitor" -> "open pipeline")."""
    out = _BY.sub(" ", text)
    if "competitor" in parsed.dimensions:
        out = DEAL_COMPETITORS.sub(" ", out)
    for f in parsed.filters:
        if f.text and f.dimension != "status":
            out = re.sub(re.escape(f.text), " ", out, flags=re.I)
    return out


def amount_of(number: str, unit: str | None) -> float:
    value = float(number.replace(",", "")) if number.count(",") and len(number.split(",")[-1]) == 3 \
        else float(number.replace(",", "."))
    u = (unit or "").lower()
    return value * (1_000 if u in ("k", "thousand") else 1_000_000 if u in ("m", "mm", "mn", "million")
                    else 1_000_000_000 if u in ("b", "bn", "billion") else 1)


def _amount_filters(text: str) -> tuple[list[Filter], list[tuple[int, int]]]:
    out: list[Filter] = []
    used: list[tuple[int, int]] = []
    for m in _AMOUNT_BETWEEN.finditer(text):
        out.append(Filter("amount", "between", [amount_of(m.group(1), m.group(2)), amount_of(m.group(3), m.group(4))],
                          m.group(0).strip()))
        used.append(m.span())
    for rx, op in ((_AMOUNT_MIN, ">="), (_AMOUNT_MAX, "<="), (_AMOUNT_BELOW, "<")):
        for m in rx.finditer(text):
            if any(a <= m.start() < b for a, b in used):
                continue
            groups = [g for g in m.groups()]
            number, unit = (groups[0], groups[1]) if groups[0] else (groups[2], groups[3])
            out.append(Filter("amount", op, amount_of(number, unit), m.group(0).strip()))
            used.append(m.span())
    return out, used


def parse(text: str, names: Any, as_of: date, fiscal_start_month: int = 1) -> ParsedQuestion:
    """The question as a record. `names`: agents.names.Names (or None: words only)."""
    from revops_cli.agents.periods import parse_period

    q = ParsedQuestion(text=text)
    low = text.lower()
    for name, rx in _MEASURE_WORDS:
        if rx.search(text) and name not in q.measures:
            q.measures.append(name)
    if "churned_arr" in q.measures and "arr" in q.measures:
        q.measures.remove("arr")               # "churned ARR": the churned accounts' run rate, not all of it
    if "revenue" in q.measures and {"arr", "mrr"} & set(q.measures) \
            and not re.search(r"\brevenue\b(?<!recurring revenue)", text, re.I):
        q.measures.remove("revenue")           # "annual recurring revenue" is ARR, not billed revenue as well
    if "weighted_pipeline" in q.measures and "pipeline" in q.measures \
            and not re.search(r"\b(?<!weighted )pipe(?:line)?\b(?! weighted)", re.sub(r"weighted (?:pipe(?:line)?)", "", text, flags=re.I), re.I):
        q.measures.remove("pipeline")            # "weighted pipe": one measure, not the pipeline too
    if "pipeline" in q.measures and len(q.measures) > 1:
        # "avg deal size in the pipe": "in the pipe" says open (a status), the measure is the other one
        status_spans = [m.span() for m in re.finditer(r"\bin the pipe(?:line)?\b", text, re.I)]
        if all(any(a <= m.start() < b for a, b in status_spans) for m in re.finditer(r"\bpipe(?:line)?\b", text, re.I)):
            q.measures.remove("pipeline")
    for m in _BY.finditer(text):
        word = m.group(1).lower()
        dim = _BY_DIMENSION.get(word, word)
        if dim not in q.dimensions:
            q.dimensions.append(dim)
    by_spans = [m.span() for m in _BY.finditer(text)]
    for m in _BY_LOOSE.finditer(text):
        # "win rate by regoin": a misspelt breakdown word, one edit from a dimension's word
        if any(a <= m.start(1) < b for a, b in by_spans):
            continue
        word = _by_typo(m.group(1))
        if word is not None:
            dim = _BY_DIMENSION.get(word, word)
            if dim not in q.dimensions:
                q.dimensions.append(dim)
            by_spans.append(m.span())
    if asks_deal_competitors(text, names) and "competitor" not in q.dimensions:
        q.dimensions.append("competitor")
        if not q.measures:
            q.measures.append("pipeline")      # the open deals each competitor is on: amount and count
    # filters from the names found in the warehouse
    for m in (names.mentions if names is not None else []):
        dim = DIMENSION_OF_KIND.get(m.kind)
        if dim is None or any(a <= m.start < b for a, b in by_spans):
            continue
        if q.filter(dim) is not None and q.filter(dim).value == m.value:
            continue
        if dim == "owner" and m.start >= 0 and (_TEAM_AFTER.match(text, m.end) or _TEAM_BEFORE.search(text[:m.start])):
            # "tom becker's team", "reps under elena": the reps the person manages, not the person's own deals
            after = _TEAM_AFTER.match(text, m.end)
            words = text[m.start:after.end()] if after else text[_TEAM_BEFORE.search(text[:m.start]).start():m.end]
            q.filters.append(Filter("team_of", "=", m.value, words.strip(), id=m.id))
            continue
        q.filters.append(Filter(dim, "=", m.value, m.span, id=m.id))
    if "new_logos" in q.measures:
        # "how many new logos did we win": the measure (first won deal in the period), not the deal type
        q.filters = [f for f in q.filters if not (f.dimension == "type" and re.match(r"new[- ]logo", str(f.text), re.I))]
    for f in [f for f in q.filters if f.dimension == "stage" and str(f.value).lower() in ("closed won", "closed lost")]:
        # "closed won last quarter": the won deals (the status), not a stage of the open pipeline
        q.filters.remove(f)
        if q.filter("status") is None:
            q.filters.append(Filter("status", "=", "won" if "won" in str(f.value).lower() else "lost", f.text))
    stages = [f for f in q.filters if f.dimension == "stage"]
    if len(stages) > 1:
        q.filters = [f for f in q.filters if f.dimension != "stage"]
        q.filters.append(Filter("stage", "in", [f.value for f in stages], " / ".join(f.text for f in stages)))
    amounts, amount_spans = _amount_filters(text)
    conditions, condition_spans = condition_filters(text, as_of)
    keep = [i for i, (a, b) in enumerate(amount_spans)          # "pushed at least 3 times" is no amount
            if not any(a < y and x < b for x, y in condition_spans)]
    amounts, amount_spans = [amounts[i] for i in keep], [amount_spans[i] for i in keep]
    q.filters += amounts
    q.filters += [f for f in conditions if q.filter(f.dimension) is None]
    amount_spans = amount_spans + condition_spans
    created_spans = [m.span() for name, rx in _MEASURE_WORDS if name in ("created_deal_count", "pipeline_created")
                     for m in rx.finditer(text)]
    for status, rx in _STATUS:
        m = next((m for m in rx.finditer(text)          # "deals did we open": the act of creating, not the status
                  if not (status == "open" and any(a <= m.start() < b for a, b in created_spans))), None)
        if m and not q.filter("status"):
            q.filters.append(Filter("status", "=", status, m.group(0)))
    period_text = text
    for a, b in condition_spans:        # "no activity in the last 14 days" is a condition, not the period
        period_text = period_text[:a] + " " * (b - a) + period_text[b:]
    q.period = parse_period(period_text, as_of, fiscal_start_month)     # an impossible period: UsageError, exit 2
    if q.period is not None and _COMPARE.search(text) and _PRIOR_PERIOD.search(text):
        q.compare_period = q.period.previous      # "revenue last quarter compared to the quarter before"
    elif q.period is not None and _COMPARE.search(text):
        # "win rate this quarter vs last quarter": two periods of one kind, the first is the period
        found = []
        for piece in _TWO_PERIODS.split(period_text):
            p = parse_period(piece, as_of, fiscal_start_month) if piece.strip() else None
            if p is not None and all((p.start, p.end) != (x.start, x.end) for x in found):
                found.append(p)
        if len(found) == 2 and found[0].kind == found[1].kind:
            q.period, q.compare_period = found
    m = _TOP.search(text) or _BOTTOM.search(text)
    if m:
        q.limit = int(next(g for g in m.groups() if g))
    ranked = ranked_subject(text) if q.limit is None else None
    if ranked is not None and not q.measures and _MOST_DEALS.search(text):
        q.measures.append("deal_count")         # "who has the fewest open deals": a count of deals per rep
    if ranked is not None and not (q.measures or q.filter("forecast_category")):
        ranked = None
    if ranked is not None and q.filter(ranked[0]) is None:
        if ranked[0] not in q.dimensions:
            q.dimensions.append(ranked[0])
        if not ranked[2]:
            q.limit = 1             # "who has the least commit": the bottom one (a ranking shows the top first)
    if compares(text, names):
        q.shape = "comparison"
    elif q.limit:
        q.shape = "top_n"
    elif _SHARE.search(text):
        q.shape = "share"
    elif _TREND.search(text) or any(d in _TIME_GRAINS for d in q.dimensions):
        q.shape = "trend"
    elif q.dimensions:
        q.shape = "breakdown"
    elif re.search(r"\b(which|list|show|what are the|who are)\b", low) and re.search(r"\b(deals|opportunities|opps|"
                                                                                      r"accounts|customers|leads|reps)\b", low):
        q.shape = "list"
    not_amounts = _not_amounts(text, q.filters, names)
    if not_amounts:
        # "where CSAT is below 7", "more than 500 employees": a number compared on something that is not the amount
        q.filters = [f for f in q.filters if f.dimension != "amount" or f.text not in {t for t, _ in not_amounts}]
        amount_spans = [s for s in amount_spans if text[s[0]:s[1]].strip() not in {t for t, _ in not_amounts}]
    q.unknown = _unknown_words(text, names, amount_spans, by_spans) + _unread_dates(text, q.period)
    q.unknown += [w for _, w in not_amounts]
    q.unknown += unknown_breakdowns(text, names, by_spans)
    m = _NO_MEASURE_RATE.search(text)
    core_end = m.start() + len(re.sub(r"[- ]rates?$", "", m.group(0), flags=re.I)) if m else 0
    if m and not any(x <= m.start() and core_end <= y for _, rx in _MEASURE_WORDS
                     for x, y in (r.span() for r in rx.finditer(text))):
        q.unknown.append(m.group(0))       # "churn rate": no such measure; never the churn-risk list instead
    q.unknown += unknown_qualifiers(text, _known_spans(text, names, q.filters, amount_spans, by_spans))
    q.unknown += unknown_measures(text, _known_spans(text, names, q.filters, amount_spans, by_spans))
    q.unknown = _dedupe(q.unknown)
    # a person or a researched company named in a question about the numbers: no analysis filters on them
    for m in (names.mentions if names is not None else []):
        if m.kind in ("lead", "contact", "company"):
            q.unknown.append(f"{m.value} (a {m.kind})")
    return q


_MONTH_WORD = re.compile(r"\b(january|february|march|april|june|july|august|september|october|november|december|"
                         r"jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec|May)\b\.?(?:\s+\d{1,2}(?:st|nd|rd|th)?)?"
                         r"(?:,?\s+20\d\d)?|\b\d{4}-\d{2}-\d{2}\b", re.I)
_MONTH_FULL = {"jan": "january", "feb": "february", "mar": "march", "apr": "april", "jun": "june", "jul": "july",
               "aug": "august", "sep": "september", "sept": "september", "oct": "october", "nov": "november",
               "dec": "december"}


def _unread_dates(text: str, period: Any) -> list[str]:
    """A month or date the period parser did not turn into the period ('in December' read as the quarter)."""
    out = []
    for m in _MONTH_WORD.finditer(text):
        word = m.group(0)
        if period is None:
            out.append(word)
            continue
        if re.match(r"\d{4}-", word):
            if period.start.isoformat() != word and period.end.isoformat() != word:
                out.append(word)
            continue
        month = m.group(1).lower()
        month = _MONTH_FULL.get(month, month)
        if month not in str(period.label).lower() and period.kind not in ("range", "day", "days"):
            out.append(word)
    return out


def _unknown_words(text: str, names: Any, amount_spans: list[tuple[int, int]], by_spans: list[tuple[int, int]]) -> list[str]:
    """Words that look like a filter but were not understood: 'in Narnia', 'Nordics region', 'around $500K',
    'no activity in 30 days'."""
    known = [(m.start, m.end) for m in (names.mentions if names is not None else [])]

    def taken(a: int, b: int) -> bool:
        return any(x < b and a < y for x, y in known + amount_spans + by_spans)

    out: list[str] = []
    for rx in _FILTER_LIKE:
        for m in rx.finditer(text):
            if not taken(*m.span()):
                out.append(m.group(0).strip(" ?.!,"))
    for m in _ANY_MONEY.finditer(text):
        if not taken(*m.span()):
            out.append(text[max(0, m.start() - 12):m.end()].split(" ", 1)[-1].strip() if m.start() > 12
                       else text[:m.end()].strip())
    kinds_found = {DIMENSION_OF_KIND.get(m.kind) for m in (names.mentions if names is not None else [])}
    what_dim = {"vertical": "industry", "territory": "region", "geo": "region", "source": "lead_source",
                "lead source": "lead_source", "team": "owner"}
    for m in _NAMED_FILTER.finditer(text):
        words = [w for w in m.group("word").split() if w.lower() not in _NOT_FILTER_WORDS | {"as", "is", "was"}]
        what = m.group("what").lower()
        if not words or taken(m.start("word"), m.end("word")) or what_dim.get(what, what) in kinds_found:
            continue
        if words[0].lower() in _VERBS or (not words[0][0].isupper()
                                          and what not in ("region", "segment", "territory", "vertical", "geo", "industry")):
            continue
        if m.group("what").lower() in ("stage",) and words[0].lower() in ("late", "early", "each", "every"):
            continue
        out.append(m.group(0))
    for m in _IN_PLACE.finditer(text):
        word = m.group("word").strip(" ?.!,'’")
        first = word.split()[0].lower()
        if first in _NOT_FILTER_CAPS or re.fullmatch(r"q[1-4](?:\s+\d{4})?|fy\d+|\d{4}", word.lower()) \
                or taken(m.start("word"), m.end("word")):
            continue
        out.append(word)
    seen: list[str] = []
    for w in out:
        if w and all(w.lower() not in s.lower() for s in seen):
            seen.append(w)
    return seen


# ---------------------------------------------------------------- qualifiers not understood

# Words a qualifier may use and still be understood: grammar, the deal nouns, status, amounts, periods, measures.
# Any other word in a qualifier ("with a signed NDA", "on the platinum plan", "gold tier partners", "where CSAT
# is below 7") is named as not understood, unless it is a known name (a region, a rep, an account, ...).
UNDERSTOOD_WORDS = frozenset("""
a an the our my your their its his her this that these those them they it we us i you me he she
be is are was were been being am has have had having do does did done doing get got getting
of in on at to for from by per with without within into onto across among between over under above below than as
and or but nor not no any all some each every both either only just also even still so very too vs versus
often frequently usually typically mostly
what which who whom whose when where why how whats what's how's who's there here
more most less least much many few fewer fewest lot lots
deal deals opportunity opportunities opp opps oppty oppties pipeline pipe pipes account accounts customer customers
company companies client clients logo logos lead leads prospect prospects rep reps owner owners ae aes seller
sellers salespeople team teams region regions segment segments industry industries vertical verticals stage stages
source sources competitor competitors type types category categories forecast forecasts crm book business
open opened won win wins winning lost loss losses lose losing closed close closes closing closed-won closed-lost
active live pending current existing new paying signed-off renewal renewals expansion expansions
amount amounts value values size sizes sized worth dollars dollar usd acv arr mrr nrr revenue bookings booking
booked sold total totals big bigger biggest large larger largest small smaller smallest high higher highest low
lower lowest top bottom best worst
date dates day days week weeks month months quarter quarters year years today yesterday tomorrow ago since until
before after during next last past previous prior coming upcoming far to-date ytd qtd mtd fiscal fy time
count counts number numbers average avg mean median sum rate rates cycle cycles share percent percentage ratio
risk risks risky at-risk churn churned churning usage engagement declining decline growing growth potential
commit target targets quota quotas attainment coverage plan track call calls meeting meetings mention mentions
mentioned competition competitive pushes pushed slipped slips slipping basis
other others same similar whole entire overall combined together
please show list give tell get see find want need know terms detail details breakdown break broken split down
now right currently presently already yet ever altogether exactly roughly approximately actually really rn atm
stale stuck idle inactive dormant untouched aging aged slated scheduled set due expected landing land
sales sale conversations conversation transcripts transcript notes emails activity activities touches logins
users trends trend based signals signs usage-based
sdr bdr csm cfo ceo cro cto vp manager managers leadership board
we're they're it's i'm you're up against compete competes competing competed facing involved present versus
might may could would should will can likely probably possibly about going gonna
longest shortest fastest slowest quickest
mix contention
""".split())
# The nouns a qualifier modifies: an unknown word just before one is a filter ("platinum customers").
_SUBJECT_NOUNS = frozenset("""customers customer accounts account partners partner deals deal opportunities opps
leads lead reps companies logos prospects contracts subscriptions users pipeline pipe revenue bookings""".split())
# Words that open a qualifier: the words after them, up to a clause boundary, must all be understood.
_QUALIFIER_START = re.compile(
    r"\b(?:with|without|having|where|whose|on|in|among|have|has|had|got|using|uses?|running|runs?|against|versus|vs|"
    r"(?:lose|loses|lost|losing)\s+to|(?:that|which|who)\s+(?:are|is|were|was)|(?:flagged|marked|tagged|labell?ed|classified|rated|scored|listed)"
    r"(?:\s+as)?|(?:owned|managed|run|handled|sourced|sold|worked|covered)\s+by)\b", re.I)
# Nouns that name a grouping revops may not know ("tier 1", "the platinum plan", "the fast track program").
_HEAD_NOUNS = frozenset("""tier tiers plan plans level levels program programs programme package packages edition
editions cohort cohorts band bands grade grades class bucket buckets track campaign campaigns contract contracts
subscription subscriptions license licenses licence sku skus list lists status score scores rating ratings""".split())
# "older than 90 days", "fewer than 3 meetings": a comparison revops does not read (amount comparisons are read)
_OTHER_COMPARISON = re.compile(r"\b(?!(?:more|less|greater|bigger|larger|higher|lower|smaller|other|rather)\b)"
                               r"(\w+er)\s+than\s+\$?\d[\d,.]*\s*(?:\w+)?", re.I)
_SLOT_END = frozenset("""in for by per during this last next and or but closing that which who sorted ordered
grouped broken split vs versus compared against since until before after from to""".split())
_TOKEN = re.compile(r"[A-Za-z][\w'’&-]*|\$?\d[\d,.]*(?:\s*(?:k|m|mm|bn|b)\b)?%?")
_PERIODISH = re.compile(r"\b(?:q[1-4]|h[12]|fy\s*'?\d+|20\d\d|\d{4}-\d\d-\d\d|ytd|qtd|mtd|wtd|"
                        r"jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
                        r"sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\b", re.I)
_COMPARISON = re.compile(r"(?:\b(?:is|are|was|were|of)\s+)?(?:\b(?:over|above|more than|greater than|at least|"
                         r"bigger than|larger than|higher than|exceeding|under|below|less than|lower than|smaller than|"
                         r"at most|up to|no more than|equal to|equals?)\b|[<>]=?|[≤≥=])\s*\$?\s*\d[\d,.]*\s*"
                         r"(?:k|m|mm|bn|b|million|thousand|%|percent)?", re.I)


# "how many MQLs do we have right now": now is what a count of open deals, customers or leads by status means
_NOW = re.compile(r"\bright now\b|\brn\b|\bat the moment\b|\batm\b|\bcurrently\b|\bas of (?:now|today)\b|\btoday\b", re.I)


def _dedupe(words: list[str]) -> list[str]:
    seen: list[str] = []
    for w in words:
        if w and all(w.lower() not in s.lower() for s in seen):
            seen = [s for s in seen if s.lower() not in w.lower()] + [w]
    return seen


def _known_spans(text: str, names: Any, filters: list[Filter], amount_spans: list[tuple[int, int]],
                 by_spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Where the question says something understood: names, filters, amounts, breakdowns, measures, status,
    shapes, the keyword rules' words and periods."""
    from revops_cli.agents.analyses.choosing import keyword_spans

    spans = [(m.start, m.end) for m in (names.mentions if names is not None else []) if m.start >= 0]
    spans += amount_spans + by_spans + keyword_spans(text)
    low = text.lower()
    for f in filters:
        t = (f.text or "").lower()
        i = low.find(t) if t else -1
        if i >= 0:
            spans.append((i, i + len(t)))
    for rx in [r for _, r in _MEASURE_WORDS] + [r for _, r in _STATUS] + [_TOP, _BOTTOM, _COMPARE, _SHARE, _TREND,
                                                                      _PERIODISH, _NOW]:
        spans += [m.span() for m in rx.finditer(text)]
    return spans


_MEASURE_SLOT = re.compile(r"\b(?:average|avg|mean|median|total|sum of|max(?:imum)?|min(?:imum)?|highest|lowest)\s+"
                           r"(?:of\s+)?(?:the\s+|our\s+)?(?P<word>[a-z][\w-]*)", re.I)


def unknown_measures(text: str, known: list[tuple[int, int]]) -> list[str]:
    """An aggregate of something revops does not measure: 'average discount on won deals', 'total seats',
    'median NPS'. The word after the aggregate must be understood (a measure, a deal noun, a name)."""
    out: list[str] = []
    for m in _MEASURE_SLOT.finditer(text):
        word = m.group("word").lower()
        if word in UNDERSTOOD_WORDS or word.rstrip("s") in UNDERSTOOD_WORDS \
                or any(x < m.end("word") and m.start("word") < y for x, y in known):
            continue
        out.append(m.group(0))
    return out


def unknown_qualifiers(text: str, known: list[tuple[int, int]]) -> list[str]:
    """Qualifier phrases with a word revops does not know: after "with/where/on/in/that have ..." up to a clause
    boundary ("with a signed NDA", "on the platinum plan", "where CSAT is below 7"), and words just before a
    subject noun ("gold tier partners", "platinum customers"). A word inside a known span (a name, an amount, a
    period, a measure, an analysis' keyword) is understood."""
    tokens = [(m.start(), m.end(), m.group(0)) for m in _TOKEN.finditer(text)]

    def understood(i: int) -> bool:
        a, b, w = tokens[i]
        low = w.lower().replace("’", "'")
        if low in UNDERSTOOD_WORDS or low.rstrip("s") in UNDERSTOOD_WORDS or re.match(r"[$\d]", w):
            return True
        if low.endswith("'s") and (low[:-2] in UNDERSTOOD_WORDS):
            return True
        return any(x < b and a < y for x, y in known)

    def boundary(i: int) -> bool:
        """A clause boundary between token i-1 and token i (punctuation)."""
        return i > 0 and bool(re.search(r"[,;:?!()]|\.\s", text[tokens[i - 1][1]:tokens[i][0]]))

    out: list[str] = []
    for m in _QUALIFIER_START.finditer(text):
        first = next((i for i, t in enumerate(tokens) if t[0] >= m.end()), None)
        if first is None or boundary(first):
            continue
        bad: list[int] = []
        last = first
        for i in range(first, min(first + 5, len(tokens))):
            if i > first and (boundary(i) or tokens[i][2].lower() in _SLOT_END):
                break
            last = i
            if not understood(i):
                bad.append(i)
        if bad:
            end = tokens[bad[-1]][1]
            nxt = next((t for t in tokens if t[0] >= end), None)
            if nxt is not None and nxt[2].lower() in _HEAD_NOUNS and text[end:nxt[0]].strip() == "":
                end = nxt[1]
            cmp_ = _COMPARISON.match(text, end) or _COMPARISON.match(text, end + 1)
            if cmp_ and text[end:cmp_.start()].strip() == "":
                end = cmp_.end()
            out.append(text[m.start():end].strip())
    for i, (a, b, w) in enumerate(tokens):
        if w.lower() not in _SUBJECT_NOUNS or i == 0:
            continue
        j = i - 1
        while j >= 0 and j >= i - 3 and not understood(j) and not boundary(j + 1):
            j -= 1
        if j < i - 1:
            out.append(text[tokens[j + 1][0]:b])
    for i, (a, b, w) in enumerate(tokens):
        if w.lower() not in _HEAD_NOUNS or any(x < b and a < y for x, y in known):
            continue
        j = i - 1
        while j >= 0 and j >= i - 2 and not understood(j) and not boundary(j + 1):
            j -= 1
        end = b
        if i + 1 < len(tokens) and re.fullmatch(r"\d+|[a-c]|one|two|three|i{1,3}", tokens[i + 1][2], re.I):
            end = tokens[i + 1][1]
        if j < i - 1 or end > b or w.lower() in ("tier", "tiers", "program", "programs", "programme", "cohort",
                                                  "cohorts", "campaign", "campaigns", "sku", "skus"):
            out.append(text[tokens[j + 1][0]:end])
    for i, (a, b, w) in enumerate(tokens):
        # a capitalised word that names nothing known, inside the question ("how much pipeline does Marcos have?")
        sentence_start = i == 0 or bool(re.search(r"[.?!:;]\s*$", text[:a]))
        if sentence_start or not w[0].isupper() or understood(i) or w.lower() in _NOT_FILTER_CAPS \
                or w.lower() in _HEAD_NOUNS:
            continue
        out.append(w)
    for m in _OTHER_COMPARISON.finditer(text):
        if not any(x < m.end() and m.start() < y for x, y in known):
            out.append(m.group(0).strip())
    return out


def _not_amounts(text: str, filters: list[Filter], names: Any) -> list[tuple[str, str]]:
    """Amount filters that compare something else: a bare number after a field revops does not know ("CSAT is
    below 7", "NPS over 50") or before a noun that is no money ("more than 500 employees", "over 90 days").
    (filter text, the words to name)."""
    known = [(m.start, m.end) for m in (names.mentions if names is not None else []) if m.start >= 0]
    out = []
    for f in filters:
        if f.dimension != "amount" or not f.text:
            continue
        i = text.find(f.text)
        if i < 0:
            continue
        after = re.match(r"\s*([A-Za-z][\w-]*)", text[i + len(f.text):])
        if re.search(r"\$|\d\s*(?:k|m|mm|mn|b|bn|million|thousand|billion)\b", f.text, re.I):
            money = True
        else:
            money = False
        if after and after.group(1).lower() not in UNDERSTOOD_WORDS | {"usd", "dollars", "eur", "in", "this",
                                                                        "open", "closing"} \
                and not any(x < i + len(f.text) + after.end() and i + len(f.text) + after.start(1) < y for x, y in known):
            out.append((f.text, f"{f.text} {after.group(1)}"))
            continue
        if after and after.group(1).lower() in ("days", "day", "weeks", "week", "months", "month", "years", "times",
                                                "pushes", "calls", "meetings", "contacts", "employees", "seats",
                                                "users", "people", "stakeholders"):
            out.append((f.text, f"{f.text} {after.group(1)}"))
            continue
        if money:
            continue
        before = re.search(r"([A-Za-z][\w-]*)\s+(?:(?:is|are|was|were|of)\s+)?$", text[:i])
        if before and before.group(1).lower() not in UNDERSTOOD_WORDS \
                and not any(x < before.end(1) and before.start(1) < y for x, y in known):
            out.append((f.text, text[before.start(1):i + len(f.text)].strip()))
    return out


# ---------------------------------------------------------------- follow-ups

_FOLLOW_UP_START = re.compile(
    r"^\s*(?:and\b|but\b|only\b|just\b|now\b|what about\b|how about\b|same\b|which of (?:those|these|them)\b|"
    r"of (?:those|these)\b|those\b|these\b|compare (?:that |it |this )?(?:with|to)\b|vs\.?\b|versus\b|"
    r"filter\w* (?:to|by|for|on)\b|narrow\w* (?:to|down)\b|break (?:it|that|them|those|this) down\b|"
    r"split (?:it|that|them|those|this)\b|break (?:it |that |them |those |this )?down by\b|split (?:it |that |them )?by\b|"
    r"(?:group|broken down|grouped|cut|sliced?) by\b|by (?!the way\b)[a-z]|per [a-z]|"
    r"which (?:ones?|are|is|of them)\b|drill (?:into|in on|down (?:into|on|to)?)\b|zoom (?:into|in on)\b|"
    r"how (?:many|much) (?:is|are) (?:that|those|these|they|there)\b|how many of (?:them|those|these)\b|"
    r"(?:sort|order|rank)\w* (?:it |them |those |that )?by (?:amount|size|value|deal size)\b|(?:biggest|largest) first\b|"
    r"excluding\b|without\b)", re.I)
_REFERS_BACK = re.compile(r"\b(?:of (?:those|these|them)|those|these|that list|the same)\b", re.I)


def is_follow_up(text: str) -> bool:
    """A question that refines the last result rather than asking a new one."""
    t = text.strip()
    return bool(_FOLLOW_UP_START.search(t) or (_REFERS_BACK.search(t) and len(t.split()) <= 10))


def refine(last: ParsedQuestion, new: ParsedQuestion, as_of: date) -> ParsedQuestion:
    """The last question, changed by the follow-up: a filter on a dimension already filtered replaces it, new
    ones are added; a new period replaces the old one; 'compare with last quarter' sets the comparison period;
    'by owner' adds a breakdown."""
    from revops_cli.agents.periods import quarter_of

    filters = list(last.filters)
    for f in new.filters:
        filters = [g for g in filters if not (g.dimension == f.dimension and (f.dimension != "amount" or g.op == f.op))]
        filters.append(f)
    # "pipeline by region" then "only EMEA": one region left, so no breakdown by it
    pinned = {f.dimension for f in new.filters if f.op == "=" and f.dimension not in new.dimensions}
    out = replace(last, filters=filters, follow_up=True, unknown=list(new.unknown),
                  dimensions=list(dict.fromkeys([d for d in last.dimensions if d not in pinned] + new.dimensions)),
                  measures=list(dict.fromkeys(new.measures + last.measures)) if new.measures else list(last.measures))
    if new.shape == "comparison":
        out.shape = "comparison"
        base = last.period
        if new.period is not None and (base is None or new.period != base):
            out.compare_period = new.period
        elif base is not None:
            out.compare_period = base.previous
        else:
            cur = quarter_of(as_of)
            out.compare_period = cur.previous
    elif new.period is not None:
        out.period = new.period
    if new.dimensions and out.shape in ("number", "list"):
        out.shape = "breakdown"
    if new.limit:
        out.limit, out.shape = new.limit, "top_n"
    return out
