"""The checks of one answer against one `Expect`: each gives a `Check` (what, passed, expected, actual).

Numbers are found in the answer's text in the ways people write them ($5.1M, $800K, 5,123,456, 42%,
1.2bn) and match an expected number within the precision shown ("$5.1M" stands for 5.05M–5.15M) or 0.5%,
whichever is wider; a percentage also matches its fraction (42% = 0.42). Text matches case-insensitively.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from revops_cli.evaluation.cases import Expect

ENTITY_DATA_KEYS = {"deal": ("opportunity", "deal"), "account": ("account",), "person": ("person", "lead", "contact"),
                    "company": ("company",), "competitor": ("competitor",)}
REL_TOLERANCE = 0.005
SUFFIX = {"k": 1e3, "m": 1e6, "mm": 1e6, "mn": 1e6, "b": 1e9, "bn": 1e9}
NUMBER = re.compile(r"(?<![\w.])(-|−)?\$?(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d+))?(k|K|mm|MM|mn|M|m|bn|B|b)?(?![\w])(%)?")


@dataclass
class Check:
    what: str              # agent | ok | exit_code | entity:deal | value | absent | contains | not_contains | ...
    passed: bool
    expected: Any
    actual: Any = None

    def to_dict(self) -> dict[str, Any]:
        return {"check": self.what, "passed": self.passed, "expected": self.expected, "actual": self.actual}


@dataclass
class Shown:
    """A number as shown in the text: its value and half a unit of its last digit."""

    value: float
    half_unit: float
    percent: bool
    text: str


def numbers_in(text: str) -> list[Shown]:
    out = []
    for m in NUMBER.finditer(text):
        sign, whole, frac, suffix, pct = m.groups()
        mult = SUFFIX.get((suffix or "").lower(), 1.0)
        value = float(whole.replace(",", "") + ("." + frac if frac else "")) * mult
        if sign:
            value = -value
        half = 0.5 * (10 ** -len(frac) if frac else 1.0) * mult
        out.append(Shown(value=value, half_unit=half, percent=bool(pct), text=m.group(0)))
    return out


def number_shown(expected: float, shown: list[Shown]) -> Shown | None:
    """The first number in `shown` that stands for `expected`, or None."""
    for s in shown:
        candidates = [(s.value, s.half_unit)]
        if s.percent:
            candidates.append((s.value / 100, s.half_unit / 100))
        for v, half in candidates:
            if abs(v - expected) <= max(half, REL_TOLERANCE * abs(expected), 1e-9):
                return s
    return None


def is_number(v: Any) -> bool:
    from decimal import Decimal

    return isinstance(v, (int, float, Decimal)) and not isinstance(v, bool)


def value_shown(expected: Any, text: str, shown: list[Shown]) -> bool:
    if is_number(expected):
        f = float(expected)
        return not math.isnan(f) and number_shown(f, shown) is not None
    return str(expected).strip().lower() in text.lower()


def exit_code_of(answer: Any) -> int:
    """The exit code the CLI gives this answer (commands/answers.py run_request)."""
    if answer.ok:
        return 0
    return int((answer.data.get("error") or {}).get("exit_code") or 1)


def names_of(value: Any) -> list[str]:
    """The names an entity entry in an answer's data goes by (a dict's name/title/id fields, or the text)."""
    if isinstance(value, dict):
        return [str(value[k]) for k in ("name", "full_name", "company", "company_name", "title", "opportunity_id",
                                        "account_id", "lead_id") if value.get(k)]
    if isinstance(value, list):
        return [n for v in value for n in names_of(v)]
    return [str(value)] if value not in (None, "") else []


def entity_names(data: dict[str, Any], kind: str) -> list[str]:
    names: list[str] = []
    for key in ENTITY_DATA_KEYS[kind]:
        names.extend(names_of(data.get(key)))
    entities = data.get("entities")
    if isinstance(entities, dict):
        for key in (kind,) + ENTITY_DATA_KEYS[kind]:
            names.extend(names_of(entities.get(key)))
    elif isinstance(entities, list):
        names.extend(n for e in entities if isinstance(e, dict) and e.get("kind") in (kind,) + ENTITY_DATA_KEYS[kind]
                     for n in names_of(e))
    return names


def is_capability_menu(answer: Any) -> bool:
    """The "I can answer: …" menu, which is never a successful answer (issue 13)."""
    data = answer.data or {}
    return bool(data.get("capabilities")) and not data.get("analysis")


def check_answer(answer: Any, expect: Expect, values: list[tuple[str, list[Any]]],
                 absent: list[tuple[str, list[Any]]], aliases: dict[str, list[str]] | None = None) -> list[Check]:
    """Every check of `expect` on `answer`. `values` / `absent`: (description, the expected cells), already
    read from the warehouse by the runner; `aliases`: other names of an expected entity (a deal's id).
    An `ok: true` answer that is only the capability menu always fails (`not_menu`)."""
    checks: list[Check] = []
    aliases = aliases or {}
    text = answer.text or ""
    if not answer.ok and answer.error:
        text = f"{text}\n{answer.error}"
    shown = numbers_in(text)
    if expect.agent is not None:
        checks.append(Check("agent", answer.agent in expect.agent, " or ".join(expect.agent), answer.agent))
    if expect.ok is not None:
        checks.append(Check("ok", answer.ok == expect.ok, expect.ok, answer.ok))
    if answer.ok and is_capability_menu(answer):
        checks.append(Check("not_menu", False, "an answer", "the capability menu, with ok: true"))
    if expect.exit_code is not None:
        code = exit_code_of(answer)
        checks.append(Check("exit_code", code == expect.exit_code, expect.exit_code, code))
    for kind, name in expect.entities.items():
        found = entity_names(answer.data or {}, kind)
        accepted = {a.lower() for a in [name] + aliases.get(name, [])}
        hit = any(n.lower() in accepted for n in found)
        checks.append(Check(f"entity:{kind}", hit, name, found or None))
    for what, cells in values:
        missing = [c for c in cells if not value_shown(c, text, shown)]
        checks.append(Check("value", not missing, f"{what}: {_cells(cells)}",
                            f"not shown: {_cells(missing)}" if missing else "all shown"))
    for what, cells in absent:
        present = [c for c in cells if value_shown(c, text, shown)]
        checks.append(Check("absent", not present, f"{what}: none of {_cells(cells)}",
                            f"shown: {_cells(present)}" if present else "none shown"))
    low = text.lower()
    for item in expect.contains:
        options = item if isinstance(item, list) else [item]
        hit = any(o.lower() in low for o in options)
        checks.append(Check("contains", hit, " or ".join(repr(o) for o in options), None if hit else _excerpt(text)))
    for item in expect.not_contains:
        hit = item.lower() in low
        checks.append(Check("not_contains", not hit, repr(item), _around(text, item) if hit else None))
    first = first_line(answer.text or "")
    for item in expect.interpretation:
        options = item if isinstance(item, list) else [item]
        hit = any(o.lower() in first.lower() for o in options)
        checks.append(Check("interpretation", hit, "first line has " + " or ".join(repr(o) for o in options),
                            first or "(no text)"))
    if expect.pending_actions is not None:
        n = len(answer.pending_actions or [])
        checks.append(Check("pending_actions", (n > 0) == expect.pending_actions,
                            "a dry run with actions" if expect.pending_actions else "no actions", f"{n} action(s)"))
    return checks


def first_line(text: str) -> str:
    """The answer's first non-empty line, markdown marks (#, *, _) stripped: where the interpretation goes."""
    for line in text.splitlines():
        clean = line.strip().lstrip("#").strip().replace("**", "").replace("__", "").strip("_* ")
        if clean:
            return clean
    return ""


def _cells(cells: list[Any], limit: int = 8) -> str:
    def one(c: Any) -> str:
        if is_number(c):
            f = float(c)
            return f"{f:,.2f}".rstrip("0").rstrip(".") if not f.is_integer() else f"{int(f):,}"
        return repr(str(c))
    head = ", ".join(one(c) for c in cells[:limit])
    return head + (f", … ({len(cells) - limit} more)" if len(cells) > limit else "") if cells else "(none)"


def _excerpt(text: str, n: int = 160) -> str:
    flat = " ".join(text.split())
    return flat[:n] + ("…" if len(flat) > n else "")


def _around(text: str, needle: str, n: int = 60) -> str:
    flat = " ".join(text.split())
    i = flat.lower().find(needle.lower())
    if i < 0:
        return _excerpt(text)
    return ("…" if i > n else "") + flat[max(0, i - n): i + len(needle) + n] + "…"
