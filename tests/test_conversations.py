"""The conversation log: record, list with filters, get by prefix, continuity, migrations, concurrency."""

from __future__ import annotations

import copy
import multiprocessing
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest

from revops_cli.config import DEFAULTS, Settings
from revops_cli.conversations import migrations
from revops_cli.conversations.export import synthetic_exchange
from revops_cli.conversations.log import ConversationLog, to_utc_iso
from revops_cli.errors import NotFoundError, UsageError
from revops_cli.models import Answer, Request, Step, Trace

T0 = datetime(2025, 8, 3, 3, 25, 49, tzinfo=timezone.utc).timestamp()


def exchange(text: str, *, channel: str = "cli", at: float = T0, session: str | None = "sess_a",
             agent: str = "deal_analysis", data: dict | None = None) -> tuple[Request, Answer]:
    req = Request(text=text, channel=channel, session_id=session, user="sarah@example.com",
                  source_system="crm" if channel == "webhook" else None, params={"name": "IXIS"})
    trace = Trace()
    trace.add(Step(kind="route", agent="manager", name=agent, detail="names a deal", started_at=at))
    trace.add(Step(kind="handoff", agent="manager", name=agent, detail="analyse IXIS", started_at=at + 0.01))
    trace.add(Step(kind="tool", agent=agent, name="run_pattern", params={"pattern": "deal_status"}, rows=1,
                   sql_pattern="deal_status", started_at=at + 0.02, duration_ms=11.0))
    ans = Answer(agent=agent, text=f"## Answer\n{text} -> on track", data=data or {"deal": {"name": "IXIS"}},
                 trace=trace, session_id=session, started_at=at, duration_ms=42.0, request_id=req.request_id)
    return req, ans


@pytest.fixture()
def log(tmp_path: Path):
    lg = ConversationLog(tmp_path / "conversations.db")
    yield lg
    lg.close()


def test_record_and_get(log: ConversationLog):
    req, ans = exchange("What is the status of the IXIS deal?")
    cid = log.record(req, ans, backend="local")
    assert cid == req.request_id
    rec = log.get(cid)
    assert rec["query"] == req.text and rec["channel"] == "cli" and rec["agent"] == "deal_analysis"
    assert rec["agents_involved"] == ["manager", "deal_analysis"]
    assert [s["kind"] for s in rec["steps"]] == ["route", "handoff", "tool"]
    assert rec["data"] == {"deal": {"name": "IXIS"}} and rec["params"] == {"name": "IXIS"}
    assert rec["ok"] is True and rec["backend"] == "local" and rec["duration_ms"] == 42.0
    assert rec["started_at"] == "2025-08-03T03:25:49.000000Z" and rec["ended_at"] == "2025-08-03T03:25:49.042000Z"
    assert 0.9 <= rec["quality"] <= 1.0 and rec["n_tools"] == 1 and rec["n_failed_tools"] == 0


def test_get_by_prefix_and_errors(log: ConversationLog):
    r1, a1 = exchange("one")
    r2, a2 = exchange("two")
    r1.request_id = a1.request_id = "req_aaaa1111bbbb2222"
    r2.request_id = a2.request_id = "req_aaaa9999cccc3333"
    log.record(r1, a1)
    log.record(r2, a2)
    assert log.get("req_aaaa1")["query"] == "one"
    assert log.get("aaaa9")["query"] == "two"               # without the req_ prefix
    with pytest.raises(UsageError, match="ambiguous"):
        log.get("aaaa")
    with pytest.raises(NotFoundError) as exc:
        log.get("req_ffff")
    assert exc.value.hint == "see `revops conversations list`"


def test_list_filters(log: ConversationLog):
    day = 86400
    log.record(*exchange("IXIS status", channel="cli", at=T0))
    log.record(*exchange("Q4 revenue by segment", channel="slack", at=T0 + day, agent="data"))
    log.record(*exchange("Is John Smith a good lead?", channel="webhook", at=T0 + 2 * day, agent="lead_analysis",
                         session="sess_b"))
    assert [c["query"] for c in log.list()] == ["Is John Smith a good lead?", "Q4 revenue by segment", "IXIS status"]
    assert [c["channel"] for c in log.list(channel="slack")] == ["slack"]
    since = datetime(2025, 8, 4, tzinfo=timezone.utc)
    assert len(log.list(since=since)) == 2
    assert len(log.list(since="2025-08-04", until="2025-08-05")) == 1
    assert [c["query"] for c in log.list(search="revenue")] == ["Q4 revenue by segment"]
    assert [c["query"] for c in log.list(search="ON TRACK", limit=1)] == ["Is John Smith a good lead?"]
    assert log.list(search="50%_") == []                    # LIKE wildcards are literal
    assert len(log.list(session="sess_b")) == 1
    assert log.count(channel="cli") == 1
    summary = log.list(limit=1)[0]
    assert {"conversation_id", "started_at", "channel", "query", "agent", "ok", "duration_ms", "quality"} <= set(summary)
    assert "steps" not in summary                             # list() is light


def test_iter_range_oldest_first(log: ConversationLog):
    for i in range(5):
        log.record(*exchange(f"q{i}", at=T0 + 100 - i))
    assert [r["query"] for r in log.iter_range()] == ["q4", "q3", "q2", "q1", "q0"]
    assert [r["query"] for r in log.iter_range(since=T0 + 98)] == ["q2", "q1", "q0"]


def test_session_continuity(log: ConversationLog):
    assert log.last_session() is None
    log.record(*exchange("IXIS status", at=T0, session="sess_1", data={"deal": {"name": "IXIS", "amount": 1}}))
    log.record(*exchange("and its risks?", at=T0 + 5, session="sess_1"))
    log.record(*exchange("slack q", at=T0 + 9, session="sess_s", channel="slack"))
    assert log.last_session("cli") == "sess_1"
    assert log.last_session("slack") == "sess_s"
    hist = log.session_history("sess_1")
    assert [h["query"] for h in hist] == ["IXIS status", "and its risks?"]
    assert hist[0]["data"]["deal"]["name"] == "IXIS" and hist[0]["agent"] == "deal_analysis"
    assert [h["query"] for h in log.session_history("sess_1", limit=1)] == ["and its risks?"]


def test_record_same_request_twice_is_one_row(log: ConversationLog):
    req, ans = exchange("retry me")
    log.record(req, ans)
    log.record(req, ans)
    assert log.count() == 1


def test_failed_answer_and_no_request_id(log: ConversationLog):
    req = Request(text="broken", request_id="")
    ans = Answer(agent="data", text="", ok=False, error="warehouse unreachable")
    cid = log.record(req, ans)
    rec = log.get(cid)
    assert cid.startswith("req_") and rec["ok"] is False and rec["error"] == "warehouse unreachable"
    assert rec["quality"] < 0.7


def test_from_settings(tmp_path: Path):
    data = copy.deepcopy(DEFAULTS)
    s = Settings(data=data, home=tmp_path)
    lg = ConversationLog.from_settings(s)
    assert lg is not None and lg.path == tmp_path / "conversations.db"
    lg.close()
    data["conversations"]["enabled"] = False
    assert ConversationLog.from_settings(Settings(data=data, home=tmp_path)) is None


def test_migrations_applied_once(tmp_path: Path):
    path = tmp_path / "c.db"
    lg = ConversationLog(path)
    assert lg.schema_version == migrations.SCHEMA_VERSION
    lg.record(*exchange("keep me"))
    lg.close()
    lg2 = ConversationLog(path)
    assert lg2.schema_version == migrations.SCHEMA_VERSION
    assert migrations.migrate(lg2._conn) == []               # nothing pending on reopen
    assert lg2.count() == 1
    assert lg2._conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    lg2.close()


def test_to_utc_iso():
    assert to_utc_iso("2025-08-03") == "2025-08-03T00:00:00.000000Z"
    assert to_utc_iso(datetime(2025, 8, 3, 5)) == "2025-08-03T05:00:00.000000Z"     # naive = UTC
    assert to_utc_iso("2025-08-03T05:00:00Z") == "2025-08-03T05:00:00.000000Z"
    with pytest.raises(UsageError):
        to_utc_iso("last tuesday")


def test_record_is_cheap(log: ConversationLog):
    pairs = [synthetic_exchange(i) for i in range(200)]
    t = time.perf_counter()
    for req, ans in pairs:
        log.record(req, ans)
    per = (time.perf_counter() - t) / len(pairs)
    assert per < 0.02, f"record() took {per * 1000:.1f} ms"


def _writer(path: str, worker: int, n: int, barrier) -> None:
    barrier.wait(30)                       # open (and migrate) the new file at the same moment, then write
    lg = ConversationLog(Path(path))
    for i in range(n):
        req, ans = synthetic_exchange(worker * 1000 + i)
        lg.record(req, ans)
    lg.close()


def test_two_processes_write_at_once(tmp_path: Path):
    path = str(tmp_path / "shared.db")
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(2)
    procs = [ctx.Process(target=_writer, args=(path, w, 50, barrier)) for w in (1, 2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    lg = ConversationLog(Path(path))
    assert lg.count() == 100
    assert lg.schema_version == migrations.SCHEMA_VERSION
    lg.close()
