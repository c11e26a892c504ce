"""query_metrics: a model asks for measures by name (Bedrock Converse, OpenAI, MCP share one planner), and the
numbers it gets back are the ones recomputed here from the raw demo tables."""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import date

import anyio
import pytest

from cli import run
from fakes import bedrock as fb
from revops_cli.agents.backends import bedrock_client as bc

Q3 = (date(2026, 7, 1), date(2026, 9, 30))
QUERY = {"measures": ["bookings", "revenue"], "dimensions": ["segment"], "period": "Q3 2026",
         "order": ["-revenue"]}


@pytest.fixture(scope="module")
def expected(demo_db):
    """Bookings and revenue by segment in Q3 2026, from the raw tables."""
    import duckdb

    con = duckdb.connect(str(demo_db), read_only=True)
    segment = dict(con.execute("SELECT account_id, COALESCE(segment, 'Unknown') FROM accounts").fetchall())
    bookings, revenue = defaultdict(float), defaultdict(float)
    for acc, amount, won, closed in con.execute(
            "SELECT account_id, amount, is_won, close_date FROM opportunities").fetchall():
        if won and Q3[0] <= closed <= Q3[1]:
            bookings[segment.get(acc, "Unknown")] += amount
    for acc, month, rev in con.execute("SELECT account_id, month, revenue FROM billing_monthly").fetchall():
        if Q3[0] <= month <= Q3[1]:
            revenue[segment.get(acc, "Unknown")] += rev
    con.close()
    return {s: (bookings.get(s, 0.0), revenue.get(s, 0.0)) for s in set(bookings) | set(revenue)}


def same(rows, expected):
    got = {r["segment"]: (r["bookings"], r["revenue"]) for r in rows}
    assert set(got) == set(expected)
    for seg, (b, r) in expected.items():
        assert abs(got[seg][0] - b) < 1e-6 and abs(got[seg][1] - r) < 1e-6, seg


@pytest.fixture
def bedrock_env(demo_db, settings_for):
    settings_for(demo_db)
    yield
    bc.set_client_factory(None)


def test_converse_model_asks_for_measures_by_name(capsys, bedrock_env, expected):
    fake = fb.FakeConverseClient([
        fb.converse_response([fb.tool_use("m1", "query_metrics", QUERY),
                              fb.tool_use("m2", "query_metrics", {"measures": ["bookngs"]})], "tool_use"),
        fb.converse_response([{"text": "Enterprise leads Q3 revenue."}], "end_turn"),
    ])
    bc.set_client_factory(fb.factory(converse=fake))
    r = run(capsys, "ask", "bookings and revenue by segment in Q3", "--backend", "bedrock", "-f", "json")
    assert r.code == 0, r.err
    tools = {t["toolSpec"]["name"]: t["toolSpec"] for t in fake.calls[0]["tool_config"]["tools"]}
    schema = tools["query_metrics"]["inputSchema"]["json"]
    assert "net_revenue_retention" in schema["properties"]["measures"]["items"]["enum"]
    assert "net_revenue_retention:" in tools["query_metrics"]["description"]
    ok, bad = (x["toolResult"] for x in fake.calls[1]["messages"][-1]["content"])
    assert ok["status"] == "success" and bad["status"] == "error"
    payload = ok["content"][0]["json"]
    same(payload["rows"], expected)
    assert [row["revenue"] for row in payload["rows"]] == sorted((row["revenue"] for row in payload["rows"]),
                                                                 reverse=True)
    assert payload["period"] == {"start": "2026-07-01", "end": "2026-09-30"}
    assert "Closed-won" in payload["measures"]["bookings"]
    assert "bookings" in bad["content"][0]["text"] and "did you mean" in bad["content"][0]["text"]
    steps = [s for s in r.json()["trace"] if s["kind"] == "tool" and s["name"] == "query_metrics"]
    assert steps[0]["agent"] == "data" and steps[0]["rows"] == len(expected) and steps[0]["ok"]
    assert steps[0]["params"]["measures"] == ["bookings", "revenue"]


def test_an_unavailable_measure_goes_back_as_null_with_the_reason(capsys, bedrock_env, tmp_path):
    (tmp_path / "model").mkdir()
    (tmp_path / "model" / "m.yaml").write_text(
        "entities:\n  opportunity_stage_history:\n    missing: no close-date history in this warehouse\n")
    fake = fb.FakeConverseClient([
        fb.converse_response([fb.tool_use("m1", "query_metrics", {"measures": ["slip_count", "deal_count"],
                                                                   "period": "this quarter"})], "tool_use"),
        fb.converse_response([{"text": "No slip data."}], "end_turn"),
    ])
    bc.set_client_factory(fb.factory(converse=fake))
    assert run(capsys, "ask", "how many deals slipped?", "--backend", "bedrock").code == 0
    payload = fake.calls[1]["messages"][-1]["content"][0]["toolResult"]["content"][0]["json"]
    assert payload["rows"][0]["slip_count"] is None and payload["rows"][0]["deal_count"] > 0
    assert payload["unavailable"] == {"slip_count": "no close-date history in this warehouse"}


def test_mcp_query_metrics_tool(demo_db, settings_for, expected):
    import os

    from mcp import ClientSession, StdioServerParameters
    from mcp.client.stdio import stdio_client

    from cli import REVOPS

    settings_for(demo_db)

    async def scenario():
        params = StdioServerParameters(command=REVOPS, args=["serve-mcp"], env=dict(os.environ))
        async with stdio_client(params) as (read, write):
            async with ClientSession(read, write) as s:
                await s.initialize()
                tools = {t.name: t for t in (await s.list_tools()).tools}
                result = await s.call_tool("query_metrics", QUERY)
                bad = await s.call_tool("query_metrics", {"measures": ["bookings"], "dimensions": ["lead_status"]})
                resource = await s.read_resource("revops://measures")
                return tools, result, bad, resource

    tools, result, bad, resource = anyio.run(scenario)
    tool = tools["query_metrics"]
    assert tool.annotations.read_only_hint is True and tool.input_schema["required"] == ["measures"]
    data = result.structured_content["data"]
    assert not result.is_error
    same(data["rows"], expected)
    assert "bookings" in data["measures"] and "**bookings**" in result.content[0].text
    assert bad.is_error and "does not apply" in bad.content[0].text
    assert "net_revenue_retention" in resource.contents[0].text
