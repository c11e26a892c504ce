"""Lead analyses: new leads by source, with qualification and conversion against the period before."""

from __future__ import annotations

import re
from datetime import timedelta

from revops_cli.agents.analyses.question import clip, last_days
from revops_cli.agents.analyses.running import Ask, Outcome, as_float, change_pct, count_of, ratio_pct, run
from revops_cli.agents.periods import Period, month_of
from revops_cli.formatting import num, pct, signed_pct


def lead_volume_by_source(ask: Ask) -> Outcome:
    out = Outcome("lead_volume_by_source", "New leads by source")
    cur = clip(ask.period, ask.as_of) if ask.period else last_days(ask.as_of, 30)
    prev = ask.period.previous if ask.period and ask.period.kind == "quarter" else (
        month_of(cur.start - timedelta(days=1)) if cur.kind == "month" else cur.previous)
    if ask.period and ask.period.kind == "quarter" and cur.end < ask.period.end:
        prev = Period(f"{prev.label} (same days)", prev.start, prev.start + (cur.end - cur.start), prev.kind)
    out.period, out.compare_period = cur, prev
    rows = run(ask, out, "new_leads_by_source", start_date=cur.start, end_date=cur.end, region=ask.region)
    prev_rows = run(ask, out, "new_leads_by_source", key="new_leads_by_source_previous", start_date=prev.start,
                    end_date=prev.end, region=ask.region)
    source = ask.value("lead_source")
    if source is not None:                      # one source: its row, and its row of the period before
        rows = [r for r in rows if r["source"] == source]
        prev_rows = [r for r in prev_rows if r["source"] == source]
    total = sum(int(r["lead_count"]) for r in rows)
    prev_total = sum(int(r["lead_count"]) for r in prev_rows)
    prev_by = {r["source"]: int(r["lead_count"]) for r in prev_rows}
    by_source = {r["source"]: {"lead_count": int(r["lead_count"]), "share_pct": ratio_pct(r["lead_count"], total),
                               "previous_count": prev_by.get(r["source"], 0),
                               "change_pct": change_pct(r["lead_count"], prev_by.get(r["source"], 0)),
                               "qualified_rate_pct": r["qualified_rate_pct"],
                               "conversion_rate_pct": r["conversion_rate_pct"]} for r in rows}
    for r in rows:
        r["share_pct"] = by_source[r["source"]]["share_pct"]
        r["previous_count"] = by_source[r["source"]]["previous_count"]
    qualified = sum(int(r["mql_count"]) + int(r["sql_count"]) + int(r["converted_count"]) for r in rows)
    s = out.summary = {"lead_count": total, "previous_lead_count": prev_total,
                       "change_pct": change_pct(total, prev_total), "qualified_count": qualified,
                       "qualified_rate_pct": ratio_pct(qualified, total), "by_source": by_source}
    region = (f" from {source}" if source else "") + (f" in {ask.region}" if ask.region else "")
    out.headline = (f"**{num(total)}** new leads{region} in {cur.label}, {signed_pct(s['change_pct'])} against "
                    f"{num(prev_total)} in the period before ({prev.start.isoformat()} to {prev.end.isoformat()}).")
    if rows:
        top = rows[0]
        s["top_source"] = top["source"]
        s["top_source_share_pct"] = by_source[top["source"]]["share_pct"]
        out.bullets.append(f"**{top['source']}** brought the most: {count_of(top['lead_count'], 'lead')} "
                           f"({pct(s['top_source_share_pct'])}).")
        movers = [k for k in by_source if by_source[k]["previous_count"]]
        if movers:
            mv = max(movers, key=lambda k: abs(by_source[k]["lead_count"] - by_source[k]["previous_count"]))
            s["biggest_mover"] = mv
            out.bullets.append(f"Biggest change: {mv}, {num(by_source[mv]['previous_count'])} -> "
                               f"{num(by_source[mv]['lead_count'])} ({signed_pct(by_source[mv]['change_pct'])}).")
        named = [k for k in by_source if re.search(rf"\b{re.escape(k.lower())}s?\b", ask.low)]
        for k in named[:1]:
            v = by_source[k]
            s["named_source"] = k
            out.bullets.insert(0, f"**{k}**: {count_of(v['lead_count'], 'lead')} ({pct(v['share_pct'])} of all), "
                                  f"{num(v['previous_count'])} in the period before; "
                                  f"{pct(v['qualified_rate_pct'])} reached MQL or beyond.")
        sized = [r for r in rows if int(r["lead_count"]) >= 5] or rows
        best = max(sized, key=lambda r: (as_float(r["qualified_rate_pct"]), r["source"]))
        s["best_qualifying_source"] = best["source"]
        out.bullets.append(f"Best qualification rate: {best['source']}, {pct(best['qualified_rate_pct'])} reached "
                           f"MQL or beyond; overall {pct(s['qualified_rate_pct'])}.")
    out.rows = rows
    out.columns = [("source", "Source", "text"), ("lead_count", "Leads", "num"), ("share_pct", "Share", "pct"),
                   ("previous_count", "Period before", "num"), ("qualified_rate_pct", "Qualified", "pct"),
                   ("conversion_rate_pct", "Converted", "pct")]
    return out
