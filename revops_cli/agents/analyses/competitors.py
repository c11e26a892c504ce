"""Competitive intelligence from call transcripts: competitor mentions across calls, one account's calls,
or the last call with an account."""

from __future__ import annotations

import re
from datetime import datetime

from revops_cli.agents.analyses.question import LAST_CALL, account_span, clip, find_competitors, last_days
from revops_cli.agents.analyses.running import (Ask, Outcome, count_of, pattern_fallback, ratio_pct, run,
                                                unavailable_note)
from revops_cli.agents.periods import Period
from revops_cli.models import jsonable
from revops_cli.formatting import num, pct


def known_competitors(ask: Ask) -> list[str]:
    from revops_cli.warehouse.queries import pattern_catalog

    configured = ask.ctx.settings.get("competitors")
    if isinstance(configured, list) and configured:
        return [str(c) for c in configured]
    return list(pattern_catalog(ask.ctx.settings).get("competitor_mentions").params["competitors"].default or [])


def competitor_mentions(ask: Ask) -> Outcome:
    out = Outcome("competitor_mentions", "Competitor mentions in sales calls")
    known = known_competitors(ask)
    named = find_competitors(ask.text, known)
    comps = named or known
    account = ask.account
    account_key = (account or {}).get("account_id") or (account or {}).get("name")
    if not account_key and re.search(r"\b(calls?|meetings?|conversations?) with\b", ask.text, re.I):
        account_key = account_span(ask.text)
    # No transcripts on this warehouse: the patterns' declared fallback searches the call notes and the deals'
    # competitor fields, and the answer says so.
    fallback, no_transcripts = pattern_fallback(ask, "competitor_mentions")
    search_in = fallback.get("search_in")
    last_call = bool(account_key and LAST_CALL.search(ask.text))
    if no_transcripts:
        out.notes.append(unavailable_note(ask, out, "transcripts_call" if last_call else "transcripts",
                                          no_transcripts))
    if last_call:
        return _last_call_competitors(ask, out, account_key, account, comps, notes_only=bool(no_transcripts))
    cur = clip(ask.period, ask.as_of) if ask.period else last_days(ask.as_of, 365 if account_key else 90)
    out.period = cur
    rows = run(ask, out, "competitor_mentions", start_date=cur.start, end_date=cur.end, competitors=comps,
               account=account_key, search_in=search_in)
    vol = (run(ask, out, "data_call_volume", start_date=cur.start, end_date=cur.end, competitors=comps,
               account=account_key, search_in=search_in) or [{}])[0]
    calls = int(vol.get("call_count") or 0)
    with_any = int(vol.get("competitor_call_count") or 0)
    mentions = {r["competitor"]: int(r["mention_call_count"] or 0) for r in rows}
    s = out.summary = {"call_count": calls, "competitor_call_count": with_any,
                       "competitor_call_share_pct": ratio_pct(with_any, calls), "mentions": mentions,
                       "competitors_checked": comps}
    where = f" with {(account or {}).get('name') or account_key}" if account_key else ""
    what = "a competitor" if not named else " or ".join(named)
    out.headline = (f"**{num(with_any)}** of {num(calls)} calls{where} in {cur.label} mentioned {what} "
                    f"({pct(s['competitor_call_share_pct'])}).")
    ranked = [r for r in rows if int(r["mention_call_count"] or 0) > 0]
    for r in ranked:
        r["call_share_pct"] = ratio_pct(r["mention_call_count"], calls)
    if ranked:
        lead = ranked[0]
        s["top_competitor"] = lead["competitor"]
        out.bullets.append(f"**{lead['competitor']}** comes up most: {count_of(lead['mention_call_count'], 'call')} "
                           f"({pct(lead['call_share_pct'])} of all calls), {count_of(lead['account_count'], 'account')}, "
                           f"{count_of(lead['opportunity_count'], 'deal')}.")
        for r in ranked[1:4]:
            out.bullets.append(f"{r['competitor']}: {count_of(r['mention_call_count'], 'call')}, "
                               f"{count_of(r['account_count'], 'account')}.")
        silent = [c for c in comps if not mentions.get(c)]
        if silent:
            out.bullets.append(f"Not mentioned: {', '.join(silent)}.")
    else:
        s["top_competitor"] = None
    out.rows = rows
    out.columns = [("competitor", "Competitor", "text"), ("mention_call_count", "Calls", "num"),
                   ("account_count", "Accounts", "num"), ("opportunity_count", "Deals", "num"),
                   ("last_mentioned_at", "Last mentioned", "date")]
    return out


def _last_call_competitors(ask: Ask, out: Outcome, account_key: str, account: dict | None,
                           comps: list[str], notes_only: bool = False) -> Outcome:
    out.title = "Competitors in the last call"
    calls = run(ask, out, "calls_for_account", account=account_key, end_date=ask.as_of,
                include_transcript=None if notes_only else True, limit=1)
    if not calls:
        name = (account or {}).get("name") or account_key
        out.summary = {"call_id": None, "competitors_mentioned": [], "mentions": {}}
        out.headline = f"No calls with {name} on record up to {ask.as_of.isoformat()}."
        return out
    call = calls[0]
    if notes_only:    # the call's own notes (no transcript on this warehouse)
        text = "\n".join(str(call.get(k) or "") for k in ("brief", "key_points", "next_steps"))
    else:
        text = call.get("transcript") or ""
    found = []
    for c in comps:
        hits = re.findall(rf"\b{re.escape(c)}\b", text, re.I)
        if hits:
            lines = [ln.strip() for ln in text.splitlines() if re.search(rf"\b{re.escape(c)}\b", ln, re.I)]
            found.append({"competitor": c, "mentions": len(hits), "first_quote": (lines[0][:200] if lines else "")})
    found.sort(key=lambda r: (-r["mentions"], r["competitor"]))
    started = call["started_at"]
    day = started.date() if isinstance(started, datetime) else started
    out.period = Period(f"last call with {call['account_name']}", day, day, "days")
    out.summary = {"call_id": call["call_id"], "call_date": jsonable(started)[:10], "call_title": call.get("title"),
                   "account_name": call["account_name"],
                   "competitors_mentioned": [r["competitor"] for r in found],
                   "mentions": {r["competitor"]: r["mentions"] for r in found}, "competitors_checked": comps}
    when = jsonable(started)[:10]
    if found:
        names = ", ".join(f"**{r['competitor']}** ({r['mentions']}x)" for r in found)
        out.headline = (f"Our last call with {call['account_name']} ({call.get('title') or call['call_id']}, "
                        f"{when}) mentioned {names}.")
        for r in found:
            if r["first_quote"]:
                out.bullets.append(f"{r['competitor']}: \"{r['first_quote']}\"")
    else:
        out.headline = (f"Our last call with {call['account_name']} ({call.get('title') or call['call_id']}, {when}) "
                        f"mentioned none of: {', '.join(comps)}.")
    if call.get("next_steps"):
        out.bullets.append(f"Next steps from that call: {' '.join(str(call['next_steps']).split())[:200]}")
    out.rows = found
    out.results["calls_for_account"]["rows"] = [{k: v for k, v in r.items() if k != "transcript"}
                                                for r in out.results["calls_for_account"]["rows"]]
    out.columns = [("competitor", "Competitor", "text"), ("mentions", "Mentions", "num"),
                   ("first_quote", "First mention", "text")]
    return out
