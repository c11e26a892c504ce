"""Finding 4 (issue 14): one query could take the machine. A huge `string_agg` reached 6 GB of memory, a
doubling recursive CTE 4.6 GB, and Ctrl-C was ignored for 27 s. This matters most when a model writes SQL.

Written from the attacker's side: the memory-hungry queries run under a low `duckdb.memory_limit` and must
stop with exit 5 and one line naming the limit to raise; a long query must stop at the time limit; SIGINT
and SIGTERM must stop a running query at once (exit 130 / 143, one line, no traceback, nothing cached); a
result over the row or byte cap is cut with a note. No timed assertions: outcomes only.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from cli import REVOPS, run

STRING_AGG = "SELECT length(string_agg(repeat('x', 1000), ',')) AS n FROM range(100000000)"
DOUBLING_CTE = ("WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r, (VALUES (1), (2)) v(x) "
                "WHERE n < 60) SELECT count(*) AS n FROM r")
LONG = "SELECT sum(hash(i)) AS s FROM range(1000000000000) t(i)"        # hours on any machine


@pytest.fixture
def warehouse_env(demo_db, monkeypatch):
    monkeypatch.setenv("REVOPS_DUCKDB_PATH", str(demo_db))
    return {"REVOPS_DUCKDB_PATH": str(demo_db)}


def one_error_line(err: str) -> str:
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert lines and lines[0].startswith("Error: "), err
    assert "Traceback" not in err
    assert all(ln.startswith("  hint: ") for ln in lines[1:]), err
    return lines[0]


@pytest.mark.parametrize("sql", [STRING_AGG, DOUBLING_CTE], ids=["string_agg", "doubling_cte"])
def test_a_memory_hungry_query_stops_at_the_memory_limit(capsys, warehouse_env, monkeypatch, sql):
    monkeypatch.setenv("REVOPS_DUCKDB__MEMORY_LIMIT", "64MB")
    r = run(capsys, "data", "sql", sql, "-f", "json")
    assert r.code == 5, r
    assert r.json()["ok"] is False and r.json()["error"]["exit_code"] == 5    # -f json: the one error object
    line = one_error_line(r.err)
    # the limit that stopped it (memory, or the spill space it derives from) and how to raise it
    assert "64MB memory limit (duckdb.memory_limit)" in line or "(duckdb.max_temp_directory_size)" in line, line
    assert "raise duckdb." in r.err


def test_the_spill_space_follows_the_memory_limit(capsys, warehouse_env, monkeypatch):
    """A query that spills to disk instead of failing must not fill the disk: by default it may spill
    twice the memory limit, beside the warehouse file, and the message says so."""
    monkeypatch.setenv("REVOPS_DUCKDB__MEMORY_LIMIT", "64MB")
    monkeypatch.setenv("REVOPS_QUERY__TIMEOUT_SECONDS", "600")
    r = run(capsys, "data", "sql", DOUBLING_CTE, "-f", "json")
    assert r.code == 5, r
    line = one_error_line(r.err)
    assert "memory limit" in line or "of disk it may spill to" in line


def test_the_limit_is_raised_as_the_message_says(capsys, warehouse_env, monkeypatch):
    small = "SELECT length(string_agg(repeat('x', 100), ',')) AS n FROM range(300000)"   # ~30 MB of text
    monkeypatch.setenv("REVOPS_DUCKDB__MEMORY_LIMIT", "16MB")
    assert run(capsys, "data", "sql", small, "-f", "json").code == 5
    monkeypatch.setenv("REVOPS_DUCKDB__MEMORY_LIMIT", "1GB")
    r = run(capsys, "data", "sql", small, "-f", "json")
    assert r.code == 0, r.err
    assert r.json()["rows"] == [{"n": 300000 * 101 - 1}]


def test_the_query_timeout_stops_a_long_query(capsys, warehouse_env, monkeypatch):
    monkeypatch.setenv("REVOPS_QUERY__TIMEOUT_SECONDS", "1")
    r = run(capsys, "data", "sql", LONG, "-f", "json")
    assert r.code == 5, r
    line = one_error_line(r.err)
    assert "1 s time limit (query.timeout_seconds)" in line
    assert "raise query.timeout_seconds" in r.err


def test_a_timed_out_query_is_not_cached_and_the_next_query_runs(capsys, warehouse_env, monkeypatch, revops_home):
    monkeypatch.setenv("REVOPS_QUERY__TIMEOUT_SECONDS", "1")
    assert run(capsys, "data", "sql", LONG).code == 5
    monkeypatch.setenv("REVOPS_QUERY__TIMEOUT_SECONDS", "30")
    r = run(capsys, "data", "sql", "SELECT count(*) AS n FROM accounts", "-f", "json")
    assert r.code == 0 and r.json()["rows"][0]["n"] > 0
    assert run(capsys, "--offline", "data", "sql", LONG).code == 6      # nothing of the stopped query was kept


def _wait_until_querying(proc: subprocess.Popen) -> None:
    """Until the CLI runs its query in the worker thread (a second thread appears), then a little longer."""
    tasks = Path(f"/proc/{proc.pid}/task")
    for _ in range(600):
        if proc.poll() is not None:
            break
        if tasks.exists() and len(list(tasks.iterdir())) >= 2:
            break
        time.sleep(0.1)
    time.sleep(1.0)


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="needs /proc to see the query thread")
@pytest.mark.parametrize("sig,code,message", [(signal.SIGINT, 130, "revops: interrupted (Ctrl-C)"),
                                              (signal.SIGTERM, 143, "revops: terminated (SIGTERM)")],
                         ids=["SIGINT", "SIGTERM"])
def test_a_signal_stops_a_running_query_at_once(warehouse_env, revops_home, sig, code, message):
    env = {**os.environ, **warehouse_env, "REVOPS_QUERY__TIMEOUT_SECONDS": "3600", "REVOPS_DUCKDB__THREADS": "1"}
    # as from a terminal: SIGINT not ignored, even when the test runner itself was started in the background
    proc = subprocess.Popen([REVOPS, "data", "sql", LONG], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            stdin=subprocess.DEVNULL, text=True, env=env,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        _wait_until_querying(proc)
        assert proc.poll() is None, proc.communicate()
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=120)     # a safety net only; the query itself would run for hours
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == code, err
    assert out == ""
    assert [ln for ln in err.splitlines() if ln.strip()] == [message], err
    assert "Traceback" not in err
    # nothing half-written: the stopped query left no cache entry
    offline = subprocess.run([REVOPS, "--offline", "data", "sql", LONG], capture_output=True, text=True,
                             env=env, stdin=subprocess.DEVNULL, timeout=120)
    assert offline.returncode == 6, offline.stderr


def test_the_row_cap_cuts_with_a_note(capsys, warehouse_env, monkeypatch):
    monkeypatch.setenv("REVOPS_QUERY__ROW_LIMIT", "7")
    r = run(capsys, "data", "sql", "SELECT i FROM range(100) t(i) ORDER BY i", "-f", "csv")
    assert r.code == 0, r.err
    assert r.out.split() == ["i"] + [str(i) for i in range(7)]
    assert "first 7 rows shown; more rows were not shown, over the row limit (raise query.row_limit)" in r.err
    r = run(capsys, "data", "sql", "SELECT i FROM range(100) t(i)", "-f", "json")
    doc = r.json()
    assert doc["row_count"] == 7 and doc["truncated"] is True and doc["truncated_by"] == "query.row_limit"


def test_the_byte_cap_cuts_with_a_note(capsys, warehouse_env, monkeypatch):
    monkeypatch.setenv("REVOPS_QUERY__MAX_RESULT_BYTES", "10KB")
    # 50 rows of 1,000 characters: 50 KB of values, 10 fit under 10 KB
    r = run(capsys, "data", "sql", "SELECT i, repeat('x', 1000) AS s FROM range(50) t(i) ORDER BY i", "-f", "json")
    assert r.code == 0, r.err
    doc = r.json()
    assert doc["truncated"] is True and doc["truncated_by"] == "query.max_result_bytes"
    assert 0 < doc["row_count"] < 50
    assert [row["i"] for row in doc["rows"]] == list(range(doc["row_count"]))
    assert sum(len(row["s"]) for row in doc["rows"]) <= 10_000
    r = run(capsys, "data", "sql", "SELECT i, repeat('x', 1000) AS s FROM range(50) t(i) ORDER BY i", "-f", "csv")
    assert "over the result size limit (raise query.max_result_bytes)" in r.err


def test_a_cut_result_is_noted_in_the_answer_trace(warehouse_env, monkeypatch):
    from revops_cli.agents.base import AgentContext
    from revops_cli.config import load_settings
    from revops_cli.models import Request, Trace
    from revops_cli.warehouse.connect import open_warehouse

    monkeypatch.setenv("REVOPS_QUERY__ROW_LIMIT", "3")
    settings = load_settings()
    wh = open_warehouse(settings)
    try:
        ctx = AgentContext(settings=settings, warehouse=wh, trace=Trace(), request=Request(text="ten numbers"))
        result = ctx.run_sql("data", "SELECT i FROM range(10) t(i)")
    finally:
        wh.close()
    assert len(result.rows) == 3 and result.truncated
    step = ctx.trace.steps[-1]
    assert step.rows == 3 and "raise query.row_limit" in step.detail


@pytest.mark.parametrize("setting,value", [("REVOPS_DUCKDB__MEMORY_LIMIT", "lots"),
                                           ("REVOPS_DUCKDB__THREADS", "zero"),
                                           ("REVOPS_QUERY__MAX_RESULT_BYTES", "-5MB")])
def test_a_bad_limit_is_a_configuration_error(capsys, warehouse_env, monkeypatch, setting, value):
    monkeypatch.setenv(setting, value)
    r = run(capsys, "data", "sql", "SELECT 1 AS x")
    assert r.code == 3, r
    assert "Traceback" not in r.err


def test_the_defaults_are_a_share_of_the_machine():
    from revops_cli.config import load_settings
    from revops_cli.warehouse.limits import GiB, DuckDBLimits, machine_memory

    limits = DuckDBLimits.from_settings(load_settings())
    assert limits.memory_limit <= min(2 * GiB, machine_memory() // 4 + 1) or limits.memory_limit == 64 * 1024 ** 2
    assert 1 <= limits.threads <= 8
    assert limits.max_temp_directory_size == 2 * limits.memory_limit
