"""The catalogue of the Data agent's analyses: name, title, description, the SQL patterns each runs,
its default period, keywords and example questions (shown by `revops data list` and the capabilities list)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any



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
    Analysis("hygiene", "Pipeline hygiene",
             "Open deals breaking the team's hygiene rules (hygiene.yaml: close date in the past, no next step, no "
             "activity in N days, late stage without a validated economic buyer, amount changed late, stage "
             "skipped, pushed N times), per deal with its owner, by rule and by owner.",
             ("hygiene_deal_facts",), "every open deal (a period: deals closing in it)",
             ("hygiene", "no next step", "no activity", "past due", "rule breakers"),
             ("Which of my deals break hygiene?", "Which deals have no next step?",
              "Hygiene issues for Marcus Reed", "Deals that skipped a stage")),
    Analysis("pipeline_changes", "Pipeline changes",
             "What changed in the pipeline between two dates - new, won, lost, slipped out of the period, pushed and "
             "pulled in (with days), amount up or down, stage forward or back - per deal with the amounts, rolled "
             "up by rep, team, segment and forecast category, with the net change of commit and pipeline.",
             ("pipeline_changes",), "the last 7 days (the forecast period: this quarter)",
             ("what changed", "since last Monday", "slipped out of", "pulled in", "week over week"),
             ("What changed in the pipeline since last Monday?", "What slipped out of Q4 this week?")),
    Analysis("forecast_rollup", "Forecast roll-up",
             "Per rep and team for a period: closed won, commit, best case and pipeline; the CRM's weighted number "
             "and the evidence-adjusted one (the Deal agent's probabilities) side by side, with the deals that make "
             "the gap and why; against target; and whose commit looks soft.",
             ("forecast_rollup_deals", "deal_detail", "stage_history", "deal_calls", "forecast_vs_target"),
             "this quarter",
             ("roll-up", "by rep", "evidence-adjusted", "soft commit"),
             ("Forecast roll-up by rep this quarter", "Which reps' commit looks soft?")),
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
