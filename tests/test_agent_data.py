"""The Data agent against the demo warehouse (both seeds): every headline figure is recomputed here in plain
Python from the raw tables, never copied from the demo's numbers."""

from __future__ import annotations

import json
import re
from collections import defaultdict
from datetime import date, datetime, timedelta

import duckdb
import pytest

from revops_cli.agents.analyses import ANALYSES, RULES
from revops_cli.agents.base import AgentContext, Task
from revops_cli.agents.data import DataAgent, capabilities, choose_analyses, choose_analysis
from revops_cli.agents.periods import parse_period
from revops_cli.models import Request, Trace
from revops_cli.formatting import money, num, signed_pct

AS_OF = date(2026, 11, 24)
Q4 = (date(2026, 10, 1), date(2026, 12, 31))

TABLES = ("accounts", "opportunities", "opportunity_stage_history", "leads", "calls", "usage_daily",
          "billing_monthly", "targets", "users")
_RAW: dict[str, dict[str, list[dict]]] = {}


def raw_tables(db) -> dict[str, list[dict]]:
    """Every table of a demo warehouse as a list of dicts (read once per file)."""
    key = str(db)
    if key not in _RAW:
        con = duckdb.connect(key, read_only=True, config={"enable_external_access": False})
        try:
            out = {}
            for t in TABLES:
                cur = con.execute(f"SELECT * FROM {t}")
                cols = [d[0] for d in cur.description]
                out[t] = [dict(zip(cols, r)) for r in cur.fetchall()]
        finally:
            con.close()
        _RAW[key] = out
    return _RAW[key]


@pytest.fixture
def env(demo_db, settings_for):
    from revops_cli.warehouse.connect import open_warehouse

    raw = raw_tables(demo_db)
    settings = settings_for(demo_db)
    wh = open_warehouse(settings)

    def ask(text: str, **entities):
        ctx = AgentContext(settings=settings, warehouse=wh, trace=Trace(), request=Request(text=text))
        answer = DataAgent().handle(ctx, Task(intent="analysis", text=text, entities=entities))
        json.dumps(answer.data)             # the structured result is plain JSON
        return answer

    yield ask, raw
    wh.close()


def close(a, b, rel=1e-6):
    if a is None or b is None:
        return a is None and b is None
    return abs(float(a) - float(b)) <= rel * max(1.0, abs(float(a)), abs(float(b)))


def _d(v) -> date:
    return v.date() if isinstance(v, datetime) else v


# ---------------------------------------------------------------------------------------------------------
# Choosing the analysis
# ---------------------------------------------------------------------------------------------------------

PHRASINGS = {
    # the reference questions
    "analyze Q4 revenue performance by customer segment": "revenue_by_segment",
    "identify top expansion opportunities based on usage trends": "expansion",
    "which customers show declining engagement patterns?": "declining_engagement",
    "what are the main risk factors for deals closing this quarter?": "deal_risk_factors",
    "compare revenue performance vs same quarter last year": "revenue_by_segment",
    "which competitors were mentioned in our last call with Acme Corp?": "competitor_mentions",
    "analyze competitor mentions across all Q3 sales calls": "competitor_mentions",
    "What deals are closing this quarter?": "deals_closing",
    "new leads by source last month": "lead_volume_by_source",
    "forecast vs target this quarter": "forecast_vs_target",
    "win rate by segment this year": "win_rate",
    "pipeline by stage": "pipeline",
    # paraphrases
    "Q4 revenue by segment with YoY": "revenue_by_segment",
    "how did Enterprise revenue do year over year?": "revenue_by_segment",
    "what is our ARR by segment?": "revenue_by_segment",
    "show me the monthly revenue trend": "revenue_trend",
    "revenue by month this year": "revenue_trend",
    "which accounts are likely to churn?": "declining_engagement",
    "customers whose usage dropped last month": "declining_engagement",
    "who should we upsell?": "expansion",
    "which customers are growing usage fastest and have no expansion deal": "expansion",
    "which Q4 deals are at risk?": "deal_risk_factors",
    "red flags in this quarter's pipeline": "deal_risk_factors",
    "how often does Snowflake come up in calls?": "competitor_mentions",
    "what did the competition look like in Q3 calls": "competitor_mentions",
    "Which opportunities are expected to close in Q1?": "deals_closing",
    "how many leads did we get this quarter by source": "lead_volume_by_source",
    "which lead sources convert best?": "lead_volume_by_source",
    "are we going to hit the number this quarter?": "forecast_vs_target",
    "gap to quota for Q4": "forecast_vs_target",
    "what is our pipeline coverage for Q4?": "coverage",
    "do we have enough pipeline to hit the target?": "coverage",
    "close rate for enterprise deals last quarter": "win_rate",
    "which deals keep slipping?": "slipped_deals",
    "deals pushed out this quarter": "slipped_deals",
    "who are our top reps this quarter?": "owner_leaderboard",
    "sales leaderboard": "owner_leaderboard",
    "show weighted pipeline by quarter": "pipeline",
}


@pytest.mark.parametrize("question,expected", list(PHRASINGS.items()))
def test_choose_analysis(question, expected):
    assert choose_analysis(question) == expected


def test_rules_cover_every_analysis_in_order():
    assert [name for name, _ in RULES] == list(ANALYSES)
    for a in ANALYSES.values():
        assert a.patterns and a.examples and a.default_period
        for ex in a.examples:
            assert choose_analysis(ex) == a.name, ex


def test_two_asks_run_two_analyses_in_the_order_asked():
    assert choose_analyses("forecast vs target and pipeline coverage this quarter") == ["forecast_vs_target", "coverage"]
    assert choose_analyses("what deals are closing this quarter, and what are their risk factors?") == \
        ["deals_closing", "deal_risk_factors"]
    assert choose_analyses("win rate by segment and owner") == ["win_rate"]
    assert choose_analyses("Enterprise and Mid-Market revenue this quarter") == ["revenue_by_segment"]
    assert choose_analyses("what's the weather like?") == []


# ---------------------------------------------------------------------------------------------------------
# The analyses against independently computed figures
# ---------------------------------------------------------------------------------------------------------

def test_revenue_by_segment_q4_with_yoy(env):
    ask, raw = env
    a = ask("analyze Q4 revenue performance by customer segment")
    assert a.ok and a.data["analysis"] == "revenue_by_segment"
    start, end = Q4[0], min(Q4[1], AS_OF)                     # a quarter in progress: to date, like for like
    pstart, pend = start.replace(year=2025), end.replace(year=2025)
    seg = {r["account_id"]: r["segment"] for r in raw["accounts"]}
    cur, prev = defaultdict(float), defaultdict(float)
    for b in raw["billing_monthly"]:
        if start <= b["month"] <= end:
            cur[seg[b["account_id"]]] += b["revenue"] or 0
        if pstart <= b["month"] <= pend:
            prev[seg[b["account_id"]]] += b["revenue"] or 0
    s = a.data["summary"]
    total, ptotal = sum(cur.values()), sum(prev.values())
    assert total > 0 and ptotal > 0
    assert close(s["revenue"], total) and close(s["prev_year_revenue"], ptotal)
    assert close(s["yoy_change_pct"], 100 * (total - ptotal) / ptotal)
    for name in set(cur) | set(prev):
        got = s["by_segment"][name]
        assert close(got["revenue"], cur[name]) and close(got["prev_year_revenue"], prev[name])
        assert close(got["share_pct"], 100 * cur[name] / total)
    assert s["top_segment"] == max(cur, key=cur.get)
    assert a.data["period"]["start"] == start.isoformat() and a.data["period"]["end"] == end.isoformat()
    assert money(total) in a.text and signed_pct(s["yoy_change_pct"]) in a.text and money(ptotal) in a.text
    assert "| Segment |" in a.text and [s["pattern"] for s in a.sources] == ["revenue_by_segment"]


def test_deals_closing_this_quarter(env):
    ask, raw = env
    a = ask("What deals are closing this quarter?")
    assert a.data["analysis"] == "deals_closing"
    deals = [o for o in raw["opportunities"] if not o["is_closed"] and Q4[0] <= o["close_date"] <= Q4[1]]
    s = a.data["summary"]
    assert s["deal_count"] == len(deals) > 0
    assert close(s["total_amount"], sum(o["amount"] for o in deals))
    assert close(s["weighted_amount"], sum(o["amount"] * o["probability"] / 100 for o in deals))
    assert close(s["commit_amount"], sum(o["amount"] for o in deals if o["forecast_category"] == "Commit"))
    assert close(s["largest_deal"]["amount"], max(o["amount"] for o in deals))
    assert len(a.data["rows"]) == min(50, len(deals))
    assert [r["amount"] for r in a.data["rows"]] == sorted((o["amount"] for o in deals), reverse=True)[:50]
    assert num(len(deals)) in a.text and money(s["total_amount"]) in a.text
    assert s["largest_deal"]["deal_name"] in a.text


def test_deals_closing_this_week_name_the_week_once(env):
    ask, raw = env
    a = ask("any deals closing this week?")
    monday = AS_OF - timedelta(days=AS_OF.weekday())
    span = f"({monday.isoformat()} to {(monday + timedelta(days=6)).isoformat()})"
    deals = [o for o in raw["opportunities"] if not o["is_closed"] and monday <= o["close_date"] <= monday + timedelta(days=6)]
    assert a.data["summary"]["deal_count"] == len(deals)
    heading = next(line for line in a.text.splitlines() if line.startswith("### "))
    assert heading.count(span) == 1, heading


def test_deal_risk_factors_this_quarter(env):
    ask, raw = env
    a = ask("what are the main risk factors for deals closing this quarter?")
    assert a.data["analysis"] == "deal_risk_factors"
    deals = [o for o in raw["opportunities"] if not o["is_closed"] and Q4[0] <= o["close_date"] <= Q4[1]]
    pushes = defaultdict(int)
    for h in raw["opportunity_stage_history"]:
        if h["old_close_date"] and h["new_close_date"] and h["new_close_date"] > h["old_close_date"] \
                and _d(h["changed_at"]) <= AS_OF:
            pushes[h["opportunity_id"]] += 1
    checks = {
        "no_economic_buyer": lambda o: o["probability"] >= 60 and (o["economic_buyer_status"] or "Unknown") == "Unknown",
        "pushed": lambda o: pushes[o["opportunity_id"]] >= 2,
        "stale": lambda o: o["last_activity_date"] is None or (AS_OF - o["last_activity_date"]).days >= 21,
        "competitor": lambda o: bool((o["competitors"] or "").strip()),
        "past_due": lambda o: o["close_date"] < AS_OF,
    }
    s = a.data["summary"]
    assert s["open_deal_count"] == len(deals) > 0
    assert close(s["open_amount"], sum(o["amount"] for o in deals))
    nfactors = {o["opportunity_id"]: sum(1 for f in checks.values() if f(o)) for o in deals}
    for key, check in checks.items():
        hit = [o for o in deals if check(o)]
        got = s["factors"][key]
        assert got["deal_count"] == len(hit), key
        assert close(got["amount"], sum(o["amount"] for o in hit)), key
        top = sorted(hit, key=lambda o: (-o["amount"], o["opportunity_id"]))[:3]
        assert [d["opportunity_id"] for d in got["top_deals"]] == [o["opportunity_id"] for o in top], key
        if hit:
            assert f"{num(len(hit))} deals, {money(got['amount'])}" in a.text
    assert s["at_risk_count"] == sum(1 for n in nfactors.values() if n >= 1)
    assert s["multi_risk_count"] == sum(1 for n in nfactors.values() if n >= 2)
    assert close(s["at_risk_amount"], sum(o["amount"] for o in deals if nfactors[o["opportunity_id"]]))
    assert num(len(deals)) in a.text and money(s["at_risk_amount"]) in a.text
    assert [x["pattern"] for x in a.sources] == ["data_deal_risk_factors"]


def _usage_windows(raw, n=30):
    split = AS_OF - timedelta(days=n)
    lo = split - timedelta(days=n)
    agg = defaultdict(lambda: {"r": 0.0, "p": 0.0, "ru": [], "pu": []})
    for u in raw["usage_daily"]:
        d = u["usage_date"]
        if lo < d <= AS_OF:
            g = agg[u["account_id"]]
            if d > split:
                g["r"] += u["engine_hours"] or 0
                if u["active_users"] is not None:
                    g["ru"].append(u["active_users"])
            else:
                g["p"] += u["engine_hours"] or 0
                if u["active_users"] is not None:
                    g["pu"].append(u["active_users"])
    return agg


def _arr(raw):
    last = {}
    for b in raw["billing_monthly"]:
        if b["month"] <= AS_OF and (b["account_id"] not in last or b["month"] > last[b["account_id"]]["month"]):
            last[b["account_id"]] = b
    return {k: 12 * v["revenue"] for k, v in last.items() if v["revenue"] is not None}


def test_declining_engagement(env):
    ask, raw = env
    a = ask("which customers show declining engagement patterns?")
    assert a.data["analysis"] == "declining_engagement"
    customers = {r["account_id"] for r in raw["accounts"] if r["account_type"] == "customer"}
    arr = _arr(raw)
    declining = [k for k, g in _usage_windows(raw).items()
                 if k in customers and g["p"] > 0 and 100 * (g["r"] - g["p"]) / g["p"] <= -10]
    s = a.data["summary"]
    assert s["declining_count"] == len(declining) > 0
    assert close(s["arr_at_risk"], sum(arr.get(k, 0) for k in declining))
    assert {r["account_id"] for r in a.data["rows"]} <= set(declining)
    renewal = {}
    for o in sorted(raw["opportunities"], key=lambda o: (o["close_date"], o["opportunity_id"])):
        if o["type"] == "Renewal" and not o["is_closed"]:
            renewal.setdefault(o["account_id"], o)
    soon = [k for k in declining if k in renewal and 0 <= (renewal[k]["close_date"] - AS_OF).days <= 90]
    assert s["renewing_within_90_days_count"] == len(soon)
    assert close(s["renewing_within_90_days_arr"], sum(arr.get(k, 0) for k in soon))
    assert a.data["period"]["end"] == AS_OF.isoformat()
    assert num(len(declining)) in a.text and money(s["arr_at_risk"]) in a.text


def test_expansion_opportunities(env):
    ask, raw = env
    a = ask("identify top expansion opportunities based on usage trends")
    assert a.data["analysis"] == "expansion"
    accounts = {r["account_id"]: r for r in raw["accounts"]}
    open_exp = {o["account_id"] for o in raw["opportunities"] if o["type"] == "Expansion" and not o["is_closed"]}
    arr = _arr(raw)
    picked = []
    for k, g in _usage_windows(raw).items():
        acc = accounts[k]
        if acc["account_type"] != "customer" or k in open_exp:
            continue
        eh = 100 * (g["r"] - g["p"]) / g["p"] if g["p"] else None
        ru = sum(g["ru"]) / len(g["ru"]) if g["ru"] else None
        pu = sum(g["pu"]) / len(g["pu"]) if g["pu"] else None
        au = 100 * (ru - pu) / pu if ru is not None and pu else None
        if (eh is not None and eh >= 10) or (au is not None and au >= 10):
            picked.append(k)
    s = a.data["summary"]
    assert s["candidate_count"] == len(picked) > 0
    assert close(s["arr"], sum(arr.get(k, 0) for k in picked))
    headroom = sum(max((accounts[k]["potential_spend"] or 0) - arr.get(k, 0), 0)
                   for k in picked if accounts[k]["potential_spend"] is not None)
    assert close(s["spend_headroom"], headroom)
    room = {k: (accounts[k]["potential_spend"] or 0) - arr.get(k, 0) for k in picked}
    assert close(s["largest_headroom"]["spend_headroom"], max(room.values()))
    assert num(len(picked)) in a.text and money(headroom) in a.text


def _competitors():
    from revops_cli.sql_patterns.catalog import Catalog

    return list(Catalog.load().get("competitor_mentions").params["competitors"].default)


def test_competitor_mentions_across_q3_calls(env):
    ask, raw = env
    a = ask("analyze competitor mentions across all Q3 sales calls")
    assert a.data["analysis"] == "competitor_mentions"
    start, end = date(2026, 7, 1), date(2026, 9, 30)
    calls = [c for c in raw["calls"] if start <= _d(c["started_at"]) <= end]
    comps = _competitors()
    per = {c: sum(1 for x in calls if c.lower() in (x["transcript"] or "").lower()) for c in comps}
    anyc = sum(1 for x in calls if any(c.lower() in (x["transcript"] or "").lower() for c in comps))
    s = a.data["summary"]
    assert s["call_count"] == len(calls) > 0
    assert s["competitor_call_count"] == anyc
    assert s["mentions"] == per
    top = min(per, key=lambda c: (-per[c], c)) if any(per.values()) else None
    assert s["top_competitor"] == top
    assert a.data["period"]["start"] == start.isoformat() and a.data["period"]["end"] == end.isoformat()
    assert f"**{num(anyc)}** of {num(len(calls))} calls" in a.text
    if top:
        assert f"**{top}** comes up most: {num(per[top])} calls" in a.text


@pytest.mark.parametrize("with_entity", [True, False], ids=["entity", "from_text"])
def test_competitors_in_last_call_with_acme(env, with_entity):
    ask, raw = env
    acme = [r for r in raw["accounts"] if r["name"] == "Acme Corp"]
    assert len(acme) == 1
    acc = acme[0]
    entities = {"account": {"account_id": acc["account_id"], "name": acc["name"]}} if with_entity else {}
    a = ask("which competitors were mentioned in our last call with Acme Corp?", **entities)
    assert a.data["analysis"] == "competitor_mentions"
    calls = [c for c in raw["calls"] if c["account_id"] == acc["account_id"] and _d(c["started_at"]) <= AS_OF]
    assert calls
    last = sorted(sorted(calls, key=lambda c: c["call_id"]), key=lambda c: c["started_at"], reverse=True)[0]
    comps = _competitors()
    found = {c: len(re.findall(rf"\b{re.escape(c)}\b", last["transcript"] or "", re.I)) for c in comps}
    found = {c: n for c, n in found.items() if n}
    s = a.data["summary"]
    assert s["call_id"] == last["call_id"]
    assert s["mentions"] == found
    assert set(s["competitors_mentioned"]) == set(found)
    for c in found:
        assert f"**{c}** ({found[c]}x)" in a.text
    assert all("transcript" not in r for r in a.data["results"]["calls_for_account"]["rows"])


def test_lead_volume_by_source_last_month(env):
    ask, raw = env
    a = ask("new leads by source last month")
    assert a.data["analysis"] == "lead_volume_by_source"
    cur = [l for l in raw["leads"] if date(2026, 10, 1) <= l["created_date"] <= date(2026, 10, 31)]
    prev = [l for l in raw["leads"] if date(2026, 9, 1) <= l["created_date"] <= date(2026, 9, 30)]
    by = defaultdict(int)
    for l in cur:
        by[l["source"] or "Unknown"] += 1
    s = a.data["summary"]
    assert s["lead_count"] == len(cur) > 0 and s["previous_lead_count"] == len(prev)
    assert {k: v["lead_count"] for k, v in s["by_source"].items()} == dict(by)
    assert s["top_source"] == min(by, key=lambda k: (-by[k], k))
    qualified = sum(1 for l in cur if l["status"] in ("MQL", "SQL", "Converted"))
    assert close(s["qualified_rate_pct"], 100 * qualified / len(cur))
    assert f"**{num(len(cur))}** new leads" in a.text and signed_pct(s["change_pct"]) in a.text


def test_forecast_vs_target_this_quarter(env):
    ask, raw = env
    a = ask("forecast vs target this quarter")
    assert a.data["analysis"] == "forecast_vs_target"
    targets = defaultdict(float)
    for t in raw["targets"]:
        if t["quarter_start"] >= Q4[0] and t["quarter_end"] <= Q4[1]:
            targets[t["segment"]] += t["bookings_target"]
    seg = {r["account_id"]: r["segment"] for r in raw["accounts"]}
    in_q = [o for o in raw["opportunities"] if Q4[0] <= o["close_date"] <= Q4[1] and seg[o["account_id"]] in targets]
    won = sum(o["amount"] for o in in_q if o["is_won"])
    commit = sum(o["amount"] for o in in_q if not o["is_closed"] and o["forecast_category"] == "Commit")
    best = sum(o["amount"] for o in in_q if not o["is_closed"] and o["forecast_category"] == "Best Case")
    target = sum(targets.values())
    s = a.data["summary"]
    assert target > 0
    assert close(s["bookings_target"], target) and close(s["closed_won_amount"], won)
    assert close(s["commit_amount"], commit) and close(s["best_case_amount"], best)
    assert close(s["gap_to_target_at_commit"], target - won - commit)
    assert close(s["attainment_pct"], 100 * won / target)
    assert s["days_left"] == (Q4[1] - AS_OF).days
    assert money(won) in a.text and money(target) in a.text and money(won + commit) in a.text
    gap = target - won - commit
    assert (money(gap) if gap > 0 else money(-gap)) in a.text


def test_two_analyses_in_one_question(env):
    ask, _ = env
    a = ask("forecast vs target and pipeline coverage this quarter")
    assert a.data["analysis"] == "forecast_vs_target"
    assert [x["analysis"] for x in a.data["analyses"]] == ["forecast_vs_target", "coverage"]
    assert "Forecast vs target" in a.text and "Pipeline coverage vs target" in a.text
    cov = a.data["analyses"][1]["summary"]
    if cov.get("coverage_ratio") is not None:
        assert f"{cov['coverage_ratio']:.1f}x" in a.text


@pytest.mark.parametrize("question", [
    "revenue by month this year", "pipeline by stage", "win rate by segment this year", "which deals keep slipping?",
    "who are our top reps this quarter?", "what is our pipeline coverage for Q4?", "which Enterprise customers are at risk of churning?",
])
def test_other_analyses_answer(env, question):
    ask, _ = env
    a = ask(question)
    assert a.ok and a.data["analysis"] == choose_analysis(question)
    assert a.data["summary"] and a.sources and a.text.strip()
    assert len(a.data["rows"]) <= 50


def test_segment_filter_is_applied(env):
    ask, raw = env
    a = ask("Which Enterprise deals close this quarter?")
    assert a.data["params"]["segment"] == "Enterprise"
    seg = {r["account_id"]: r["segment"] for r in raw["accounts"]}
    deals = [o for o in raw["opportunities"] if not o["is_closed"] and Q4[0] <= o["close_date"] <= Q4[1]
             and seg[o["account_id"]] == "Enterprise"]
    assert a.data["summary"]["deal_count"] == len(deals)


def test_unmappable_question_is_not_answered_and_names_the_closest_questions(env):
    """The capability menu is never a successful answer: ok false, exit 9, the closest questions."""
    ask, _ = env
    a = ask("what's the weather like in Lisbon?")
    assert not a.ok and a.data["analysis"] is None and a.data["error"]["exit_code"] == 9
    assert set(a.data["capabilities"]) == set(ANALYSES)
    assert "could not match" in a.text
    assert len(a.data["closest_questions"]) == 3
    for q in a.data["closest_questions"]:
        assert q in a.text


def test_capabilities_include_pattern_examples():
    caps = {c["name"]: c for c in capabilities()}
    assert caps["deals_closing"]["examples"][0] == ANALYSES["deals_closing"].examples[0]


def test_period_entity_wins(env):
    ask, raw = env
    p = parse_period("Q3 2026", AS_OF)
    a = ask("What deals are closing?", period=p)
    assert a.data["period"]["start"] == "2026-07-01" and a.data["period"]["end"] == "2026-09-30"
    deals = [o for o in raw["opportunities"] if not o["is_closed"] and p.start <= o["close_date"] <= p.end]
    assert a.data["summary"]["deal_count"] == len(deals)


def test_slipped_deals_this_quarter(env):
    ask, raw = env
    a = ask("which deals keep slipping?")
    assert a.data["analysis"] == "slipped_deals"
    start, end = Q4[0], AS_OF
    pushes = defaultdict(lambda: [0, 0])
    for h in raw["opportunity_stage_history"]:
        if h["old_close_date"] and h["new_close_date"] and h["new_close_date"] > h["old_close_date"] \
                and start <= _d(h["changed_at"]) <= end:
            pushes[h["opportunity_id"]][0] += 1
            pushes[h["opportunity_id"]][1] += (h["new_close_date"] - h["old_close_date"]).days
    opps = {o["opportunity_id"]: o for o in raw["opportunities"]}
    slipped = [k for k in pushes if not opps[k]["is_closed"]]
    s = a.data["summary"]
    assert s["slipped_count"] == len(slipped) > 0
    assert close(s["slipped_amount"], sum(opps[k]["amount"] for k in slipped))
    assert s["pushed_twice_count"] == sum(1 for k in slipped if pushes[k][0] >= 2)
    assert s["total_days_pushed"] == sum(pushes[k][1] for k in slipped)
    assert f"**{num(len(slipped))}** open deals" in a.text and money(s["slipped_amount"]) in a.text
