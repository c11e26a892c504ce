"""Ad-hoc questions over the semantic model (issue 13 part 2): a question that parses completely into measures ×
dimensions × filters × period × shape, and that no built-in analysis answers with all its filters, is compiled
by the measure planner (revops_cli/model/planner.py) and run through the one query path
(revops_cli/warehouse/queries.py).

    "average sales cycle for mid-market deals"
      -> ModelQuery(measures=["sales_cycle_days", "won_deal_count"], filters=[segment = Mid-Market])
      -> "Average sales cycle (days) · won deals · segment Mid-Market · any close date · 38 deals"

`plan(parsed, text)` returns an `AdhocPlan`, or a `Refusal` naming what the model cannot express (the Data agent
then answers ok:false, exit 9: never a number for a different question). `answer(ctx, plan)` runs it and writes
the answer: the interpretation line first, a number or a short table, and `data.receipt` (measures with their
definitions, filters, period, the SQL).

Shapes: one number; a breakdown (`by region`); top/bottom N; a comparison of two periods ("compare Q3 and Q4
bookings by region"); a trend (`for the last four quarters`, `by month`); a threshold on the measure per group
("which reps have more than $2M open").
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from revops_cli.models import Answer, jsonable

# The user's words for each measure, for the interpretation line.
TITLES = {
    "pipeline": "Open pipeline", "weighted_pipeline": "Weighted pipeline", "bookings": "Bookings",
    "deal_count": "Deals", "open_deal_count": "Open deals", "won_deal_count": "Won deals", "win_rate": "Win rate",
    "average_deal_size": "Average deal size", "sales_cycle_days": "Average sales cycle (days)",
    "slip_count": "Deals pushed", "revenue": "Revenue", "arr": "ARR", "mrr": "MRR", "usage_queries": "Queries run",
    "engine_hours": "Engine hours", "calls": "Calls", "leads": "New leads", "conversion_rate": "Lead conversion rate",
    "net_revenue_retention": "Net revenue retention", "churned_arr": "Churned ARR",
    "pipeline_created": "Pipeline created", "created_deal_count": "Deals created",
    "customers": "Customers", "churned_customers": "Churned customers", "lost_deal_count": "Lost deals",
    "average_open_deal_size": "Average open deal size", "deal_amount": "Deals",
    "gross_revenue_retention": "Gross revenue retention", "new_logos": "New logos",
}
# The count each measure's line ends with: (count measure, noun)
_COUNT_OF = {
    "pipeline": ("open_deal_count", "deal"), "weighted_pipeline": ("open_deal_count", "deal"),
    "open_deal_count": ("open_deal_count", "deal"), "bookings": ("won_deal_count", "deal"),
    "average_deal_size": ("won_deal_count", "deal"), "sales_cycle_days": ("won_deal_count", "deal"),
    "won_deal_count": ("won_deal_count", "deal"), "deal_count": ("deal_count", "deal"),
    "pipeline_created": ("created_deal_count", "deal"), "created_deal_count": ("created_deal_count", "deal"),
    "leads": ("leads", "lead"), "conversion_rate": ("leads", "lead"), "calls": ("calls", "call"),
    "customers": ("customers", "customer"), "churned_customers": ("churned_customers", "customer"),
    "average_open_deal_size": ("open_deal_count", "deal"), "lost_deal_count": ("lost_deal_count", "deal"),
    "deal_amount": ("deal_count", "deal"), "new_logos": ("new_logos", "account"),
}
# What the status words mean for each opportunity measure: the measure itself, or a swap, or a contradiction.
_OPEN = {"pipeline", "weighted_pipeline", "open_deal_count", "average_open_deal_size"}
_WON = {"bookings", "average_deal_size", "sales_cycle_days", "won_deal_count", "new_logos"}
_LOST = {"lost_deal_count", "churned_customers", "churned_arr"}         # "logos we lost" are churned customers
_STATUS_SWAP = {("deal_count", "open"): "open_deal_count", ("deal_count", "won"): "won_deal_count",
                ("deal_count", "lost"): "lost_deal_count", ("average_deal_size", "open"): "average_open_deal_size"}
_SCOPE = {"sales_cycle_days": "won deals", "average_deal_size": "won deals", "win_rate": "closed deals"}
_STATUS_WORD = {"open": "open deals", "won": "won deals", "lost": "lost deals"}
_PERIOD_WORD = {"close_date": "close date", "created_date": "created", "month": "billing month",
                "started_at": "started", "usage_date": "usage date", "changed_at": "pushed"}
_SUBJECT = re.compile(r"\b(?:which|what|top|bottom|biggest|largest|best|worst|\d+)\s+(reps?|owners?|aes?|sellers?|"
                      r"accounts?|customers?|regions?|segments?|industr(?:y|ies)|verticals?|stages?|sources?|"
                      r"lead sources?|competitors?)\b", re.I)
_SUBJECT_DIM = {"rep": "owner", "owner": "owner", "ae": "owner", "seller": "owner", "account": "account",
                "customer": "account", "region": "region", "segment": "segment", "industry": "industry",
                "industrie": "industry", "vertical": "industry", "stage": "stage", "source": "lead_source",
                "lead source": "lead_source", "competitor": "competitor"}
_HAVE = re.compile(r"\b(?:have|has|with|carry|carrying|hold|holding|own|owning)\b", re.I)
_CREATED = re.compile(r"\b(?:pipeline|pipe)\s+(?:created|generated|sourced|added|built)\b|\bnew pipeline\b", re.I)
# "NRR for the last four quarters", "in each of the last 6 months": one value per bucket ("over the last 12
# months" is one figure for the whole window)
_LAST_N = re.compile(r"\b(?:for|in each of|each of)\s+the\s+(?:last|past|previous)\s+(\w+)\s+(quarters|months|weeks|years)\b",
                     re.I)
_COMPARE_SPLIT = re.compile(r"\b(?:and|vs\.?|versus|with|to|against)\b", re.I)
# Measures of what is still open (a period may lie ahead); every other measure counts what has happened.
FORWARD = {"pipeline", "weighted_pipeline", "open_deal_count", "deal_count", "average_open_deal_size", "deal_amount"}
# Stock measures: with no period they count what stands now (open deals whatever their close date, customers).
STOCK = {"pipeline", "weighted_pipeline", "open_deal_count", "average_open_deal_size", "customers"}
# The deals themselves, when a question names deals and no measure: "renewals due in the next 90 days over $100K"
_DEAL_NOUN = re.compile(r"\b(?:deals?|opportunit(?:y|ies)|opps?|renewals?|losses|wins|upsells?)\b", re.I)
# "what's the biggest deal in the pipeline?": the one largest deal (a number asks for the top N: _TOP)
_ONE_BIGGEST = re.compile(r"\b(?:the\s+)?(?:biggest|largest)\s+(?:open\s+|won\s+|lost\s+)?(?:deal|opportunity|opp)\b(?!s)",
                          re.I)
_RANKED_SUBJECT = re.compile(r"\b(customers?|accounts?|reps?|owners?|aes?|sellers?|regions?|segments?|industr(?:y|ies)|"
                             r"sources?)\s+(?:with|that have|having)\s+the\s+(?:lowest|highest|least|most|fewest|biggest|"
                             r"smallest|largest|best|worst)\b", re.I)
# Counts of accounts that are events (churned, won for the first time): asked without "how many", the accounts
_ACCOUNT_EVENTS = {"churned_customers", "new_logos"}
_HOW_MANY = re.compile(r"\bhow many\b|\bnumber of\b|\bcounts?\b|#|\btotal\b|\bby (?:month|quarter|week|year)\b", re.I)
_HOW_MUCH = re.compile(r"\bhow much\b|\bwhat(?:'s| is) the (?:value|amount)\b|\bworth\b", re.I)
_LOSE_TO = re.compile(r"\b(?:who|which competitors?|what competitors?)\b[^?]*\b(?:los(?:e|t|ing)\s+(?:to|against)|"
                      r"cost(?:s|ing)?\s+us|beat(?:s|ing)?\s+us|took|takes|tak(?:en|ing)\s+(?:the\s+)?(?:most\s+)?"
                      r"(?:deals|business))\b|"
                      r"\blos(?:e|t|ing)\s+(?:to|against)\s+(?:the\s+)?most\b|\blosses by competitor\b", re.I)
# Money asked for, not a count: "how much $ did we lose to databricks", "which competitor cost us the most $"
_MONEY_ASKED = re.compile(r"\$(?!\s*\d)|\bhow much\b|\bamounts?\b|\bdollars?\b|\bworth\b|\bvalue\b|\bacv\b|"
                          r"\bcost(?:s|ing)?\s+us\b", re.I)
_WON_VS_LOST = re.compile(r"\b(?:won|wins)\s+(?:vs\.?|versus|and|or|against)\s+(?:lost|losses)\b|"
                          r"\b(?:lost|losses)\s+(?:vs\.?|versus|and|or|against)\s+(?:won|wins)\b", re.I)
# A customer's state the `customers` count cannot see: those questions belong to the customer analyses.
_CUSTOMER_STATE = re.compile(r"\b(?:risk\w*|declin\w*|churn\w*|grow\w*|grew|usage|expan\w*|upsell\w*|health\w*|"
                             r"engag\w*|renew\w*)\b", re.I)
# Filters that only the model applies (no built-in analysis reads them): conditions on each deal.
MODEL_FILTERS = ("close_date_pushes", "last_activity", "close_date", "lead_status")
ADDITIVE_FORMATS = ("money", "count")
# Run rates: with no period they are the last whole month's ("what's our ARR?"), never all billing ever.
RUN_RATE = {"arr", "mrr"}
# Built-in analyses whose subject no measure captures: a question they refuse is not re-read as a measure.
NOT_A_MEASURE = ("competitor_mentions", "declining_engagement", "expansion", "deal_risk_factors", "slipped_deals",
                 "forecast_vs_target", "coverage")
# The measures a built-in analysis shows for each group of a breakdown ("pipeline by stage": open amount per stage)
BREAKDOWN_MEASURES = {"pipeline": {"pipeline"}, "deals_closing": {"pipeline"},
                      "win_rate": {"win_rate"}, "owner_leaderboard": {"bookings"}, "revenue_by_segment": {"revenue"},
                      "lead_volume_by_source": {"leads", "conversion_rate"}}
# Measures no built-in analysis computes: the question goes to the model even when an analysis was chosen.
MODEL_ONLY = ("arr", "mrr", "pipeline_created", "net_revenue_retention", "gross_revenue_retention", "new_logos",
              "churned_arr", "created_deal_count", "churned_customers",
              "lost_deal_count", "average_open_deal_size")


@dataclass
class Refusal:
    """Why the question is not a model query: what the user said that the model cannot express."""

    missing: list[str]


@dataclass
class AdhocPlan:
    text: str
    parsed: Any                                         # understanding.ParsedQuestion
    measures: list[str]
    dimensions: list[str] = field(default_factory=list)  # model dimensions, `time:grain` for a trend
    filters: list[Any] = field(default_factory=list)     # planner.Filter
    labels: list[str] = field(default_factory=list)      # the filters as the interpretation line says them
    period: Any = None                                   # periods.Period
    compare_period: Any = None
    limit: int | None = None
    descending: bool = True
    threshold: tuple[str, float] | None = None           # (op, value) on the first measure, per group
    count: tuple[str, str] | None = None                 # (count measure, noun)
    share_of: tuple[str, Any] | None = None              # (dimension, value): that part's share of the total
    notes: list[str] = field(default_factory=list)       # what the reader must know (a deal counted per competitor)

    def model_query(self, period: Any = None):
        from revops_cli.model.planner import ModelQuery

        period = period if period is not None else self.period
        measures = list(self.measures)
        if self.count and self.count[0] not in measures:
            measures.append(self.count[0])
        order = [f"-{self.measures[0]}"] if self.dimensions and not any(d.startswith("time:") for d in self.dimensions) \
            else []
        if order and not self.descending:
            order = [self.measures[0]]            # "which segment has the shortest cycle": smallest first
        return ModelQuery(measures=measures, dimensions=list(self.dimensions), filters=list(self.filters),
                          period=(period.start, period.end) if period is not None else None, order=order,
                          limit=self.limit if self.threshold is None else None)


def money_asked(text: str) -> bool:
    """The question asks for money, not a count ('how much did we lose to snowflake', 'cost us the most $')."""
    return bool(_MONEY_ASKED.search(text))


def deal_rows(model: Any) -> list[str]:
    """The dimensions of a list of deals: one row per opportunity (its id, hidden) with its name shown, so two
    deals of one name ('Acme - Renewal 2026' won twice) stay two rows."""
    return ["deal_id", "deal"] if "deal_id" in model.dimensions else ["deal"]


HIDDEN_DIMENSIONS = ("deal_id",)       # grouping keys a table does not show


def wants_model(parsed: Any) -> bool:
    """The question names a measure only the model computes ('pipeline created', 'NRR')."""
    return any(m in MODEL_ONLY for m in parsed.measures)


def subject_of(text: str) -> tuple[re.Match | None, str | None]:
    """'which reps …', 'top 3 industries …': the dimension the question ranks or lists."""
    subject = _SUBJECT.search(text)
    if not subject:
        return None, None
    word = subject.group(1).lower()
    word = word[:-1] if word.endswith("s") and word[:-1] in _SUBJECT_DIM else word
    return subject, _SUBJECT_DIM.get(word)


def beyond(parsed: Any, text: str, analysis: str) -> bool:
    """The question asks for a shape or a ranking the built-in analysis does not give: a share of a total, the
    top N of a dimension, or the reps/sources/industries ranked when the analysis cannot break down by them."""
    from revops_cli.agents.analyses.applies import DIMENSIONS

    if _LOSE_TO.search(text):
        return True                 # "which competitors do we lose to": lost deals by competitor, not call mentions
    if analysis in NOT_A_MEASURE or not parsed.measures and parsed.filter("status") is None:
        return False
    if parsed.shape == "share" or _WON_VS_LOST.search(text) or _ONE_BIGGEST.search(text):
        return True
    if parsed.compare_period is not None and analysis in ("revenue_by_segment", "revenue_trend") \
            and parsed.compare_period.start != parsed.period.start.replace(year=parsed.period.start.year - 1):
        return True                 # they compare with a year earlier; "the quarter before" is the model's
    groups = [d for d in parsed.dimensions if d not in ("quarter", "month", "week", "year")]
    if groups and parsed.measures and analysis in BREAKDOWN_MEASURES \
            and not set(parsed.measures) & BREAKDOWN_MEASURES[analysis]:
        return True                 # "deal count by segment": the analysis breaks down amounts, not this measure
    _, dim = subject_of(text)
    if dim is None and parsed.limit and groups:
        dim = groups[0]             # "who has the most pipeline": the top owner (understanding.ranked_subject)
    if dim is None:
        return False
    if parsed.limit and analysis != "owner_leaderboard":
        return True
    return dim not in DIMENSIONS.get(analysis, ())


def plan(parsed: Any, text: str, model: Any, as_of: Any, fiscal_start_month: int = 1) -> AdhocPlan | Refusal | None:
    """The question as a model query; None when it names no measure (not an ad-hoc question); a Refusal when a
    part of it cannot be expressed."""
    from revops_cli.agents.periods import parse_period
    from revops_cli.model.planner import Filter as MF

    measures = [m for m in parsed.measures if m in model.measures]
    if {"net_revenue_retention", "gross_revenue_retention", "churned_arr"} & set(measures) and "revenue" in measures:
        measures.remove("revenue")
    if "open_deal_count" in measures and "deal_count" in measures:
        measures.remove("deal_count")
    if "pipeline_created" in measures and "pipeline" in measures:
        measures.remove("pipeline")
    for counted in ("deal_count", "open_deal_count"):
        if "created_deal_count" in measures and counted in measures:
            measures.remove(counted)        # "how many open deals did we create": the created ones, still open
    status = parsed.filter("status")
    subject, subject_dim = subject_of(text)
    amounts = [f for f in parsed.filters if f.dimension == "amount"]
    threshold = None
    if subject_dim and amounts and _HAVE.search(text[subject.end():]):
        # "which reps have more than $2M open": a threshold on each rep's total, not on each deal
        if not measures and status is not None and status.value == "open":
            measures = ["pipeline"]
        if len(amounts) == 1 and amounts[0].op in (">=", "<=", "<"):
            threshold = (amounts[0].op, float(amounts[0].value))
    if "pipeline" in measures and {"average_deal_size", "average_open_deal_size"} & set(measures):
        measures.remove("pipeline")            # "avg deal size in the pipe": the pipe is the scope (open deals)
    conditions = {f.dimension for f in parsed.filters}
    if "close_date_pushes" in conditions and "slip_count" in measures:
        measures.remove("slip_count")          # "deals pushed more than twice": the deals, not a count of pushes
    if "customers" in measures and (len(measures) > 1 or _CUSTOMER_STATE.search(text)):
        measures.remove("customers")           # "customers at risk", "customers churned": not the customer count
    # status words read as row filters (a list of deals, won vs lost); None: the measures' own scope
    scope_status: str | None = None
    extra_dims: list[str] = []
    if _LOSE_TO.search(text) and (not measures or set(measures) <= {"deal_count", "lost_deal_count"}):
        if _MONEY_ASKED.search(text) and "deal_count" not in measures:
            # "which competitor cost us the most $": the lost amount per competitor
            measures, subject_dim, status, scope_status = ["deal_amount", "deal_count"], "competitor", None, "lost"
        else:
            measures, subject_dim, status = ["lost_deal_count"], "competitor", None     # "who do we lose to most?"
    elif _WON_VS_LOST.search(text) and set(measures) <= {"deal_count"}:
        measures, extra_dims, scope_status, status = ["deal_count"], ["outcome"], "closed", None
    elif _ONE_BIGGEST.search(text) and set(measures) <= {"pipeline", "bookings", "deal_count"}:
        value = status.value if status is not None else "won" if "bookings" in measures else "open"
        measures, scope_status, status, extra_dims = ["deal_amount", "deal_count"], value, None, deal_rows(model)
    elif not measures and threshold is None:
        words = _DEAL_NOUN.search(text) or conditions & {"close_date_pushes", "last_activity", "close_date"}
        in_stage = parsed.filter("stage") is not None or (
            (parsed.filter("owner") is not None or parsed.filter("team_of") is not None) and _HAVE.search(text))
        if parsed.filter("forecast_category") is not None \
                or ((words or in_stage or status is not None) and _HOW_MUCH.search(text)) \
                or (status is not None and status.value == "lost" and _MONEY_ASKED.search(text)):
            # "emea commit", "how much is up for renewal": the amount of the deals
            value = status.value if status is not None else "open"
            measures = {"open": ["pipeline"], "won": ["bookings"]}.get(value, ["deal_amount"])
            scope_status, status = (value, None) if value == "lost" else (None, status)
        elif words:
            # the deals themselves: open unless the question says won or lost
            measures, scope_status = ["deal_amount", "deal_count"], status.value if status is not None else "open"
            status = None
            if subject_dim is None:
                extra_dims = deal_rows(model)
    if not measures:
        return None
    ranked = _RANKED_SUBJECT.search(text)
    if subject_dim is None and not parsed.dimensions and ranked and not parsed.limit:
        # "customers with the lowest usage", "reps with the most bookings": ranked, the first ten
        subject_dim = _SUBJECT_DIM.get(ranked.group(1).lower().rstrip("s"), None)
        rank_limit = 10 if subject_dim else None
    else:
        rank_limit = None
    if subject_dim is None and not parsed.dimensions and measures and set(measures) <= _ACCOUNT_EVENTS \
            and not _HOW_MANY.search(text):
        subject_dim = "account"       # "churned logos in the last 6 months", "new logos this quarter": which ones
    if parsed.unknown and not [m for m in parsed.measures if m in measures]:
        return None      # no measure named and words not understood: the analysis' own refusal names them
    if measures == ["deal_count"] and status is None and scope_status is None and parsed.period is None:
        measures = ["open_deal_count"]        # "deal count by segment": the deals open now
    unknown = list(parsed.unknown)
    if any(m in ("pipeline_created", "created_deal_count") for m in measures):
        unknown = [u for u in unknown if not re.match(r"(?:created|opened|added)\b", u, re.I)]
    if unknown:
        return Refusal(unknown)
    if len(measures) > 1 and not all(m in _OPEN | _WON | {"deal_count"} for m in measures):
        measures = measures[:1] if len({model.measures[m].entity for m in measures}) > 1 else measures
    missing: list[str] = []
    labels: list[str] = []
    filters: list[Any] = []
    if scope_status is not None:
        filters += {"open": [MF("opportunities.is_closed", "=", False)], "won": [MF("opportunities.is_won", "=", True)],
                    "lost": [MF("opportunities.is_closed", "=", True), MF("opportunities.is_won", "=", False)],
                    "closed": [MF("opportunities.is_closed", "=", True)]}[scope_status]
        labels.append(f"{scope_status} deals")
    if status is not None:
        opp = [m for m in measures if model.measures[m].entity == "opportunities"]
        if any(m not in opp and not _in_scope(m, status.value) for m in measures):
            missing.append(f"{status.value} ({status.text})")
        for i, m in enumerate(list(measures)):
            if (m, status.value) in _STATUS_SWAP:
                measures[i] = _STATUS_SWAP[(m, status.value)]
            elif _in_scope(m, status.value):
                continue
            elif m in ("deal_count", "pipeline_created", "created_deal_count") and status.value == "lost":
                filters += [MF("opportunities.is_closed", "=", True), MF("opportunities.is_won", "=", False)]
            elif m in ("pipeline_created", "created_deal_count") and status.value == "won":
                filters.append(MF("opportunities.is_won", "=", True))
            elif m in ("pipeline_created", "created_deal_count") and status.value == "open":
                filters.append(MF("opportunities.is_closed", "=", False))
            else:
                missing.append(f"{status.value} ({status.text}) with {TITLES.get(m, m).lower()}")
        measures = list(dict.fromkeys(measures))
        if not all(_in_scope(m, status.value) for m in measures):
            labels.append(_STATUS_WORD[status.value])      # never "Lost deals · lost deals": the title says it
    # two values of one dimension ("referral vs outbound", "emea and apac"): either of them, not both at once
    several = {}
    for f in parsed.filters:
        if f.op == "=" and f.dimension in model.dimensions:
            several.setdefault(f.dimension, []).append(f.value)
    several = {d: list(dict.fromkeys(v)) for d, v in several.items() if len(set(v)) > 1}
    groups_compared = [d for d in several if parsed.shape == "comparison" and parsed.compare_period is None]
    for d, values in several.items():
        filters.append(MF(d, "in", values))
        labels.append(f"{d.replace('_', ' ')} {' or '.join(str(v) for v in values)}")
    for f in parsed.filters:
        if f.dimension == "status" or f.dimension in several:
            continue
        if f.dimension == "amount":
            if threshold is not None:
                continue
            if f.op == "between":
                filters.append(MF("opportunities.amount", "between", list(f.value)))
            else:
                filters.append(MF("opportunities.amount", f.op, f.value))
        elif f.dimension in ("close_date_pushes", "last_activity", "close_date"):
            if any(model.measures[m].entity != "opportunities" for m in measures):
                missing.append(f.label())
                continue
            column = {"close_date_pushes": "close_date_pushes", "last_activity": "opportunities.last_activity_date",
                      "close_date": "opportunities.close_date"}[f.dimension]
            filters.append(MF(column, f.op, f.value))
        elif f.dimension == "competitor":
            filters.append(MF("competitor", "contains", f.value))
        elif f.dimension == "team_of" and f.members and "owner" in model.dimensions:
            filters.append(MF("owner", "in", list(f.members)))
        elif f.dimension == "stage" and isinstance(f.value, list):
            filters.append(MF("stage", "in", list(f.value)))
        elif f.dimension in model.dimensions and f.op == "=":
            filters.append(MF(f.dimension, "=", f.value))
        else:
            missing.append(f.label())
            continue
        labels.append(f.label())
    dims: list[str] = []
    for d in parsed.dimensions:
        if d in ("quarter", "month", "week", "year"):
            dims.append(f"time:{d}")
        elif d in model.dimensions:
            dims.append(d)
        else:
            missing.append(f"by {d.replace('_', ' ')}")
    if subject_dim and subject_dim not in dims and not any(f.field == subject_dim for f in filters):
        dims.insert(0, subject_dim)
    dims = [d for d in groups_compared if d not in dims] + dims       # "smb vs enterprise": side by side
    dims += [d for d in extra_dims if d not in dims]
    notes: list[str] = []
    if "competitor" in dims:
        notes.append("A deal with several competitors counts once for each; deals with no competitor are left out.")
    share_of = None
    if parsed.shape == "share":
        # "what share of open pipeline comes from partners?": the whole, by the filtered dimension, and that part
        eq = [f for f in filters if f.op == "=" and f.field in model.dimensions]
        if not eq or any(model.measures[m].format not in ADDITIVE_FORMATS for m in measures[:1]):
            missing.append("a share of what (name a part: a region, a segment, a source)")
        else:
            f = eq[-1]
            i = filters.index(f)
            filters.pop(i)
            labels = [x for x in labels if x != f"{f.field.replace('_', ' ')} {f.value}"]
            dims = [f.field] + [d for d in dims if d != f.field]
            share_of = (f.field, f.value)
    period = parsed.period
    compare = parsed.compare_period
    if period is None and measures and set(measures) <= RUN_RATE:
        period = parse_period("last month", as_of, fiscal_start_month)    # "our ARR": the last whole month's run rate
    if period is not None and any(model.measures[m].time is None for m in measures):
        missing += [f"{TITLES.get(m, m).lower()} in {period.label} (the model knows only how {m.replace('_', ' ')} "
                    "stand now)" for m in measures if model.measures[m].time is None]
    if parsed.shape == "comparison" and compare is None and "outcome" not in dims and not groups_compared:
        found = []
        for piece in _COMPARE_SPLIT.split(text):
            p = parse_period(piece, as_of, fiscal_start_month)
            if p is not None and all((p.start, p.end) != (q.start, q.end) for q in found):
                found.append(p)
        if len(found) != 2:
            missing.append("the two periods to compare")
        else:
            period, compare = found
    last_n = _LAST_N.search(text)
    if last_n and period is not None and not any(d.startswith("time:") for d in dims) and parsed.shape != "comparison":
        dims.append("time:" + last_n.group(2).lower().rstrip("s"))     # "NRR for the last four quarters": each one
    if missing:
        return Refusal(missing)
    forward = any(m in FORWARD for m in measures) and not (status is not None and status.value in ("won", "lost")
                                                          and "deal_count" in measures) \
        and scope_status in (None, "open")
    if forward and parsed.shape != "comparison":
        # what is still open lies ahead: "best case for december" asked in November is this December
        from revops_cli.agents.analyses.question import ahead_of

        period = ahead_of(period, text, as_of)
    if not forward:
        # events that have happened: "this year" is this year to date ("close date in 2026 to date · 38 deals")
        from revops_cli.agents.analyses.question import clip

        period = clip(period, as_of) if period is not None else None
        compare = clip(compare, as_of) if compare is not None else None
        compare = same_span(period, compare)
    scope = [_SCOPE[m] for m in measures if m in _SCOPE]
    if scope and scope[0] not in labels:
        labels.insert(0, scope[0])
    count = _COUNT_OF.get(measures[0]) if len(measures) == 1 or measures == ["deal_amount", "deal_count"] else None
    if "competitor" in dims:
        count = None                       # a deal counts once per competitor: no total of deals
    limit = parsed.limit if parsed.shape == "top_n" else 1 if _ONE_BIGGEST.search(text) and "deal" in dims else None
    limit = limit or rank_limit
    descending = not re.search(r"\b(?:bottom|smallest|worst|lowest|fewest|shortest|fastest|quickest)\b|(?<!\bat )\bleast\b", text, re.I)
    if limit and not dims:
        return Refusal([f"top {limit} of what (say 'by rep', 'by account')"])
    return AdhocPlan(text=text, parsed=parsed, measures=measures, dimensions=dims, filters=filters, labels=labels,
                     period=period, compare_period=compare, limit=limit, descending=descending, threshold=threshold,
                     count=count, share_of=share_of, notes=notes)


_UNIT_OF_KIND = {"ytd": "year", "year": "year"}


def same_span(period: Any, compare: Any) -> Any:
    """'bookings ytd vs last year': the year to date against a whole earlier year compares with the same span of
    that year (as the revenue analyses do), never a part against a whole. A quarter or month to date against the
    last whole one stays as asked (the line says both spans)."""
    from datetime import timedelta

    from revops_cli.agents.periods import Period

    if period is None or compare is None or compare.kind != "year" \
            or _UNIT_OF_KIND.get(period.kind) != compare.kind:
        return compare
    days = (period.end - period.start).days
    if days >= (compare.end - compare.start).days:
        return compare
    end = compare.start + timedelta(days=days)
    return Period(f"{compare.label} to {end.isoformat()}", compare.start, end, "range", compare.fiscal_start_month)


def _in_scope(measure: str, status: str) -> bool:
    """The measure counts only deals of this status already (open pipeline, won bookings, lost deals)."""
    return measure in {"open": _OPEN, "won": _WON, "lost": _LOST}.get(status, set())


def _passes(value: Any, threshold: tuple[str, float]) -> bool:
    if value is None:
        return False
    op, limit = threshold
    return value >= limit if op == ">=" else value <= limit if op == "<=" else value < limit


def _period_part(model: Any, measure: str, period: Any) -> str:
    time = model.measures[measure].time
    if time is None:
        return "now"
    word = _PERIOD_WORD.get(time, (time or "").replace("_", " "))
    if period is None and measure in STOCK:
        return f"now (any {word})"
    if period is None:
        return f"any {word}" if word not in ("created", "pushed", "started") else "any date"
    return f"{word} in {period.label}" if word not in ("created", "pushed", "started") else f"{word} {period.label}"


def _fmt_kind(fmt: str | None) -> str:
    return {"money": "money", "count": "num", "percent": "pct1", "days": "days", "number": "num"}.get(fmt or "", "")


def value_text(v: Any, fmt: str | None) -> str:
    from revops_cli.formatting import format_value

    if v is None:
        return "n/a"
    if fmt == "days":
        return f"{float(v):.1f} days"
    return format_value(v, _fmt_kind(fmt))


def _count_text(n: Any, noun: str) -> str:
    from revops_cli.agents.analyses.running import count_of

    return count_of(int(n or 0), noun)


def answer(ctx: Any, p: AdhocPlan) -> Answer:
    """Run the plan through the one query path and write the answer (interpretation line, number or table,
    receipt)."""
    from revops_cli.model.loader import load_model
    from revops_cli.warehouse.queries import run_model_query

    model = load_model(ctx.settings)
    main_plan, result = run_model_query(ctx.settings, ctx.warehouse, p.model_query())
    runs = [(main_plan, result)]
    other = None
    if p.compare_period is not None:
        other = run_model_query(ctx.settings, ctx.warehouse, p.model_query(p.compare_period))
        runs.append(other)
    first = p.measures[0]
    fmt = model.measures[first].format
    rows = result.records()
    if first in _ACCOUNT_EVENTS and "account" in main_plan.columns:
        rows = [r for r in rows if r.get(first)]          # the accounts it happened to, not every account
    if p.threshold is not None:
        rows = [r for r in rows if _passes(r.get(first), p.threshold)]
        if p.limit:
            rows = rows[:p.limit]
    dim_cols = [c for c in main_plan.columns if c not in main_plan.measures and c not in HIDDEN_DIMENSIONS]
    count_key = p.count[0] if p.count else None
    labels = list(p.labels)
    if first == "leads" and p.parsed.filter("lead_status") is not None:
        title = "Leads"                                    # "how many MQLs": leads by status, not new leads
    elif first == "deal_amount" and labels and labels[0].endswith(" deals"):
        title = labels.pop(0).capitalize()                 # "Open deals · stage Negotiate · …"
    else:
        title = " and ".join(TITLES.get(m, m.replace("_", " ")) for m in p.measures
                             if not (p.count and m == p.count[0] and m != first))
    parts = [title] + labels
    if p.threshold is not None:
        sign = {">=": "≥", "<=": "≤", "<": "<"}[p.threshold[0]]
        from revops_cli.formatting import money

        parts.append(f"{TITLES.get(first, first).lower()} {sign} {money(p.threshold[1])} per {dim_cols[0]}")
    parts += [f"by {d.split(':')[-1].replace('_', ' ')}" for d in p.dimensions
              if (p.share_of is None or d != p.share_of[0]) and not (d in ("deal", *HIDDEN_DIMENSIONS) and first == "deal_amount")
              and d not in HIDDEN_DIMENSIONS]
    if p.limit:
        parts.append(f"{'top' if p.descending else 'bottom'} {p.limit}")
    parts.append(_period_part(model, first, p.period))
    if p.compare_period is not None:
        parts.append(f"vs {p.compare_period.label}")
    summary: dict[str, Any] = {}
    compare_rows: list[dict[str, Any]] = []
    if other is not None:
        compare_rows = other[1].records()
    if not dim_cols:
        row = dict(rows[0]) if rows else {}
        for m in main_plan.measures:
            if row.get(m) is None and model.measures[m].format in ADDITIVE_FORMATS and m not in RUN_RATE:
                row[m] = 0          # a sum or count over no matching rows is 0 ("datacorp bookings this year": $0)
        summary = {m: row.get(m) for m in main_plan.measures}
        if compare_rows:
            summary["compare"] = {m: compare_rows[0].get(m) for m in main_plan.measures}
        if count_key:
            parts.append(_count_text(row.get(count_key), p.count[1]))
        what = f"Amount ({title.lower()})" if first == "deal_amount" and title.endswith(" deals") else TITLES.get(first, first)
        headline = f"{what}: **{value_text(row.get(first), fmt)}**"      # "Amount (lost deals): $756K"
        if compare_rows:
            headline += f" in {p.period.label}, against {value_text(compare_rows[0].get(first), fmt)} in " \
                        f"{p.compare_period.label}"
        headline += "."
    else:
        if count_key:
            parts.append(_count_text(sum(r.get(count_key) or 0 for r in rows), p.count[1]))
        else:
            grain = next((d.split(":")[1] for d in p.dimensions if d.startswith("time:")), None)
            parts.append(_count_text(len(rows), grain or dim_cols[0].replace("_", " ")))
        summary = {"row_count": len(rows)}
        if p.share_of is not None:
            dim, value = p.share_of
            total = sum(r.get(first) or 0 for r in rows)
            part = next((r.get(first) or 0 for r in rows if str(r.get(dim)).lower() == str(value).lower()), 0)
            share = part / total if total else None
            summary.update({"part": part, "total": total, "share": share})
            parts.insert(-1, f"share of {dim.replace('_', ' ')} {value}")
            headline = (f"{dim.replace('_', ' ').capitalize()} {value}: **{value_text(part, fmt)}** of "
                        f"{value_text(total, fmt)}, **{share * 100:.1f}%** of {TITLES.get(first, first).lower()}."
                        if share is not None else f"No {TITLES.get(first, first).lower()} to share out.")
        elif rows and dim_cols == ["account"] and first in ("customers", "churned_customers", "new_logos"):
            names = [str(r.get("account")) for r in rows[:10]]
            headline = ", ".join(names) + (f" and {len(rows) - 10} more" if len(rows) > 10 else "") + "."
        elif rows and not any(d.startswith("time:") for d in p.dimensions):
            best = rows[0]
            word = ("Biggest" if p.descending else "Smallest") if dim_cols == ["deal"] else \
                ("Highest" if p.descending else "Lowest")
            top = best.get(dim_cols[0])
            top = f"no {dim_cols[0].replace('_', ' ')}" if top is None else top
            headline = f"{word}: {top} at {value_text(best.get(first), fmt)}."
        elif rows:
            headline = " · ".join(f"{_cell(r.get(dim_cols[0]), dim_cols[0], ctx.fiscal_start_month)} "
                                  f"{value_text(r.get(first), fmt)}" for r in rows[:8])
        else:
            headline = "No rows match."
    line = " · ".join(parts)
    # the table
    shown = [m for m in main_plan.measures if not (first == "deal_amount" and m == "deal_count" and "deal" in dim_cols)]
    headers = [c.replace("time_", "").replace("_", " ") for c in dim_cols] + \
        [("Amount" if m == "deal_amount" else TITLES.get(m, m)) for m in shown]
    table_rows = []
    compare_by = {tuple(r.get(c) for c in dim_cols): r for r in compare_rows}
    if compare_rows and dim_cols:
        headers.append(f"{TITLES.get(first, first)} {p.compare_period.label}")
    fsm = ctx.fiscal_start_month
    for r in rows[:25]:
        cells = [_cell(r.get(c), c, fsm) for c in dim_cols]
        cells += [value_text(r.get(m), model.measures[m].format) for m in shown]
        if compare_rows and dim_cols:
            o = compare_by.get(tuple(r.get(c) for c in dim_cols), {})
            cells.append(value_text(o.get(first), fmt))
        table_rows.append(cells)
    notes = list(p.notes) + [f"{m}: no data here ({why})" for m, why in main_plan.unavailable.items()]
    notes += [unjoined_note(u, rows, model) for u in main_plan.unjoined]
    body = ctx.render("data_adhoc.md.j2", interpretation=line, headline=headline,
                      table={"headers": headers, "rows": table_rows if dim_cols else [],
                             "more": max(len(rows) - 25, 0)}, notes=notes)
    definitions = [{"kind": "measure", "name": m, "description": d} for m, d in main_plan.measures.items()]
    definitions += [{"kind": "dimension", "name": c, "description": d} for c, d in main_plan.dimensions.items()]
    sql = [{"sql": plan.sql, "params": jsonable(plan.params), "model_query": plan.query.to_dict() if plan.query else None,
            "cached": bool(res.cached)} for plan, res in runs]
    parsed = p.parsed
    receipt = jsonable({
        "interpretation": line,
        "analysis": ["adhoc"],
        "measures": list(main_plan.measures),
        "dimensions": list(p.dimensions),
        "filters": [f.to_dict() for f in parsed.filters],
        "period": p.period.to_dict() if p.period is not None else None,
        "compare_period": p.compare_period.to_dict() if p.compare_period is not None else None,
        "shape": parsed.shape,
        "sql": sql,
        "definitions": definitions,
        "missing": dict(main_plan.missing), "approximations": dict(main_plan.approximations),
        "unavailable": dict(main_plan.unavailable),
        "unjoined": [u.to_dict() for u in main_plan.unjoined],
        "freshness": {"as_of": ctx.as_of.isoformat(), "warehouse": getattr(ctx.warehouse, "kind", None),
                      "from_cache": all(q["cached"] for q in sql)},
        "not_understood": [],
        "follow_up": parsed.follow_up,
    })
    ctx.trace.note("data", f"ad-hoc model query: {main_plan.query.to_dict() if main_plan.query else p.measures}")
    data = {"analysis": "adhoc", "question": parsed.to_dict(), "interpretation": line, "receipt": receipt,
            "summary": jsonable(summary), "rows": jsonable(rows[:200]), "row_count": len(rows),
            "compare_rows": jsonable(compare_rows[:200]) if compare_rows else None,
            "period": p.period.to_dict() if p.period is not None else None,
            "compare_period": p.compare_period.to_dict() if p.compare_period is not None else None}
    sources = [{"type": "model_query", "measures": list(main_plan.measures), "sql": main_plan.sql}]
    return Answer(agent="data", text=body, data=data, sources=sources)


def unjoined_note(u, rows: list[dict[str, Any]], model) -> str:
    """'Leads with no region: 1,204 — the mapping has no leads.converted_account_id (…)': a dimension a measure
    reaches through a join key the model declares missing (model/planner.py, `Unjoined`). The amount is the
    measure's total over the rows without that dimension, where the measure adds up (a SUM or COUNT)."""
    from revops_cli.model.planner import additive

    m = model.measures[u.measure]
    empty = [r.get(u.measure) for r in rows if r.get(u.dimension) is None]
    what = f"{TITLES.get(u.measure, u.measure)} with no {u.dimension.replace('_', ' ')}"
    why = f"the mapping has no {u.key} ({u.why})"
    if empty and additive(m):
        return f"{what}: {value_text(sum(v or 0 for v in empty), m.format)}, because {why}."
    return f"{what}: every row, because {why}."


def _cell(v: Any, column: str = "", fiscal_start_month: int = 1) -> str:
    """A table cell; a time bucket by its label ('Q3 2026', 'October 2026')."""
    from revops_cli.formatting import format_value

    grain = column.rsplit("_", 1)[-1]
    if hasattr(v, "isoformat") and grain in ("month", "quarter", "year", "week"):
        from revops_cli.agents.periods import bucket_of

        return bucket_of(v, grain, fiscal_start_month).label
    return format_value(v, "date") if hasattr(v, "isoformat") else format_value(v)
