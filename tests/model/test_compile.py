"""The compiler: canonical SQL onto mapped tables, as text, and nothing at all on the identity model."""

from __future__ import annotations

import math
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from revops_cli.errors import ConfigError
from revops_cli.model.compile import (
    compile_pattern, compile_sql, identity_model, model_for, relation, splice_ctes,
)
from revops_cli.sql_patterns.catalog import Catalog
from tests.cli import run
from tests.model import mapped

PATTERNS = Catalog.load()


@pytest.fixture(scope="session")
def mapped_db(demo_db, tmp_path_factory) -> Path:
    """The demo warehouse of each seed, renamed and reshaped (tests/model/mapped.py); no canonical table."""
    return mapped.build(demo_db, tmp_path_factory.mktemp("mapped") / "mapped.duckdb")


class Recorder:
    """A warehouse that remembers the SQL it was sent (and runs it on the real one)."""

    def __init__(self, inner):
        self.inner, self.sent = inner, []

    def query(self, sql, params=None, **kw):
        self.sent.append((sql, list(params or [])))
        kw.pop("namespace", None)
        return self.inner.query(sql, params, **kw)


def _open(settings):
    from revops_cli.warehouse.duckdb_backend import DuckDBWarehouse

    return DuckDBWarehouse(settings.duckdb_path)


def _norm(v):
    if isinstance(v, float):
        return None if math.isnan(v) else round(v, 4)
    if isinstance(v, Decimal):
        return round(float(v), 4)
    if isinstance(v, (date, datetime)):
        return v.isoformat()
    return v


def _rows(result):
    return sorted((tuple(_norm(v) for v in r) for r in result.rows), key=repr)


# --- the identity model costs nothing ------------------------------------------------------------------

def test_identity_runs_every_pattern_as_written_and_reads_no_model_file(demo_db, settings_for, monkeypatch):
    import revops_cli.model.loader as loader
    import revops_cli.yaml_files as yaml_files
    from revops_cli.warehouse.queries import run_pattern

    def no_yaml(*a, **k):
        raise AssertionError("the identity model read a YAML model file")

    monkeypatch.setattr(yaml_files, "load_yaml", no_yaml)
    monkeypatch.setattr(loader, "load_yaml", no_yaml)
    settings = settings_for(demo_db)
    wh = Recorder(_open(settings))
    for pattern in PATTERNS:
        typed = pattern.coerce(pattern.example_values())
        _, _, result = run_pattern(wh, settings, pattern.name, typed)
        # Byte for byte the pattern's own canonical text: the result cache keys do not move.
        assert wh.sent[-1] == pattern.render(typed), pattern.name
        assert "model" not in result.meta


def test_tables_setting_still_renames(demo_db, settings_for, tmp_path):
    settings = settings_for(demo_db, REVOPS_TABLES__OPPORTUNITIES="main.opportunities")
    model = model_for(settings)
    assert relation(model, "opportunities") == "main.opportunities"
    pattern = PATTERNS.get("deal_lookup")
    typed = pattern.coerce(pattern.example_values())
    compiled, _ = compile_pattern(model, pattern, typed)
    assert "FROM main.opportunities" in compiled.sql and compiled.sql == pattern.render(
        typed, table=lambda t: {"opportunities": "main.opportunities"}.get(t, t))[0]
    # Free SQL in canonical names reaches the renamed table too.
    out = compile_sql(model, "SELECT count(*) FROM opportunities")
    assert out.sql.startswith("WITH opportunities AS (SELECT * FROM main.opportunities)")


def test_identity_sql_is_returned_untouched():
    text = "SELECT o.name  FROM opportunities o -- mine\nWHERE o.stage NOT IN ('Closed Won')"
    assert compile_sql(identity_model(), text).sql is text


# --- the shape of the compiled SQL -------------------------------------------------------------------------

@pytest.fixture
def model(tmp_path, revops_home):
    from revops_cli.config import load_settings

    mapped.write_model(tmp_path / "model")
    return model_for(load_settings())


def test_relation_emits_only_the_columns_asked_for(model):
    rel = relation(model, "opportunities", ["opportunity_id", "amount", "forecast_category", "champion_status"])
    assert rel.startswith("(SELECT o.opp_id AS opportunity_id, ")
    assert "CAST(o.tcv AS DOUBLE PRECISION) * 12 / NULLIF(o.contract_months, 0) AS amount" in rel
    assert "CAST(NULL AS TEXT) AS forecast_category" in rel
    assert "CASE o.champion_word WHEN 'Not Defined' THEN 'Unknown'" in rel and "ELSE 'Unknown' END" in rel
    assert rel.endswith("FROM crm_opportunity o WHERE (o.is_deleted = FALSE))")
    assert "stage" not in rel and "close_date" not in rel
    # A missing entity is an empty relation of the right types; a query entity is wrapped to prune.
    assert relation(model, "targets", ["segment", "bookings_target"]) == (
        "(SELECT CAST(NULL AS TEXT) AS segment, CAST(NULL AS DOUBLE PRECISION) AS bookings_target WHERE 1 = 0)")
    assert relation(model, "billing_monthly", ["revenue"]).startswith("(SELECT q.revenue FROM (SELECT account_id")


def test_free_sql_gets_a_cte_per_entity_it_reads(model):
    out = compile_sql(model, "SELECT a.segment, SUM(o.amount) FROM opportunities o "
                             "JOIN accounts a ON a.account_id = o.account_id WHERE o.stage NOT IN ('Closed Lost') "
                             "GROUP BY 1")
    assert out.sql.startswith("WITH opportunities AS (SELECT ")
    assert "accounts AS (SELECT " in out.sql
    # The caller's text follows verbatim (no sqlglot regeneration: NOT IN stays NOT IN).
    assert out.sql.endswith("WHERE o.stage NOT IN ('Closed Lost') GROUP BY 1")
    assert out.entities == ["opportunities", "accounts"] and out.mapped
    assert out.approximations == {"opportunities.amount": "ARR annualised from TCV by contract_months"}
    assert out.missing == {}


def test_ctes_go_inside_a_leading_with_and_user_ctes_keep_their_names(model):
    text = ("/* mine */ WITH RECURSIVE calls AS (SELECT 1 AS call_id), t(n) AS (SELECT 1 UNION ALL "
            "SELECT n + 1 FROM t WHERE n < 3) SELECT o.name FROM opportunities o, calls, t")
    out = compile_sql(model, text)
    assert out.sql.startswith("/* mine */ WITH RECURSIVE opportunities AS (SELECT ")
    assert "calls AS (SELECT 1 AS call_id)" in out.sql and out.entities == ["opportunities"]
    assert splice_ctes("with x as (select 1) select * from x", ["y AS (SELECT 2)"]) == \
        "with y AS (SELECT 2),\nx as (select 1) select * from x"


def test_missing_columns_and_entities_used_are_named(model):
    out = compile_sql(model, "SELECT c.transcript, c.brief FROM calls c")
    assert out.missing == {"calls.transcript": "this warehouse has no call transcripts"}
    out = compile_sql(model, "SELECT * FROM targets")
    assert out.missing == {"targets": "no targets table in this warehouse"}
    # A column of the same name on another entity is not blamed: a.region is mapped.
    out = compile_sql(model, "SELECT a.name FROM accounts a JOIN calls c ON c.account_id = a.account_id")
    assert out.missing == {}


# --- every pattern on a warehouse without the canonical tables -----------------------------------------------

def test_every_shipped_pattern_runs_on_the_mapped_warehouse(demo_db, mapped_db, settings_for, tmp_path):
    from revops_cli.warehouse.queries import run_pattern

    mapped.write_model(tmp_path / "model")
    mapped_settings = settings_for(mapped_db)
    mapped_wh = _open(mapped_settings)
    tables = {r[0] for r in mapped_wh.query("SELECT table_name FROM information_schema.tables").rows}
    assert not tables & set(identity_model().entities)
    canonical_wh = _open(settings_for(demo_db))
    checked = 0
    for pattern in PATTERNS:
        typed = pattern.coerce(pattern.example_values())
        _, _, result = run_pattern(Recorder(mapped_wh), mapped_settings, pattern.name, typed)
        expected = canonical_wh.query(*pattern.render(typed))
        assert result.columns == expected.columns, pattern.name
        missing = result.meta.get("model", {}).get("missing")
        if missing:    # the receipt says which data is absent; the numbers may differ
            continue
        assert _rows(result) == _rows(expected), pattern.name
        checked += 1
    assert checked >= 20     # most patterns read only data that maps exactly


def test_data_sql_on_the_mapped_warehouse_counts_the_live_rows(demo_db, mapped_db, capsys, settings_for, tmp_path):
    import duckdb

    mapped.write_model(tmp_path / "model")
    settings_for(mapped_db)
    res = run(capsys, "data", "sql", "SELECT count(*) AS n FROM opportunities", "-f", "json")
    assert res.code == 0, res.err
    with duckdb.connect(str(demo_db), read_only=True) as con:
        n = con.execute("SELECT count(*) FROM opportunities").fetchone()[0]
    assert res.json()["rows"][0]["n"] == n    # the soft-deleted rows of crm_opportunity are filtered out


def test_a_mapping_the_warehouse_rejects_names_its_model_line(mapped_db, capsys, settings_for, tmp_path):
    path = mapped.write_model(tmp_path / "model", mapped.MODEL.replace("o.tcv", "o.tvc"))
    settings_for(mapped_db)
    res = run(capsys, "data", "sql", "SELECT SUM(amount) FROM opportunities")
    assert res.code == 3
    line = next(i for i, text in enumerate(path.read_text().splitlines(), 1) if "amount: {sql:" in text)
    assert f"{path}:{line}" in res.err and "opportunities.amount" in res.err
    # A filter that breaks is named the same way, at the entity's line.
    mapped.write_model(tmp_path / "model", mapped.MODEL.replace("c.is_deleted = FALSE", "c.deleted = FALSE"))
    res = run(capsys, "data", "sql", "SELECT count(*) FROM calls")
    assert res.code == 3 and "c.deleted = FALSE" in res.err and "mapped.yaml:" in res.err
    # A whole-entity query that runs but lacks a canonical column is named with the column.
    mapped.write_model(tmp_path / "model", mapped.MODEL.replace("MAX(plan) AS plan", "MAX(plan) AS tier"))
    res = run(capsys, "data", "sql", "SELECT plan, SUM(revenue) FROM billing_monthly GROUP BY 1")
    assert res.code == 3 and "the query of entity 'billing_monthly' has no column 'plan'" in res.err


def test_a_broken_pattern_on_a_mapped_model_is_not_blamed_on_the_model(model, mapped_db, settings_for):
    from revops_cli.errors import WarehouseError
    from revops_cli.warehouse.queries import run_sql

    settings = settings_for(mapped_db)
    with pytest.raises(WarehouseError):
        run_sql(Recorder(_open(settings)), settings, "SELECT nonexistent_column FROM opportunities")
    with pytest.raises(ConfigError):
        model.entity("oportunities")


def test_sql_sqlglot_cannot_read_still_gets_its_entities(model, monkeypatch):
    from revops_cli.model import compile as compiler

    text = "SELECT o.name FROM opportunities o WHERE o.stage = 'Negotiate'"
    compiler.analyse.cache_clear()
    monkeypatch.setattr("sqlglot.parse_one", lambda *a, **k: (_ for _ in ()).throw(__import__("sqlglot").ParseError("x")))
    out = compile_sql(model, text)
    compiler.analyse.cache_clear()
    assert out.entities == ["opportunities"] and out.sql.endswith(text)
    assert "AS forecast_category" in out.sql       # every column: nothing known about what it reads


def test_mapped_sql_runs_through_firebolt_sdk_as_on_duckdb(demo_db, mapped_db, settings_for, tmp_path):
    """The compiled text (CTEs, CASE value maps, typed NULLs) goes through firebolt-sdk and the Firebolt
    backend's own read-only guard to the Firebolt Core fake, and gives the canonical warehouse's rows."""
    import shutil

    from fakes.firebolt_core import FireboltCoreFake
    from revops_cli.warehouse.firebolt import FireboltWarehouse
    from revops_cli.warehouse.queries import run_pattern, run_sql

    mapped.write_model(tmp_path / "model")
    settings = settings_for(mapped_db)
    served = tmp_path / "firebolt-side.duckdb"
    shutil.copy(mapped_db, served)
    canonical = _open(settings_for(demo_db))
    with FireboltCoreFake(served, database="revops") as url:
        fire = Recorder(FireboltWarehouse(url=url, database="revops"))
        try:
            for name in ("pipeline_by_quarter_and_stage", "win_rate", "revenue_by_month", "revenue_by_segment"):
                pattern = PATTERNS.get(name)
                typed = pattern.coerce(pattern.example_values())
                _, _, result = run_pattern(fire, settings, name, typed)
                assert _rows(result) == _rows(canonical.query(*pattern.render(typed))), name
            sql = "WITH won AS (SELECT * FROM opportunities WHERE is_won) SELECT COUNT(*) AS n FROM won"
            assert run_sql(fire, settings, sql).rows == canonical.query(sql).rows
        finally:
            fire.inner.close()
