"""The Lead Analysis agent: ICP fit, priority and an engagement strategy for a lead, a company or a batch.

Intents
- lead_assess        one person (a CRM lead, a contact, or someone found nowhere: web research only)
- company_fit        a company without a persona: firmographics + technographics
- lead_batch         every lead matching a period / status / size segment, ranked by ICP score
- outreach_strategy  which sources, personas and industries convert best for a segment, with guidance

Scoring is icp.py against the YAML rubric; the company's facts come from the CRM lead, then web research
(web_search.research(), traced as the web_search agent and cached), then the CRM account.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from revops_cli.agents import icp
from revops_cli.agents.base import AgentContext, Task
from revops_cli.errors import NotFoundError, UsageError
from revops_cli.models import Answer
from revops_cli.warehouse.firmographics import employee_range

AGENT = "lead_analysis"
STATUSES = ("New", "Working", "MQL", "SQL", "Disqualified", "Converted")
# Statuses read from the question's words ("new leads" usually means recent ones, so New must be explicit).
_STATUS_RE = re.compile(r"\b(working|mql|sql|disqualified|converted)s?\b", re.I)
BATCH_SHOWN = 25            # rows in the ranked table (data carries every lead)


# --- inputs ------------------------------------------------------------------------------------------

def _research_to_dict(r: Any) -> dict[str, Any] | None:
    if r is None:
        return None
    if isinstance(r, dict):
        d = dict(r)
    else:
        d = {k: getattr(r, k) for k in ("company", "domain", "industry", "employees", "employee_range",
                                         "funding_stage", "tech_stack", "headquarters", "description",
                                         "recent_news", "sources", "provider") if hasattr(r, k)}
    d.setdefault("company", d.get("company_name"))
    d["tech_stack"] = icp.split_tech(d.get("tech_stack"))
    news = d.get("recent_news") or []
    d["recent_news"] = [n.strip() for n in (news.splitlines() if isinstance(news, str) else news) if str(n).strip()]
    srcs = d.get("sources")
    if not srcs and d.get("source_url"):
        srcs = [d["source_url"]]
    d["sources"] = list(srcs or [])
    return d


def research_company(ctx: AgentContext, company: str | None, *, domain: str | None = None,
                     exact: bool = False) -> dict[str, Any] | None:
    """Company research through the web_search agent's research() (traced as web_search, cached).

    exact: the company is a CRM record's, so accept only research on the same name or domain (the
    provider's fuzzy match is right for a name a user typed, not for a name the CRM already spells).
    """
    if not company:
        return None
    from revops_cli.agents.web_search import research

    found = _research_to_dict(research(ctx, company, agent="web_search"))
    if found and exact:
        same_name = str(found.get("company") or "").strip().lower() == company.strip().lower()
        same_domain = bool(domain) and str(found.get("domain") or "").strip().lower() == domain.strip().lower()
        if not (same_name or same_domain):
            ctx.trace.note(AGENT, f"research returned {found.get('company')!r} for {company!r}: not the same "
                                  "company, ignored")
            return None
    return found


def find_account(ctx: AgentContext, company: str | None, account_id: str | None = None,
                 domain: str | None = None) -> dict[str, Any] | None:
    """The CRM account a lead's company is (by converted id, exact name or domain), or None."""
    if not (company or account_id or domain):
        return None
    return ctx.run_pattern(AGENT, "lead_account_match", company=company, account_id=account_id,
                           domain=domain).first()


def company_profile(name: str | None, lead: dict | None, research: dict | None, account: dict | None) -> dict[str, Any]:
    """The company's facts, each from the first source that has it: CRM lead, web research, CRM account."""
    lead, research, account = lead or {}, research or {}, account or {}
    layers = (("CRM lead", lead), ("web research", research), ("CRM account", account))
    order = {
        "employees": ("CRM lead", "web research", "CRM account"),
        "industry": ("CRM lead", "web research", "CRM account"),
        "region": ("CRM lead", "CRM account"),
        "funding_stage": ("web research", "CRM account"),
        "tech_stack": ("web research", "CRM account"),
    }
    out: dict[str, Any] = {"name": name or research.get("company") or account.get("account_name"), "sources": {}}
    for key, wanted in order.items():
        out[key] = None
        for label, layer in layers:
            if label not in wanted:
                continue
            v = layer.get(key)
            if key == "tech_stack":
                v = icp.split_tech(v)
            if v not in (None, "", []):
                out[key] = v
                out["sources"][key] = label
                break
    if out["tech_stack"] is None:
        out["tech_stack"] = []
    emp = out["employees"]
    out["employee_range"] = research.get("employee_range") or employee_range(emp)
    out["domain"] = lead.get("company_domain") or research.get("domain") or account.get("domain")
    out["headquarters"] = research.get("headquarters")
    out["description"] = research.get("description")
    out["recent_news"] = list(research.get("recent_news") or [])
    out["research_sources"] = list(research.get("sources") or [])
    out["research_found"] = bool(research)
    out["account_id"] = account.get("account_id")
    out["account_type"] = account.get("account_type")
    out["segment"] = account.get("segment") or account.get("account_segment")
    out["account_owner"] = account.get("owner_name")
    out["customer_since"] = _iso(account.get("customer_since"))
    out["churned_date"] = _iso(account.get("churned_date"))
    out["relationship"] = relationship(out)
    return out


def relationship(company: dict[str, Any]) -> dict[str, Any] | None:
    """What the company already is to us, from its CRM account: a current customer (expansion, with the
    account team) or a churned one (a win-back: find out why they left first). None for a prospect."""
    kind = company.get("account_type")
    name = company.get("name") or "The company"
    owner = company.get("account_owner")
    if kind == "customer":
        since = company.get("customer_since")
        advice = (f"{name} is already a customer" + (f" (since {since})" if since else "")
                  + (f", account owner {owner}" if owner else "")
                  + ": coordinate with the account team and position this as expansion, not new business.")
        return {"status": "customer", "since": since, "account_owner": owner, "advice": advice}
    if kind == "churned":
        churned = company.get("churned_date")
        advice = (f"{name} is a former customer" + (f" (churned {churned})" if churned else "")
                  + (f", account owner {owner}" if owner else "")
                  + ": learn from the account team why they left before reaching out, and treat this as a "
                    "win-back, not new business.")
        return {"status": "churned", "churned_date": churned, "account_owner": owner, "advice": advice}
    return None


def _engagement_from(row: dict) -> dict[str, Any]:
    return {"email_opens": row.get("email_opens"), "email_clicks": row.get("email_clicks"),
            "web_visits": row.get("web_visits"), "content_downloads": row.get("content_downloads"),
            "events_attended": row.get("events_attended"), "calls": row.get("call_count"),
            "last_activity_date": row.get("last_activity_date"), "last_call_at": row.get("last_call_at")}


# --- strategy ----------------------------------------------------------------------------------------

def pain_themes(rubric: dict, texts: list[str]) -> list[str]:
    """Themes (cost, performance, ...) whose words appear in the texts, in the order of first appearance."""
    themes = (rubric.get("strategy") or {}).get("pain_themes") or {}
    found: list[tuple[int, int, str]] = []
    for ti, text in enumerate(texts):
        low = (text or "").lower()
        for theme, words in themes.items():
            pos = [low.find(str(w).lower()) for w in words or [] if str(w).lower() in low]
            if pos:
                found.append((ti, min(pos), theme))
    out: list[str] = []
    for _, _, theme in sorted(found):
        if theme not in out:
            out.append(theme)
    return out


def build_strategy(rubric: dict, *, company: dict, person: dict | None, department: str | None,
                   result: icp.IcpResult, calls: list[dict], engagement: dict | None,
                   in_crm: bool) -> dict[str, Any]:
    """Context question, approach, channel and talking points, from the rubric's wording and the data."""
    st = rubric.get("strategy") or {}
    cname = company.get("name") or "your company"
    industry = company.get("industry")
    use_cases = st.get("use_cases") or {}
    use_case = use_cases.get(industry or "", use_cases.get("default", "real-time analytics"))
    stack = company.get("tech_stack") or []
    tech_f = rubric["criteria"]["technographics"]["factors"]
    competitors = icp.matches(stack, (tech_f.get("competitor_warehouse") or {}).get("tech", []))
    modern = icp.matches(stack, (tech_f.get("modern_data_stack") or {}).get("tech", []))
    own_calls = [c for c in calls if person and person.get("id") and c.get("lead_id") == person.get("id")]
    call_texts = [" ".join(str(c.get(k) or "") for k in ("key_points", "brief")) for c in calls]
    call_themes = [t for t in pain_themes(rubric, call_texts) if t in (st.get("themes") or {})]
    own_themes = pain_themes(rubric, [" ".join(str(c.get(k) or "") for k in ("key_points", "brief"))
                                      for c in own_calls])
    news = company.get("recent_news") or []
    theme_text = st.get("themes") or {}

    setup = competitors[0] if competitors else (modern[0] if modern else None)
    with_setup = f", especially with your {setup} setup?" if setup else "?"
    if call_themes:
        phrase = theme_text[call_themes[0]]["phrase"]
        if call_themes[0] in own_themes:
            q = f"You mentioned {phrase} when we last spoke: how is that going at {cname}{with_setup}"
        else:
            q = f"Your team raised {phrase} with us recently: how are you tackling that at {cname}{with_setup}"
    elif setup:
        q = f"How are you currently handling {use_case} at {cname}{with_setup}"
    elif news:
        q = f"With the recent news ({_clip(news[0])}), how is {cname} planning to scale {use_case}?"
    else:
        q = f"How are you currently handling {use_case} at {cname}, and where does it fall short?"

    personas = st.get("personas") or {}
    approach = personas.get(department or "", personas.get("default", "Value-focused outreach"))
    rel = company.get("relationship") or relationship(company)
    if rel and rel["status"] == "customer":
        q = f"How is {use_case} going with us at {cname}, and where could we help more teams?"
        approach = "Expansion through the account team: " + approach[0].lower() + approach[1:]
    elif rel and rel["status"] == "churned":
        q = f"What has changed at {cname} since you moved off us, and how are you handling {use_case} now?"
        approach = "Win-back, after learning why they left: " + approach[0].lower() + approach[1:]
    if competitors:
        approach += f", positioned against {competitors[0]}"
    approach += "."

    channel = _channel(rubric, result, engagement, in_crm, person, company)

    points: list[str] = []
    if call_themes:
        points.append(theme_text[call_themes[0]]["point"] + " (raised on a call)")
    if competitors:
        points.append(f"Price-performance versus {competitors[0]} on the workloads they already run")
    if len(call_themes) > 1:
        points.append(theme_text[call_themes[1]]["point"] + " (raised on a call)")
    if news:
        points.append(f"Timely hook: {_clip(news[0])}")
    elif company.get("funding_stage") and company["funding_stage"] not in ("Private", "Public"):
        points.append(f"{company['funding_stage']} growth: analytics that scale with the business without runaway cost")
    if modern:
        points.append(f"Fits their existing tools ({', '.join(modern[:3])}) with no re-platforming of pipelines")
    if industry:
        points.append(f"{use_case[0].upper() + use_case[1:]} for {industry} teams")
    if engagement and int(engagement.get("content_downloads") or 0):
        points.append(f"Follow up on the {engagement['content_downloads']} pieces of content they downloaded")
    seen: list[str] = []
    for p in points:
        if p not in seen:
            seen.append(p)
    return {"context_question": q, "approach": approach, "channel": channel, "talking_points": seen[:3],
            "pain_themes": call_themes, "use_case": use_case, "relationship": rel}


def _clip(text: str, n: int = 90) -> str:
    t = " ".join(str(text).split()).rstrip(".")
    return t if len(t) <= n else t[: n - 1].rstrip() + "…"


def _channel(rubric: dict, result: icp.IcpResult, engagement: dict | None, in_crm: bool,
             person: dict | None, company: dict) -> str:
    recent = int((rubric.get("priority") or {}).get("recent_days", 14))
    owner = (person or {}).get("owner_name")
    who = f" from {owner}" if owner else ""
    rel = company.get("relationship") or relationship(company)
    prefix = {"customer": "Through the account team, as expansion: ",
              "churned": "Once the account team has said why they left: "}.get(rel["status"], "") if rel else ""
    if not in_crm:
        return prefix + "Personalised email or LinkedIn message, and add the person to the CRM as a lead."
    if person is None:
        return prefix + "Multi-threaded outbound to the data and engineering leaders at the company."
    e = engagement or {}
    if result.days_since_activity is not None and result.days_since_activity <= recent:
        return prefix + f"Phone call{who} within 24 hours while they are active, then a tailored email."
    if int(e.get("events_attended") or 0):
        return prefix + f"Invitation{who} to the next event or a hands-on workshop, then a call."
    if int(e.get("content_downloads") or 0) or int(e.get("email_clicks") or 0):
        return prefix + f"Email{who} following up on the content they engaged with, then a call."
    return prefix + f"Personalised email sequence{who} with a LinkedIn touch; re-engage before calling."


# --- the agent ---------------------------------------------------------------------------------------

class LeadAnalysisAgent:
    name = AGENT

    def handle(self, ctx: AgentContext, task: Task) -> Answer:
        rubric = icp.load_rubric(ctx.settings.home)
        if task.intent == "company_fit":
            return self.company_fit(ctx, task, rubric)
        if task.intent == "lead_batch":
            return self.batch(ctx, task, rubric)
        if task.intent == "outreach_strategy":
            return self.outreach(ctx, task, rubric)
        return self.assess(ctx, task, rubric)

    # -- one person ---------------------------------------------------------------------------------

    def assess(self, ctx: AgentContext, task: Task, rubric: dict) -> Answer:
        p = task.entities.get("person") or {}
        if not p:
            raise UsageError("no person to assess", "ask e.g. 'is John Smith from DataCorp a good lead?'")
        kind, pid = p.get("kind"), p.get("id")
        row: dict[str, Any] = {}
        if kind == "lead":
            row = ctx.run_pattern(AGENT, "lead_detail", lead_id=pid).first() or {}
            if not row:
                raise NotFoundError(f"no lead {pid}", "`revops data run lead_lookup --name ...` finds leads")
        elif kind == "contact":
            row = ctx.run_pattern(AGENT, "lead_contact_detail", contact_id=pid).first() or {}
            if not row:
                raise NotFoundError(f"no contact {pid}", "`revops data run person_lookup --name ...` finds people")
        in_crm = bool(row)
        company_name = row.get("company") or p.get("company")
        if not company_name:
            raise UsageError(f"no company known for {p.get('name')}", "name the company, e.g. 'John Smith from DataCorp'")
        research = research_company(ctx, company_name, domain=row.get("company_domain"), exact=in_crm)
        account = find_account(ctx, company_name, row.get("converted_account_id") or row.get("account_id"),
                               row.get("company_domain"))
        if not in_crm and not research and not account:
            raise NotFoundError(f"{p.get('name')} is not in the CRM and there is no research on {company_name}",
                                "check the spelling of the company, or research it first")
        lead_layer = row if kind == "lead" else {}
        company = company_profile(company_name, lead_layer, research, account)
        if kind == "contact":
            company["sources"].setdefault("employees", "CRM account")
        person = {
            "kind": kind, "id": pid, "name": row.get("name") or p.get("name"), "title": row.get("title"),
            "email": row.get("email"), "company": company_name, "seniority": row.get("seniority"),
            "department": row.get("department"), "status": row.get("status"), "source": row.get("source"),
            "owner_name": row.get("owner_name"), "created_date": row.get("created_date"),
        }
        if kind == "lead":
            engagement: dict[str, Any] | None = _engagement_from(row)
        elif kind == "contact":
            engagement = {"calls": row.get("call_count"), "last_call_at": row.get("last_call_at")}
        else:
            engagement = None
        calls: list[dict] = []
        if in_crm or company.get("account_id"):
            calls = ctx.run_pattern(AGENT, "lead_calls", lead_id=pid if kind == "lead" else None,
                                    account_id=company.get("account_id"), end_date=ctx.as_of.isoformat()).records()
        result = icp.assess(rubric, company=company, person=person, engagement=engagement, as_of=ctx.as_of,
                            in_crm=in_crm, research_found=company["research_found"])
        if kind == "contact":
            result.confidence_reasons.append("no marketing engagement data for a contact: calls only")
            if result.confidence == "High":
                result.confidence = "Medium"
                result.confidence_reasons = [r for r in result.confidence_reasons if not r.startswith("firmographics,")]
        seniority, department = icp.persona_of(rubric, person)
        person["seniority"], person["department"] = seniority, department
        strategy = build_strategy(rubric, company=company, person=person, department=department, result=result,
                                  calls=calls, engagement=engagement, in_crm=in_crm)
        data = {"person": _jsonable(person), "company": _jsonable(company), "icp": result.to_dict(),
                "strategy": strategy, "engagement": _jsonable(engagement), "rubric": rubric.get("files")}
        text = ctx.render("lead.md.j2", mode="lead", person=person, company=company, icp=result.to_dict(),
                          strategy=strategy, engagement=engagement, in_crm=in_crm, contacts=[])
        sources = self._sources(kind, pid, company)
        return Answer(agent=AGENT, text=text, data=data, sources=sources)

    # -- one company --------------------------------------------------------------------------------

    def company_fit(self, ctx: AgentContext, task: Task, rubric: dict) -> Answer:
        raw = task.entities.get("company") or task.params.get("company")
        name = raw.get("name") if isinstance(raw, dict) else raw
        if not name:
            raise UsageError("no company to assess", "ask e.g. 'research TechCorp and assess their fit'")
        research = research_company(ctx, name)
        account = find_account(ctx, name)
        if not research and not account:
            from revops_cli.agents.web_search import suggestions

            close = suggestions(ctx, name)
            raise NotFoundError(f"no research or CRM account for {name!r}",
                                f"did you mean: {', '.join(close)}?" if close else "check the spelling of the company")
        company = company_profile(research.get("company") if research else account.get("account_name"),
                                  None, research, account)
        result = icp.assess(rubric, company=company, person=None, engagement=None, as_of=ctx.as_of,
                            research_found=company["research_found"])
        contacts: list[dict] = []
        if company.get("account_id"):
            rows = ctx.run_pattern(AGENT, "contacts_at_account", account=company["account_id"], limit=50).records()
            for r in rows:
                pc = icp.score_persona(rubric, r)
                contacts.append({"name": r.get("name"), "title": r.get("title"), "department": r.get("department"),
                                 "seniority": r.get("seniority"), "persona_points": pc.points, "persona_max": pc.max})
            contacts.sort(key=lambda c: (-c["persona_points"], c["name"] or ""))
            contacts = contacts[:3]
        department = contacts[0]["department"] if contacts else "Data"
        strategy = build_strategy(rubric, company=company, person=None, department=department, result=result,
                                  calls=[], engagement=None, in_crm=True)
        data = {"person": None, "company": _jsonable(company), "icp": result.to_dict(), "strategy": strategy,
                "entry_points": contacts, "rubric": rubric.get("files")}
        text = ctx.render("lead.md.j2", mode="company", person=None, company=company, icp=result.to_dict(),
                          strategy=strategy, engagement=None, in_crm=True, contacts=contacts)
        return Answer(agent=AGENT, text=text, data=data, sources=self._sources(None, None, company))

    # -- many leads ---------------------------------------------------------------------------------

    def batch(self, ctx: AgentContext, task: Task, rubric: dict) -> Answer:
        period = task.entities.get("period")
        status = task.entities.get("status") or task.params.get("status")
        if not status:
            m = _STATUS_RE.search(task.text or "")
            status = m.group(1) if m else None
        if status:
            status = next((s for s in STATUSES if s.lower() == str(status).lower()), str(status))
        segment, lo, hi = _segment_of(rubric, task)
        params: dict[str, Any] = {"status": status, "min_employees": lo, "max_employees": hi}
        if period is not None:       # ISO strings: the trace's parameters stay JSON-able
            params.update(start_date=period.start.isoformat(), end_date=period.end.isoformat())
        rows = ctx.run_pattern(AGENT, "lead_scoring_inputs", **params).records()
        scored: list[dict[str, Any]] = []
        for r in rows:
            scored.append(score_row(rubric, r, ctx.as_of))
        order = {"P1": 1, "P2": 2, "P3": 3, "P4": 4}
        scored.sort(key=lambda s: (-s["score"], order.get(s["priority"] or "", 9),
                                   s["days_since_activity"] if s["days_since_activity"] is not None else 10**6,
                                   s["lead_id"]))
        for i, s in enumerate(scored, 1):
            s["rank"] = i
        bands: dict[str, int] = {}
        for s in scored:
            bands[s["band"]] = bands.get(s["band"], 0) + 1
        prios: dict[str, int] = {}
        for s in scored:
            prios[s["priority"]] = prios.get(s["priority"], 0) + 1
        label = period.label if period is not None else None
        data = {"count": len(scored), "status": status, "segment": segment,
                "period": period.to_dict() if period is not None and hasattr(period, "to_dict") else label,
                "bands": bands, "priorities": prios, "leads": scored, "rubric": rubric.get("files")}
        text = ctx.render("lead_batch.md.j2", leads=scored[:BATCH_SHOWN], count=len(scored), status=status,
                          period_label=label, period=period, segment=segment, bands=bands, priorities=prios,
                          shown=min(BATCH_SHOWN, len(scored)),
                          recent_days=int((rubric.get("priority") or {}).get("recent_days", 14)))
        return Answer(agent=AGENT, text=text, data=data,
                      sources=[{"type": "warehouse", "pattern": "lead_scoring_inputs", "rows": len(rows)}])

    # -- outreach strategy --------------------------------------------------------------------------

    def outreach(self, ctx: AgentContext, task: Task, rubric: dict) -> Answer:
        segment, lo, hi = _segment_of(rubric, task)
        params: dict[str, Any] = {"min_employees": lo, "max_employees": hi}
        period = task.entities.get("period")
        if period is not None:
            params.update(start_date=period.start.isoformat(), end_date=period.end.isoformat())
        rows = ctx.run_pattern(AGENT, "lead_conversion_by_segment", **params).records()
        overall = next((r for r in rows if r["dimension"] == "all"), None)
        if not overall or not overall["leads"]:
            raise NotFoundError(f"no {segment + ' ' if segment else ''}leads to learn from", "widen the segment or period")
        total = int(overall["leads"])
        min_n = max(5, round(0.05 * total))       # smaller groups are noise, not a strategy

        def top(dim: str, n: int = 3, worst: bool = False) -> list[dict]:
            cands = [dict(r) for r in rows if r["dimension"] == dim and int(r["leads"]) >= min_n
                     and r["value"] != "Unknown" and not str(r["value"]).startswith("Unknown")]
            cands.sort(key=lambda r: ((r["conversion_pct"] if worst else -r["conversion_pct"]), -r["leads"], r["value"]))
            return cands[:n]

        personas_cfg = (rubric.get("strategy") or {}).get("personas") or {}
        use_cases = (rubric.get("strategy") or {}).get("use_cases") or {}
        top_personas = top("persona")
        for pr in top_personas:
            seniority, _, department = str(pr["value"]).partition(" / ")
            pr["seniority"], pr["department"] = seniority, department
            pr["guidance"] = personas_cfg.get(department, personas_cfg.get("default", "")) + "."
        top_ind = top("industry")
        for ind in top_ind:
            ind["use_case"] = use_cases.get(ind["value"], use_cases.get("default", "real-time analytics"))
        best_sources, worst_sources = top("source"), top("source", 2, worst=True)
        worst_sources = [w for w in worst_sources if w["value"] not in {b["value"] for b in best_sources}]
        strategy = {"segment": segment, "leads": total, "conversions": int(overall["conversions"] or 0),
                    "conversion_pct": overall["conversion_pct"], "min_leads": min_n,
                    "best_sources": best_sources, "worst_sources": worst_sources, "personas": top_personas,
                    "seniority": top("seniority"), "departments": top("department"), "industries": top_ind}
        text = ctx.render("lead.md.j2", mode="outreach", outreach=strategy, period=period, person=None, company={},
                          icp={}, strategy={}, engagement=None, in_crm=True, contacts=[])
        return Answer(agent=AGENT, text=text, data={"outreach": _jsonable(strategy), "rubric": rubric.get("files")},
                      sources=[{"type": "warehouse", "pattern": "lead_conversion_by_segment"}])

    # -- helpers ------------------------------------------------------------------------------------

    @staticmethod
    def _sources(kind: str | None, pid: Any, company: dict) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        if kind == "lead":
            out.append({"type": "crm", "table": "leads", "id": pid})
        elif kind == "contact":
            out.append({"type": "crm", "table": "contacts", "id": pid})
        if company.get("account_id"):
            out.append({"type": "crm", "table": "accounts", "id": company["account_id"]})
        for src in company.get("research_sources") or []:
            if isinstance(src, dict):
                out.append({"type": "web", **src})
            else:
                out.append({"type": "web", "url": str(src)})
        return out


def score_row(rubric: dict, r: dict, as_of: date) -> dict[str, Any]:
    """Score one row of lead_scoring_inputs (the lead, its research and account columns side by side)."""
    research = None
    if r.get("research_company"):
        research = {"company": r["research_company"], "industry": r.get("research_industry"),
                    "employees": r.get("research_employees"), "employee_range": r.get("research_employee_range"),
                    "funding_stage": r.get("research_funding_stage"), "tech_stack": r.get("research_tech_stack")}
    account = None
    if r.get("account_id"):
        account = {"account_id": r["account_id"], "account_type": r.get("account_type"),
                   "segment": r.get("account_segment"), "industry": r.get("account_industry"),
                   "employees": r.get("account_employees"), "region": r.get("account_region"),
                   "funding_stage": r.get("account_funding_stage"), "tech_stack": r.get("account_tech_stack")}
    company = company_profile(r.get("company"), r, research, account)
    result = icp.assess(rubric, company=company, person=r, engagement=_engagement_from(r), as_of=as_of,
                        research_found=company["research_found"])
    best = max(result.criteria, key=lambda c: c.points / c.max if c.max else 0)
    weakest = min(result.criteria, key=lambda c: c.points / c.max if c.max else 0)
    return {"lead_id": r.get("lead_id"), "name": r.get("name"), "title": r.get("title"), "company": r.get("company"),
            "status": r.get("status"), "source": r.get("source"), "created_date": _iso(r.get("created_date")),
            "owner_name": r.get("owner_name"), "score": result.score, "band": result.band,
            "priority": result.priority, "confidence": result.confidence,
            "days_since_activity": result.days_since_activity,
            "account_type": company.get("account_type"),         # customer | churned | prospect | None
            "criteria": {c.name: c.points for c in result.criteria},
            "strength": best.name, "gap": weakest.name}


def _segment_of(rubric: dict, task: Task) -> tuple[str | None, int | None, int | None]:
    """The size segment a question names ("enterprise leads"), with its employee bounds."""
    segs = rubric.get("segments") or {}
    wanted = task.entities.get("segment") or task.params.get("segment")
    text = (task.text or "").lower()
    for name in segs:
        low = str(name).lower()
        if (wanted and str(wanted).lower() == low) or (not wanted and re.search(
                r"\b" + re.escape(low).replace("\\-", "[- ]?") + r"\b", text)):
            lo, hi = (list(segs[name]) + [None, None])[:2]
            return str(name), (int(lo) if lo is not None else None), (int(hi) if hi is not None else None)
    return None, None, None


def _iso(v: Any) -> Any:
    return v.isoformat() if isinstance(v, date) else v


def _jsonable(v: Any) -> Any:
    if isinstance(v, dict):
        return {k: _jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_jsonable(x) for x in v]
    if isinstance(v, date):
        return v.isoformat()
    return v
