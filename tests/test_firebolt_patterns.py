"""The same SQL patterns, and a whole deal answer, run through firebolt-sdk against the Firebolt Core fake
and give what DuckDB gives."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest

from fakes.firebolt_core import FireboltCoreFake
from cli import run

PATTERNS = {
    "deal_lookup": {"name": "ixis"},
    "deals_closing_in_period": {"start_date": "2026-10-01", "end_date": "2026-12-31", "limit": 500},
    "pipeline_by_quarter_and_stage": {"start_date": "2026-10-01", "end_date": "2027-03-31"},
    "weighted_pipeline": {"start_date": "2026-10-01", "end_date": "2026-12-31"},
    "win_rate": {"start_date": "2026-01-01", "end_date": "2026-11-24"},
    "revenue_by_segment": {"start_date": "2026-10-01", "end_date": "2026-12-31"},
    "competitor_mentions": {"start_date": "2026-07-01", "end_date": "2026-09-30"},
    "new_leads_by_source": {"start_date": "2026-10-25", "end_date": "2026-11-24"},
    "declining_usage": {"as_of": "2026-11-24", "min_decline_pct": 0},
}


def _plain(v):
    """Compare values across drivers: integer widths and numeric types differ, the values must not."""
    if isinstance(v, Decimal):
        return round(float(v), 6)
    if isinstance(v, float):
        return round(v, 6)
    if isinstance(v, datetime):
        return v.replace(tzinfo=None)
    return v


@pytest.fixture
def both(demo_db, settings_for, tmp_path):
    import shutil

    from revops_cli.warehouse.duckdb_backend import DuckDBWarehouse
    from revops_cli.warehouse.firebolt import FireboltWarehouse

    settings = settings_for(demo_db)
    served = tmp_path / "firebolt-side.duckdb"       # one process may not open a file with two configs
    shutil.copy(demo_db, served)
    with FireboltCoreFake(served, database="revops") as url:
        duck, fire = DuckDBWarehouse(demo_db), FireboltWarehouse(url=url, database="revops")
        yield settings, duck, fire, url
        fire.close()
        duck.close()


@pytest.mark.parametrize("name", sorted(PATTERNS))
def test_pattern_gives_the_same_rows_on_duckdb_and_firebolt(both, name):
    from revops_cli.warehouse.queries import pattern_catalog

    settings, duck, fire, _ = both
    pattern = pattern_catalog(settings).get(name)
    sql, params = pattern.render(pattern.coerce(PATTERNS[name]), table=settings.table)
    a, b = duck.query(sql, params), fire.query(sql, params)
    assert a.columns == b.columns
    assert [tuple(map(_plain, r)) for r in a.rows] == [tuple(map(_plain, r)) for r in b.rows]
    assert len(a.rows) > 0, f"{name} returned nothing: the comparison would prove little"


def test_a_deal_answer_through_firebolt_matches_duckdb(both, capsys, monkeypatch):
    settings, _, _, url = both
    on_duck = run(capsys, "deal", "IXIS", "-f", "json")
    assert on_duck.code == 0, on_duck.err
    monkeypatch.setenv("REVOPS_WAREHOUSE", "firebolt")
    monkeypatch.setenv("REVOPS_FIREBOLT_URL", url)
    monkeypatch.setenv("REVOPS_FIREBOLT_DATABASE", "revops")
    on_fire = run(capsys, "deal", "IXIS", "-f", "json")
    assert on_fire.code == 0, on_fire.err
    a, b = on_duck.json(), on_fire.json()
    assert a["answer"] == b["answer"]
    assert a["data"]["meddpicc"] == b["data"]["meddpicc"]
    assert any(s.get("sql_pattern") == "deal_detail" and s.get("cached") is False for s in b["trace"])
