"""Finding 6 of issue 14 (empty questions): empty or blank input to a question command exited 0 with help
text. It is now a usage error: exit 2, one line saying what was wrong and one with the usage, no answer."""

from __future__ import annotations

import pytest

from cli import run

COMMANDS = [("ask",), ("deal",), ("lead",), ("search",), ("execute",), ("data", "ask")]


@pytest.mark.parametrize("blank", ["", "   ", "\t \n"], ids=["empty", "spaces", "whitespace"])
@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c))
def test_blank_input_to_a_question_command_exits_2_with_a_usage_hint(capsys, command, blank):
    r = run(capsys, *command, blank)
    assert r.code == 2
    assert r.out == ""
    lines = r.err.strip().splitlines()
    assert len(lines) == 2 and lines[0].startswith(f"Error: revops {' '.join(command)} needs some text")
    assert lines[1].strip().startswith(f"hint: usage: revops {' '.join(command)} ")
    assert "Traceback" not in r.err


def test_blank_confirmation_id_is_a_usage_error(capsys):
    r = run(capsys, "execute", "--confirm", "  ")
    assert r.code == 2 and "act_" in r.err and r.out == ""
