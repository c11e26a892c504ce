"""The read-only SQL guard: what it refuses, what it lets through, and DuckDB's own second line of defense."""

from __future__ import annotations

import duckdb
import pytest

from revops_cli.errors import RefusedSQLError
from revops_cli.warehouse.guard import check_read_only, limit_rows

# (id, sql, a word the reason must mention)
REFUSED = [
    ("delete-in-cte", "WITH d AS (DELETE FROM accounts RETURNING *) SELECT * FROM d", "DELETE inside a CTE"),
    ("update-in-cte", "WITH u AS (UPDATE accounts SET name = 'x' RETURNING *) SELECT * FROM u", "UPDATE inside a CTE"),
    ("insert-in-cte", "WITH i AS (INSERT INTO accounts (account_id) VALUES ('a') RETURNING *) SELECT * FROM i", "INSERT"),
    ("select-into", "SELECT * INTO t FROM accounts", "INTO"),
    ("copy-to", "COPY accounts TO '/tmp/x.csv'", "COPY"),
    ("copy-from", "COPY accounts FROM '/tmp/x.csv'", "COPY"),
    ("attach", "ATTACH 'x.db'", "ATTACH"),
    ("detach", "DETACH x", "DETACH"),
    ("install", "INSTALL httpfs", "INSTALL"),
    ("load", "LOAD httpfs", "LOAD"),
    ("read-csv", "SELECT * FROM read_csv('/etc/passwd')", "read_csv"),
    ("read-csv-auto", "SELECT * FROM read_csv_auto('x.csv')", "read_csv_auto"),
    ("read-parquet-subquery", "SELECT * FROM (SELECT * FROM read_parquet('s3://b/x.parquet')) t", "read_parquet"),
    ("read-json-join", "SELECT * FROM accounts a JOIN read_json_auto('x.json') j ON true", "read_json_auto"),
    ("read-text-scalar", "SELECT (SELECT content FROM read_text('/etc/passwd'))", "read_text"),
    ("glob", "SELECT * FROM glob('/home/*')", "glob"),
    ("sniff-csv", "SELECT * FROM sniff_csv('x.csv')", "sniff_csv"),
    ("parquet-scan", "SELECT * FROM parquet_scan('x.parquet')", "parquet_scan"),
    ("postgres-scan", "SELECT * FROM postgres_scan('host=x', 'public', 't')", "postgres_scan"),
    ("sqlite-scan", "SELECT * FROM sqlite_scan('x.db', 't')", "sqlite_scan"),
    ("http-get", "SELECT http_get('http://169.254.169.254/')", "http_get"),
    ("getenv", "SELECT getenv('AWS_SECRET_ACCESS_KEY')", "getenv"),
    ("current-setting", "SELECT current_setting('threads')", "current_setting"),
    ("query-fn", "SELECT * FROM query('SELECT 1')", "query"),
    ("pg-read-file", "SELECT pg_read_file('/etc/passwd')", "pg_read_file"),
    ("other-table-fn", "SELECT * FROM duckdb_settings()", "duckdb_settings"),
    ("string-as-table", "SELECT * FROM '/etc/passwd'", "/etc/passwd"),
    ("csv-string-as-table", "SELECT * FROM 'x.csv'", "x.csv"),
    ("quoted-path-as-table", 'SELECT * FROM "data/x.parquet"', "data/x.parquet"),
    ("two-statements", "SELECT 1; DROP TABLE accounts", "2 statements"),
    ("drop", "DROP TABLE accounts", "DROP"),
    ("update", "UPDATE opportunities SET stage = 'Closed Won' WHERE opportunity_id = 'OPP-1'", "UPDATE"),
    ("insert", "INSERT INTO accounts (account_id, name) VALUES ('A', 'B')", "INSERT"),
    ("delete", "DELETE FROM accounts", "DELETE"),
    ("merge", "MERGE INTO a USING b ON a.id = b.id WHEN MATCHED THEN DELETE", "MERGE"),
    ("create-table-as", "CREATE TABLE t AS SELECT * FROM accounts", "CREATE"),
    ("create-view", "CREATE VIEW v AS SELECT 1", "CREATE"),
    ("alter", "ALTER TABLE accounts ADD COLUMN x INTEGER", "ALTER"),
    ("truncate", "TRUNCATE accounts", "TRUNCATE"),
    ("pragma", "PRAGMA table_info('accounts')", "PRAGMA"),
    ("set", "SET memory_limit = '1GB'", "SET"),
    ("call", "CALL pragma_version()", "CALL"),
    ("use", "USE other", "USE"),
    ("begin", "BEGIN", "TRANSACTION"),
    ("commit", "COMMIT", "COMMIT"),
    ("vacuum", "VACUUM", "VACUUM"),
    ("checkpoint", "CHECKPOINT", "CHECKPOINT"),
    ("summarize", "SUMMARIZE accounts", "SUMMARIZE"),
    ("for-update", "SELECT * FROM accounts FOR UPDATE", "FOR UPDATE"),
    ("unparseable", "EXPORT DATABASE '/tmp/x'", "could not parse"),
    ("garbage", "SELEC * FROM", "could not parse"),
    ("empty", "   ", "empty"),
]


@pytest.mark.parametrize(("sql", "word"), [(s, w) for _, s, w in REFUSED], ids=[i for i, _, _ in REFUSED])
def test_refused(sql: str, word: str) -> None:
    with pytest.raises(RefusedSQLError) as info:
        check_read_only(sql)
    err = info.value
    assert err.message.startswith("refused: ")
    assert word.lower() in err.message.lower(), err.message
    assert err.hint                                   # always something to do next
    assert "\n" not in err.message                    # one line


ANALYTICS = """
WITH won AS (
    SELECT o.owner_id,
           date_trunc('quarter', o.close_date) AS quarter,
           SUM(o.amount) AS amount,
           ROW_NUMBER() OVER (PARTITION BY o.owner_id ORDER BY SUM(o.amount) DESC) AS rn
    FROM opportunities o
    JOIN accounts a ON a.account_id = o.account_id
    WHERE o.is_won
      AND o.close_date >= DATE '2026-01-01' - INTERVAL '90 days'
      AND a.segment NOT IN ('SMB', 'Other')
      AND EXTRACT(YEAR FROM o.close_date) = ?
    GROUP BY 1, 2
)
SELECT owner_id, quarter, amount,
       CASE WHEN amount > 1000000 THEN 'big' ELSE 'small' END AS size
FROM won
WHERE rn <= 3 AND owner_id IN (SELECT user_id FROM users WHERE role = ?)
ORDER BY amount DESC
LIMIT 10;  -- top deals
"""

ALLOWED = [
    ("analytics-cte", ANALYTICS),
    ("union", "SELECT 1 AS x UNION ALL SELECT 2"),
    ("values", "VALUES (1, 'a'), (2, 'b')"),
    ("parenthesised", "(SELECT 1)"),
    ("generate-series", "SELECT * FROM generate_series(1, 3)"),
    ("filter-agg", "SELECT COUNT(*) FILTER (WHERE is_won) FROM opportunities"),
    ("lateral", "SELECT a.* FROM accounts a LEFT JOIN LATERAL (SELECT 1 AS one) x ON true"),
    ("casts-intervals", "SELECT close_date + INTERVAL 30 DAY, close_date - created_date, "
                        "CAST(amount AS INTEGER), amount::int, COALESCE(probability, 0) FROM opportunities"),
    ("qualified", "SELECT * FROM main.accounts"),
    ("like", "SELECT name FROM accounts WHERE name ILIKE '%ixis%' AND domain LIKE '%.io'"),
    ("not-exists", "SELECT * FROM accounts x WHERE NOT EXISTS (SELECT 1 FROM opportunities y WHERE y.account_id = x.account_id)"),
    ("string-with-semicolon", "SELECT 'a;b' AS s"),
    ("columns-named-like-functions", "SELECT query_count, read_count FROM usage_daily"),
    ("string-agg", "SELECT string_agg(name, ', ') FROM accounts"),
    ("placeholders", "SELECT * FROM opportunities WHERE stage = ? AND amount > ? AND close_date BETWEEN ? AND ?"),
]


@pytest.mark.parametrize("sql", [s for _, s in ALLOWED], ids=[i for i, _ in ALLOWED])
def test_allowed(sql: str) -> None:
    out = check_read_only(sql)
    assert not out.rstrip().endswith(";")
    assert out in sql                                  # the original text, not a regenerated one


def test_returns_original_text_not_regenerated() -> None:
    sql = "SELECT account_id FROM accounts WHERE segment NOT IN ('SMB')  ;  "
    assert check_read_only(sql) == "SELECT account_id FROM accounts WHERE segment NOT IN ('SMB')"


def test_trailing_comment_after_semicolon_is_one_statement() -> None:
    assert check_read_only("SELECT 1;  -- done\n") == "SELECT 1"


def test_limit_rows_wraps_and_adds_one() -> None:
    wrapped = limit_rows("SELECT 1 AS x; ", 10)
    assert wrapped == "SELECT * FROM (\nSELECT 1 AS x\n) AS revops_q LIMIT 11"


def test_limit_rows_survives_trailing_comment() -> None:
    con = duckdb.connect()
    wrapped = limit_rows("SELECT * FROM range(5) -- five rows", 2)
    assert len(con.execute(wrapped).fetchall()) == 3
    check_read_only(wrapped)                           # the wrapped form still passes the guard


@pytest.fixture()
def readonly_db(tmp_path):
    path = tmp_path / "w.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE accounts (account_id TEXT, name TEXT)")
    con.execute("INSERT INTO accounts VALUES ('A1', 'IXIS')")
    con.close()
    (tmp_path / "x.csv").write_text("a\n1\n")
    ro = duckdb.connect(str(path), read_only=True, config={"enable_external_access": False})
    yield ro, tmp_path
    ro.close()


BYPASS = [
    ("insert", "INSERT INTO accounts VALUES ('A2', 'x')"),
    ("delete-in-cte", "WITH d AS (DELETE FROM accounts RETURNING *) SELECT * FROM d"),
    ("create", "CREATE TABLE t AS SELECT 1"),
    ("drop", "DROP TABLE accounts"),
    ("read-csv", "SELECT * FROM read_csv('{dir}/x.csv')"),
    ("string-as-table", "SELECT * FROM '{dir}/x.csv'"),
    ("copy-to", "COPY accounts TO '{dir}/out.csv'"),
    ("attach", "ATTACH '{dir}/other.duckdb'"),
    ("load", "LOAD httpfs"),
    ("re-enable", "SET enable_external_access = true"),
]


@pytest.mark.parametrize("sql", [s for _, s in BYPASS], ids=[i for i, _ in BYPASS])
def test_defense_in_depth(readonly_db, sql: str) -> None:
    """The guard refuses these; and if it were bypassed, the read-only DuckDB connection still refuses them."""
    con, d = readonly_db
    sql = sql.format(dir=d)
    with pytest.raises(RefusedSQLError):
        check_read_only(sql)
    with pytest.raises(duckdb.Error):
        con.execute(sql).fetchall()
    assert con.execute("SELECT count(*) FROM accounts").fetchone() == (1,)
    assert not (d / "out.csv").exists()
    assert not (d / "other.duckdb").exists()
