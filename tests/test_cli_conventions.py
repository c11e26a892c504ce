"""CLI conventions a newcomer relies on: help with examples and argument help, shell completion, formats that
exit 2 when unknown, --quiet, and the missing-extra message (exit 3) for every server and chart command."""

from __future__ import annotations

import subprocess
import sys

import pytest

from cli import run


def all_commands():
    import typer

    from revops_cli.app import app
    from revops_cli.commands.examples import walk

    return list(walk(typer.main.get_command(app)))


def test_every_command_has_an_example_in_its_help(capsys):
    paths = [path for path, _ in all_commands()]
    assert len(paths) >= 30
    for path in paths:
        r = run(capsys, *path.split(), "-h")
        assert r.code == 0, path
        examples = r.out.split("Examples:", 1)
        assert len(examples) == 2, f"`revops {path} -h` shows no example"
        assert all(line.strip().startswith("revops ") for line in examples[1].strip().splitlines()), path
        # each example names the command it belongs to
        assert f"revops {path}" in examples[1] or path == "report run", path


def test_argument_help_shows(capsys):
    r = run(capsys, "ask", "-h")
    assert r.code == 0 and "The question, in plain words." in r.out and "\\[" not in r.out
    for path, command in all_commands():
        for param in command.params:
            if param.param_type_name == "argument":
                assert getattr(param, "help", None), f"`revops {path}`: argument {param.name} has no help"


def test_shell_completion_is_offered(capsys):
    r = run(capsys, "--help")
    assert "--install-completion" in r.out and "--show-completion" in r.out
    import os

    from cli import REVOPS
    proc = subprocess.run([REVOPS], capture_output=True, text=True, check=False,
                          env={**os.environ, "_REVOPS_COMPLETE": "complete_bash", "COMP_WORDS": "revops data r",
                               "COMP_CWORD": "2"})
    assert proc.returncode == 0 and proc.stdout.split() == ["run"]


@pytest.mark.parametrize("args", [
    ["conversations", "show", "x", "-f", "xml"],
    ["export-conversations", "--to", "out", "-f", "xml"],
    ["webhook", "deliveries", "replay", "x", "-f", "xml"],
    ["data", "patterns", "-f", "xml"],
    ["deal", "IXIS", "-f", "xml"],
    ["report", "run", "leads", "-f", "xml"],
    ["report", "list", "-f", "xml"],
])
def test_an_unknown_format_is_a_usage_error(capsys, args):
    r = run(capsys, *args)
    assert r.code == 2 and "xml" in r.err and r.out == ""


def test_report_quiet_prints_nothing_on_success(capsys, demo_db, settings_for):
    settings_for(demo_db)
    r = run(capsys, "report", "leads", "--quiet")
    assert r.code == 0 and r.out == "" and r.err == ""
    r = run(capsys, "report", "leads")
    assert r.code == 0 and r.out.strip()


@pytest.mark.parametrize("module,args,extra", [
    ("uvicorn", ["serve-webhook"], "serve"),
    ("slack_bolt", ["serve-slack"], "serve"),
    ("slack_bolt", ["serve-slack", "--socket-mode"], "serve"),
    ("mcp", ["serve-mcp"], "mcp"),
    ("uvicorn", ["serve-mcp", "--http"], "serve"),
    ("matplotlib", ["report", "pipeline", "-f", "html"], "report"),
])
def test_a_missing_extra_names_it_and_the_pip_command(module, args, extra, demo_db, settings_for):
    """As from a wheel without extras: the module cannot be imported (None in sys.modules is how Python
    says so), and the command says which extra to install, in one line and a hint, exit 3."""
    import os

    settings_for(demo_db)
    env = {**os.environ, "REVOPS_SLACK_BOT_TOKEN": "xoxb-1-2-x", "REVOPS_SLACK_SIGNING_SECRET": "s",
           "REVOPS_SLACK_APP_TOKEN": "xapp-1-x"}
    code = (f"import sys; sys.modules[{module!r}] = None\n"
            "from revops_cli.app import main; main(sys.argv[1:])")
    proc = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, env=env,
                          stdin=subprocess.DEVNULL, timeout=120)
    assert proc.returncode == 3, proc.stderr
    assert f"pip install 'revops-cli[{extra}]'" in proc.stderr and "Traceback" not in proc.stderr
    assert f"'{extra}'" in proc.stderr.splitlines()[0]


def test_one_error_object_in_json_everywhere(capsys, demo_db, settings_for):
    """A refused `data sql -f json` prints the same error object as a failed answer's `data.error`."""
    settings_for(demo_db)
    r = run(capsys, "data", "sql", "DELETE FROM accounts", "-f", "json")
    assert r.code == 4 and r.err.startswith("Error:")
    refused = r.json()
    assert refused["ok"] is False
    assert refused["error"]["kind"] == "RefusedSQLError" and refused["error"]["exit_code"] == 4
    r = run(capsys, "data", "run", "no_such_pattern", "-f", "json")
    assert r.code == 2 and r.json()["error"]["exit_code"] == 2
    r = run(capsys, "--offline", "deal", "IXIS", "-f", "json")
    answer_error = r.json()["data"]["error"]
    assert r.code == 6 and set(answer_error) == set(refused["error"])


def test_json_dates_and_datetimes_are_iso_8601(capsys, demo_db, settings_for):
    import re

    settings_for(demo_db)
    r = run(capsys, "deal", "IXIS", "-f", "json")
    assert r.code == 0
    stamps = re.findall(r'"(\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d)', r.out)
    assert stamps and all("T" in s for s in stamps)
    r = run(capsys, "data", "sql", "SELECT TIMESTAMP '2026-01-02 03:04:05' AS t, DATE '2026-01-02' AS d", "-f", "json")
    assert r.json()["rows"] == [{"t": "2026-01-02T03:04:05", "d": "2026-01-02"}]
