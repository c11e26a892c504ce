"""Every phrasing of the routing test set reaches its agent and resolves its entity, on both seeds."""

from __future__ import annotations

import pytest

from routing_cases import CASES, check, route_case


@pytest.fixture(scope="module")
def make_ctx(demo_db):
    import os

    from revops_cli.agents.base import AgentContext
    from revops_cli.config import load_settings
    from revops_cli.models import Request, Trace
    from revops_cli.warehouse.connect import open_warehouse

    old = os.environ.get("REVOPS_DUCKDB_PATH")
    os.environ["REVOPS_DUCKDB_PATH"] = str(demo_db)
    os.environ.setdefault("REVOPS_AS_OF", "2026-11-24")
    settings = load_settings()
    settings.data["cache"]["enabled"] = False
    wh = open_warehouse(settings)

    def make(text, session):
        return AgentContext(settings=settings, warehouse=wh, trace=Trace(), request=Request(text=text), session=session)

    yield make
    wh.close()
    if old is None:
        os.environ.pop("REVOPS_DUCKDB_PATH", None)


def test_the_set_is_big_enough():
    assert len(CASES) >= 60
    assert sum(1 for c in CASES if c.get("after")) >= 4          # follow-ups
    assert sum(1 for c in CASES if c["agent"] == "execution") >= 4


@pytest.mark.parametrize("case", CASES, ids=[c["q"][:60] for c in CASES])
def test_routes(make_ctx, case):
    problem = check(case, route_case(make_ctx, case))
    assert problem is None, problem


@pytest.mark.parametrize("q", ["status of the Zzyzx Quantum deal", "review the Blorft deal"])
def test_unknown_deal_is_did_you_mean_not_a_guess(make_ctx, q):
    from revops_cli.agents.manager import plan
    from revops_cli.errors import NotFoundError

    with pytest.raises(NotFoundError) as err:
        plan(make_ctx(q, {}), q)
    assert "no deal matches" in err.value.message


def test_route_decision_is_in_the_trace_with_a_reason(make_ctx):
    from revops_cli.agents.manager import plan

    ctx = make_ctx("what is the status of the IXIS deal?", {})
    plan(ctx, "what is the status of the IXIS deal?")
    route = next(s for s in ctx.trace.steps if s.kind == "route")     # after the name look-ups
    assert route.kind == "route" and route.name == "deal_analysis" and route.detail
    tools = [s for s in ctx.trace.steps if s.kind == "tool"]
    assert tools and all(s.sql_pattern for s in tools)
