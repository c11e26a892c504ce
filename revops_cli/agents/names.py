"""Names first: every known thing a question names, found before any keyword rule decides the agent.

Two sources, both from the warehouse:
- the *vocabulary* (`name_index` pattern): regions, segments, industries, stages, deal types, lead sources,
  forecast categories, competitors, lead statuses and the sales team's people. Small; fetched once per
  warehouse identity and kept in memory for `INDEX_TTL_S` (and in the result cache across processes).
- *entity names* (accounts, deals, leads, contacts, researched companies): too many to hold, so each
  candidate span of the question (quoted text, capitalised phrases, the words next to "deal"/"account",
  "with/for/at ...") is looked up by its first letters (`name_candidates`) and matched with rapidfuzz.

Metric phrases ("deal size", "biggest deal", "deal count", "average", "win rate", ...) are never names.
A fuzzy match is taken only as a clear winner; among close candidates the one with an open deal is
preferred, and the note says which was chosen and over what (`Names.notes`, also in the trace).
"""

from __future__ import annotations

import re
import time
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from typing import Any

from revops_cli.agents.base import AgentContext

AGENT = "manager"
INDEX_TTL_S = 300.0
FUZZY_ACCEPT = 75            # a misspelt entity name must reach this similarity ...
FUZZY_MARGIN = 8             # ... and be this far ahead of a rival pointing elsewhere (or be the only open deal)
VOCAB_FUZZY = 85             # a misspelt competitor ("Snowfalke") needs more: the vocabulary words are short
ENTITY_KINDS = ("account", "opportunity", "lead", "contact", "company")
DEALISH = ("opportunity", "account")
PEOPLE = ("lead", "contact")

# Phrases that measure things. They are never read as a deal, account or person name.
METRIC_PHRASES = re.compile(
    r"\b(?:average|avg|median|mean|total|sum|count|number|deal sizes?|deal counts?|deal velocity|"
    r"(?:biggest|largest|smallest|top|bottom|best|worst)\s+(?:\d+\s+)?(?:deals?|opportunit\w*|accounts?|customers?|reps?)|"
    r"win rates?|loss rates?|close rates?|sales cycles?|cycle times?|conversion rates?|pipeline|bookings|revenue|"
    r"arr|mrr|nrr|grr|net revenue retention|retention|churn|quota|attainment|coverage|forecast|amounts?|"
    r"growth|trends?|share|ratio|percent\w*|biggest|largest|smallest|highest|lowest|oldest|newest|size)\b", re.I)

_STOP_WORDS = frozenset("""
a about above across after again against all also am an and any are as at be because been before being below
between both but by can could did do does doing down during each few for from further had has have having he her
here hers him his how i if in into is it its itself just me more most my no nor not now of off on once only or
other our ours out over own same she should so some such than that the their theirs them then there these they
this those through to too under until up very was we were what when where which while who whom why will with you
your yours would let lets let's show tell give list find get see need want please thanks hey hi hello revbot
whats what's who's how's q1 q2 q3 q4 ytd qtd mtd fy yoy qoq mom ae aes sdr csm cfo ceo cro cto vp icp mql mqls sql
sqls arr mrr nrr meddpicc crm kpi kpis usd eur gbp jan feb mar apr may jun jul aug sep sept oct nov dec january
february march april june july august september october november december monday tuesday wednesday thursday
friday saturday sunday today yesterday tomorrow week weeks month months quarter quarters year years day days
deal deals opportunity opportunities opp opps oppty account accounts customer customers company companies
lead leads contact contacts rep reps owner owners team teams segment segments region regions stage stages
industry industries source sources competitor competitors prospect prospects pipeline forecast bookings revenue
compare analyze analyse review assess score evaluate check research identify summarize summarise rank send notify
update post trigger which open closed won lost new last next this previous current recent biggest largest top
over under between more less than at least most only and by per vs versus each every all any no
one ones status risk risks health champion buyer economic probability chance odds next step steps close closing date
""".split())

# Common words of analysts' questions that are never looked up as names when written in lower case.
_COMMON = _STOP_WORDS | frozenset("""
looking doing going gone quiet rundown blocking blocked blocker stuck pushed push still gonna happening latest
where when whats what's hows how's tell give show please thanks anything something everything nothing give
about against ahead behind around across under over with without from into onto than then them they their there
those these this that have has had will would should could might must been being were is are was does done
next steps step status risk risks risky health healthy champion champions championing buyer buyers economic
decision criteria process paper pain metrics competition competitor competitors compete competing
close closes closed closing closer date dates forecast forecasts commit upside pipeline bookings revenue
deal deals opportunity opportunities account accounts customer customers company companies lead leads contact
contacts person people team teams owner owners rep reps seller sellers manager managers quarter quarters month
months week weeks year years today yesterday tomorrow last this next same each every other more most less least
much many some any all none only just also even still already yet again ever never always often sometimes
good great best better worse worst bad biggest largest smallest top bottom high higher highest low lower lowest
new old open won lost win wins winning losing lose loss slipped slipping slip stalled stalling dead alive
chance chances likely likelihood odds probability expected expect expecting plan plans planned target targets
number numbers amount amounts size sizes value values total totals average count counts sum share rate rates
trend trends growth grow growing declining decline drop dropped churn churned churning renewal renewals
expansion upsell usage engagement activity activities touch touches call calls meeting meetings email emails
note notes summary summarise summarize analysis analyse analyze review reviews update updates report reports
list lists rank ranked ranking compare compared comparison versus region regions segment segments industry
industries source sources stage stages type types category categories enterprise market smb mid-market
first second third fourth last final quick short long full deep real actual current recent recently lately
need needs want wants know known think thinks feel happen happened happens right wrong sure well fine okay
who whom whose which what when where why how yes no not can cant can't won't don't doesn't isn't aren't
over under between among within since until before after during while because though although unless
cost costs costing price prices pricing discount discounts budget budgets spend spending money dollars
we're they're you're i'm it's we've they've we'd weve were
""".split())

# First names that are also English words: read as a rep only when capitalised ("ping Will", not "will it close").
WORDLIKE_FIRST_NAMES = frozenset("""
will mark bill grant hope jack rose dawn summer may chase faith joy rich sandy frank art pat sue ray gene bob drew
bud guy iris ivy lily ruby penny rusty cliff dean miles norman victor wade win woody amber crystal destiny grace
harmony heather holly honey jewel melody misty olive pearl robin sky star sunny august june april carol earl hunter
king lane parker price reed young green brown white black gray grey long short cook baker mason carter taylor
turner miller walker wood hill bell ward
""".split())


def is_common_word(word: str) -> bool:
    """A word of analysts' questions that is never a name on its own ('pipeline', 'looking', 'next')."""
    return norm(word) in _COMMON


_NEGATIVE_NAME_WORDS = frozenset({"deal", "deals", "opportunity", "opportunities", "opp", "opps", "account",
                                  "accounts", "the", "a", "an", "our", "my", "this", "that", "it", "its"})

# Common alternative words for vocabulary values (the canonical value is what the warehouse holds).
ALIASES: dict[tuple[str, str], tuple[str, ...]] = {
    ("region", "NA"): ("north america", "north american", "us and canada"),
    ("region", "EMEA"): ("europe", "european"),
    ("region", "APAC"): ("asia", "asia pacific", "asia-pacific"),
    ("region", "LATAM"): ("latin america", "south america"),
    ("segment", "SMB"): ("small business", "small businesses", "small customers"),
    ("segment", "Mid-Market"): ("mid market", "midmarket", "mid-size", "midsize", "mid-sized", "mid sized"),
    ("stage", "Negotiate"): ("negotiation", "negotiating", "in negotiation"),
    ("stage", "Technical Validation"): ("tech validation", "technical eval", "technical evaluation", "poc"),
    ("stage", "Business Justification"): ("business case",),
    ("deal_type", "New Business"): ("new logo", "new logos", "net new", "new biz"),
    ("deal_type", "Expansion"): ("upsell", "upsells", "upsell deal", "cross-sell", "cross sell"),
    ("industry", "Financial Services"): ("fin services", "finserv", "financial", "fsi"),
    ("industry", "Professional Services"): ("pro services", "prof services", "consulting"),
    ("industry", "Telecommunications"): ("telco", "telcos", "telecom"),
    ("industry", "Healthcare"): ("health care",),
    ("lead_source", "Paid Search"): ("ppc", "google ads"),
}
# Vocabulary kinds whose values are ordinary words too ("event", "partner", "pipeline"): found only in the
# forms listed here, so "the partner said" does not become a lead-source filter.
_CAREFUL = {"forecast_category": {"Commit", "Best Case"}, "lead_status": {"MQL", "Disqualified", "Converted"}}


@dataclass
class Mention:
    """One known thing the question names."""

    kind: str                    # region | segment | industry | stage | deal_type | lead_source | forecast_category
                                 # | competitor | lead_status | owner | account | opportunity | lead | contact | company
    value: str                   # the canonical value or the record's name
    span: str                    # the words of the question that name it
    start: int = -1
    end: int = -1
    id: str | None = None
    score: float = 100.0
    how: str = "exact"           # exact | alias | partial | fuzzy
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Names:
    mentions: list[Mention] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    ambiguous: dict[str, list[str]] = field(default_factory=dict)     # span -> close candidates (no clear winner)

    def of(self, *kinds: str) -> list[Mention]:
        return [m for m in self.mentions if m.kind in kinds]

    def first(self, *kinds: str) -> Mention | None:
        found = self.of(*kinds)
        return found[0] if found else None

    def values(self, kind: str) -> list[str]:
        return list(dict.fromkeys(m.value for m in self.of(kind)))

    def to_dict(self) -> dict[str, Any]:
        return {"mentions": [m.to_dict() for m in self.mentions], "notes": list(self.notes),
                "ambiguous": dict(self.ambiguous)}


@lru_cache(maxsize=1 << 16)
def _norm_text(s: str) -> str:
    return re.sub(r"\s+", " ", s.strip().lower().replace("’", "'"))


def norm(s: str) -> str:
    """A name or a typed term as compared: lower case, one space, straight apostrophes (remembered per string:
    the same candidate names are compared for every word of every question)."""
    return _norm_text(str(s))


# ---------------------------------------------------------------- the vocabulary index

_INDEX: dict[str, tuple[float, "Vocabulary"]] = {}


@dataclass
class Vocabulary:
    """kind -> {canonical value: extra}, plus the forms to look for in a question."""

    values: dict[str, dict[str, Any]]
    forms: list[tuple[re.Pattern, str, str, str]]      # (pattern, kind, value, how), longest form first

    @classmethod
    def build(cls, rows: list[dict[str, Any]]) -> "Vocabulary":
        values: dict[str, dict[str, Any]] = {}
        for r in rows:
            kind, value = r["kind"], r.get("value")
            if not value:
                continue
            if kind == "competitors":
                for c in str(value).split(","):
                    if c.strip():
                        values.setdefault("competitor", {})[c.strip()] = None
                continue
            if kind == "user":
                uid, _, role = str(r.get("extra") or "").partition("|")
                values.setdefault("owner", {})[str(value)] = {"user_id": uid, "role": role}
                continue
            values.setdefault(kind, {})[str(value)] = r.get("extra")
        forms: list[tuple[str, str, str, str]] = []
        for kind, vals in values.items():
            for value in vals:
                if kind in _CAREFUL and value not in _CAREFUL[kind]:
                    continue
                forms.append((value, kind, value, "exact"))
                for alias in ALIASES.get((kind, value), ()):
                    forms.append((alias, kind, value, "alias"))
        # a rep named by first name or surname alone ("how much pipeline does Marcus have?"), when only one has it
        parts: dict[str, list[str]] = {}
        for value in values.get("owner", {}):
            words = str(value).split()
            for w in {words[0], words[-1]} if len(words) > 1 else set():
                parts.setdefault(w, []).append(value)
        firsts = {str(v).split()[0] for v in values.get("owner", {}) if len(str(v).split()) > 1}
        for word, owners in parts.items():
            if len(owners) == 1 and len(word) > 2 and norm(word) not in _COMMON:
                forms.append((word, "owner", owners[0], "name part"))     # capitalised only: "Price", not "price"
                if word in firsts and norm(word) not in WORDLIKE_FIRST_NAMES:
                    # a first name that is no English word, in lower case too: "deals won by priya"
                    forms.append((word, "owner", owners[0], "first name"))
        forms.sort(key=lambda f: -len(f[0]))
        compiled = []
        for text, kind, value, how in forms:
            body = re.escape(norm(text)).replace(r"\ ", r"[\s-]+").replace(r"\-", r"[\s-]?")
            if kind == "region" and value == "NA":
                compiled.append((re.compile(r"(?<![\w-])NA(?![\w-])"), kind, value, how))   # upper case only
                # ... or "na" in lower case where only a region fits: "na customers", "in na", "na pipeline"
                compiled.append((re.compile(r"(?i:(?<=\bin )|^\s*)na(?=\s+(?:customers?|accounts?|deals?|pipe(?:line)?|"
                                            r"opps?|opportunit\w*|reps?|team|region|commit|bookings|revenue|leads?)\b|"
                                            r"\s*[?.!]?\s*$)"), kind, value, how))
                continue
            if how in ("name part", "first name"):
                flags = re.I if how == "first name" else 0
                compiled.append((re.compile(rf"(?<![\w-]){re.escape(text)}(?![\w-])", flags), kind, value, "alias"))
                continue
            plural = "(?:s|es)?" if kind in ("industry", "lead_source", "competitor", "deal_type", "stage") else ""
            # a lead source as the first half of a compound: "partner-sourced pipe", "event-driven deals"
            after = r"(?![\w-])|(?=-(?:sourced|led|driven|generated|originated|influenced)\b)" \
                if kind == "lead_source" else r"(?![\w-])"
            compiled.append((re.compile(rf"(?<![\w-]){body}{plural}(?:{after})", re.I), kind, value, how))
        return cls(values, compiled)


def vocabulary(ctx: AgentContext) -> Vocabulary:
    """The warehouse's vocabulary, built once per warehouse identity (in-process for INDEX_TTL_S)."""
    identity = str(getattr(ctx.warehouse, "identity", "") or id(ctx.warehouse))
    hit = _INDEX.get(identity)
    if hit and time.monotonic() - hit[0] < INDEX_TTL_S:
        return hit[1]
    rows = ctx.run_pattern(AGENT, "name_index").records()
    vocab = Vocabulary.build(rows)
    _INDEX[identity] = (time.monotonic(), vocab)
    return vocab


def forget_index() -> None:
    """Drop the in-process vocabulary and name look-ups (tests that rebuild a warehouse at the same path)."""
    _INDEX.clear()
    _PREFIXES.clear()


# ---------------------------------------------------------------- finding names in a question

def find_names(ctx: AgentContext, text: str) -> Names:
    """Every known thing the text names, in the order they appear; the longest span wins an overlap."""
    names = Names()
    vocab = vocabulary(ctx)
    found: list[Mention] = []
    for rx, kind, value, how in vocab.forms:
        for m in rx.finditer(text):
            found.append(Mention(kind, value, m.group(0), m.start(), m.end(), how=how,
                                 id=(vocab.values[kind].get(value) or {}).get("user_id") if kind == "owner" else None))
    for m in _fuzzy_vocab(text, vocab, found):
        found.append(m)
        names.notes.append(f"read {m.span!r} as {m.value!r} ({m.kind}, fuzzy match {m.score:.0f})")
    masked = _metric_mask(text)
    spans = _candidate_spans(text, masked)
    # exact and partial names first, everywhere in the question; a typo is read only where nothing was
    # found exactly ("lisa wang cloudtech": Lisa Wang and CloudTech, not one fuzzy read of all three words)
    for span, start, lower in spans:
        if _covered(found, start, start + len(span), strictly_longer=True):
            continue
        mention = _entity(ctx, span, start, names, lower, fuzzy=False)
        if mention is not None:
            found.append(_extend_to_deal(ctx, text, mention))
    exact = [m for m in found if m.kind in ENTITY_KINDS]
    for span, start, lower in spans:
        if any(m.start < start + len(span) and start < m.end for m in exact) \
                or _covered(found, start, start + len(span), strictly_longer=True):
            continue
        mention = _fuzzy_entity(ctx, span, start, names, lower)
        if mention is not None:
            found.append(mention)
    found += _names_over_vocabulary(ctx, text, found)
    found += _first_names_at(ctx, text, found)
    names.mentions = _longest_first(found)
    for note in names.notes:
        ctx.trace.note(AGENT, note)
    return names


def _names_over_vocabulary(ctx: AgentContext, text: str, found: list[Mention]) -> list[Mention]:
    """'where is enterprise solutions headquartered?': a vocabulary word that opens a longer exact name (the
    company Enterprise Solutions, not the segment Enterprise and a stray 'solutions')."""
    out: list[Mention] = []
    for m in found:
        if m.kind in ENTITY_KINDS or m.start < 0:
            continue
        words = list(re.finditer(r"[\w&.'’-]+", text[m.end:]))[:3]
        for k in range(len(words), 0, -1):
            end = m.end + words[k - 1].end()
            span = re.sub(r"['’]s$", "", text[m.start:end])
            t = norm(span)
            exact = [r for r in _candidates(ctx, t[:2]) if r["kind"] in ENTITY_KINDS and norm(r["name"]) == t]
            if exact:
                out.append(_mention(_prefer(exact), span, m.start, 100.0, "exact"))
                break
    return out


_FIRST_AT = re.compile(r"(?<![\w'’-])([A-Za-z][a-z'’-]+)\s*(?:\bfrom|\bat|@|\bof|\bwith|\bover at)\s+(?:the\s+)?$", re.I)


def _first_names_at(ctx: AgentContext, text: str, found: list[Mention]) -> list[Mention]:
    """'lisa from cloudtech', 'john at datacorp', 'Mark at Rook Health Ltd': a first name before a company the
    question names is the one lead (by company) or contact (by account) of that first name there, when there is
    exactly one. A rep's first name read there from the vocabulary is dropped from `found` (a rep is not 'at' a
    customer's company)."""
    out: list[Mention] = []
    for m in found:
        if m.kind not in ("account", "company") or m.start < 0:
            continue
        at = _FIRST_AT.search(text[:m.start])
        # a rep's first name ('shirley') is no reason to skip: a rep is not 'at' a customer's company
        if at is None or _covered([f for f in found + out if f.kind in ENTITY_KINDS], at.start(1), at.end(1)):
            continue
        first = norm(at.group(1))
        if first in _STOP_WORDS or len(first) < 2:
            continue
        people = [r for r in _candidates(ctx, first[:2]) if r["kind"] in PEOPLE
                  and _words(r["name"])[:1] == [first]
                  and ((r["kind"] == "lead" and norm(str(r.get("extra") or "")) == norm(m.value))
                       or (r["kind"] == "contact" and m.kind == "account" and str(r.get("extra")) == str(m.id)))]
        if len({norm(r["name"]) for r in people}) == 1:
            out.append(_mention(_prefer(people), at.group(1), at.start(1), 95.0, "first name"))
    taken = {p.start for p in out}
    found[:] = [f for f in found if not (f.kind == "owner" and f.start in taken)]
    return out


def _fuzzy_vocab(text: str, vocab: Vocabulary, found: list[Mention]) -> list[Mention]:
    """'Snowfalke' -> Snowflake, 'Databriks' -> Databricks: one-word competitors and owners' surnames only."""
    from rapidfuzz.distance import OSA

    out = []
    targets = {v: "competitor" for v in vocab.values.get("competitor", {})}
    for m in re.finditer(r"[A-Za-z][\w-]{4,}", text):
        word = m.group(0)
        if _covered(found, m.start(), m.end()) or word.lower() in _STOP_WORDS:
            continue
        best, kind_best, score = None, None, 0.0
        for value, kind in targets.items():
            s = OSA.normalized_similarity(word.lower(), value.lower()) * 100
            if s > score:
                best, kind_best, score = value, kind, s
        if best and score >= VOCAB_FUZZY and word.lower() != best.lower():
            out.append(Mention(kind_best, best, word, m.start(), m.end(), score=score, how="fuzzy"))
    return out


def _metric_mask(text: str) -> str:
    """The text with metric phrases blanked out (same length, so offsets hold)."""
    return METRIC_PHRASES.sub(lambda m: " " * len(m.group(0)), text)


_AMOUNTISH = re.compile(r"\$?\d[\d,.]*\s*(?:k|m|mm|mn|b|bn|million|thousand|billion|%|x|st|nd|rd|th)?", re.I)
# single quotes only as quotes, not the apostrophes of "what's microsoft's stage" (which read 's microsoft' as quoted)
_QUOTED = re.compile(r"(?<!\w)'([^']{2,60})'(?!\w)|\"([^\"]{2,60})\"|“([^”]{2,60})”|(?<!\w)‘([^’]{2,60})’(?!\w)")
_CAPS = re.compile(r"\b([A-Z0-9][\w&.'’-]*(?:\s+(?:[-–]\s+)?(?:[A-Z0-9][\w&.'’-]*|(?:of|and|de|la)\b|&))*)")
# a lower-case word that may be a name ("how's ixis looking?"): looked up only when it is no common word
_WORD = re.compile(r"(?<![\w'’-])([a-z][a-z0-9&.-]{3,})(?=['’]s\b|(?![\w'’-]))")       # "datacorp's" too
_RUN_WORD = re.compile(r"(?<![\w'’-])[a-z][a-z0-9&-]{1,}(?=['’]s\b|(?![\w'’-]))")
_NEAR_DEAL = re.compile(r"\b(?:the\s+)?([\w&.'’-]+(?:\s+[\w&.'’-]+){0,3}?)\s+(?:deal|opportunity|opp|oppty|account)\b", re.I)
_AFTER_PREP = re.compile(r"\b(?:with|for|at|from|on|of|about|called|named)\s+(?:the\s+)?([\w&.'’-]+(?:\s+[\w&.'’-]+){0,2})", re.I)


def _candidate_spans(text: str, masked: str) -> list[tuple[str, int, bool]]:
    """Spans that may name an account, deal or person: quoted text, capitalised phrases, the words before
    'deal'/'account', the words after 'with/for/at/from/...'. Longest first; metric phrases excluded."""
    spans: dict[tuple[int, int], str] = {}
    lower: set[tuple[int, int]] = set()      # found only as a lower-case word: read through a typo only when long

    def add(start: int, end: int) -> None:
        words = [(m.start() + start, m.end() + start, m.group(0))
                 for m in re.finditer(r"[\w&.'’-]+", text[start:end])]
        while words and _plain(words[0][2]) in _STOP_WORDS:
            words.pop(0)
        while words and _plain(words[-1][2]) in _STOP_WORDS:
            words.pop()
        if not words:
            return
        s0, s1 = words[0][0], words[-1][1]
        span = re.sub(r"['’]s$", "", text[s0:s1]).strip(".'’-")
        s1 = s0 + len(span)
        if len(span) < 2 or not re.search(r"[A-Za-z]", span) or _AMOUNTISH.fullmatch(span):
            return
        if masked[s0:s1] != span:            # touches a metric phrase
            return
        if all(_plain(w[2]) in _STOP_WORDS for w in words):
            return
        spans[(s0, s1)] = span

    for m in _QUOTED.finditer(text):
        g = next(i for i in range(1, 5) if m.group(i))
        add(m.start(g), m.end(g))
    for m in _CAPS.finditer(masked):
        add(m.start(1), m.end(1))
        parts = list(re.finditer(r"[\w&.-]+(?:['’]s)?", m.group(1)))
        if len(parts) > 1:                       # "Sarah's IXIS": each word may be a name on its own
            for w in parts:
                add(m.start(1) + w.start(), m.start(1) + w.end())
    for m in _NEAR_DEAL.finditer(masked):
        add(m.start(1), m.end(1))
    for m in _AFTER_PREP.finditer(masked):
        add(m.start(1), m.end(1))
    for m in _WORD.finditer(masked):
        if m.group(1) not in _COMMON and not _covered_span(spans, m.start(1), m.end(1)):
            before = set(spans)
            add(m.start(1), m.end(1))
            lower |= set(spans) - before
    # two or three lower-case words in a row, none a common word: a person ("score john smith", "jon smith")
    # or a company of several words ("lisa wang cloudtech")
    run: list[re.Match] = []
    for m in list(_RUN_WORD.finditer(masked)) + [None]:
        if m is not None and m.group(0) not in _COMMON and (not run or masked[run[-1].end():m.start()].strip() == ""):
            run.append(m)
            continue
        for size in (3, 2):
            for i in range(len(run) - size + 1):
                a, b = run[i].start(), run[i + size - 1].end()
                if (a, b) not in spans:
                    before = set(spans)
                    add(a, b)
                    lower |= set(spans) - before
        run = [m] if m is not None and m.group(0) not in _COMMON else []
    ordered = sorted(spans.items(), key=lambda kv: (-(kv[0][1] - kv[0][0]), kv[0][0]))
    return [(span, start, (start, end) in lower) for (start, end), span in ordered[:14]]


def _plain(word: str) -> str:
    """A word as the stop-word list holds it: lower case, without a possessive ("quarter's" -> "quarter": a
    possessive of a period word is never a name)."""
    return re.sub(r"['’]s$", "", word.lower()).strip("'’.")


def _covered_span(spans: dict[tuple[int, int], str], start: int, end: int) -> bool:
    return any(a <= start and end <= b for a, b in spans)


def _covered(found: list[Mention], start: int, end: int, strictly_longer: bool = False) -> bool:
    for m in found:
        if m.start <= start and end <= m.end:
            return True
        if strictly_longer and m.start < end and start < m.end and (m.end - m.start) >= (end - start):
            return True
    return False


def _longest_first(found: list[Mention]) -> list[Mention]:
    """Overlapping mentions: the longest span wins (an account 'Enterprise Solutions' over the segment
    'Enterprise'); then in the order of the question."""
    kept: list[Mention] = []
    for m in sorted(found, key=lambda m: (-(m.end - m.start), m.start)):
        if any(k.start < m.end and m.start < k.end for k in kept):
            continue
        kept.append(m)
    return sorted(kept, key=lambda m: m.start)


_PREFIXES: dict[tuple[str, str], tuple[float, list[dict[str, Any]]]] = {}
_PREFIX_CAP = 512


def _candidates(ctx: AgentContext, prefix: str) -> list[dict[str, Any]]:
    """Names starting with `prefix`: per request, then in process per warehouse identity for INDEX_TTL_S (a
    server asked about the same deal again does not query again), then the result cache, then the warehouse."""
    key = ("name_candidates", prefix)
    if key not in ctx.memo:
        identity = str(getattr(ctx.warehouse, "identity", "") or id(ctx.warehouse))
        hit = _PREFIXES.get((identity, prefix))
        if hit and time.monotonic() - hit[0] < INDEX_TTL_S:
            ctx.memo[key] = hit[1]
        else:
            rows = ctx.run_pattern(AGENT, "name_candidates", prefix=prefix).records()
            if len(_PREFIXES) >= _PREFIX_CAP:
                _PREFIXES.pop(next(iter(_PREFIXES)))
            _PREFIXES[(identity, prefix)] = (time.monotonic(), rows)
            ctx.memo[key] = rows
    return ctx.memo[key]


def _entity(ctx: AgentContext, span: str, start: int, names: Names, lower: bool = False,
            fuzzy: bool = True) -> Mention | None:
    """The account, deal, person or company a span names: exact, then a whole-word prefix or part of a
    deal name, then a fuzzy clear winner (an open deal preferred among close candidates)."""
    t = norm(span)
    if len(t) < 2 or t in _NEGATIVE_NAME_WORDS:
        return None
    rows = [r for r in _candidates(ctx, t[:2]) if r["kind"] in ENTITY_KINDS]
    exact = [r for r in rows if norm(r["name"]) == t]
    if exact:
        r = _prefer(exact)
        return _mention(r, span, start, 100.0, "exact")
    # a word inside a name (not its start) names it only as a phrase of two words or more: the candidates are
    # read by first letters, so one inner word ('cost' in 'Cobalt Power LLC - Cost Optimization') would pick
    # whichever name happens to share its first letters
    partial = [r for r in rows if norm(r["name"]).startswith(t + " ") or f" {t} " in f" {norm(r['name'])} "
               and r["kind"] in ("opportunity", "account") and " " in t]
    if partial and len(t) >= 3:
        accounts = {norm(r["name"]) for r in partial if r["kind"] == "account"}
        deals = [r for r in partial if r["kind"] == "opportunity"]
        if len(accounts) == 1 and all(norm(r["name"]).startswith(t) for r in partial if r["kind"] == "account"):
            r = next(r for r in partial if r["kind"] == "account")
            return _mention(r, span, start, 95.0, "partial")
        if not accounts and len(deals) == 1:
            return _mention(deals[0], span, start, 95.0, "partial")
        if not accounts and deals and len({_first_word(r["name"]) for r in deals}) == 1:
            return _mention(_prefer(deals), span, start, 90.0, "partial")
    return _fuzzy_entity(ctx, span, start, names, lower) if fuzzy else None


def _words(s: str) -> list[str]:
    return re.findall(r"[\w&]+", norm(s))


def _extend_to_deal(ctx: AgentContext, text: str, mention: Mention) -> Mention:
    """An account or deal named by its first words, continued in the question by more words of one of its
    deals' names: 'datacorp expansion' is the deal DataCorp Expansion, not the account and a deal type."""
    if mention.kind not in DEALISH:
        return mention
    after = list(re.finditer(r"[\w&]+", text[mention.end:mention.end + 80]))
    if not after:
        return mention
    head = _words(mention.span)
    own = _words(mention.value)
    if mention.how == "partial" and own[:len(head)] == head and len(own) > len(head):
        # 'kinetic industries ventures': the rest of the account's own name follows its first word
        n = 0
        while n < len(after) and len(head) + n < len(own) and after[n].group(0).lower() == own[len(head) + n]:
            n += 1
        if len(head) + n == len(own):
            end = mention.end + after[n - 1].end()
            mention = Mention(mention.kind, mention.value, text[mention.start:end], mention.start, end,
                              id=mention.id, score=100.0, how="exact", extra=mention.extra)
            after = after[n:]
            head = own
            if not after:
                return mention
    rows = [r for r in _candidates(ctx, norm(mention.span)[:2]) if r["kind"] == "opportunity"]
    best: tuple[int, dict[str, Any]] | None = None
    for r in rows:
        name = _words(r["name"])
        if name[:len(head)] != head or len(name) <= len(head):
            continue
        n = 0
        while n < len(after) and len(head) + n < len(name) and after[n].group(0).lower() == name[len(head) + n]:
            n += 1
        if n and (best is None or n > best[0]):
            best = (n, r)
        elif n and best is not None and n == best[0] and norm(r["name"]) != norm(best[1]["name"]):
            exact_new = len(name) == len(head) + n
            exact_old = len(_words(best[1]["name"])) == len(head) + n
            if exact_new and not exact_old:
                best = (n, r)
    if best is None:
        return mention
    n, r = best
    end = mention.end + after[n - 1].end()
    if len(_words(r["name"])) != len(head) + n:
        # a part of a longer name: taken only when no other deal of the account continues the same way
        same = [x for x in rows if _words(x["name"])[:len(head) + n] == _words(r["name"])[:len(head) + n]]
        if len(same) > 1:
            return mention
    return _mention(r, text[mention.start:end], mention.start, 100.0 if len(_words(r["name"])) == len(head) + n
                    else 95.0, "exact" if len(_words(r["name"])) == len(head) + n else "partial")


def _first_word(name: str) -> str:
    words = re.findall(r"[\w&]+", str(name).lower())
    return words[0] if words else ""


def _prefer(rows: list[dict[str, Any]]) -> dict[str, Any]:
    order = {"opportunity": 0, "account": 1, "lead": 2, "contact": 3, "company": 4}
    return sorted(rows, key=lambda r: (order.get(r["kind"], 9), str(r.get("extra") or "").startswith("Closed")))[0]


def _mention(r: dict[str, Any], span: str, start: int, score: float, how: str) -> Mention:
    return Mention(r["kind"], str(r["name"]), span, start, start + len(span), id=str(r["id"]), score=score, how=how,
                   extra={"detail": r.get("extra")})


def score(term: str, name: str) -> float:
    """How well a typed term matches a name: whole-name similarity (WRatio) and, for a one-word term, the best
    word of the name by OSA (a swap of two letters is one edit: 'IXSI' ~ 'IXIS')."""
    from rapidfuzz import fuzz
    from rapidfuzz.distance import OSA

    t = norm(term)
    best = fuzz.WRatio(t, norm(name))
    if " " not in t:
        for word in re.findall(r"[\w&]+", str(name).lower()):
            if len(word) >= 3:
                best = max(best, OSA.normalized_similarity(t, word) * 100)
    # a short term inside a long name is not a match ("Ac" in "Acme Corp - Analytics Platform")
    return best if len(t) >= 3 else 0.0


SHORTLIST = 40     # candidates scored exactly; at scale 1000 a two-letter prefix has ~2,000 names


def shortlist(term: str, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows whose names can score best against `term`, picked in rapidfuzz's C loop: the best by whole-name
    WRatio and, for a one-word term, the best by OSA against each word of the name (what `score` takes the max
    of). Every row when there are few."""
    if len(rows) <= SHORTLIST:
        return rows
    from rapidfuzz import fuzz, process
    from rapidfuzz.distance import OSA

    names = [norm(r["name"]) for r in rows]
    keep = {i for _, _, i in process.extract(term, names, scorer=fuzz.WRatio, limit=SHORTLIST)}
    if " " not in term:
        words, owner = [], []
        for i, name in enumerate(names):
            for word in re.findall(r"[\w&]+", name):
                if len(word) >= 3:
                    words.append(word)
                    owner.append(i)
        keep |= {owner[j] for _, _, j in process.extract(term, words, scorer=OSA.normalized_similarity,
                                                          limit=SHORTLIST)}
    return [rows[i] for i in sorted(keep)]


def _fuzzy_entity(ctx: AgentContext, span: str, start: int, names: Names, lower: bool = False) -> Mention | None:
    t = norm(span)
    if len(t) < 3 or (lower and len(t) < 5):
        return None        # "keep" is not a typo of "Kelp Apps"; a lower-case word needs 5+ letters
    rows: dict[str, dict[str, Any]] = {}
    for prefix in (t[:2], t[:1]):
        for r in _candidates(ctx, prefix):
            if r["kind"] in ENTITY_KINDS:
                rows.setdefault(f"{r['kind']}:{r['id']}", r)
        if rows:
            break
    one_word = len(t.split()) == 1
    # a person is read through a typo only from a first and last name ("Jon Smith"), never from one word
    pool = [r for r in rows.values() if not (one_word and r["kind"] in PEOPLE)]
    scored = sorted(((score(span, r["name"]), r) for r in shortlist(t, pool)), key=lambda x: -x[0])[:8]
    if not scored or scored[0][0] < (VOCAB_FUZZY if lower else FUZZY_ACCEPT):
        return None
    top_score, top = scored[0]
    family = _first_word(top["name"])
    close = [(s, r) for s, r in scored if s >= FUZZY_ACCEPT and top_score - s < FUZZY_MARGIN]
    rivals = [(s, r) for s, r in close if _first_word(r["name"]) != family]
    if not rivals:
        names.notes.append(f"read {span!r} as {top['name']!r} ({top['kind']}, fuzzy match {top_score:.0f})")
        return _mention(top, span, start, top_score, "fuzzy")
    # several close candidates pointing at different things: the one with an open deal, if only one has
    if any(r["kind"] in DEALISH for _, r in close):
        with_open = []
        for s, r in close:
            if r["kind"] not in DEALISH:
                continue
            deal = open_deal_of(ctx, r["name"])
            if deal:
                with_open.append((s, r, deal))
        families = {_first_word(r["name"]) for _, r, _ in with_open}
        if len(families) == 1:
            s, r, deal = with_open[0]
            others = ", ".join(sorted({x["name"] for _, x in close if _first_word(x["name"]) not in families}))
            names.notes.append(f"read {span!r} as {r['name']!r}: the close match with an open deal "
                               f"({deal['name']}, {_money(deal.get('amount'))}); not {others}")
            return _mention(r, span, start, s, "fuzzy")
    names.ambiguous[span] = [r["name"] for _, r in close][:5]
    return None


def open_deal_of(ctx: AgentContext, name: str) -> dict[str, Any] | None:
    """The biggest open deal a deal or account name points to, or None."""
    key = ("open_deal_of", norm(name))
    if key not in ctx.memo:
        rows = ctx.run_pattern(AGENT, "deal_lookup", name=name, include_closed=False, limit=5).records()
        ctx.memo[key] = rows[0] if rows else None
    return ctx.memo[key]


def _money(v: Any) -> str:
    from revops_cli.formatting import money

    return money(v)
