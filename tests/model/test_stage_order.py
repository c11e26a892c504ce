"""A value map carries each canonical stage's order and default probability (the preset's `stages` map, or a
team's own): answers by stage come in funnel order, and weighted pipeline uses the stage's default where the
warehouse has no probability. Expected numbers come from the canonical warehouse of the same seed, in SQL."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
import yaml

pytest.importorskip("revops_cli.model.compile", reason="the compiler (issue 12 part 2) is not on this branch yet")

from revops_cli.errors import ConfigError

PRESET_MAPS = Path(__file__).resolve().parents[2] / "revops_cli" / "model" / "presets" / "reference-v5" / "value_maps.yaml"


def preset_stages() -> dict:
    return yaml.safe_load(PRESET_MAPS.read_text())["value_maps"]["stages"]


def load(settings_for, db, files: dict[str, str] | None = None):
    from revops_cli.model.loader import load_model

    Path("revops.yaml").write_text("model:\n  preset: reference-v5\n", encoding="utf-8")
    for name, text in (files or {}).items():
        Path("model").mkdir(exist_ok=True)
        (Path("model") / name).write_text(text, encoding="utf-8")
    return load_model(settings_for(db))


def rows(db, plan):
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(plan.sql, plan.params).fetchall()


def open_by_stage(demo_db) -> list[tuple[str, float, float]]:
    """(stage, open amount, probability) per open opportunity, from the canonical warehouse."""
    with duckdb.connect(str(demo_db), read_only=True) as con:
        return con.execute("SELECT stage, amount, probability FROM opportunities WHERE NOT is_closed").fetchall()


def test_answers_by_stage_come_in_the_funnel_order(demo_db, reference_db, settings_for):
    from revops_cli.model.planner import ModelQuery, plan_query

    model = load(settings_for, reference_db)
    order = preset_stages()["order"]
    got = [r[0] for r in rows(reference_db, plan_query(model, ModelQuery(["deal_count"], ["stage"])))]
    assert got == [s for s in order if s in got] and len(got) >= 5
    backwards = [r[0] for r in rows(reference_db, plan_query(model, ModelQuery(["deal_count"], ["stage"],
                                                                                order=["-stage"])))]
    assert backwards == got[::-1]
    # the canonical warehouse has no value maps: by name, as before
    canonical = load_canonical(settings_for, demo_db)
    by_name = [r[0] for r in rows(demo_db, plan_query(canonical, ModelQuery(["deal_count"], ["stage"])))]
    assert by_name == sorted(by_name)


def load_canonical(settings_for, demo_db):
    from revops_cli.model.loader import load_model

    Path("revops.yaml").unlink(missing_ok=True)
    return load_model(settings_for(demo_db))


def test_weighted_pipeline_uses_the_stage_default_where_the_warehouse_has_no_probability(
        demo_db, reference_db, settings_for):
    from revops_cli.model.planner import ModelQuery, plan_query

    defaults = preset_stages()["probability"]
    # the team's file says its warehouse has no probability: every deal takes its stage's default
    model = load(settings_for, reference_db, {"m.yaml": "entities:\n  opportunities:\n    columns:\n"
                                                         "      probability: {missing: no probability field}\n"})
    plan = plan_query(model, ModelQuery(["weighted_pipeline"]))
    assert "weighted_pipeline" not in plan.unavailable
    assert "default probability" in plan.approximations["opportunities.probability"]
    assert "no probability field" in plan.approximations["opportunities.probability"]
    want = sum(amount * defaults[stage] / 100.0 for stage, amount, _ in open_by_stage(demo_db))
    ((got,),) = rows(reference_db, plan)
    assert got == pytest.approx(want, rel=1e-9) and want > 0

    # a probability with gaps: the NULLs take the default, the others stay the CRM's
    model = load(settings_for, reference_db, {"m.yaml": "entities:\n  opportunities:\n    columns:\n      probability: "
                                              "\"CASE WHEN o.probability >= 50 THEN CAST(o.probability AS INTEGER) END\"\n"})
    plan = plan_query(model, ModelQuery(["weighted_pipeline"]))
    assert "opportunities.probability" not in plan.approximations
    want = sum(amount * (p if p >= 50 else defaults[stage]) / 100.0 for stage, amount, p in open_by_stage(demo_db))
    ((got,),) = rows(reference_db, plan)
    assert got == pytest.approx(want, rel=1e-9)
    # and the preset as shipped (no gaps on this warehouse) still equals the canonical number
    model = load(settings_for, reference_db, {"m.yaml": "entities: {}\n"})
    ((got,),) = rows(reference_db, plan_query(model, ModelQuery(["weighted_pipeline"])))
    assert got == pytest.approx(sum(a * p / 100.0 for _, a, p in open_by_stage(demo_db)), rel=1e-9)


@pytest.mark.parametrize("extra,words", [
    ("    order: [Discovery, Qualificaton]\n", "Qualificaton"),
    ("    order: [Discovery, Discovery]\n", "twice"),
    ("    probability: {Negotiate: 175}\n", "0 to 100"),
    ("    probability: {Negotiation: 75}\n", "Negotiation"),
])
def test_a_wrong_order_or_probability_names_its_line(settings_for, reference_db, extra, words):
    text = "value_maps:\n  stages:\n    values: {Discovery: [Open], Negotiate: [Signature]}\n" + extra
    with pytest.raises(ConfigError, match=words) as err:
        load(settings_for, reference_db, {"m.yaml": text})
    assert "m.yaml:4" in err.value.message
