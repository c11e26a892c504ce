"""The routing test set: phrasings an analyst uses, the agent each must reach, and the entity it must resolve.

Shared by tests/test_routing.py (every case must pass) and `make bench` (prints the accuracy).
`expect` checks the resolved entities: deal -> the account of the resolved opportunity; person -> the
person's name (as resolved); company -> the company. `after` is an earlier question in the same session.
"""

from __future__ import annotations

CASES: list[dict] = [
    # --- the reference system's deal examples, and paraphrases and typos
    {"q": "@RevBot what is the status of the IXIS deal?", "agent": "deal_analysis", "deal": "IXIS Technologies"},
    {"q": "analyze the Microsoft Enterprise opportunity", "agent": "deal_analysis", "deal": "Microsoft"},
    {"q": "review the TechCorp deal", "agent": "deal_analysis", "deal": "TechCorp"},
    {"q": "assess the probability and risks of the Acme Corp opportunity", "agent": "deal_analysis", "deal": "Acme Corp"},
    {"q": "what is the status of the Microsoft Enterprise deal?", "agent": "deal_analysis", "deal": "Microsoft"},
    {"q": "assess the probability and risks of the TechCorp opportunity", "agent": "deal_analysis", "deal": "TechCorp"},
    {"q": "how is the ixis deal looking?", "agent": "deal_analysis", "deal": "IXIS Technologies"},
    {"q": "status of the IXSI deal", "agent": "deal_analysis", "deal": "IXIS Technologies"},
    {"q": "whats the status of the Acme Crop opportunity", "agent": "deal_analysis", "deal": "Acme Corp"},
    {"q": "give me a MEDDPICC review of the DataCorp Expansion deal", "agent": "deal_analysis", "deal": "DataCorp"},
    {"q": "TechFlow Migration deal status?", "agent": "deal_analysis", "deal": "TechFlow"},
    {"q": "where are we on the TechFlow Migration opportunity", "agent": "deal_analysis", "deal": "TechFlow"},
    {"q": "check the health of the IXIS opportunity", "agent": "deal_analysis", "deal": "IXIS Technologies"},
    {"q": "<@U123ABC> what's the close probability on the Microsoft Enterprise opp", "agent": "deal_analysis", "deal": "Microsoft"},
    {"q": "deal review for IXIS", "agent": "deal_analysis", "deal": "IXIS Technologies"},
    {"q": "status of IXIS", "agent": "deal_analysis", "deal": "IXIS Technologies"},
    # --- follow-ups in a session
    {"q": "what are its main risks?", "after": "what is the status of the IXIS deal?", "agent": "deal_analysis", "deal": "IXIS Technologies"},
    {"q": "and what is the probability of it closing?", "after": "review the TechCorp deal", "agent": "deal_analysis", "deal": "TechCorp"},
    {"q": "who is the economic buyer on this deal?", "after": "analyze the Microsoft Enterprise opportunity", "agent": "deal_analysis", "deal": "Microsoft"},
    {"q": "send the AE a note about the risks", "after": "what is the status of the IXIS deal?", "agent": "execution", "deal": "IXIS Technologies"},
    # --- leads
    {"q": "assess John Smith from DataCorp as a lead", "agent": "lead_analysis", "person": "John Smith"},
    {"q": "what do you think about Sarah Johnson at TechCorp?", "agent": "lead_analysis", "company": "TechCorp"},
    {"q": "tell me about Michael Chen from Enterprise Solutions", "agent": "lead_analysis", "person": "Michael Chen"},
    {"q": "research Lisa Wang at CloudTech and assess fit", "agent": "lead_analysis", "person": "Lisa Wang"},
    {"q": "assess if John Smith from DataCorp is a good lead", "agent": "lead_analysis", "person": "John Smith"},
    {"q": "is John Smith from DataCorp a good lead?", "agent": "lead_analysis", "person": "John Smith"},
    {"q": "is jon smith from datacorp a good lead", "agent": "lead_analysis", "person": "John Smith"},
    {"q": "qualify Michael Chen at Enterprise Solutions", "agent": "lead_analysis", "person": "Michael Chen"},
    {"q": "how good a fit is Lisa Wang from CloudTech?", "agent": "lead_analysis", "person": "Lisa Wang"},
    {"q": "score our MQL leads from this week against ICP criteria", "agent": "lead_analysis", "intent": "lead_batch"},
    {"q": "rank the new leads from last week by ICP fit", "agent": "lead_analysis", "intent": "lead_batch"},
    {"q": "what is the best outreach strategy for enterprise leads?", "agent": "lead_analysis", "intent": "outreach_strategy"},
    {"q": "research TechCorp and assess their fit for our solution", "agent": "lead_analysis", "company": "TechCorp"},
    # --- web research
    {"q": "Research TechCorp company", "agent": "web_search", "company": "TechCorp"},
    {"q": "research CloudTech", "agent": "web_search", "company": "CloudTech"},
    {"q": "look up DataCorp", "agent": "web_search", "company": "DataCorp"},
    {"q": "what do we know about CloudTech?", "agent": "web_search", "company": "CloudTech"},
    {"q": "give me background on Enterprise Solutions", "agent": "web_search", "company": "Enterprise Solutions"},
    # --- data: revenue, pipeline, churn, expansion, competitors, leads, forecast
    {"q": "analyze Q4 revenue performance by customer segment", "agent": "data"},
    {"q": "Q4 revenue by segment", "agent": "data"},
    {"q": "compare revenue performance vs same quarter last year", "agent": "data"},
    {"q": "identify top expansion opportunities based on usage trends", "agent": "data"},
    {"q": "which customers show declining engagement patterns?", "agent": "data"},
    {"q": "which accounts are at risk of churning?", "agent": "data"},
    {"q": "what are the main risk factors for deals closing this quarter?", "agent": "data"},
    {"q": "What deals are closing this quarter?", "agent": "data"},
    {"q": "which deals close next quarter in Enterprise?", "agent": "data"},
    {"q": "which competitors were mentioned in our last call with Acme Corp?", "agent": "data", "account": "Acme Corp"},
    {"q": "analyze competitor mentions across all Q3 sales calls", "agent": "data"},
    {"q": "analyze competitor mentions in recent sales calls", "agent": "data"},
    {"q": "how often does Snowflake come up in calls this quarter?", "agent": "data"},
    {"q": "new leads by source last month", "agent": "data"},
    {"q": "how many leads did we get from webinars this quarter?", "agent": "data"},
    {"q": "forecast vs target this quarter", "agent": "data"},
    {"q": "are we going to hit our number this quarter? show the gap to target", "agent": "data"},
    {"q": "pipeline coverage for next quarter", "agent": "data"},
    {"q": "win rate by segment this year", "agent": "data"},
    {"q": "show me the pipeline by stage", "agent": "data"},
    {"q": "which deals slipped this quarter?", "agent": "data"},
    {"q": "rep leaderboard for Q3", "agent": "data"},
    {"q": "monthly revenue trend this year", "agent": "data"},
    # --- names first: the thing named decides, whatever the wording (issue 13)
    {"q": "who is the champion at Acme Corp?", "agent": "deal_analysis", "deal": "Acme Corp"},
    {"q": "give me the MEDDPICC breakdown for Microsoft Enterprise", "agent": "deal_analysis", "deal": "Microsoft"},
    {"q": "what's the next step on IXIS?", "agent": "deal_analysis", "deal": "IXIS Technologies"},
    {"q": "how many times has the IXIS close date been pushed?", "agent": "deal_analysis", "deal": "IXIS Technologies"},
    {"q": "what are the chances TechFlow Migration closes this quarter?", "agent": "deal_analysis", "deal": "TechFlow"},
    {"q": "is Acme Crop at risk?", "agent": "deal_analysis", "deal": "Acme Corp"},
    {"q": "how good a fit is Lisa Wang?", "agent": "lead_analysis", "person": "Lisa Wang"},
    {"q": "score Jon Smith", "agent": "lead_analysis", "person": "John Smith"},
    {"q": "should we prioritise Michael Chen?", "agent": "lead_analysis", "person": "Michael Chen"},
    {"q": "what is the average deal size?", "agent": "data"},
    {"q": "what is our biggest deal in EMEA this quarter?", "agent": "data"},
    {"q": "what is the average deal size?", "after": "what is the status of the IXIS deal?", "agent": "data"},
    {"q": "deal count by region this quarter", "agent": "data"},
    {"q": "average sales cycle for mid-market deals", "agent": "data"},
    {"q": "how's ixis looking?", "agent": "deal_analysis", "deal": "IXIS Technologies"},
    {"q": "techcorp gone quiet?", "agent": "deal_analysis", "deal": "TechCorp"},
    {"q": "what's blocking Sarah's IXIS deal", "agent": "deal_analysis", "deal": "IXIS Technologies"},
    {"q": "which deals keep slipping?", "agent": "data"},
    # --- actions
    {"q": "Send notification to AE", "agent": "execution"},
    {"q": "trigger the crm_alerts webhook for the IXIS deal", "agent": "execution"},
    {"q": "post a summary of the at-risk deals to #revops", "agent": "execution"},
    {"q": "update the IXIS deal next step to 'CFO meeting on Friday'", "agent": "execution", "deal": "IXIS Technologies"},
    {"q": "notify the owner of the TechCorp deal about the competitor", "agent": "execution"},
    # --- "send me X", "update on X", "email open rate ...": questions, not actions
    {"q": "send me the pipeline for this quarter", "agent": "data"},
    {"q": "send me the top 5 deals in emea", "agent": "data"},
    {"q": "update on the ixis deal", "agent": "deal_analysis", "deal": "IXIS Technologies"},
    {"q": "give me an update on techflow", "agent": "deal_analysis", "deal": "TechFlow"},
    {"q": "update me on techcorp", "agent": "deal_analysis", "deal": "TechCorp"},
    {"q": "catch me up on acme", "agent": "deal_analysis", "deal": "Acme Corp"},
    {"q": "update techcorp next step to poc review friday", "agent": "execution", "deal": "TechCorp"},
]


def check(case: dict, route) -> str | None:
    """None when the route is right, else what is wrong."""
    if route.agent != case["agent"]:
        return f"agent {route.agent} != {case['agent']}"
    if "intent" in case and route.intent != case["intent"]:
        return f"intent {route.intent} != {case['intent']}"
    e = route.entities
    if "deal" in case:
        got = (e.get("opportunity") or {}).get("account_name")
        if got != case["deal"]:
            return f"deal account {got!r} != {case['deal']!r}"
    if "person" in case:
        got = (e.get("person") or {}).get("name")
        if got != case["person"]:
            return f"person {got!r} != {case['person']!r}"
    if "company" in case:
        got = e.get("company") or (e.get("person") or {}).get("company")
        if str(got).lower() != case["company"].lower():
            return f"company {got!r} != {case['company']!r}"
    if "account" in case:
        got = (e.get("account") or {}).get("name")
        if got != case["account"]:
            return f"account {got!r} != {case['account']!r}"
    return None


def route_case(ctx_factory, case: dict):
    """Plan the case's question (after its earlier question, if any) in a fresh session."""
    from revops_cli.agents.manager import plan

    session: dict = {}
    if case.get("after"):
        prior = plan(ctx_factory(case["after"], {}), case["after"])
        session = {k: v for k, v in prior.entities.items() if k in ("opportunity", "account", "person", "company")}
    return plan(ctx_factory(case["q"], session), case["q"])


def accuracy(db=None) -> dict:
    """Route every case against a demo warehouse (built in a temp dir when none is given)."""
    import os
    import tempfile
    from datetime import date
    from pathlib import Path

    from revops_cli.agents.base import AgentContext
    from revops_cli.config import load_settings
    from revops_cli.models import Request, Trace
    from revops_cli.warehouse.connect import open_warehouse

    if db is None:
        from revops_cli.warehouse.demo_data import generate

        db = Path(tempfile.mkdtemp(prefix="revops-routing-")) / "demo.duckdb"
        generate(db, scale=0.3, seed=42, as_of=date(2026, 11, 24))
    os.environ["REVOPS_DUCKDB_PATH"] = str(db)
    os.environ["REVOPS_AS_OF"] = "2026-11-24"
    settings = load_settings()
    wh = open_warehouse(settings, mode="refresh")

    def make(text, session):
        return AgentContext(settings=settings, warehouse=wh, trace=Trace(), request=Request(text=text), session=session)

    failures = []
    for case in CASES:
        try:
            problem = check(case, route_case(make, case))
        except Exception as exc:       # an unresolved name is a routing failure too
            problem = f"{type(exc).__name__}: {exc}"
        if problem:
            failures.append({"q": case["q"], "problem": problem})
    wh.close()
    return {"cases": len(CASES), "correct": len(CASES) - len(failures),
            "accuracy": round((len(CASES) - len(failures)) / len(CASES), 4), "failures": failures}
