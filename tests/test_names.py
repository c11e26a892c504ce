"""Names first (issue 13 part 1): what a question names is found in the warehouse before any keyword rule."""

from __future__ import annotations

from pathlib import Path

import pytest


def _ctx(db: Path, text: str = ""):
    from revops_cli.agents.base import AgentContext
    from revops_cli.config import load_settings
    from revops_cli.models import Request, Trace
    from revops_cli.warehouse.connect import open_warehouse

    settings = load_settings()
    settings.data["warehouse"]["path"] = str(db)
    settings.data["cache"]["enabled"] = False
    wh = open_warehouse(settings)
    return AgentContext(settings=settings, warehouse=wh, trace=Trace(), request=Request(text=text)), wh


@pytest.fixture
def lookalikes(tmp_path) -> Path:
    """Two companies one typo apart: Corvana Systems with two lost deals, Corvena Labs with a $1.4M open deal."""
    import duckdb

    from revops_cli.agents.names import forget_index

    forget_index()
    db = tmp_path / "lookalikes.duckdb"
    schema = (Path(__file__).resolve().parents[1] / "revops_cli" / "warehouse" / "schema.sql").read_text()
    con = duckdb.connect(str(db))
    con.execute(schema)
    con.execute("INSERT INTO accounts (account_id, name, segment, region, account_type) VALUES "
                "('A1', 'Corvana Systems', 'Enterprise', 'EMEA', 'prospect'), "
                "('A2', 'Corvena Labs', 'Mid-Market', 'NA', 'prospect')")
    con.execute("INSERT INTO users (user_id, name, role) VALUES ('U1', 'Dana Whit', 'AE')")
    con.execute("""INSERT INTO opportunities (opportunity_id, name, account_id, type, stage, amount, probability,
                   close_date, owner_id, is_closed, is_won) VALUES
                   ('O1', 'Corvana Systems - Pilot', 'A1', 'New Business', 'Closed Lost', 300000, 0, DATE '2026-05-01', 'U1', TRUE, FALSE),
                   ('O2', 'Corvana Systems - Platform', 'A1', 'New Business', 'Closed Lost', 500000, 0, DATE '2026-08-01', 'U1', TRUE, FALSE),
                   ('O3', 'Corvena Labs - Lakehouse', 'A2', 'New Business', 'Negotiate', 1400000, 75, DATE '2026-12-15', 'U1', FALSE, FALSE)""")
    con.close()
    return db


def test_misspelt_company_prefers_the_one_with_an_open_deal_and_says_so(lookalikes):
    from revops_cli.agents.manager import plan

    q = "what's the status of Corvuna?"       # one letter from each
    ctx, wh = _ctx(lookalikes, q)
    try:
        route = plan(ctx, q)
    finally:
        wh.close()
    assert route.agent == "deal_analysis"
    assert route.entities["opportunity"]["name"] == "Corvena Labs - Lakehouse"
    notes = [s.detail for s in ctx.trace.steps if s.kind == "note"]
    assert any("Corvena Labs" in n and "open deal" in n and "Corvana Systems" in n for n in notes), notes


@pytest.mark.parametrize("q", ["what is the average deal size?", "what is our biggest deal this quarter?",
                               "deal count by region", "average sales cycle for mid-market deals"])
def test_metric_phrases_are_never_names(demo_db, q):
    from revops_cli.agents.manager import plan
    from revops_cli.agents.names import find_names, forget_index

    forget_index()
    ctx, wh = _ctx(demo_db, q)
    try:
        names = find_names(ctx, q)
        route = plan(ctx, q)
    finally:
        wh.close()
    assert not names.of("opportunity", "account", "lead", "contact", "company"), names.mentions
    assert route.agent == "data"


def test_vocabulary_comes_from_the_warehouse(demo_db):
    """Regions, segments, stages, competitors (typo too) and reps are found by their warehouse values."""
    import duckdb

    from revops_cli.agents.names import find_names, forget_index

    con = duckdb.connect(str(demo_db), read_only=True)
    rep = con.execute("SELECT name FROM users WHERE role = 'AE' ORDER BY user_id LIMIT 1").fetchone()[0]
    con.close()
    forget_index()
    q = f"open deals of {rep} in Europe, mid market, in Negotiation, against Snowfalke"
    ctx, wh = _ctx(demo_db, q)
    try:
        names = find_names(ctx, q)
    finally:
        wh.close()
    got = {(m.kind, m.value) for m in names.mentions}
    assert {("owner", rep), ("region", "EMEA"), ("segment", "Mid-Market"), ("stage", "Negotiate"),
            ("competitor", "Snowflake")} <= got


def test_a_lead_by_name_alone_goes_to_the_lead_agent(demo_db):
    import duckdb

    from revops_cli.agents.manager import plan
    from revops_cli.agents.names import forget_index

    con = duckdb.connect(str(demo_db), read_only=True)
    name = con.execute("SELECT name FROM leads WHERE name IN (SELECT name FROM leads GROUP BY name HAVING COUNT(*) = 1) "
                       "AND name NOT IN (SELECT name FROM contacts) ORDER BY lead_id LIMIT 1").fetchone()[0]
    con.close()
    forget_index()
    q = f"is {name} worth pursuing?"
    ctx, wh = _ctx(demo_db, q)
    try:
        route = plan(ctx, q)
    finally:
        wh.close()
    assert route.agent == "lead_analysis"
    assert route.entities["person"]["name"] == name


@pytest.fixture
def quarry(tmp_path) -> Path:
    """An account one letter from a period word: 'Quarry Lending LLC' with two open deals."""
    import duckdb

    from revops_cli.agents.names import forget_index

    forget_index()
    db = tmp_path / "quarry.duckdb"
    schema = (Path(__file__).resolve().parents[1] / "revops_cli" / "warehouse" / "schema.sql").read_text()
    con = duckdb.connect(str(db))
    con.execute(schema)
    con.execute("INSERT INTO accounts (account_id, name, segment, region, account_type) VALUES "
                "('A1', 'Quarry Lending LLC', 'SMB', 'EMEA', 'customer')")
    con.execute("INSERT INTO users (user_id, name, role) VALUES ('U1', 'Dana Whit', 'AE')")
    con.execute("""INSERT INTO opportunities (opportunity_id, name, account_id, type, stage, amount, probability,
                   close_date, owner_id, is_closed, is_won) VALUES
                   ('O1', 'Quarry Lending LLC - Expansion', 'A1', 'Expansion', 'Negotiate', 90000, 75, DATE '2026-12-15', 'U1', FALSE, FALSE),
                   ('O2', 'Quarry Lending LLC - Renewal 2026', 'A1', 'Renewal', 'Discovery', 40000, 20, DATE '2026-12-20', 'U1', FALSE, FALSE)""")
    con.close()
    return db


@pytest.mark.parametrize("q", ["trigger the webhook with this quarter's bookings", "what's this quarter's pipeline",
                               "post last quarter's revenue to the webhook", "this year's win rate"])
def test_a_possessive_period_word_is_never_a_name(quarry, q):
    from revops_cli.agents.names import find_names

    ctx, wh = _ctx(quarry, q)
    try:
        names = find_names(ctx, q)
    finally:
        wh.close()
    assert not names.of("opportunity", "account", "lead", "contact", "company"), names.mentions
