"""Pipeline hygiene: open deals breaking the team's hygiene rules (revops_cli/hygiene/), with their owners.

The question picks the rules ("deals with no next step" one, "hygiene issues" all; "no activity in 30 days"
sets the rule's days) and the deals (owner, segment, region, stage, amount, type, ... and "my deals": the
rep who asks). `params["hygiene_view"]` picks the rows: `deals` (default: one row per deal with its issues),
`rules` (one per rule) or `owners` (one per owner) - the report's three sections.
"""

from __future__ import annotations

import re
from typing import Any

from revops_cli.agents.analyses.pipeline import deal_filter_values
from revops_cli.agents.analyses.running import AGENT, Ask, Outcome, ROW_CAP, count_of, run
from revops_cli.formatting import money, num

VIEWS = ("deals", "rules", "owners")
_MY = re.compile(r"\b(my|mine|i own|i have)\b", re.I)


def me(ask: Ask) -> dict[str, Any] | None:
    """The rep asking (for "my deals"): `user.rep` in settings on the CLI, else the request's user, matched
    against users' id, email (or its part before @), Slack id and name. None when the question says no "my"."""
    if not _MY.search(ask.text):
        return None
    request = getattr(ask.ctx, "request", None)
    wanted = [w for w in (ask.ctx.settings.get("user.rep"), getattr(request, "user", None)) if w]
    result = ask.ctx.run_query(AGENT, "find_rep", "SELECT user_id, name, email, slack_user_id FROM users "
                               "ORDER BY user_id NULLS LAST", trace_params={"who": wanted})
    people = result.records()
    for w in wanted:
        low = str(w).strip().lower()
        for p in people:
            email = str(p.get("email") or "").lower()
            keys = {str(p.get("user_id") or "").lower(), email, email.split("@")[0],
                    str(p.get("slack_user_id") or "").lower(), str(p.get("name") or "").lower(),
                    str(p.get("name") or "").lower().replace(" ", ".")}
            if low in keys - {""}:
                return {"user_id": p["user_id"], "name": p["name"]}
    from revops_cli.errors import NotUnderstoodError

    who = " or ".join(repr(str(w)) for w in wanted) or "an unnamed user"
    raise NotUnderstoodError(f"revops does not know which rep 'my' is: {who} matches no user's id, email, "
                             "Slack id or name",
                             "set user.rep in revops.yaml (or REVOPS_USER__REP) to your users.user_id, email or "
                             "name, or ask for the rep by name: \"hygiene issues for <name>\"")


def condition_rules(ask: Ask, rs: Any) -> list[Any]:
    """The question's conditions (understanding.py: "no activity in 30 days", "pushed more than twice",
    "overdue") as the hygiene rules they are, with the question's numbers."""
    from datetime import date

    def day(v: Any) -> date:
        return v if isinstance(v, date) else date.fromisoformat(str(v)[:10])

    out = []
    for f in ask.filters:
        check, changes = None, {}
        if f.dimension == "last_activity" and f.op == "<":
            check, changes = "no_activity", {"days": (ask.as_of - day(f.value)).days}
        elif f.dimension == "close_date_pushes":
            check, changes = "pushes", {"times": int(f.value) + (1 if f.op == ">" else 0)}
        elif f.dimension == "close_date" and f.op == "<":
            check, changes = "close_date_past", {"grace_days": max((ask.as_of - day(f.value)).days, 0)}
        rules = rs.of_check(check) if check else []
        if rules:
            out.append(rules[0].with_settings(**changes))
    return out


def hygiene(ask: Ask) -> Outcome:
    from revops_cli.hygiene import PATTERN, evaluate, facts_params, load_rules
    from revops_cli.hygiene.asked import rules_asked

    out = Outcome("hygiene", "Pipeline hygiene")
    rs = load_rules(ask.ctx.settings)
    asked = rules_asked(ask.text, rs)
    conditions = condition_rules(ask, rs)
    if conditions:
        kept = [r for r in ([] if asked.general else asked.rules) if r.check not in {c.check for c in conditions}]
        asked.rules, asked.general = kept + conditions, False
    view = str(ask.params.get("hygiene_view") or ("owners" if "owner" in ask.dimensions else "deals"))
    values = {**deal_filter_values(ask), **facts_params(rs, ask.as_of)}
    rep = me(ask)
    if rep is not None:
        values["owner_id"] = rep["user_id"]
        out.summary["owner"] = rep["name"]
    if ask.segment:
        values["segment"] = ask.segment
    if ask.period is not None:
        out.period = ask.period
        values["close_start"], values["close_end"] = ask.period.start, ask.period.end
    out.title = ("Open deals breaking hygiene rules" if asked.general else
                 "Open deals: " + " or ".join(r.title[0].lower() + r.title[1:] for r in asked.rules))
    deals = run(ask, out, PATTERN, **values)
    result = evaluate(deals, rs, ask.as_of, asked.rules)
    s = out.summary = {**out.summary, **result.summary(), "view": view, "general": asked.general,
                       "rule_files": list(rs.files)}
    who = f" of {rep['name']}" if rep else ""
    scope = "the hygiene rules" if asked.general else (" or ".join(r.title.lower() for r in asked.rules))
    if asked.general:
        out.headline = (f"**{num(s['deal_count'])}** of {count_of(s['open_deal_count'], 'open deal')}{who}"
                        f"{ask.filter_words()} break {scope}: {money(s['amount'])} of "
                        f"{money(s['open_amount'])}, {count_of(s['issue_count'], 'issue')}.")
    else:
        out.headline = (f"**{num(s['deal_count'])}** of {count_of(s['open_deal_count'], 'open deal')}{who}"
                        f"{ask.filter_words()}: {scope} - {money(s['amount'])}.")
    by_rule = result.by_rule()
    owners = result.by_owner()
    ranked = sorted((r for r in by_rule if r["deal_count"]), key=lambda r: (-r["deal_count"], r["rule"]))
    clean = [r["title"] for r in by_rule if not r["deal_count"]]
    if view == "owners":
        out.headline = (f"**{num(len(owners))}** owner{'s' if len(owners) != 1 else ''} have open deals breaking "
                        f"{scope}{ask.filter_words()}.")
        for o in owners[:3]:
            worst_rule = max(o["by_rule"], key=lambda k: (o["by_rule"][k], k))
            title = next((r.title for r in asked.rules if r.name == worst_rule), worst_rule)
            out.bullets.append(f"**{o['owner_name']}**: {count_of(o['issue_count'], 'issue')} on "
                               f"{count_of(o['deal_count'], 'deal')} of {o['open_deal_count']} "
                               f"({money(o['amount'])}); mostly {title.lower()}.")
    else:
        if (asked.general or len(asked.rules) > 1) and ranked:
            out.bullets.append("By rule: " + ", ".join(f"{r['title']} **{r['deal_count']}**" for r in ranked[:7]) + ".")
        if view == "rules" and clean:
            out.bullets.append("No deal breaks: " + ", ".join(clean) + ".")
        if view == "deals" and owners and not rep and not ask.owner_id:
            out.bullets.append("Most issues: " + ", ".join(
                f"{o['owner_name']} {count_of(o['issue_count'], 'issue')} on {count_of(o['deal_count'], 'deal')}"
                for o in owners[:3]) + ".")
        worst = result.by_deal()[:1]
        if worst and view == "deals":
            w = worst[0]
            out.bullets.append(f"Most severe and biggest: **{w['deal_name']}** ({money(w.get('amount'))}, "
                               f"{w.get('owner_name') or 'no owner'}): {w['details']}.")
    if len(deals) >= 5000:
        out.notes.append("Only the 5,000 biggest open deals were checked.")
    if view == "rules":
        out.rows = by_rule
        out.columns = [("title", "Rule", "text"), ("severity", "Severity", "text"), ("deal_count", "Deals", "num"),
                       ("amount", "Amount", "money"), ("share_pct", "Share of open deals", "pct")]
    elif view == "owners":
        out.rows = [{k: v for k, v in o.items() if k != "by_rule"} | {f"rule_{k}": n for k, n in o["by_rule"].items()}
                    for o in owners]
        out.columns = [("owner_name", "Owner", "text"), ("deal_count", "Deals at issue", "num"),
                       ("open_deal_count", "Open deals", "num"), ("issue_count", "Issues", "num"),
                       ("amount", "Amount at issue", "money"), ("share_pct", "Share of their deals", "pct")]
    else:
        rows = result.by_deal()
        out.rows, out.row_total = rows[:ROW_CAP], len(rows)
        out.columns = [("deal_name", "Deal", "text"), ("owner_name", "Owner", "text"), ("stage", "Stage", "text"),
                       ("amount", "Amount", "money"), ("close_date", "Close", "date"),
                       ("issues", "Issues", "text")]
    out.params = {**out.params, "rules": [r.to_dict() for r in asked.rules]}
    return out
