"""Action intent: does a request ask revops to *do* something, the way people ask it?

"ping marcus about the datacorp expansion", "slack sarah the ixis risks", "let sarah know ixis may slip",
"tell the owner of the acme deal to chase the CFO", "move techcorp to business justification in the crm",
"push the IXIS close date to 2027-03-31": an imperative verb at the start (after "please", "can you" ...)
and, for a message, someone to send it to ("me" and "us" are not: "tell me about Acme" is a question).
Words only (no warehouse): the manager calls `action_request` before any other rule, the Execution agent
uses `leading_verb` to read each clause.
"""

from __future__ import annotations

import re
from typing import Any

POLITE = re.compile(r"^(?:(?:please|pls|plz|ok|okay|hey|quickly|also|then|now|go ahead and|kindly)\s*,?\s+|"
                    r"(?:can|could|would|will)\s+(?:you|u)\s+(?:please\s+)?|i\s+(?:need|want)\s+you\s+to\s+)+", re.I)

# verbs that send a message to someone
MESSAGE_VERBS = ("ping", "slack", "message", "msg", "dm", "notify", "nudge", "remind", "tell", "let", "alert",
                 "email", "e-mail", "text", "ask", "send", "post", "shoot", "drop", "give", "warn", "inform",
                 "loop")
# verbs that change a CRM record
CRM_VERBS = ("update", "set", "change", "move", "push", "bump", "slip", "advance", "mark", "log", "record")
# verbs that call a webhook
WEBHOOK_VERBS = ("trigger", "fire", "invoke", "call", "hit", "send", "post", "ping")

# the words right after a message verb that show it is not a message to someone
NOT_RECIPIENTS = {"me", "us", "myself", "ourselves", "i", "what", "how", "which", "who", "whom", "why", "when",
                  "where", "whether", "if", "all", "everything", "more", "of", "out", "up", "about", "by", "for",
                  "in", "on", "off", "from", "over", "since", "rate", "rates", "count", "counts", "volume"}
# verbs whose object may be a thing rather than a person ("email addresses of ...", "text of the call",
# "ask about pricing"): an action only with a recipient *and* a message shape after it
_CAREFUL = {"email", "e-mail", "text", "ask", "shoot", "drop", "give", "warn", "inform", "message", "msg"}
MESSAGE_SHAPE = re.compile(r"\b(?:to|that|about|re|regarding|know|saying)\b|:|\u27e6|\"|“|\ban?\s+(?:note|message|"
                           r"msg|line|dm|heads[\s-]?up|reminder|ping|nudge|shout|slack|text)\b", re.I)
CRM_PLACE = re.compile(r"\s*\b(?:in|on|into)\s+(?:the\s+)?(?:crm|salesforce|sfdc|hubspot|pipedrive|dynamics)\b\.?",
                       re.I)
CRM_FIELD_WORDS = re.compile(r"\b(?:next[\s_-]+steps?|clos(?:e|ing)[\s_-]+date|forecast(?:[\s_-]+category)?|stage|"
                             r"amount|deal\s+(?:size|value)|arr|note|comment)\b", re.I)
_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b|\b\d{1,2}/\d{1,2}/\d{4}\b|\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|"
                   r"oct|nov|dec)[a-z]*\.?\s+\d{1,2}(?:st|nd|rd|th)?\b", re.I)


def strip_polite(text: str) -> str:
    """'please can you ping marcus …' -> 'ping marcus …'."""
    return POLITE.sub("", text.strip()).strip()


def leading_verb(text: str) -> tuple[str, str] | None:
    """(verb, the words after it) when the text starts with an action verb, else None.
    'loop in X' gives ('loop', 'X …'); 'e-mail' gives 'email'."""
    t = strip_polite(text)
    m = re.match(r"(e-mail|loop\s+in|[a-z]+)(?![\w'’-])[,:]?\s*(.*)$", t, re.I | re.S)     # 'post-sales' is no verb
    if not m:
        return None
    verb = m.group(1).lower()
    verb = "email" if verb == "e-mail" else "loop" if verb.startswith("loop") else verb
    if verb not in MESSAGE_VERBS + CRM_VERBS + WEBHOOK_VERBS:
        return None
    return verb, m.group(2).strip()


def first_word(text: str) -> str:
    m = re.match(r"[#@]?[\w'’.-]+", text.strip())
    return m.group(0).lower().rstrip(".") if m else ""


def is_message(verb: str, rest: str) -> bool:
    """A message to someone: a message verb, then a recipient that is not 'me'/'us'/a question word, and for
    verbs that also take things ('email', 'ask', 'text' …) the shape of a message after it."""
    if verb not in MESSAGE_VERBS or not rest:
        return False
    word = first_word(rest)
    if not word or word in NOT_RECIPIENTS:
        return False
    if verb == "let":
        return bool(re.search(r"\bknow\b", rest, re.I))
    if verb in ("give", "shoot", "drop"):
        return bool(re.search(r"\ban?\s+(?:quick\s+|short\s+)?(?:heads[\s-]?up|shout|ping|nudge|note|message|msg|line|"
                              r"dm|email|e-mail|reminder|slack|text|mail)\b", rest, re.I))
    if verb in _CAREFUL:
        # the message's shape right after a short recipient ('email marcus about …', 'ask the AE to …'),
        # not somewhere in a question ('email open rate by campaign compared to last month')
        head = " ".join(rest.split()[:5])
        return bool(MESSAGE_SHAPE.search(head))
    return True


def is_crm_change(verb: str, rest: str, names: Any = None) -> bool:
    """A change to a CRM record: a CRM verb with a field ('close date', 'stage' …), 'in the CRM', or 'to'
    followed by a date or a stage the question names ('move techcorp to business justification')."""
    if verb not in CRM_VERBS or not rest:
        return False
    if CRM_PLACE.search(rest) or CRM_FIELD_WORDS.search(rest):
        return True
    to = re.search(r"\b(?:to|as|into)\s+(.+)$", rest, re.I)
    if not to:
        return False
    if _DATE.search(to.group(1)):
        return True
    stages = [m for m in (names.of("stage", "forecast_category") if names is not None else [])]
    return any(m.start >= 0 and m.span.lower() in to.group(1).lower() for m in stages)


def action_request(text: str, names: Any = None) -> str | None:
    """Why the text asks for an action (a reason for the trace), or None when it does not."""
    lead = leading_verb(text)
    if lead is None:
        return None
    verb, rest = lead
    if is_crm_change(verb, rest, names):
        return f"a request to change the CRM ('{verb} …')"
    if is_message(verb, rest):
        return f"a request to message someone ('{verb} {first_word(rest)} …')"
    return None
