"""`revops report`: every built-in report in every format on two seeds, the numbers recomputed from raw rows,
charts (valid, deterministic PNGs), reproducible --as-of runs, the conversation log, Slack and webhook
delivery, exit codes, user-defined reports, and a headless-Chromium screenshot when Chromium is installed."""

from __future__ import annotations

import base64
import csv
import io
import json
import os
import re
import subprocess
import sys
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from cli import run  # noqa: E402
from conftest import AS_OF  # noqa: E402
from fakes.slack_api import SlackAPIFake  # noqa: E402
from fakes.webhook_receiver import WebhookReceiver  # noqa: E402

from revops_cli.reports import FORMATS, get_report, list_reports, run_report  # noqa: E402
from revops_cli.reports.builtin import BUILTIN  # noqa: E402
from revops_cli.reports.charts import png_size  # noqa: E402
from revops_cli.reports.render import render  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
NAMES = list(BUILTIN)
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
TOKEN = "xoxb-report-test"


@pytest.fixture(scope="module", autouse=True)
def report_command():
    """`revops report` as the lead registers it in app.py (added here only if app.py does not yet)."""
    from revops_cli import app as app_module
    from revops_cli.commands import report

    if not any(g.name == "report" for g in app_module.app.registered_groups):
        app_module.app.add_typer(report.app, name="report")
    yield


def _settings(home: Path, db: Path, **extra):
    from revops_cli.config import load_settings

    with pytest.MonkeyPatch.context() as mp:
        for var in list(os.environ):
            if var.startswith("REVOPS_"):
                mp.delenv(var)
        mp.setenv("REVOPS_HOME", str(home))
        mp.setenv("REVOPS_DUCKDB_PATH", str(db))
        mp.setenv("REVOPS_AS_OF", AS_OF.isoformat())
        return load_settings(overrides=extra or None)


@pytest.fixture(scope="module")
def built(demo_db, tmp_path_factory):
    """Every built-in report, run once per seed (shared by the format tests)."""
    home = tmp_path_factory.mktemp("report-home")
    settings = _settings(home, demo_db)
    return settings, {name: run_report(BUILTIN[name], settings) for name in NAMES}


# ----------------------------------------------------------------------------------------------------------
# Every report x every format x both seeds
# ----------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("name", NAMES)
def test_every_report_renders_in_every_format(built, name, fmt):
    settings, reports = built
    report = reports[name]
    assert report.ok, report.errors
    assert report.sections and all(s.summary for s in report.sections)
    text = render(report, fmt, settings=settings)
    assert text.endswith("\n") and "\x1b[" not in text
    if fmt == "json":
        data = json.loads(text)
        assert data["schema_version"] == 1 and data["report"] == name and data["as_of"] == AS_OF.isoformat()
        assert data["status"] == "ok" and data["exit_code"] == 0
        assert len(data["sections"]) == len(report.sections)
        for s in data["sections"]:
            assert set(s) >= {"key", "heading", "period", "summary", "figures", "columns", "rows", "row_count",
                              "chart", "source", "error"}
            assert s["source"]["kind"] == "question" and s["error"] is None
    elif fmt == "csv":
        rows = list(csv.reader(io.StringIO(text)))
        assert rows[0][0] == "section"
        assert {r[0] for r in rows[1:]} <= {s.key for s in report.sections}
        assert len(rows) - 1 == sum(len(s.rows) for s in report.sections)
    elif fmt == "html":
        assert text.startswith("<!DOCTYPE html>")
        imgs = re.findall(r'<img src="data:image/png;base64,([A-Za-z0-9+/=]+)"', text)
        assert len(imgs) == len(report.charts) >= 1
        for b64 in imgs:
            assert base64.b64decode(b64).startswith(PNG_SIGNATURE)
        assert not re.search(r"https?://", text), "the HTML must not load anything from the network"
        assert not re.search(r"<(script|link)\b", text)
    elif fmt == "markdown":
        assert text.startswith(f"# {report.title}")
        assert all(f"## {s.heading}" in text for s in report.sections)
    else:   # text
        assert report.title.upper() in text
        assert any(ch in text for ch in "█▁▂▃▄▅▆▇"), "the terminal chart is missing"


@pytest.mark.parametrize("name", NAMES)
def test_charts_are_valid_pngs(built, name):
    _, reports = built
    report = reports[name]
    assert report.charts, f"{name} has no chart"
    for chart in report.charts:
        png = report.chart_png(chart)
        assert png[:8] == PNG_SIGNATURE
        assert png_size(png) == (900, 440)
        assert len(png) > 8_000, "suspiciously small: an empty chart?"
        assert b"Software" not in png[:4096] and b"matplotlib" not in png


def test_expected_charts(built):
    _, reports = built
    names = {n: [c.name for c in r.charts] for n, r in reports.items()}
    assert names["pipeline"] == ["forecast-vs-target", "coverage", "pipeline-by-stage"]
    assert names["at-risk"] == ["risk-factors"]
    assert names["churn"] == ["usage-trend"]
    assert names["competitors"] == ["competitor-mentions"]
    assert names["leads"] == ["lead-funnel"]


# ----------------------------------------------------------------------------------------------------------
# The numbers, recomputed from raw rows
# ----------------------------------------------------------------------------------------------------------

def _raw(db: Path, table: str) -> list[dict]:
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    try:
        cur = con.execute(f"SELECT * FROM {table}")
        cols = [d[0] for d in cur.description]
        return [dict(zip(cols, r)) for r in cur.fetchall()]
    finally:
        con.close()


def _section(report, key):
    return next(s for s in report.sections if s.key == key)


def test_pipeline_totals_recomputed(built, demo_db):
    _, reports = built
    sec = _section(reports["pipeline"], "pipeline")
    start, end = date.fromisoformat(sec.period["start"]), date.fromisoformat(sec.period["end"])
    assert (start, end) == (date(2026, 10, 1), date(2027, 9, 30))
    open_deals = [o for o in _raw(demo_db, "opportunities") if not o["is_closed"] and start <= o["close_date"] <= end]
    assert sec.figures["deal_count"] == len(open_deals)
    assert sec.figures["open_amount"] == pytest.approx(sum(float(o["amount"] or 0) for o in open_deals))
    by_cell = Counter()
    for o in open_deals:
        by_cell[(f"{o['close_date'].year}-Q{(o['close_date'].month - 1) // 3 + 1}", o["stage"])] += 1
    assert {(r["close_quarter"], r["stage"]): r["deal_count"] for r in sec.rows} == dict(by_cell)
    # the chart draws the same amounts
    chart = sec.chart
    total = sum(v for s in chart.series for v in s["values"])
    assert total == pytest.approx(sec.figures["open_amount"])


def test_at_risk_count_recomputed(built, demo_db):
    _, reports = built
    sec = _section(reports["at-risk"], "risk-factors")
    q_start, q_end = date(2026, 10, 1), date(2026, 12, 31)
    pushes = Counter(h["opportunity_id"] for h in _raw(demo_db, "opportunity_stage_history")
                     if h["new_close_date"] and h["old_close_date"] and h["new_close_date"] > h["old_close_date"]
                     and h["changed_at"].date() <= AS_OF)
    at_risk = 0
    deals = [o for o in _raw(demo_db, "opportunities") if not o["is_closed"] and q_start <= o["close_date"] <= q_end]
    for o in deals:
        flags = [
            (o["probability"] or 0) >= 60 and (o["economic_buyer_status"] or "Unknown") == "Unknown",
            pushes[o["opportunity_id"]] >= 2,
            o["last_activity_date"] is None or o["last_activity_date"] <= AS_OF - timedelta(days=21),
            bool((o["competitors"] or "").strip()),
            o["close_date"] < AS_OF,
        ]
        at_risk += any(flags)
    assert sec.figures["open_deal_count"] == len(deals)
    assert sec.figures["at_risk_count"] == at_risk
    assert f"**{at_risk:,}** show at least one risk factor" in sec.summary[0]


def test_leads_by_source_recomputed(built, demo_db):
    settings, reports = built
    report = reports["leads"]
    sec = _section(report, "by-source")
    start, end = date.fromisoformat(sec.period["start"]), date.fromisoformat(sec.period["end"])
    assert (start, end) == (AS_OF - timedelta(days=29), AS_OF)
    expected = Counter((l["source"] or "Unknown") for l in _raw(demo_db, "leads") if start <= l["created_date"] <= end)
    assert {r["source"]: r["lead_count"] for r in sec.rows} == dict(expected)
    # ... and the CSV and JSON carry the same counts
    from_csv = {r["source"]: int(r["lead_count"]) for r in csv.DictReader(io.StringIO(render(report, "csv")))}
    assert from_csv == dict(expected)
    from_json = {r["source"]: r["lead_count"] for r in json.loads(render(report, "json"))["sections"][0]["rows"]}
    assert from_json == dict(expected)
    assert sum(_section(report, "by-source").chart.series[0]["values"]) == sum(expected.values())


# ----------------------------------------------------------------------------------------------------------
# Reproducible runs
# ----------------------------------------------------------------------------------------------------------

def test_same_as_of_gives_identical_output(demo_db, tmp_path):
    settings = _settings(tmp_path / "h", demo_db)
    first = run_report(BUILTIN["pipeline"], settings, as_of="2026-11-02")
    second = run_report(BUILTIN["pipeline"], settings, as_of="2026-11-02", log=None)
    assert first.session_id != second.session_id
    for fmt in FORMATS:
        assert render(first, fmt, settings=settings) == render(second, fmt, settings=settings), fmt
    assert first.as_of == date(2026, 11, 2)
    assert "59 days left in the quarter" in " ".join(_section(first, "forecast").summary)


def test_as_of_moves_the_period(demo_db, tmp_path):
    settings = _settings(tmp_path / "h", demo_db)
    report = run_report(BUILTIN["at-risk"], settings, as_of=date(2026, 8, 15), log=None)
    assert report.ok and report.period["label"] == "Q3 2026"
    assert json.loads(render(report, "json"))["as_of"] == "2026-08-15"


# ----------------------------------------------------------------------------------------------------------
# The command
# ----------------------------------------------------------------------------------------------------------

@pytest.fixture
def use_db(demo_db, monkeypatch):
    monkeypatch.setenv("REVOPS_DUCKDB_PATH", str(demo_db))
    return demo_db


def test_list(capsys):
    r = run(capsys, "report", "list")
    assert r.code == 0
    for name in NAMES:
        assert re.search(rf"^{re.escape(name)}\s", r.out, re.M)
    data = run(capsys, "report", "list", "-f", "json").json()
    assert [d["name"] for d in data] == NAMES


def test_unknown_report_is_a_usage_error(capsys, use_db):
    r = run(capsys, "report", "pipelin")
    assert r.code == 2
    assert "unknown report 'pipelin'" in r.err and "did you mean pipeline" in r.err
    assert r.out == ""


def test_quiet_out_html_prints_nothing(capsys, use_db, tmp_path):
    out = tmp_path / "reports" / "pipeline.html"
    r = run(capsys, "report", "pipeline", "--out", str(out), "--quiet")
    assert (r.code, r.out, r.err) == (0, "", "")
    html = out.read_text()
    assert html.count('<img src="data:image/png;base64,') == 3


def test_markdown_out_writes_chart_files(capsys, use_db, tmp_path):
    out = tmp_path / "leads.md"
    r = run(capsys, "report", "leads", "--out", str(out))
    assert r.code == 0 and r.out == "" and f"wrote {out}" in r.err
    png = tmp_path / "leads-lead-funnel.png"
    assert png.read_bytes()[:8] == PNG_SIGNATURE
    assert "![Lead funnel by source](leads-lead-funnel.png)" in out.read_text()


def test_stdout_in_a_pipe_is_plain_markdown(capsys, use_db):
    r = run(capsys, "report", "churn")
    assert r.code == 0 and r.out.startswith("# Churn-risk accounts") and "\x1b[" not in r.out + r.err
    assert r.err == ""


def test_cli_as_of_is_reproducible(capsys, use_db):
    a = run(capsys, "report", "competitors", "-f", "json", "--as-of", "2026-10-15")
    b = run(capsys, "report", "competitors", "-f", "json", "--as-of", "2026-10-15")
    assert a.code == b.code == 0 and a.out == b.out
    assert a.json()["as_of"] == "2026-10-15"


def test_report_runs_are_logged_as_report_conversations(capsys, use_db):
    from revops_cli.config import load_settings
    from revops_cli.conversations.log import ConversationLog

    assert run(capsys, "report", "pipeline", "-f", "json").code == 0
    with ConversationLog.from_settings(load_settings()) as log:
        turns = log.list(channel="report", limit=None)
    assert len(turns) == 3
    assert {t["session_id"] for t in turns} == {turns[0]["session_id"]}
    assert turns[0]["session_id"].startswith("report-pipeline-")
    assert {t["agent"] for t in turns} == {"data"}


def test_data_error_exit_code(capsys, tmp_path, monkeypatch):
    bad = tmp_path / "broken.duckdb"
    bad.write_bytes(b"this is not a duckdb file" * 100)
    monkeypatch.setenv("REVOPS_DUCKDB_PATH", str(bad))
    r = run(capsys, "report", "leads", "--out", str(tmp_path / "x.md"))
    assert r.code == 5 and "Error:" in r.err
    assert not (tmp_path / "x.md").exists()


def test_offline_miss_exit_code(capsys, use_db):
    r = run(capsys, "report", "expansion", "--offline", "--quiet")
    assert r.code == 6 and r.out == "" and "--offline" in r.err


def test_bad_post_target_is_a_usage_error(capsys, use_db):
    r = run(capsys, "report", "leads", "--post", "email:me@example.com")
    assert r.code == 2 and "slack:#channel" in r.err


def test_post_to_slack_uploads_charts_with_summary(capsys, use_db, monkeypatch):
    with SlackAPIFake(token=TOKEN) as slack:
        monkeypatch.setenv("REVOPS_SLACK_BOT_TOKEN", TOKEN)
        monkeypatch.setenv("REVOPS_SLACK__API_URL", slack.base_url)
        r = run(capsys, "report", "pipeline", "--post", "slack:#revops", "--quiet")
        assert (r.code, r.out, r.err) == (0, "", "")
        uploads = list(slack.uploads.values())
        assert len(uploads) == 3 and all(u["completed"] for u in uploads)
        assert {u["filename"] for u in uploads} == {"pipeline-forecast-vs-target.png", "pipeline-coverage.png",
                                                    "pipeline-pipeline-by-stage.png"}
        for u in uploads:
            assert u["bytes"][:8] == PNG_SIGNATURE and png_size(u["bytes"]) == (900, 440)
        comment = uploads[0]["initial_comment"]
        assert comment.startswith("*Pipeline and forecast vs target* - as of 2026-11-24")
        assert "*Forecast vs target*" in comment and "We have closed *$" in comment
        assert len(slack.calls_to("files.completeUploadExternal")) == 1


def test_slack_failure_exits_8_and_keeps_the_file(capsys, use_db, monkeypatch, tmp_path):
    with SlackAPIFake(token=TOKEN) as slack:
        monkeypatch.setenv("REVOPS_SLACK_BOT_TOKEN", TOKEN)
        monkeypatch.setenv("REVOPS_SLACK__API_URL", slack.base_url)
        slack.fail_next("files.getUploadURLExternal", "not_in_channel")
        out = tmp_path / "churn.json"
        r = run(capsys, "report", "churn", "--out", str(out), "--post", "slack:#revops", "-q")
        assert r.code == 7
        assert "not_in_channel" in r.err and "invite the bot" in r.err
        assert json.loads(out.read_text())["report"] == "churn"


def test_slack_without_token_fails_before_running(capsys, use_db, tmp_path):
    r = run(capsys, "report", "leads", "--post", "slack:#revops", "--out", str(tmp_path / "x.md"))
    assert r.code == 3 and "REVOPS_SLACK_BOT_TOKEN" in r.err


def _webhook_config(url: str, secret: str) -> None:
    Path("revops.yaml").write_text(json.dumps({"webhooks": {"endpoints": {"reports": {"url": url, "secret": secret}},
                                                            "allow_hosts": ["127.0.0.1"]}}))


def test_post_to_webhook(capsys, use_db):
    secret = "whsec_" + base64.b64encode(b"r" * 24).decode()
    with WebhookReceiver(secret=secret) as rx:
        _webhook_config(rx.url, secret)
        r = run(capsys, "report", "leads", "--post", "webhook:reports")
        assert r.code == 0 and "posted the report to webhook:reports" in r.err
        assert len(rx.delivered) == 1
        hit = rx.delivered[0]
        assert hit.verified is True
        body = hit.json
        assert body["type"] == "revops.report" and body["report"]["report"] == "leads"
        assert body["summary"].startswith("New leads by source - as of 2026-11-24")
        assert base64.b64decode(body["charts"][0]["base64"])[:8] == PNG_SIGNATURE


def test_failing_webhook_exits_8_and_keeps_the_file(capsys, use_db, tmp_path):
    with WebhookReceiver() as rx:
        _webhook_config(rx.url, "s3cret")
        rx.respond_with(400)
        out = tmp_path / "leads.csv"
        r = run(capsys, "report", "leads", "--out", str(out), "--post", "webhook:reports", "--quiet")
        assert r.code == 7 and "webhook:reports" in r.err
        assert out.read_text().startswith("section,")


def test_unknown_webhook_endpoint_fails_before_running(capsys, use_db):
    _webhook_config("http://127.0.0.1:9/hook", "s")
    r = run(capsys, "report", "leads", "--post", "webhook:nope")
    assert r.code == 2 and "unknown webhook endpoint 'nope'" in r.err


# ----------------------------------------------------------------------------------------------------------
# User-defined reports
# ----------------------------------------------------------------------------------------------------------

USER_REPORT = """\
title: Enterprise weekly
description: Forecast and win rate for the Enterprise team.
sections:
  - question: "Forecast vs target this quarter"
    heading: Forecast
    chart: {kind: bar, x: segment, y: [bookings_target, closed_won_amount], format: money}
  - pattern: win_rate
    heading: Win rate by segment this year
    params: {start_date: "{year_start}", end_date: "{as_of}", group_by: segment}
    columns: [segment, closed_count, won_count, win_rate_pct]
    chart: {kind: hbar, x: segment, y: win_rate_pct, title: Win rate}
"""


def test_user_defined_report(capsys, use_db):
    Path("reports").mkdir()
    Path("reports/weekly.yaml").write_text(USER_REPORT)
    listed = run(capsys, "report", "list").out
    assert re.search(r"^weekly\s+Enterprise weekly", listed, re.M)
    r = run(capsys, "report", "weekly", "-f", "json")
    assert r.code == 0, r.err
    data = r.json()
    assert [s["heading"] for s in data["sections"]] == ["Forecast", "Win rate by segment this year"]
    win = data["sections"][1]
    assert win["source"] == {"kind": "pattern", "pattern": "win_rate",
                             "params": {**win["source"]["params"], "start_date": "2026-01-01",
                                        "end_date": "2026-11-24", "group_by": "segment"}}
    assert [c["key"] for c in win["columns"]] == ["segment", "closed_count", "won_count", "win_rate_pct"]
    assert win["columns"][3]["format"] == "pct" and win["chart"]["kind"] == "hbar"
    html = run(capsys, "report", "weekly", "-f", "html").out
    assert html.count("data:image/png;base64,") == 2
    for fmt in ("markdown", "csv", "text"):
        assert run(capsys, "report", "weekly", "-f", fmt).code == 0


def test_user_report_mistakes_are_config_errors(capsys, use_db):
    Path("reports").mkdir()
    Path("reports/bad.yaml").write_text("title: Bad\nsections:\n  - pattern: win_rate\n    question: both\n")
    r = run(capsys, "report", "bad")
    assert r.code == 3 and "exactly one of 'question' or 'pattern'" in r.err
    assert f"{Path('reports/bad.yaml').resolve()}:3: section 1" in r.err or "bad.yaml:3: section 1" in r.err
    Path("reports/keys.yaml").write_text("title: Keys\nsections:\n  - question: pipeline?\n    hedaing: Pipe\n")
    r = run(capsys, "report", "keys")
    assert r.code == 3 and "keys.yaml:4: unknown key 'hedaing' in section 1" in r.err and "'heading'" in r.err
    Path("reports/indent.yaml").write_text("title: Indent\nsections:\n  - question: a\n - question: b\n")
    r = run(capsys, "report", "indent")
    assert r.code == 3 and "indent.yaml:4:" in r.err and r.err.count("\n") <= 2
    Path("reports/typo.yaml").write_text("title: Typo\nsections:\n  - pattern: no_such_pattern\n")
    r = run(capsys, "report", "typo")
    assert r.code == 2 and "no_such_pattern" in r.err


def test_list_reports_marks_user_reports(use_db, tmp_path):
    from revops_cli.config import load_settings

    Path("reports").mkdir()
    Path("reports/weekly.yaml").write_text(USER_REPORT)
    settings = load_settings()
    by_name = {r["name"]: r for r in list_reports(settings)}
    assert by_name["pipeline"]["origin"] == "builtin"
    assert by_name["weekly"]["origin"].endswith("weekly.yaml")
    assert get_report("weekly", settings).sections[1].pattern == "win_rate"


# ----------------------------------------------------------------------------------------------------------
# Headless Chromium
# ----------------------------------------------------------------------------------------------------------

@pytest.mark.skipif(not Path("/usr/bin/chromium").exists(), reason="chromium is not installed")
def test_html_report_screenshot_in_headless_chromium(built, tmp_path):
    settings, reports = built
    html = tmp_path / "pipeline.html"
    html.write_text(render(reports["pipeline"], "html", settings=settings))
    png = tmp_path / "pipeline.png"
    proc = subprocess.run([str(ROOT / "scripts" / "screenshot_report.sh"), "--html", str(html), str(png)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    data = png.read_bytes()
    assert data[:8] == PNG_SIGNATURE and png_size(data) == (1200, 2400)
    assert len(data) > 100_000, "a blank page compresses to a few KB; the charts make it large"
