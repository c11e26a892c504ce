"""Customer analyses from product usage: declining engagement (churn risk) and expansion signals."""

from __future__ import annotations

from datetime import date, timedelta

from revops_cli.agents.analyses.question import window_days
from revops_cli.agents.analyses.running import (Ask, Outcome, ROW_CAP, as_float, change_pct, count_of, run,
                                                segment_words)
from revops_cli.agents.periods import Period
from revops_cli.formatting import money, num, signed_pct


def _usage_window(ask: Ask) -> tuple[int, date, Period, Period]:
    n = int(ask.params.get("window_days") or window_days(ask.period))
    end = min(ask.period.end, ask.as_of) if ask.period else ask.as_of
    recent = Period(f"last {n} days" if end == ask.as_of else f"{n} days to {end.isoformat()}",
                    end - timedelta(days=n - 1), end, "days")
    return n, end, recent, recent.previous


_SEGMENT_KEYS = (("SMB", "smb"), ("Mid-Market", "mid_market"), ("Enterprise", "enterprise"))


def account_usage(ask: Ask, analysis: str) -> Outcome:
    """One named account's usage ("is datacorp's usage growing?", "any expansion potential at datacorp?"): the
    same windows as the churn and expansion analyses, the account's queries, engine hours and peak active users
    in each, the change, and whether it meets the analyses' 10% thresholds."""
    name = ask.value("account")
    account_id = ask.id_of("account")
    out = Outcome(analysis, f"Usage at {name}")
    out.what = f"Usage at {name}"
    n, end, recent, prior = _usage_window(ask)
    out.period, out.compare_period = recent, prior
    rows = run(ask, out, "usage_trend_for_account", account=account_id or name, start_date=prior.start,
               end_date=recent.end, grain="day")
    if account_id:
        rows = [r for r in rows if r.get("account_id") == account_id]
    sums: dict[str, dict[str, float]] = {"recent": {}, "prior": {}}
    for r in rows:
        day = r["period_start"]
        which = "recent" if day >= recent.start else "prior"
        w = sums[which]
        w["query_count"] = w.get("query_count", 0.0) + as_float(r.get("query_count"))
        w["engine_hours"] = w.get("engine_hours", 0.0) + as_float(r.get("engine_hours"))
        w["peak_active_users"] = max(w.get("peak_active_users", 0.0), as_float(r.get("peak_active_users")))
    metrics = (("query_count", "Queries"), ("engine_hours", "Engine hours"), ("peak_active_users", "Peak active users"))
    change = {k: change_pct(sums["recent"].get(k), sums["prior"].get(k)) for k, _ in metrics}
    out.summary = {"account": name, "window_days": n, "recent": sums["recent"], "prior": sums["prior"],
                   "change_pct": change, "usage_rows": len(rows)}
    out.rows = [{"metric": label, "recent": sums["recent"].get(k), "prior": sums["prior"].get(k), "change": change[k]}
                for k, label in metrics]
    out.columns = [("metric", "Usage", "text"), ("recent", recent.label.capitalize(), "num"),
                   ("prior", f"The {n} days before", "num"), ("change", "Change", "signed_pct")]
    if not rows:
        out.headline = f"**{name}** has no product usage recorded in the {recent.label} or the {n} days before."
        out.rows = []
        return out
    hours = change["engine_hours"]
    users = change["active_users"] if "active_users" in change else change["peak_active_users"]
    trend = "flat"
    if hours is not None and hours >= 10 or users is not None and users >= 10:
        trend = "growing"
    elif hours is not None and hours <= -10:
        trend = "declining"
    word = {"growing": "is **growing**", "declining": "is **declining**", "flat": "is about **flat**"}[trend]
    out.headline = (f"{name}'s usage {word}: engine hours {signed_pct(hours)}, queries "
                    f"{signed_pct(change['query_count'])} in the {recent.label} against the {n} days before.")
    out.bullets.append(f"Queries: {num(sums['recent'].get('query_count', 0))} (was "
                       f"{num(sums['prior'].get('query_count', 0))}); peak active users "
                       f"{num(sums['recent'].get('peak_active_users', 0))} (was {num(sums['prior'].get('peak_active_users', 0))}).")
    if analysis == "expansion":
        out.bullets.append("Growth of 10% or more in engine hours or active users makes an expansion candidate: "
                           + (f"{name} qualifies on usage." if trend == "growing" else f"{name} does not, on usage."))
    else:
        out.bullets.append("A drop of 10% or more in engine hours flags a churn risk: "
                           + (f"{name} is flagged." if trend == "declining" else f"{name} is not flagged."))
    return out


def declining_engagement(ask: Ask) -> Outcome:
    if ask.value("account"):
        return account_usage(ask, "declining_engagement")
    out = Outcome("declining_engagement", "Customers with declining engagement")
    n, end, recent, prior = _usage_window(ask)
    out.period, out.compare_period = recent, prior
    rows = run(ask, out, "declining_usage", as_of=end, window_days=n, segment=ask.segment, region=ask.value("region"),
               limit=ROW_CAP)
    t = rows[0] if rows else {}
    count = int(t.get("total_accounts") or 0)
    arr_at_risk = as_float(t.get("total_arr"))
    by_seg = {seg: {"account_count": int(t.get(f"{k}_accounts") or 0), "arr": as_float(t.get(f"{k}_arr"))}
              for seg, k in _SEGMENT_KEYS if t.get(f"{k}_accounts")}
    s = out.summary = {
        "declining_count": count, "arr_at_risk": arr_at_risk,
        "avg_usage_change_pct": t.get("avg_usage_change_pct"),
        "min_decline_pct": 10.0, "window_days": n, "by_segment": by_seg,
        "renewing_within_90_days_count": int(t.get("renewing_90d_count") or 0),
        "renewing_within_90_days_arr": as_float(t.get("renewing_90d_arr")),
        "no_call_30_days_count": int(t.get("no_call_30d_count") or 0),
    }
    if not rows:
        out.headline = (f"No{segment_words(ask)} customer used the product 10% or more less in the {recent.label} than in "
                        f"the {n} days before.")
        return out
    out.headline = (f"**{num(count)}**{segment_words(ask)} {'customer' if count == 1 else 'customers'} used the "
                    f"product at least 10% less in the {recent.label} than in the {n} days before, carrying "
                    f"**{money(arr_at_risk)}** ARR.")
    worst = rows[0]
    s["steepest_decline"] = {"account_name": worst["account_name"], "usage_change_pct": as_float(worst["usage_change_pct"])}
    s["largest_arr_declining"] = {"account_name": t.get("largest_arr_account"), "arr": as_float(t.get("largest_arr")),
                                  "usage_change_pct": t.get("largest_arr_usage_change_pct")}
    out.bullets.append(f"Steepest drop: **{worst['account_name']}** ({worst['segment']}), engine hours "
                       f"{signed_pct(worst['usage_change_pct'])}, {money(worst['arr'])} ARR.")
    if count > 1:
        out.bullets.append(f"Most ARR exposed: **{t.get('largest_arr_account')}**, {money(t.get('largest_arr'))} ARR at "
                           f"{signed_pct(t.get('largest_arr_usage_change_pct'))}; average change across them "
                           f"{signed_pct(s['avg_usage_change_pct'])}.")
    out.bullets.append((f"Renewing within 90 days: **{num(s['renewing_within_90_days_count'])}** "
                        f"({money(s['renewing_within_90_days_arr'])} ARR) - talk to these first"
                        if s["renewing_within_90_days_count"] else "None of them renews within 90 days")
                       + f"; no call in 30+ days: {num(s['no_call_30_days_count'])}.")
    if len(by_seg) > 1:
        parts = ", ".join(f"{k} {num(v['account_count'])} ({money(v['arr'])})"
                          for k, v in sorted(by_seg.items(), key=lambda kv: -kv[1]["arr"]))
        out.bullets.append(f"By segment: {parts}.")
    out.rows, out.row_total = [{k: v for k, v in r.items() if not _is_total(k)} for r in rows], count
    out.columns = [("account_name", "Account", "text"), ("segment", "Segment", "text"),
                   ("usage_change_pct", "Usage change", "signed_pct"), ("arr", "ARR", "money"),
                   ("days_to_renewal", "Days to renewal", "num"), ("days_since_last_call", "Days since call", "num"),
                   ("csm_name", "CSM", "text")]
    return out


def _is_total(key: str) -> bool:
    """Columns that repeat a total on every row (kept in the summary, not in each row)."""
    return key.startswith(("total_", "largest_", "renewing_90d", "no_call_30d", "avg_usage", "smb_", "mid_market_",
                           "enterprise_"))


def expansion(ask: Ask) -> Outcome:
    if ask.value("account"):
        return account_usage(ask, "expansion")
    out = Outcome("expansion", "Expansion opportunities")
    n, end, recent, prior = _usage_window(ask)
    out.period, out.compare_period = recent, prior
    rows = run(ask, out, "expansion_signals", as_of=end, window_days=n, segment=ask.segment, region=ask.value("region"),
               limit=ROW_CAP)
    t = rows[0] if rows else {}
    count = int(t.get("total_accounts") or 0)
    arr, headroom = as_float(t.get("total_arr")), as_float(t.get("total_headroom"))
    by_seg = {seg: {"account_count": int(t.get(f"{k}_accounts") or 0), "headroom": as_float(t.get(f"{k}_headroom"))}
              for seg, k in _SEGMENT_KEYS if t.get(f"{k}_accounts")}
    s = out.summary = {"candidate_count": count, "arr": arr, "spend_headroom": headroom,
                       "min_growth_pct": 10.0, "window_days": n, "by_segment": by_seg}
    out.headline = (f"**{num(count)}**{segment_words(ask)} {'customer' if count == 1 else 'customers'} grew engine hours "
                    f"or active users by 10%+ in the {recent.label} and have no open expansion deal: {money(arr)} ARR "
                    f"today, **{money(headroom)}** spend headroom.")
    if rows:
        fastest = rows[0]
        s["fastest_growth"] = {"account_name": fastest["account_name"],
                               "engine_hours_growth_pct": fastest["engine_hours_growth_pct"]}
        s["largest_headroom"] = {"account_name": t.get("largest_headroom_account"),
                                 "spend_headroom": as_float(t.get("largest_headroom"))}
        out.bullets.append(f"Fastest growth: **{fastest['account_name']}** ({fastest['segment']}), engine hours "
                           f"{signed_pct(fastest['engine_hours_growth_pct'])}, active users "
                           f"{signed_pct(fastest['active_users_growth_pct'])}.")
        if as_float(t.get("largest_headroom")) > 0:
            out.bullets.append(f"Most room: **{t.get('largest_headroom_account')}**, {money(t.get('largest_headroom'))} "
                               f"between today's ARR and its potential spend.")
        with_room = sorted((r for r in rows if as_float(r["spend_headroom"]) > 0), key=lambda r: -as_float(r["spend_headroom"]))
        if with_room:
            out.bullets.append(f"Among the {count_of(len(rows), 'fastest grower')} listed, most room: "
                               + ", ".join(f"{r['account_name']} ({money(r['spend_headroom'])})" for r in with_room[:3])
                               + ".")
        if len(by_seg) > 1:
            parts = ", ".join(f"{k} {num(v['account_count'])} ({money(v['headroom'])})"
                              for k, v in sorted(by_seg.items(), key=lambda kv: -kv[1]["headroom"]))
            out.bullets.append(f"By segment: {parts}.")
    out.rows, out.row_total = [{k: v for k, v in r.items() if not _is_total(k)} for r in rows], count
    out.columns = [("account_name", "Account", "text"), ("segment", "Segment", "text"),
                   ("engine_hours_growth_pct", "Usage growth", "signed_pct"),
                   ("active_users_growth_pct", "Active users", "signed_pct"), ("arr", "ARR", "money"),
                   ("spend_headroom", "Headroom", "money"), ("owner_name", "Owner", "text")]
    return out
