"""Every shipped measure by every shipped dimension, through the planner, on each preset's shaped warehouse
and on the canonical warehouse built from the same seed (two seeds): the numbers that map exactly are equal;
a measure the preset cannot compute is NULL with its reason, never 0."""

from __future__ import annotations

import duckdb
import pytest

pytest.importorskip("revops_cli.model.compile", reason="the compiler (issue 12 part 2) is not on this branch yet")

from conftest import AS_OF

PRESETS = ("reference-v5", "fivetran-salesforce")
# columns each preset approximates with other values than the canonical ones (the others are exact here)
DIFFERS = {
    "reference-v5": {"accounts.segment", "opportunities.forecast_category"},
    "fivetran-salesforce": set(),
}
DIMENSIONS = (None, "region", "segment", "industry", "account_type", "owner", "team", "stage", "type",
              "forecast_category", "lead_source", "competitor", "lead_status", "time:quarter", "time:month")


def models(settings_for, demo_db, monkeypatch, tmp_path, preset):
    from revops_cli.model.loader import load_model

    canonical = load_model(settings_for(demo_db))
    monkeypatch.chdir(tmp_path)
    (tmp_path / "revops.yaml").write_text(f"model:\n  preset: {preset}\n", encoding="utf-8")
    return canonical, load_model(settings_for(demo_db))


def through_missing_key(model, measure: str, dim: str | None) -> bool:
    """Whether the dimension is reached from the measure's entity through a join column the preset lacks."""
    from revops_cli.model.planner import join_path

    if not dim or dim.startswith("time"):
        return False
    start, target = model.measures[measure].entity, model.dimensions[dim].entity
    path = join_path(model, start, target) or []
    return any(model.entities[r.child].columns[r.child_column].missing
               or model.entities[r.parent].columns[r.parent_column].missing for r in path)


def rows(con, plan):
    return sorted((tuple(round(v, 6) if isinstance(v, float) else v for v in r) for r in
                   con.execute(plan.sql, plan.params).fetchall()), key=repr)


@pytest.mark.parametrize("preset", PRESETS)
def test_every_measure_by_every_dimension_matches_or_says_why_not(preset, demo_db, reference_db, fivetran_db,
                                                                  settings_for, monkeypatch, tmp_path):
    from revops_cli.model.planner import ModelQuery, plan_query

    shaped = {"reference-v5": reference_db, "fivetran-salesforce": fivetran_db}[preset]
    canonical_model, model = models(settings_for, demo_db, monkeypatch, tmp_path, preset)
    period = (AS_OF.replace(year=AS_OF.year - 2, month=1, day=1), AS_OF.replace(month=12, day=31))
    equal = unavailable = skipped = 0
    with duckdb.connect(str(demo_db), read_only=True) as c_con, duckdb.connect(str(shaped), read_only=True) as m_con:
        for measure in model.measures:
            for dim in DIMENSIONS:
                if dim and dim.split(":")[0] not in model.dimensions and dim.split(":")[0] != "time":
                    continue
                query = ModelQuery(measures=[measure], dimensions=[dim] if dim else [], period=period)
                try:
                    mp = plan_query(model, query)
                except Exception as exc:                          # a measure/dimension pair with no join path
                    cp_err = None
                    try:
                        plan_query(canonical_model, query)
                    except Exception as c_exc:                    # noqa: BLE001
                        cp_err = c_exc
                    assert cp_err is not None, f"{preset}: {measure} by {dim} plans on canonical only: {exc}"
                    continue
                if through_missing_key(model, measure, dim):
                    skipped += 1                                  # see the xfail test below
                    continue
                got = rows(m_con, mp)
                if measure in mp.unavailable:
                    assert mp.unavailable[measure].strip()
                    assert all(r[-1] is None for r in got), f"{preset}: unavailable {measure} by {dim} gave {got[:3]}"
                    unavailable += 1
                    continue
                touched = set(mp.missing) | {k for k in mp.approximations if k in DIFFERS[preset]}
                if touched:
                    skipped += 1                                  # other values by design; the receipt says why
                    assert set(mp.missing) | set(mp.approximations) >= touched
                    continue
                want = rows(c_con, plan_query(canonical_model, query))
                assert got == want, f"{preset}: {measure} by {dim or '(total)'}: {got[:4]} != {want[:4]}"
                equal += 1
    assert equal >= 60 and (unavailable or preset == "fivetran-salesforce" or skipped)


@pytest.mark.xfail(strict=False, reason="planner gap: a dimension joined through a column the model declares missing "
                   "(leads.converted_account_id on reference-v5) comes out as NULL for every row without the "
                   "missing column in MeasurePlan.missing")
def test_a_dimension_through_a_missing_join_key_is_reported(demo_db, settings_for, monkeypatch, tmp_path):
    from revops_cli.model.planner import ModelQuery, plan_query

    _, model = models(settings_for, demo_db, monkeypatch, tmp_path, "reference-v5")
    plan = plan_query(model, ModelQuery(measures=["leads"], dimensions=["region"]))
    assert "leads.converted_account_id" in plan.missing or "leads" in plan.unavailable
