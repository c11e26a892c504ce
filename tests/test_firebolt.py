"""FireboltWarehouse through the real firebolt-sdk, against a local Firebolt Core fake backed by DuckDB."""

from __future__ import annotations

import socket
import subprocess
import sys
from datetime import date, datetime
from pathlib import Path

import duckdb
import pytest

from revops_cli.errors import ConfigError, RefusedSQLError, WarehouseError
from revops_cli.warehouse.base import normalise_type
from revops_cli.warehouse.firebolt import FireboltWarehouse

try:
    from fakes.firebolt_core import FireboltCoreFake
except ImportError:                                    # tests/ is a package
    from tests.fakes.firebolt_core import FireboltCoreFake

SCHEMA = Path(__file__).resolve().parents[1] / "revops_cli" / "warehouse" / "schema.sql"

JOIN_QUERY = """
SELECT a.name AS account, a.segment, o.stage, o.is_won, o.close_date,
       COUNT(*) AS deals, SUM(o.amount) AS total_amount, MAX(o.probability) AS max_probability
FROM opportunities o
JOIN accounts a ON a.account_id = o.account_id
WHERE o.close_date >= ? AND a.segment NOT IN ('SMB') AND o.amount > ?
GROUP BY a.name, a.segment, o.stage, o.is_won, o.close_date
ORDER BY total_amount DESC, account
"""
PARAMS = [date(2026, 1, 1), 1000.0]


def _create_tables(con: duckdb.DuckDBPyConnection, *names: str) -> None:
    """Run the canonical DDL from schema.sql for the named tables."""
    text = "\n".join(line.split("--", 1)[0] for line in SCHEMA.read_text().splitlines())
    for stmt in text.split(";"):
        if any(f"CREATE TABLE {n} " in stmt for n in names):
            con.execute(stmt)


@pytest.fixture()
def wh_db(tmp_path) -> Path:
    path = tmp_path / "fb.duckdb"
    con = duckdb.connect(str(path))
    _create_tables(con, "accounts", "opportunities", "opportunity_stage_history")
    con.execute("""INSERT INTO accounts (account_id, name, segment, region, employees, annual_revenue, created_date) VALUES
        ('ACC-1', 'IXIS Technologies', 'Enterprise', 'EMEA', 1200, 2.5e8, DATE '2024-03-01'),
        ('ACC-2', 'DataCorp', 'Mid-Market', 'NA', 300, 4.2e7, DATE '2025-01-15'),
        ('ACC-3', 'Tiny Ltd', 'SMB', 'APAC', 12, NULL, NULL)""")
    con.execute("""INSERT INTO opportunities (opportunity_id, name, account_id, stage, amount, probability,
                                              close_date, is_closed, is_won) VALUES
        ('OPP-1', 'IXIS - Platform', 'ACC-1', 'Negotiation', 120000.5, 80, DATE '2026-12-15', false, false),
        ('OPP-2', 'IXIS - Expansion', 'ACC-1', 'Closed Won', 45000.25, 100, DATE '2026-06-30', true, true),
        ('OPP-3', 'DataCorp - New', 'ACC-2', 'Discovery', 30000.0, 20, DATE '2026-11-30', false, false),
        ('OPP-4', 'DataCorp - Old', 'ACC-2', 'Closed Lost', 9000.0, 0, DATE '2025-05-01', true, false),
        ('OPP-5', 'Tiny - Pilot', 'ACC-3', 'Discovery', 5000.0, 10, DATE '2026-10-01', false, false),
        ('OPP-6', 'IXIS - Services', 'ACC-1', 'Negotiation', 1500.1, 80, DATE '2026-12-15', false, NULL)""")
    con.execute("""INSERT INTO opportunity_stage_history VALUES
        ('OPP-1', TIMESTAMP '2026-09-01 10:15:30.250', 'Discovery', 'Negotiation', 20, NULL, NULL, 120000.5, 'USR-1')""")
    con.execute("CREATE TABLE crm_outbox (opportunity_id TEXT, field TEXT, new_value TEXT, created_at TIMESTAMP)")
    con.close()
    return path


@pytest.fixture()
def expected(wh_db) -> tuple[list[str], list[str], list[tuple]]:
    """The JOIN_QUERY answer straight from DuckDB (read before the fake opens the file)."""
    con = duckdb.connect(str(wh_db), read_only=True)
    cur = con.execute(JOIN_QUERY, PARAMS)
    cols = [d[0] for d in cur.description]
    types = [normalise_type(str(d[1])) for d in cur.description]
    rows = [tuple(r) for r in cur.fetchall()]
    con.close()
    return cols, types, rows


@pytest.fixture()
def fake(wh_db, expected):
    f = FireboltCoreFake(wh_db, database="revops")
    f.start()
    yield f
    f.stop()


@pytest.fixture()
def wh(fake):
    w = FireboltWarehouse(url=fake.url, database="revops")
    yield w
    w.close()


def _family(t: str) -> str:
    # firebolt-sdk turns both `integer` and `bigint` into Python int, so the backend reports BIGINT.
    return "INT" if t in ("INTEGER", "BIGINT") else t


def test_same_answer_as_duckdb(wh, fake, expected) -> None:
    cols, types, rows = expected
    result = wh.query(JOIN_QUERY, PARAMS)
    assert result.columns == cols
    assert [_family(t) for t in result.types] == [_family(t) for t in types]
    assert result.types == ["TEXT", "TEXT", "TEXT", "BOOLEAN", "DATE", "BIGINT", "DOUBLE", "BIGINT"]
    assert result.rows == rows
    assert len(rows) == 4 and not result.truncated
    first = result.first()
    assert isinstance(first["close_date"], date) and isinstance(first["total_amount"], float)
    assert isinstance(first["is_won"], bool)
    assert any(r[3] is None for r in result.rows)          # NULL boolean survives the trip


def test_the_fake_saw_the_sql(wh, fake) -> None:
    wh.query(JOIN_QUERY, PARAMS)
    req = fake.requests[-1]
    assert req.method == "POST" and req.path == "/"
    assert req.params["database"] == "revops" and req.params["output_format"] == "JSON_Compact"
    assert req.headers.get("Firebolt-Protocol-Version")
    assert "Authorization" not in req.headers
    # qmark parameters are substituted client-side; NOT IN is sent exactly as written
    assert "o.close_date >= '2026-01-01'" in req.sql and "o.amount > 1000.0" in req.sql
    assert "a.segment NOT IN ('SMB')" in req.sql


def test_timestamp_decimal_and_nulls(wh) -> None:
    r = wh.query("SELECT changed_at, days_in_stage, old_close_date, CAST(amount AS DECIMAL(12, 2)) AS amt, "
                 "CAST(NULL AS TEXT) AS nothing FROM opportunity_stage_history")
    assert r.types == ["TIMESTAMP", "BIGINT", "DATE", "DECIMAL", "TEXT"]
    changed_at, days, old, amt, nothing = r.rows[0]
    assert changed_at == datetime(2026, 9, 1, 10, 15, 30, 250000)
    assert days == 20 and old is None and nothing is None
    assert str(amt) == "120000.50"


def test_row_limit_sets_truncated(wh, fake) -> None:
    r = wh.query("SELECT opportunity_id FROM opportunities ORDER BY opportunity_id", row_limit=2)
    assert r.truncated and r.column("opportunity_id") == ["OPP-1", "OPP-2"]
    assert fake.sql[-1].endswith("LIMIT 3")
    assert not wh.query("SELECT 1 AS x", row_limit=2).truncated


def test_connection_is_lazy_and_reused(wh, fake) -> None:
    assert fake.requests == [] and wh._conn is None
    wh.query("SELECT 1 AS x")
    conn = wh._conn
    wh.query("SELECT 2 AS x")
    assert wh._conn is conn and len(fake.requests) == 2


def test_sql_error_maps_to_warehouse_error(wh) -> None:
    with pytest.raises(WarehouseError) as info:
        wh.query("SELECT * FROM no_such_table")
    assert "no_such_table" in info.value.message
    assert "\n" not in info.value.message


def test_guard_runs_before_anything_is_sent(wh, fake) -> None:
    with pytest.raises(RefusedSQLError):
        wh.query("WITH d AS (DELETE FROM accounts RETURNING *) SELECT * FROM d")
    assert fake.requests == []


def test_execute_write_only_to_the_writable_table(wh, fake, wh_db) -> None:
    n = wh.execute_write("INSERT INTO crm_outbox (opportunity_id, field, new_value, created_at) VALUES (?, ?, ?, ?)",
                         ["OPP-1", "next_step", "Send MSA", datetime(2026, 11, 24, 9, 30)])
    assert n in (-1, 1)                                        # Firebolt answers DML with no result set
    assert wh.query("SELECT opportunity_id, new_value FROM crm_outbox").rows == [("OPP-1", "Send MSA")]
    with pytest.raises(RefusedSQLError):
        wh.execute_write("DELETE FROM accounts")
    with pytest.raises(RefusedSQLError):
        wh.execute_write("SELECT 1")
    assert "DELETE FROM accounts" not in fake.sql


def test_unknown_database_is_a_warehouse_error(fake) -> None:
    w = FireboltWarehouse(url=fake.url, database="other")
    with pytest.raises(WarehouseError, match="other"):
        w.query("SELECT 1 AS x")
    w.close()


def test_timeout(wh, fake) -> None:
    wh.query("SELECT 1 AS x")
    fake.delay_s = 1.0
    with pytest.raises(WarehouseError, match="timed out"):
        wh.query("SELECT 1 AS x", timeout_s=0.2)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_unreachable_url() -> None:
    url = f"http://user:hunter2@127.0.0.1:{_free_port()}"
    w = FireboltWarehouse(url=url, database="revops")
    assert "hunter2" not in w.identity
    with pytest.raises(WarehouseError) as info:
        w.query("SELECT 1 AS x")
    err = info.value
    assert err.message.startswith("cannot reach Firebolt at http://127.0.0.1:")
    assert err.message.endswith("connection refused")
    assert "hunter2" not in err.one_line()


def test_from_settings_core(monkeypatch) -> None:
    from revops_cli.config import load_settings

    monkeypatch.setenv("REVOPS_WAREHOUSE", "firebolt")
    monkeypatch.setenv("REVOPS_FIREBOLT_URL", "http://localhost:3473/")
    monkeypatch.setenv("REVOPS_FIREBOLT_DATABASE", "revops")
    w = FireboltWarehouse.from_settings(load_settings())
    assert w.kind == "firebolt" and w.identity == "firebolt-core:http://localhost:3473/revops"


def test_from_settings_cloud_missing_credentials(monkeypatch) -> None:
    from revops_cli.config import load_settings

    monkeypatch.setenv("REVOPS_WAREHOUSE", "firebolt")
    monkeypatch.setenv("REVOPS_FIREBOLT_ACCOUNT", "acme")
    monkeypatch.setenv("REVOPS_FIREBOLT_DATABASE", "dwh")
    monkeypatch.setenv("REVOPS_FIREBOLT_ENGINE", "analytics")
    monkeypatch.setenv("REVOPS_FIREBOLT_CLIENT_ID", "id-123")
    with pytest.raises(ConfigError) as info:
        FireboltWarehouse.from_settings(load_settings())
    msg = info.value.message
    assert "warehouse.client_secret (REVOPS_FIREBOLT_CLIENT_SECRET)" in msg
    assert "client_id" not in msg.replace("REVOPS_FIREBOLT_CLIENT_ID", "").split("missing", 1)[1]


def test_from_settings_cloud_identity_has_no_secret(monkeypatch) -> None:
    from revops_cli.config import load_settings

    for k, v in {"REVOPS_FIREBOLT_ACCOUNT": "acme", "REVOPS_FIREBOLT_DATABASE": "dwh",
                 "REVOPS_FIREBOLT_ENGINE": "analytics", "REVOPS_FIREBOLT_CLIENT_ID": "id-123",
                 "REVOPS_FIREBOLT_CLIENT_SECRET": "s3cr3t-value"}.items():
        monkeypatch.setenv(k, v)
    w = FireboltWarehouse.from_settings(load_settings())
    assert w.identity == "firebolt:acme/dwh/analytics"
    assert "s3cr3t" not in w.identity + repr(w)


def test_nothing_configured_names_every_setting() -> None:
    from revops_cli.config import load_settings

    with pytest.raises(ConfigError) as info:
        FireboltWarehouse.from_settings(load_settings())
    for env in ("REVOPS_FIREBOLT_ACCOUNT", "REVOPS_FIREBOLT_CLIENT_ID", "REVOPS_FIREBOLT_CLIENT_SECRET",
                "REVOPS_FIREBOLT_DATABASE", "REVOPS_FIREBOLT_ENGINE"):
        assert env in info.value.message
    assert "REVOPS_FIREBOLT_URL" in info.value.hint


def test_import_does_not_load_the_sdk() -> None:
    code = ("import sys, revops_cli.warehouse.firebolt as m; "
            "m.FireboltWarehouse(url='http://localhost:3473', database='x'); "
            "print(any(k == 'firebolt' or k.startswith('firebolt.') for k in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_aggregates_come_as_firebolts_numeric_and_read_as_on_duckdb(wh, fake, expected) -> None:
    """The fake types columns as Firebolt does (COUNT and SUM: NUMERIC), not as DuckDB computed them; revops
    reads NUMERIC(38, 0) as int and NUMERIC(38, 9) as float, so the answer equals DuckDB's."""
    import httpx

    cols, _, rows = expected
    body = httpx.post(fake.url + "/?database=revops&output_format=JSON_Compact",
                      content="SELECT a.segment, COUNT(*) AS deals, SUM(o.amount) AS total_amount, "
                              "MAX(o.probability) AS max_probability, AVG(o.amount) AS avg_amount "
                              "FROM opportunities o JOIN accounts a ON a.account_id = o.account_id "
                              "GROUP BY a.segment ORDER BY a.segment NULLS LAST").json()
    assert [m["type"] for m in body["meta"]] == ["text null", "numeric(38, 0) null", "numeric(38, 9) null",
                                                 "integer null", "double precision null"]
    assert body["data"][0][1:3] == ["3", "166500.850000000"]        # Enterprise: IXIS 120000.5 + 45000.25 + 1500.1
    r = wh.query(JOIN_QUERY, PARAMS)
    assert r.types[cols.index("deals")] == "BIGINT" and r.types[cols.index("total_amount")] == "DOUBLE"
    got = [tuple(row) for row in r.rows]
    assert got == rows                                                # same values, same Python types
    assert all(type(a) is type(b) for g, e in zip(got, rows) for a, b in zip(g, e) if a is not None)
