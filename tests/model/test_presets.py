"""The shipped model presets (reference-v5, fivetran-salesforce) on their shaped warehouses.

The loader reads each preset; every entity is then turned into one SELECT by `entity_select` below (a
deliberately plain reading of docs/model.md: column expressions, value maps as CASE, row filters, the
whole-entity query) and run on the warehouse `revops demo init --shape NAME` builds from the same seed as
the canonical demo warehouse. Every column the preset maps exactly must give the canonical rows back; the
approximated ones must say how, the missing ones why.
"""

from __future__ import annotations

import duckdb
import pytest

PRESETS = ("reference-v5", "fivetran-salesforce")


def load_preset(name: str, settings_for, demo_db, monkeypatch, tmp_path):
    from revops_cli.model.loader import load_model

    monkeypatch.chdir(tmp_path)
    (tmp_path / "revops.yaml").write_text(f"model:\n  preset: {name}\n", encoding="utf-8")
    return load_model(settings_for(demo_db))


def literal(v: str) -> str:
    return "'" + v.replace("'", "''") + "'"


def column_sql(model, col) -> str:
    if col.missing:
        return f"CAST(NULL AS {col.type})"
    if not col.value_map:
        return col.sql
    vm = model.value_maps[col.value_map]
    arms = " ".join(f"WHEN {literal(w)} THEN {literal(c)}" for w, c in vm.to_canonical.items())
    default = (f"CASE WHEN ({col.sql}) IS NULL THEN NULL ELSE {literal(vm.default)} END"   # no data is not a word
               if vm.default is not None else f"({col.sql})")
    return f"CASE ({col.sql}) {arms} ELSE {default} END"


def entity_select(model, name: str, columns: list[str]) -> str:
    e = model.entities[name]
    if e.query:
        return f"SELECT {', '.join(columns)} FROM ({e.query}) q"
    where = f" WHERE {' AND '.join(f'({f})' for f in e.filters)}" if e.filters else ""
    cols = ", ".join(f"{column_sql(model, e.columns[c])} AS {c}" for c in columns)
    return f"SELECT {cols} FROM {e.source}{where}"


def compare(con, mine: str, canonical: str) -> tuple[list, list]:
    extra = con.execute(f"SELECT * FROM (({mine}) EXCEPT ALL ({canonical})) LIMIT 3").fetchall()
    missing = con.execute(f"SELECT * FROM (({canonical}) EXCEPT ALL ({mine})) LIMIT 3").fetchall()
    return extra, missing


# columns a preset approximates but that come out equal on the shaped warehouse, by construction of the shape;
# and those that differ (an approximation that is not exact here), which the test leaves out
DIFFERS = {
    "reference-v5": {"accounts.segment", "opportunities.forecast_category", "calls.participants",
                     "contacts.seniority", "contacts.is_primary", "leads.seniority", "billing_monthly.plan"},
    "fivetran-salesforce": {"contacts.seniority", "leads.seniority"},
}


@pytest.fixture
def shaped(request, reference_db, fivetran_db):
    return {"reference-v5": reference_db, "fivetran-salesforce": fivetran_db}


@pytest.mark.parametrize("preset", PRESETS)
def test_preset_gives_the_canonical_rows_on_its_warehouse(preset, shaped, demo_db, settings_for, monkeypatch, tmp_path):
    model = load_preset(preset, settings_for, demo_db, monkeypatch, tmp_path)
    assert model.preset == preset and not model.identity
    checked = 0
    with duckdb.connect(str(shaped[preset]), read_only=True) as con:
        con.execute(f"ATTACH '{demo_db}' AS c (READ_ONLY)")
        for name, entity in model.entities.items():
            if entity.missing:
                continue
            cols = [c for c, col in entity.columns.items()
                    if not col.missing and f"{name}.{c}" not in DIFFERS[preset]]
            canonical = f"SELECT {', '.join(cols)} FROM c.{name}"
            if name == "opportunity_stage_history" and preset == "reference-v5":
                canonical += " WHERE from_stage IS NULL OR from_stage <> to_stage"   # no close-date moves there
            extra, missing = compare(con, entity_select(model, name, cols), canonical)
            assert not extra and not missing, f"{preset} {name}: only mapped {extra}; only canonical {missing}"
            checked += len(cols)
    assert checked > 80


@pytest.mark.parametrize("preset", PRESETS)
def test_every_preset_column_is_mapped_approximated_or_missing_with_a_reason(preset, demo_db, settings_for,
                                                                             monkeypatch, tmp_path):
    from revops_cli.model.loader import canonical_schema

    model = load_preset(preset, settings_for, demo_db, monkeypatch, tmp_path)
    for name, cols in canonical_schema().items():
        entity = model.entities[name]
        assert not entity.identity, f"{preset}: {name} is not mapped"
        for c in cols:
            col = entity.columns[c]
            reason = entity.missing or col.missing
            if reason or col.approx:
                text = reason or col.approx
                assert len(text) > 15 and "\n" not in text.strip(), f"{preset} {name}.{c}: {text!r}"
            elif not entity.query:
                assert col.sql, f"{preset} {name}.{c} is neither mapped nor missing"


def test_reference_preset_is_honest_about_the_traps(demo_db, settings_for, monkeypatch, tmp_path):
    model = load_preset("reference-v5", settings_for, demo_db, monkeypatch, tmp_path)
    assert "TCV" in model.entities["opportunities"].approximations["amount"]
    assert "transcript" in model.entities["calls"].missing_columns["transcript"]
    assert "customer type" in model.entities["accounts"].approximations["segment"]
    assert "close-date history" in model.entities["opportunity_stage_history"].missing_columns["old_close_date"]
    assert model.entities["targets"].missing
    assert model.value_maps["meddpicc_status"].to_canonical["Strong"] == "Leveraged"


def test_fivetran_preset_has_no_usage_or_billing(demo_db, settings_for, monkeypatch, tmp_path):
    model = load_preset("fivetran-salesforce", settings_for, demo_db, monkeypatch, tmp_path)
    for name in ("usage_daily", "billing_monthly", "targets", "company_research"):
        assert model.entities[name].missing, name
    assert '"user"' in model.entities["users"].source          # a reserved word, quoted
