"""Which hygiene rules a question asks about, with the numbers it names: "deals with no next step" is the
no_next_step rule, "no activity in 30 days" the no_activity rule with days=30, "pushed more than twice" the
pushes rule with times=3, "hygiene issues" or "break our rules" every rule.

The phrases are per check, so a rule a team adds (any name, one of the checks) is asked the same way.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from revops_cli.hygiene.rules import Rule, RuleSet

_NUMBER_WORDS = {"one": 1, "once": 1, "two": 2, "twice": 2, "three": 3, "thrice": 3, "four": 4, "five": 5,
                 "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10}
_N = r"(\d+|one|two|three|four|five|six|seven|eight|nine|ten)"

GENERAL = re.compile(r"\bhygiene\b|\bbreak(?:s|ing)?\s+(?:the\s+|our\s+|any\s+)?(?:hygiene\s+)?rules?\b|"
                     r"\brule[- ]?breakers?\b|\bviolat\w*\s+(?:the\s+|our\s+)?(?:hygiene\s+)?rules?\b|"
                     r"\bdata quality issues\b|\bcrm hygiene\b", re.I)

PHRASES: dict[str, re.Pattern] = {
    "close_date_past": re.compile(
        r"\bclose dates?\s+(?:is\s+|are\s+|was\s+|were\s+|already\s+)*(?:in the past|passed|past due)|"
        r"\bpast[- ]due\b|\boverdue\b|\bpast (?:their|the|its) close dates?\b|\bclose dates? (?:that )?(?:have |has )?passed\b",
        re.I),
    "no_next_step": re.compile(
        r"\b(?:no|missing|without|lacking|empty|blank)(?:\s+(?:an?|any|the))?\s+next[- ]steps?\b|"
        r"\bnext[- ]steps?\s+(?:is\s+|are\s+)?(?:missing|empty|blank|not set)\b", re.I),
    "no_activity": re.compile(
        rf"\bno\s+(?:recent\s+)?activit(?:y|ies)(?:\s+(?:in|for|over)\s+(?:the\s+)?(?:last\s+|past\s+)?{_N}\+?\s+days?)?|"
        rf"\b(?:idle|inactive|untouched|stale|quiet)(?:\s+(?:for\s+)?(?:more than\s+|over\s+)?{_N}\+?\s+days?)?\b|"
        rf"\bnot\s+(?:been\s+)?touched\s+(?:in|for)\s+(?:the\s+)?(?:last\s+)?{_N}\s+days?\b", re.I),
    "economic_buyer": re.compile(
        r"\b(?:without|no|missing|lacking)\s+(?:an?\s+|the\s+)?(?:validated\s+|confirmed\s+|known\s+)?economic buyers?\b|"
        r"\beconomic buyers?\s+(?:is\s+|are\s+)?(?:missing|unknown|not validated)\b", re.I),
    "amount_changed": re.compile(
        r"\bamounts?\s+(?:was\s+|were\s+|got\s+)?(?:changed|change[sd]?|moved|cut|raised|reduced|increased|decreased)\b|"
        r"\bchanged\s+(?:the\s+|their\s+|its\s+)?amounts?\b|\bamount changes?\b", re.I),
    "stage_skipped": re.compile(r"\bskip(?:ped|s|ping)?\s+(?:a\s+|one or more\s+|any\s+)?stages?\b|"
                                r"\bstages?\s+(?:were\s+|was\s+)?skipped\b", re.I),
    "pushes": re.compile(
        rf"\bpushed\s+(?:(?P<more>more than|over|at least)\s+)?(?P<n>{_N}|twice|thrice|once)(?:\s+times)?\+?|"
        r"\bpushed\s+(?:repeatedly|multiple times|again and again|over and over)\b", re.I),
}

# The parts of a question's words not understood (understanding.parse's `unknown`) that a hygiene rule reads.
UNDERSTOOD = re.compile("|".join(p.pattern for p in PHRASES.values()) + "|" + GENERAL.pattern, re.I)


@dataclass
class Asked:
    rules: list[Rule]
    general: bool               # every rule ("hygiene issues"), or only those the question names


def _number(word: str | None) -> int | None:
    if not word:
        return None
    w = word.lower()
    return int(w) if w.isdigit() else _NUMBER_WORDS.get(w)


def is_hygiene_question(text: str) -> bool:
    t = text or ""
    return bool(GENERAL.search(t) or any(p.search(t) for p in PHRASES.values()))


def understands(phrase: str) -> bool:
    """A phrase the question parser could not place ("no activity in 30 days") that a hygiene rule reads."""
    return bool(UNDERSTOOD.search(phrase or ""))


def rules_asked(text: str, rs: RuleSet) -> Asked:
    """The rules a question asks about (all when it names none in particular), with its numbers applied."""
    t = text or ""
    picked: list[Rule] = []
    for check, rx in PHRASES.items():
        m = rx.search(t)
        if not m:
            continue
        rules = rs.of_check(check)
        if not rules:
            continue
        number = next((_number(g) for g in m.groups() if _number(g) is not None), None)
        for r in rules[:1] if number is not None else rules:
            if number is None:
                picked.append(r)
            elif check == "no_activity":
                picked.append(r.with_settings(days=number))
            elif check == "pushes":
                more = bool(m.groupdict().get("more")) and m.groupdict()["more"].lower() in ("more than", "over")
                picked.append(r.with_settings(times=number + (1 if more else 0)))
            else:
                picked.append(r)
    if picked:
        return Asked(picked, general=False)
    return Asked(list(rs.rules), general=True)
