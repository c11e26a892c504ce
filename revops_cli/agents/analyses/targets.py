"""Target analyses: forecast vs the bookings target, and pipeline coverage of what remains."""

from __future__ import annotations

from revops_cli.agents.analyses.running import (
    Ask, Outcome, as_float, count_of, lacks, period_name, run, unavailable_note,
)
from revops_cli.agents.periods import Period, quarter_of
from revops_cli.formatting import money, pct


def whole_quarter(ask: Ask) -> Period | None:
    """Targets are set per quarter: "QTD", "this quarter so far", "Q4 to date" is the quarter's target, with what
    has closed so far (closed won cannot lie ahead of today)."""
    from revops_cli.agents.analyses.question import ahead_of

    p = ask.period
    if p is not None and (p.kind == "qtd" or (p.kind == "quarter" and p.label.endswith("to date"))):
        return quarter_of(p.start, ask.fiscal_start_month)
    return ahead_of(p, ask.text, ask.as_of, nearest=True)      # "the q1 forecast" in November: the coming Q1


def forecast_vs_target(ask: Ask) -> Outcome:
    out = Outcome("forecast_vs_target", "Forecast vs target")
    cur = whole_quarter(ask) or quarter_of(ask.as_of, ask.fiscal_start_month)
    out.period = cur
    if _targets_unavailable(ask, out):
        return out
    rows = run(ask, out, "forecast_vs_target", start_date=cur.start, end_date=cur.end)
    total = next((r for r in rows if r["segment"] == "Total"), None)
    segs = [r for r in rows if r["segment"] != "Total"]
    if ask.segment:
        total = next((r for r in segs if r["segment"] == ask.segment), total)
    if not total or total.get("bookings_target") is None:
        out.summary = {"bookings_target": None}
        out.headline = f"No bookings target is set for {period_name(cur)}."
        out.rows, out.columns = rows, _FORECAST_COLUMNS
        return out
    s = out.summary = {k: as_float(total[k]) for k in (
        "bookings_target", "closed_won_amount", "commit_amount", "best_case_amount", "pipeline_amount",
        "commit_forecast_amount", "best_case_forecast_amount", "gap_to_target_at_commit",
        "gap_to_target_at_best_case")}
    s["attainment_pct"] = total["attainment_pct"]
    s["commit_forecast_pct_of_target"] = total["commit_forecast_pct_of_target"]
    s["segment"] = total["segment"]
    days_left = (cur.end - ask.as_of).days if cur.start <= ask.as_of <= cur.end else None
    s["days_left"] = days_left
    who = ask.segment or "We"
    no_fc = lacks(ask, "opportunities.forecast_category")
    if no_fc:       # closed won against target is still exact; commit and best case do not exist here
        for k in ("commit_amount", "best_case_amount", "pipeline_amount", "commit_forecast_amount",
                  "best_case_forecast_amount", "gap_to_target_at_commit", "gap_to_target_at_best_case",
                  "commit_forecast_pct_of_target"):
            s[k] = None
        out.headline = (f"{who} {'have' if who == 'We' else 'has'} closed **{money(s['closed_won_amount'])}** of a "
                        f"{money(s['bookings_target'])} target for {cur.label} ({pct(s['attainment_pct'])}).")
        out.bullets.append(unavailable_note(ask, out, "forecast_category", no_fc))
        if days_left is not None:
            out.bullets.append(f"{count_of(days_left, 'day')} left in the quarter.")
        out.rows = rows
        out.columns = [c for c in _FORECAST_COLUMNS if c[0] in ("segment", "bookings_target", "closed_won_amount")]
        return out
    out.headline = (f"{who} {'have' if who == 'We' else 'has'} closed **{money(s['closed_won_amount'])}** of a "
                    f"{money(s['bookings_target'])} target for {cur.label} ({pct(s['attainment_pct'])}); with commit "
                    f"the forecast is **{money(s['commit_forecast_amount'])}** "
                    f"({pct(s['commit_forecast_pct_of_target'])} of target).")
    left = s["bookings_target"] - s["closed_won_amount"]
    s["left_to_close"] = max(left, 0.0)
    out.bullets.append(f"Left to close to reach the target: **{money(max(left, 0.0))}**." if left > 0 else
                       f"The target is already met, by {money(-left)}.")
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
        out.bullets.append(f"{count_of(days_left, 'day')} left in the quarter.")
    if segs and not ask.segment:
        worst = max(segs, key=lambda r: (as_float(r["gap_to_target_at_commit"]), r["segment"]))
        best = min(segs, key=lambda r: (as_float(r["gap_to_target_at_commit"]), r["segment"]))
        s["largest_gap_segment"] = worst["segment"] if as_float(worst["gap_to_target_at_commit"]) > 0 else None
        if as_float(worst["gap_to_target_at_commit"]) > 0:
            out.bullets.append(f"Largest gap: **{worst['segment']}**, {money(worst['gap_to_target_at_commit'])} short "
                               f"at commit ({pct(worst['commit_forecast_pct_of_target'])} of its target); best "
                               f"placed: {best['segment']} at {pct(best['commit_forecast_pct_of_target'])}.")
        else:
            tight = min(segs, key=lambda r: (as_float(r["commit_forecast_pct_of_target"]), r["segment"]))
            out.bullets.append(f"Every segment's commit covers its target; tightest: **{tight['segment']}** at "
                               f"{pct(tight['commit_forecast_pct_of_target'])} of target.")
    out.rows = rows
    out.columns = _FORECAST_COLUMNS
    return out


def _targets_unavailable(ask: Ask, out: Outcome) -> bool:
    """No targets, or targets by segment on a warehouse without account segments (the sum would join no
    deal to any target and read $0): say so instead."""
    for kind, gaps in (("targets", lacks(ask, "targets")), ("targets_by_segment", lacks(ask, "accounts.segment"))):
        if gaps:
            out.summary = {"bookings_target": None}
            out.headline = unavailable_note(ask, out, kind, gaps)
            return True
    return False


_FORECAST_COLUMNS = [("segment", "Segment", "text"), ("bookings_target", "Target", "money"),
                     ("closed_won_amount", "Closed won", "money"), ("commit_amount", "Commit", "money"),
                     ("best_case_amount", "Best case", "money"), ("gap_to_target_at_commit", "Gap at commit", "money"),
                     ("commit_forecast_pct_of_target", "Forecast % of target", "pct")]


def coverage(ask: Ask) -> Outcome:
    out = Outcome("coverage", "Pipeline coverage vs target")
    cur = whole_quarter(ask) or quarter_of(ask.as_of, ask.fiscal_start_month)
    out.period = cur
    if _targets_unavailable(ask, out):
        return out
    rows = run(ask, out, "pipeline_coverage_vs_target", start_date=cur.start, end_date=cur.end)
    total = next((r for r in rows if r["segment"] == (ask.segment or "Total")), None)
    if not total or total.get("bookings_target") is None:
        out.summary = {"bookings_target": None}
        out.headline = f"No bookings target is set for {period_name(cur)}."
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
    out.bullets.append(f"Weighted pipeline {money(s['weighted_pipeline_amount'])} across {count_of(s['open_deal_count'], 'deal')}"
                       + (f" - {'enough to cover' if s['weighted_pipeline_amount'] >= (s['remaining_target'] or 0) else 'short of'}"
                          f" the remaining target even after weighting." if s["remaining_target"] else "."))
    segs = [r for r in rows if r["segment"] != "Total" and r["coverage_ratio"] is not None]
    if segs and not ask.segment:
        thin = min(segs, key=lambda r: as_float(r["coverage_ratio"]))
        s["thinnest_segment"] = thin["segment"]
        out.bullets.append(f"Thinnest coverage: **{thin['segment']}** at {as_float(thin['coverage_ratio']):.1f}x.")
    out.rows = rows
    out.columns = _COVERAGE_COLUMNS
    return out


_COVERAGE_COLUMNS = [("segment", "Segment", "text"), ("bookings_target", "Target", "money"),
                     ("closed_won_amount", "Closed won", "money"), ("open_pipeline_amount", "Open pipeline", "money"),
                     ("remaining_target", "Remaining", "money"), ("coverage_ratio", "Coverage", "ratio")]
