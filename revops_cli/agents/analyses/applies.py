"""Which of a question's filters and breakdowns each built-in analysis applies.

A filter the chosen analysis cannot apply is never dropped: the Data agent refuses the question (`ok: false`,
exit 9) and names it. `status` values an analysis is about anyway ("won" for a win rate, "open" for deals
closing) are listed under INHERENT_STATUS and count as applied.
"""

from __future__ import annotations

from typing import Any

DEAL_FILTERS = ("segment", "region", "industry", "owner", "stage", "type", "lead_source", "competitor", "account",
                "amount")

FILTERS: dict[str, tuple[str, ...]] = {
    "hygiene": DEAL_FILTERS,
    "pipeline_changes": ("segment", "region", "owner"),
    "forecast_rollup": ("segment", "region", "owner"),
    "deals_closing": DEAL_FILTERS,
    "pipeline": DEAL_FILTERS,
    "deal_risk_factors": ("segment", "region", "owner", "amount"),
    "slipped_deals": ("segment", "region", "owner", "amount"),
    "win_rate": ("segment", "region", "owner", "type"),
    "owner_leaderboard": ("segment", "region", "owner"),
    "declining_engagement": ("segment", "region", "account"),     # one account: its own usage (customers.py)
    "expansion": ("segment", "region", "account"),
    "lead_volume_by_source": ("region", "lead_source"),
    "competitor_mentions": ("competitor", "account"),
    "revenue_trend": ("segment",),
    "revenue_by_segment": (),
    "forecast_vs_target": ("segment",),
    "coverage": ("segment",),
}

INHERENT_STATUS: dict[str, tuple[str, ...]] = {
    "hygiene": ("open",),
    "pipeline_changes": ("open", "won", "lost"), "forecast_rollup": ("open", "won"),
    "deals_closing": ("open",), "pipeline": ("open",), "deal_risk_factors": ("open",), "slipped_deals": ("open",),
    "coverage": ("open",), "win_rate": ("won", "lost"), "owner_leaderboard": ("won",),
    "revenue_by_segment": ("won",), "revenue_trend": ("won",), "forecast_vs_target": ("won", "open"),
}

# Values an analysis is about anyway: "expansion opportunities" is the expansion analysis, not a type filter.
INHERENT_VALUES: dict[str, tuple[tuple[str, str], ...]] = {
    "expansion": (("type", "Expansion"),), "declining_engagement": (("type", "Renewal"),),
    "forecast_vs_target": (("forecast_category", "Commit"), ("forecast_category", "Best Case")),
    "forecast_rollup": (("forecast_category", "Commit"), ("forecast_category", "Best Case"),
                        ("forecast_category", "Pipeline")),
    "pipeline_changes": (("forecast_category", "Commit"), ("forecast_category", "Best Case"),
                         ("forecast_category", "Pipeline")),
}


# Conditions the hygiene analysis reads as its rules' settings: "no activity in 30 days" is the no_activity rule
# with 30 days, "pushed more than twice" the pushes rule, "overdue" the close-date rule.
HYGIENE_CONDITIONS = ("last_activity", "close_date_pushes", "close_date")


# The measures (model names) each analysis computes. A question naming another measure ("avg deal size in the pipe")
# is not answered by it: the model answers it, or the question is refused.
COMPUTES: dict[str, tuple[str, ...]] = {
    "deals_closing": ("pipeline", "weighted_pipeline", "deal_count", "open_deal_count"),
    "pipeline": ("pipeline", "weighted_pipeline", "deal_count", "open_deal_count"),
    "win_rate": ("win_rate", "average_deal_size", "sales_cycle_days", "deal_count", "bookings"),
    "owner_leaderboard": ("bookings", "win_rate", "deal_count", "average_deal_size"),
    "revenue_by_segment": ("revenue",),          # billing revenue: bookings (closed-won amounts) are the model's
    "revenue_trend": ("revenue",),
    "lead_volume_by_source": ("leads", "conversion_rate"),
    "slipped_deals": ("slip_count", "deal_count"),
    "competitor_mentions": ("calls",),
}


def measures_not_computed(analysis: str, measures: list[str]) -> list[str]:
    """The measures the question names that the analysis does not compute (none for analyses about a subject
    rather than a measure: risks, churn, expansion, forecast, coverage)."""
    if analysis not in COMPUTES:
        return []
    # "leads" and "calls" are nouns of qualifiers too ("deals from Webinar leads"): never a measure left over
    return [m for m in measures if m not in COMPUTES[analysis] and m not in ("leads", "calls")]


def inherent(analysis: str, f: Any) -> bool:
    """The filter says what the analysis computes anyway (so it is applied by construction)."""
    if analysis == "hygiene" and f.dimension in HYGIENE_CONDITIONS:
        return True
    if f.dimension == "status":
        return f.value in INHERENT_STATUS.get(analysis, ())
    return (f.dimension, f.value) in INHERENT_VALUES.get(analysis, ())


# Breakdowns ("by owner") each analysis can show; time grains are the analysis' own.
DIMENSIONS: dict[str, tuple[str, ...]] = {
    "hygiene": ("owner",),
    "pipeline_changes": ("owner", "team", "segment", "forecast_category"),
    "forecast_rollup": ("owner", "team"),
    "deals_closing": ("owner", "region", "segment", "industry", "stage", "type", "lead_source", "account"),
    "pipeline": ("owner", "region", "segment", "industry", "stage", "type", "lead_source", "account", "quarter"),
    "win_rate": ("segment", "owner"),
    "owner_leaderboard": ("owner",),
    "revenue_by_segment": ("segment",),
    "revenue_trend": ("month",),
    "lead_volume_by_source": ("lead_source",),
    "competitor_mentions": ("competitor", "account"),
    "forecast_vs_target": ("segment",),
    "coverage": ("segment",),
    "deal_risk_factors": (),
    "slipped_deals": (),
    "declining_engagement": ("account",),
    "expansion": ("account",),
}


def not_applied(analysis: str, filters: list[Any], dimensions: list[str]) -> list[str]:
    """The filters and breakdowns of the question this analysis cannot apply, as the user would say them."""
    out = []
    for f in filters:
        if inherent(analysis, f):
            continue
        if f.dimension == "status":
            if f.value not in INHERENT_STATUS.get(analysis, ()):
                out.append(f"{f.value} ({f.text})" if f.text and f.text.lower() != str(f.value) else str(f.value))
        elif f.dimension not in FILTERS.get(analysis, ()):
            out.append(f.label())
    seen_multi: dict[str, set[str]] = {}
    for f in filters:
        if inherent(analysis, f):
            continue
        if f.op == "=" and f.dimension != "stage" and not (f.dimension == "competitor" and analysis == "competitor_mentions"):
            seen_multi.setdefault(f.dimension, set()).add(str(f.value))
    for dim, vals in seen_multi.items():
        if len(vals) > 1 and dim not in ("status",):
            out.append(f"{dim} {' or '.join(sorted(vals))} (one {dim} at a time)")
    for d in dimensions:
        if d not in DIMENSIONS.get(analysis, ()):
            out.append(f"by {d.replace('_', ' ')}")
    return out


def understood_by(analysis: str, phrase: str) -> bool:
    """A phrase the question parser could not place that the analysis reads itself: the hygiene analysis reads
    its rules' phrases ("no activity in 30 days", "without an economic buyer", "pushed 3 times")."""
    if analysis == "hygiene":
        from revops_cli.hygiene.asked import understands

        return understands(phrase)
    return False
