"""`--backend openai`: a model behind an OpenAI-compatible Chat Completions server drives our tools.

Our code is the client (the official `openai` SDK); tests/fakes/openai_api.py is the server, speaking the real
`/v1/chat/completions` wire format (JSON and server-sent chunks, tool calls, usage, OpenAI's error bodies)."""

from __future__ import annotations

import json
import socket
import sys

import pytest

from cli import run
from fakes.openai_api import ChatCompletionsFake, Stall, error, reply, tool_call

pytest.importorskip("openai")

MODEL = "qwen2.5:7b"
KEY = "sk-test-0123456789abcdefghij"
Q4 = {"start_date": "2026-10-01", "end_date": "2026-12-31"}


@pytest.fixture
def openai_env(demo_db, settings_for, monkeypatch):
    """Settings for the openai backend; `use(fake, **env)` points them at a fake server."""
    settings_for(demo_db)
    monkeypatch.setenv("REVOPS_OPENAI_MODEL", MODEL)

    def use(fake: ChatCompletionsFake | None = None, **env: str) -> None:
        if fake is not None:
            monkeypatch.setenv("REVOPS_OPENAI_BASE_URL", fake.base_url)
        for k, v in env.items():
            monkeypatch.setenv(k, v)

    return use


def log_record(request_id: str):
    from revops_cli.config import load_settings
    from revops_cli.conversations.log import ConversationLog

    return ConversationLog.from_settings(load_settings()).get(request_id)


def two_tools_then_answer(prompt_tokens: tuple[int, int, int] = (1500, 2600, 4100)) -> list:
    return [
        reply("Let me look at IXIS and the quarter's revenue.", prompt_tokens=prompt_tokens[0], completion_tokens=40,
              tool_calls=[tool_call("call_deal", "deal_analysis", {"name": "IXIS"}),
                          tool_call("call_rev", "run_sql_pattern", {"pattern": "revenue_by_segment", "params": Q4})]),
        reply(tool_calls=[tool_call("call_calls", "calls_search", {"account": "IXIS", "period": "this quarter"})],
              prompt_tokens=prompt_tokens[1], completion_tokens=30),
        reply("**IXIS is at risk** while Q4 revenue grows.\n\n- MEDDPICC is weak\n- Revenue is up",
              prompt_tokens=prompt_tokens[2], completion_tokens=120),
    ]


# ---------------------------------------------------------------------------------------------- the loop

@pytest.mark.parametrize("stream", [False, True], ids=["json", "sse"])
def test_model_calls_tools_then_answers(capsys, openai_env, sql_rows, stream):
    with ChatCompletionsFake(two_tools_then_answer()) as api:
        openai_env(api, REVOPS_OPENAI__STREAM="true" if stream else "false")
        r = run(capsys, "ask", "Is IXIS at risk, and how is Q4 revenue by segment?", "--backend", "openai",
                "-f", "json")
        requests = api.requests
        assert r.code == 0, r.err
        out = r.json()
        assert out["answer"].startswith("**IXIS is at risk** while Q4 revenue grows.")
        assert len(requests) == 3

        # what the server received: the model, the question, our tools as function tools
        first = requests[0].json
        assert first["model"] == MODEL and bool(first.get("stream")) is stream
        assert first["messages"][0]["role"] == "system" and "manager of a Revenue Operations" in first["messages"][0]["content"]
        assert first["messages"][1] == {"role": "user", "content": "Is IXIS at risk, and how is Q4 revenue by segment?"}
        assert [t["function"]["name"] for t in first["tools"]] == [
            "run_sql_pattern", "run_sql", "deal_analysis", "lead_analysis", "company_research", "calls_search",
            "query_metrics", "propose_action"]
        assert all(t["type"] == "function" and t["function"]["parameters"]["type"] == "object" for t in first["tools"])
        assert requests[0].headers["authorization"] == "Bearer no-key"      # a local server needs no key

        # the tool results it got back, against numbers computed here from the warehouse
        results = {m["tool_call_id"]: m["content"] for m in api.tool_messages(1)}
        assert set(results) == {"call_deal", "call_rev"}
        second = requests[1].json["messages"]
        assistant = second[2]
        assert assistant["role"] == "assistant" and [c["id"] for c in assistant["tool_calls"]] == ["call_deal", "call_rev"]
        rev = results["call_rev"]
        expected = {row["segment"]: float(row["revenue"]) for row in sql_rows(
            "SELECT COALESCE(a.segment, 'Unknown') AS segment, SUM(b.revenue) AS revenue FROM billing_monthly b "
            "JOIN accounts a ON a.account_id = b.account_id WHERE b.month BETWEEN ? AND ? GROUP BY 1",
            Q4["start_date"], Q4["end_date"])}
        got = {row["segment"]: float(row["revenue"]) for row in rev["rows"] if row["segment"] != "Total"}
        assert got == pytest.approx(expected)
        total = next(row for row in rev["rows"] if row["segment"] == "Total")
        assert float(total["revenue"]) == pytest.approx(sum(expected.values()))

        deal = results["call_deal"]
        ixis = sql_rows("SELECT o.name FROM opportunities o JOIN accounts a ON a.account_id = o.account_id "
                   "WHERE lower(a.name) LIKE 'ixis%' ORDER BY o.amount DESC")
        assert deal["deal"] in {row["name"] for row in ixis}
        local = run(capsys, "deal", "IXIS", "-f", "json").json()
        assert deal["probability"] == local["data"]["probability"]
        assert deal["deal"] == local["data"]["opportunity"]["name"]
        calls = api.tool_messages(2)[-1]
        assert calls["tool_call_id"] == "call_calls" and calls["content"]["account"] == "IXIS"
        base_url = api.base_url

    # the answer's record: usage, tool calls, who did the work
    assert out["data"]["usage"] == {"prompt_tokens": 8200, "completion_tokens": 190, "total_tokens": 8390}
    assert out["data"]["openai"] == {"model": MODEL, "base_url": base_url, "turns": 3, "finish_reason": "stop",
                                     "tool_calls": 3}
    assert out["data"]["opportunity"]["name"] == deal["deal"]          # session context for follow-ups
    assert out["agent"] == "data"                                     # two of the three calls were the Data agent's
    steps = out["trace"]
    assert [t["params"]["stop_reason"] for t in steps if t["name"] == "model_turn"] == ["tool_calls", "tool_calls", "stop"]
    usage = next(s for s in steps if s["kind"] == "note" and s["name"] == "usage")
    assert usage["params"]["tool_calls"] == 3 and usage["params"]["input_tokens"] == 8200
    pattern = next(s for s in steps if s["name"] == "run_sql_pattern" and s["params"].get("pattern") == "revenue_by_segment")
    assert pattern["agent"] == "data" and pattern["ok"] and pattern["detail"] == "model tool call call_rev"
    assert ("handoff", "manager", "deal_analysis") in [(s["kind"], s["agent"], s["name"]) for s in steps]

    rec = json.loads(run(capsys, "conversations", "show", out["request_id"], "--format", "json").out)
    assert rec["backend"] == "openai" and {"manager", "data", "deal_analysis"} <= set(rec["agents_involved"])
    assert rec["data"]["usage"]["prompt_tokens"] == 8200 and rec["n_tools"] >= 3
    assert "You are the manager" not in json.dumps(rec)               # the system prompt never reaches the log
    shown = run(capsys, "conversations", "show", out["request_id"]).out
    assert "3 model turns, 3 tool calls, 8200 prompt / 190 completion tokens" in " ".join(shown.split())


def test_tool_errors_go_back_to_the_model(capsys, openai_env):
    with ChatCompletionsFake([
        reply(tool_calls=[tool_call("a", "run_sql_pattern", {"pattern": "no_such_pattern"}),
                          tool_call("b", "run_sql", {"sql": "DELETE FROM opportunities"}),
                          tool_call("c", "deal_analysis", '{"name": "IXIS"')]),           # broken JSON
        reply(tool_calls=[tool_call("d", "run_sql", {"sql": "SELECT count(*) AS n FROM opportunities"})]),
        reply("There are some opportunities."),
    ]) as api:
        openai_env(api)
        r = run(capsys, "ask", "how many opportunities do we have?", "--backend", "openai", "-f", "json")
        assert r.code == 0, r.err
        errors = {m["tool_call_id"]: m["content"] for m in api.tool_messages(1)}
        ok = api.tool_messages(2)[-1]["content"]
    assert all(isinstance(v, str) and v.startswith("error: ") for v in errors.values())
    assert "no_such_pattern" in errors["a"] and "not valid JSON" in errors["c"]
    assert ok["row_count"] == 1 and ok["rows"][0]["n"] > 0
    failed = [(s["name"], s["agent"]) for s in r.json()["trace"] if s["kind"] == "tool" and not s["ok"]]
    assert failed == [("run_sql_pattern", "data"), ("run_sql", "data"), ("deal_analysis", "deal_analysis")]


def test_servers_that_bend_the_format(capsys, openai_env):
    """Arguments sent as an object, a tool call without an id, `stop` as the finish reason of a tool turn."""
    call = {"type": "function", "function": {"name": "run_sql", "arguments": {"sql": "SELECT 7 AS seven"}}}
    with ChatCompletionsFake([reply(tool_calls=[call], finish_reason="stop"), reply("Seven.")]) as api:
        openai_env(api)
        r = run(capsys, "ask", "what is seven?", "--backend", "openai", "-f", "json")
        assert r.code == 0, r.err
        sent = api.requests[1].json["messages"]
        result = api.tool_messages(1)[0]
    assistant = sent[2]
    assert assistant["tool_calls"][0]["id"] == result["tool_call_id"] == "call_1_1"
    assert json.loads(assistant["tool_calls"][0]["function"]["arguments"]) == {"sql": "SELECT 7 AS seven"}
    assert result["content"]["rows"] == [{"seven": 7}]


def test_actions_are_only_proposed(capsys, openai_env, monkeypatch):
    from fakes.webhook_receiver import WebhookReceiver

    with WebhookReceiver() as hook, ChatCompletionsFake([
        reply(tool_calls=[tool_call("a", "deal_analysis", {"name": "IXIS"})]),
        reply(tool_calls=[tool_call("b", "propose_action", {"text": "trigger the webhook with the IXIS risks"})]),
        reply("I drafted a webhook call; confirm it to send."),
    ]) as api:
        monkeypatch.setenv("REVOPS_WEBHOOK_URL", hook.url)
        monkeypatch.setenv("REVOPS_WEBHOOK_ALLOW_HOSTS", "127.0.0.1")
        openai_env(api)
        r = run(capsys, "ask", "analyse IXIS and alert the team", "--backend", "openai", "-f", "json")
        sent = api.tool_messages(2)[-1]["content"]
        received = hook.requests
    assert r.code == 0, r.err
    out = r.json()
    assert out["pending_actions"] and all(a.get("status") == "pending" for a in out["pending_actions"])
    step = next(s for s in out["trace"] if s["kind"] == "tool" and s["name"] == "propose_action")
    assert step["agent"] == "execution" and step["detail"] == "dry run: awaiting confirmation"
    assert sent["confirmed"] is False and sent["pending_actions"]
    assert received == []                              # nothing left the machine without --yes


# ---------------------------------------------------------------------------------------------- budget

def test_budget_stops_a_model_that_loops(capsys, openai_env):
    looping = reply(tool_calls=[tool_call("again", "company_research", {"company": "IXIS"})])
    with ChatCompletionsFake([looping], repeat_last=True) as api:
        openai_env(api, REVOPS_LLM__MAX_TOOL_CALLS="3")
        r = run(capsys, "ask", "research IXIS", "--backend", "openai", "-f", "json")
        served = len(api.requests)
        text = run(capsys, "ask", "research IXIS", "--backend", "openai")
    assert r.code == 8, r.err
    out = r.json()
    assert out["ok"] is False
    assert out["error"].startswith("the model hit the question's budget of 3 tool calls (llm.max_tool_calls)")
    assert served == 4                                  # three answered calls, then the fourth turn is stopped
    asked = [s for s in out["trace"] if s["kind"] == "handoff" and s["name"] == "web_search"]
    assert len(asked) == 3                              # each call handed to the Web Search agent
    assert any(s["kind"] == "tool" and s["name"] == "company_research" and s["agent"] == "web_search"
               for s in out["trace"])
    usage = next(s for s in out["trace"] if s["name"] == "usage")
    assert usage["params"]["tool_calls"] == 3 and usage["params"]["input_tokens"] == 400
    rec = log_record(out["request_id"])
    assert rec["ok"] is False and rec["backend"] == "openai" and "budget" in rec["error"]

    assert text.code == 8 and "Traceback" not in text.err
    assert text.err.splitlines()[0].startswith("Error: the model hit the question's budget")


def test_token_budget(capsys, openai_env):
    big = reply(tool_calls=[tool_call("t", "run_sql", {"sql": "SELECT 1 AS one"})], prompt_tokens=6000,
                completion_tokens=100)
    with ChatCompletionsFake([big], repeat_last=True) as api:
        openai_env(api, REVOPS_LLM__MAX_TOTAL_TOKENS="10000")
        r = run(capsys, "ask", "count something", "--backend", "openai", "-f", "json")
        served = len(api.requests)
    assert r.code == 8 and served == 2
    assert r.json()["error"].startswith("the model hit the question's budget of 10000 tokens (llm.max_total_tokens)")


# ---------------------------------------------------------------------------------------------- errors

@pytest.mark.parametrize("status,code,exit_code,words", [
    (400, None, 3, "refused the request (400: "),
    (401, "invalid_api_key", 3, "rejected the API key (401: "),
    (404, "model_not_found", 3, f"model {MODEL} or the chat completions endpoint not found at "),
    (429, "rate_limit_exceeded", 8, "is rate-limiting requests (429: "),
    (500, None, 8, "failed (500: "),
])
@pytest.mark.parametrize("stream", [False, True], ids=["json", "sse"])
def test_error_statuses_are_one_line(capsys, openai_env, status, code, exit_code, words, stream):
    with ChatCompletionsFake([error(status, "the server says no", code=code, headers={"retry-after-ms": "1"})],
                             repeat_last=True) as api:
        openai_env(api, REVOPS_OPENAI__MAX_ATTEMPTS="2", REVOPS_OPENAI__STREAM=str(stream).lower())
        r = run(capsys, "ask", "Q4 revenue by segment", "--backend", "openai")
        served = len(api.requests)
        j = run(capsys, "ask", "Q4 revenue by segment", "--backend", "openai", "-f", "json").json()
    assert r.code == exit_code, r.err
    lines = r.err.splitlines()
    assert "Traceback" not in r.err and words in lines[0] and "the server says no" in lines[0], r.err
    assert lines[1].startswith("  hint: ")
    if status == 401:
        assert "check openai.api_key" in lines[1]
    assert served == (2 if status in (429, 500) else 1)              # the SDK retried what may pass
    assert j["data"]["error"]["retryable"] is (status in (429, 500))


def test_stream_broken_off_in_the_middle(capsys, openai_env):
    pieces: list[str | None] = []
    with ChatCompletionsFake([reply("Revenue in Q4 is", break_with="The server had an error while processing")]) as api:
        openai_env(api, REVOPS_OPENAI__STREAM="true", REVOPS_OPENAI__MAX_ATTEMPTS="1")
        from revops_cli import service
        from revops_cli.config import load_settings
        from revops_cli.models import Request

        answer = service.ask(Request(text="Q4 revenue?", backend="openai"), load_settings(), on_text=pieces.append)
        where = api.base_url
    assert not answer.ok and answer.data["error"]["exit_code"] == 8 and answer.data["error"]["retryable"] is True
    assert answer.error.startswith(f"{where} broke off its reply (The server had an error while processing)")
    assert "".join(p for p in pieces if p) == "Revenue in Q4 is"      # what was shown before the break


def test_unreachable_and_timeout(capsys, openai_env):
    with socket.socket() as s:          # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    openai_env(REVOPS_OPENAI_BASE_URL=f"http://127.0.0.1:{port}/v1", REVOPS_OPENAI__MAX_ATTEMPTS="1")
    r = run(capsys, "ask", "Q4 revenue", "--backend", "openai", "-f", "json")
    assert r.code == 8
    out = r.json()
    assert out["error"].startswith(f"cannot reach the OpenAI-compatible server at http://127.0.0.1:{port}/v1")
    assert out["data"]["error"]["retryable"] is True

    with ChatCompletionsFake([Stall(3)]) as api:
        openai_env(api, REVOPS_OPENAI__TIMEOUT_SECONDS="0.3")
        r = run(capsys, "ask", "Q4 revenue", "--backend", "openai")
    assert r.code == 8 and "did not answer within 0.3 s (openai.timeout_seconds)" in r.err.splitlines()[0]


def test_api_key_is_sent_but_never_shown_or_logged(capsys, openai_env):
    with ChatCompletionsFake([reply("Revenue is up.")], api_key=KEY) as api:
        openai_env(api, REVOPS_OPENAI_API_KEY=KEY)
        r = run(capsys, "ask", "Q4 revenue?", "--backend", "openai", "-f", "json")
        assert r.code == 0, r.err
        assert api.requests[0].headers["authorization"] == f"Bearer {KEY}"
        assert KEY not in r.out
        assert KEY not in json.dumps(log_record(r.json()["request_id"]))

        shown = run(capsys, "config", "show", "-f", "json")
        assert KEY not in shown.out and KEY not in shown.err

        wrong = "sk-wrong-abcdefghijklmnopqrstuv"        # the server echoes a rejected key in its message
        openai_env(REVOPS_OPENAI_API_KEY=wrong)
        r = run(capsys, "ask", "Q4 revenue?", "--backend", "openai", "-f", "json")
    assert r.code == 3 and wrong not in r.out and wrong not in r.err
    assert "rejected the API key" in r.json()["error"]
    assert wrong not in json.dumps(log_record(r.json()["request_id"]))


def test_missing_settings_and_missing_extra(capsys, openai_env, monkeypatch):
    monkeypatch.setenv("REVOPS_OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    monkeypatch.setitem(sys.modules, "openai", None)          # the `llm` extra is not installed
    r = run(capsys, "ask", "Q4 revenue?", "--backend", "openai")
    assert r.code == 3
    assert r.err.splitlines()[0] == ("Error: this needs the optional 'llm' dependencies (the openai backend): "
                                     "openai is not installed")
    assert "pip install 'revops-cli[llm]'" in r.err

    monkeypatch.setenv("REVOPS_OPENAI_MODEL", "")
    r = run(capsys, "ask", "Q4 revenue?", "--backend", "openai")
    assert r.code == 3 and r.err.splitlines()[0] == "Error: openai.model not set for the openai backend"


def test_tool_definitions_are_shared():
    """Bedrock's toolSpecs and OpenAI's function tools are the same records in two wire formats."""
    from revops_cli.agents.backends.tools import tool_definitions
    from revops_cli.config import load_settings

    defs = tool_definitions(load_settings())
    for d in defs:
        spec, fn = d.bedrock_spec()["toolSpec"], d.openai_tool()["function"]
        assert spec["name"] == fn["name"] == d.name
        assert spec["inputSchema"]["json"] == fn["parameters"] == d.parameters
        assert spec["description"] == fn["description"]
    assert [d.name for d in defs if not d.read_only] == ["propose_action"]


def test_init_and_config_show_know_openai(capsys, revops_home, tmp_path):
    assert run(capsys, "init").code == 0
    text = (tmp_path / "revops.yaml").read_text()
    assert "# openai:" in text and "#   base_url: http://localhost:11434/v1" in text and "# llm:" in text
    # the commented sections, switched on, are valid settings
    lines, block = [], False
    for ln in text.splitlines():
        block = ln.startswith(("# openai:", "# llm:")) or (block and ln.startswith("#   "))
        lines.append(ln[2:] if block and "set REVOPS_" not in ln else ln)
    (tmp_path / "revops.yaml").write_text("\n".join(lines).replace("backend: local ", "backend: openai ") + "\n")
    r = run(capsys, "config", "show", "-f", "json")
    assert r.code == 0, r.err
    s = r.json()["settings"]
    assert s["backend"] == "openai"
    assert s["openai"]["base_url"] == "http://localhost:11434/v1" and s["openai"]["model"] == "qwen2.5:7b"
    assert s["openai"]["max_tokens"] == 2048 and s["llm"] == {"max_tool_calls": 16, "max_total_tokens": 200000}
    assert s["bedrock"]["max_tokens"] == 2048           # token counts are not secrets

    (tmp_path / "revops.yaml").write_text("openai:\n  api_key: sk-file-key-0123456789\n")
    r = run(capsys, "config", "show", "-f", "json")
    assert r.json()["settings"]["openai"]["api_key"] == "****6789" and "sk-file-key" not in r.out


def test_streamed_answer_reaches_the_channel_as_it_arrives(openai_env):
    from revops_cli import service
    from revops_cli.config import load_settings
    from revops_cli.models import Request

    pieces: list[str | None] = []
    with ChatCompletionsFake([reply("Looking it up.", tool_calls=[tool_call("a", "run_sql", {"sql": "SELECT 1 AS one"})]),
                              reply("**One** is one, from the warehouse.")]) as api:
        openai_env(api, REVOPS_OPENAI__STREAM="true")
        answer = service.ask(Request(text="what is one?", backend="openai"), load_settings(), on_text=pieces.append)
        assert api.requests[0].json["stream"] is True
        assert api.requests[0].json["stream_options"] == {"include_usage": True}
    assert answer.ok, answer.error
    # the tool turn's preamble is shown, then withdrawn (None); the answer then arrives in several pieces
    cut = pieces.index(None)
    assert "".join(pieces[:cut]) == "Looking it up."
    assert "".join(pieces[cut + 1:]) == "**One** is one, from the warehouse." and len(pieces) - cut - 1 > 1
    assert answer.text == "**One** is one, from the warehouse.\n"
    assert answer.data["usage"] == {"prompt_tokens": 200, "completion_tokens": 40, "total_tokens": 240}
