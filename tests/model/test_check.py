"""`revops model check` and `revops model show`: a model over the demo tables, broken on purpose in one place
at a time; each break is named with its model file:line, with counts recomputed here from the raw tables."""

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


def test_a_broken_column_is_named_with_its_file_and_line_and_breaks_what_reads_it(
        capsys, settings_for, demo_db, tmp_path):
    path = model_file(tmp_path, OPPS_SAME_NAMES + "      name: o.opportunity_title\n")
    result = check(capsys, settings_for, demo_db, "--format", "json")
    assert result.code == 3
    report = result.json()
    assert not report["ok"]
    errors = [f for f in report["findings"] if f["level"] == "error"]
    assert [(f["subject"], f["where"]) for f in errors] == [
        ("opportunities.name", f"{path}:{line_of(path, 'opportunity_title')}")]
    assert caps(report)["revops deal"]["status"] == "broken"
    assert caps(report)["revops data sql"]["status"] == "broken"
    assert caps(report, "measure")["revenue"]["status"] == "works"        # billing does not read it

    screen = check(capsys, settings_for, demo_db)
    assert screen.code == 3
    assert f"opportunities.name" in screen.out and f"{path.name}:{line_of(path, 'opportunity_title')}" in screen.out
    assert "BROKEN" in screen.out


def test_values_a_value_map_misses_are_listed_with_their_counts(capsys, settings_for, demo_db, tmp_path, raw):
    stage_sql = "CASE WHEN o.stage = 'Negotiate' THEN 'Negotiation' ELSE o.stage END"
    path = model_file(tmp_path, "value_maps:\n  stages:\n    values: {Negotiate: [Negotiation]}\n"
                      + OPPS_SAME_NAMES + f"      stage: {{sql: \"{stage_sql}\", map: stages}}\n")
    report = check(capsys, settings_for, demo_db, "--format", "json").json()
    expected = Counter(o["stage"] for o in raw["opportunities"] if o["stage"] not in (None, "Negotiate"))
    (finding,) = [f for f in report["findings"] if f["subject"] == "opportunities.stage"]
    assert finding["level"] == "error" and finding["where"] == f"{path}:{line_of(path, 'stage:')}"
    assert {v["value"]: v["rows"] for v in finding["values"]} == dict(expected)
    assert finding["count"] == sum(expected.values())
    assert not report["ok"]

    # with a default the unmapped words become that word: listed, but nothing is broken
    model_file(tmp_path, "value_maps:\n  stages:\n    values: {Negotiate: [Negotiation]}\n    default: Other\n"
               + OPPS_SAME_NAMES + f"      stage: {{sql: \"{stage_sql}\", map: stages}}\n")
    result = check(capsys, settings_for, demo_db, "--format", "json")
    report = result.json()
    (finding,) = [f for f in report["findings"] if f["subject"] == "opportunities.stage"]
    assert finding["level"] == "warning" and "'Other'" in finding["message"]
    assert result.code == 0 and report["ok"]
    assert caps(report)["revops deal"]["status"] == "degraded"


def test_a_join_that_multiplies_rows_and_orphans(capsys, settings_for, demo_db, tmp_path, raw):
    path = model_file(tmp_path, """entities:
  accounts:
    from: accounts a LEFT JOIN contacts c ON c.account_id = a.account_id
    same_names: true
    columns:
      account_id: a.account_id
      name: a.name
      created_date: a.created_date
""")
    report = check(capsys, settings_for, demo_db, "--format", "json").json()
    per_account = Counter(c["account_id"] for c in raw["contacts"])
    rows = sum(max(1, per_account[a["account_id"]]) for a in raw["accounts"])
    ents = {e["name"]: e for e in report["entities"]}
    assert (ents["accounts"]["rows"], ents["accounts"]["distinct_keys"]) == (rows, len(raw["accounts"]))
    errors = {f["subject"]: f for f in report["findings"] if f["level"] == "error"}
    assert errors["accounts"]["count"] == rows - len(raw["accounts"])
    assert errors["accounts"]["where"] == f"{path}:{line_of(path, 'from:')}"
    assert not report["ok"]

    model_file(tmp_path, """entities:
  accounts:
    from: accounts a
    same_names: true
    where: ["a.segment <> 'SMB'"]
""")
    report = check(capsys, settings_for, demo_db, "--format", "json").json()
    smb = {a["account_id"] for a in raw["accounts"] if a["segment"] == "SMB"}
    orphans = sum(1 for o in raw["opportunities"] if o["account_id"] in smb)
    (finding,) = [f for f in report["findings"] if f["subject"] == "opportunities.account_id -> accounts.account_id"]
    assert finding["count"] == orphans > 0
    assert f"{orphans} of {len(raw['opportunities'])}" in finding["message"]


def test_missing_data_degrades_or_makes_unavailable(capsys, settings_for, demo_db, tmp_path):
    model_file(tmp_path, """entities:
  calls:
    from: calls c
    same_names: true
    columns:
      transcript: {missing: this warehouse has no call transcripts}
  targets:
    missing: no targets table here
  opportunity_stage_history:
    from: opportunity_stage_history h
    same_names: true
    columns:
      old_close_date: {missing: no close-date history}
""")
    result = check(capsys, settings_for, demo_db, "--format", "json")
    report = result.json()
    c = caps(report)
    assert c["competitor_mentions"]["status"] == "degraded"
    assert any("no calls.transcript: this warehouse has no call transcripts" in r
               for r in c["competitor_mentions"]["reasons"])
    assert c["forecast_vs_target"]["status"] in ("degraded", "unavailable")
    assert any("no targets" in r for r in c["forecast_vs_target"]["reasons"])
    assert caps(report, "measure")["slip_count"]["status"] == "unavailable"
    assert caps(report, "measure")["bookings"]["status"] == "works"
    assert result.code == 0 and report["ok"]        # declared missing is not broken


def test_types_and_ranges_are_checked(capsys, settings_for, demo_db, tmp_path):
    path = model_file(tmp_path, OPPS_SAME_NAMES + "      probability: o.probability / 100.0\n"
                      "      amount: CAST(o.amount AS TEXT)\n")
    result = check(capsys, settings_for, demo_db, "--format", "json")
    report = result.json()
    found = {(f["subject"], f["level"]): f for f in report["findings"]}
    amount = found[("opportunities.amount", "error")]
    assert "TEXT" in amount["message"] and amount["where"] == f"{path}:{line_of(path, 'amount:')}"
    assert any("fraction" in f["message"] and f["subject"] == "opportunities.probability" for f in report["findings"])
    assert caps(report, "measure")["bookings"]["status"] == "broken"
    assert caps(report, "measure")["weighted_pipeline"]["status"] == "broken"
    assert result.code == 3


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
