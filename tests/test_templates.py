"""Answer wording helpers and template overrides."""

from __future__ import annotations

import pytest

from revops_cli.formatting import money, pct


@pytest.mark.parametrize("value,text", [(2_100_000, "$2.1M"), (800_000, "$800K"), (1_000_000, "$1M"),
                                        (27_834_000_000, "$27.8B"), (-73_000, "-$73K"), (950, "$950"),
                                        (None, "n/a")])
def test_money(value, text):
    assert money(value) == text


def test_pct():
    assert pct(75) == "75%" and pct(None) == "n/a"


def test_a_project_template_overrides_the_package_one(demo_db, settings_for, tmp_path, capsys):
    from cli import run

    settings_for(demo_db)
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "research.md.j2").write_text("Custom research card for {{ r.company }}\n")
    r = run(capsys, "search", "DataCorp", "-f", "markdown")
    assert r.code == 0, r.err
    line, _, body = r.out.partition("\n\n")          # the interpretation line, then the agent's own text
    assert line == "_Company research · DataCorp_" and body.startswith("Custom research card for DataCorp")
