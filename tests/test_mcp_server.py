"""`revops serve-mcp`: the official MCP SDK's own client starts the real command, over stdio and streamable HTTP.

Numbers are compared with the CLI's `--format json` for the same question (and, for SQL, with DuckDB read
directly), so the MCP channel adds nothing and loses nothing. Actions: a dry run, then confirm by id, reaches
a local webhook receiver exactly once; an unconfirmed or declined one never does.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from contextlib import asynccontextmanager
from pathlib import Path

import anyio
import pytest

pytest.importorskip("mcp")

from mcp import ClientSession, StdioServerParameters, stdio_client  # noqa: E402
from mcp.types import ElicitResult, Implementation  # noqa: E402

from cli import REVOPS, run  # noqa: E402

READ_ONLY_TOOLS = {"ask", "deal_assessment", "lead_assessment", "company_research", "list_patterns", "run_pattern",
                   "query_metrics",
                   "query_sql"}
QUARTER = {"start_date": "2026-10-01", "end_date": "2026-12-31"}


@pytest.fixture
def mcp_env(demo_db, settings_for) -> dict[str, str]:
    """The environment the server process gets: this test's REVOPS_HOME and the seed's demo warehouse."""
    settings_for(demo_db)
    return dict(os.environ)


@asynccontextmanager
async def stdio_session(env: dict[str, str], *, client: str = "pytest", elicitation=None):
    params = StdioServerParameters(command=REVOPS, args=["serve-mcp"], env=env)
    async with stdio_client(params) as (read, write):
        async with ClientSession(read, write, client_info=Implementation(name=client, version="1"),
                                 elicitation_callback=elicitation) as session:
            await session.initialize()
            yield session


def structured(result) -> dict:
    assert result.structured_content is not None, result
    return result.structured_content


def cli_json(capsys, *args: str) -> dict:
    r = run(capsys, *args, "-f", "json")
    assert r.code == 0, r.err
    return r.json()


# -- stdio: tools, schemas, hints, numbers -----------------------------------------------------------------

def test_stdio_tools_schemas_and_numbers_match_the_cli(mcp_env, demo_db, capsys):
    async def scenario():
        async with stdio_session(mcp_env) as s:
            tools = {t.name: t for t in (await s.list_tools()).tools}
            deal = await s.call_tool("deal_assessment", {"name": "IXIS"})
            follow_up = await s.call_tool("ask", {"question": "what are its main risks?"})
            revenue = await s.call_tool("ask", {"question": "analyze Q4 revenue performance by customer segment"})
            lead = await s.call_tool("lead_assessment", {"name": "John Smith", "company": "DataCorp"})
            pattern = await s.call_tool("run_pattern", {"pattern": "deals_closing_in_period", "params": QUARTER})
            sql = await s.call_tool("query_sql", {"sql": "SELECT segment, count(*) AS n FROM accounts GROUP BY 1 "
                                                         "ORDER BY 1"})
            listed = await s.call_tool("list_patterns", {})
            resources = {str(r.uri): r for r in (await s.list_resources()).resources}
            schema = await s.read_resource("revops://schema")
            recent = await s.read_resource("revops://conversations/recent")
            return tools, deal, follow_up, revenue, lead, pattern, sql, listed, resources, schema, recent

    tools, deal, follow_up, revenue, lead, pattern, sql, listed, resources, schema, recent = anyio.run(scenario)

    # every tool has a description and an object schema; the read-only ones say so, the action ones do not
    assert READ_ONLY_TOOLS | {"propose_action"} <= set(tools)
    for name, tool in tools.items():
        assert len(tool.description or "") > 80, name
        assert tool.input_schema["type"] == "object"
        assert tool.output_schema and tool.output_schema["type"] == "object", name
        ro = tool.annotations.read_only_hint if tool.annotations else None
        assert ro is (name in READ_ONLY_TOOLS), (name, ro)
    assert tools["deal_assessment"].input_schema["required"] == ["name"]
    assert set(tools["lead_assessment"].input_schema["properties"]) == {"name", "company"}
    assert tools["run_pattern"].input_schema["required"] == ["pattern"]
    assert tools["propose_action"].annotations.destructive_hint is False
    assert {"agent", "answer", "data", "ok"} <= set(tools["ask"].output_schema["properties"])

    # deal: the text is the answer, the structured content is the CLI's JSON, numbers included
    want = cli_json(capsys, "deal", "IXIS")
    got = structured(deal)
    assert not deal.is_error and deal.content[0].text == got["answer"]
    assert got["agent"] == "deal_analysis" and got["ok"]
    assert got["data"]["opportunity"] == want["data"]["opportunity"]
    assert got["data"]["probability"] == want["data"]["probability"]
    assert got["data"]["meddpicc"] == want["data"]["meddpicc"]
    assert [r["title"] for r in got["data"]["risks"]] == [r["title"] for r in want["data"]["risks"]]

    # the connection is a session: "its" is the deal just assessed
    fu = structured(follow_up)
    assert fu["agent"] == "deal_analysis"
    assert fu["data"]["opportunity"]["opportunity_id"] == got["data"]["opportunity"]["opportunity_id"]

    want = cli_json(capsys, "ask", "analyze Q4 revenue performance by customer segment")
    assert structured(revenue)["data"]["summary"] == want["data"]["summary"]
    assert structured(revenue)["data"]["rows"] == want["data"]["rows"]

    want = cli_json(capsys, "lead", "John Smith", "--company", "DataCorp")
    assert structured(lead)["data"]["icp"] == want["data"]["icp"]

    r = run(capsys, "data", "run", "deals_closing_in_period", "-p", "start_date=2026-10-01",
            "-p", "end_date=2026-12-31", "-f", "json")
    want = r.json()
    got = structured(pattern)["data"]
    assert got["rows"] == want["rows"] and got["row_count"] == want["row_count"] > 0
    assert got["params"]["start_date"] == "2026-10-01"

    import duckdb

    with duckdb.connect(str(demo_db), read_only=True) as con:
        counts = con.execute("SELECT segment, count(*) FROM accounts GROUP BY 1 ORDER BY 1").fetchall()
    assert [(r["segment"], r["n"]) for r in structured(sql)["data"]["rows"]] == counts

    names = {p["name"] for p in structured(listed)["patterns"]}
    assert names == {p["name"] for p in cli_json_patterns(capsys)}

    assert {"revops://schema", "revops://patterns", "revops://conversations/recent"} <= set(resources)
    assert "CREATE TABLE" in schema.contents[0].text and "opportunities" in schema.contents[0].text
    convs = json.loads(recent.contents[0].text)["conversations"]
    mcp_turns = [c for c in convs if c["channel"] == "mcp"]
    assert len(mcp_turns) >= 6 and {c["user"] for c in mcp_turns} == {"pytest"}


def cli_json_patterns(capsys) -> list[dict]:
    r = run(capsys, "data", "patterns", "-f", "json")
    assert r.code == 0
    return r.json()


def test_stdio_errors_are_tool_errors_with_a_hint(mcp_env):
    async def scenario():
        async with stdio_session(mcp_env) as s:
            return (await s.call_tool("query_sql", {"sql": "DELETE FROM accounts"}),
                    await s.call_tool("run_pattern", {"pattern": "deals_closing_in_period", "params": {"start": "x"}}),
                    await s.call_tool("deal_assessment", {"name": "Zzyzx Nonexistent Holdings"}))

    refused, bad_param, unknown = anyio.run(scenario)
    assert refused.is_error and "read-only" in refused.content[0].text
    assert structured(refused)["ok"] is False
    assert bad_param.is_error and "start_date" in bad_param.content[0].text      # the hint names the right one
    assert unknown.is_error and structured(unknown)["ok"] is False


def test_every_call_is_logged_on_the_mcp_channel(mcp_env, capsys):
    async def scenario():
        async with stdio_session(mcp_env, client="Claude Desktop") as s:
            await s.call_tool("deal_assessment", {"name": "IXIS"})
            await s.call_tool("run_pattern", {"pattern": "deals_closing_in_period", "params": QUARTER})

    anyio.run(scenario)
    rows = cli_json(capsys, "conversations", "list", "--channel", "mcp")
    assert len(rows) == 2
    assert {r["user"] for r in rows} == {"Claude Desktop"}
    assert len({r["session_id"] for r in rows}) == 1
    assert {r["agent"] for r in rows} == {"deal_analysis", "data"}


# -- the command itself --------------------------------------------------------------------------------------

def test_http_beyond_loopback_needs_a_token(mcp_env):
    from cli import run_process

    r = run_process("serve-mcp", "--http", "--host", "0.0.0.0", "--port", "0", env=mcp_env, timeout=60)
    assert r.code == 3 and "token" in r.err and "Traceback" not in r.err


def test_missing_extra_exits_3_with_the_pip_command(capsys, monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_mcp(name, *args, **kwargs):
        if name == "mcp" or name.startswith("mcp."):
            raise ImportError("No module named 'mcp'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_mcp)
    r = run(capsys, "serve-mcp")
    assert r.code == 3 and "pip install 'revops-cli[mcp]'" in r.err


# -- actions and HTTP share a local webhook receiver --------------------------------------------------------

@pytest.fixture
def receiver():
    from fakes.webhook_receiver import WebhookReceiver

    with WebhookReceiver() as rx:
        yield rx


@pytest.fixture
def action_env(mcp_env, receiver) -> dict[str, str]:
    return {**mcp_env, "REVOPS_WEBHOOK_URL": receiver.url, "REVOPS_WEBHOOK_ALLOW_HOSTS": "127.0.0.1"}


def sent_texts(receiver) -> list[str]:
    return [str((r.json or {}).get("text")).lower() for r in receiver.requests]


# -- streamable HTTP -------------------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def http_server(action_env):
    port = free_port()
    env = {**action_env, "REVOPS_MCP_TOKEN": "test-token-0123456789"}
    proc = subprocess.Popen([REVOPS, "serve-mcp", "--http", "--port", str(port)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            assert proc.poll() is None, proc.stderr.read().decode()
            time.sleep(0.1)
    yield f"http://127.0.0.1:{port}/mcp", env["REVOPS_MCP_TOKEN"]
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


def test_streamable_http_with_and_without_the_bearer_token(http_server, receiver, capsys):
    import httpx2
    from mcp.client.streamable_http import streamable_http_client

    url, token = http_server

    async def scenario(headers):
        async with httpx2.AsyncClient(headers=headers, timeout=60) as http:
            async with streamable_http_client(url, http_client=http) as (read, write):
                async with ClientSession(read, write, client_info=Implementation(name="http-test", version="1")) as s:
                    await s.initialize()
                    tools = await s.list_tools()
                    deal = await s.call_tool("deal_assessment", {"name": "IXIS"})
                    await s.call_tool("propose_action", {"action": 'trigger the webhook with "left alone"'})
                    proposed = await s.call_tool("propose_action", {"action": 'trigger the webhook with "over http"'})
                    pid = structured(proposed)["data"]["pending_action_id"]
                    confirmed = await s.call_tool("confirm_action", {"pending_action_id": pid})
                    return tools, deal, confirmed

    tools, deal, confirmed = anyio.run(scenario, {"Authorization": f"Bearer {token}"})
    assert not confirmed.is_error and sent_texts(receiver) == ["over http"]
    assert READ_ONLY_TOOLS <= {t.name for t in tools.tools}
    want = cli_json(capsys, "deal", "IXIS")
    assert structured(deal)["data"]["probability"] == want["data"]["probability"]

    import httpx

    init = {"jsonrpc": "2.0", "id": 1, "method": "initialize",
            "params": {"protocolVersion": "2025-06-18", "capabilities": {},
                       "clientInfo": {"name": "raw", "version": "1"}}}
    headers = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}
    for auth in (None, "Bearer wrong-token", "Basic dGVzdA=="):
        h = dict(headers, **({"Authorization": auth} if auth else {}))
        reply = httpx.post(url, json=init, headers=h, timeout=30)
        assert reply.status_code == 401, (auth, reply.status_code)
        assert reply.headers["www-authenticate"].startswith("Bearer")

    with pytest.raises(Exception):          # the SDK client without the token cannot even initialize
        anyio.run(scenario, {})
    assert sent_texts(receiver) == ["over http"]


def test_init_and_config_show_know_the_mcp_settings(capsys, monkeypatch):
    r = run(capsys, "init")
    assert r.code == 0
    text = Path("revops.yaml").read_text()
    assert "\nmcp:" in text and "REVOPS_MCP_TOKEN" in text
    monkeypatch.setenv("REVOPS_MCP_TOKEN", "s3cret-token-abcdefgh")
    shown = json.loads(run(capsys, "config", "show", "-f", "json").out)["settings"]["mcp"]
    assert shown["port"] == 8765 and shown["host"] == "127.0.0.1" and shown["path"] == "/mcp"
    assert shown["token"] != "s3cret-token-abcdefgh" and "s3cret" not in json.dumps(shown)


# -- actions: dry run, then confirm by id -----------------------------------------------------------------------

def test_dry_run_then_confirm_by_id_reaches_the_receiver_exactly_once(action_env, receiver):
    async def scenario():
        async with stdio_session(action_env) as s:          # no elicitation: calling confirm_action confirms
            tools = {t.name: t for t in (await s.list_tools()).tools}
            kept = await s.call_tool("propose_action", {"action": 'trigger the webhook with "pricing call booked"'})
            left = await s.call_tool("propose_action", {"action": 'trigger the webhook with "never to be sent"'})
            before = len(receiver.requests)
            pid = structured(kept)["data"]["pending_action_id"]
            done = await s.call_tool("confirm_action", {"pending_action_id": pid})
            again = await s.call_tool("confirm_action", {"pending_action_id": pid})
            return tools, kept, left, before, done, again

    tools, kept, left, before, done, again = anyio.run(scenario)
    confirm = tools["confirm_action"]
    assert confirm.annotations.destructive_hint is True and confirm.annotations.read_only_hint is False
    assert confirm.input_schema["required"] == ["pending_action_id"]
    assert before == 0                                            # dry runs send nothing
    proposed = structured(kept)
    assert proposed["data"]["dry_run"] is True and proposed["pending_actions"][0]["kind"] == "webhook"
    assert proposed["data"]["pending_action_expires_at"] and "confirm_action" in kept.content[0].text
    assert not done.is_error and structured(done)["data"]["actions"][0]["status"] == "done"
    assert again.is_error and "already ran" in again.content[0].text
    assert sent_texts(receiver) == ["pricing call booked"]      # exactly once; the unconfirmed one never
    assert receiver.requests[0].json["text"] == proposed["pending_actions"][0]["payload"]["text"]


def test_elicitation_asks_the_user_and_a_no_cancels(action_env, receiver):
    asked: list[str] = []

    def answering(action: str, confirm: bool | None = None):
        async def on_elicit(context, params):
            asked.append(params.message)
            content = None if confirm is None else {"confirm": confirm}
            return ElicitResult(action=action, content=content)
        return on_elicit

    async def propose(client: str, text: str) -> str:
        async with stdio_session(action_env, client=client) as s:
            r = await s.call_tool("propose_action", {"action": text})
            return structured(r)["data"]["pending_action_id"]

    async def confirm(client: str, pid: str, elicitation):
        async with stdio_session(action_env, client=client, elicitation=elicitation) as s:
            return await s.call_tool("confirm_action", {"pending_action_id": pid})

    async def scenario():
        declined_id = await propose("alice", 'trigger the webhook with "declined one"')
        declined = await confirm("alice", declined_id, answering("decline"))
        retry = await confirm("alice", declined_id, answering("accept", True))
        accepted_id = await propose("alice", 'trigger the webhook with "accepted one"')
        stranger = await confirm("mallory", accepted_id, answering("accept", True))
        accepted = await confirm("alice", accepted_id, answering("accept", True))
        return declined, retry, stranger, accepted

    declined, retry, stranger, accepted = anyio.run(scenario)
    assert not declined.is_error and structured(declined)["data"]["status"] == "cancelled"
    assert "declined one" in asked[0].lower() and "webhook" in asked[0]          # the user saw the stored action
    assert retry.is_error and "cancelled" in retry.content[0].text
    assert stranger.is_error and "someone else" in stranger.content[0].text
    assert not accepted.is_error
    assert sent_texts(receiver) == ["accepted one"]
