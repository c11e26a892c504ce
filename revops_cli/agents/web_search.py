"""The Web Search agent: a company profile (industry, size, funding, HQ, tech stack, news, sources).

The research comes from the configured provider (`search.provider`: the offline `company_research`
table, or an HTTP search API), always through the result cache. The Lead agent calls `research()` too.
"""

from __future__ import annotations

import re
from typing import Any

from revops_cli.agents.base import AgentContext, Task
from revops_cli.connectors.web_search import ResearchResult, provider_from_settings
from revops_cli.models import Answer

NAME = "web_search"

_TARGET = re.compile(r"\b(?:research|look up|lookup|profile of|background on|about|on)\s+(?:the\s+)?(?:company\s+)?"
                     r"(?P<name>[A-Za-z0-9][\w&.' -]*?)(?:\s+(?:company|inc\.?|corp\.?))?\s*[?.!]*$", re.I)


def company_from(task: Task) -> str | None:
    for value in (task.entities.get("company"), task.params.get("company"), task.params.get("name")):
        if isinstance(value, dict):
            value = value.get("name") or value.get("company")
        if value and str(value).strip():
            return str(value).strip()
    account = task.entities.get("account")
    if isinstance(account, dict) and account.get("name"):
        return str(account["name"])
    m = _TARGET.search(task.text or "")
    return m.group("name").strip() if m else None


def research(ctx: AgentContext, company: str, agent: str = NAME) -> ResearchResult | None:
    """Research one company through the configured provider, as a traced tool call.

    Within one request a company is researched once: a chain such as "research X and assess their fit"
    hands the Lead agent the Web Search agent's result instead of asking the provider twice."""
    key = ("company_research", company.strip().lower())
    if key in ctx.memo:
        return ctx.memo[key]
    provider = provider_from_settings(ctx.settings, ctx.warehouse)
    with ctx.tool(agent, "company_research", {"company": company, "provider": provider.name}) as step:
        result = provider.research(company)
        step.rows = 1 if result else 0
        step.cached = provider.last_cached
        step.detail = (f"found {result.company}" if result else f"nothing found for {company!r}")
    ctx.memo[key] = result
    return result


def suggestions(ctx: AgentContext, company: str, limit: int = 3) -> list[str]:
    """The closest company names we hold research for (offline table only; [] if none or on failure)."""
    from revops_cli.errors import RevopsError
    from revops_cli.connectors.web_search import OfflineProvider

    try:
        return OfflineProvider(ctx.warehouse, ctx.settings).suggestions(company, limit=limit)
    except RevopsError:
        return []


class WebSearchAgent:
    name = NAME

    def handle(self, ctx: AgentContext, task: Task) -> Answer:
        company = company_from(task)
        if not company:
            text = ctx.render("research.md.j2", company=None, r=None, suggestions=[])
            return Answer(agent=NAME, text=text, data={"found": False, "company": None})
        result = research(ctx, company)
        if result is None:
            close = [s for s in suggestions(ctx, company) if s.lower() != company.lower()]
            text = ctx.render("research.md.j2", company=company, r=None, suggestions=close)
            return Answer(agent=NAME, text=text, data={"found": False, "query": company, "suggestions": close})
        data: dict[str, Any] = result.to_dict()
        data["found"] = True
        sources = [dict(s, kind="web" if result.provider != "offline" else "company_research") for s in result.sources]
        text = ctx.render("research.md.j2", company=company, r=result, suggestions=[])
        return Answer(agent=NAME, text=text, data=data, sources=sources)
