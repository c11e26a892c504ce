"""The manager: reads the question, picks the agent, resolves the names it mentions, hands off.

Routing is deterministic: ordered rules over the words of the question (see `classify`), then entity
resolution against the warehouse. Each decision lands in the trace with its reason. The manager may
chain agents: "research Lisa Wang at CloudTech and assess fit" is web research, then lead analysis.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from revops_cli.agents.action_intent import action_request
from revops_cli.agents.base import AgentContext, Task
from revops_cli.agents.periods import parse_period
from revops_cli.agents.names import ENTITY_KINDS
from revops_cli.errors import NotFoundError
from revops_cli.models import Answer

NAME = "manager"

_MENTION = re.compile(r"<@[A-Z0-9]+>|@revbot\b|^\s*(hey|hi|hello)\s+revbot[,!:]?\s*", re.I)
_WEBHOOK = re.compile(r"\bwebhooks?\b", re.I)
_RESEARCH = re.compile(r"\b(research|look up|lookup|look into|background on|company profile|profile of|what do we know about|"
                       r"find out about|intel on|information on|info on)\b", re.I)
_FIT = re.compile(r"\b(assess|score|evaluate|qualif\w*|check)\b.*\b(fit|icp)\b|\b(fit for our|icp fit|good fit)\b", re.I)
_LEAD_WORDS = re.compile(r"\b(leads?|icp|qualif\w*|prospects?|mqls?|sqls?|outreach|persona|good fit)\b", re.I)
_DEAL_WORD = re.compile(r"\b(deal|opportunity|opp|oppty)\b", re.I)
_DEAL_PLURAL = re.compile(r"\b(deals|opportunities|opps|pipeline)\b", re.I)
_DEAL_ASPECT = re.compile(r"\b(meddpicc|probability|close date|risks?|status|health|next steps?|"
                          r"champion|economic buyer|forecast category|stage)\b", re.I)
_DATA_WORDS = re.compile(
    r"\b(revenue|arr|mrr|bookings|pipeline|forecast|targets?|quota|coverage|win rates?|churn\w*|declin\w*|"
    r"engagement|expansion|upsell|usage|competitors?|competitive|mentions?|segments?|regions?|"
    r"closing|slipp\w*|pushed|leaderboard|trends?|yoy|year over year|same quarter|last year|by source|"
    r"sources?|how many|top \d+|top accounts|risk factors|at risk|renewals?|customers)\b", re.I)
_FOLLOW_UP = re.compile(r"\b(its|it|this deal|that deal|the deal|this one|that one|they|them|their|he|she|his|her)\b", re.I)
_PERSON_AT = re.compile(
    r"\b(?P<name>[A-Za-z][a-z'’-]+(?:\s+[A-Z]\.)?\s+[A-Za-z][A-Za-z'’-]+)\s+(?:from|at|of|with|@)\s+"
    r"(?P<company>[A-Za-z0-9][\w&.'-]*(?:\s+(?!as\b|and\b|is\b|a\b|to\b|for\b|in\b)[A-Z0-9][\w&.'-]*)*)")
_STATUS_OF = re.compile(r"\b(?:status|health|update|state)\s+(?:of|on)\s+(?:the\s+)?(?P<name>[^?.!,]+)", re.I)
_STOPWORDS = {"the", "of", "on", "for", "about", "status", "review", "analyze", "analyse", "assess", "is", "what",
              "how", "risks", "risk", "and", "probability", "with", "a", "an", "our", "check", "me", "tell", "show",
              "give", "whats", "what's", "in", "to", "at", "me", "summarize", "summarise", "evaluate", "look",
              "main", "are", "it", "this", "that", "please", "revbot", "current", "latest", "big", "going",
              "doing", "new", "open", "quick", "full", "deep", "dive", "into", "rate", "score", "my", "was", "has"}
_NOT_PEOPLE = {"deal", "deals", "opportunity", "revenue", "pipeline", "calls", "call", "lead", "leads", "the",
               "we", "i", "you", "they", "us", "get", "got", "did", "do", "come", "came", "coming", "mentions",
               "customers", "accounts", "numbers", "data", "users", "usage", "bookings", "signups", "many", "much"}


@dataclass
class Route:
    agent: str
    intent: str
    reason: str
    entities: dict[str, Any] = field(default_factory=dict)
    chain: list[str] = field(default_factory=list)      # agents to run before `agent`
    names: Any = None                                     # agents.names.Names: what the question names


def clean(text: str) -> str:
    return _MENTION.sub(" ", text).strip()


def deal_name_span(text: str) -> str | None:
    """'what is the status of the IXIS deal?' -> 'IXIS'."""
    words = re.findall(r"[\w&.'’-]+|[?!,]", text)
    for i, w in enumerate(words):
        if w.lower() not in ("deal", "opportunity", "opp", "oppty"):
            continue
        name: list[str] = []
        j = i - 1
        while j >= 0 and words[j].lower() not in _STOPWORDS and words[j] not in "?!," and len(name) < 6:
            name.insert(0, words[j])
            j -= 1
        if name:
            return " ".join(name).strip(" -")
        # "the deal with IXIS", "opportunity for Acme Corp", "deal review for IXIS"
        m = re.search(rf"\b{re.escape(w)}\s+(?:(?:review|status|update|analysis|health|summary)\s+)?"
                      rf"(?:with|for|at|on|of|named|called)\s+([^?.!,]+)", text, re.I)
        if m:
            return _trim_tail(m.group(1))
    m = _STATUS_OF.search(text)
    if m:
        return _trim_tail(m.group("name"))
    return None


def _trim_tail(s: str) -> str:
    s = re.split(r"\b(?:deal|opportunity|and|this|next|in|looking|going)\b", s, maxsplit=1, flags=re.I)[0]
    return s.strip(" -'\"")


def person_span(text: str) -> tuple[str, str] | None:
    for m in _PERSON_AT.finditer(text):
        name = m.group("name").strip()
        words = [w.lower() for w in name.split()]
        if any(w in _STOPWORDS or w in _NOT_PEOPLE for w in words):
            continue
        from revops_cli.agents.names import is_common_word

        if m.group("name").islower() and all(is_common_word(w) for w in words):
            continue            # "total amount won from datacorp": common words in lower case are no person
        company = re.sub(r"\s+(as|and|is|a|to|for)$", "", m.group("company").strip(" ?.!,"), flags=re.I)
        return " ".join(p.capitalize() if p.islower() else p for p in name.split()), company
    return None


def research_target(text: str) -> str | None:
    m = re.search(r"\b(?:research|look up|lookup|look into|background on|profile of|know about|find out about|intel on|"
                  r"info(?:rmation)? on|tell me about)\s+(?:the\s+)?(?:company\s+)?(?P<c>[^?.!,]+)", text, re.I)
    if not m:
        return None
    c = re.split(r"\s+(?:and|company|to|for|as)\b", m.group("c"), maxsplit=1, flags=re.I)[0]
    c = re.sub(r"\s+(?:for (?:me|us)|please|pls|real quick|quickly)$", "", c, flags=re.I)
    return c.strip(" '\"") or None


_ONE_DEAL_ASPECT = re.compile(
    r"\b(status|risks?|risky|health\w*|champion\w*|economic buyer|buyer|eb|decision[- ]makers?|next steps?|"
    r"push(?:es|ed)?|slipp\w*|close (?:chance|probability|likelihood|odds)|chances?|probability|likel\w+ to close|odds|"
    r"meddpicc|where are we|how is .{1,40} (?:looking|going|doing)|how's .{1,40} (?:looking|going|doing)|close date|"
    r"(?:supposed|expected|going|set|due|likely|gonna) to close|when\b.{1,40}\bclos(?:e|es|ing)|"
    r"paper process|decision (?:criteria|process)|identify pain|pain|stage|deal review|review|rundown|summary|"
    r"quiet|silent|stall\w*|stuck|block\w*|owns|owner|who (?:is|are) we up against|up against|competing|"
    r"competition|competitors?|who (?:are|is) the competitors?|sponsor|gonna close|going to close|will (?:it|they) close|"
    r"what(?:'s|s| is) next|signs? off|who signs|"
    r"close this|looking|doing|going|updates?|catch me up|fill me in|"
    # the same aspects in the words people use: champ, legal / MSA / redlines, signed off, what's holding it
    # up, commit / best case, when we last spoke, who they compare us with, how big it is, days left
    r"champ|legal|msa|contracts?|redlines?|procurement|paperwork|order form|signature|signed|sign-off|"
    r"approv\w*|holding (?:\w+ )?up|hold[- ]?up|held up|obstacles?|kill|commit|best case|forecast category|"
    r"forecast(?:ed)?|last (?:call|spoke|speak|talked|talk|touch\w*|contact\w*|meeting|activity|heard)|"
    r"spoke|speak|talked|heard from|comparing|compared|evaluating|alternatives?|in the mix|"
    r"how big|size|worth|amount|acv|days (?:left|to close|until)|on track|"
    # the latest on it, will it slip, the next meeting, did we win or lose it, how long in its stage, overdue
    r"latest|updates?|slips?|next (?:meeting|call)|(?:lose|lost|win|won) it|how long|days in|time in stage|"
    r"overdue|past due|late)\b", re.I)
_MANY = re.compile(r"\b(deals|opportunities|opps|pipeline|accounts|customers|average|avg|all|"
                   r"list|top \d+|by (?:region|segment|owner|rep|stage|industry|source|quarter|month))\b", re.I)
_LEAD_ASSESS = re.compile(
    r"\b(assess\w*|score|scoring|rate|rating|fit|icp|qualif\w*|good lead|lead|prospect|priorit\w*|worth|pursu\w*|"
    r"outreach|reach out|approach|engage\w*|contact them|angle|hot|warm|cold|buyer|decision[- ]maker|persona|"
    r"title|role|seniority|who is|who's|what does .{1,40} do)\b", re.I)
# Words about a company itself (web research), not about a deal with it
_COMPANY_FACTS = re.compile(
    r"\b(funding|funded|raised|investors?|valuation|head ?count|employees|employee count|staff|how big|"
    r"company size|size of the company|as a company|the company|news|press|announce\w*|founded|based (?:in|out of)|where is .{1,40} based|located|"
    r"headquarter\w*|hq|tech stack|what (?:does|do) .{1,40} do|what is .{1,40} as a company|who are they|"
    r"what(?:'s|s| is) new (?:with|at)|industry)\b", re.I)
# The question refers to one deal ("the acme one", "the techcorp deal") rather than a list
_ONE_REF = re.compile(r"\b(?:one|deal|opportunity|opp|oppty)\b\s*[?.!]*$", re.I)
_PRONOUN_DEAL = re.compile(r"\b(its|it|this deal|that deal|the deal|this one|that one)\b", re.I)
_PRONOUN_PERSON = re.compile(r"\b(he|she|him|her|his|hers|they|them|their)\b", re.I)
_CALLS = re.compile(r"\b(calls?|mention\w*|came up|come up|comes up|said|transcripts?|meetings?)\b", re.I)
# Words that say nothing beyond the name itself: "IXIS", "the acme deal", "what about john smith?"
_FILLER = frozenset("""the a an deal deals opportunity opp oppty account lead contact person company on about what
how s 's how's hows what's whats latest and now please show me tell one this that is for of with""".split())
# Aspects of one deal a question may ask about: the answer opens with them (deal agent, `focus`)
ASPECTS: tuple[tuple[str, re.Pattern], ...] = (
    ("next_step", re.compile(r"\bnext steps?\b|\bwhat(?:'s|s| is) next\b|\bnext (?:meeting|call)\b", re.I)),
    ("economic_buyer", re.compile(r"\beconomic buyer|\beb\b|\bbudget owner|\bdecision[- ]makers?\b|\bsigns? off\b|"
                                  r"\bsigned off\b|\bsign-off\b|\bwho signs\b|\bbuyer\b", re.I)),
    ("champion", re.compile(r"\bchampion\w*|\bchamp\b|\bsponsor\w*", re.I)),
    ("close_date", re.compile(r"\bclose date\b|\bwhen\b.{1,40}\bclos(?:e|es|ing)\b|\b(?:supposed|expected|due|set) to close\b|"
                              r"\bdays (?:left|to close|until)\b|\bon track\b|\boverdue\b|\bpast due\b|\blate\b", re.I)),
    ("stage", re.compile(r"\bhow long\b|\bdays in\b|\btime in stage\b|\bwhat stage\b|\bwhich stage\b|\bstage\b", re.I)),
    ("paper_process", re.compile(r"\bpaper ?process\b|\bpaperwork\b|\blegal\b|\bmsa\b|\bcontracts?\b|\bredlines?\b|"
                                 r"\bprocurement\b|\border form\b|\bsignature\b", re.I)),
    ("forecast_category", re.compile(r"\bcommit\b|\bbest case\b|\bforecast(?:ed)?\b|\bforecast category\b", re.I)),
    ("last_contact", re.compile(r"\blast (?:call|spoke|speak|talked|talk|touch\w*|contact\w*|meeting|activity|heard)\b|"
                                r"\bwhen did we (?:last )?(?:speak|talk|meet|call)\b|\bheard from\b|\bgone (?:quiet|dark)\b|"
                                r"\bquiet\b", re.I)),
    ("blockers", re.compile(r"\bblock\w*|\bholding (?:\w+ )?up\b|\bhold[- ]?up\b|\bheld up\b|\bstuck\b|\bobstacles?\b|"
                            r"\bkill\b", re.I)),
    ("amount", re.compile(r"\bhow big\b|\bsize\b|\bworth\b|\bamount\b|\bacv\b", re.I)),
    ("pushes", re.compile(r"\bpush(?:es|ed)?\b|\bslipp\w*|\bslip\b|\bmoved\b", re.I)),
    ("competition", re.compile(r"\bcompetition\b|\bcompetitors?\b|\bcompeting\b|\bup against\b|\bvs\.?\b|\bversus\b|"
                               r"\bcompar(?:ing|ed?) (?:us|them|it)\b|\bevaluating\b|\balternatives?\b|\bin the mix\b",
                               re.I)),
    ("owner", re.compile(r"\bwho owns\b|\bowner\b|\bwhose\b", re.I)),
)


def deal_focus(t: str, names: Any = None) -> list[str]:
    """The aspects of one deal a question asks about ('next_step', 'economic_buyer', ...), in a fixed order."""
    found = [key for key, rx in ASPECTS if rx.search(t)]
    if names is not None and names.of("competitor") and "competition" not in found:
        found.append("competition")
    return found


def without_names(t: str, names: Any) -> str:
    """The question with the accounts, deals, people and companies it names blanked out (same length)."""
    kinds = ("account", "opportunity", "lead", "contact", "company")
    for m in names.mentions if names is not None else []:
        if m.kind in kinds and 0 <= m.start < m.end <= len(t) and t[m.start:m.end] == m.span:
            t = t[:m.start] + " " * (m.end - m.start) + t[m.end:]
    return t


def _bare(t: str, names: Any) -> bool:
    """The question is the name and nothing more ('IXIS', 'the acme deal', 'john smith')."""
    rest = t
    for m in sorted(names.mentions, key=lambda m: -m.start):
        if m.start >= 0:
            rest = rest[:m.start] + " " + rest[m.end:]
    words = re.findall(r"[a-z']+", rest.lower())
    return all(w.strip("'") in _FILLER or not w.strip("'") for w in words)


def _entity_kinds(names: Any) -> set[str]:
    return {m.kind for m in names.mentions if m.kind in ("account", "opportunity", "lead", "contact", "company")} \
        if names is not None else set()


def _deal_route(t: str, m: Any, why: str, names: Any = None) -> Route:
    intent = "deal_risks" if re.search(r"\brisks?\b|\brisky\b", t, re.I) and not re.search(r"\bstatus\b", t, re.I) \
        else "deal_status"
    how = "" if m.how in ("exact", "partial") else f", read from {m.span!r}"
    return Route("deal_analysis", intent, f"{why} ({m.value}, {m.kind}{how})",
                 {"deal_span": m.value, "deal_mention": m, "focus": deal_focus(t, names)})


def _research_route(t: str, names: Any, why: str) -> Route:
    target = research_target(t)
    named = names.of("company", "account") if names is not None else []
    company = named[0].value if named else target
    return Route("web_search", "research", why, {"company": company})


_GROUP_GLUE = re.compile(r"\b(?:vs\.?|versus|and|or|avg|average|typical|an?|the|our|on|of)\b|[/&,]", re.I)


def vocabulary_only(span: str, names: Any) -> bool:
    """The words before 'deal' are only segments, regions, types ... ('smb vs enterprise avg', 'mid-market'): a
    group of deals, never one deal's name."""
    if names is None:
        return False
    rest = span
    for m in names.mentions:
        if m.kind not in ENTITY_KINDS and m.span:
            rest = re.sub(re.escape(m.span), " ", rest, flags=re.I)
    if rest.strip() == span.strip():
        return False
    return not _GROUP_GLUE.sub(" ", rest).strip()


def route_from_names(t: str, names: Any, session: dict[str, Any]) -> Route | None:
    """The agent decided from what the question names plus its words:
    - a person with lead-assessment words (or named alone, or with nothing but the person asked about) -> the
      Lead agent, company or not; a contact named beside their deal with a deal word ('still championing the
      datacorp expansion?') -> the Deal agent;
    - a company with words about the company itself (funding, headcount, news, 'what does X do') -> research;
    - one deal's status, risk, champion, buyer, next step, pushes, close date, competition or close chance,
      or the deal named alone -> the Deal agent whatever the wording."""
    if names is None or _METRIC_START.match(t):
        return None
    deals = names.of("opportunity", "account")
    families = {m.value if m.kind == "account" else (m.extra.get("account") or m.value) for m in deals}
    people = names.of("lead", "contact")
    one_family = len(deals) >= 1 and len({_family(m) for m in deals}) == 1
    t = without_names(t, names)         # 'datacorp expansion', 'Pipeline Co': a name's words are not the question's
    deal_aspect = (bool(_ONE_DEAL_ASPECT.search(t)) or bool(names.of("competitor"))) and not (
        _CALLS.search(t) and re.search(r"\bcompet\w*|\bmention", t, re.I)) and not (
        names.of("competitor") and _CALLS.search(t))
    if people and not _DEAL_WORD.search(t) and not _MANY.search(t):
        who = people[0]
        contact_on_deal = who.kind == "contact" and one_family and deal_aspect
        if not contact_on_deal and (_LEAD_ASSESS.search(t) or _bare(t, names) or not _DATA_WORDS.search(t)):
            company = next((m.value for m in names.of("account", "company")), None)
            return Route("lead_analysis", "lead_assess",
                         f"a person is named ({who.value}, a {who.kind}) with words about the person",
                         {"person_span": (who.value, company)})
    if one_family and len(families) == 1 and _COMPANY_FACTS.search(t) and not _DEAL_WORD.search(t) \
            and not _MANY.search(t):
        return _research_route(t, names, f"a company is named ({deals[0].value}) with words about the company itself")
    if not deals and names.of("company") and (_COMPANY_FACTS.search(t) or _bare(t, names)):
        return _research_route(t, names, f"a researched company is named ({names.of('company')[0].value})")
    one_deal_named = any(m.kind == "opportunity" for m in deals)
    if one_family and len(families) == 1 and not _MANY.search(t) and (
            deal_aspect or _bare(t, names) or (one_deal_named and not _DATA_WORDS.search(t))):
        return _deal_route(t, deals[0], "one deal is named with a deal question", names)
    return None


def _family(m: Any) -> str:
    """An account and its deals are one family ('IXIS Technologies', 'IXIS - Snowflake Cost Replacement')."""
    words = re.findall(r"[\w&]+", str(m.value).lower())
    return words[0] if words else ""


def _unknown_words(t: str) -> list[str]:
    """Words that are no common word of a question: 'score jane doe' after Lisa Wang names someone else, whom
    the warehouse does not know; 'worth a call?' names no one."""
    from revops_cli.agents.names import is_common_word

    rest = _LEAD_ASSESS.sub(" ", t)
    return [w for w in re.findall(r"[A-Za-z][A-Za-z'’-]+", rest)
            if len(w) > 2 and w.lower() not in _FILLER and w.lower() not in _STOPWORDS and not is_common_word(w)]


def follow_up_route(t: str, names: Any, session: dict[str, Any]) -> Route | None:
    """A follow-up refines the last result: 'which of those are over $1M?', 'only EMEA', 'and by owner?',
    'compare with last quarter' re-run the last data question with the change; a question that names no deal or
    person but asks about one ('who's the champion?', 'and the economic buyer?', 'how many times has it been
    pushed?') is about the deal discussed; 'what company is he at?' about the person discussed; 'what about
    the Acme one?' asks about another deal."""
    from revops_cli.agents.understanding import is_follow_up

    last = session.get("last_answer") or {}
    agent = last.get("agent")
    follow = is_follow_up(t)
    kinds = _entity_kinds(names)
    picked = listed_deal(t, last) if names is None or not names.mentions else None
    if picked is not None:
        row, said = picked
        intent = "deal_risks" if re.search(r"\brisks?\b", t, re.I) else "deal_status"
        return Route("deal_analysis", intent, f"{said!r} of the last list ({row['deal_name']})",
                     {"deal_pick": (row["deal_name"], row["opportunity_id"]), "focus": deal_focus(t, names)})
    deals = names.of("opportunity", "account") if names is not None else []
    # "what about the Acme one?", "tell me more about the techflow one": one deal picked by name from a list
    named_one = any(m.start >= 0 and re.match(r"\s*(?:one|deal|opp|oppty|opportunity)\s*[?.!]*$", t[m.end:], re.I)
                    for m in deals)
    if deals and (follow or named_one) and _ONE_REF.search(t) and len({_family(m) for m in deals}) == 1 \
            and not _MANY.search(t):
        return _deal_route(t, deals[0], "a follow-up on another deal", names)
    if not kinds and not _MANY.search(t):
        opp = session.get("opportunity")
        person = session.get("person")
        on_deal = agent == "deal_analysis" or (agent is None and opp)
        if opp and on_deal and (_ONE_DEAL_ASPECT.search(t) or _DEAL_ASPECT.search(t) or _PRONOUN_DEAL.search(t)
                                or deal_focus(t, names)):
            intent = "deal_risks" if re.search(r"\brisks?\b", t, re.I) else "deal_status"
            return Route("deal_analysis", intent, "a follow-up on the deal discussed earlier",
                         {"opportunity": opp, "focus": deal_focus(t, names)})
        researched = str((last.get("data") or {}).get("company") or "").lower()
        on_person = agent == "lead_analysis" or (agent is None and person) or (
            # after "research her company": the person is still the one discussed
            agent == "web_search" and isinstance(person, dict) and researched
            and researched == str(person.get("company") or "").lower()
            and re.search(r"\b(?:he|she|him|her|his|hers)\b", t, re.I))
        if isinstance(person, dict) and person.get("company") and on_person and _PRONOUN_PERSON.search(t) \
                and re.search(r"\b(?:company|employer|firm|org|organi[sz]ation|business)\b", t, re.I) \
                and (_RESEARCH.search(t) or _COMPANY_FACTS.search(t) or re.search(r"\b(?:tell me|what about)\b", t, re.I)):
            # "research her company", "how big is his company?": the person's company, researched
            return Route("web_search", "research", f"the company of the person discussed earlier ({person['name']})",
                         {"company": person["company"]})
        if isinstance(person, dict) and person.get("name") and on_person and (
                _PRONOUN_PERSON.search(t) or (_LEAD_ASSESS.search(t) and not _unknown_words(t))) \
                and not _DATA_WORDS.search(t):
            return Route("lead_analysis", "lead_assess", f"a follow-up on the person discussed earlier ({person['name']})",
                         {"person": person})
    if follow and agent == "data" and (last.get("data") or {}).get("question") and not (
            kinds & {"lead", "contact"}):
        return Route("data", "follow_up", "a follow-up that refines the last result")
    return None


_ORDINALS = {"first": 0, "1st": 0, "top": 0, "second": 1, "2nd": 1, "third": 2, "3rd": 2, "fourth": 3, "4th": 3,
             "fifth": 4, "5th": 4, "sixth": 5, "6th": 5, "seventh": 6, "7th": 6, "eighth": 7, "8th": 7, "ninth": 8,
             "9th": 8, "tenth": 9, "10th": 9, "last": -1, "bottom": -1}
# 'the second one', 'the 3rd deal', 'the top one', 'the biggest one', 'number 4' ('the top deal', 'our biggest deal'
# are questions of their own)
_ORDINAL_REF = re.compile(r"\bthe\s+(?:(?P<n>" + "|".join(k for k in _ORDINALS if k not in ("top", "last", "bottom"))
                          + r")\s+(?:one|deal|opp|oppty|opportunity|row)|(?P<m>top|last|bottom|biggest|largest|smallest)"
                          r"\s+one)\b|^\W*(?:and\s+|what about\s+)?(?:number|no\.?|#)\s*(?P<k>\d{1,2})\b", re.I)


def listed_deal(t: str, last: dict[str, Any]) -> tuple[dict[str, Any], str] | None:
    """'the second one', 'who owns the top one?', 'number 3': that row of the deals the last answer listed
    (in the order shown), with the words that picked it; None when the last answer listed no deals or has no
    such row."""
    m = _ORDINAL_REF.search(t)
    rows = [r for r in ((last.get("data") or {}).get("rows") or [])
            if isinstance(r, dict) and r.get("opportunity_id") and r.get("deal_name")]
    if m is None or not rows:
        return None
    word = (m.group("n") or m.group("m") or "").lower()
    if word in ("biggest", "largest", "smallest"):
        amounts = [float(r.get("amount") or 0) for r in rows]
        pick = max if word != "smallest" else min
        return rows[amounts.index(pick(amounts))], m.group(0)
    i = int(m.group("k")) - 1 if m.group("k") else _ORDINALS[word]
    if not -len(rows) <= i < len(rows):
        return None
    return rows[i], m.group(0)


# A question that opens with an aggregate ("average open enterprise deal") asks about many deals, never one.
_METRIC_START = re.compile(r"^\W*(?:what(?:'s| is) (?:the|our) )?(?:average|avg|mean|median|total|sum)\b", re.I)


_VERBS = ("research", "analyze", "analyse", "assess", "qualify", "evaluate", "summarize", "summarise")


def fix_verbs(t: str) -> str:
    """A misspelt request verb read as the verb ('reserch ixis' -> 'research ixis'): one edit away (a swap of
    two letters counts as one) from a verb of six letters or more, and no word of the language we know."""
    from rapidfuzz.distance import OSA

    from revops_cli.agents.names import is_common_word

    def fix(m: re.Match) -> str:
        w = m.group(0)
        if len(w) < 6 or w.lower() in _VERBS or is_common_word(w):
            return w
        for verb in _VERBS:
            if OSA.distance(w.lower(), verb) == 1:
                return verb
        return w

    return re.sub(r"[A-Za-z]+", fix, t)


def is_metric_phrase(span: str) -> bool:
    """'average', 'biggest', 'deal size': words that measure, never a deal's name."""
    from revops_cli.agents.names import METRIC_PHRASES, norm

    rest = METRIC_PHRASES.sub(" ", norm(span))
    rest = re.sub(r"\b(the|a|an|our|my|of|in|for|what|is|s|open|won|lost|closed)\b", " ", rest)
    return not rest.strip()


def forecast_call_route(text: str) -> Route | None:
    """Issue 18's questions go to the Data agent whatever else their words look like ("what fell out of Q4?"
    reads as a person at a company): the Data agent's own rules decide which are pipeline changes or the
    forecast roll-up (agents/analyses/choosing.py)."""
    from revops_cli.agents.analyses.choosing import choose_analysis

    name = choose_analysis(text)
    if name in ("pipeline_changes", "forecast_rollup"):
        return Route("data", "analysis", f"a forecast-call question ({name.replace('_', ' ')})")
    return None


def classify(text: str, session: dict[str, Any] | None = None, names: Any = None) -> Route:
    """Pick the agent from what the question names (`names`, from agents/names.py; None = words only)
    and its words. Entities are resolved afterwards."""
    t = fix_verbs(clean(text))
    session = session or {}
    person = person_span(t)
    # an action only as action_intent reads one (a verb with a recipient, a CRM field or a webhook): "send me the
    # pipeline", "update on the ixis deal", "email open rate by campaign" are questions
    if _WEBHOOK.search(t) or action_request(t, names):
        return Route("execution", "action", action_request(t, names) or "a webhook is named",
                     {"person": None})
    if _RESEARCH.search(t) and (_FIT.search(t) or re.search(r"\bassess\b", t, re.I)):
        if person:
            return Route("lead_analysis", "lead_assess", "research a person, then assess the fit",
                         {"person_span": person}, chain=["web_search"])
        return Route("lead_analysis", "company_fit", "research a company, then assess its fit",
                     {"company": research_target(t)}, chain=["web_search"])
    follow = follow_up_route(t, names, session)
    if follow is not None:
        return follow
    by_names = route_from_names(t, names, session)
    if by_names is not None:
        return by_names
    forecast_call = forecast_call_route(t)
    if forecast_call is not None:
        return forecast_call
    if person and not _DEAL_WORD.search(t) and not _DATA_WORDS.search(t.replace(person[1], "")):
        return Route("lead_analysis", "lead_assess", f"a person ({person[0]}) at a company ({person[1]})",
                     {"person_span": person})
    if _LEAD_WORDS.search(t) and not _DEAL_WORD.search(t):
        if re.search(r"\b(strategy|approach|how (?:should|do) we|best way)\b", t, re.I):
            return Route("lead_analysis", "outreach_strategy", "a question about outreach strategy")
        if re.search(r"\b(score|rank|prioriti[sz]e|assess|qualify)\b.*\bleads\b", t, re.I):
            return Route("lead_analysis", "lead_batch", "score a set of leads against the ICP",
                         {"period": parse_period(t, _today(session), session.get("fiscal_start_month", 1))})
        if person:
            return Route("lead_analysis", "lead_assess", "a person named with lead words", {"person_span": person})
    if _DEAL_WORD.search(t) and not _DEAL_PLURAL.search(t):
        span = deal_name_span(t)
        if span and (is_metric_phrase(span) or is_metric_phrase(f"{span} deal") or _METRIC_START.match(t)
                     or vocabulary_only(span, names)):
            span = None          # "average deal size", "biggest deal", "a mid-market deal": no deal's name
        if span and not _FOLLOW_UP.fullmatch(span.lower()):
            intent = "deal_risks" if re.search(r"\brisks?\b", t, re.I) and not re.search(r"\bstatus\b", t, re.I) else "deal_status"
            return Route("deal_analysis", intent, f"a single deal is named ({span})", {"deal_span": span})
        if session.get("opportunity") and not (deal_name_span(t) and is_metric_phrase(deal_name_span(t) or "")):
            return Route("deal_analysis", "deal_risks" if re.search(r"\brisks?\b", t, re.I) else "deal_status",
                         "a follow-up on the deal discussed earlier", {"opportunity": session["opportunity"]})
    if _RESEARCH.search(t):
        return _research_route(t, names, "a company research request")
    if session.get("opportunity") and _FOLLOW_UP.search(t) and _DEAL_ASPECT.search(t):
        return Route("deal_analysis", "deal_risks" if re.search(r"\brisks?\b", t, re.I) else "deal_status",
                     "a follow-up on the deal discussed earlier", {"opportunity": session["opportunity"]})
    if _DATA_WORDS.search(t) or _DEAL_PLURAL.search(t):
        return Route("data", "analysis", "a question about the numbers across the business")
    m = _STATUS_OF.search(t)
    if m:
        return Route("deal_analysis", "deal_status", "a status question about a named thing",
                     {"deal_span": _trim_tail(m.group("name"))})
    if re.search(r"\btell me about\b", t, re.I):
        return Route("web_search", "research", "a 'tell me about' request", {"company": research_target(t)})
    if session.get("opportunity") and _FOLLOW_UP.search(t):
        return Route("deal_analysis", "deal_status", "a follow-up on the deal discussed earlier",
                     {"opportunity": session["opportunity"]})
    return Route("data", "analysis", "no specific agent matched; the Data agent answers or lists what it can")


def _today(session: dict[str, Any]):
    from datetime import date

    return session.get("as_of") or date.today()


def agent_for(name: str):
    if name == "deal_analysis":
        from revops_cli.agents.deal import DealAnalysisAgent
        return DealAnalysisAgent()
    if name == "lead_analysis":
        from revops_cli.agents.lead import LeadAnalysisAgent
        return LeadAnalysisAgent()
    if name == "data":
        from revops_cli.agents.data import DataAgent
        return DataAgent()
    if name == "web_search":
        from revops_cli.agents.web_search import WebSearchAgent
        return WebSearchAgent()
    if name == "execution":
        from revops_cli.agents.execution import ExecutionAgent
        return ExecutionAgent()
    raise NotFoundError(f"unknown agent {name!r}",
                        "agents: deal_analysis, lead_analysis, data, web_search, execution")


def plan(ctx: AgentContext, text: str, forced: str | None = None, params: dict[str, Any] | None = None) -> Route:
    """Classify (unless an agent is forced), then resolve the entities the chosen agent needs."""
    params = params or {}
    session = {**ctx.session, "as_of": ctx.as_of, "fiscal_start_month": ctx.fiscal_start_month}
    names = None
    if forced:
        route = _forced_route(forced, text, params)
    else:
        from revops_cli.agents.names import find_names

        names = find_names(ctx, clean(text))
        route = classify(text, session, names)
    route.names = names
    ctx.trace.route(NAME, route.agent, route.reason, intent=route.intent,
                    **({"names": [f"{m.kind}:{m.value}" for m in names.mentions]} if names and names.mentions else {}))
    _resolve(ctx, route, text)
    return route


def _forced_route(agent: str, text: str, params: dict[str, Any]) -> Route:
    if agent == "deal_analysis":
        return Route(agent, params.get("intent", "deal_status"), "asked for a deal analysis",
                     {"deal_span": params.get("name") or deal_name_span(text) or text})
    if agent == "lead_analysis":
        if params.get("name"):
            return Route(agent, "lead_assess", "asked for a lead analysis",
                         {"person_span": (params["name"], params.get("company"))})
        return classify(text) if classify(text).agent == "lead_analysis" else Route(agent, "lead_assess", "asked for a lead analysis",
                                                                                     {"person_span": person_span(text)})
    if agent == "web_search":
        return Route(agent, "research", "asked for company research",
                     {"company": params.get("company") or research_target(text) or text})
    if agent == "data":
        return Route(agent, "analysis", "asked the Data agent")
    if agent == "execution":
        return Route(agent, "action", "asked for an action")
    raise NotFoundError(f"unknown agent {agent!r}", "agents: deal_analysis, lead_analysis, data, web_search, execution")


def _resolve(ctx: AgentContext, route: Route, text: str) -> None:
    from revops_cli.agents import entities

    e = route.entities
    if route.agent != "data" or "period" not in e:
        period = parse_period(clean(text), ctx.as_of, ctx.fiscal_start_month)
        if period:
            e.setdefault("period", period)
    if route.agent == "deal_analysis":
        e.setdefault("focus", deal_focus(clean(text), route.names))
    if "deal_span" in e:
        span = e.pop("deal_span")
        mention = e.pop("deal_mention", None)
        try:
            e["opportunity"] = entities.resolve_deal(ctx, span)
        except NotFoundError:
            if mention is None or mention.kind != "account" or not entities.has_research(ctx, mention.value):
                raise
            # an account with no deal at all, asked about by name: what we know of the company
            route.agent, route.intent = "web_search", "research"
            route.reason = f"{mention.value} has no deal; company research instead"
            e.pop("focus", None)
            e["company"] = mention.value
            span = None
    if "opportunity" in e and route.agent == "deal_analysis" and "account" not in e:
        opp = e["opportunity"] if isinstance(e["opportunity"], dict) else {}
        if opp.get("account_id"):
            e["account"] = {"account_id": opp.get("account_id"), "name": opp.get("account_name")}
    if "deal_pick" in e:
        name, opp_id = e.pop("deal_pick")
        e["opportunity"] = entities.deal_by_id(ctx, name, opp_id)
    if "person_span" in e:
        span = e.pop("person_span")
        if not span:
            raise NotFoundError("no person named in the request", "ask e.g. 'assess John Smith from DataCorp'")
        e["person"] = entities.resolve_person(ctx, span[0], span[1])
        if e["person"].get("company"):
            e.setdefault("company", e["person"]["company"])
    if route.agent == "execution":
        span = deal_name_span(clean(text)) if _DEAL_WORD.search(text) else None
        if span and not _FOLLOW_UP.fullmatch(span.lower()):
            e["opportunity"] = entities.resolve_deal(ctx, span)
            e["deal_named"] = True           # named in this request: an earlier answer about something else is not it
        elif ctx.session.get("opportunity") and not (route.names is not None and route.names.of("opportunity", "account")):
            e.setdefault("opportunity", ctx.session["opportunity"])      # a deal named now wins over the last one
    names = route.names
    if names is not None and route.agent in ("data", "execution"):
        acc = names.first("account")
        if acc is not None:
            e.setdefault("account", {"account_id": acc.id, "name": acc.value})
        opp = names.first("opportunity")
        if opp is not None and route.agent == "execution" and "opportunity" not in e:
            e["opportunity"] = entities.resolve_deal(ctx, opp.value)
        elif acc is not None and route.agent == "execution" and "opportunity" not in e:
            e["opportunity"] = entities.resolve_deal(ctx, acc.value)
        comp = names.first("company")
        if comp is not None:
            e.setdefault("company", comp.value)
    elif route.agent in ("data", "execution"):
        found = entities.find_known_name(ctx, clean(text))
        if found:
            if found["kind"] == "account":
                e.setdefault("account", {"account_id": found["id"], "name": found["name"]})
            elif found["kind"] == "opportunity" and route.agent == "execution" and "opportunity" not in e:
                e["opportunity"] = entities.resolve_deal(ctx, found["name"])
            elif found["kind"] == "company":
                e.setdefault("company", found["name"])
    if route.agent == "web_search" and e.get("company"):
        e["company"] = entities.research_name(ctx, str(e["company"]))
    if route.agent in ("web_search",) or route.intent == "company_fit":
        if not e.get("company"):
            raise NotFoundError("no company named in the request", "ask e.g. 'research TechCorp'")


def interpretation_line(route: Route, task: Task, answer: Answer) -> str | None:
    """The one line that opens every answer: what was looked at ('Deal assessment · IXIS - Snowflake Cost
    Replacement (IXIS Technologies)'). The Data agent writes its own, with filters and counts."""
    e = task.entities or {}
    opp = e.get("opportunity") if isinstance(e.get("opportunity"), dict) else None
    if route.agent == "deal_analysis" and opp:
        acc = opp.get("account_name")
        return f"Deal assessment · {opp.get('name')}" + (f" ({acc})" if acc else "")
    if route.agent == "lead_analysis":
        p = e.get("person") if isinstance(e.get("person"), dict) else None
        if p and p.get("name"):
            return f"Lead assessment · {p['name']}" + (f" · {p['company']}" if p.get("company") else "")
        if e.get("company"):
            return f"Company fit · {e['company']}"
        return "Lead assessment"
    if route.agent == "web_search" and e.get("company"):
        return f"Company research · {e['company']}"
    if route.agent == "execution":
        return "Action" + (" (dry run)" if answer.pending_actions else "")
    return None


class Manager:
    name = NAME

    def handle(self, ctx: AgentContext, text: str, forced: str | None = None,
               params: dict[str, Any] | None = None) -> Answer:
        route = plan(ctx, text, forced, params)
        task = Task(intent=route.intent, text=clean(text), entities=route.entities, params=dict(params or {}))
        if route.names is not None:
            task.entities["names"] = route.names
        earlier: list[Answer] = []
        for step_agent in route.chain:
            ctx.trace.handoff(NAME, step_agent, f"{route.intent}: gather input for {route.agent}")
            earlier.append(agent_for(step_agent).handle(ctx, task))
            if earlier[-1].data:
                task.entities.setdefault("research", earlier[-1].data)
        ctx.trace.handoff(NAME, route.agent, route.intent)
        answer = agent_for(route.agent).handle(ctx, task)
        if answer.ok and not answer.data.get("interpretation"):
            line = interpretation_line(route, task, answer)
            if line:
                answer.data["interpretation"] = line
                answer.data.setdefault("receipt", {"interpretation": line, "agent": route.agent,
                                                   "intent": route.intent,
                                                   "names": [m.to_dict() for m in route.names.mentions]
                                                   if route.names is not None else [],
                                                   "freshness": {"as_of": ctx.as_of.isoformat()}})
                answer.text = f"_{line}_\n\n{answer.text}"
        if answer.ok and route.names is not None and route.names.notes:
            # a name read through a typo is said in the answer, not only in the trace
            head, _, rest = answer.text.partition("\n")
            said = "; ".join(n[0].upper() + n[1:] for n in route.names.notes)
            answer.text = f"{head}\n_{said}._\n{rest}"
            answer.data.setdefault("name_notes", list(route.names.notes))
        for prior in earlier:
            answer.sources = prior.sources + answer.sources
        answer.data.setdefault("route", {"agent": route.agent, "intent": route.intent, "reason": route.reason,
                                         "chain": route.chain})
        return answer
