"""`revops model check` and `revops model show` on the demo warehouse (its identity model), through DuckDB and
Firebolt's protocol; test_check_mapped.py breaks mapped models on purpose."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from cli import run


OPPS_SAME_NAMES = """entities:
  opportunities:
    from: opportunities o
    same_names: true
    columns:
"""


@pytest.fixture(scope="module")
def raw(demo_db):
    import duckdb

    con = duckdb.connect(str(demo_db), read_only=True)

    def rows(sql):
        cur = con.execute(sql)
        cols = [d[0] for d in cur.description]
        return [dict(zip(cols, r)) for r in cur.fetchall()]

    out = {t: rows(f"SELECT * FROM {t}") for t in ("accounts", "opportunities", "contacts")}
    con.close()
    return out


def model_file(tmp_path: Path, text: str, name: str = "m.yaml") -> Path:
    folder = tmp_path / "model"
    folder.mkdir(exist_ok=True)
    (folder / name).write_text(text)
    return folder / name


def line_of(path: Path, needle: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if needle in line)


def check(capsys, settings_for, db, *extra):
    settings_for(db)
    return run(capsys, "model", "check", *extra)


def caps(report, kind=None):
    return {c["name"]: c for c in report["capabilities"] if kind is None or c["kind"] == kind}


def test_the_demo_warehouse_checks_clean_and_everything_works(capsys, settings_for, demo_db, raw):
    result = check(capsys, settings_for, demo_db, "--format", "json")
    assert result.code == 0, result.out + result.err
    report = result.json()
    assert report["ok"] and report["summary"]["broken"] == 0 and report["summary"]["unavailable"] == 0
    assert set(report) == {"ok", "warehouse", "preset", "files", "summary", "entities", "findings",
                           "capabilities", "elapsed_ms"}
    ents = {e["name"]: e for e in report["entities"]}
    assert ents["accounts"]["rows"] == len(raw["accounts"]) == ents["accounts"]["distinct_keys"]
    assert ents["opportunities"]["rows"] == len(raw["opportunities"]) and ents["opportunities"]["mapping"] == "identity"
    assert {"revops deal", "revops lead", "revops data sql"} <= set(caps(report, "command"))
    assert {"bookings", "net_revenue_retention"} <= set(caps(report, "measure"))
    assert all(c["status"] == "works" for c in report["capabilities"])
    assert not [f for f in report["findings"] if f["level"] != "info"]

    screen = check(capsys, settings_for, demo_db)
    assert screen.code == 0 and "OK: nothing required is broken" in screen.out
    assert f"opportunities {len(raw['opportunities']):,}" in screen.out


def test_model_show_lists_measures_dimensions_and_mapping(capsys, settings_for, demo_db, tmp_path):
    model_file(tmp_path, """entities:
  calls:
    from: calls c
    same_names: true
    columns:
      transcript: {missing: no transcripts}
      title: {sql: c.title, approx: the meeting name}
""")
    settings_for(demo_db)
    result = run(capsys, "model", "show", "--format", "json")
    assert result.code == 0
    shown = result.json()
    assert {m["name"] for m in shown["measures"]} >= {"pipeline", "bookings", "net_revenue_retention"}
    assert {d["name"] for d in shown["dimensions"]} >= {"segment", "close_date"}
    calls = next(e for e in shown["entities"] if e["name"] == "calls")
    assert calls["mapping"] == "from" and calls["missing"] == {"transcript": "no transcripts"}
    assert calls["approx"] == {"title": "the meeting name"} and "title" in calls["mapped"]
    screen = run(capsys, "model", "show")
    assert screen.code == 0 and "net_revenue_retention" in screen.out and "transcript" in screen.out
    wrong = run(capsys, "model", "show", "--format", "csv")
    assert wrong.code == 2 and "table or JSON" in wrong.err and "Traceback" not in wrong.err


def test_the_command_table_names_every_pattern_the_agents_run():
    from revops_cli.model.check import COMMANDS
    from revops_cli.warehouse.queries import pattern_catalog
    from revops_cli.config import load_settings

    root = Path(__import__("revops_cli").__file__).parent / "agents"
    for command, module in (("revops deal", "deal.py"), ("revops lead", "lead.py")):
        named = set(re.findall(r"run_pattern\(\s*\w+,\s*\"(\w+)\"", (root / module).read_text()))
        assert named and named <= set(COMMANDS[command]), (command, named - set(COMMANDS[command]))
    catalog = pattern_catalog(load_settings())
    assert all(p in catalog for pats in COMMANDS.values() for p in pats)


def test_the_check_reads_the_same_through_firebolt(demo_db, settings_for, tmp_path, raw):
    """Firebolt's type names (integer, double precision, text, date, timestamp, boolean) fit as DuckDB's do."""
    import shutil

    from fakes.firebolt_core import FireboltCoreFake
    from revops_cli.model.check import check_model
    from revops_cli.warehouse.firebolt import FireboltWarehouse

    settings = settings_for(demo_db)
    served = tmp_path / "fb.duckdb"
    shutil.copy(demo_db, served)
    with FireboltCoreFake(served, database="revops") as url:
        fire = FireboltWarehouse(url=url, database="revops")
        report = check_model(settings, fire)
        fire.close()
    assert report.ok, [f.to_dict() for f in report.findings if f.level != "info"]
    assert not [f for f in report.findings if f.level == "warning"]
    rows = {e.name: e.rows for e in report.entities}
    assert rows["opportunities"] == len(raw["opportunities"]) and rows["accounts"] == len(raw["accounts"])


@pytest.mark.parametrize("query,key,unique", [
    ("SELECT a AS account_id, m AS month, SUM(x) AS revenue FROM t GROUP BY 1, 2", ["account_id", "month"], True),
    ("SELECT a AS account_id, m AS month, SUM(x) AS revenue FROM t GROUP BY a, m", ["account_id", "month"], True),
    ("SELECT a AS account_id, m AS month, SUM(x) AS revenue FROM t GROUP BY account_id, month", ["account_id", "month"], True),
    # grouped by more than the key, or by something not in the output: a key can repeat
    ("SELECT a AS account_id, m AS month, SUM(x) AS revenue FROM t GROUP BY 1, 2, p", ["account_id", "month"], False),
    ("SELECT a AS account_id, SUM(x) AS revenue FROM t GROUP BY 1", ["account_id", "month"], False),
    ("SELECT a AS account_id, m AS month FROM t", ["account_id", "month"], False),
    ("SELECT a AS account_id, m AS month FROM t GROUP BY 1, 2 UNION ALL SELECT a, m FROM u GROUP BY 1, 2",
     ["account_id", "month"], False),
])
def test_a_rollup_grouped_by_its_key_is_unique_by_construction(query, key, unique):
    """`revops model check` counts repeated keys of a query entity only when its GROUP BY does not already make
    each key unique (the reference-v5 billing rollup is the slowest part of the check otherwise)."""
    from revops_cli.model.check import unique_by_grouping
    from revops_cli.model.spec import Entity

    assert unique_by_grouping(Entity(name="billing_monthly", columns={}, query=query), key) is unique


def test_a_report_with_a_section_it_cannot_answer_is_degraded_not_unavailable(capsys, settings_for, reference_db,
                                                                            tmp_path):
    """`revops report pipeline` runs on reference-v5 (exit 0) with its coverage section saying there are no
    targets: the check calls it degraded and names the section, like the report itself does."""
    (tmp_path / "revops.yaml").write_text("model:\n  preset: reference-v5\n")
    report = check(capsys, settings_for, reference_db, "--format", "json").json()
    c = caps(report)
    assert c["coverage"]["status"] == "unavailable"
    assert c["revops report pipeline"]["status"] == "degraded"
    assert any(r.startswith("section coverage unavailable: no targets") for r in c["revops report pipeline"]["reasons"])
