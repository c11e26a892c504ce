"""Bedrock without AWS: fake clients for the protocol, real event-stream frames, and canned traces.

- `FakeAgentsClient` / `FakeConverseClient` / `FakeCatalogClient` implement the protocol of
  `revops_cli.agents.backends.bedrock_client`; they record their calls and can fail on cue.
- `encode_frame` / `encode_events` build `application/vnd.amazon.eventstream` frames exactly as
  botocore's decoder (botocore/eventstream.py) reads them: prelude (total length, headers length, prelude
  CRC32), headers (`:event-type`, `:content-type`, `:message-type`), the JSON payload, the message CRC32.
- `invoke_agent_responder` returns a `before-send` handler that answers InvokeAgent with those frames
  through the real botocore client (the contract tests), and `error_response` a JSON AWS error.
- `deal_ixis_events()` is a supervisor -> Deal Analysis collaborator -> action group run like the
  reference system's, as boto3 would parse it.
"""

from __future__ import annotations

import base64
import binascii
import json
import struct
from datetime import datetime, timezone
from typing import Any, Callable, Iterable, Iterator

SUPERVISOR_ID = "PVWGKOWSOT"
SUPERVISOR_ALIAS = "TSTALIASID"
DEAL_ID = "DBHYUWC6U6"
DEAL_ALIAS = "DEALALIAS1"
REGION = "us-east-1"
ACCOUNT = "123456789012"


def alias_arn(agent_id: str, alias_id: str) -> str:
    return f"arn:aws:bedrock:{REGION}:{ACCOUNT}:agent-alias/{agent_id}/{alias_id}"


# ---------------------------------------------------------------------------------------------- frames

def _header(name: str, value: str) -> bytes:
    n, v = name.encode("utf-8"), value.encode("utf-8")
    return struct.pack("!B", len(n)) + n + struct.pack("!BH", 7, len(v)) + v     # 7 = string


def encode_frame(headers: dict[str, str], payload: bytes) -> bytes:
    """One event-stream message."""
    hdr = b"".join(_header(k, v) for k, v in headers.items())
    total = 12 + len(hdr) + len(payload) + 4
    prelude = struct.pack("!II", total, len(hdr))
    prelude += struct.pack("!I", binascii.crc32(prelude) & 0xFFFFFFFF)
    body = prelude + hdr + payload
    return body + struct.pack("!I", binascii.crc32(body) & 0xFFFFFFFF)


def _jsonable(obj: Any) -> Any:
    if isinstance(obj, bytes):
        return base64.b64encode(obj).decode("ascii")
    if isinstance(obj, datetime):
        return obj.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")
    if isinstance(obj, dict):
        return {k: _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_jsonable(v) for v in obj]
    return obj


def event_frame(event_type: str, body: dict[str, Any]) -> bytes:
    """An `event` message: its payload is the event structure as JSON (blobs base64, times ISO 8601)."""
    return encode_frame({":event-type": event_type, ":content-type": "application/json", ":message-type": "event"},
                        json.dumps(_jsonable(body)).encode("utf-8"))


def exception_frame(exception_type: str, message: str) -> bytes:
    """An `exception` message in the stream, e.g. throttlingException."""
    return encode_frame({":exception-type": exception_type, ":content-type": "application/json",
                         ":message-type": "exception"}, json.dumps({"message": message}).encode("utf-8"))


def encode_events(events: Iterable[dict[str, Any]]) -> list[bytes]:
    """Frames for boto3-shaped events: {"chunk": {...}} / {"trace": {...}} -> one frame each."""
    frames = []
    for ev in events:
        (kind, body), = ev.items()
        frames.append(event_frame(kind, body))
    return frames


class RawStream:
    """What botocore reads an event stream (or an error body) from: `.stream()` yields bytes."""

    def __init__(self, chunks: Iterable[bytes], split: int = 0):
        self.chunks = list(chunks)
        self.split = split            # re-cut the bytes into pieces of this size (frames across reads)
        self.closed = False

    def stream(self, amt: int = 1024, decode_content: bool = True) -> Iterator[bytes]:
        data = b"".join(self.chunks)
        size = self.split or amt or len(data) or 1
        for i in range(0, len(data), size):
            yield data[i:i + size]

    def read(self, amt: int | None = None) -> bytes:
        return b"".join(self.chunks)

    def close(self) -> None:
        self.closed = True

    def release_conn(self) -> None:
        self.closed = True


def stream_response(request: Any, frames: list[bytes], session_id: str = "s-1", split: int = 37):
    from botocore.awsrequest import AWSResponse

    return AWSResponse(request.url, 200, headers={
        "content-type": "application/vnd.amazon.eventstream",
        "x-amzn-bedrock-agent-content-type": "application/json",
        "x-amz-bedrock-agent-session-id": session_id,
    }, raw=RawStream(frames, split=split))


def error_response(request: Any, status: int, code: str, message: str):
    from botocore.awsrequest import AWSResponse

    body = json.dumps({"message": message}).encode("utf-8")
    return AWSResponse(request.url, status, headers={"content-type": "application/json", "x-amzn-errortype": code,
                                                     "x-amzn-requestid": "req-1"}, raw=RawStream([body]))


def invoke_agent_responder(events: list[dict[str, Any]] | Callable[[Any], Any], calls: list | None = None):
    """A before-send handler answering InvokeAgent with the events' frames (or with what a callable returns)."""
    frames = encode_events(events) if not callable(events) else None

    def handler(request: Any, **kwargs: Any):
        if calls is not None:
            calls.append(json.loads(request.body or b"{}") if request.body else {})
        if frames is None:
            return events(request)
        return stream_response(request, frames)
    return handler


# ---------------------------------------------------------------------------------------------- canned run

T0 = datetime(2026, 11, 24, 15, 0, 0, tzinfo=timezone.utc)


def _t(sec: float) -> datetime:
    from datetime import timedelta

    return T0 + timedelta(seconds=sec)


def _part(trace: dict[str, Any], sec: float, *, collaborator: str | None = None,
          chain: list[str] | None = None, agent_id: str = SUPERVISOR_ID, alias: str = SUPERVISOR_ALIAS) -> dict:
    part: dict[str, Any] = {"agentId": agent_id, "agentAliasId": alias, "sessionId": "s-1", "agentVersion": "1",
                            "eventTime": _t(sec), "trace": trace,
                            "callerChain": [{"agentAliasArn": a} for a in (chain or [alias_arn(SUPERVISOR_ID, SUPERVISOR_ALIAS)])]}
    if collaborator:
        part["collaboratorName"] = collaborator
    return {"trace": part}


ANSWER = ("**IXIS - Snowflake expansion** is at risk: MEDDPICC 48/100 (weak), no economic buyer engaged, "
          "close date pushed twice. Adjusted probability 35%.\n\nNext steps: book an EB meeting.")

SQL = "SELECT o.name, o.stage, o.amount FROM opportunities o WHERE LOWER(o.name) LIKE '%ixis%'"


def deal_ixis_events(answer: str = ANSWER, chunks: int = 3) -> list[dict[str, Any]]:
    """Supervisor reasons, hands off to DealAnalysisAgent, which runs a Firebolt action group and a
    knowledge-base look-up, returns; the supervisor answers; the answer arrives in chunks."""
    sup_chain = [alias_arn(SUPERVISOR_ID, SUPERVISOR_ALIAS)]
    deal_chain = sup_chain + [alias_arn(DEAL_ID, DEAL_ALIAS)]
    usage = {"metadata": {"usage": {"inputTokens": 1200, "outputTokens": 80}}}
    ev = [
        _part({"orchestrationTrace": {"modelInvocationOutput": usage}}, 0.5),
        _part({"orchestrationTrace": {"rationale": {"traceId": "t-1", "text": "The user asks for a deal status; "
                                                    "this is for the Deal Analysis agent."}}}, 1.0),
        _part({"orchestrationTrace": {"invocationInput": {
            "traceId": "t-1", "invocationType": "AGENT_COLLABORATOR",
            "agentCollaboratorInvocationInput": {"agentCollaboratorName": "DealAnalysisAgent",
                                                 "agentCollaboratorAliasArn": alias_arn(DEAL_ID, DEAL_ALIAS),
                                                 "input": {"type": "TEXT", "text": "Analyse the IXIS deal"}}}}}, 1.1),
        _part({"orchestrationTrace": {"modelInvocationOutput": {"metadata": {"usage": {"inputTokens": 900,
                                                                                       "outputTokens": 60}}}}},
              1.5, collaborator="DealAnalysisAgent", chain=deal_chain, agent_id=DEAL_ID, alias=DEAL_ALIAS),
        _part({"orchestrationTrace": {"rationale": {"traceId": "t-2", "text": "I need the deal's record and calls."}}},
              2.0, collaborator="DealAnalysisAgent", chain=deal_chain, agent_id=DEAL_ID, alias=DEAL_ALIAS),
        _part({"orchestrationTrace": {"invocationInput": {
            "traceId": "t-2", "invocationType": "ACTION_GROUP",
            "actionGroupInvocationInput": {"actionGroupName": "firebolt_sql_query", "function": "query_fire",
                                           "executionType": "LAMBDA",
                                           "parameters": [{"name": "query", "type": "string", "value": SQL}]}}}},
              2.1, collaborator="DealAnalysisAgent", chain=deal_chain, agent_id=DEAL_ID, alias=DEAL_ALIAS),
        _part({"orchestrationTrace": {"observation": {
            "traceId": "t-2", "type": "ACTION_GROUP",
            "actionGroupInvocationOutput": {"text": json.dumps({"rows": [["IXIS - Snowflake", "Negotiation", 250000],
                                                                          ["IXIS - renewal", "Closed Won", 90000]]}),
                                            "metadata": {"totalTimeMs": 840}}}}},
              3.0, collaborator="DealAnalysisAgent", chain=deal_chain, agent_id=DEAL_ID, alias=DEAL_ALIAS),
        _part({"orchestrationTrace": {"invocationInput": {
            "traceId": "t-3", "invocationType": "KNOWLEDGE_BASE",
            "knowledgeBaseLookupInput": {"knowledgeBaseId": "KB12345678", "text": "MEDDPICC scoring rubric"}}}},
              3.1, collaborator="DealAnalysisAgent", chain=deal_chain, agent_id=DEAL_ID, alias=DEAL_ALIAS),
        _part({"orchestrationTrace": {"observation": {
            "traceId": "t-3", "type": "KNOWLEDGE_BASE",
            "knowledgeBaseLookupOutput": {"retrievedReferences": [
                {"content": {"text": "MEDDPICC: Metrics, Economic buyer, ..."},
                 "location": {"type": "S3", "s3Location": {"uri": "s3://revops-kb/meddpicc.md"}}}]}}}},
              3.4, collaborator="DealAnalysisAgent", chain=deal_chain, agent_id=DEAL_ID, alias=DEAL_ALIAS),
        _part({"orchestrationTrace": {"observation": {"traceId": "t-4", "type": "FINISH",
                                                      "finalResponse": {"text": answer}}}},
              5.0, collaborator="DealAnalysisAgent", chain=deal_chain, agent_id=DEAL_ID, alias=DEAL_ALIAS),
        _part({"orchestrationTrace": {"observation": {
            "traceId": "t-1", "type": "AGENT_COLLABORATOR",
            "agentCollaboratorInvocationOutput": {"agentCollaboratorName": "DealAnalysisAgent",
                                                  "agentCollaboratorAliasArn": alias_arn(DEAL_ID, DEAL_ALIAS),
                                                  "output": {"type": "TEXT", "text": answer}}}}}, 5.2),
        _part({"orchestrationTrace": {"observation": {"traceId": "t-5", "type": "FINISH",
                                                      "finalResponse": {"text": answer}}}}, 5.5),
    ]
    data = answer.encode("utf-8")
    step = max(1, len(data) // chunks + 1)
    ev += [{"chunk": {"bytes": data[i:i + step]}} for i in range(0, len(data), step)]
    return ev


# ---------------------------------------------------------------------------------------------- fakes

class FakeAgentsClient:
    """BedrockAgentsClient: yields canned events; `fail_with` errors are raised on the first calls
    (before any event, or after `fail_after` events, like an exception mid-stream)."""

    def __init__(self, events: list[dict[str, Any]] | None = None, fail_with: list[BaseException] | None = None,
                 fail_after: int = 0):
        self.events = events if events is not None else deal_ixis_events()
        self.fail_with = list(fail_with or [])
        self.fail_after = fail_after
        self.calls: list[dict[str, Any]] = []

    def invoke_agent(self, **kwargs: Any) -> Iterator[dict[str, Any]]:
        self.calls.append(kwargs)
        err = self.fail_with.pop(0) if self.fail_with else None
        if err is not None and not self.fail_after:
            raise err
        return self._gen(err)

    def _gen(self, err: BaseException | None) -> Iterator[dict[str, Any]]:
        for i, ev in enumerate(self.events):
            if err is not None and i == self.fail_after:
                raise err
            yield ev


def converse_response(content: list[dict[str, Any]], stop: str, inp: int = 100, out: int = 20) -> dict[str, Any]:
    return {"output": {"message": {"role": "assistant", "content": content}}, "stopReason": stop,
            "usage": {"inputTokens": inp, "outputTokens": out, "totalTokens": inp + out},
            "metrics": {"latencyMs": 12}}


def tool_use(tool_id: str, name: str, args: dict[str, Any]) -> dict[str, Any]:
    return {"toolUse": {"toolUseId": tool_id, "name": name, "input": args}}


class FakeConverseClient:
    """ConverseClient: returns the scripted responses in order, recording each request."""

    def __init__(self, responses: list[dict[str, Any] | BaseException]):
        self.responses = list(responses)
        self.calls: list[dict[str, Any]] = []

    def converse(self, **kwargs: Any) -> dict[str, Any]:
        self.calls.append(json.loads(json.dumps(kwargs, default=str)))
        if not self.responses:
            raise AssertionError("FakeConverseClient: no more scripted responses")
        r = self.responses.pop(0)
        if isinstance(r, BaseException):
            raise r
        return r


class FakeCatalogClient:
    def __init__(self, agents: list[dict[str, Any]], aliases: dict[str, list[dict[str, Any]]]):
        self.agents, self.aliases = agents, aliases

    def list_agents(self) -> list[dict[str, Any]]:
        return list(self.agents)

    def list_agent_aliases(self, agent_id: str) -> list[dict[str, Any]]:
        return list(self.aliases.get(agent_id, []))


def factory(**clients: Any) -> Callable[[str, Any], Any]:
    """A client factory for `set_client_factory`: factory(agents=..., converse=..., catalog=...)."""
    def make(kind: str, settings: Any) -> Any:
        if kind not in clients:
            raise AssertionError(f"no fake Bedrock client for {kind!r}")
        return clients[kind]
    return make
