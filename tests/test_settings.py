"""Typed settings sections: coerced when the settings load, read as records, `settings.get` unchanged."""

from __future__ import annotations

import pytest

from cli import run


def test_sections_are_typed_records(revops_home, monkeypatch):
    from revops_cli.config import load_settings

    monkeypatch.setenv("REVOPS_QUERY__TIMEOUT_SECONDS", "12")
    monkeypatch.setenv("REVOPS_SLACK__WORKERS", "3")
    s = load_settings()
    assert s.query.timeout_seconds == 12.0 and isinstance(s.query.timeout_seconds, float)
    assert s.slack.workers == 3 and s.queue.max_receives == 5 and s.cache.enabled is True
    assert s.get("query.timeout_seconds") == 12.0          # the dotted reader keeps working
    s.data["webhooks"]["timeout_s"] = 2                    # a change to the data shows in the section
    assert s.webhooks.timeout_s == 2.0


@pytest.mark.parametrize("text,message", [
    ("query:\n  row_limit: 1.5\n", "query.row_limit should be a whole number, got 1.5"),
    ("webhooks:\n  attempts: true\n", "'attempts' should be"),      # caught by the file check, with its line
])
def test_a_value_that_cannot_be_coerced_fails_at_load(capsys, revops_home, tmp_path, text, message):
    (tmp_path / "revops.yaml").write_text(text)
    r = run(capsys, "config", "show")
    assert r.code == 3 and message in r.err and "revops.yaml" in r.err and "Traceback" not in r.err
