"""`--backend bedrock-agents` without AWS: the trace translation (fake client), the contract with the real
botocore client fed real event-stream frames (before-send), failures as one line, `revops agents list` on
moto, and boto3 staying out of commands that do not use AWS."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from revops_cli.agents.backends import bedrock_client as bc
from revops_cli.agents.backends.bedrock_agents import agent_name
from cli import run
from fakes import bedrock as fb

AGENT_ENV = {"REVOPS_BEDROCK_AGENT_ID": fb.SUPERVISOR_ID, "REVOPS_BEDROCK_AGENT_ALIAS_ID": fb.SUPERVISOR_ALIAS}


@pytest.fixture(autouse=True)
def agents_command():
    """`revops agents` as the lead registers it in app.py (added here when app.py does not have it yet)."""
    from revops_cli import app as app_module
    from revops_cli.commands import agents as agents_cmd

    if not any(g.name == "agents" for g in app_module.app.registered_groups):
        app_module.app.add_typer(agents_cmd.app, name="agents")


@pytest.fixture
def agents_env(monkeypatch, revops_home):
    for k, v in AGENT_ENV.items():
        monkeypatch.setenv(k, v)
    for k in ("AWS_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(k, raising=False)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(revops_home / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(revops_home / "no-aws-credentials"))
    sleeps: list[float] = []
    monkeypatch.setattr(bc, "_sleep", sleeps.append)
    yield sleeps
    bc.set_client_factory(None)


def real_runtime_client(handler, mode: str = "standard", attempts: int = 3):
    """The real botocore bedrock-agent-runtime client; `handler` answers InvokeAgent before it is sent."""
    import boto3
    from botocore.config import Config

    client = boto3.client("bedrock-agent-runtime", region_name="us-east-1", aws_access_key_id="testing",
                          aws_secret_access_key="testing",
                          config=Config(retries={"mode": mode, "total_max_attempts": attempts}))
    client.meta.events.register("before-send.bedrock-agent-runtime.InvokeAgent", handler)
    return client


def use_real(handler, **kw):
    client = real_runtime_client(handler, **kw)
    bc.set_client_factory(lambda kind, settings: bc.BotoAgentsClient(client))
    return client


def asked(call: dict) -> str:
    """The question of an InvokeAgent call, after the date line the gateways put in front of it."""
    first, question = call["input_text"].split("\n\n", 1)
    assert first.startswith("Current date: ")
    return question


def log_record(request_id: str):
    from revops_cli.config import load_settings
    from revops_cli.conversations.log import ConversationLog

    return ConversationLog.from_settings(load_settings()).get(request_id)


# ---------------------------------------------------------------------------------------------- contract

def test_deal_through_real_botocore_stream(capsys, agents_env):
    calls: list = []
    urls: list[str] = []

    def handler(request, **kw):
        urls.append(request.url)
        calls.append(json.loads(request.body))
        return fb.stream_response(request, fb.encode_events(fb.deal_ixis_events()))

    use_real(handler)
    r = run(capsys, "deal", "IXIS", "--backend", "bedrock-agents", "--session", "demo thread/1", "-f", "json")
    assert r.code == 0, r.err
    out = r.json()
    assert out["answer"].strip() == fb.ANSWER
    assert out["agent"] == "deal_analysis" and out["ok"]
    assert out["data"]["bedrock"]["collaborators"] == ["DealAnalysisAgent"]
    assert out["data"]["bedrock"]["action_groups"] == ["firebolt_sql_query/query_fire"]
    assert out["data"]["usage"] == {"inputTokens": 2100, "outputTokens": 140}
    assert {"type": "knowledge_base", "uri": "s3://revops-kb/meddpicc.md", "location_type": "S3"} in out["sources"]
    # the request: the supervisor alias, a Bedrock-safe session id, traces on, the question as inputText
    assert len(calls) == 1 and calls[0]["enableTrace"] is True and "IXIS" in calls[0]["inputText"]
    assert f"/agents/{fb.SUPERVISOR_ID}/agentAliases/{fb.SUPERVISOR_ALIAS}/sessions/demo-thread-1/text" in urls[0]

    rec = log_record(out["request_id"])
    assert rec["backend"] == "bedrock-agents" and rec["agent"] == "deal_analysis"
    assert "deal_analysis" in rec["agents_involved"] and "manager" in rec["agents_involved"]
    steps = rec["steps"]
    handoffs = [(s["agent"], s["name"]) for s in steps if s["kind"] == "handoff"]
    assert ("manager", "deal_analysis") in handoffs and ("deal_analysis", "manager") in handoffs
    route = [s for s in steps if s["kind"] == "route" and s["name"] == "deal_analysis"]
    assert route and "Deal Analysis agent" in route[0]["detail"]
    tool = next(s for s in steps if s["name"] == "firebolt_sql_query/query_fire")
    assert tool["agent"] == "deal_analysis" and tool["kind"] == "tool" and tool["ok"] and tool["rows"] == 2
    assert tool["params"]["action_group"] == "firebolt_sql_query" and tool["params"]["sql"].startswith("SELECT")
    assert tool["duration_ms"] == 840
    kb = next(s for s in steps if s["name"] == "knowledge_base_lookup")
    assert kb["agent"] == "deal_analysis" and kb["rows"] == 1
    notes = [s for s in steps if s["kind"] == "note" and s["name"] == "rationale"]
    assert {n["agent"] for n in notes} == {"manager", "deal_analysis"}

    from revops_cli.conversations.export import build_conversation

    conv = build_conversation(rec)
    assert any(c["from"] == "manager" and c["to"] == "deal_analysis" for c in conv["collaboration_map"])
    assert any(c["from"] == "deal_analysis" and c["to"] == "manager" for c in conv["collaboration_map"])
    deal_flow = [f for f in conv["agent_flow"] if f["agent"] == "deal_analysis"]
    tools = [t["tool"] for f in deal_flow for t in f["reasoning_breakdown"]["tool_executions"]]
    assert "firebolt_sql_query/query_fire" in tools
    assert any(d["tool"] == "firebolt_sql_query/query_fire"
               for f in deal_flow for d in f["reasoning_breakdown"]["data_operations"])


def test_text_output_prints_streamed_answer(capsys, agents_env):
    use_real(fb.invoke_agent_responder(fb.deal_ixis_events(chunks=7)))
    r = run(capsys, "deal", "IXIS", "--backend", "bedrock-agents", "-f", "markdown")
    assert r.code == 0, r.err
    assert r.out.strip() == fb.ANSWER


def test_throttled_then_succeeds_through_botocore_retries(capsys, agents_env, monkeypatch):
    monkeypatch.setattr("time.sleep", lambda s: None)       # botocore's own backoff
    calls = []

    def handler(request, **kw):
        calls.append(1)
        if len(calls) == 1:
            return fb.error_response(request, 429, "ThrottlingException", "Rate exceeded")
        return fb.stream_response(request, fb.encode_events(fb.deal_ixis_events()))

    use_real(handler)
    r = run(capsys, "deal", "IXIS", "--backend", "bedrock-agents", "-f", "json")
    assert r.code == 0, r.err
    assert len(calls) == 2 and r.json()["agent"] == "deal_analysis"


def test_throttling_mid_stream_is_retried_by_us(capsys, agents_env):
    calls = []

    def handler(request, **kw):
        calls.append(1)
        events = fb.encode_events(fb.deal_ixis_events())
        if len(calls) < 3:      # two streams break off with an exception event after three traces
            return fb.stream_response(request, events[:3] + [fb.exception_frame("throttlingException", "slow down")])
        return fb.stream_response(request, events)

    use_real(handler)
    r = run(capsys, "deal", "IXIS", "--backend", "bedrock-agents", "-f", "json")
    assert r.code == 0, r.err
    out = r.json()
    assert len(calls) == 3 and len(agents_env) == 2          # two backoff sleeps
    assert out["answer"].strip() == fb.ANSWER
    routes = [s for s in out["trace"] if s["kind"] == "route" and s["name"] == "deal_analysis"]
    assert len(routes) == 1                                   # the broken attempts left no half trace
    assert sum(1 for s in out["trace"] if "retry" in s["detail"]) == 2


@pytest.mark.parametrize("status,code,exit_code,words", [
    (403, "AccessDeniedException", 3, "access denied calling bedrock-agent-runtime InvokeAgent"),
    (404, "ResourceNotFoundException", 3, f"agent {fb.SUPERVISOR_ID} alias {fb.SUPERVISOR_ALIAS} not found in us-east-1"),
    (400, "ValidationException", 3, "Bedrock refused the request"),
    (403, "UnrecognizedClientException", 3, "AWS rejected the credentials"),
    (429, "ThrottlingException", 8, "Bedrock is throttling"),
    (500, "InternalServerException", 8, "failed on the AWS side"),
])
def test_aws_errors_are_one_line(capsys, agents_env, monkeypatch, status, code, exit_code, words):
    monkeypatch.setattr("time.sleep", lambda s: None)
    calls = []

    def handler(request, **kw):
        calls.append(1)
        return fb.error_response(request, status, code, "The thing went wrong")

    use_real(handler, attempts=2)
    r = run(capsys, "deal", "IXIS", "--backend", "bedrock-agents")
    assert r.code == exit_code
    assert "Traceback" not in r.err and r.out == ""
    lines = r.err.strip().splitlines()
    assert lines[0].startswith("Error: ") and words in lines[0], r.err
    assert len(lines) == 2 and lines[1].startswith("  hint: ")
    if code == "ThrottlingException":
        assert len(calls) == 2 and agents_env == []           # botocore retried; we do not retry again


def test_timeout_and_unreachable_region(capsys, agents_env, monkeypatch):
    from botocore.exceptions import EndpointConnectionError, ReadTimeoutError

    monkeypatch.setattr("time.sleep", lambda s: None)
    for exc, words in ((ReadTimeoutError(endpoint_url="https://bedrock-agent-runtime"), "timed out in us-east-1"),
                       (EndpointConnectionError(endpoint_url="https://bedrock-agent-runtime"),
                        "cannot reach bedrock-agent-runtime InvokeAgent in region us-east-1")):
        def handler(request, exc=exc, **kw):
            raise exc

        use_real(handler, attempts=1)
        r = run(capsys, "deal", "IXIS", "--backend", "bedrock-agents")
        assert r.code == 8 and "Traceback" not in r.err
        assert words in r.err.splitlines()[0], r.err
        assert "hint:" in r.err


def test_missing_credentials_real_boto3(capsys, agents_env):
    bc.set_client_factory(None)      # the real boto3 path: no keys, no profile, no instance metadata
    r = run(capsys, "deal", "IXIS", "--backend", "bedrock-agents")
    assert r.code == 3 and "Traceback" not in r.err
    assert r.err.splitlines()[0] == "Error: no AWS credentials found for Bedrock"
    assert "AWS_ACCESS_KEY_ID" in r.err and "AWS_PROFILE" in r.err


def test_missing_agent_settings(capsys, agents_env, monkeypatch):
    monkeypatch.delenv("REVOPS_BEDROCK_AGENT_ALIAS_ID")
    r = run(capsys, "deal", "IXIS", "--backend", "bedrock-agents")
    assert r.code == 3
    assert r.err.splitlines()[0] == "Error: bedrock.agent_alias_id not set for the bedrock-agents backend"


# ---------------------------------------------------------------------------------------------- fake client

def test_trace_translation_with_fake_client(capsys, agents_env):
    fake = fb.FakeAgentsClient()
    bc.set_client_factory(fb.factory(agents=fake))
    r = run(capsys, "ask", "How", "is", "IXIS", "doing?", "--backend", "bedrock-agents", "-s", "slack-C1-1700.1",
            "-f", "json")
    assert r.code == 0, r.err
    out = r.json()
    assert fake.calls[0]["session_id"] == "slack-C1-1700.1" and fake.calls[0]["enable_trace"] is True
    kinds = [(s["kind"], s["agent"], s["name"]) for s in out["trace"]]
    assert kinds[0] == ("route", "manager", "manager")
    assert out["trace"][0]["params"]["query"] == "How is IXIS doing?"
    order = [k for k in kinds if k[0] in ("route", "handoff", "tool")]
    assert order[1:] == [("route", "manager", "deal_analysis"), ("handoff", "manager", "deal_analysis"),
                         ("tool", "deal_analysis", "firebolt_sql_query/query_fire"),
                         ("tool", "deal_analysis", "knowledge_base_lookup"),
                         ("handoff", "deal_analysis", "manager")]


def test_failure_trace_without_text_is_an_error(capsys, agents_env):
    failure = {"trace": {"agentId": fb.SUPERVISOR_ID, "trace": {"failureTrace": {
        "traceId": "x", "failureReason": "Lambda revops-firebolt-query timed out", "failureCode": 500}}}}
    bc.set_client_factory(fb.factory(agents=fb.FakeAgentsClient(events=[failure])))
    r = run(capsys, "deal", "IXIS", "--backend", "bedrock-agents", "-f", "json")
    assert r.code == 8
    out = r.json()
    assert not out["ok"] and "Lambda revops-firebolt-query timed out" in out["error"]
    err = [s for s in out["trace"] if s["kind"] == "error"]
    assert err[0]["name"] == "bedrock_failure_500" and err[0]["agent"] == "manager" and not err[0]["ok"]


@pytest.mark.parametrize("argv", [
    ("execute", "send", "the", "AE", "a", "note", "about", "the", "risks"),
    ("ask", "trigger", "the", "crm", "webhook", "for", "IXIS"),
])
def test_actions_are_not_sent_to_the_deployed_agents_without_yes(capsys, agents_env, argv):
    fake = fb.FakeAgentsClient()
    bc.set_client_factory(fb.factory(agents=fake))
    r = run(capsys, *argv, "--backend", "bedrock-agents", "-f", "json")
    assert r.code == 0, r.err
    out = r.json()
    assert fake.calls == []                                     # nothing reached Bedrock
    text = " ".join(argv[1:])
    assert out["agent"] == "execution" and out["data"]["dry_run"] is True
    assert [a["payload"]["text"] for a in out["pending_actions"]] == [text]
    pid = out["data"]["pending_action_id"]
    assert f"revops execute --confirm {pid}" in out["answer"]      # the exact command that confirms it

    # Confirmed by id: the stored request is sent once, as typed; no backend plans it again.
    r = run(capsys, "execute", "--confirm", pid, "-f", "json")
    assert r.code == 0, r.err
    assert [asked(c) for c in fake.calls] == [text]
    assert r.json()["data"]["confirmed_action_id"] == pid and r.json()["pending_actions"] == []
    assert run(capsys, "execute", "--confirm", pid).code == 2           # once only
    assert len(fake.calls) == 1

    # --yes plans and runs in one go: what was typed is sent.
    r = run(capsys, *argv, "--backend", "bedrock-agents", "--yes", "-f", "json")
    assert r.code == 0, r.err
    assert [asked(c) for c in fake.calls] == [text, text]
    assert r.json()["pending_actions"] == []


def test_questions_go_to_the_deployed_agents_without_yes(capsys, agents_env):
    fake = fb.FakeAgentsClient()
    bc.set_client_factory(fb.factory(agents=fake))
    for argv in (("data", "ask", "pipeline", "by", "stage"), ("search", "DataCorp")):
        r = run(capsys, *argv, "--backend", "bedrock-agents", "-f", "json")
        assert r.code == 0, r.err
        assert r.json()["data"]["backend"] == "bedrock-agents"
    assert len(fake.calls) == 2


def test_throttling_gives_up_after_max_attempts(capsys, agents_env, monkeypatch):
    monkeypatch.setenv("REVOPS_BEDROCK__MAX_ATTEMPTS", "3")
    errors = [bc.BedrockThrottledError("Bedrock is throttling InvokeAgent", "wait") for _ in range(5)]
    fake = fb.FakeAgentsClient(fail_with=errors)
    bc.set_client_factory(fb.factory(agents=fake))
    r = run(capsys, "deal", "IXIS", "--backend", "bedrock-agents")
    assert r.code == 8 and len(fake.calls) == 3 and len(agents_env) == 2
    assert r.err.splitlines()[0] == "Error: Bedrock is throttling InvokeAgent"


@pytest.mark.parametrize("value,ours", [
    ("DealAnalysisAgent", "deal_analysis"), ("deal-analysis-agent", "deal_analysis"),
    ("LeadAnalysisAgent", "lead_analysis"), ("DataAgent", "data"), ("WebSearchAgent", "web_search"),
    ("web_search_agent", "web_search"), ("ExecutionAgent", "execution"), ("ManagerAgent", "manager"),
    ("NOJMSQ8JPT", "data"), ("QKRQXXPJOJ", "web_search"), ("AINAPUEIZU", "execution"),
    (fb.alias_arn("IP9HPDIEPL", "ABCDEFGHIJ"), "lead_analysis"), (fb.alias_arn("ZZZZZZZZZZ", "ABCDEFGHIJ"), None),
    ("Forecaster", None),
])
def test_agent_names(value, ours):
    assert agent_name(value) == ours


def test_agent_names_from_settings(monkeypatch):
    from revops_cli.config import load_settings

    monkeypatch.setenv("REVOPS_BEDROCK_AGENT_ID", "MYSUPERVIS")
    s = load_settings()
    s.data["bedrock"]["agent_names"] = {"ABCDEFGHIJ": "data", "Pipeline Guru": "deal_analysis"}
    assert agent_name("MYSUPERVIS", s) == "manager"
    assert agent_name(fb.alias_arn("ABCDEFGHIJ", "XXXXXXXXXX"), s) == "data"
    assert agent_name("pipeline guru", s) == "deal_analysis"


def test_session_ids_are_bedrock_safe():
    assert bc.safe_session_id("cli-abc123", "req_1") == "cli-abc123"
    assert bc.safe_session_id("slack thread/C1 #x", "req_1") == "slack-thread-C1--x"
    long = bc.safe_session_id("w" * 300, "req_1")
    assert len(long) == 100 and long != bc.safe_session_id("w" * 299, "req_1")
    assert bc.safe_session_id(None, "req_abc") == "req_abc"


# ---------------------------------------------------------------------------------------------- agents list

def test_agents_list_on_moto(capsys, agents_env, monkeypatch):
    """moto 5 implements bedrock-agent ListAgents but not ListAgentAliases: aliases come from a before-send."""
    moto = pytest.importorskip("moto")
    import boto3

    for k, v in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                 "AWS_DEFAULT_REGION": "us-east-1"}.items():
        monkeypatch.setenv(k, v)
    with moto.mock_aws():
        client = boto3.client("bedrock-agent", region_name="us-east-1")
        role = "arn:aws:iam::123456789012:role/revops-agents"
        ids = {}
        for name in ("revops-manager-agent", "DealAnalysisAgent", "Forecaster"):
            ids[name] = client.create_agent(agentName=name, agentResourceRoleArn=role,
                                            foundationModel="anthropic.claude-3-7-sonnet")["agent"]["agentId"]
        monkeypatch.setenv("REVOPS_BEDROCK_AGENT_ID", ids["revops-manager-agent"])
        monkeypatch.setenv("REVOPS_BEDROCK_AGENT_ALIAS_ID", "PRODALIAS1")

        def aliases(params, **kw):
            # before-call short-cuts the endpoint (as botocore's Stubber does), so moto never sees the call
            from datetime import datetime, timezone

            from botocore.awsrequest import AWSResponse

            when = datetime(2026, 2, 1, tzinfo=timezone.utc)
            agent_id = params["url_path"].split("/agents/")[1].split("/")[0]
            items = [] if agent_id == ids["Forecaster"] else [
                {"agentAliasId": "PRODALIAS1", "agentAliasName": "prod", "agentAliasStatus": "PREPARED",
                 "createdAt": when, "updatedAt": when},
                {"agentAliasId": "TSTALIASID", "agentAliasName": "AgentTestAlias", "agentAliasStatus": "PREPARED",
                 "createdAt": when, "updatedAt": when}]
            alias_calls.append(agent_id)
            return (AWSResponse("https://bedrock-agent", 200, {}, None),
                    {"agentAliasSummaries": items, "ResponseMetadata": {"HTTPStatusCode": 200}})

        alias_calls: list[str] = []
        client.meta.events.register("before-call.bedrock-agent.ListAgentAliases", aliases)
        bc.set_client_factory(lambda kind, settings: bc.BotoAgentCatalogClient(client))
        r = run(capsys, "agents", "list", "-f", "json")
        assert r.code == 0, r.err
        rows = r.json()["rows"]
        assert r.json()["region"] == "us-east-1"
        assert [(x["agent_name"], x["alias_name"]) for x in rows] == [
            ("DealAnalysisAgent", "AgentTestAlias"), ("DealAnalysisAgent", "prod"), ("Forecaster", None),
            ("revops-manager-agent", "AgentTestAlias"), ("revops-manager-agent", "prod")]
        assert [x["role"] for x in rows] == ["deal_analysis", "deal_analysis", "", "manager", "manager"]
        assert [x["configured"] for x in rows] == [False, False, False, False, True]
        assert sorted(alias_calls) == sorted(ids.values())
        table = run(capsys, "agents", "list")
        assert table.code == 0 and "revops-manager-agent" in table.out and "PRODALIAS1" in table.out


def test_agents_list_access_denied(capsys, agents_env):
    import boto3

    client = boto3.client("bedrock-agent", region_name="eu-west-1", aws_access_key_id="testing",
                          aws_secret_access_key="testing")
    client.meta.events.register("before-send.bedrock-agent.ListAgents",
                                lambda request, **kw: fb.error_response(request, 403, "AccessDeniedException",
                                                                        "not authorized to perform bedrock:ListAgents"))
    bc.set_client_factory(lambda kind, settings: bc.BotoAgentCatalogClient(client))
    r = run(capsys, "agents", "list")
    assert r.code == 3 and "Traceback" not in r.err
    assert r.err.splitlines()[0].startswith("Error: access denied calling bedrock-agent list_agents")
    assert "eu-west-1" in r.err


# ---------------------------------------------------------------------------------------------- imports

_PROBE = """
import sys
from revops_cli.app import main
try:
    main(sys.argv[1:])
except SystemExit as exc:
    code = exc.code
print("BOTO3", "boto3" in sys.modules, "botocore" in sys.modules, "CODE", code, file=sys.stderr)
"""


def _probe(*args: str) -> str:
    import os

    proc = subprocess.run([sys.executable, "-c", _PROBE, *args], capture_output=True, text=True, timeout=120,
                          env=dict(os.environ), stdin=subprocess.DEVNULL)
    return proc.stderr.strip().splitlines()[-1]


def test_help_does_not_import_boto3():
    probe = _probe("--help")
    assert probe == "BOTO3 False False CODE 0", probe


def test_local_deal_does_not_import_boto3(demo_db, settings_for):
    settings_for(demo_db)
    probe = _probe("deal", "IXIS", "-f", "json")
    assert probe == "BOTO3 False False CODE 0", probe


def test_backend_modules_import_without_boto3():
    code = ("import sys; import revops_cli.agents.backends, revops_cli.agents.backends.bedrock_agents, "
            "revops_cli.agents.backends.bedrock_converse, revops_cli.commands.agents; "
            "print('boto3' in sys.modules, 'botocore' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60).stdout
    assert out.strip() == "False False"


# ---------------------------------------------------------------------------------------------- streaming

def _since_last_reset(pieces: list) -> str:
    last = max(i for i, p in enumerate(pieces) if p is None)
    return "".join(pieces[last + 1:])


def test_the_completion_streams_piece_by_piece_and_a_retry_starts_over(agents_env, demo_db, settings_for):
    from revops_cli import service
    from revops_cli.models import Request

    calls = []

    def handler(request, **kw):
        calls.append(1)
        events = fb.encode_events(fb.deal_ixis_events(chunks=3))
        if len(calls) == 1:     # the first stream breaks off after two of the three answer chunks
            return fb.stream_response(request, events[:-1] + [fb.exception_frame("throttlingException", "slow")])
        return fb.stream_response(request, events)

    use_real(handler)
    pieces: list = []
    settings = settings_for(demo_db, **AGENT_ENV)
    answer = service.ask(Request(text="What is the status of the IXIS deal?", backend="bedrock-agents"), settings,
                         log=None, on_text=pieces.append)
    assert answer.ok and len(calls) == 2
    shown = [p for p in pieces if p]
    assert len(shown) >= 5                                   # 2 pieces of the broken stream, 3 of the retry
    assert pieces.count(None) == 2                           # each attempt starts from an empty screen
    assert _since_last_reset(pieces).strip() == fb.ANSWER == answer.text.strip()


def test_cli_shows_the_stream_in_a_terminal_and_prints_it_once(capsys, agents_env, monkeypatch):
    import io

    from rich.console import Console

    from revops_cli import output
    from revops_cli.commands import answers

    screen = io.StringIO()
    monkeypatch.setattr(answers, "stdout_is_tty", lambda: True)
    monkeypatch.setattr(output, "console", lambda stderr=False: Console(file=screen, force_terminal=True, width=100))
    rendered: list = []
    monkeypatch.setattr(answers, "render_answer", lambda answer, fmt: rendered.append(answer))
    bc.set_client_factory(fb.factory(agents=fb.FakeAgentsClient()))
    r = run(capsys, "deal", "IXIS", "--backend", "bedrock-agents")
    assert r.code == 0, r.err
    assert rendered == []                                    # streamed: not printed a second time
    first_line = fb.ANSWER.splitlines()[0].strip("*# ")
    assert first_line.split()[0] in screen.getvalue()
    monkeypatch.setattr(answers, "stdout_is_tty", lambda: False)
    r = run(capsys, "deal", "IXIS", "--backend", "bedrock-agents")   # a pipe: no stream, one print at the end
    assert r.code == 0 and len(rendered) == 1


# ---------------------------------------------------------------------------------------------- what a user sees

def _sup(trace: dict, sec: float = 1.0) -> dict:
    return fb._part(trace, sec)


def test_openapi_request_body_and_two_calls_in_one_step(capsys, agents_env):
    """The reference's Firebolt tool is an OpenAPI action (POST /query, a JSON body): in a trace the body's
    media type maps to a list of parameters. Two calls in one step share a trace id; each output is its own."""
    sql2 = "SELECT stage, COUNT(*) FROM opportunities GROUP BY stage"

    def call(sql: str, inv: str) -> dict:
        return _sup({"orchestrationTrace": {"invocationInput": {
            "traceId": "t-9", "invocationType": "ACTION_GROUP",
            "actionGroupInvocationInput": {"actionGroupName": "firebolt", "apiPath": "/query", "verb": "post",
                                           "invocationId": inv, "executionType": "LAMBDA",
                                           "requestBody": {"content": {"application/json": [
                                               {"name": "query", "type": "string", "value": sql}]}}}}}})

    def output(rows: list) -> dict:
        return _sup({"orchestrationTrace": {"observation": {
            "traceId": "t-9", "type": "ACTION_GROUP",
            "actionGroupInvocationOutput": {"text": json.dumps({"rows": rows})}}}}, 2.0)

    events = [call(fb.SQL, "inv-1"), call(sql2, "inv-2"), output([[1], [2], [3]]), output([[4]]),
              {"chunk": {"bytes": b"Three IXIS rows; one stage."}}]
    use_real(fb.invoke_agent_responder(events))
    r = run(capsys, "ask", "how is IXIS doing?", "--backend", "bedrock-agents", "-f", "json")
    assert r.code == 0, r.err
    out = r.json()
    assert out["answer"].strip() == "Three IXIS rows; one stage."
    tools = [s for s in out["trace"] if s["kind"] == "tool"]
    assert [t["name"] for t in tools] == ["firebolt/post /query", "firebolt/post /query"]
    assert [t["params"]["sql"] for t in tools] == [fb.SQL, sql2]
    assert [t["params"]["invocation_id"] for t in tools] == ["inv-1", "inv-2"]
    assert [t["rows"] for t in tools] == [3, 1]                # not one output overwriting the other
    r = run(capsys, "ask", "how is IXIS doing?", "--backend", "bedrock-agents")
    assert r.code == 0 and r.out.strip() == "Three IXIS rows; one stage."


def test_failure_trace_is_an_error_even_with_text(capsys, agents_env):
    events = [_sup({"failureTrace": {"traceId": "x", "failureReason": "Lambda revops-firebolt-query timed out",
                                     "failureCode": 424}}),
              {"chunk": {"bytes": b"Sorry, something went wrong."}}]
    use_real(fb.invoke_agent_responder(events))
    r = run(capsys, "ask", "pipeline by stage", "--backend", "bedrock-agents")
    assert r.code == 8 and r.out == "" and "Traceback" not in r.err
    lines = r.err.strip().splitlines()
    assert lines[0] == "Error: the Bedrock agent failed: Lambda revops-firebolt-query timed out"
    assert lines[1].startswith("  hint: ") and len(lines) == 2
    r = run(capsys, "ask", "pipeline by stage", "--backend", "bedrock-agents", "-f", "json")
    out = r.json()
    assert r.code == 8 and out["ok"] is False and "timed out" in out["error"]
    assert any(s["name"] == "bedrock_failure_424" and not s["ok"] for s in out["trace"])


def test_guardrail_intervention_is_an_error(capsys, agents_env):
    guard = {"guardrailTrace": {"traceId": "g", "action": "INTERVENED", "inputAssessments": [
        {"topicPolicy": {"topics": [{"name": "Investment advice", "type": "DENY", "action": "BLOCKED"}]}}]}}
    events = [_sup(guard), {"chunk": {"bytes": b"Sorry, I cannot help with that."}}]
    use_real(fb.invoke_agent_responder(events))
    r = run(capsys, "ask", "which stocks should our CFO buy?", "--backend", "bedrock-agents")
    assert r.code == 8 and r.out == ""
    assert r.err.splitlines()[0] == "Error: a Bedrock guardrail intervened (denied topic Investment advice)"
    r = run(capsys, "ask", "which stocks should our CFO buy?", "--backend", "bedrock-agents", "-f", "json")
    out = r.json()
    assert r.code == 8 and out["ok"] is False
    assert [s["name"] for s in out["trace"] if s["kind"] == "error"][0] == "guardrail"


def _roc(invocation_id: str, *members: dict) -> dict:
    return {"returnControl": {"invocationId": invocation_id, "invocationInputs": list(members)}}


def test_return_of_control_runs_our_tools_and_sends_the_results(capsys, agents_env, demo_db, settings_for):
    import duckdb

    settings_for(demo_db, **AGENT_ENV)
    with duckdb.connect(str(demo_db), read_only=True) as con:
        expected = con.execute("SELECT COUNT(*) FROM opportunities WHERE stage = 'Closed Won'").fetchone()[0]
    sql = "SELECT COUNT(*) AS won FROM opportunities WHERE stage = 'Closed Won'"
    first = [_roc("roc-1",
                  {"functionInvocationInput": {"actionGroup": "revops_tools", "function": "calls_search",
                                               "actionInvocationType": "RESULT", "agentId": fb.SUPERVISOR_ID,
                                               "parameters": [{"name": "account", "type": "string", "value": "IXIS"}]}},
                  {"apiInvocationInput": {"actionGroup": "firebolt", "httpMethod": "POST", "apiPath": "/query",
                                          "actionInvocationType": "RESULT", "agentId": fb.SUPERVISOR_ID,
                                          "requestBody": {"content": {"application/json": {"properties": [
                                              {"name": "query", "type": "string", "value": sql}]}}}}})]
    final = [{"chunk": {"bytes": f"{expected} deals were won.".encode()}}]
    sent: list = []

    def responder(request, **kw):
        sent.append(json.loads(request.body))
        return fb.stream_response(request, fb.encode_events(first if len(sent) == 1 else final))

    use_real(responder)
    r = run(capsys, "ask", "how many deals did we win?", "--backend", "bedrock-agents", "-f", "json")
    assert r.code == 0, r.err
    out = r.json()
    assert out["answer"].strip() == f"{expected} deals were won."
    assert len(sent) == 2 and "inputText" not in sent[1]
    state = sent[1]["sessionState"]
    assert state["invocationId"] == "roc-1"
    calls_result, sql_result = state["returnControlInvocationResults"]
    fr = calls_result["functionResult"]
    assert fr["actionGroup"] == "revops_tools" and fr["function"] == "calls_search" and "responseState" not in fr
    assert json.loads(fr["responseBody"]["TEXT"]["body"])["account"] == "IXIS"
    ar = sql_result["apiResult"]
    assert (ar["apiPath"], ar["httpMethod"], ar["httpStatusCode"]) == ("/query", "POST", 200)
    body = json.loads(ar["responseBody"]["application/json"]["body"])
    assert body["rows"] == [{"won": expected}]
    # the date and who asked went with the first call, and the results carry them again
    assert state["promptSessionAttributes"]["current_date"] == "2026-11-24"
    tools = [(s["agent"], s["name"]) for s in out["trace"] if s["kind"] == "tool"]
    assert ("data", "run_sql") in tools and ("data", "run_sql_pattern") in tools
    assert any(s["name"] == "return_control" and s["params"]["invocation_id"] == "roc-1" for s in out["trace"])

    r = run(capsys, "ask", "how many deals did we win?", "--backend", "bedrock-agents")
    assert r.code == 0 and r.out.strip() == f"{expected} deals were won."


def test_return_of_control_action_waits_for_confirmation(capsys, agents_env, demo_db, settings_for):
    settings_for(demo_db, **AGENT_ENV)
    ask_action = [_roc("roc-2", {"functionInvocationInput": {
        "actionGroup": "revops_tools", "function": "propose_action", "actionInvocationType": "USER_CONFIRMATION",
        "parameters": [{"name": "text", "type": "string",
                        "value": "post to slack #revops: IXIS needs an economic buyer meeting"}]}})]
    final = [{"chunk": {"bytes": b"I drafted a Slack note; it waits for your confirmation."}}]
    sent: list = []

    def responder(request, **kw):
        sent.append(json.loads(request.body))
        return fb.stream_response(request, fb.encode_events(ask_action if len(sent) % 2 else final))

    use_real(responder)
    r = run(capsys, "ask", "what should we do about IXIS?", "--backend", "bedrock-agents", "-f", "json")
    assert r.code == 0, r.err
    out = r.json()
    result = sent[1]["sessionState"]["returnControlInvocationResults"][0]["functionResult"]
    assert result["confirmationState"] == "DENY"                       # not confirmed: the agent is told no
    assert json.loads(result["responseBody"]["TEXT"]["body"])["confirmed"] is False
    pid = out["data"]["pending_action_id"]
    assert pid.startswith("act_") and out["pending_actions"][0]["kind"] == "slack"
    assert f"revops execute --confirm {pid}" in out["answer"]
    assert out["pending_actions"][0]["status"] == "pending"
