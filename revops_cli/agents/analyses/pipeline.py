"""Pipeline analyses: open pipeline by quarter and stage, deals closing in a period, risk factors across
those deals, and slipped deals."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

from revops_cli.agents.analyses.question import ahead, clip
from revops_cli.agents.analyses.running import (
    Ask, Outcome, ROW_CAP, SUMMARY_LIMIT, as_float, count_of, lacks, pattern_lacks, ratio_pct, run, segment_words,
    unavailable_note,
)
from revops_cli.agents.periods import Period, quarter_of
from revops_cli.models import jsonable
from revops_cli.formatting import money, num, pct


ANY_CLOSE_DATE = Period("any close date", date(1900, 1, 1), date(2999, 12, 31), "range")

_ROW_KEY = {"owner": "owner_name", "region": "region", "segment": "segment", "industry": "industry", "stage": "stage",
            "type": "deal_type", "lead_source": "lead_source", "account": "account_name"}


def closing_words(p: Period) -> str:
    """'closing in Q4 2026', or 'with any close date'."""
    return "with any close date" if p.label == ANY_CLOSE_DATE.label else f"closing in {p.label}"


def deal_filter_values(ask: Ask) -> dict[str, Any]:
    """The question's deal filters as deals_closing_in_period parameters (None values left out)."""
    values = {"owner_id": ask.owner_id, "min_amount": ask.min_amount, "max_amount": ask.max_amount,
              "below_amount": ask.below_amount,
              "region": ask.value("region"), "industry": ask.value("industry"), "account_id": ask.id_of("account"),
              "stages": ask.values("stage") or None, "deal_type": ask.value("type"),
              "lead_source": ask.value("lead_source"), "competitor": ask.value("competitor")}
    return {k: v for k, v in values.items() if v is not None}


def breakdown(deals: list[dict[str, Any]], dim: str) -> dict[str, dict[str, Any]]:
    """Deals grouped by one dimension: count, amount, weighted amount."""
    out: dict[str, dict[str, Any]] = {}
    key = _ROW_KEY.get(dim, dim)
    for d in deals:
        b = out.setdefault(str(d.get(key) or "Unknown"), {"deal_count": 0, "amount": 0.0, "weighted_amount": 0.0})
        b["deal_count"] += 1
        b["amount"] += as_float(d.get("amount"))
        b["weighted_amount"] += as_float(d.get("weighted_amount"))
    return out


_DIM_HEADER = {"owner": "Owner", "region": "Region", "segment": "Segment", "industry": "Industry", "stage": "Stage",
               "type": "Deal type", "lead_source": "Lead source", "account": "Account", "competitor": "Competitor"}


def breakdown_dimension(ask: Ask) -> str | None:
    """The one grouping a question asks the open pipeline by ("pipeline by stage", "apac pipe by rep"), when the
    table should be that breakdown: a time grain (quarter) keeps the quarter x stage table."""
    dims = [d for d in ask.dimensions if d != "quarter"]
    return dims[0] if len(dims) == 1 and "quarter" not in ask.dimensions else None


def breakdown_table(out: Outcome, dim: str, groups: dict[str, dict[str, Any]], order: dict[str, float] | None = None) -> None:
    """The outcome's table as one row per value of `dim` (deals, amount, weighted, share of the total), every value
    shown: a breakdown's totals are the answer. Stages keep the funnel order (their probability), the rest go
    biggest first."""
    total = sum(as_float(g.get("amount")) for g in groups.values())
    if order:
        keys = sorted(groups, key=lambda k: (order.get(k, 999.0), k))
    else:
        keys = sorted(groups, key=lambda k: (-as_float(groups[k].get("amount")), k))
    out.rows = [{dim: k, "deal_count": int(groups[k].get("deal_count") or 0), "amount": as_float(groups[k].get("amount")),
                 "weighted_amount": as_float(groups[k].get("weighted_amount")),
                 "share_pct": ratio_pct(groups[k].get("amount"), total)} for k in keys]
    out.row_total = len(out.rows)
    out.columns = [(dim, _DIM_HEADER.get(dim, dim.replace("_", " ").capitalize()), "text"), ("deal_count", "Deals", "num"),
                   ("amount", "Amount", "money"), ("weighted_amount", "Weighted", "money"), ("share_pct", "Share", "pct")]


def _stage_mix(rows: list[dict[str, Any]]) -> dict[str, dict[str, float]]:
    mix: dict[str, dict[str, float]] = {}
    for r in rows:
        m = mix.setdefault(r["stage"], {"deal_count": 0, "total_amount": 0.0, "weighted_amount": 0.0,
                                        "probability": as_float(r.get("stage_probability"))})
        m["deal_count"] += int(r["deal_count"] or 0)
        m["total_amount"] += as_float(r["total_amount"])
        m["weighted_amount"] += as_float(r["weighted_amount"])
    return mix


def pipeline(ask: Ask) -> Outcome:
    out = Outcome("pipeline", "Open pipeline")
    if ask.period:
        cur = ahead(ask) or ask.period
    elif re.search(r"\bby quarter|\bquarters\b|\bquarterly\b", ask.low):
        first = quarter_of(ask.as_of, ask.fiscal_start_month)
        last = first
        for _ in range(3):
            last = quarter_of(last.end + timedelta(days=1), ask.fiscal_start_month)
        cur = Period(f"{first.label} to {last.label}", first.start, last.end, "quarters")
    else:       # no period: every open deal, whatever its close date ("open pipeline in EMEA", "pipeline by stage")
        cur = ANY_CLOSE_DATE
    out.period = cur
    deal_filters = deal_filter_values(ask)
    if deal_filters or set(ask.dimensions) - {"segment", "stage", "quarter"}:
        return _pipeline_from_deals(ask, out, cur, deal_filters)
    rows = run(ask, out, "pipeline_by_quarter_and_stage", start_date=cur.start, end_date=cur.end, segment=ask.segment)
    seg_rows = run(ask, out, "weighted_pipeline", start_date=cur.start, end_date=cur.end, group_by="segment",
                   segment=ask.segment)
    mix = _stage_mix(rows)
    total = sum(m["total_amount"] for m in mix.values())
    weighted = sum(m["weighted_amount"] for m in mix.values())
    count = sum(int(m["deal_count"]) for m in mix.values())
    late = {k: v for k, v in mix.items() if v["probability"] >= 60}
    s = out.summary = {
        "deal_count": count, "open_amount": total, "weighted_amount": weighted,
        "by_stage": {k: {"deal_count": int(v["deal_count"]), "amount": v["total_amount"],
                         "weighted_amount": v["weighted_amount"], "share_pct": ratio_pct(v["total_amount"], total)}
                     for k, v in mix.items()},
        "late_stage_amount": sum(v["total_amount"] for v in late.values()),
        "late_stage_share_pct": ratio_pct(sum(v["total_amount"] for v in late.values()), total),
        "commit_amount": sum(as_float(r["commit_amount"]) for r in seg_rows),
        "by_segment": {r["segment"]: {"deal_count": int(r["deal_count"]), "open_amount": as_float(r["open_amount"]),
                                      "weighted_amount": as_float(r["weighted_amount"])} for r in seg_rows},
    }
    out.headline = (f"Open pipeline{segment_words(ask)} {closing_words(cur)}: **{money(total)}** across "
                    f"{num(count)} deals, {money(weighted)} weighted ({pct(ratio_pct(weighted, total))} of the total).")
    if mix:
        big = max(mix, key=lambda k: mix[k]["total_amount"])
        s["largest_stage"] = big
        out.bullets.append(f"Largest stage: **{big}** with {money(mix[big]['total_amount'])} "
                           f"({pct(s['by_stage'][big]['share_pct'])}, {count_of(mix[big]['deal_count'], 'deal')}).")
        out.bullets.append(f"Late stage (60%+ probability): {money(s['late_stage_amount'])}, "
                           f"{pct(s['late_stage_share_pct'])} of the pipeline.")
    if s["by_segment"] and not ask.segment:
        top = max(s["by_segment"], key=lambda k: s["by_segment"][k]["open_amount"])
        out.bullets.append(f"**{top}** holds the most: {money(s['by_segment'][top]['open_amount'])} "
                           f"({money(s['by_segment'][top]['weighted_amount'])} weighted).")
    no_fc = lacks(ask, "opportunities.forecast_category")
    if no_fc:
        s["commit_amount"] = None
        out.bullets.append(unavailable_note(ask, out, "forecast_category", no_fc))
    else:
        out.bullets.append(f"Commit: {money(s['commit_amount'])}.")
    out.rows = rows
    out.columns = [("close_quarter", "Quarter", "text"), ("stage", "Stage", "text"), ("deal_count", "Deals", "num"),
                   ("total_amount", "Amount", "money"), ("weighted_amount", "Weighted", "money")]
    dim = breakdown_dimension(ask)
    if dim == "stage":
        breakdown_table(out, "stage", {k: {**v, "amount": v["total_amount"]} for k, v in mix.items()},
                        {k: v["probability"] for k, v in mix.items()})
    elif dim == "segment":
        breakdown_table(out, "segment", {k: {**v, "amount": v["open_amount"]} for k, v in s["by_segment"].items()})
    return out


def _pipeline_from_deals(ask: Ask, out: Outcome, cur: Period, deal_filters: dict[str, Any]) -> Outcome:
    """Open pipeline when the question filters it (region, owner, amount, competitor ...): from the matching
    deals themselves, so every filter is applied in the SQL."""
    deals = run(ask, out, "deals_closing_in_period", start_date=cur.start, end_date=cur.end, segment=ask.segment,
                limit=SUMMARY_LIMIT, **deal_filters)
    if len(deals) >= SUMMARY_LIMIT:
        out.notes.append(f"Only the {SUMMARY_LIMIT} biggest matching deals are counted.")
    total = sum(as_float(d["amount"]) for d in deals)
    weighted = sum(as_float(d["weighted_amount"]) for d in deals)
    by_stage = breakdown(deals, "stage")
    s = out.summary = {"deal_count": len(deals), "open_amount": total, "weighted_amount": weighted,
                       "by_stage": {k: {**v, "share_pct": ratio_pct(v["amount"], total)} for k, v in by_stage.items()},
                       "commit_amount": sum(as_float(d["amount"]) for d in deals if d["forecast_category"] == "Commit"),
                       "by_segment": breakdown(deals, "segment")}
    for dim in ask.dimensions:
        if dim not in ("stage", "quarter"):
            s[f"by_{dim}"] = breakdown(deals, dim)
    out.headline = (f"Open pipeline{segment_words(ask)}{ask.filter_words()} {closing_words(cur)}: **{money(total)}** "
                    f"across {num(len(deals))} deals, {money(weighted)} weighted ({pct(ratio_pct(weighted, total))} of the total).")
    if by_stage:
        big = max(by_stage, key=lambda k: by_stage[k]["amount"])
        s["largest_stage"] = big
        out.bullets.append(f"Largest stage: **{big}** with {money(by_stage[big]['amount'])} "
                           f"({pct(s['by_stage'][big]['share_pct'])}, {count_of(by_stage[big]['deal_count'], 'deal')}).")
    for dim in ask.dimensions:
        if dim not in ("stage", "quarter"):
            top = sorted(s[f"by_{dim}"].items(), key=lambda kv: -kv[1]["amount"])
            out.bullets.append(f"By {dim.replace('_', ' ')}: " + ", ".join(
                f"{k} {money(v['amount'])} ({count_of(v['deal_count'], 'deal')})" for k, v in top[:6]) + ".")
    out.bullets.append(f"Commit: {money(s['commit_amount'])}.")
    out.rows, out.row_total = deals[:ROW_CAP], len(deals)
    out.columns = [("deal_name", "Deal", "text"), ("stage", "Stage", "text"), ("amount", "Amount", "money"),
                   ("probability", "Prob.", "pct"), ("close_date", "Close", "date"), ("owner_name", "Owner", "text")]
    dim = breakdown_dimension(ask)
    if dim is not None:
        order = None
        if dim == "stage":
            order = {}
            for d in deals:
                order[d["stage"]] = max(order.get(d["stage"], 0.0), as_float(d.get("probability")))
        breakdown_table(out, dim, s["by_stage"] if dim == "stage" else s.get(f"by_{dim}") or breakdown(deals, dim), order)
    return out


def deals_closing(ask: Ask) -> Outcome:
    out = Outcome("deals_closing", "Deals closing")
    if ask.period is None and ask.any_close_date:     # "list all open deals", "deals still in discovery"
        cur = ANY_CLOSE_DATE
    else:
        cur = ahead(ask) or quarter_of(ask.as_of, ask.fiscal_start_month)
    out.period = cur
    min_amount = ask.min_amount
    owner_id = ask.owner_id
    deal_filters = deal_filter_values(ask)
    filtered = bool(deal_filters) or bool(set(ask.dimensions) - {"segment", "stage"})
    deals = run(ask, out, "deals_closing_in_period", start_date=cur.start, end_date=cur.end, segment=ask.segment,
                limit=SUMMARY_LIMIT if filtered else ROW_CAP, **deal_filters)
    if filtered:
        if len(deals) >= SUMMARY_LIMIT:
            out.notes.append(f"Only the {SUMMARY_LIMIT} biggest matching deals are counted.")
        count = len(deals)
        total = sum(as_float(d["amount"]) for d in deals)
        weighted = sum(as_float(d["weighted_amount"]) for d in deals)
        commit = sum(as_float(d["amount"]) for d in deals if d["forecast_category"] == "Commit")
        by_seg: dict[str, dict[str, Any]] = {}
        for d in deals:
            b = by_seg.setdefault(d["segment"] or "Unknown", {"deal_count": 0, "open_amount": 0.0, "weighted_amount": 0.0})
            b["deal_count"] += 1
            b["open_amount"] += as_float(d["amount"])
            b["weighted_amount"] += as_float(d["weighted_amount"])
        by_stage: dict[str, dict[str, Any]] = {}
        for d in deals:
            b = by_stage.setdefault(d["stage"], {"deal_count": 0, "amount": 0.0})
            b["deal_count"] += 1
            b["amount"] += as_float(d["amount"])
    else:
        seg_rows = run(ask, out, "weighted_pipeline", start_date=cur.start, end_date=cur.end, group_by="segment",
                       segment=ask.segment)
        stage_rows = run(ask, out, "pipeline_by_quarter_and_stage", start_date=cur.start, end_date=cur.end,
                         segment=ask.segment)
        count = sum(int(r["deal_count"]) for r in seg_rows)
        total = sum(as_float(r["open_amount"]) for r in seg_rows)
        weighted = sum(as_float(r["weighted_amount"]) for r in seg_rows)
        commit = sum(as_float(r["commit_amount"]) for r in seg_rows)
        by_seg = {r["segment"]: {"deal_count": int(r["deal_count"]), "open_amount": as_float(r["open_amount"]),
                                 "weighted_amount": as_float(r["weighted_amount"])} for r in seg_rows}
        by_stage = {k: {"deal_count": int(v["deal_count"]), "amount": v["total_amount"]}
                    for k, v in _stage_mix(stage_rows).items()}
    top5 = sum(as_float(d["amount"]) for d in deals[:5])
    s = out.summary = {"deal_count": count, "total_amount": total, "weighted_amount": weighted,
                       "commit_amount": commit, "top5_amount": top5, "top5_share_pct": ratio_pct(top5, total),
                       "by_segment": by_seg, "by_stage": by_stage}
    if min_amount is not None:
        s["min_amount"] = min_amount
    for dim in ask.dimensions:
        if dim not in ("segment", "stage"):
            s[f"by_{dim}"] = breakdown(deals, dim)
            top = sorted(s[f"by_{dim}"].items(), key=lambda kv: -kv[1]["amount"])
            if top:
                out.bullets.insert(0, f"By {dim.replace('_', ' ')}: " + ", ".join(
                    f"{k} {money(v['amount'])} ({count_of(v['deal_count'], 'deal')})" for k, v in top[:6]) + ".")
    what = f"open{segment_words(ask)} deals" + ask.filter_words()
    if count == 1:
        what = what.replace(" deals", " deal", 1)
    when = "whatever the close date" if cur is ANY_CLOSE_DATE else \
        f"{'is' if count == 1 else 'are'} set to close in {cur.label}"
    if cur is ANY_CLOSE_DATE:
        out.title = "Open deals"
    out.headline = (f"**{num(count)}** {what} {when}, worth **{money(total)}** "
                    f"({money(weighted)} probability-weighted).")
    if deals:
        d0 = deals[0]
        s["largest_deal"] = {"opportunity_id": d0["opportunity_id"], "deal_name": d0["deal_name"],
                             "amount": as_float(d0["amount"]), "stage": d0["stage"]}
        out.bullets.append(f"Biggest: **{d0['deal_name']}** ({money(d0['amount'])}, {d0['stage']}, "
                           f"{d0['probability']}%, closes {jsonable(d0['close_date'])}).")
        out.bullets.append(f"The top 5 deals are {money(top5)}, {pct(s['top5_share_pct'])} of the total.")
    no_fc = lacks(ask, "opportunities.forecast_category")
    if no_fc:
        s["commit_amount"] = None
        out.bullets.append(unavailable_note(ask, out, "forecast_category", no_fc))
    else:
        out.bullets.append(f"Commit: {money(commit)} ({pct(ratio_pct(commit, total))} of the amount).")
    if by_stage:
        big = max(by_stage, key=lambda k: by_stage[k]["amount"])
        out.bullets.append(f"Most money sits in **{big}**: {money(by_stage[big]['amount'])} across "
                           f"{count_of(by_stage[big]['deal_count'], 'deal')}.")
    if len(by_seg) > 1:
        parts = ", ".join(f"{k} {money(v['open_amount'])}" for k, v in
                          sorted(by_seg.items(), key=lambda kv: -kv[1]["open_amount"]))
        out.bullets.append(f"By segment: {parts}.")
    if owner_id is not None:
        s["owner_id"] = owner_id
    out.rows, out.row_total = deals[:ROW_CAP], count
    out.columns = [("deal_name", "Deal", "text"), ("segment", "Segment", "text"), ("stage", "Stage", "text"),
                   ("amount", "Amount", "money"), ("probability", "Prob.", "pct"),
                   ("close_date", "Close", "date"), ("owner_name", "Owner", "text")]
    return out


RISK_FACTORS: dict[str, str] = {
    "no_economic_buyer": "No economic buyer at a late stage",
    "pushed": "Close date pushed 2+ times",
    "stale": "No activity for 21+ days",
    "competitor": "Competitor in the deal",
    "past_due": "Close date already passed",
}


def deal_risk_factors(ask: Ask) -> Outcome:
    out = Outcome("deal_risk_factors", "Risk factors in the deals closing")
    cur = ahead(ask) or quarter_of(ask.as_of, ask.fiscal_start_month)
    out.period = cur
    rows = run(ask, out, "data_deal_risk_factors", start_date=cur.start, end_date=cur.end, as_of=ask.as_of,
               segment=ask.segment, region=ask.value("region"), owner_id=ask.owner_id, min_amount=ask.min_amount,
               per_factor=3)
    summary_row = rows[0] if rows else {}
    top = [r for r in rows if r.get("factor")]
    open_count = int(summary_row.get("open_deal_count") or 0)
    open_amount = as_float(summary_row.get("open_amount"))
    factors = {}
    for key, label in RISK_FACTORS.items():
        factors[key] = {"label": label, "deal_count": int(summary_row.get(f"{key}_count") or 0),
                        "amount": as_float(summary_row.get(f"{key}_amount")),
                        "share_of_amount_pct": ratio_pct(summary_row.get(f"{key}_amount"), open_amount),
                        "top_deals": [{"opportunity_id": r["opportunity_id"], "deal_name": r["deal_name"],
                                       "amount": as_float(r["amount"]), "stage": r["stage"]}
                                      for r in top if r["factor"] == key]}
    s = out.summary = {"open_deal_count": open_count, "open_amount": open_amount,
                       "at_risk_count": int(summary_row.get("at_risk_count") or 0),
                       "at_risk_amount": as_float(summary_row.get("at_risk_amount")),
                       "multi_risk_count": int(summary_row.get("multi_risk_count") or 0),
                       "multi_risk_amount": as_float(summary_row.get("multi_risk_amount")),
                       "factors": factors}
    s["at_risk_share_pct"] = ratio_pct(s["at_risk_amount"], open_amount)
    no_history = lacks(ask, "opportunity_stage_history.old_close_date", "opportunity_stage_history.new_close_date")
    if no_history:       # the pattern counts no push without the history: say so rather than show 0
        factors["pushed"].update(deal_count=None, amount=None, share_of_amount_pct=None, unavailable=True)
        out.notes.append(unavailable_note(ask, out, "pushes", no_history))
    ranked = sorted(factors, key=lambda k: (-(factors[k]["amount"] or 0), k))
    s["top_factor"] = ranked[0] if open_count and factors[ranked[0]]["deal_count"] else None
    out.headline = (f"Of **{num(open_count)}** open{segment_words(ask)} deals{ask.filter_words()} closing in {cur.label} "
                    f"({money(open_amount)}), **{num(s['at_risk_count'])}** show at least one risk factor "
                    f"({money(s['at_risk_amount'])}, {pct(s['at_risk_share_pct'])} of the amount); "
                    f"{num(s['multi_risk_count'])} show two or more ({money(s['multi_risk_amount'])}).")
    for k in ranked:
        f = factors[k]
        if not f["deal_count"]:
            continue
        biggest = ", ".join(f"{d['deal_name']} ({money(d['amount'])})" for d in f["top_deals"])
        out.bullets.append(f"**{f['label']}**: {count_of(f['deal_count'], 'deal')}, {money(f['amount'])} "
                           f"({pct(f['share_of_amount_pct'])}) - biggest: {biggest}.")
    deal_cols = ("factor", "factor_rank", "opportunity_id", "deal_name", "account_name", "segment", "owner_name",
                 "stage", "amount", "probability", "close_date", "last_activity_date", "days_since_activity",
                 "push_count", "economic_buyer_status", "competitors")
    out.rows = [{**{k: r.get(k) for k in deal_cols}, "factor_label": RISK_FACTORS.get(r["factor"], r["factor"])}
                for r in top][:ROW_CAP]
    out.columns = [("factor_label", "Risk factor", "text"), ("deal_name", "Deal", "text"),
                   ("stage", "Stage", "text"), ("amount", "Amount", "money"), ("close_date", "Close", "date"),
                   ("days_since_activity", "Days idle", "num"), ("push_count", "Pushes", "num"),
                   ("owner_name", "Owner", "text")]
    return out


def slipped_deals(ask: Ask) -> Outcome:
    out = Outcome("slipped_deals", "Slipped deals")
    cur = clip(ask.period or quarter_of(ask.as_of, ask.fiscal_start_month), ask.as_of)
    out.period = cur
    gaps = pattern_lacks(ask, "slipped_deals")
    if gaps:
        out.summary = {"slipped_count": None, "slipped_amount": None, "pushed_twice_count": None,
                       "pushed_twice_amount": None, "total_days_pushed": None, "avg_days_pushed": None}
        out.headline = unavailable_note(ask, out, "slipped_deals", gaps)
        return out
    rows = run(ask, out, "slipped_deals", start_date=cur.start, end_date=cur.end, segment=ask.segment,
               region=ask.value("region"), owner_id=ask.owner_id, min_amount=ask.min_amount, limit=ROW_CAP)
    t = rows[0] if rows else {}
    count = int(t.get("total_deals") or 0)
    s = out.summary = {"slipped_count": count, "slipped_amount": as_float(t.get("total_amount")),
                       "pushed_twice_count": int(t.get("pushed_twice_deals") or 0),
                       "pushed_twice_amount": as_float(t.get("pushed_twice_amount")),
                       "total_days_pushed": int(t.get("total_days_pushed") or 0)}
    s["avg_days_pushed"] = s["total_days_pushed"] / count if count else None
    out.headline = (f"**{num(count)}** open{segment_words(ask)} {'deal' if count == 1 else 'deals'}{ask.filter_words()} had the close date "
                    f"pushed during {cur.label}, worth **{money(s['slipped_amount'])}**; "
                    f"{num(s['pushed_twice_count'])} were pushed two or more times ({money(s['pushed_twice_amount'])}).")
    if rows:
        r0 = rows[0]
        s["largest_deal"] = {"deal_name": t.get("largest_deal_name"), "amount": as_float(t.get("largest_amount"))}
        out.bullets.append(f"Worst: **{r0['deal_name']}** pushed {count_of(r0['push_count'], 'time')} "
                           f"({count_of(r0['days_pushed'], 'day')}), {money(r0['amount'])}, now closing "
                           f"{jsonable(r0['current_close_date'])}.")
        out.bullets.append(f"On average a slipped deal moved {num(s['avg_days_pushed'])} days.")
        out.bullets.append(f"Biggest slipped deal: {t.get('largest_deal_name')} ({money(t.get('largest_amount'))}, "
                           f"{t.get('largest_deal_stage')}).")
    keep = ("opportunity_id", "deal_name", "account_name", "segment", "owner_name", "stage", "amount", "is_closed",
            "is_won", "push_count", "days_pushed", "first_close_date", "current_close_date", "last_pushed_at")
    out.rows, out.row_total = [{k: r.get(k) for k in keep} for r in rows], count
    out.columns = [("deal_name", "Deal", "text"), ("stage", "Stage", "text"), ("amount", "Amount", "money"),
                   ("push_count", "Pushes", "num"), ("days_pushed", "Days pushed", "num"),
                   ("current_close_date", "Now closing", "date"), ("owner_name", "Owner", "text")]
    return out
