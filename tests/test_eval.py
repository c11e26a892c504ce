"""`revops eval`: the case format, the checks, the report, and the command's exit codes."""

from __future__ import annotations

import json

import pytest

from cli import run


def test_numbers_match_as_people_write_them():
    from revops_cli.evaluation.checks import number_shown, numbers_in

    shown = numbers_in("6 deals, $5.1M in all; the biggest $800K; win rate 42.3%; 1,234,567 rows; Q4 2026")
    assert number_shown(6, shown) and number_shown(5_123_456, shown) and number_shown(800_000, shown)
    assert number_shown(0.4231, shown) and number_shown(42.3, shown) and number_shown(1_234_567, shown)
    assert number_shown(5_300_000, shown) is None       # outside what "$5.1M" stands for
    assert number_shown(7, shown) is None
    assert number_shown(4, shown) is None               # the 4 of "Q4" is not a number


def case_file(tmp_path, text: str):
    p = tmp_path / "cases.yaml"
    p.write_text(text)
    return p


CASES = """
category: smoke
cases:
  - id: ixis-deal
    ask: what is the status of the IXIS deal?
    agent: deal_analysis
    ok: true
    entities: {deal: IXIS - Snowflake Cost Replacement}
    values:
      - sql: SELECT amount FROM opportunities WHERE name = 'IXIS - Snowflake Cost Replacement'
    then:
      - ask: what are its main risks?
        agent: deal_analysis
  - id: wrong-on-purpose
    ask: what is the status of the IXIS deal?
    agent: lead_analysis
    values:
      - value: 123456789
    not_contains: [IXIS]
"""


def test_eval_scores_prints_misses_and_exits_by_min_pass(tmp_path, capsys, demo_db, settings_for):
    settings_for(demo_db)
    f = case_file(tmp_path, CASES)
    r = run(capsys, "eval", str(f))
    assert r.code == 10                                 # 1 of 2 is below the default 95%
    assert "smoke" in r.out and "50.0%" in r.out
    assert "MISS wrong-on-purpose" in r.out and "ixis-deal" not in r.out.split("MISS", 1)[1]
    assert "expected lead_analysis" in r.out and "got      deal_analysis" in r.out
    assert "not shown: 123,456,789" in r.out

    r = run(capsys, "eval", str(f), "--min-pass", "0.5", "--format", "json")
    assert r.code == 0
    doc = r.json()
    assert doc["format_version"] == 1 and doc["total"] == 2 and doc["passed"] == 1 and doc["meets_min"] is True
    assert doc["categories"] == {"smoke": {"cases": 2, "passed": 1, "pass_rate": 0.5}}
    first = doc["cases"][0]
    assert first["passed"] and len(first["turns"]) == 2
    assert {c["check"] for c in first["turns"][0]["checks"]} >= {"agent", "ok", "entity:deal", "value"}
    miss = doc["cases"][1]
    failed = {c["check"] for c in miss["turns"][0]["checks"] if not c["passed"]}
    assert failed == {"agent", "value", "not_contains"}


def test_eval_leaves_the_users_log_and_pending_store_alone(tmp_path, capsys, demo_db, settings_for, revops_home):
    settings_for(demo_db)
    f = case_file(tmp_path, """
cases:
  - id: dry-run
    ask: send the AE a note about the risks on the IXIS deal
    agent: execution
    pending_actions: true
""")
    r = run(capsys, "eval", str(f))
    assert r.code == 0, r.out
    assert not (revops_home / "conversations.db").exists()
    assert not (revops_home / "actions.db").exists()
    assert not (revops_home / "cache.duckdb").exists()


def test_given_values_and_builtin_dates(tmp_path, capsys, demo_db, settings_for):
    settings_for(demo_db)
    f = case_file(tmp_path, """
cases:
  - id: given
    given:
      deal: SELECT name FROM opportunities WHERE opportunity_id = 'OPP-0000002'
    ask: what is the status of the {{deal}} deal?
    entities: {deal: "{{deal}}"}
    values:
      - sql: SELECT close_date FROM opportunities WHERE name = '{{deal}}' AND close_date >= DATE '{{quarter_start}}'
  - id: nothing-found
    given:
      deal: SELECT name FROM opportunities WHERE 1 = 0
    ask: "{{deal}}"
""")
    r = run(capsys, "eval", str(f), "-f", "json", "--min-pass", "0")
    doc = r.json()
    assert doc["cases"][0]["passed"], doc["cases"][0]
    assert doc["cases"][0]["question"] == "what is the status of the {{deal}} deal?"
    assert doc["cases"][0]["turns"][0]["question"] == "what is the status of the DataCorp Expansion deal?"
    assert not doc["cases"][1]["passed"] and "found nothing" in doc["cases"][1]["error"]


def test_a_case_runs_with_its_own_settings_and_only_it(tmp_path, capsys, demo_db, settings_for):
    """`settings:` configures what one case needs (a webhook for an action to it); the next case runs
    without it (no webhook: refused with exit 3), and a dry run sends nothing."""
    settings_for(demo_db)
    f = case_file(tmp_path, """
cases:
  - id: with-a-webhook
    settings: {webhooks.url: "http://127.0.0.1:9/never-called"}
    ask: post this quarter's pipeline summary to the webhook
    agent: execution
    ok: true
    pending_actions: true
  - id: without
    ask: post this quarter's pipeline summary to the webhook
    ok: false
    exit_code: 3
""")
    doc = run(capsys, "eval", str(f), "-f", "json").json()
    assert [c["passed"] for c in doc["cases"]] == [True, True], doc["cases"]


@pytest.mark.parametrize("text, message", [
    ("cases: [{ask: hi, settings: [webhooks.url]}]", "settings is a mapping of dotted setting names"),
    ("cases: [{ask: hi, colour: blue}]", "unknown key 'colour'"),
    ("cases: [{agent: data}]", "`ask` must be a non-empty question"),
    ("cases: [{ask: hi, values: [{sql: x, value: 1}]}]", "exactly one of sql or value"),
    ("cases: [{ask: 'hi {{nope}}'}]", "unknown placeholder"),
    ("cases: [{ask: hi\n", "not valid YAML"),
    ("- just a list", "a mapping with a `cases:` list"),
])
def test_bad_case_files_are_one_line_and_exit_2(tmp_path, capsys, text, message):
    r = run(capsys, "eval", str(case_file(tmp_path, text)))
    assert r.code == 2
    assert message in r.err and "Traceback" not in r.err


def test_missing_path_exits_2(capsys, tmp_path):
    r = run(capsys, "eval", str(tmp_path / "nope.yaml"))
    assert r.code == 2 and "no such file or folder" in r.err


def test_shipped_suite_loads_with_a_holdout(capsys):
    from revops_cli.evaluation.cases import load_cases

    cases = load_cases()
    assert len(cases) >= 250
    held = [c for c in cases if c.holdout]
    # a held-out part big enough to measure by (docs/eval.md): 100+ cases and a fifth of the suite or more
    assert len(held) >= 100 and 0.20 <= len(held) / len(cases) <= 0.35
    categories = {c.category for c in cases}
    assert categories == {"deal", "lead", "revenue", "pipeline", "forecast", "adhoc", "churn_expansion",
                          "competitors", "research", "actions", "followups"}
    assert sum(len(c.turns) > 1 for c in cases) >= 30


def test_interpretation_is_the_first_line():
    from revops_cli.evaluation.checks import first_line

    assert first_line("\n### **Open deals** · region EMEA · 6 deals\n\nmore") == "Open deals · region EMEA · 6 deals"
    assert first_line("") == ""


def test_eval_runs_on_another_backend(tmp_path, capsys, demo_db, settings_for, monkeypatch):
    """The same cases through --backend openai: a model behind an OpenAI-compatible server (the wire fake)."""
    pytest.importorskip("openai")
    from fakes.openai_api import ChatCompletionsFake, reply, tool_call

    settings_for(demo_db)
    monkeypatch.setenv("REVOPS_OPENAI_MODEL", "qwen2.5:7b")
    script = [reply(tool_calls=[tool_call("c1", "deal_analysis", {"name": "IXIS"})]),
              reply("IXIS is a **$2.1M** deal in Negotiate.")]
    f = case_file(tmp_path, """
cases:
  - id: model-ixis
    ask: how is IXIS?
    ok: true
    contains: [Negotiate]
    values:
      - sql: SELECT amount FROM opportunities WHERE name = 'IXIS - Snowflake Cost Replacement'
""")
    with ChatCompletionsFake(script) as api:
        monkeypatch.setenv("REVOPS_OPENAI_BASE_URL", api.base_url)
        r = run(capsys, "eval", str(f), "--backend", "openai", "-f", "json")
        requests = api.requests
    assert r.code == 0, r.out
    assert r.json()["backend"] == "openai" and r.json()["passed"] == 1
    assert requests[0].json["messages"][1] == {"role": "user", "content": "how is IXIS?"}
