"""`revops model check` on models mapped over the demo tables, broken on purpose in one place at a time: each
break is named with its model file:line, with counts recomputed here from the raw tables."""

from __future__ import annotations

from collections import Counter

from .test_check import OPPS_SAME_NAMES, caps, check, line_of, model_file, raw  # noqa: F401  (raw: a fixture)


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




# -- on the reference system's warehouse, with its preset ---------------------------------------------------

def test_the_reference_warehouse_checks_truthfully_and_a_broken_mapping_is_named(
        capsys, settings_for, reference_db, tmp_path):
    (tmp_path / "revops.yaml").write_text("model:\n  preset: reference-v5\n")
    result = check(capsys, settings_for, reference_db, "--format", "json")
    assert result.code == 0, result.out[-2000:]
    report = result.json()
    assert report["ok"] and report["preset"] == "reference-v5"
    ents = {e["name"]: e for e in report["entities"]}
    assert ents["targets"]["status"] == "missing" and ents["opportunities"]["mapping"] == "from"
    c = caps(report)
    assert c["competitor_mentions"]["status"] == "degraded"
    assert any("calls.transcript" in r for r in c["competitor_mentions"]["reasons"])
    assert caps(report, "measure")["slip_count"]["status"] == "unavailable"
    assert caps(report, "measure")["revenue"]["status"] == "works"

    # break one mapping: a column of the user's own file that the warehouse does not have
    path = model_file(tmp_path, "entities:\n  opportunities:\n    columns:\n      name: o.opportunity_title\n")
    result = check(capsys, settings_for, reference_db, "--format", "json")
    assert result.code == 3
    report = result.json()
    errors = [f for f in report["findings"] if f["level"] == "error"]
    assert [(f["subject"], f["where"]) for f in errors] == [("opportunities.name", f"{path}:4")]
    assert caps(report)["revops deal"]["status"] == "broken"
    screen = check(capsys, settings_for, reference_db)
    assert screen.code == 3 and f"{path}:4" in screen.out.replace("\n", "")
