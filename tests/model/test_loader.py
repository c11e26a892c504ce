"""The semantic model's files: layers override by name, and every mistake names file:line before any answer."""

from __future__ import annotations

import re

import pytest

from revops_cli.config import load_settings
from revops_cli.errors import ConfigError
from revops_cli.model.loader import canonical_schema, load_model


def write(folder, name, text):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text)
    return folder / name


def test_the_canonical_model_is_the_schema_itself(revops_home):
    model = load_model(load_settings())
    assert model.identity
    schema = canonical_schema()
    assert set(model.entities) == set(schema)
    # Every column of schema.sql, counted independently from the file's CREATE TABLE lines.
    text = (__import__("revops_cli.warehouse", fromlist=["x"]).__path__[0]) + "/schema.sql"
    declared = sum(1 for line in open(text) if re.match(r"^\s{4}\"?\w+\"?\s+[A-Z]", line))
    assert sum(len(e.columns) for e in model.entities.values()) == declared
    assert model.entities["opportunities"].columns["amount"].type == "DOUBLE PRECISION"
    assert {"pipeline", "bookings", "win_rate"} <= set(model.measures)


def test_a_project_file_maps_an_entity_column_by_column(revops_home, tmp_path):
    write(tmp_path / "model", "opps.yaml", """
value_maps:
  stages:
    values: {Negotiate: [Negotiation, Signature], Discovery: Discover}
entities:
  opportunities:
    from: opportunity_d o
    same_names: true
    where: ["o.is_deleted = FALSE"]
    columns:
      name: o.opportunity_name
      stage: {sql: o.stage_name, map: stages}
      forecast_category: {missing: no forecast category here}
      amount: {sql: "o.amount * 12.0 / o.months", approx: ARR from TCV}
""")
    model = load_model(load_settings())
    opp = model.entities["opportunities"]
    assert not model.identity and not opp.identity and opp.source == "opportunity_d o"
    assert opp.filters == ["o.is_deleted = FALSE"]
    assert opp.missing_columns == {"forecast_category": "no forecast category here"}
    assert opp.approximations == {"amount": "ARR from TCV"}
    assert model.value_maps["stages"].to_canonical == {"Negotiation": "Negotiate", "Signature": "Negotiate",
                                                       "Discover": "Discovery"}
    assert model.entities["accounts"].identity


@pytest.mark.parametrize("text, line, words", [
    ("entities:\n  opportunites:\n    from: x\n", 2, ["opportunites", "opportunities"]),
    ("entities:\n  opportunities:\n    from: x o\n    same_names: true\n    columns:\n      nmae: o.n\n", 6,
     ["nmae", "name"]),
    ("entities:\n  opportunities:\n    from: x o\n", 3, ["does not say what", "same_names"]),
    ("measures:\n  pipe:\n    entity: opportunities\n    sql: SUM(amount)\n    descripton: x\n", 5,
     ["descripton", "description"]),
    ("measures:\n  pipe:\n    entity: oportunities\n    sql: SUM(amount)\n    description: x\n", 3,
     ["oportunities"]),
    ("relationships:\n  - opportunities.acount_id -> accounts.account_id\n", 2, ["acount_id", "account_id"]),
    ("entities:\n  calls:\n    from: c\n    same_names: true\n    columns:\n      brief: {sql: c.b, map: nope}\n",
     6, ["value map 'nope'"]),
    ("entities:\n  calls:\n    from: c\n    same_names: true\n    columns:\n      brief: {sql: c.b, missing: x}\n",
     6, ["both mapped and missing"]),
    ("measures:\n  pipe: [1\n", 3, ["not valid YAML"]),
])
def test_a_mistake_names_file_and_line(revops_home, tmp_path, text, line, words):
    path = write(tmp_path / "model", "m.yaml", text)
    with pytest.raises(ConfigError) as caught:
        load_model(load_settings())
    message = caught.value.one_line()
    assert message.startswith(f"{path}:{line}:"), message
    for w in words:
        assert w in message
    assert caught.value.exit_code == 3


def test_an_unknown_preset_is_named_with_the_fix(revops_home, monkeypatch):
    monkeypatch.setenv("REVOPS_MODEL__PRESET", "no-such-preset")
    with pytest.raises(ConfigError, match="unknown model preset 'no-such-preset'"):
        load_model(load_settings())


def test_the_user_folder_is_overridden_by_the_project_folder(revops_home, tmp_path):
    write(revops_home / "model", "a.yaml", "entities:\n  targets:\n    missing: no targets at all\n")
    assert load_model(load_settings()).entities["targets"].missing == "no targets at all"
    write(tmp_path / "model", "b.yaml", "entities:\n  targets:\n    missing: targets live in a spreadsheet\n")
    assert load_model(load_settings()).entities["targets"].missing == "targets live in a spreadsheet"
