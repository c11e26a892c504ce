"""Revenue analyses: revenue by segment against the same period last year, and the monthly trend."""

from __future__ import annotations

from datetime import timedelta

from revops_cli.agents.analyses.question import clip
from revops_cli.agents.analyses.running import (
    Ask, Outcome, as_float, change_pct, lacks, period_name, ratio_pct, run, segment_words, unavailable_note,
)
from revops_cli.agents.periods import Period, quarter_of
from revops_cli.models import jsonable
from revops_cli.formatting import money, num, pct, signed_pct


def revenue_by_segment(ask: Ask) -> Outcome:
    out = Outcome("revenue_by_segment", "Revenue by segment")
    base = ask.period or quarter_of(ask.as_of, ask.fiscal_start_month)
    cur = clip(base, ask.as_of)
    prev = Period(f"same period {cur.start.year - 1}" if cur.start.year == cur.end.year else "a year earlier",
                  base.prev_year.start, cur.prev_year.end, cur.kind)
    out.period, out.compare_period = cur, prev
    no_billing = lacks(ask, "billing_monthly")
    if no_billing:     # never $0 for revenue the warehouse does not hold
        out.summary = {"revenue": None}
        out.headline = unavailable_note(ask, out, "billing", no_billing)
        return out
    rows = run(ask, out, "revenue_by_segment", start_date=cur.start, end_date=cur.end,
               prev_start_date=prev.start, prev_end_date=prev.end)
    total = next((r for r in rows if r["segment"] == "Total"), None) or {
        "revenue": 0.0, "prev_year_revenue": 0.0, "paying_accounts": 0, "prev_year_paying_accounts": 0}
    segs = [r for r in rows if r["segment"] != "Total"]
    tot_rev = as_float(total["revenue"])
    by_seg = {r["segment"]: {"revenue": as_float(r["revenue"]), "prev_year_revenue": as_float(r["prev_year_revenue"]),
                             "yoy_change": as_float(r["revenue"]) - as_float(r["prev_year_revenue"]),
                             "yoy_change_pct": change_pct(r["revenue"], r["prev_year_revenue"]),
                             "share_pct": ratio_pct(r["revenue"], tot_rev),
                             "paying_accounts": int(r["paying_accounts"] or 0)} for r in segs}
    s = out.summary = {
        "revenue": tot_rev, "prev_year_revenue": as_float(total["prev_year_revenue"]),
        "yoy_change": tot_rev - as_float(total["prev_year_revenue"]),
        "yoy_change_pct": change_pct(tot_rev, total["prev_year_revenue"]),
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
    no_billing = lacks(ask, "billing_monthly")
    if no_billing:     # never $0 for revenue the warehouse does not hold
        out.summary = {"revenue": None}
        out.headline = unavailable_note(ask, out, "billing", no_billing)
        return out
    seg = ask.segment
    rows = run(ask, out, "revenue_by_month", start_date=cur.start, end_date=cur.end, segment=seg)
    prev_rows = run(ask, out, "revenue_by_month", key="revenue_by_month_prev_year", start_date=prev.start,
                    end_date=prev.end, segment=seg)
    total = sum(as_float(r["revenue"]) for r in rows)
    prev_total = sum(as_float(r["revenue"]) for r in prev_rows)
    s = out.summary = {"revenue": total, "prev_year_revenue": prev_total,
                       "yoy_change_pct": change_pct(total, prev_total), "months": len(rows)}
    if rows:
        best = max(rows, key=lambda r: as_float(r["revenue"]))
        first, last = rows[0], rows[-1]
        s.update(first_month=jsonable(first["month"]), first_month_revenue=as_float(first["revenue"]),
                 last_month=jsonable(last["month"]), last_month_revenue=as_float(last["revenue"]),
                 change_over_period_pct=change_pct(last["revenue"], first["revenue"]),
                 best_month=jsonable(best["month"]), best_month_revenue=as_float(best["revenue"]),
                 last_mom_change_pct=last.get("mom_change_pct"))
        out.headline = (f"Revenue{segment_words(ask)} over {cur.label}: **{money(total)}** across {len(rows)} months, "
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
        out.headline = f"No billed revenue in {period_name(cur)}."
    out.rows = rows
    out.columns = [("month", "Month", "month"), ("revenue", "Revenue", "money"),
                   ("paying_accounts", "Paying accounts", "num"), ("mom_change_pct", "MoM", "signed_pct")]
    return out
