"""MEDDPICC scoring: the CRM's status fields, adjusted by evidence found in the deal's call transcripts.

The rules live in a rubric, `agents/rubrics/meddpicc.yaml` (package data), which a user overrides with
`./rubrics/meddpicc.yaml` (the project folder wins) or `<home>/rubrics/meddpicc.yaml`. An override is
merged over the package file key by key (mappings merge, lists and values replace), so a file holding
only `elements: {economic_buyer: {weight: 30}, competition: {weight: 5}}` re-weights two elements.

Scoring, per element (metrics, economic_buyer, decision_criteria, decision_making_process, paper_process,
identify_pain, champion, competition):

- the CRM status gives 0..3 (`levels:`: Unknown 0, Identified 1, Validated 2, Leveraged 3);
- a transcript line that matches one of the element's patterns is evidence; any evidence raises the score
  by one level, never above 3. By default a line counts only when a customer-side participant says it
  (participants labelled with an `evidence.internal_markers` word, e.g. "(Firebolt AE)", and the deal
  owner are our side), it is not a question, and it matches none of `evidence.negations` ("not sure
  yet who signs off"). A line that matches `evidence.pending` speaks of what has not happened yet ("we
  haven't met the CFO yet", "the meeting has not happened"): it may raise an element to Identified, never
  further; the newest call that speaks to an element decides: when all it says is still to come ("Dana
  still has to sign off"), older lines (an earlier "the CFO is the economic buyer") do not validate it. Within one sentence that matches several elements, the sentence speaks to the element with the
  longest matching phrase (ties: each), so one quote is cited for two elements only when it speaks to both
  (`supported_elements`). Competition evidence is a competitor's name (the rubric's `competitors` plus the
  deal's own `competitors` field, whole words) said by anyone; a competitor raised as a threat
  (`evidence.competitor_threats`: "they prefer Databricks", "came back with a big discount") caps the
  competition element at Validated: a threat is never scored as leveraged;
- the deal score is sum(weight * score / 3) over the elements (weights sum to 100), rounded to 0.1,
  and its band is the first of `bands:` whose `min` it reaches;
- a stage gate (`gates:`) fails when an open deal is at or past the gate's stage and the element
  scores below `min_score`.

Everything is plain Python over rows the agent already fetched: no query here, regexes compiled once
per rubric file version.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable

from revops_cli.errors import ConfigError
from revops_cli.formatting import day_of  # noqa: F401 - also meddpicc.day_of for the Deal agent

PACKAGE_RUBRIC = Path(__file__).resolve().parent / "rubrics" / "meddpicc.yaml"
RUBRIC_NAME = "meddpicc.yaml"

# MEDDPICC letter order (display order); the keys are the warehouse's column names.
ELEMENTS: tuple[str, ...] = ("metrics", "economic_buyer", "decision_criteria", "decision_making_process",
                             "paper_process", "identify_pain", "champion", "competition")
SIGNALS: tuple[str, ...] = ("budget_slip", "technical_concern", "expansion", "technical_win")

_AMOUNT = re.compile(r"\$\s?(\d+(?:[.,]\d+)*)\s?(k|m|mm|million|thousand|b|billion)?\b", re.IGNORECASE)
_MULTIPLIERS = {"k": 1e3, "thousand": 1e3, "m": 1e6, "mm": 1e6, "million": 1e6, "b": 1e9, "billion": 1e9}


# ------------------------------------------------------------------------------------------------ rubric
@dataclass
class Element:
    key: str
    label: str
    letter: str
    weight: float
    patterns: list[str]
    regex: re.Pattern | None


@dataclass
class Gate:
    stage: str
    element: str
    min_score: int
    type: str
    title: str


@dataclass
class Rubric:
    files: list[str]
    levels: dict[str, int]
    bands: list[tuple[float, str]]
    elements: dict[str, Element]
    competitors: list[str]
    stage_order: list[str]
    late_stage: str | None
    stage_max_days: dict[str, int]
    gates: list[Gate]
    signals: dict[str, re.Pattern | None]
    evidence: dict[str, Any]
    risks: dict[str, Any]
    probability: dict[str, Any]
    internal_markers: re.Pattern | None = None
    negation: re.Pattern | None = None
    pending: re.Pattern | None = None
    competitor_threat: re.Pattern | None = None
    _stage_index: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._stage_index = {s.lower(): i for i, s in enumerate(self.stage_order)}

    def stage_index(self, stage: str | None) -> int:
        """Position of a stage in the pipeline; -1 for a stage the rubric does not list."""
        return self._stage_index.get(str(stage or "").strip().lower(), -1)

    def at_or_after(self, stage: str | None, reference: str | None) -> bool:
        if not reference:
            return False
        i, ref = self.stage_index(stage), self.stage_index(reference)
        return i >= 0 and ref >= 0 and i >= ref

    def is_late(self, stage: str | None) -> bool:
        return self.at_or_after(stage, self.late_stage)

    def band(self, score: float) -> str:
        for low, label in self.bands:
            if score >= low:
                return label
        return self.bands[-1][1] if self.bands else ""

    def crm_score(self, status: Any) -> int:
        return int(self.levels.get(str(status or "").strip().title(), self.levels.get(str(status or ""), 0)))


def rubric_paths(settings) -> list[Path]:
    """The rubric files in force, weakest first: the package's, <home>/rubrics/, ./rubrics/."""
    paths = [PACKAGE_RUBRIC]
    for folder in (settings.home / "rubrics", Path.cwd() / "rubrics"):
        f = folder / RUBRIC_NAME
        if f.is_file():
            paths.append(f)
    return paths


def load_rubric(settings) -> Rubric:
    """The MEDDPICC rubric: package file merged with the user's overrides (parsed once per file version)."""
    key = []
    for p in rubric_paths(settings):
        st = p.stat()
        key.append((str(p), st.st_mtime_ns, st.st_size))
    return _load(tuple(key))


RUBRIC_KEYS = ("version", "levels", "bands", "evidence", "elements", "competitors", "stages", "gates", "signals",
               "risks", "probability")
ELEMENT_KEYS = ("weight", "label", "letter", "patterns")


@lru_cache(maxsize=16)
def _load(files: tuple[tuple[str, int, int], ...]) -> Rubric:
    from revops_cli.yaml_files import merge_layers

    merged: dict[str, Any] = {}
    for path, _, _ in files:
        merged = merge_layers(merged, read_rubric_file(Path(path)))
    return _build(merged, [f[0] for f in files])


def read_rubric_file(path: Path) -> dict[str, Any]:
    """One rubric file, its shape checked by the shared YAML mechanism (yaml_files.py): a YAML error, an
    unknown key or element (with the nearest known one) is a ConfigError naming `file:line`."""
    from revops_cli.yaml_files import check_keys, expect_map, load_yaml

    data = load_yaml(path)
    if data is None:
        return {}
    data = expect_map(data, str(path), "a MEDDPICC rubric")
    check_keys(data, RUBRIC_KEYS, what="a MEDDPICC rubric")
    elements = data.get("elements")
    if elements is not None:
        elements = expect_map(elements, data.where("elements"), "the rubric's elements")
        check_keys(elements, ELEMENTS, what="the rubric's elements (MEDDPICC)")
        for key, spec in elements.items():
            if spec is not None:
                check_keys(expect_map(spec, elements.where(key), f"elements.{key}"), ELEMENT_KEYS,
                           what=f"elements.{key}")
    return data


def _compile(patterns: Any, where: str, *, words: bool = False) -> re.Pattern | None:
    if patterns is None:
        return None
    if not isinstance(patterns, list) or not all(isinstance(p, str) for p in patterns):
        raise ConfigError(f"rubric {where}: expected a list of patterns", "write them as a YAML list of strings")
    parts = [rf"\b{re.escape(p)}\b" if words else p for p in patterns if p.strip()]
    if not parts:
        return None
    for p in parts:
        try:
            re.compile(p)
        except re.error as exc:
            raise ConfigError(f"rubric {where}: bad regular expression {p!r}: {exc}",
                              "fix the pattern (Python regex syntax)") from None
    return re.compile("|".join(f"(?:{p})" for p in parts), re.IGNORECASE)


def _build(d: dict[str, Any], files: list[str]) -> Rubric:
    where = files[-1]
    levels = {str(k).strip().title(): int(v) for k, v in (d.get("levels") or {}).items()}
    elements: dict[str, Element] = {}
    raw_elements = d.get("elements") or {}
    unknown = set(raw_elements) - set(ELEMENTS)
    if unknown:
        raise ConfigError(f"{where}: unknown MEDDPICC elements: {', '.join(sorted(map(str, unknown)))}",
                          f"elements are: {', '.join(ELEMENTS)}")
    for key in ELEMENTS:
        spec = raw_elements.get(key) or {}
        if not isinstance(spec, dict):
            raise ConfigError(f"{where}: elements.{key} must be a mapping", "give weight, label and patterns")
        try:
            weight = float(spec.get("weight", 0))
        except (TypeError, ValueError):
            raise ConfigError(f"{where}: elements.{key}.weight is not a number", "use a number") from None
        patterns = list(spec.get("patterns") or [])
        elements[key] = Element(key=key, label=str(spec.get("label") or key.replace("_", " ").title()),
                                letter=str(spec.get("letter") or key[0].upper()), weight=weight,
                                patterns=patterns, regex=_compile(patterns, f"elements.{key}.patterns"))
    total = sum(e.weight for e in elements.values())
    if abs(total - 100) > 1e-6:
        raise ConfigError(f"rubric weights sum to {total:g}, not 100 ({', '.join(files[1:]) or files[0]})",
                          "make elements.*.weight add up to 100")
    bands = sorted(((float(b["min"]), str(b["label"])) for b in d.get("bands") or []), reverse=True)
    stages = d.get("stages") or {}
    gates = []
    for g in d.get("gates") or []:
        if g.get("element") not in ELEMENTS:
            raise ConfigError(f"{where}: gate on unknown element {g.get('element')!r}",
                              f"elements are: {', '.join(ELEMENTS)}")
        gates.append(Gate(stage=str(g["stage"]), element=g["element"], min_score=int(g.get("min_score", 2)),
                          type=str(g.get("type", "process")),
                          title=str(g.get("title") or f"{elements[g['element']].label} below the stage gate")))
    signals = {name: _compile((d.get("signals") or {}).get(name), f"signals.{name}") for name in SIGNALS}
    evidence = dict(d.get("evidence") or {})
    markers = evidence.get("internal_markers") or []
    return Rubric(
        files=files, levels=levels, bands=bands, elements=elements,
        competitors=[str(c) for c in d.get("competitors") or []],
        stage_order=[str(s) for s in stages.get("order") or []], late_stage=stages.get("late"),
        stage_max_days={str(k): int(v) for k, v in (stages.get("max_days") or {}).items()},
        gates=gates, signals=signals, evidence=evidence, risks=dict(d.get("risks") or {}),
        probability=dict(d.get("probability") or {}),
        internal_markers=_compile([str(m) for m in markers], "evidence.internal_markers", words=True),
        negation=_compile(evidence.get("negations") or [], "evidence.negations"),
        pending=_compile(evidence.get("pending") or [], "evidence.pending"),
        competitor_threat=_compile(evidence.get("competitor_threats") or [], "evidence.competitor_threats"),
    )


@lru_cache(maxsize=256)
def competitor_regex(names: tuple[str, ...]) -> re.Pattern | None:
    return _compile(list(names), "competitors", words=True)


# ------------------------------------------------------------------------------------------------ transcripts
@dataclass
class Line:
    call_id: str
    call_date: date | None
    speaker: str
    text: str                 # the whole line, trimmed ("Speaker: words")
    words: str                # what was said, without the speaker
    customer: bool
    question: bool
    negated: bool = False
    pending: bool = False     # speaks of what has not happened yet: identifies, never validates


@dataclass
class CallLines:
    call_id: str
    call_date: date | None
    title: str | None
    lines: list[Line]
    customer_people: list[str]


def split_participants(text: str | None) -> list[tuple[str, str]]:
    """'Sarah Johnson (Firebolt AE),Dana Lee (IXIS, CFO)' -> [('Sarah Johnson', 'Firebolt AE'), ('Dana Lee', 'IXIS, CFO')]."""
    out: list[tuple[str, str]] = []
    depth, cur = 0, []
    for ch in (text or "") + ",":
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth = max(0, depth - 1)
        if ch in ",;" and depth == 0:
            item = "".join(cur).strip()
            cur = []
            if item:
                name, _, label = item.partition("(")
                out.append((name.strip(), label.rstrip(")").strip()))
            continue
        cur.append(ch)
    return out


def prepare_calls(calls: Iterable[dict[str, Any]], rubric: Rubric, owner_name: str | None) -> list[CallLines]:
    """Split each call's transcript into speaker lines, marking who is on the customer side."""
    owner = (owner_name or "").strip().lower()
    markers = rubric.internal_markers
    negation = rubric.negation
    out = []
    for call in calls:
        people = split_participants(call.get("participants"))
        internal = {n.lower() for n, label in people
                    if (markers is not None and markers.search(label)) or n.lower() == owner}
        if owner:
            internal.add(owner)
        customers = [n for n, _ in people if n.lower() not in internal]
        call_id, day = str(call.get("call_id")), day_of(call.get("started_at"))
        lines = []
        for raw in str(call.get("transcript") or "").splitlines():
            raw = raw.strip()
            if not raw:
                continue
            speaker, sep, words = raw.partition(":")
            if not sep or len(speaker) > 80:
                speaker, words = "", raw
            speaker, words = speaker.strip(), words.strip()
            lines.append(Line(call_id=call_id, call_date=day, speaker=speaker, text=raw, words=words,
                              customer=speaker.lower() not in internal,
                              question=words.endswith("?"),
                              negated=bool(negation is not None and negation.search(words)),
                              pending=bool(rubric.pending is not None and rubric.pending.search(words))))
        out.append(CallLines(call_id=call_id, call_date=day, title=call.get("title"), lines=lines,
                             customer_people=customers))
    return out


def evidence_item(element: str, line: Line, max_chars: int, **extra: Any) -> dict[str, Any]:
    sentence = line.text if len(line.text) <= max_chars else line.text[: max_chars - 1].rstrip() + "…"
    return {"element": element, "source": "call", "call_id": line.call_id,
            "call_date": line.call_date.isoformat() if line.call_date else None,
            "speaker": line.speaker or None, "sentence": sentence, **extra}


def is_statement(line: Line, rubric: Rubric) -> bool:
    """Said by the customer side (unless the rubric says anyone) and not a question."""
    ev = rubric.evidence
    if ev.get("customer_side_only", True) and not line.customer:
        return False
    if ev.get("skip_questions", True) and line.question:
        return False
    return True


def counts_as_evidence(line: Line, rubric: Rubric) -> bool:
    """Positive evidence: a customer-side statement that is not negated ("not sure who signs off")."""
    return is_statement(line, rubric) and not line.negated


_SENTENCE_END = re.compile(r"(?<=[.;!?])\s+")


def supported_elements(words: str, rubric: Rubric) -> dict[str, tuple[str, bool]]:
    """The elements (not competition) one line speaks to: {element: (matching phrase, pending)}. Per sentence
    (split at . ; ! ?), the element(s) with the longest matching phrase; a line of several sentences may speak
    to several. `pending`: the sentence speaks of what has not happened yet (`evidence.pending`), or a
    neighbouring sentence that names no element does ("It goes to the CFO. I haven't set up that meeting
    yet."; "Not yet. The CFO approves the budget.")."""
    sentences = _SENTENCE_END.split(words)
    later = [bool(rubric.pending is not None and rubric.pending.search(s)) for s in sentences]
    per: list[dict[str, str]] = []
    for sentence in sentences:
        best: dict[str, str] = {}
        for key, el in rubric.elements.items():
            if key == "competition" or el.regex is None:
                continue
            phrases = [m.group(0) for m in el.regex.finditer(sentence) if m.group(0)]
            if phrases:
                best[key] = max(phrases, key=len)
        top = max((len(p) for p in best.values()), default=0)
        per.append({k: p for k, p in best.items() if len(p) == top})
    out: dict[str, tuple[str, bool]] = {}
    for i, found in enumerate(per):
        tainted = later[i] or any(later[j] and not per[j] for j in (i - 1, i + 1) if 0 <= j < len(per))
        for key, phrase in found.items():
            if key not in out or (out[key][1] and not tainted):
                out[key] = (phrase, tainted)
    return out


def parse_amount(text: str) -> float | None:
    """The largest dollar amount in a sentence: '$500K' -> 500000.0, '$1.2M' -> 1200000.0."""
    best = None
    for m in _AMOUNT.finditer(text):
        try:
            value = float(m.group(1).replace(",", ""))
        except ValueError:
            continue
        value *= _MULTIPLIERS.get((m.group(2) or "").lower(), 1)
        best = value if best is None or value > best else best
    return best


# ------------------------------------------------------------------------------------------------ scoring
def score(opp: dict[str, Any], calls: list[CallLines], rubric: Rubric,
          competitors: Iterable[str] = ()) -> dict[str, Any]:
    """Score one deal: {score, band, elements: [...], failed_gates: [...], weights, rubric_files}."""
    max_per = int(rubric.evidence.get("max_per_element", 3))
    max_chars = int(rubric.evidence.get("max_sentence_chars", 240))
    comp_rx = competitor_regex(tuple(sorted({c.strip() for c in (*rubric.competitors, *competitors) if c.strip()})))
    found: dict[str, list[dict[str, Any]]] = {k: [] for k in ELEMENTS}
    threats: list[dict[str, Any]] = []
    newest: dict[str, str] = {}                  # element -> the most recent call with evidence for it
    done_now: set[str] = set()                   # elements that call speaks of as done (not pending)
    for call in calls:                           # most recent first
        for line in call.lines:
            if comp_rx is not None:
                m = comp_rx.search(line.words)
                if m:
                    threat = bool(rubric.competitor_threat is not None and rubric.competitor_threat.search(line.words))
                    item = evidence_item("competition", line, max_chars, match=m.group(0), threat=threat)
                    if threat and len(threats) < max_per:
                        threats.append(item)
                    if len(found["competition"]) < max_per:
                        found["competition"].append(item)
            if not counts_as_evidence(line, rubric):
                continue
            for key, (phrase, later) in supported_elements(line.words, rubric).items():
                if newest.setdefault(key, line.call_id) == line.call_id and not later:
                    done_now.add(key)
                if len(found[key]) < max_per:
                    found[key].append(evidence_item(key, line, max_chars, match=phrase, pending=later))
    elements = []
    total = 0.0
    for key in ELEMENTS:
        el = rubric.elements[key]
        status = opp.get(f"{key}_status") or "Unknown"
        crm = rubric.crm_score(status)
        calls_ev = found[key]
        note = None
        if key in done_now or (key == "competition" and calls_ev):
            value = min(3, crm + 1)
        elif calls_ev:                           # only what has not happened yet: identified at most
            value = max(crm, min(1, crm + 1))
            if crm >= 1:
                note = "the calls speak of it as not done yet"
        else:
            value = min(3, crm)
        if key == "competition" and threats:
            if value > 2:
                note = f"{threats[0]['match']} raised as a threat: not leveraged"
            value = min(value, 2)
            calls_ev = threats + [e for e in calls_ev if e not in threats]
            calls_ev = calls_ev[:max_per]
        evidence: list[dict[str, Any]] = []
        crm_note = (opp.get(key) or "").strip()
        if crm_note or crm:
            evidence.append({"element": key, "source": "crm", "call_id": None, "call_date": None,
                             "field": key, "sentence": crm_note or None, "status": status})
        evidence.extend(calls_ev)
        total += el.weight * value / 3
        elements.append({"element": key, "label": el.label, "letter": el.letter, "weight": el.weight,
                         "score": value, "crm_score": crm, "crm_status": status, "raised_by_calls": value > crm,
                         "status": _STATUS_WORDS[value], "note": note, "evidence": evidence})
    total = round(total, 1)
    by_key = {e["element"]: e for e in elements}
    failed = []
    if not opp.get("is_closed"):
        for g in rubric.gates:
            if rubric.at_or_after(opp.get("stage"), g.stage) and by_key[g.element]["score"] < g.min_score:
                failed.append({"stage": g.stage, "element": g.element, "label": rubric.elements[g.element].label,
                               "score": by_key[g.element]["score"], "min_score": g.min_score,
                               "type": g.type, "title": g.title})
    return {"score": total, "band": rubric.band(total), "elements": elements, "failed_gates": failed,
            "weights": {k: rubric.elements[k].weight for k in ELEMENTS}, "rubric_files": list(rubric.files)}


_STATUS_WORDS = {0: "Unknown", 1: "Identified", 2: "Validated", 3: "Leveraged"}
