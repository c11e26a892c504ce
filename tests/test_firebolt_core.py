"""The real-Firebolt suite: `make test-firebolt` runs it on the Firebolt Core at REVOPS_FIREBOLT_URL, and
skips with the reason when none answers there; `make test` runs the very same steps on the wire fake.

It creates the database and the canonical schema, loads the demo warehouse through firebolt-sdk, and then
compares with DuckDB: the row counts, every SQL pattern, the README tour and every Data-agent analysis as a
user runs them (JSON answers), and `revops eval` when the CLI has it."""

from __future__ import annotations

import pytest

import firebolt_suite as suite
from cli import run
from conftest import AS_OF

TARGETS = ["firebolt-core", "wire-fake"]


@pytest.fixture(scope="module", params=TARGETS)
def core(request, tmp_path_factory):
    """(url, database, demo DuckDB path) with the demo loaded into Firebolt."""
    from revops_cli.warehouse.demo_data import generate

    demo = tmp_path_factory.mktemp("fbsuite") / "demo.duckdb"
    if request.param == "firebolt-core":
        url = suite.core_url()
        reason = suite.unreachable(url)
        if reason:
            pytest.skip(f"make test-firebolt: skipped: {reason}")
        generate(demo, scale=0.3, seed=42, as_of=AS_OF)
        counts = suite.load_demo(url, suite.DATABASE, demo)
        yield url, suite.DATABASE, demo, counts, request.param
        return
    import duckdb

    from fakes.firebolt_core import FireboltCoreFake

    generate(demo, scale=0.3, seed=42, as_of=AS_OF)
    served = demo.parent / "served.duckdb"
    duckdb.connect(str(served)).close()                         # an empty warehouse: the suite fills it
    with FireboltCoreFake(served, database=suite.DATABASE) as url:
        counts = suite.load_demo(url, suite.DATABASE, demo)
        yield url, suite.DATABASE, demo, counts, request.param


@pytest.fixture
def on(core, settings_for, monkeypatch):
    """Switch the CLI between the two warehouses: on('duckdb') / on('firebolt')."""
    url, database, demo, _, _ = core
    settings_for(demo)

    def switch(kind: str):
        if kind == "firebolt":
            monkeypatch.setenv("REVOPS_WAREHOUSE", "firebolt")
            monkeypatch.setenv("REVOPS_FIREBOLT_URL", url)
            monkeypatch.setenv("REVOPS_FIREBOLT_DATABASE", database)
        else:
            monkeypatch.delenv("REVOPS_WAREHOUSE", raising=False)
    return switch


def test_the_demo_loads_through_firebolt_sdk(core):
    import duckdb

    from revops_cli.warehouse.firebolt import FireboltWarehouse

    url, database, demo, counts, _ = core
    con = duckdb.connect(str(demo), read_only=True)
    fire = FireboltWarehouse(url=url, database=database)
    try:
        for table, _, _ in suite.schema_statements():
            expected = con.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
            assert counts[table] == expected > 0, table
            got = fire.query(f"SELECT COUNT(*) AS n FROM {table}").rows[0][0]
            assert got == expected and type(got) is int, table          # NUMERIC(38, 0) read as an int
    finally:
        fire.close()
        con.close()


def test_every_pattern_gives_what_duckdb_gives(core, settings_for):
    from revops_cli.warehouse.duckdb_backend import DuckDBWarehouse
    from revops_cli.warehouse.firebolt import FireboltWarehouse

    url, database, demo, _, _ = core
    settings = settings_for(demo)
    duck, fire = DuckDBWarehouse(demo), FireboltWarehouse(url=url, database=database)
    try:
        assert suite.pattern_mismatches(settings, duck, fire) == []
    finally:
        fire.close()
        duck.close()


@pytest.mark.parametrize("argv", suite.tour(), ids=lambda a: " ".join(a)[:60])
def test_the_tour_and_every_analysis_answer_the_same(core, on, capsys, argv):
    if core[-1] == "wire-fake" and argv not in suite.FAKE_TOUR:
        pytest.skip("on the wire fake `make test` runs a sample of the tour; `make test-firebolt` runs all of it")
    on("duckdb")
    a = run(capsys, "--refresh", *argv, "-f", "json")
    on("firebolt")
    b = run(capsys, "--refresh", *argv, "-f", "json")
    assert (a.code, b.code) == (0, 0), (a.err, b.err)
    assert suite.comparable(a.json()) == suite.comparable(b.json())


def test_revops_eval_gives_the_same_results(core, on, capsys):
    """The shipped `revops eval` suite on both warehouses: the same cases pass, with the same answers."""
    if core[-1] == "wire-fake":
        pytest.skip("the whole eval suite runs on a real Firebolt Core only (make test-firebolt)")
    from revops_cli.app import app

    if not any(getattr(c, "name", None) == "eval" for c in app.registered_commands) and \
            not any(g.name == "eval" for g in app.registered_groups):
        pytest.skip("this revops has no `revops eval` command")
    runs = []
    for kind in ("duckdb", "firebolt"):
        on(kind)
        r = run(capsys, "--refresh", "eval", "--min-pass", "0", "-f", "json")
        assert r.code == 0, r.err
        runs.append({c["id"]: (c["passed"], [t.get("answer") for t in c.get("turns") or []])
                     for c in r.json()["cases"]})
    duck, fire = runs
    assert fire.keys() == duck.keys()
    differ = sorted(k for k in duck if duck[k] != fire[k])
    assert not differ, f"{len(differ)} cases differ between DuckDB and Firebolt: {differ[:10]}"
