"""`--backend bedrock`: a Bedrock model drives the local tools through Converse. The contract test runs the
real botocore `bedrock-runtime` client under Stubber; the rest use the fake client of tests/fakes/bedrock.py."""

from __future__ import annotations

import json

import pytest

from revops_cli.agents.backends import bedrock_client as bc
from cli import run
from fakes import bedrock as fb

MODEL = "us.anthropic.claude-3-7-sonnet-20250219-v1:0"      # the default: an inference profile id


@pytest.fixture
def bedrock_env(demo_db, settings_for, monkeypatch):
    settings_for(demo_db)
    sleeps: list[float] = []
    monkeypatch.setattr(bc, "_sleep", sleeps.append)
    yield sleeps
    bc.set_client_factory(None)


def stubbed_client():
    import boto3
    from botocore.stub import Stubber

    client = boto3.client("bedrock-runtime", region_name="us-east-1", aws_access_key_id="testing",
                          aws_secret_access_key="testing")
    stubber = Stubber(client)
    bc.set_client_factory(lambda kind, settings: bc.BotoConverseClient(client))
    return client, stubber


def log_record(request_id: str):
    from revops_cli.config import load_settings
    from revops_cli.conversations.log import ConversationLog

    return ConversationLog.from_settings(load_settings()).get(request_id)


# ---------------------------------------------------------------------------------------------- contract

def test_multi_turn_tool_use_with_stubbed_converse(capsys, bedrock_env):
    client, stubber = stubbed_client()
    pattern_args = {"pattern": "deals_closing_in_period",
                    "params": {"start_date": "2026-10-01", "end_date": "2026-12-31", "limit": 5}}
    stubber.add_response("converse", fb.converse_response(
        [{"text": "Let me pull the deals closing this quarter."}, fb.tool_use("tu-1", "run_sql_pattern", pattern_args)],
        "tool_use", 1500, 60))
    stubber.add_response("converse", fb.converse_response(
        [fb.tool_use("tu-2", "deal_analysis", {"name": "IXIS"}),
         fb.tool_use("tu-3", "calls_search", {"account": "IXIS", "period": "this quarter"})], "tool_use", 2600, 70))
    stubber.add_response("converse", fb.converse_response(
        [{"text": "**Q4 closing deals:** IXIS is the biggest risk.\n\n- MEDDPICC is weak"}], "end_turn", 4100, 120))
    with stubber:
        r = run(capsys, "ask", "Which deals closing this quarter are at risk?", "--backend", "bedrock", "-f", "json")
        stubber.assert_no_pending_responses()
    assert r.code == 0, r.err
    out = r.json()
    assert out["answer"].startswith("**Q4 closing deals:**")
    assert out["data"]["usage"] == {"inputTokens": 8200, "outputTokens": 250, "totalTokens": 8450}
    assert out["data"]["bedrock"] == {"model_id": MODEL, "turns": 3, "stop_reason": "end_turn", "tool_calls": 3}
    assert out["data"]["opportunity"]["name"].lower().startswith("ixis")        # session context for follow-ups

    steps = out["trace"]
    pattern_step = next(s for s in steps if s["name"] == "run_sql_pattern"
                        and s["params"].get("pattern") == "deals_closing_in_period")
    assert pattern_step["agent"] == "data" and pattern_step["ok"] and pattern_step["rows"] is not None
    assert pattern_step["params"]["start_date"] == "2026-10-01" and pattern_step["params"]["limit"] == 5
    assert pattern_step["detail"] == "model tool call tu-1"
    deal = next(s for s in steps if s["kind"] == "tool" and s["name"] == "deal_analysis")
    assert deal["agent"] == "deal_analysis" and deal["params"] == {"name": "IXIS"} and deal["ok"]
    assert any(s["agent"] == "deal_analysis" and s["name"] == "run_sql_pattern" for s in steps)   # its own queries
    calls = next(s for s in steps if s["kind"] == "tool" and s["name"] == "calls_search")
    assert calls["agent"] == "data" and calls["rows"] is not None
    assert ("handoff", "manager", "deal_analysis") in [(s["kind"], s["agent"], s["name"]) for s in steps]
    turns = [s for s in steps if s["name"] == "model_turn"]
    assert [t["params"]["stop_reason"] for t in turns] == ["tool_use", "tool_use", "end_turn"]
    assert out["agent"] == "data"             # two of the three tool calls were the Data agent's

    rec = log_record(out["request_id"])
    assert rec["backend"] == "bedrock" and {"manager", "data", "deal_analysis"} <= set(rec["agents_involved"])
    assert rec["n_tools"] >= 3 and rec["data"]["usage"]["inputTokens"] == 8200
    assert "You are the manager" not in json.dumps(rec)          # the system prompt never reaches the log


def test_converse_errors_are_one_line(capsys, bedrock_env):
    for code, status, exit_code, words in (
            ("AccessDeniedException", 403, 3, "access denied calling bedrock-runtime Converse"),
            ("ResourceNotFoundException", 404, 3, f"model {MODEL} not found in us-east-1"),
            ("ValidationException", 400, 3, "Bedrock refused the request to bedrock-runtime Converse"),
            ("ThrottlingException", 429, 8, "Bedrock is throttling bedrock-runtime Converse")):
        client, stubber = stubbed_client()
        stubber.add_client_error("converse", service_error_code=code, service_message="nope", http_status_code=status)
        with stubber:
            r = run(capsys, "ask", "Q4", "revenue", "by", "segment", "--backend", "bedrock")
        assert r.code == exit_code, (code, r.err)
        assert "Traceback" not in r.err and words in r.err.splitlines()[0], r.err
        assert r.err.splitlines()[1].startswith("  hint: ")
    assert bedrock_env == []                # botocore's retries own Converse throttling; no second layer


# ---------------------------------------------------------------------------------------------- fake client

def test_tool_results_go_back_to_the_model(capsys, bedrock_env):
    fake = fb.FakeConverseClient([
        fb.converse_response([fb.tool_use("a", "run_sql_pattern", {"pattern": "no_such_pattern"}),
                              fb.tool_use("b", "run_sql", {"sql": "DELETE FROM opportunities"})], "tool_use"),
        fb.converse_response([fb.tool_use("c", "run_sql", {"sql": "SELECT count(*) AS n FROM opportunities"})],
                             "tool_use"),
        fb.converse_response([{"text": "There are some opportunities."}], "end_turn"),
    ])
    bc.set_client_factory(fb.factory(converse=fake))
    r = run(capsys, "ask", "how many opportunities do we have?", "--backend", "bedrock", "-f", "json")
    assert r.code == 0, r.err
    first = fake.calls[0]
    assert first["model_id"] == MODEL and first["messages"][0]["content"][0]["text"] == "how many opportunities do we have?"
    names = [t["toolSpec"]["name"] for t in first["tool_config"]["tools"]]
    assert names == ["run_sql_pattern", "run_sql", "deal_analysis", "lead_analysis", "company_research",
                     "calls_search", "query_metrics", "propose_action"]
    enum = first["tool_config"]["tools"][0]["toolSpec"]["inputSchema"]["json"]["properties"]["pattern"]["enum"]
    assert "deals_closing_in_period" in enum and "revenue_by_segment" in enum
    results = fake.calls[1]["messages"][-1]["content"]
    assert [x["toolResult"]["status"] for x in results] == ["error", "error"]
    assert "no_such_pattern" in results[0]["toolResult"]["content"][0]["text"]
    ok = fake.calls[2]["messages"][-1]["content"][0]["toolResult"]
    assert ok["status"] == "success" and ok["content"][0]["json"]["row_count"] == 1
    steps = r.json()["trace"]
    failed = [s for s in steps if s["kind"] == "tool" and not s["ok"]]
    assert [(s["name"], s["agent"]) for s in failed] == [("run_sql_pattern", "data"), ("run_sql", "data")]
    assert any(s["name"] == "run_sql" and s["ok"] and s["rows"] == 1 for s in steps)


def test_actions_are_only_proposed(capsys, bedrock_env, monkeypatch):
    monkeypatch.setenv("REVOPS_WEBHOOK_URL", "http://127.0.0.1:9/never-called")
    fake = fb.FakeConverseClient([
        fb.converse_response([fb.tool_use("a", "deal_analysis", {"name": "IXIS"})], "tool_use"),
        fb.converse_response([fb.tool_use("b", "propose_action", {"text": "trigger the webhook with the IXIS risks"})],
                             "tool_use"),
        fb.converse_response([{"text": "I drafted a webhook call; confirm it to send."}], "end_turn"),
    ])
    bc.set_client_factory(fb.factory(converse=fake))
    r = run(capsys, "ask", "analyse IXIS and alert the team", "--backend", "bedrock", "-f", "json")
    assert r.code == 0, r.err
    out = r.json()
    assert out["pending_actions"] and all(a.get("status") == "pending" for a in out["pending_actions"])
    step = next(s for s in out["trace"] if s["kind"] == "tool" and s["name"] == "propose_action")
    assert step["agent"] == "execution" and step["detail"] == "dry run: awaiting confirmation"
    sent = fake.calls[2]["messages"][-1]["content"][0]["toolResult"]["content"][0]["json"]
    assert sent["confirmed"] is False and sent["pending_actions"]
    assert not any(s["name"] == "webhook" for s in out["trace"])


def test_turn_limit(capsys, bedrock_env, monkeypatch):
    monkeypatch.setenv("REVOPS_BEDROCK__MAX_TURNS", "2")
    loop = [fb.converse_response([fb.tool_use(f"t{i}", "company_research", {"company": "IXIS"})], "tool_use")
            for i in range(3)]
    fake = fb.FakeConverseClient(loop)
    bc.set_client_factory(fb.factory(converse=fake))
    r = run(capsys, "ask", "research IXIS", "--backend", "bedrock", "-f", "json")
    assert r.code == 8 and len(fake.calls) == 2
    out = r.json()
    assert out["error"].startswith("the model did not finish within 2 turns")
    assert any(s["kind"] == "tool" and s["name"] == "company_research" and s["agent"] == "web_search"
               for s in out["trace"])


def test_throttling_retried_with_backoff(capsys, bedrock_env):
    throttled = [bc.BedrockThrottledError("Bedrock is throttling Converse", "wait") for _ in range(2)]
    fake = fb.FakeConverseClient([*throttled, fb.converse_response([{"text": "Revenue is up."}], "end_turn")])
    bc.set_client_factory(fb.factory(converse=fake))
    r = run(capsys, "ask", "Q4 revenue?", "--backend", "bedrock", "-f", "json")
    assert r.code == 0, r.err
    assert len(fake.calls) == 3 and len(bedrock_env) == 2
    assert r.json()["agent"] == "manager"          # no tools used
    assert sum(1 for s in r.json()["trace"] if "retry" in s["detail"]) == 2


def test_default_model_is_the_regions_inference_profile(capsys, bedrock_env, monkeypatch):
    monkeypatch.setenv("REVOPS_BEDROCK_MODEL_ID", "")
    monkeypatch.setenv("REVOPS_BEDROCK__REGION", "eu-central-1")
    fake = fb.FakeConverseClient([fb.converse_response([{"text": "Revenue is up."}], "end_turn")])
    bc.set_client_factory(fb.factory(converse=fake))
    r = run(capsys, "ask", "Q4 revenue?", "--backend", "bedrock", "-f", "json")
    assert r.code == 0, r.err
    assert fake.calls[0]["model_id"] == "eu.anthropic.claude-3-7-sonnet-20250219-v1:0"


def test_a_refused_base_model_id_names_the_profile_to_use(capsys, bedrock_env, monkeypatch):
    monkeypatch.setenv("REVOPS_BEDROCK_MODEL_ID", "anthropic.claude-sonnet-4-20250514-v1:0")
    client, stubber = stubbed_client()
    stubber.add_client_error("converse", "ValidationException", http_status_code=400, service_message=(
        "Invocation of model ID anthropic.claude-sonnet-4-20250514-v1:0 with on-demand throughput isn't supported. "
        "Retry your request with the ID or ARN of an inference profile that contains this model."))
    with stubber:
        r = run(capsys, "ask", "Q4 revenue?", "--backend", "bedrock")
    assert r.code == 3 and "Traceback" not in r.err
    lines = r.err.strip().splitlines()
    assert lines[0] == ("Error: Bedrock refused model anthropic.claude-sonnet-4-20250514-v1:0 on demand: "
                        "it needs an inference profile id")
    assert lines[1] == ("  hint: set bedrock.model_id to us.anthropic.claude-sonnet-4-20250514-v1:0 "
                        "(REVOPS_BEDROCK_MODEL_ID=us.anthropic.claude-sonnet-4-20250514-v1:0)")


@pytest.mark.parametrize("stop,words", [
    ("malformed_tool_use", "the model sent a tool call Bedrock could not read (malformed_tool_use)"),
    ("malformed_model_output", "the model's output could not be read (malformed_model_output)"),
    ("model_context_window_exceeded", "the conversation outgrew the model's context window"),
    ("guardrail_intervened", "a Bedrock guardrail intervened in the model's answer"),
])
def test_stop_reasons_that_end_without_an_answer(capsys, bedrock_env, stop, words):
    fake = fb.FakeConverseClient([fb.converse_response([{"text": "partial"}], stop)])
    bc.set_client_factory(fb.factory(converse=fake))
    r = run(capsys, "ask", "Q4 revenue?", "--backend", "bedrock")
    assert r.code == 8 and r.out == ""
    assert r.err.splitlines()[0] == f"Error: {words}" or r.err.splitlines()[0].startswith(f"Error: {words}")
    assert r.err.splitlines()[1].startswith("  hint: ")


@pytest.mark.parametrize("model,system,tool_choice", [
    ("us.anthropic.claude-3-7-sonnet-20250219-v1:0", True, True),
    ("us.meta.llama3-3-70b-instruct-v1:0", True, False),
    ("mistral.mistral-large-2407-v1:0", True, True),
    ("cohere.command-r-plus-v1:0", True, False),
])
def test_only_fields_the_model_family_accepts_are_sent(capsys, bedrock_env, monkeypatch, model, system, tool_choice):
    monkeypatch.setenv("REVOPS_BEDROCK_MODEL_ID", model)
    client, stubber = stubbed_client()            # botocore validates the request against the model
    seen: list = []
    client.meta.events.register("before-parameter-build.bedrock-runtime.Converse",
                                lambda params, **kw: seen.append(json.loads(json.dumps(params, default=str))))
    stubber.add_response("converse", fb.converse_response([{"text": "Revenue is up."}], "end_turn"))
    with stubber:
        r = run(capsys, "ask", "Q4 revenue?", "--backend", "bedrock")
    assert r.code == 0, r.err
    body = seen[0]
    assert bool(body.get("system")) is system
    assert ("toolChoice" in body["toolConfig"]) is tool_choice


def test_a_model_without_tool_use_is_refused_with_one_that_has_it(capsys, bedrock_env, monkeypatch):
    monkeypatch.setenv("REVOPS_BEDROCK_MODEL_ID", "amazon.titan-text-express-v1")
    bc.set_client_factory(fb.factory(converse=fb.FakeConverseClient([])))
    r = run(capsys, "ask", "Q4 revenue?", "--backend", "bedrock")
    assert r.code == 3
    assert r.err.splitlines()[0] == ("Error: model amazon.titan-text-express-v1 (Amazon Titan Text) cannot call tools "
                                     "through Converse, and --backend bedrock needs a model that can")
    assert "us.anthropic.claude-3-7-sonnet" in r.err


def test_question_budget_is_shared_with_the_openai_backend(capsys, bedrock_env, monkeypatch):
    """The loop is model_loop.py's for both backends: llm.max_tool_calls stops a Bedrock model too."""
    monkeypatch.setenv("REVOPS_LLM__MAX_TOOL_CALLS", "2")
    fake = fb.FakeConverseClient([
        fb.converse_response([fb.tool_use("a", "run_sql", {"sql": "SELECT 1 AS one"})], "tool_use"),
        fb.converse_response([fb.tool_use("b", "run_sql", {"sql": "SELECT 2 AS two"}),
                              fb.tool_use("c", "run_sql", {"sql": "SELECT 3 AS three"})], "tool_use"),
    ])
    bc.set_client_factory(fb.factory(converse=fake))
    r = run(capsys, "ask", "count things", "--backend", "bedrock", "-f", "json")
    assert r.code == 8 and len(fake.calls) == 2
    out = r.json()
    assert out["error"].startswith("the model hit the question's budget of 2 tool calls (llm.max_tool_calls)")
    ran = [s["params"]["sql"] for s in out["trace"] if s["kind"] == "tool" and s["name"] == "run_sql"]
    assert ran == ["SELECT 1 AS one"]                 # the turn that would pass the budget runs none of its calls
    usage = next(s for s in out["trace"] if s["name"] == "usage")
    assert usage["params"]["turns"] == 2 and usage["params"]["tool_calls"] == 1
