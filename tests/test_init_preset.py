"""`revops init --preset`: list the model presets, start a project from one."""

from __future__ import annotations

from cli import run


def test_init_preset_alone_lists_the_presets(capsys, tmp_path):
    r = run(capsys, "init", "--preset")
    assert r.code == 0, r.err
    lines = {line.split()[0]: line for line in r.out.splitlines() if line.strip()}
    assert "dwh_prod" in lines["reference-v5"]
    assert "Fivetran" in lines["fivetran-salesforce"]
    assert not (tmp_path / "revops.yaml").exists()          # listing writes nothing


def test_init_preset_writes_the_config_and_the_model_files(capsys, tmp_path, revops_home):
    from revops_cli.config import load_settings
    from revops_cli.model.loader import load_model

    r = run(capsys, "init", "--preset", "reference-v5")
    assert r.code == 0, r.err
    text = (tmp_path / "revops.yaml").read_text(encoding="utf-8")
    assert "model:\n  preset: reference-v5" in text and "docs/presets/reference-v5.md" in text
    assert sorted(p.name for p in (tmp_path / "model").iterdir()) == ["entities.yaml", "targets.yaml",
                                                                     "value_maps.yaml"]
    model = load_model(load_settings())
    assert model.preset == "reference-v5"
    assert str(tmp_path / "model" / "entities.yaml") in model.files
    assert model.entities["opportunities"].source.startswith("opportunity_d o")

    # an edit in ./model/ wins over the preset
    entities = tmp_path / "model" / "entities.yaml"
    entities.write_text(entities.read_text(encoding="utf-8").replace(
        "      competitors: o.competitors\n", "      competitors: {missing: \"not used here\"}\n"), encoding="utf-8")
    assert load_model(load_settings()).entities["opportunities"].columns["competitors"].missing == "not used here"

    again = run(capsys, "init", "--preset", "reference-v5")
    assert again.code == 2 and "already exists" in again.err and "--force" in again.err
    assert "not used here" in entities.read_text(encoding="utf-8")          # nothing overwritten
    assert run(capsys, "init", "--preset", "fivetran-salesforce", "--force").code == 0
    assert "preset: fivetran-salesforce" in (tmp_path / "revops.yaml").read_text(encoding="utf-8")
    assert '"user" u' in entities.read_text(encoding="utf-8")


def test_init_with_an_unknown_preset_names_the_known_ones(capsys, tmp_path):
    r = run(capsys, "init", "--preset", "reference-v4")
    assert r.code == 2
    assert "no model preset 'reference-v4'" in r.err and "reference-v5" in r.err
    assert not (tmp_path / "revops.yaml").exists() and not (tmp_path / "model").exists()


def test_init_without_preset_is_unchanged(capsys, tmp_path):
    assert run(capsys, "init").code == 0
    text = (tmp_path / "revops.yaml").read_text(encoding="utf-8")
    assert "\nmodel:\n  preset:" not in text
    assert not (tmp_path / "model").exists()
