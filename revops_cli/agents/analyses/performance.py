"""Sales performance: win rate, and the rep leaderboard."""

from __future__ import annotations

import re
from datetime import timedelta

from revops_cli.agents.analyses.question import clip
from revops_cli.agents.analyses.running import (
    Ask, Outcome, ROW_CAP, SUMMARY_LIMIT, as_float, count_of, ratio_pct, run, segment_words
)
from revops_cli.agents.periods import Period, quarter_of
from revops_cli.formatting import money, num, pct


def win_rate(ask: Ask) -> Outcome:
    out = Outcome("win_rate", "Win rate")
    cur = clip(ask.period, ask.as_of) if ask.period else Period(
        "last 12 months", ask.as_of - timedelta(days=364), ask.as_of, "days")
    prev = Period(f"{cur.label}, a year earlier", cur.prev_year.start, cur.prev_year.end, cur.kind)
    out.period, out.compare_period = cur, prev
    by_owner = "owner" in ask.dimensions or (
        bool(re.search(r"\b(reps?|owners?|aes?|sellers?|salespeople|who)\b", ask.low)) and ask.owner_id is None)
    group = "owner" if by_owner else "segment"
    deal_type = ask.value("type")
    more = {"region": ask.value("region"), "owner_id": ask.owner_id}
    rows = run(ask, out, "win_rate", start_date=cur.start, end_date=cur.end, group_by=group, segment=ask.segment,
               deal_type=deal_type, **more)
    tot = (run(ask, out, "win_rate", key="win_rate_total", start_date=cur.start, end_date=cur.end, group_by="total",
               segment=ask.segment, deal_type=deal_type, **more) or [{}])[0]
    prev_tot = (run(ask, out, "win_rate", key="win_rate_prev_year", start_date=prev.start, end_date=prev.end,
                    group_by="total", segment=ask.segment, deal_type=deal_type, **more) or [{}])[0]
    s = out.summary = {"win_rate_pct": tot.get("win_rate_pct"), "closed_count": int(tot.get("closed_count") or 0),
                       "won_count": int(tot.get("won_count") or 0), "won_amount": as_float(tot.get("won_amount")),
                       "win_rate_by_amount_pct": tot.get("win_rate_by_amount_pct"),
                       "avg_won_cycle_days": tot.get("avg_won_cycle_days"),
                       "prev_year_win_rate_pct": prev_tot.get("win_rate_pct"), "group_by": group}
    s["change_pts"] = (None if s["win_rate_pct"] is None or s["prev_year_win_rate_pct"] is None
                       else s["win_rate_pct"] - s["prev_year_win_rate_pct"])
    kind = f" {deal_type}" if deal_type else ""
    out.headline = (f"Win rate{segment_words(ask)}{kind}{ask.filter_words()} over {cur.label}: **{pct(s['win_rate_pct'], 1)}** "
                    f"({num(s['won_count'])} won of {num(s['closed_count'])} closed), against "
                    f"{pct(s['prev_year_win_rate_pct'], 1)} a year earlier.")
    out.bullets.append(f"By amount: {pct(s['win_rate_by_amount_pct'], 1)} - {money(s['won_amount'])} won.")
    if s["avg_won_cycle_days"] is not None:
        out.bullets.append(f"Average sales cycle of won deals: {num(s['avg_won_cycle_days'])} days.")
    label = "owner_name" if by_owner else "segment"
    ranked = [r for r in rows if r["win_rate_pct"] is not None and (not by_owner or int(r["closed_count"]) >= 5)]
    if len(ranked) > 1:
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


def owner_leaderboard(ask: Ask) -> Outcome:
    out = Outcome("owner_leaderboard", "Rep leaderboard")
    cur = ask.period or quarter_of(ask.as_of, ask.fiscal_start_month)
    out.period = cur
    rows = run(ask, out, "owner_leaderboard", start_date=cur.start, end_date=cur.end, segment=ask.segment,
               region=ask.value("region"), limit=SUMMARY_LIMIT)
    if ask.owner_id is not None:
        rows = [r for r in rows if r.get("owner_id") == ask.owner_id]
    won = sum(as_float(r["won_amount"]) for r in rows)
    s = out.summary = {"rep_count": len(rows), "won_amount": won,
                       "open_pipeline_amount": sum(as_float(r["open_pipeline_amount"]) for r in rows)}
    top3 = sum(as_float(r["won_amount"]) for r in rows[:3])
    s["top3_share_pct"] = ratio_pct(top3, won)
    out.headline = (f"Closed-won{segment_words(ask)}{ask.filter_words()} in {cur.label}: **{money(won)}** across "
                    f"{count_of(sum(1 for r in rows if as_float(r['won_amount']) > 0), 'rep')} "
                    f"({count_of(len(rows), 'rep')} with deals closing in the period).")
    if rows:
        r0 = rows[0]
        s["top_rep"] = {"owner_name": r0["owner_name"], "won_amount": as_float(r0["won_amount"])}
        out.bullets.append(f"#1: **{r0['owner_name']}** with {money(r0['won_amount'])} won ({count_of(r0['won_count'], 'deal')}, "
                           f"win rate {pct(r0['win_rate_pct'])}).")
        out.bullets.append(f"The top 3 reps account for {pct(s['top3_share_pct'])} of closed-won.")
        pipe = max(rows, key=lambda r: as_float(r["weighted_pipeline_amount"]))
        out.bullets.append(f"Most weighted pipeline left: {pipe['owner_name']} ({money(pipe['weighted_pipeline_amount'])}).")
    out.rows, out.row_total = rows[:ROW_CAP], len(rows)
    out.columns = [("leaderboard_rank", "#", "num"), ("owner_name", "Rep", "text"), ("won_amount", "Won", "money"),
                   ("won_count", "Deals won", "num"), ("win_rate_pct", "Win rate", "pct"),
                   ("open_pipeline_amount", "Open pipeline", "money")]
    return out
