"""Entity resolution: find the deal, account, person or company a question names.

Substring search runs in the warehouse (fast at any scale); a misspelt name falls back to fuzzy
matching (rapidfuzz) over the names that start with the same letters. A clear winner is taken, with a
note in the trace; several close candidates, or none, become a "did you mean" error, never a guess.
"""

from __future__ import annotations

import re
from typing import Any

from revops_cli.agents.base import AgentContext
from revops_cli.errors import NotFoundError

AGENT = "manager"
FUZZY_ACCEPT = 75        # similarity a misspelling must reach to be taken without asking
FUZZY_MARGIN = 8         # ... and how far ahead of a rival pointing elsewhere it must be


def _norm(s: str) -> str:
    return re.sub(r"\s+", " ", s.strip().lower())


def _score(term: str, name: str) -> tuple[float, str]:
    """How well a typed term matches a name, and which part of the name it matched.

    Whole-name similarity (WRatio), and for a one-word term also each word of the name with OSA, which
    counts a swap of two letters as one edit ("IXSI" is one edit from "IXIS")."""
    from rapidfuzz import fuzz
    from rapidfuzz.distance import OSA

    t = _norm(term)
    best, part = fuzz.WRatio(t, _norm(name)), _norm(name)
    if " " not in t:
        for word in re.findall(r"[\w&]+", name.lower()):
            if len(word) >= 3:
                sim = OSA.normalized_similarity(t, word) * 100
                if sim > best:
                    best, part = sim, word
    return best, part


def _fuzzy(ctx: AgentContext, term: str, kinds: tuple[str, ...]) -> list[tuple[str, dict, float]]:
    """Candidates of the given kinds scored against term, best first."""
    term_n = _norm(term)
    if len(term_n) < 2:
        return []
    names: dict[str, dict] = {}
    for prefix in (term_n[:2], term_n[:1]):
        for r in ctx.run_pattern(AGENT, "name_candidates", prefix=prefix).records():
            if r["kind"] in kinds:
                names.setdefault(f"{r['kind']}:{r['id']}", r)
        if names:
            break
    scored = []
    for r in names.values():
        score, part = _score(term, r["name"])
        scored.append((r["name"], {**r, "matched": part}, score))
    scored.sort(key=lambda x: -x[2])
    return scored[:8]


def _first_word(name: str) -> str:
    words = re.findall(r"[\w&]+", name.lower())
    return words[0] if words else ""


def _clear_winner(fuzzy: list[tuple[str, dict, float]]) -> str | None:
    """The best candidate's name if it is good and no candidate pointing elsewhere is close."""
    if not fuzzy or fuzzy[0][2] < FUZZY_ACCEPT:
        return None
    top = fuzzy[0]
    family = _first_word(top[0])      # "IXIS Technologies" and "IXIS - Snowflake ..." are one family
    rivals = [f for f in fuzzy[1:] if _first_word(f[0]) != family]
    if rivals and top[2] - rivals[0][2] < FUZZY_MARGIN:
        return None
    return top[0]


def _did_you_mean(what: str, term: str, candidates: list[str], hint_cmd: str) -> NotFoundError:
    if candidates:
        return NotFoundError(f"no {what} matches {term!r}", f"did you mean: {', '.join(candidates[:5])}?")
    return NotFoundError(f"no {what} matches {term!r}", hint_cmd)


def resolve_deal(ctx: AgentContext, term: str) -> dict[str, Any]:
    """The one open (or, failing that, most recent) opportunity a name points to."""
    rows = ctx.run_pattern(AGENT, "deal_lookup", name=term).records()
    if not rows:
        fuzzy = _fuzzy(ctx, term, ("opportunity", "account"))
        best = _clear_winner(fuzzy)
        if best:
            ctx.trace.note(AGENT, f"read {term!r} as {best!r} (fuzzy match {fuzzy[0][2]:.0f})")
            rows = ctx.run_pattern(AGENT, "deal_lookup", name=best).records()
        if not rows:
            raise _did_you_mean("deal", term, [f[0] for f in fuzzy if f[2] >= 60],
                               "`revops data run deals_closing_in_period` lists open deals")
    return pick_deal(rows, term)


def deal_by_id(ctx: AgentContext, name: str, opportunity_id: str) -> dict[str, Any]:
    """The deal a listed row names (its name and id: two deals may share a name)."""
    rows = ctx.run_pattern(AGENT, "deal_lookup", name=name).records()
    same = [r for r in rows if r.get("opportunity_id") == opportunity_id]
    return same[0] if same else resolve_deal(ctx, name)


def _is_open(r: dict) -> bool:
    if "is_closed" in r and r["is_closed"] is not None:
        return not r["is_closed"]
    return str(r.get("stage", "")).lower() not in ("closed won", "closed lost")


def pick_deal(rows: list[dict], term: str) -> dict[str, Any]:
    t = _norm(term)
    exact = [r for r in rows if _norm(str(r.get("name", ""))) == t]
    if len(exact) == 1:
        return exact[0]
    open_rows = [r for r in rows if _is_open(r)]
    pool = open_rows or rows
    if len(pool) == 1:
        return pool[0]
    # several deals match: one account's single open deal is still clear
    accounts = {r.get("account_id") for r in pool}
    if len(accounts) == 1 and len(open_rows) == 1:
        return open_rows[0]
    by_account = [r for r in pool if _norm(str(r.get("account_name", ""))) == t]
    if len(by_account) == 1:
        return by_account[0]
    names = [str(r.get("name")) for r in sorted(pool, key=lambda r: -(r.get("amount") or 0))]
    raise NotFoundError(f"{len(pool)} deals match {term!r}",
                        f"did you mean: {', '.join(names[:5])}? name the deal more precisely")


def resolve_person(ctx: AgentContext, name: str, company: str | None) -> dict[str, Any]:
    """A lead or contact by name (and company); a person found nowhere comes back with kind None."""
    params: dict[str, Any] = {"name": name}
    if company:
        params["company"] = company
    rows = ctx.run_pattern(AGENT, "person_lookup", **params).records()
    if not rows:
        fuzzy = _fuzzy(ctx, name, ("lead", "contact"))
        best = _clear_winner(fuzzy)
        if best:
            ctx.trace.note(AGENT, f"read {name!r} as {best!r} (fuzzy match {fuzzy[0][2]:.0f})")
            rows = ctx.run_pattern(AGENT, "person_lookup", **{**params, "name": best}).records()
    if not rows:
        if company:
            return {"kind": None, "id": None, "name": name, "company": company}
        raise NotFoundError(f"no lead or contact matches {name!r}",
                            "add the company (e.g. 'John Smith from DataCorp') so revops can research it")
    if len(rows) > 1 and not company:
        companies = sorted({str(r.get('company')) for r in rows})
        if len(companies) > 1:
            raise NotFoundError(f"{len(rows)} people match {name!r}",
                                f"say which company: {', '.join(companies[:5])}")
    r = rows[0]
    return {"kind": r["kind"], "id": r["id"], "name": r["name"], "title": r.get("title"),
            "company": r.get("company") or company}


def resolve_account(ctx: AgentContext, term: str) -> dict[str, Any] | None:
    rows = ctx.run_pattern(AGENT, "account_overview", account=term, as_of=ctx.as_of).records()
    if not rows:
        best = _clear_winner(_fuzzy(ctx, term, ("account",)))
        if best:
            rows = ctx.run_pattern(AGENT, "account_overview", account=best, as_of=ctx.as_of).records()
    if not rows:
        return None
    exact = [r for r in rows if _norm(str(r.get("account_name"))) == _norm(term)]
    r = (exact or rows)[0]
    return {"account_id": r.get("account_id"), "name": r.get("account_name")}


def has_research(ctx: AgentContext, name: str) -> bool:
    """Whether a company of this name is among the researched companies or the accounts (a name to research)."""
    rows = ctx.run_pattern(AGENT, "name_candidates", prefix=_norm(name)[:2]).records()
    return any(r["kind"] in ("company", "account") and _norm(r["name"]) == _norm(name) for r in rows)


def research_name(ctx: AgentContext, term: str) -> str:
    """The company a research request names, as the warehouse spells it: a known account or researched company
    named exactly or by its first words ('enterprise solutions' -> Enterprise Solutions); otherwise the term as
    typed, and the research provider decides (a typo within its allowance, or "not found" with suggestions)."""
    term = term.strip()
    if not term:
        return term
    kinds = ("company", "account")
    rows = ctx.run_pattern(AGENT, "name_candidates", prefix=_norm(term)[:2]).records()
    exact = [r for r in rows if r["kind"] in kinds and _norm(r["name"]) == _norm(term)]
    if exact:
        return str(exact[0]["name"])
    starts = sorted({str(r["name"]) for r in rows if r["kind"] in kinds
                     and _norm(r["name"]).startswith(_norm(term) + " ")})
    if len(starts) == 1:
        return starts[0]
    return term          # a typo is the research provider's to read (connectors/web_search.same_company)


def find_known_name(ctx: AgentContext, text: str) -> dict[str, Any] | None:
    """The longest capitalised phrase in the text that names a known account, deal, person or company."""
    spans = re.findall(r"\b([A-Z][\w&.'-]*(?:\s+(?:[A-Z][\w&.'-]*|of|and|&))*)", text)
    spans = [s.strip() for s in spans if s.strip() and s.strip().lower() not in _STOP_CAPS]
    for span in sorted(set(spans), key=len, reverse=True):
        rows = ctx.run_pattern(AGENT, "name_candidates", prefix=_norm(span)[:2]).records()
        for r in rows:
            if _norm(r["name"]) == _norm(span) or _norm(r["name"]).startswith(_norm(span) + " "):
                return {**r, "span": span}
    return None


_STOP_CAPS = {"what", "which", "who", "how", "is", "are", "the", "a", "an", "i", "q1", "q2", "q3", "q4", "ytd",
              "mql", "sql", "icp", "ae", "arr", "yoy", "meddpicc", "revbot", "please", "can", "show", "tell",
              "give", "list", "send", "research", "assess", "analyze", "analyse", "review", "compare",
              "identify", "score", "does", "do", "any", "our", "my"}
