"""Contract tests generated from botocore's own service models (the pinned botocore's JSON, not ours).

For every member of every union in the bedrock-agent-runtime InvokeAgent response (and of the "one of"
structures InvocationInput, Observation, RetrievalResultLocation), an event is built from the model, encoded
as real `application/vnd.amazon.eventstream` frames, parsed by the real botocore client (a before-send
handler answers the HTTP call) and run through revops' bedrock-agents backend. Each member must be listed in
`EVENT_HANDLING` and do what its entry says: add its trace step, make the answer an error, record a source,
sum the usage, round-trip a return of control, or raise a mapped one-line error; nothing may crash. Each is
built twice: with every field filled, and with only what leads to the member.

The requests revops sends (the first InvokeAgent, and the one carrying returnControlInvocationResults) go
through the real client, whose parameter validation (botocore.validate) checks them against the model.

The bedrock-runtime half (Converse: every ContentBlock member, every stop reason) is at the end.
"""

from __future__ import annotations

import json

import pytest

import service_model as sm
from fakes import bedrock as fb
from revops_cli.agents.backends import bedrock_client as bc
from revops_cli.agents.backends.bedrock_trace import EVENT_HANDLING, ONE_OF_SHAPES
from revops_cli.errors import RevopsError

AGENT_MODEL = sm.service_model("bedrock-agent-runtime")
STREAM = AGENT_MODEL.operation_model("InvokeAgent").output_shape.members["completion"]
UNITS = sm.choice_units(STREAM, ONE_OF_SHAPES)
ANSWER = "The answer."


@pytest.fixture
def agents_env(monkeypatch, revops_home):
    monkeypatch.setenv("REVOPS_BEDROCK_AGENT_ID", fb.SUPERVISOR_ID)
    monkeypatch.setenv("REVOPS_BEDROCK_AGENT_ALIAS_ID", fb.SUPERVISOR_ALIAS)
    monkeypatch.setenv("REVOPS_BEDROCK__MAX_ATTEMPTS", "2")
    monkeypatch.setattr(bc, "_sleep", lambda s: None)
    monkeypatch.setattr("time.sleep", lambda s: None)
    yield
    bc.set_client_factory(None)


def real_client(responder):
    import boto3

    client = boto3.client("bedrock-agent-runtime", region_name="us-east-1", aws_access_key_id="testing",
                          aws_secret_access_key="testing")
    assert client.meta.config.parameter_validation          # botocore.validate checks every request we send
    client.meta.events.register("before-send.bedrock-agent-runtime.InvokeAgent", responder)
    bc.set_client_factory(lambda kind, settings: bc.BotoAgentsClient(client))
    return client


def ask(text: str = "How is IXIS doing?", *, confirm: bool = False):
    """The bedrock-agents backend on its own (no warehouse needed): the Answer, or the RevopsError it raised."""
    from revops_cli.agents.backends import bedrock_agents
    from revops_cli.agents.base import AgentContext
    from revops_cli.config import load_settings
    from revops_cli.models import Request, Trace

    trace = Trace()
    ctx = AgentContext(settings=load_settings(), warehouse=None, trace=trace,
                       request=Request(text=text, backend="bedrock-agents", confirm=confirm, user="alice"))
    try:
        return bedrock_agents.run(ctx), trace
    except RevopsError as exc:
        return exc, trace


def event_for(unit: str, sparse: bool) -> tuple[str, dict]:
    choose = UNITS[unit]
    member = choose["ResponseStream"]
    body = sm.sample(STREAM.members[member], choose, one_of=ONE_OF_SHAPES, sparse=sparse)
    return member, body


def frames_for(member: str, body: dict) -> list[bytes]:
    shape = STREAM.members[member]
    if shape.metadata.get("exception"):
        return [fb.exception_frame(member, "generated from the service model")]
    chunk = fb.event_frame("chunk", {"bytes": ANSWER.encode()})
    if member == "returnControl" and body.get("invocationInputs"):
        return [fb.event_frame(member, body)]              # the agent waits for the results: no text yet
    return [fb.event_frame(member, body), chunk]


def expected_text(member: str, body: dict) -> str:
    return (body.get("bytes") or b"").decode() + ANSWER if member == "chunk" else ANSWER


# ---------------------------------------------------------------------------------------------- coverage

def test_every_union_member_of_the_model_has_a_handling_entry():
    assert set(UNITS) == set(EVENT_HANDLING), (
        f"not handled: {sorted(set(UNITS) - set(EVENT_HANDLING))}; "
        f"no longer in botocore's model: {sorted(set(EVENT_HANDLING) - set(UNITS))}")
    assert len(UNITS) >= 60                                  # the walk did reach the nested unions


def test_docs_list_every_member():
    from pathlib import Path

    doc = (Path(__file__).parent.parent / "docs" / "bedrock.md").read_text()
    missing = [u for u in EVENT_HANDLING if f"`{u}`" not in doc]
    assert not missing, f"docs/bedrock.md does not list {missing}"


# ---------------------------------------------------------------------------------------------- every member

@pytest.mark.parametrize("sparse", [False, True], ids=["full", "sparse"])
@pytest.mark.parametrize("unit", sorted(UNITS))
def test_member_through_real_botocore(agents_env, unit, sparse):
    handling = EVENT_HANDLING[unit]
    member, body = event_for(unit, sparse)
    sent: list[dict] = []

    def responder(request, **kw):
        sent.append(json.loads(request.body or b"{}"))
        if len(sent) == 1 or handling.effect == "raises":      # an exception every time: retries give up too
            return fb.stream_response(request, frames_for(member, body))
        return fb.stream_response(request, [fb.event_frame("chunk", {"bytes": ANSWER.encode()})])

    real_client(responder)
    result, trace = ask()
    names = {s.name for s in trace.steps} | {s.kind for s in trace.steps}

    if handling.effect == "raises":
        assert isinstance(result, RevopsError) and result.exit_code in (3, 8), result
        assert "\n" not in result.message
        return
    if handling.effect == "error":
        # a failure trace always; a guardrail only when it intervened (the first enum value is NONE)
        intervened = unit != "Trace.guardrailTrace" or body["trace"]["guardrailTrace"].get("action") == "INTERVENED"
        if intervened:
            assert isinstance(result, bc.BedrockError) and result.exit_code == 8, result
            assert any(n.startswith(handling.step) for n in names), names
            return
        assert handling.step in names
    assert not isinstance(result, RevopsError), f"{unit}: {result}"
    answer = result
    assert answer.text.strip() == expected_text(member, body)
    if handling.effect == "step" and handling.step:
        assert any(n == handling.step or n.startswith(handling.step) for n in names), (unit, sorted(names))
    if handling.effect == "return_control" and member == "returnControl":
        assert "return_control" in names
        if not body.get("invocationInputs"):
            assert len(sent) == 1, "nothing to run: no second call"
            return
        assert len(sent) == 2, "the results went back in a second InvokeAgent call"
        state = sent[1]["sessionState"]
        assert state.get("invocationId") == body.get("invocationId")
        assert len(state["returnControlInvocationResults"]) == len(body["invocationInputs"])
        assert "inputText" not in sent[1]
    if handling.effect == "source" and not sparse:
        assert any(s["uri"] for s in answer.sources), answer.sources
    if handling.effect == "usage" and not sparse:
        assert answer.data["usage"].get("inputTokens") and answer.data["usage"].get("outputTokens")
    # the first request: the question with the date line, traces on, streaming asked for
    assert sent[0]["inputText"].startswith("Current date: 2026-11-24 (Tuesday).")
    assert sent[0]["enableTrace"] is True and sent[0]["streamingConfigurations"] == {"streamFinalResponse": True}
    assert sent[0]["sessionState"]["promptSessionAttributes"]["current_date"] == "2026-11-24"
    assert sent[0]["sessionState"]["sessionAttributes"]["user_id"] == "alice"


def test_a_request_the_model_refuses_never_leaves(agents_env):
    """botocore's parameter validation is on: a session attribute that is not a string fails before sending."""
    from botocore.exceptions import ParamValidationError

    sent: list = []
    client = real_client(lambda request, **kw: sent.append(1))
    with pytest.raises(ParamValidationError):
        client.invoke_agent(agentId=fb.SUPERVISOR_ID, agentAliasId=fb.SUPERVISOR_ALIAS, sessionId="s-1",
                            sessionState={"sessionAttributes": {"n": 1}})
    assert sent == []


# ---------------------------------------------------------------------------------------------- bedrock-runtime

RUNTIME_MODEL = sm.service_model("bedrock-runtime")
CONVERSE = RUNTIME_MODEL.operation_model("Converse")
CONVERSE_UNITS = sm.choice_units(CONVERSE.output_shape)
STOP_ENUM = RUNTIME_MODEL.shape_for("StopReason").enum


def _json_body(value):
    import base64

    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    if isinstance(value, dict):
        return {k: _json_body(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_body(v) for v in value]
    if hasattr(value, "timestamp"):
        return value.timestamp()
    return value


def converse_through_botocore(response: dict):
    """bedrock_converse.run with the real bedrock-runtime client answering `response` as JSON over HTTP."""
    import boto3
    from botocore.awsrequest import AWSResponse

    from revops_cli.agents.backends import bedrock_converse
    from revops_cli.agents.base import AgentContext
    from revops_cli.config import load_settings
    from revops_cli.models import Request, Trace

    client = boto3.client("bedrock-runtime", region_name="us-east-1", aws_access_key_id="testing",
                          aws_secret_access_key="testing")
    body = json.dumps(_json_body(response)).encode()
    client.meta.events.register("before-send.bedrock-runtime.Converse", lambda request, **kw: AWSResponse(
        request.url, 200, {"content-type": "application/json"}, fb.RawStream([body])))
    bc.set_client_factory(lambda kind, settings: bc.BotoConverseClient(client))
    trace = Trace()
    ctx = AgentContext(settings=load_settings(), warehouse=None, trace=trace,
                       request=Request(text="Q4 revenue?", backend="bedrock"))
    try:
        return bedrock_converse.run(ctx), trace
    except RevopsError as exc:
        return exc, trace


def test_every_content_block_member_and_stop_reason_has_an_entry():
    from revops_cli.agents.backends.bedrock_converse import CONTENT_HANDLING, STOP_REASONS

    blocks = {u.split(".", 1)[1] for u in CONVERSE_UNITS if u.startswith("ContentBlock.")}
    assert blocks == set(CONTENT_HANDLING), (blocks ^ set(CONTENT_HANDLING))
    assert set(STOP_ENUM) == set(STOP_REASONS), set(STOP_ENUM) ^ set(STOP_REASONS)


@pytest.mark.parametrize("sparse", [False, True], ids=["full", "sparse"])
@pytest.mark.parametrize("unit", sorted(CONVERSE_UNITS))
def test_converse_member_through_real_botocore(agents_env, unit, sparse):
    response = sm.sample(CONVERSE.output_shape, CONVERSE_UNITS[unit], sparse=sparse)
    response["stopReason"] = "end_turn"
    content = response.setdefault("output", {}).setdefault("message", {"role": "assistant"}).setdefault("content", [])
    content.append({"text": "The answer."})
    result, trace = converse_through_botocore(response)
    assert not isinstance(result, RevopsError), f"{unit}: {result}"
    assert result.text.strip().endswith("The answer.")
    block = CONVERSE_UNITS[unit].get("ContentBlock")
    if block not in (None, "text", "toolUse"):
        assert any(s.name == "model_content" and block in s.detail for s in trace.steps), unit


@pytest.mark.parametrize("stop", STOP_ENUM)
def test_every_stop_reason_through_real_botocore(agents_env, stop):
    from revops_cli.agents.backends.bedrock_converse import STOP_REASONS

    result, trace = converse_through_botocore(fb.converse_response([{"text": "Partial answer."}], stop))
    if STOP_REASONS[stop] == "error":
        assert isinstance(result, bc.BedrockError) and result.exit_code == 8 and "\n" not in result.message
        assert any(s.kind == "error" and s.name == stop for s in trace.steps)
    else:
        assert not isinstance(result, RevopsError), result
        assert result.text.startswith("Partial answer.")
        assert result.data["bedrock"]["stop_reason"] == stop
