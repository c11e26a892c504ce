"""The forecast call's two analyses: what changed in the pipeline between two dates (`pipeline_changes`, the
records in revops_cli/pipeline_changes.py) and the forecast roll-up per rep and team with the evidence-adjusted number
(`forecast_rollup`, rollup.py).

The window of changes comes from the question or the `since` parameter (`revops report pipeline-changes
--since 7d`), read by `change_window`:

    since last Monday      from the Monday of last week (asked on Tuesday 2026-11-24: 2026-11-16) to today
    since Monday           from this week's Monday (2026-11-23) to today; any weekday the same way
    this week / last week  the ISO week to today / the whole week before
    today, yesterday, since yesterday, the last N days, the past week, week over week (the last 7 days)
    since 2026-11-16       from that day to today
    7d, 2w, 2026-11-16     the `since` parameter: the last 7 / 14 days, or from that day

and defaults to the last 7 days. The forecast period (what "slipped out of" means, and which pipeline and
commit are counted) is a quarter the question names ("out of Q4"), else the current quarter.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

from revops_cli.pipeline_changes import BRIDGE_LABELS, KIND_LABELS, PipelineChanges, pipeline_changes
from revops_cli.agents.analyses.running import (
    AGENT, ROW_CAP, Ask, Outcome, count_of, pattern_lacks, unavailable_note,
)
from revops_cli.agents.periods import Period, parse_period, quarter_of
from revops_cli.errors import UsageError
from revops_cli.formatting import money, num, pct, signed_pct
from revops_cli.models import jsonable

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_NUMBER = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
           "ten": 10, "fourteen": 14, "thirty": 30}
_SINCE_WEEKDAY = re.compile(r"\bsince\s+(?:(last|this|past)\s+)?(" + "|".join(WEEKDAYS) + r")\b")
_LAST_N = re.compile(r"\b(?:last|past|previous)\s+(\d+|" + "|".join(_NUMBER) + r")\s+(days?|weeks?)\b")
_SINCE_ARG = re.compile(r"^\s*(\d+)\s*([dw])\s*$")


def _days(start: date, end: date, label: str) -> Period:
    return Period(label, start, end, "days")


def change_window(text: str, as_of: date, since: str | None = None) -> Period:
    """The days whose changes a question (or `--since`) asks for; the last 7 days when it names none."""
    if since:
        s = str(since).strip().lower()
        m = _SINCE_ARG.match(s)
        if m:
            n = int(m.group(1)) * (7 if m.group(2) == "w" else 1)
            if n < 1:
                raise UsageError(f"--since {since!r} names no day", "e.g. --since 7d, --since 2w or --since 2026-11-16")
            return _days(as_of - timedelta(days=n - 1), as_of, f"last {n} days")
        try:
            d = date.fromisoformat(s)
        except ValueError:
            try:
                return change_window(f"since {s}", as_of) if s.replace("last ", "").replace("-", " ").split()[-1] \
                    in WEEKDAYS else _bad_since(since)
            except IndexError:
                _bad_since(since)
        if d > as_of:
            raise UsageError(f"--since {since} is after the report date ({as_of.isoformat()})", "name a past day")
        return _days(d, as_of, f"since {d.isoformat()}")
    t = " ".join((text or "").lower().replace("’", "'").replace("-", " ").split())
    m = _SINCE_WEEKDAY.search(t)
    if m:
        wd = WEEKDAYS.index(m.group(2))
        this_week = as_of - timedelta(days=as_of.weekday()) + timedelta(days=wd)
        if this_week > as_of:
            this_week -= timedelta(days=7)
        start = this_week - timedelta(days=7) if m.group(1) in ("last", "past") else this_week
        word = f"{m.group(1)} {m.group(2).capitalize()}" if m.group(1) else m.group(2).capitalize()
        return _days(start, as_of, f"since {word}")
    if re.search(r"\bsince yesterday\b", t):
        return _days(as_of - timedelta(days=1), as_of, "since yesterday")
    if re.search(r"\btoday\b", t):
        return _days(as_of, as_of, "today")
    if re.search(r"\byesterday\b", t):
        d = as_of - timedelta(days=1)
        return _days(d, d, "yesterday")
    m = _LAST_N.search(t)
    if m:
        n = int(m.group(1)) if m.group(1).isdigit() else _NUMBER[m.group(1)]
        n *= 7 if m.group(2).startswith("week") else 1
        return _days(as_of - timedelta(days=n - 1), as_of, f"last {n} days")
    if re.search(r"\b(?:this|current) week\b", t):
        return _days(as_of - timedelta(days=as_of.weekday()), as_of, "this week")
    if re.search(r"\b(?:last|previous|prior) week\b", t) and not re.search(r"\bsince last week\b", t):
        start = as_of - timedelta(days=as_of.weekday() + 7)
        return _days(start, start + timedelta(days=6), "last week")
    m = re.search(r"\bsince\s+(\d{4}-\d{2}-\d{2})\b", t)
    if m:
        p = parse_period(m.group(0), as_of)
        if p is not None:
            return _days(p.start, as_of, f"since {p.start.isoformat()}")
    return _days(as_of - timedelta(days=6), as_of, "last 7 days")


def _bad_since(since: str) -> Period:
    raise UsageError(f"--since {since!r} is not a number of days or a date",
                     "e.g. --since 7d, --since 2w, --since monday or --since 2026-11-16")


def forecast_period(text: str, as_of: date, fiscal_start_month: int = 1) -> Period:
    """A quarter (or half, or year) the question names; else the current quarter."""
    t = (text or "").lower()
    for phrase in ("this week", "last week", "since last week", "today", "yesterday"):
        t = t.replace(phrase, " ")
    t = _SINCE_WEEKDAY.sub(" ", t)
    t = _LAST_N.sub(" ", t)
    p = parse_period(t, as_of, fiscal_start_month)
    if p is not None and p.kind in ("quarter", "quarters", "half", "year", "month"):
        return p
    return quarter_of(as_of, fiscal_start_month)


# ----------------------------------------------------------------------------------------------------------
# pipeline_changes
# ----------------------------------------------------------------------------------------------------------

CHANGE_COLUMNS = [("deal_name", "Deal", "text"), ("change", "Change", "text"), ("stage_after", "Stage", "text"),
                  ("amount_after", "Amount", "money"), ("amount_change", "Amount change", "money"),
                  ("days_moved", "Days moved", "num"), ("close_date_after", "Closing", "date"),
                  ("owner_name", "Owner", "text")]

_SLIP_ONLY = re.compile(r"\b(slip\w*|fell out|fall\w* out|dropped out|drop\w* out|moved out|pushed out)\b")
_PULL_ONLY = re.compile(r"\b(pull\w* in(?:to)?|pulled forward|moved (?:in|up|forward))\b")
_WON_ONLY = re.compile(r"\b(won|closed won|win)\b")
_LOST_ONLY = re.compile(r"\b(lost|closed lost|lose)\b")
_NEW_ONLY = re.compile(r"\b(new deals?|created|added)\b")


def focus_of(text: str) -> str | None:
    """The one kind of change a question asks about ("what slipped out of Q4?"), or None for all of them."""
    t = (text or "").lower()
    for kind, rx in (("slipped", _SLIP_ONLY), ("pulled_in", _PULL_ONLY), ("won", _WON_ONLY), ("lost", _LOST_ONLY),
                     ("new", _NEW_ONLY)):
        if rx.search(t) and not re.search(r"\bwhat (?:has )?changed\b|\bchanges?\b", t):
            return kind
    return None


def changes_outcome(ask: Ask) -> Outcome:
    out = Outcome("pipeline_changes", "Pipeline changes")
    window = change_window(ask.text, ask.as_of, ask.params.get("since"))
    period = forecast_period(ask.text, ask.as_of, ask.fiscal_start_month)
    out.period = window
    out.compare_period = None
    gaps = pattern_lacks(ask, "pipeline_changes")
    if gaps:        # no stage history here: compare the daily snapshots `revops snapshot` stored
        ch = _from_snapshots(ask, out, window, period)
        if ch is None:
            out.summary = {"changed_deals": None}
            out.headline = unavailable_note(ask, out, "pipeline_changes", gaps)
            out.bullets.append(f"Without stage history revops compares daily snapshots: run `revops snapshot` "
                               f"once a day (cron); none is stored for {window.start - timedelta(days=1)} or the "
                               f"month before it.")
            return out
    else:
        def runner(name: str, **values: Any) -> list[dict[str, Any]]:
            from revops_cli.agents.analyses.running import run

            return run(ask, out, name, **values)

        ch = pipeline_changes(runner, start=window.start, end=window.end, period_start=period.start,
                              period_end=period.end, segment=ask.segment, region=ask.value("region"),
                              owner_id=ask.owner_id)
    focus = ask.params.get("kind") or focus_of(ask.text)
    deals = ch.of_kind(focus) if focus else ch.deals
    s = out.summary = jsonable(ch.summary())
    s["period_label"] = period.label
    s["focus"] = focus
    s["matching_deals"] = len(deals)
    s["rollups"] = {by: [g.to_dict() for g in ch.rollup(by)] for by in ("owner", "team", "segment",
                                                                        "forecast_category")}
    if ch.source == "history":
        out.notes.append("Forecast categories at the start are not in the history: a deal's category then is its "
                         "current one while it was in the same stage, else the category most open deals in that "
                         "stage have now.")
    else:
        out.notes.extend(ch.notes)
    _headline(out, ch, window, period, focus, deals)
    view = ask.params.get("view") or next((d for d in ask.dimensions if d in GROUP_HEADERS), None)
    if view in GROUP_HEADERS:
        groups = [g.to_dict() for g in ch.rollup(view)]
        out.rows, out.row_total = groups[:ROW_CAP], len(groups)
        out.columns = [("key", GROUP_HEADERS[view], "text")] + GROUP_COLUMNS
        return out
    out.rows = [d.to_dict() for d in deals[:ROW_CAP]]
    out.row_total = len(deals)
    out.columns = CHANGE_COLUMNS
    return out


GROUP_HEADERS = {"owner": "Rep", "team": "Team", "segment": "Segment", "forecast_category": "Forecast category"}
GROUP_COLUMNS = [("deals", "Deals", "num"), ("new_count", "New", "num"), ("won_count", "Won", "num"),
                 ("lost_count", "Lost", "num"), ("slipped_count", "Slipped", "num"),
                 ("pushed_count", "Pushed", "num"), ("pulled_in_count", "Pulled in", "num"),
                 ("pipeline_change", "Pipeline change", "money"), ("commit_change", "Commit change", "money")]


def _from_snapshots(ask: Ask, out: Outcome, window: Period, period: Period) -> PipelineChanges | None:
    """The changes between the stored snapshot of the day before the window (or the newest before it) and
    the one at its end (taken now when the window ends today and none is stored)."""
    from revops_cli.pipeline_changes import changes_from_snapshots
    from revops_cli.warehouse import snapshots

    settings, wh = ask.ctx.settings, ask.ctx.warehouse
    before = snapshots.latest_on_or_before(settings, wh.identity, window.start - timedelta(days=1))
    if before is None:
        return None
    after = snapshots.load(settings, wh.identity, window.end)
    if after is None and window.end == ask.as_of:
        with ask.ctx.tool(AGENT, "pipeline_snapshot", {"day": window.end.isoformat()}) as step:
            after = snapshots.take(wh, settings, window.end)
            step.rows = len(after.rows)
    if after is None:
        after = snapshots.latest_on_or_before(settings, wh.identity, window.end)
    if after is None or after.day <= before.day:
        return None

    def keep(r: dict[str, Any]) -> bool:
        return ((ask.segment is None or r.get("segment") == ask.segment)
                and (ask.value("region") is None or r.get("region") == ask.value("region"))
                and (ask.owner_id is None or r.get("owner_id") == ask.owner_id))

    ch = changes_from_snapshots([r for r in before.rows if keep(r)], [r for r in after.rows if keep(r)],
                                start=before.day + timedelta(days=1), end=after.day,
                                period_start=period.start, period_end=period.end)
    ch.notes.append(f"From the pipeline snapshots of {before.day.isoformat()} and {after.day.isoformat()} "
                    "(this warehouse keeps no stage history).")
    ask.ctx.trace.note(AGENT, f"pipeline changes from snapshots {before.day} and {after.day}")
    out.sources.append({"type": "snapshot", "days": [before.day.isoformat(), after.day.isoformat()]})
    return ch


def _headline(out: Outcome, ch: PipelineChanges, window: Period, period: Period, focus: str | None,
              deals: list) -> None:
    when = f"{window.label} ({window.start.isoformat()} to {window.end.isoformat()})" \
        if window.start != window.end else f"{window.label} ({window.start.isoformat()})"
    if focus == "slipped":
        amount = sum(d.amount for d in deals)
        out.headline = (f"**{count_of(len(deals), 'deal')}** worth **{money(amount)}** slipped out of {period.label} "
                        f"{when}.")
        if deals:
            d = deals[0]
            out.bullets.append(f"Biggest: **{d.deal_name}** ({money(d.amount)}, {d.stage_after}), "
                               f"{d.close_date_before} → {d.close_date_after} (+{d.days_moved} days), {d.owner_name}.")
    elif focus:
        amount = sum(d.amount for d in deals)
        out.headline = f"**{count_of(len(deals), 'deal')}** {KIND_LABELS[focus].lower()}, {when}: **{money(amount)}**."
    else:
        out.headline = (f"{period.label} pipeline {'rose' if ch.pipeline_change > 0 else 'fell' if ch.pipeline_change < 0 else 'held'} "
                        f"**{money(abs(ch.pipeline_change))}** {when} ({money(ch.pipeline_before)} → "
                        f"{money(ch.pipeline_after)}); commit {money(ch.commit_before)} → **{money(ch.commit_after)}**"
                        + (f" ({signed_pct(100.0 * ch.commit_change / ch.commit_before)})"
                           if ch.commit_before else "") + ".")
        c, a = ch.counts(), ch.amounts()
        said = [f"{num(c[k])} {KIND_LABELS[k].lower()} ({money(a[k])})" for k in ("new", "won", "lost", "slipped")
                if c[k]]
        if said:
            out.bullets.append(_first_upper(", ".join(said)) + ".")
        moved = [f"{num(c['pushed'])} pushed ({num(sum(d.days_moved for d in ch.of_kind('pushed')))} days in all)"
                 if c["pushed"] else "", f"{num(c['pulled_in'])} pulled in" if c["pulled_in"] else "",
                 f"{num(c['amount_up'])} amount up (+{money(a['amount_up'])})" if c["amount_up"] else "",
                 f"{num(c['amount_down'])} amount down ({money(a['amount_down'])})" if c["amount_down"] else "",
                 f"{num(c['stage_forward'])} moved a stage forward" if c["stage_forward"] else "",
                 f"{num(c['stage_back'])} went a stage back" if c["stage_back"] else ""]
        moved = [m for m in moved if m]
        if moved:
            out.bullets.append(_first_upper(", ".join(moved)) + ".")
        steps = [(k, v) for k, v in ch.bridge() if v]
        if steps:
            out.bullets.append("Pipeline bridge: " + ", ".join(
                f"{BRIDGE_LABELS[k].lower()} {'+' if v > 0 else '−'}{money(abs(v))}" for k, v in steps) + ".")
        reps = [g for g in ch.rollup("owner") if g.commit_change]
        if reps:
            worst = min(reps, key=lambda g: (g.commit_change, g.key))
            if worst.commit_change < 0:
                out.bullets.append(f"Biggest commit drop: **{worst.key}**, {money(worst.commit_change)}.")
    if not deals:
        out.bullets.append("Nothing changed in the pipeline in that window." if not focus else
                           f"No deal {KIND_LABELS[focus].lower()} in that window.")


def _first_upper(text: str) -> str:
    return text[:1].upper() + text[1:]


# ----------------------------------------------------------------------------------------------------------
# forecast_rollup
# ----------------------------------------------------------------------------------------------------------

ROLLUP_COLUMNS = [("key", "Rep", "text"), ("team", "Team", "text"), ("closed_won", "Closed won", "money"),
                  ("commit", "Commit", "money"), ("best_case", "Best case", "money"),
                  ("pipeline", "Pipeline", "money"), ("crm_weighted", "CRM weighted", "money"),
                  ("adjusted_weighted", "Evidence-adjusted", "money"), ("gap", "Gap", "money"),
                  ("soft_commit", "Soft commit", "money")]
_SOFT = re.compile(r"\b(soft|shaky|weak|inflated|sandbag\w*|at risk|risky|suspect|optimistic|hollow|real)\b")


def rollup_outcome(ask: Ask) -> Outcome:
    from revops_cli.agents.analyses.rollup import SOFT_BELOW, SOFT_DROP, forecast_rollup

    out = Outcome("forecast_rollup", "Forecast roll-up")
    period = forecast_period(ask.text, ask.as_of, ask.fiscal_start_month) if ask.period is None or \
        ask.period.kind not in ("quarter", "quarters", "half", "year", "month") else ask.period
    out.period = period
    gaps = pattern_lacks(ask, "forecast_rollup_deals")
    if gaps:
        out.summary = {"rep_count": None}
        out.headline = unavailable_note(ask, out, "forecast_rollup", gaps)
        return out
    r = forecast_rollup(ask.ctx, period, agent=AGENT, segment=ask.segment, region=ask.value("region"),
                        owner_id=ask.owner_id)
    out.sources.append({"type": "sql_pattern", "pattern": "forecast_rollup_deals",
                        "description": "The deals of a forecast period"})
    t = r.total
    s = out.summary = jsonable({**t.to_dict(), "rep_count": len(r.reps), "team_count": len(r.teams),
                                "assessed_deals": r.assessed, "not_assessed_deals": r.not_assessed,
                                "soft_below_pct": SOFT_BELOW, "soft_drop_points": SOFT_DROP,
                                "teams": [x.to_dict() for x in r.teams],
                                "gap_deals": [d.to_dict() for d in r.gap_deals[:10]],
                                "soft_reps": [x.key for x in r.soft_reps]})
    s["period_label"] = period.label
    soft_question = bool(_SOFT.search(ask.low))
    target = f" against a {money(t.target)} target" if t.target else ""
    if soft_question:
        soft = r.soft_reps
        out.headline = (f"**{count_of(len(soft), 'rep')}** {'has' if len(soft) == 1 else 'have'} soft commit in "
                        f"{period.label}: **{money(t.soft_commit)}** of {money(t.commit)} commit sits in deals the "
                        f"evidence takes {SOFT_DROP}+ points below the CRM probability (or under {SOFT_BELOW}%)."
                        if soft else
                        f"No rep's commit looks soft in {period.label}: the evidence takes no Commit deal "
                        f"{SOFT_DROP}+ points below its CRM probability or under {SOFT_BELOW}%.")
        for rep in soft[:3]:
            worst = [d for d in r.deals if d.soft and (d.owner_name or d.owner_id) == rep.key]
            worst.sort(key=lambda d: (-d.amount, d.opportunity_id))
            w = worst[0]
            out.bullets.append(f"**{rep.key}**: {money(rep.soft_commit)} of {money(rep.commit)} commit soft "
                               f"({pct(rep.soft_commit_pct)}); e.g. {w.deal_name} ({money(w.amount)}) at "
                               f"{w.adjusted_probability}% adjusted vs {w.crm_probability}% in the CRM"
                               + (f": {w.reasons[0]}" if w.reasons else "") + ".")
        out.rows = [x.to_dict() for x in r.soft_reps] or [x.to_dict() for x in r.reps]
    else:
        out.headline = (f"{period.label}: **{money(t.closed_won)}** closed won{target}; commit {money(t.commit)}, "
                        f"best case {money(t.best_case)}, pipeline {money(t.pipeline)}. CRM-weighted "
                        f"**{money(t.crm_weighted)}**, evidence-adjusted **{money(t.adjusted_weighted)}** "
                        f"({'+' if t.gap >= 0 else '−'}{money(abs(t.gap))}).")
        out.rows = [x.to_dict() for x in r.reps]
    out.columns = ROLLUP_COLUMNS
    view = ask.params.get("view") or ("teams" if "team" in ask.dimensions else None)
    if view == "teams":
        out.rows = [x.to_dict() for x in r.teams] + [t.to_dict()]
        out.columns = TEAM_COLUMNS
    elif view == "gap_deals":
        out.rows = [d.to_dict() for d in r.gap_deals]
        out.columns = GAP_COLUMNS
    elif view == "soft":
        out.rows = [d.to_dict() for d in sorted((d for d in r.deals if d.soft),
                                                  key=lambda d: (-d.amount, d.opportunity_id))]
        out.columns = GAP_COLUMNS
    if t.target and not soft_question:
        out.bullets.append(f"Against target: closed won {pct(t.attainment_pct)}, evidence-adjusted "
                           f"{pct(t.adjusted_pct_of_target)}.")
    gd = r.gap_deals[:3]
    if gd and not soft_question:
        out.bullets.append("The gap comes from: " + "; ".join(
            f"**{d.deal_name}** {money(d.gap)} ({d.crm_probability}% → {d.adjusted_probability}%"
            + (f": {d.reasons[0]}" if d.reasons else "") + ")" for d in gd) + ".")
    if r.not_assessed:
        out.notes.append(f"{count_of(r.not_assessed, 'open deal')} beyond the {r.assessed} biggest keep the CRM "
                         "probability.")
    out.row_total = len(out.rows)
    return out


TEAM_COLUMNS = [("key", "Team", "text"), ("target", "Target", "money"), ("closed_won", "Closed won", "money"),
                ("commit", "Commit", "money"), ("best_case", "Best case", "money"),
                ("crm_weighted", "CRM weighted", "money"), ("adjusted_weighted", "Evidence-adjusted", "money"),
                ("adjusted_pct_of_target", "Adjusted % of target", "pct"), ("soft_commit", "Soft commit", "money")]
GAP_COLUMNS = [("deal_name", "Deal", "text"), ("owner_name", "Owner", "text"),
               ("forecast_category", "Category", "text"), ("amount", "Amount", "money"),
               ("crm_probability", "CRM %", "num"), ("adjusted_probability", "Adjusted %", "num"),
               ("gap", "Gap", "money"), ("why", "Why", "text")]
