"""Export to a folder and to S3 (moto): layout, schemas, quality, idempotent re-runs."""

from __future__ import annotations

import json
import re
from datetime import datetime, timezone
from pathlib import Path

import jsonschema
import pytest

from revops_cli.conversations.export import (ExportSummary, export_conversations, load_schema,
                                             relative_dir, synthetic_exchange)
from revops_cli.conversations.log import ConversationLog
from revops_cli.errors import UsageError
from revops_cli.models import Answer, Request, Step, Trace

T0 = datetime(2025, 8, 3, 3, 25, 49, tzinfo=timezone.utc).timestamp()
VALIDATORS = {n: jsonschema.Draft202012Validator(load_schema(n), format_checker=jsonschema.FormatChecker())
              for n in ("conversation", "metadata")}
DIR_RE = re.compile(r"^\d{4}/\d{2}/\d{2}/\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}_[0-9a-f]{8}$")


def deal_exchange(at: float = T0, rid: str | None = None) -> tuple[Request, Answer]:
    req = Request(text="What is the status of the IXIS deal?", channel="slack", user="U123", session_id="sess_x",
                  source_system="slack", source_process="app_mention")
    if rid:
        req.request_id = rid
    trace = Trace()
    trace.add(Step(kind="route", agent="manager", name="deal_analysis", detail="names a deal; status question",
                   params={"intent": "deal_status"}, started_at=at, duration_ms=0.5))
    trace.add(Step(kind="handoff", agent="manager", name="deal_analysis", detail="analyse IXIS Technologies",
                   started_at=at + 0.001))
    trace.add(Step(kind="tool", agent="deal_analysis", name="run_pattern", detail="deal row",
                   params={"pattern": "deal_status", "name": "IXIS", "as_of": "2025-08-01", "long": "x" * 900},
                   started_at=at + 0.002, duration_ms=14.0, rows=1, sql_pattern="deal_status", cached=False))
    trace.add(Step(kind="tool", agent="deal_analysis", name="run_pattern", params={"pattern": "deal_calls"},
                   started_at=at + 0.02, duration_ms=30.0, rows=0, ok=False, error="timeout", sql_pattern="deal_calls"))
    trace.add(Step(kind="handoff", agent="deal_analysis", name="manager", detail="analysis ready", started_at=at + 0.06))
    trace.add(Step(kind="note", agent="manager", name="note", detail="formatted for Slack", started_at=at + 0.07))
    ans = Answer(agent="deal_analysis", text="## IXIS\n**The Dry Numbers**\n- Amount: $1,250,000",
                 data={"deal": {"name": "IXIS Technologies", "amount": 1250000}, "as_of": "2025-08-01"},
                 trace=trace, session_id="sess_x", started_at=at, duration_ms=80.0, request_id=req.request_id)
    return req, ans


def files_of(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def validate_all(files: dict[str, bytes]) -> None:
    assert files
    for name, blob in files.items():
        kind = name.rsplit("/", 1)[-1].removesuffix(".json")
        assert kind in VALIDATORS, name
        VALIDATORS[kind].validate(json.loads(blob))
        assert DIR_RE.match(name.rsplit("/", 1)[0]), name


@pytest.fixture()
def log(tmp_path: Path):
    lg = ConversationLog(tmp_path / "conversations.db")
    yield lg
    lg.close()


def test_folder_export_layout_schema_quality(log: ConversationLog, tmp_path: Path):
    cid = log.record(*deal_exchange())
    log.record(*deal_exchange(at=T0 + 0.3))          # same second: its own folder
    out = tmp_path / "out"
    summary = export_conversations(log, str(out))
    assert isinstance(summary, ExportSummary) and summary.ok
    assert (summary.total, summary.written, summary.unchanged) == (2, 2, 0)
    files = files_of(out)
    assert len(files) == 4
    validate_all(files)
    rel = relative_dir(cid, log.get(cid)["started_at"])
    assert rel.startswith("2025/08/03/2025-08-03T03-25-49_")
    conv = json.loads(files[f"{rel}/conversation.json"])
    meta = json.loads(files[f"{rel}/metadata.json"])

    assert conv["user_query"] == "What is the status of the IXIS deal?"
    assert conv["source"] == {"system": "slack", "process": "app_mention"}
    assert conv["temporal_context"] == {"asked_at": "2025-08-03T03:25:49.000000Z", "day_of_week": "Sunday",
                                        "quarter": "2025-Q3", "as_of": "2025-08-01", "as_of_quarter": "2025-Q3"}
    assert conv["agents_involved"] == ["manager", "deal_analysis"]
    assert [s["agent"] for s in conv["agent_flow"]] == ["manager", "deal_analysis", "manager"]
    deal = conv["agent_flow"][1]["reasoning_breakdown"]
    assert [t["success"] for t in deal["tool_executions"]] == [True, False]
    assert deal["tool_executions"][0]["parameters"]["long"].endswith("… (+700 chars)")
    assert [d["sql_pattern"] for d in deal["data_operations"]] == ["deal_status", "deal_calls"]
    assert deal["errors"][0]["error"] == "timeout"
    assert conv["agent_flow"][0]["reasoning_breakdown"]["routing_decisions"][0]["reason"].startswith("names a deal")
    assert [(c["from"], c["to"], c["kind"]) for c in conv["collaboration_map"]] == [
        ("manager", "deal_analysis", "route"), ("manager", "deal_analysis", "handoff"),
        ("deal_analysis", "manager", "handoff")]
    assert conv["final_response"]["text"].startswith("## IXIS") and conv["success"] is True

    assert meta["summary"] == {"steps": 6, "tool_calls": 2, "failed_tools": 1, "agents": 2,
                               "routing_decisions": 1, "handoffs": 2, "errors": 1}
    assert meta["performance"]["slowest_tool"] == {"tool": "run_pattern", "agent": "deal_analysis", "duration_ms": 30.0}
    q = meta["quality"]
    assert 0 < q["score"] <= 1 and q["threshold"] == 0.7 and q["components"]["tool_success"] == 0.5
    assert q["flagged"] is False and meta["export"]["destination_kind"] == "folder"
    assert meta["redactions"] == {"total": 0, "by_kind": {}, "by_field": {}}
    assert "exported_at" not in files[f"{rel}/conversation.json"].decode()


def test_reexport_is_idempotent(log: ConversationLog, tmp_path: Path):
    for i in range(10):
        log.record(*synthetic_exchange(i))
    out = tmp_path / "out"
    first = export_conversations(log, str(out))
    before = files_of(out)
    second = export_conversations(log, str(out))
    after = files_of(out)
    assert (first.written, second.written, second.unchanged) == (10, 0, 10)
    assert before == after                      # same files, same bytes (metadata untouched too)
    assert len(after) == 20

    # A changed conversation (same id) is rewritten in place; a new one is added; nothing duplicated.
    req, ans = synthetic_exchange(3)
    ans.text += "\nUpdated."
    log.record(req, ans)
    log.record(*synthetic_exchange(10))
    third = export_conversations(log, str(out))
    assert (third.total, third.written, third.unchanged) == (11, 2, 9)
    assert len(files_of(out)) == 22
    # An interrupted run (half-written conversation.json) is repaired by the next.
    victim = next(out.rglob("conversation.json"))
    victim.write_bytes(victim.read_bytes()[:50])
    fourth = export_conversations(log, str(out))
    assert fourth.written == 1 and json.loads(victim.read_bytes())
    assert export_conversations(log, str(out), force=True).written == 11


def test_filters_and_flagged(log: ConversationLog, tmp_path: Path):
    log.record(*deal_exchange())
    log.record(Request(text="hello?", channel="cli"), Answer(agent="data", text="", ok=False, error="boom",
                                                             started_at=T0 + 86400))
    s = export_conversations(log, str(tmp_path / "a"), channel="cli")
    assert (s.total, s.flagged) == (1, 1)
    s = export_conversations(log, str(tmp_path / "b"), since="2025-08-03", until="2025-08-04")
    assert (s.total, s.flagged) == (1, 0)
    s = export_conversations(log, str(tmp_path / "c"), session="sess_x", progress=True)
    assert s.total == 1 and s.to_dict()["ok"] is True
    validate_all(files_of(tmp_path / "a"))


def test_bad_destination(log: ConversationLog):
    with pytest.raises(UsageError):
        export_conversations(log, "ftp://example.com/x")
    with pytest.raises(UsageError):
        export_conversations(log, "")


def test_s3_export_moto(log: ConversationLog, monkeypatch: pytest.MonkeyPatch):
    moto = pytest.importorskip("moto")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    for i in range(7):
        log.record(*synthetic_exchange(i))
    log.record(*deal_exchange())
    with moto.mock_aws():
        import boto3

        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket="revops-monitoring")
        summary = export_conversations(log, "s3://revops-monitoring/conversation-history")
        assert summary.kind == "s3" and summary.ok and (summary.written, summary.unchanged) == (8, 0)
        objs = s3.list_objects_v2(Bucket="revops-monitoring")["Contents"]
        keys = sorted(o["Key"] for o in objs)
        assert len(keys) == 16 and all(k.startswith("conversation-history/") for k in keys)
        files = {k.removeprefix("conversation-history/"): s3.get_object(Bucket="revops-monitoring", Key=k)["Body"].read()
                 for k in keys}
        validate_all(files)
        meta = json.loads(next(v for k, v in files.items() if k.endswith("metadata.json")))
        assert meta["export"]["destination_kind"] == "s3"

        again = export_conversations(log, "s3://revops-monitoring/conversation-history")
        assert (again.written, again.unchanged) == (0, 8)
        assert len(s3.list_objects_v2(Bucket="revops-monitoring")["Contents"]) == 16
        assert all(files[k.removeprefix("conversation-history/")] ==
                   s3.get_object(Bucket="revops-monitoring", Key=k)["Body"].read() for k in keys)

        from revops_cli.errors import NotFoundError
        with pytest.raises(NotFoundError):
            export_conversations(log, "s3://no-such-bucket/x")
