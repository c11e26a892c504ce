"""The Data agent's analyses: which question words pick which analysis, which SQL patterns it runs, how its
parameters are filled from the question, and the headline figures it reports.

Where things live:
  catalog.py      the list of analyses (title, description, patterns, default period, examples)
  choosing.py     the keyword rules below, `choose_analysis` / `choose_analyses`
  question.py     parameters from the question: segment, region, amount, competitors, periods
  running.py      `Ask` (the request as an analysis sees it), `Outcome` (what it hands back), `run` (one pattern)
  revenue.py, pipeline.py, targets.py, performance.py, customers.py, competitors.py, leads.py
                  one function per analysis, `Ask -> Outcome`, grouped by family

Choosing an analysis (`choose_analysis`) is deterministic: the rules below are tried in order on the
lower-cased question and the first that matches wins. The order matters - specific beats general:

 0. hygiene              "hygiene", "break(ing) our rules", or a hygiene rule's phrase (agents/../hygiene/asked.py:
                          "no next step", "no activity in 30 days", "idle", "past due", "without an economic
                          buyer", "skipped a stage", "pushed 3 times") - unless it is about customers, not deals
 0. pipeline_changes     what changed / moved / happened with pipeline, forecast, commit or deals; "week over
                          week"; "slipped / dropped / pushed out of", "pulled in"; a slip word with this week, last
                          week, since, today, yesterday, the last N days
 0. forecast_rollup      roll-up, evidence-adjusted, forecast or commit by / per rep, soft / shaky / inflated
                          commit, "commit looks soft", reps' commit
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

from typing import Callable

from revops_cli.agents.analyses.catalog import ANALYSES, Analysis
from revops_cli.agents.analyses.choosing import RULES, choose_analyses, choose_analysis
from revops_cli.agents.analyses.competitors import competitor_mentions
from revops_cli.agents.analyses.customers import declining_engagement, expansion
from revops_cli.agents.analyses.forecast_call import changes_outcome, rollup_outcome
from revops_cli.agents.analyses.hygiene import hygiene
from revops_cli.agents.analyses.leads import lead_volume_by_source
from revops_cli.agents.analyses.performance import owner_leaderboard, win_rate
from revops_cli.agents.analyses.pipeline import deal_risk_factors, deals_closing, pipeline, slipped_deals
from revops_cli.agents.analyses.question import as_period, find_region, find_segment
from revops_cli.agents.analyses.revenue import revenue_by_segment, revenue_trend
from revops_cli.agents.analyses.running import ROW_CAP, TABLE_ROWS, Ask, Outcome, period_name, row_count
from revops_cli.agents.analyses.targets import coverage, forecast_vs_target

__all__ = ["ANALYSES", "Analysis", "RULES", "RUNNERS", "ROW_CAP", "TABLE_ROWS", "Ask", "Outcome", "as_period",
           "choose_analyses", "choose_analysis", "find_region", "find_segment", "period_name", "row_count"]


RUNNERS: dict[str, Callable[[Ask], Outcome]] = {
    "hygiene": hygiene,
    "pipeline_changes": changes_outcome, "forecast_rollup": rollup_outcome,
    "deal_risk_factors": deal_risk_factors, "declining_engagement": declining_engagement,
    "competitor_mentions": competitor_mentions, "coverage": coverage, "forecast_vs_target": forecast_vs_target,
    "win_rate": win_rate, "slipped_deals": slipped_deals, "owner_leaderboard": owner_leaderboard,
    "lead_volume_by_source": lead_volume_by_source, "expansion": expansion, "revenue_trend": revenue_trend,
    "revenue_by_segment": revenue_by_segment, "deals_closing": deals_closing, "pipeline": pipeline,
}
assert set(RUNNERS) == set(ANALYSES)
