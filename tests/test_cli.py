"""The foundation as a user meets it: commands, formats, errors, config, the cache and offline replay."""

from __future__ import annotations

import json
import subprocess
import sys

import duckdb
import pytest

from cli import REVOPS, run, run_process


@pytest.fixture
def wh(demo_db, settings_for):
    settings_for(demo_db)
    return demo_db


def test_help_and_version(capsys):
    r = run(capsys, "--help")
    assert r.code == 0 and "deal" in r.out and "data" in r.out
    assert run(capsys, "-h").code == 0
    r = run(capsys, "--version")
    assert r.code == 0 and r.out.startswith("revops ")


def test_help_imports_no_heavy_libraries():
    code = ("import sys; from revops_cli.app import main\n"
            "try: main(['--help'])\nexcept SystemExit: pass\n"
            "heavy = [m for m in ('duckdb', 'boto3', 'botocore', 'fastapi', 'slack_sdk', 'slack_bolt', 'sqlglot', "
            "'firebolt', 'pydantic', 'openai', 'httpx2', 'mcp', 'mcp_types', 'starlette', 'uvicorn') if m in sys.modules]\n"
            "print(heavy, file=sys.stderr)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.stderr.strip().endswith("[]"), proc.stderr


def test_patterns_list_has_the_catalog(capsys, wh):
    r = run(capsys, "data", "patterns", "-f", "json")
    assert r.code == 0
    names = {p["name"] for p in r.json()}
    assert len(names) >= 20
    assert {"deal_lookup", "deals_closing_in_period", "revenue_by_segment", "competitor_mentions"} <= names


def test_data_run_json_matches_the_warehouse(capsys, wh):
    r = run(capsys, "data", "run", "deals_closing_in_period", "-p", "start_date=2026-10-01",
            "-p", "end_date=2026-12-31", "-p", "limit=1000", "-f", "json")
    assert r.code == 0, r.err
    doc = r.json()
    con = duckdb.connect(str(wh), read_only=True)
    expected = con.execute("SELECT count(*), sum(amount) FROM opportunities WHERE NOT is_closed "
                           "AND close_date BETWEEN DATE '2026-10-01' AND DATE '2026-12-31'").fetchone()
    assert doc["row_count"] == expected[0]
    amount_col = next(c["name"] for c in doc["columns"] if c["name"] in ("amount", "deal_amount"))
    assert sum(row[amount_col] for row in doc["rows"]) == pytest.approx(expected[1])
    assert {c["name"] for c in doc["columns"]} >= {"opportunity_id", amount_col}


@pytest.mark.parametrize("fmt", ["csv", "markdown", "table"])
def test_data_run_other_formats_have_no_ansi(capsys, wh, fmt):
    r = run(capsys, "data", "run", "win_rate", "-p", "start_date=2026-01-01", "-p", "end_date=2026-11-24", "-f", fmt)
    assert r.code == 0, r.err
    assert "\x1b[" not in r.out and r.out.strip()
    if fmt == "csv":
        assert r.out.splitlines()[0].count(",") >= 1


def test_data_sql_runs_read_only_query(capsys, wh):
    r = run(capsys, "data", "sql", "SELECT segment, count(*) AS n FROM accounts GROUP BY 1 ORDER BY 1", "-f", "json")
    assert r.code == 0, r.err
    con = duckdb.connect(str(wh), read_only=True)
    expected = con.execute("SELECT segment, count(*) FROM accounts GROUP BY 1 ORDER BY 1").fetchall()
    assert [(row["segment"], row["n"]) for row in r.json()["rows"]] == expected


@pytest.mark.parametrize("sql", ["DELETE FROM accounts", "WITH d AS (DELETE FROM accounts RETURNING *) SELECT * FROM d",
                                 "SELECT * FROM read_csv('/etc/passwd')", "ATTACH 'x.db'"])
def test_refused_sql_is_one_line_and_exit_4(capsys, wh, sql):
    r = run(capsys, "data", "sql", sql)
    assert r.code == 4
    assert r.err.startswith("Error: refused") and "Traceback" not in r.err
    assert len(r.err.strip().splitlines()) <= 2


def test_unknown_pattern_suggests_closest(capsys, wh):
    r = run(capsys, "data", "run", "deals_closing", "-f", "json")
    assert r.code == 2
    assert "unknown SQL pattern" in r.err and "deals_closing_in_period" in r.err


def test_missing_and_mistyped_parameters(capsys, wh):
    r = run(capsys, "data", "run", "deals_closing_in_period")
    assert r.code == 2 and "start_date" in r.err
    r = run(capsys, "data", "run", "deals_closing_in_period", "-p", "start_date=last tuesday", "-p", "end_date=2026-12-31")
    assert r.code == 2 and "start_date" in r.err and "last tuesday" in r.err
    r = run(capsys, "data", "run", "deals_closing_in_period", "-p", "nonsense")
    assert r.code == 2 and "key=value" in r.err


def test_bad_config_file_names_file_and_line(capsys, revops_home, tmp_path):
    (tmp_path / "revops.yaml").write_text("cache:\n  enabled: true\n  ttl_seconds: [oops\n")
    r = run(capsys, "config", "show")
    assert r.code == 3 and "revops.yaml:3" in r.err
    (tmp_path / "revops.yaml").write_text("cache:\n  enabled: true\n  ttl_secnds: 5\n")
    r = run(capsys, "config", "show")
    assert r.code == 3 and "revops.yaml:3" in r.err and "ttl_seconds" in r.err
    (tmp_path / "revops.yaml").write_text("query:\n  row_limit: lots\n")
    r = run(capsys, "config", "show")
    assert r.code == 3 and "revops.yaml:2" in r.err and "row_limit" in r.err


def test_config_layers_env_profile_and_masking(capsys, revops_home, tmp_path, monkeypatch):
    (revops_home / "revops.yaml").write_text("query:\n  row_limit: 500\n")
    (tmp_path / "revops.yaml").write_text(
        "query:\n  row_limit: 700\nprofiles:\n  prod:\n    warehouse:\n      kind: firebolt\n      database: dwh_prod\n")
    monkeypatch.setenv("REVOPS_FIREBOLT_CLIENT_SECRET", "super-secret-value-1234")
    doc = run(capsys, "config", "show", "-f", "json").json()
    assert doc["settings"]["query"]["row_limit"] == 700                 # project file beats user file
    assert "super-secret-value" not in json.dumps(doc)                  # masked
    assert doc["settings"]["warehouse"]["client_secret"].startswith("****")
    doc = run(capsys, "--profile", "prod", "config", "show", "-f", "json").json()
    assert doc["settings"]["warehouse"]["kind"] == "firebolt" and doc["profile"] == "prod"
    monkeypatch.setenv("REVOPS_QUERY__ROW_LIMIT", "42")
    assert run(capsys, "config", "show", "-f", "json").json()["settings"]["query"]["row_limit"] == 42
    r = run(capsys, "--profile", "nope", "config", "show")
    assert r.code == 3 and "unknown profile" in r.err


def test_init_writes_a_loadable_file(capsys, tmp_path):
    assert run(capsys, "init").code == 0
    assert (tmp_path / "revops.yaml").exists()
    assert run(capsys, "init").code == 2                      # exists: refuses without --force
    assert run(capsys, "config", "show", "-f", "json").code == 0   # the template itself is valid


def test_table_mapping_runs_patterns_on_renamed_tables(capsys, wh, tmp_path, monkeypatch):
    monkeypatch.delenv("REVOPS_DUCKDB_PATH")          # the project file names the warehouse
    renamed = tmp_path / "renamed.duckdb"
    con = duckdb.connect(str(renamed))
    con.execute(f"ATTACH '{wh}' AS src (READ_ONLY)")
    for t in ("accounts", "opportunities", "users"):
        con.execute(f"CREATE TABLE crm_{t} AS SELECT * FROM src.{t}")
    con.close()
    (tmp_path / "revops.yaml").write_text(
        f"warehouse:\n  path: {renamed}\ntables:\n  accounts: crm_accounts\n  opportunities: crm_opportunities\n"
        "  users: crm_users\n")
    r = run(capsys, "data", "run", "deal_lookup", "-p", "name=ixis", "-f", "json")
    assert r.code == 0, r.err
    assert r.json()["rows"][0]["account_name"] == "IXIS Technologies"


def test_online_then_offline_prints_identical_json(capsys, wh):
    args = ("data", "run", "revenue_by_segment", "-p", "start_date=2026-10-01", "-p", "end_date=2026-12-31",
            "-p", "prev_start_date=2025-10-01", "-p", "prev_end_date=2025-12-31", "-f", "json")
    online = run(capsys, *args)
    assert online.code == 0, online.err
    offline = run(capsys, "--offline", *args)
    assert offline.code == 0, offline.err
    assert offline.out == online.out
    sql_online = run(capsys, "data", "sql", "SELECT close_date, amount, is_won FROM opportunities ORDER BY 1, 2 LIMIT 5", "-f", "json")
    sql_offline = run(capsys, "data", "sql", "SELECT close_date, amount, is_won FROM opportunities ORDER BY 1, 2 LIMIT 5", "-f", "json", "--offline")
    assert sql_offline.out == sql_online.out


def test_offline_miss_names_what_is_missing(capsys, wh):
    r = run(capsys, "--offline", "data", "sql", "SELECT 42 AS answer")
    assert r.code == 6 and "no cached result" in r.err and "SELECT 42" in r.err


def test_offline_never_opens_the_warehouse(capsys, wh, monkeypatch, tmp_path):
    args = ("data", "sql", "SELECT count(*) AS n FROM accounts", "-f", "json")
    assert run(capsys, *args).code == 0                 # online: answered and cached
    monkeypatch.setenv("REVOPS_DUCKDB_PATH", str(tmp_path / "gone.duckdb"))   # the cache key names the old file...
    monkeypatch.setenv("REVOPS_CACHE__PATH", str(tmp_path / "revops-home" / "cache.duckdb"))
    r = run(capsys, "--offline", *args)
    assert r.code == 6                                  # ...so a different warehouse is a miss, not a wrong answer


def test_refresh_and_cache_commands(capsys, wh):
    assert run(capsys, "data", "sql", "SELECT 1 AS one").code == 0
    assert run(capsys, "--refresh", "data", "sql", "SELECT 1 AS one").code == 0
    listing = run(capsys, "cache", "list", "-f", "json").json()
    assert listing["row_count"] >= 1
    key = listing["rows"][0]["key"]
    shown = run(capsys, "cache", "show", key, "-f", "json")
    assert shown.code == 0 and shown.json()["rows"] == [{"one": 1}]
    stats = run(capsys, "cache", "stats", "-f", "json").json()
    assert stats["entries"] >= 1
    assert run(capsys, "cache", "clear").code == 0
    assert run(capsys, "cache", "stats", "-f", "json").json()["entries"] == 0
    assert run(capsys, "cache", "show", "deadbeef").code == 2


def test_two_processes_write_the_cache_at_once(wh, revops_home):
    procs = [subprocess.Popen([REVOPS, "data", "sql", f"SELECT {i} AS n, count(*) AS c FROM opportunities", "-f", "json"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for i in range(2) for _ in range(3)]
    outs = [p.communicate(timeout=120) for p in procs]
    assert all(p.returncode == 0 for p in procs), [o[1] for o in outs]
    con = duckdb.connect(str(revops_home / "cache.duckdb"), read_only=True)
    assert con.execute("SELECT count(*) FROM entries").fetchone()[0] == 2
    con.close()
    for i in range(2):
        r = run_process("--offline", "data", "sql", f"SELECT {i} AS n, count(*) AS c FROM opportunities", "-f", "json")
        assert r.code == 0, r.err


def test_firebolt_unreachable_is_one_line(capsys, revops_home, monkeypatch):
    monkeypatch.setenv("REVOPS_WAREHOUSE", "firebolt")
    monkeypatch.setenv("REVOPS_FIREBOLT_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("REVOPS_FIREBOLT_DATABASE", "dwh")
    r = run(capsys, "data", "sql", "SELECT 1")
    assert r.code == 5 and "Traceback" not in r.err and "127.0.0.1:9" in r.err


def test_firebolt_missing_credentials(capsys, revops_home, monkeypatch):
    monkeypatch.setenv("REVOPS_WAREHOUSE", "firebolt")
    r = run(capsys, "data", "sql", "SELECT 1")
    assert r.code == 3 and "REVOPS_FIREBOLT" in r.err


def test_demo_init_rebuilds_and_invalidates_cache(capsys, revops_home, monkeypatch, tmp_path):
    db = tmp_path / "mine.duckdb"
    r = run(capsys, "demo", "init", "--scale", "0.1", "--seed", "3", "--as-of", "2026-11-24", "--path", str(db))
    assert r.code == 0 and db.exists() and "rows" in r.out
    assert run(capsys, "demo", "init", "--as-of", "someday").code == 2


def test_verbose_shows_traceback(capsys, wh):
    r = run(capsys, "--verbose", "data", "sql", "DROP TABLE accounts")
    assert "Traceback" in r.err and r.code == 4


def test_threads_of_one_process_share_the_cache(wh, revops_home):
    """A server answers on several threads: cache reads and writes from each must not collide."""
    import threading

    from revops_cli.config import load_settings
    from revops_cli.warehouse.connect import open_warehouse

    settings = load_settings()
    errors: list[Exception] = []

    def work(i: int) -> None:
        try:
            for j in range(5):
                w = open_warehouse(settings)
                with w.cache.batch():
                    w.query(f"SELECT {i} AS t, {j} AS n, count(*) AS c FROM accounts")
                    w.query("SELECT count(*) AS c FROM opportunities")
                w.close()
        except Exception as exc:      # collected, asserted below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    con = duckdb.connect(str(revops_home / "cache.duckdb"), read_only=True)
    assert con.execute("SELECT count(*) FROM entries").fetchone()[0] == 21
    con.close()
