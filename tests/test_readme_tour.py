"""The README as a newcomer follows it: the set-up commands of "Install", then every command of "A tour", in
order, on a fresh home, each through the real `revops` executable, each exiting 0.

What cannot be reached offline is faked at the wire, as the README's notes say the real thing needs: Slack's
Web API (`execute --confirm` posts a note) and an OpenAI-compatible server (`--backend openai`).
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

from cli import run_process
from fakes.openai_api import ChatCompletionsFake, reply, tool_call
from fakes.slack_api import SlackAPIFake

README = Path(__file__).resolve().parent.parent / "README.md"
TOKEN = "xoxb-tour-000000000000-abcdefabcdef"


def section_commands(title: str) -> list[list[str]]:
    """The `revops …` lines of the ```sh blocks in one README section, comments dropped, as argv lists."""
    text = README.read_text()
    start = text.index(f"\n## {title}\n")
    end = text.find("\n## ", start + 1)
    section = text[start:end if end > 0 else None]
    commands = []
    for block in re.findall(r"```sh\n(.*?)```", section, flags=re.S):
        for line in block.splitlines():
            words = shlex.split(line, comments=True)
            if words and words[0] == "revops":
                commands.append(words[1:])
    return commands


def test_readme_names_the_setup_commands_and_a_tour():
    setup, tour = section_commands("Install"), section_commands("A tour")
    assert [c[:2] for c in setup] == [["demo", "init"], ["deal", "IXIS"]]
    assert len(tour) >= 12 and any(c[:2] == ["execute", "--confirm"] for c in tour)


def test_every_command_of_the_tour_exits_0_in_order(revops_home):
    commands = section_commands("Install") + section_commands("A tour")
    script = [reply(tool_calls=[tool_call("c1", "run_sql_pattern",
                                          {"pattern": "deals_closing_in_period",
                                           "params": {"start_date": "2026-10-01", "end_date": "2026-12-31"}})]),
              reply("Three Q4 deals are at risk.")]
    with SlackAPIFake(token=TOKEN) as slack, ChatCompletionsFake(script) as model:
        env = {"REVOPS_SLACK_BOT_TOKEN": TOKEN, "REVOPS_SLACK__API_URL": slack.base_url,
               "REVOPS_OPENAI__BASE_URL": model.base_url, "REVOPS_OPENAI_MODEL": "tour-model",
               "REVOPS_OPENAI_API_KEY": "sk-tour", "NO_COLOR": "1"}
        action_id = None
        for args in commands:
            if "act_…" in args:
                assert action_id, "the tour confirms a dry run it has not shown"
                args = [action_id if a == "act_…" else a for a in args]
            r = run_process(*args, env=env)
            assert r.code == 0, f"revops {shlex.join(args)} exited {r.code}: {r.err.strip()[-500:]}"
            found = re.search(r"\bact_[0-9a-f]+\b", r.out)
            if args[0] == "execute" and found:
                action_id = found.group(0)
        assert slack.messages, "the confirmed action posted nothing to Slack"
        assert len(model.requests) == 2, "the openai backend was not asked"
