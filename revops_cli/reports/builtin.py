"""The built-in reports: the questions RevOps asks every Monday.

Every section is a question to the Data agent with its analysis pinned (so the wording can never route it
elsewhere); the numbers, headline and bullets are the agent's. Charts are built here from the section's
rows, sometimes with one more pattern run (usage per week, competitor mentions per month).

    pipeline     forecast vs target (gap), coverage of the remaining target, open pipeline by quarter and stage
    at-risk      risk factors of the deals closing this quarter, and the deals that slipped
    churn        customers whose usage fell, with a usage trend of the biggest ones
    expansion    customers whose usage grew with no expansion deal, and their spend headroom
    competitors  competitor mentions in sales calls, and mentions per month
    leads        new leads by source, with the funnel (MQL, SQL, converted)
    pipeline-changes  what changed since a date (--since 7d): the deals, the pipeline bridge, by rep, team,
                 segment and forecast category
    forecast-rollup   per rep and team: closed won, commit, best case, pipeline, CRM-weighted vs
                 evidence-adjusted, the deals that make the gap, soft commit, against target
    hygiene      open deals breaking the hygiene rules (hygiene.yaml): by rule, by owner, and the deals
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from revops_cli.reports.engine import Chart, ChartInput, Column, ReportDef, SectionDef, num

# ----------------------------------------------------------------------------------------------------------
# Charts
# ----------------------------------------------------------------------------------------------------------


def forecast_chart(inp: ChartInput) -> Chart | None:
    segs = [r for r in inp.rows if r.get("segment") != "Total" and r.get("bookings_target") is not None]
    if not segs:
        return None
    x = [str(r["segment"]) for r in segs]
    return Chart("forecast-vs-target", "bar", "Forecast vs target by segment", x, [
        {"name": "Target", "values": [num(r.get("bookings_target")) for r in segs]},
        {"name": "Closed won", "values": [num(r.get("closed_won_amount")) for r in segs]},
        {"name": "Forecast at commit", "values": [num(r.get("commit_forecast_amount")) for r in segs]},
        {"name": "Forecast at best case", "values": [num(r.get("best_case_forecast_amount")) for r in segs]},
    ], y_format="money")


def coverage_chart(inp: ChartInput) -> Chart | None:
    """Per segment: the target, what is closed, and the open pipeline (raw and weighted) that could cover the rest."""
    rows = [r for r in inp.rows if r.get("segment") != "Total" and r.get("bookings_target") is not None]
    if not rows:
        return None
    return Chart("coverage", "bar", "Closed won and open pipeline against the target",
                 [str(r["segment"]) for r in rows], [
                     {"name": "Target", "values": [num(r.get("bookings_target")) for r in rows]},
                     {"name": "Closed won", "values": [num(r.get("closed_won_amount")) for r in rows]},
                     {"name": "Open pipeline", "values": [num(r.get("open_pipeline_amount")) for r in rows]},
                     {"name": "Weighted pipeline", "values": [num(r.get("weighted_pipeline_amount")) for r in rows]},
                 ], y_format="money")


def pipeline_chart(inp: ChartInput) -> Chart | None:
    if not inp.rows:
        return None
    quarters = sorted({str(r["close_quarter"]) for r in inp.rows})
    prob: dict[str, float] = {}
    for r in inp.rows:
        prob[r["stage"]] = max(prob.get(r["stage"], 0.0), num(r.get("stage_probability")))
    stages = sorted(prob, key=lambda s: (prob[s], s))
    amount = {(str(r["close_quarter"]), r["stage"]): num(r.get("total_amount")) for r in inp.rows}
    return Chart("pipeline-by-stage", "stacked", "Open pipeline by close quarter and stage", quarters,
                 [{"name": s, "values": [amount.get((q, s), 0.0) for q in quarters]} for s in stages],
                 y_format="money")


def risk_chart(inp: ChartInput) -> Chart | None:
    factors = inp.figures.get("factors") or {}
    ranked = sorted((f for f in factors.values() if f.get("deal_count")), key=lambda f: (-num(f["amount"]), f["label"]))
    if not ranked:
        return None
    return Chart("risk-factors", "hbar", "Open amount touched by each risk factor",
                 [f"{f['label']} ({f['deal_count']})" for f in ranked],
                 [{"name": "Amount", "values": [num(f["amount"]) for f in ranked]}], y_format="money")


def _last_full_week_end(day: date) -> date:
    """The Sunday that ends the last complete Monday-Sunday week on or before `day`."""
    return day if day.weekday() == 6 else day - timedelta(days=day.weekday() + 1)


def usage_trend_chart(inp: ChartInput, accounts: int = 5, weeks: int = 12) -> Chart | None:
    """Weekly engine hours of the biggest declining accounts, as an index (first week = 100)."""
    top = sorted((r for r in inp.rows if r.get("account_id")), key=lambda r: (-num(r.get("arr")), r["account_id"]))
    top = top[:accounts]
    if not top:
        return None
    end = _last_full_week_end(inp.as_of)
    start = end - timedelta(days=7 * weeks - 1)
    points = [(start + timedelta(days=7 * i)).isoformat() for i in range(weeks)]
    series = []
    for acc in top:
        rows = inp.run_pattern("usage_trend_for_account", account=acc["account_id"], start_date=start,
                               end_date=end, grain="week")
        by_week = {str(r["period_start"])[:10]: num(r.get("engine_hours")) for r in rows
                   if r.get("account_id") == acc["account_id"]}
        values = [by_week.get(p) for p in points]
        base = next((v for v in values if v), None)
        name = str(acc.get("account_name") or acc["account_id"])
        series.append({"name": name if len(name) <= 30 else name[:29] + "…",
                       "values": [None if v is None or not base else round(100.0 * v / base, 2) for v in values]})
    title = (f"Weekly engine hours of {series[0]['name']}" if len(series) == 1 else
             f"Weekly engine hours of the {len(series)} largest declining accounts (by ARR)")
    return Chart("usage-trend", "line", title, [p[5:] for p in points], series, y_format="num",
                 y_label="index, first week = 100")


def expansion_chart(inp: ChartInput) -> Chart | None:
    rows = sorted((r for r in inp.rows if num(r.get("spend_headroom")) > 0),
                  key=lambda r: (-num(r.get("spend_headroom")), str(r.get("account_name"))))[:10]
    if not rows:
        return None
    return Chart("expansion-headroom", "hbar", "Spend headroom of the expansion candidates",
                 [str(r["account_name"]) for r in rows],
                 [{"name": "Headroom", "values": [num(r["spend_headroom"]) for r in rows]}], y_format="money")


def _month_starts(day: date, months: int) -> list[date]:
    """The first days of the `months` complete months before `day`'s month, oldest first."""
    out = []
    d = day.replace(day=1)
    for _ in range(months):
        d = (d - timedelta(days=1)).replace(day=1)
        out.append(d)
    return list(reversed(out))


def competitor_trend_chart(inp: ChartInput, months: int = 6) -> Chart | None:
    competitors = list(inp.figures.get("competitors_checked") or [])
    if not competitors:
        return None
    starts = _month_starts(inp.as_of, months)
    counts: dict[str, list[float]] = {c: [] for c in competitors}
    for s in starts:
        e = (s.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
        rows = inp.run_pattern("competitor_mentions", start_date=s, end_date=e, competitors=competitors)
        found = {r["competitor"]: num(r.get("mention_call_count")) for r in rows}
        for c in competitors:
            counts[c].append(found.get(c, 0.0))
    return Chart("competitor-mentions", "line", f"Calls mentioning each competitor, per month ({months} complete months)",
                 [s.strftime("%Y-%m") for s in starts],
                 [{"name": c, "values": counts[c]} for c in competitors], y_format="num", y_label="calls")


def leads_chart(inp: ChartInput) -> Chart | None:
    rows = inp.rows
    if not rows:
        return None

    def n(r: dict[str, Any], *keys: str) -> float:
        return sum(num(r.get(k)) for k in keys)

    return Chart("lead-funnel", "bar", "Lead funnel by source", [str(r["source"]) for r in rows], [
        {"name": "Leads", "values": [n(r, "lead_count") for r in rows]},
        {"name": "MQL or beyond", "values": [n(r, "mql_count", "sql_count", "converted_count") for r in rows]},
        {"name": "SQL or beyond", "values": [n(r, "sql_count", "converted_count") for r in rows]},
        {"name": "Converted", "values": [n(r, "converted_count") for r in rows]},
    ], y_format="num", y_label="leads")


def bridge_chart(inp: ChartInput) -> Chart | None:
    """The period's open pipeline from before to after, step by step (signed amounts)."""
    bridge = inp.figures.get("bridge") or {}
    labels = inp.figures.get("bridge_labels") or {}
    steps = [(k, num(v)) for k, v in bridge.items() if num(v)]
    if not steps and not inp.figures.get("pipeline_before"):
        return None
    x = ["Before"] + [labels.get(k, k) for k, _ in steps] + ["After"]
    values = [num(inp.figures.get("pipeline_before"))] + [v for _, v in steps] + \
        [num(inp.figures.get("pipeline_after"))]
    return Chart("pipeline-bridge", "hbar", f"{inp.figures.get('period_label', 'Period')} open pipeline: before, "
                 "each cause of change, after", x, [{"name": "Amount", "values": values}], y_format="money")


def group_change_chart(inp: ChartInput) -> Chart | None:
    rows = [r for r in inp.rows if num(r.get("pipeline_change")) or num(r.get("commit_change"))][:12]
    if not rows:
        return None
    return Chart(f"changes-{inp.section_key}", "bar", "Change of the period's pipeline and commit",
                 [str(r.get("key")) for r in rows], [
                     {"name": "Pipeline change", "values": [num(r.get("pipeline_change")) for r in rows]},
                     {"name": "Commit change", "values": [num(r.get("commit_change")) for r in rows]},
                 ], y_format="money")


def rollup_chart(inp: ChartInput) -> Chart | None:
    rows = [r for r in inp.rows if r.get("by") in ("owner", "team")][:12]
    if not rows:
        return None
    series = [{"name": "Closed won", "values": [num(r.get("closed_won")) for r in rows]},
              {"name": "CRM weighted", "values": [num(r.get("crm_weighted")) for r in rows]},
              {"name": "Evidence-adjusted", "values": [num(r.get("adjusted_weighted")) for r in rows]}]
    if any(r.get("target") for r in rows):
        series.insert(0, {"name": "Target", "values": [num(r.get("target")) for r in rows]})
    who = "team" if rows[0].get("by") == "team" else "rep"
    return Chart(f"forecast-by-{who}", "bar", f"CRM-weighted vs evidence-adjusted forecast by {who}",
                 [str(r.get("key")) for r in rows], series, y_format="money")


def gap_chart(inp: ChartInput) -> Chart | None:
    rows = [r for r in inp.rows if num(r.get("gap"))][:10]
    if not rows:
        return None
    return Chart("gap-deals", "hbar", "Evidence-adjusted minus CRM-weighted, per deal",
                 [str(r.get("deal_name")) for r in rows], [{"name": "Gap", "values": [num(r["gap"]) for r in rows]}],
                 y_format="money")


def hygiene_rules_chart(inp: ChartInput) -> Chart | None:
    rows = [r for r in inp.rows if r.get("rule")]
    if not rows:
        return None
    return Chart("hygiene-by-rule", "hbar", "Open deals breaking each hygiene rule",
                 [str(r["title"]) for r in rows],
                 [{"name": "Deals", "values": [num(r.get("deal_count")) for r in rows]}], y_format="num",
                 y_label="deals")


def hygiene_owners_chart(inp: ChartInput, owners: int = 12) -> Chart | None:
    """Issues per owner (the owners with the most), stacked by rule."""
    rows = [r for r in inp.rows if r.get("owner_name")][:owners]
    rules = inp.figures.get("by_rule") or {}
    if not rows or not rules:
        return None
    series = [{"name": str(spec.get("title") or name), "values": [num(r.get(f"rule_{name}")) for r in rows]}
              for name, spec in rules.items()]
    series = [s for s in series if any(s["values"])]
    return Chart("hygiene-by-owner", "stacked", "Hygiene issues per owner, by rule",
                 [str(r["owner_name"]) for r in rows], series, y_format="num", y_label="issues")


# ----------------------------------------------------------------------------------------------------------
# The reports
# ----------------------------------------------------------------------------------------------------------

def C(key: str, header: str, fmt: str = "text") -> Column:
    return Column(key, header, fmt)


FORECAST_COLUMNS = [C("segment", "Segment"), C("bookings_target", "Target", "money"),
                    C("closed_won_amount", "Closed won", "money"), C("commit_amount", "Commit", "money"),
                    C("best_case_amount", "Best case", "money"),
                    C("commit_forecast_amount", "Forecast at commit", "money"),
                    C("gap_to_target_at_commit", "Gap at commit", "money"),
                    C("commit_forecast_pct_of_target", "Forecast % of target", "pct")]
COVERAGE_COLUMNS = [C("segment", "Segment"), C("bookings_target", "Target", "money"),
                    C("closed_won_amount", "Closed won", "money"), C("open_pipeline_amount", "Open pipeline", "money"),
                    C("weighted_pipeline_amount", "Weighted", "money"), C("remaining_target", "Remaining", "money"),
                    C("gap_amount", "Gap", "money"), C("coverage_ratio", "Coverage", "ratio")]
PIPELINE_COLUMNS = [C("close_quarter", "Quarter"), C("stage", "Stage"), C("deal_count", "Deals", "num"),
                    C("total_amount", "Amount", "money"), C("weighted_amount", "Weighted", "money")]
RISK_COLUMNS = [C("factor_label", "Risk factor"), C("deal_name", "Deal"), C("stage", "Stage"),
                C("amount", "Amount", "money"), C("close_date", "Close", "date"),
                C("days_since_activity", "Days idle", "num"), C("push_count", "Pushes", "num"),
                C("owner_name", "Owner")]
SLIPPED_COLUMNS = [C("deal_name", "Deal"), C("stage", "Stage"), C("amount", "Amount", "money"),
                   C("push_count", "Pushes", "num"), C("days_pushed", "Days pushed", "num"),
                   C("current_close_date", "Now closing", "date"), C("owner_name", "Owner")]
CHURN_COLUMNS = [C("account_name", "Account"), C("segment", "Segment"),
                 C("usage_change_pct", "Usage change", "signed_pct"), C("arr", "ARR", "money"),
                 C("days_to_renewal", "Days to renewal", "num"), C("days_since_last_call", "Days since call", "num"),
                 C("csm_name", "CSM")]
EXPANSION_COLUMNS = [C("account_name", "Account"), C("segment", "Segment"),
                     C("engine_hours_growth_pct", "Usage growth", "signed_pct"),
                     C("active_users_growth_pct", "Active users", "signed_pct"), C("arr", "ARR", "money"),
                     C("spend_headroom", "Headroom", "money"), C("owner_name", "Owner")]
COMPETITOR_COLUMNS = [C("competitor", "Competitor"), C("mention_call_count", "Calls", "num"),
                      C("call_share_pct", "Share of calls", "pct"), C("account_count", "Accounts", "num"),
                      C("opportunity_count", "Deals", "num"), C("last_mentioned_at", "Last mentioned", "date")]
CHANGE_COLUMNS = [C("deal_name", "Deal"), C("change", "Change"), C("stage_before", "Stage before"),
                  C("stage_after", "Stage now"), C("amount_after", "Amount", "money"),
                  C("amount_change", "Amount change", "money"), C("days_moved", "Days moved", "num"),
                  C("close_date_after", "Closing", "date"), C("owner_name", "Owner")]
CHANGE_GROUP_COLUMNS = [C("key", "Group"), C("deals", "Deals", "num"), C("new_count", "New", "num"),
                        C("won_count", "Won", "num"), C("lost_count", "Lost", "num"),
                        C("slipped_count", "Slipped", "num"), C("pushed_count", "Pushed", "num"),
                        C("pulled_in_count", "Pulled in", "num"), C("pipeline_change", "Pipeline change", "money"),
                        C("commit_change", "Commit change", "money")]
ROLLUP_COLUMNS = [C("key", "Rep"), C("team", "Team"), C("closed_won", "Closed won", "money"),
                  C("commit", "Commit", "money"), C("best_case", "Best case", "money"),
                  C("pipeline", "Pipeline", "money"), C("crm_weighted", "CRM weighted", "money"),
                  C("adjusted_weighted", "Evidence-adjusted", "money"), C("gap", "Gap", "money"),
                  C("soft_commit", "Soft commit", "money")]
TEAM_COLUMNS = [C("key", "Team"), C("target", "Target", "money"), C("closed_won", "Closed won", "money"),
                C("commit", "Commit", "money"), C("best_case", "Best case", "money"),
                C("crm_weighted", "CRM weighted", "money"), C("adjusted_weighted", "Evidence-adjusted", "money"),
                C("adjusted_pct_of_target", "Adjusted % of target", "pct"), C("soft_commit", "Soft commit", "money")]
GAP_COLUMNS = [C("deal_name", "Deal"), C("owner_name", "Owner"), C("forecast_category", "Category"),
               C("amount", "Amount", "money"), C("crm_probability", "CRM %", "num"),
               C("adjusted_probability", "Adjusted %", "num"), C("gap", "Gap", "money"), C("why", "Why")]
HYGIENE_RULE_COLUMNS = [C("title", "Rule"), C("severity", "Severity"), C("deal_count", "Deals", "num"),
                        C("amount", "Amount", "money"), C("share_pct", "Share of open deals", "pct")]
HYGIENE_OWNER_COLUMNS = [C("owner_name", "Owner"), C("deal_count", "Deals at issue", "num"),
                         C("open_deal_count", "Open deals", "num"), C("issue_count", "Issues", "num"),
                         C("amount", "Amount at issue", "money"), C("share_pct", "Share of their deals", "pct")]
HYGIENE_DEAL_COLUMNS = [C("deal_name", "Deal"), C("owner_name", "Owner"), C("stage", "Stage"),
                        C("amount", "Amount", "money"), C("close_date", "Close", "date"),
                        C("severity", "Severity"), C("details", "Issues")]
LEADS_COLUMNS = [C("source", "Source"), C("lead_count", "Leads", "num"), C("share_pct", "Share", "pct"),
                 C("previous_count", "Period before", "num"), C("mql_count", "MQL", "num"),
                 C("sql_count", "SQL", "num"), C("converted_count", "Converted", "num"),
                 C("qualified_rate_pct", "Qualified", "pct"), C("conversion_rate_pct", "Conversion", "pct")]


def _changes_section(key: str, heading: str, view: str | None, chart: Any, columns: list[Column]) -> SectionDef:
    return SectionDef(key, heading, question="What changed in the pipeline?", analysis="pipeline_changes",
                      params={"view": view} if view else {}, columns=columns, chart=chart)


def _rollup_section(key: str, heading: str, question: str, view: str, chart: Any, columns: list[Column]) -> SectionDef:
    return SectionDef(key, heading, question=question, analysis="forecast_rollup", params={"view": view},
                      columns=columns, chart=chart)


BUILTIN: dict[str, ReportDef] = {r.name: r for r in (
    ReportDef("pipeline", "Pipeline and forecast vs target",
              "Forecast vs the bookings target with the gap, pipeline coverage of the remaining target, and open "
              "pipeline by close quarter and stage.", [
                  SectionDef("forecast", "Forecast vs target", question="Forecast vs target this quarter",
                             analysis="forecast_vs_target", columns=FORECAST_COLUMNS, chart=forecast_chart),
                  SectionDef("coverage", "Pipeline coverage and gap",
                             question="Pipeline coverage vs target this quarter", analysis="coverage",
                             columns=COVERAGE_COLUMNS, chart=coverage_chart),
                  SectionDef("pipeline", "Open pipeline by quarter and stage",
                             question="Show pipeline by quarter and stage", analysis="pipeline",
                             columns=PIPELINE_COLUMNS, chart=pipeline_chart),
              ]),
    ReportDef("pipeline-changes", "Pipeline changes",
              "What changed in the pipeline since a date (--since, default the last 7 days): new, won, lost, "
              "slipped out of the quarter, pushed and pulled in, amounts up and down, stages forward and back, per "
              "deal; the bridge of the quarter's pipeline; the net change of commit and pipeline by rep, team, "
              "segment and forecast category.", [
                  _changes_section("changes", "What changed", None, bridge_chart, CHANGE_COLUMNS),
                  _changes_section("by-rep", "Changes by rep", "owner", group_change_chart,
                                   [C("key", "Rep")] + CHANGE_GROUP_COLUMNS[1:]),
                  _changes_section("by-team", "Changes by team", "team", None,
                                   [C("key", "Team")] + CHANGE_GROUP_COLUMNS[1:]),
                  _changes_section("by-segment", "Changes by segment", "segment", None,
                                   [C("key", "Segment")] + CHANGE_GROUP_COLUMNS[1:]),
                  _changes_section("by-category", "Changes by forecast category", "forecast_category",
                                   group_change_chart, [C("key", "Forecast category")] + CHANGE_GROUP_COLUMNS[1:]),
              ], options=("since",)),
    ReportDef("forecast-rollup", "Forecast roll-up",
              "Per rep and team this quarter: closed won, commit, best case and pipeline; the CRM-weighted and the "
              "evidence-adjusted forecast (the Deal agent's probabilities) side by side; the deals that make the gap "
              "and why; soft commit; against the target.", [
                  _rollup_section("reps", "Forecast by rep", "Forecast roll-up by rep this quarter", "reps",
                                  rollup_chart, ROLLUP_COLUMNS),
                  _rollup_section("teams", "Forecast by team against target", "Forecast roll-up by team this quarter",
                                  "teams", rollup_chart, TEAM_COLUMNS),
                  _rollup_section("gap", "The deals that make the gap", "Forecast roll-up: the deals behind the gap",
                                  "gap_deals", gap_chart, GAP_COLUMNS),
                  _rollup_section("soft-commit", "Soft commit", "Which reps' commit looks soft this quarter?", "soft",
                                  None, GAP_COLUMNS),
              ]),
    ReportDef("at-risk", "Deals at risk this quarter",
              "Open deals closing this quarter that show risk factors (no economic buyer late, pushed close dates, "
              "no recent activity, a competitor, past due), and the deals that slipped this quarter.", [
                  SectionDef("risk-factors", "Risk factors in the deals closing this quarter",
                             question="Which deals closing this quarter are at risk?", analysis="deal_risk_factors",
                             columns=RISK_COLUMNS, chart=risk_chart),
                  SectionDef("slipped", "Deals that slipped this quarter",
                             question="Which deals slipped this quarter?", analysis="slipped_deals",
                             columns=SLIPPED_COLUMNS),
              ]),
    ReportDef("churn", "Churn-risk accounts",
              "Customers whose product usage fell 10%+ over the last 30 days, with their ARR, renewals and last "
              "calls, and the weekly usage trend of the largest of them.", [
                  SectionDef("declining", "Customers with declining usage",
                             question="Which customers are at risk of churning?", analysis="declining_engagement",
                             columns=CHURN_COLUMNS, chart=usage_trend_chart),
              ]),
    ReportDef("expansion", "Expansion opportunities",
              "Customers whose usage or active users grew 10%+ over the last 30 days and who have no open "
              "expansion deal, with their spend headroom.", [
                  SectionDef("candidates", "Expansion candidates",
                             question="Identify top expansion opportunities based on usage trends",
                             analysis="expansion", columns=EXPANSION_COLUMNS, chart=expansion_chart),
              ]),
    ReportDef("competitors", "Competitor trends",
              "Which competitors come up in sales calls over the last 90 days, and how mentions moved month by "
              "month.", [
                  SectionDef("mentions", "Competitor mentions in sales calls",
                             question="Which competitors came up in our sales calls?",
                             analysis="competitor_mentions", columns=COMPETITOR_COLUMNS,
                             chart=competitor_trend_chart),
              ]),
    ReportDef("leads", "New leads by source",
              "New leads over the last 30 days by source against the 30 days before, and the funnel per source: "
              "MQL, SQL, converted.", [
                  SectionDef("by-source", "New leads and funnel by source", question="New leads by source",
                             analysis="lead_volume_by_source", columns=LEADS_COLUMNS, chart=leads_chart),
              ]),
    ReportDef("hygiene", "Pipeline hygiene",
              "Open deals breaking the team's hygiene rules (hygiene.yaml: close date in the past, no next step, "
              "no activity, late stage without a validated economic buyer, amount changed late, stage skipped, "
              "pushed repeatedly): how many per rule, per owner, and the deals with what to fix.", [
                  SectionDef("by-rule", "Deals breaking each rule", question="Which deals break our hygiene rules?",
                             analysis="hygiene", params={"hygiene_view": "rules"}, columns=HYGIENE_RULE_COLUMNS,
                             chart=hygiene_rules_chart),
                  SectionDef("by-owner", "Hygiene issues by owner", question="Hygiene issues by owner",
                             analysis="hygiene", params={"hygiene_view": "owners"},
                             columns=HYGIENE_OWNER_COLUMNS, chart=hygiene_owners_chart),
                  SectionDef("deals", "Deals to fix", question="Which deals break our hygiene rules?",
                             analysis="hygiene", params={"hygiene_view": "deals"}, columns=HYGIENE_DEAL_COLUMNS),
              ]),
)}
