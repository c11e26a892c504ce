"""Which requests ask for an action, read from their words the way people ask (agents/action_intent.py)."""

from __future__ import annotations

import pytest

from revops_cli.agents.action_intent import action_request, is_crm_change, is_message, leading_verb
from revops_cli.agents.manager import classify


@pytest.mark.parametrize("text", [
    "ping marcus about the datacorp expansion",
    "slack sarah the ixis risks",
    "let sarah know ixis may slip to next quarter",
    "tell the owner of the acme deal to chase the CFO",
    "message the datacorp expansion owner to confirm the ramp schedule",
    "hey can you nudge sarah to update the ixis close date",
    "please remind the AE on techcorp to send the proposal",
    "give sarah a heads up that ixis may slip",
    "shoot marcus a quick note: acme signed",
    "ask the ixis owner to confirm the CFO meeting",
    "email marcus about the ramp",
    "dm marcus reed the acme risks",
    "loop in sarah on the ixis risks",
    "push the IXIS close date to 2027-03-31 in the CRM",
    "move techcorp to business justification in the crm",
    "bump ixis to 2027-02-15",
    "change the forecast category on acme to commit",
    "shoot priya a slack about the microsoft benchmark",
    "drop marcus a quick slack re the acme tco",
])
def test_actions_asked_the_way_people_talk_go_to_the_execution_agent(text):
    assert action_request(text), text
    assert classify(text).agent == "execution"


@pytest.mark.parametrize("text", [
    "tell me about acme corp",
    "remind me what the ixis risks are",
    "let me know the pipeline this quarter",
    "who should I ping about the ixis deal?",
    "ask about pricing",
    "text of the last call with acme",
    "drop in win rate compared to last quarter",
    "email addresses of leads at datacorp",
    "what did marcus say on the last acme call?",
    "which deals moved to negotiate this month?",
    "give me the pipeline by region",
    "send me the pipeline for this quarter",
    "update on the ixis deal",
    "email open rate for webinar leads",
    "post-sales handoffs this quarter",
])
def test_questions_are_not_actions(text):
    assert action_request(text) is None, text
    assert classify(text).agent != "execution", text


def test_the_parts_of_a_request():
    assert leading_verb("Please can you ping marcus about it") == ("ping", "marcus about it")
    assert leading_verb("loop in sarah on the renewal") == ("loop", "sarah on the renewal")
    assert leading_verb("what is the pipeline?") is None
    assert is_message("let", "sarah know it slipped") and not is_message("let", "me know")
    assert not is_message("give", "me the numbers") and is_message("give", "sarah a heads up")
    assert is_crm_change("move", "ixis to 2027-01-15") and not is_crm_change("move", "on from ixis")
