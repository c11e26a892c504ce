"""The Execution agent: Slack messages, outbound webhooks and CRM updates, shown first and run only when confirmed.

Reads the request with plain patterns (no model), one action per clause ("update the next step to X and
notify the AE" is two):
  1. "send / notify / message / ping / tell  the AE | the owner | the CSM | #channel | @someone  …"
     -> a Slack message; its text is the quoted text, or what follows "saying"/":", or built from the
     session's last answer (e.g. the risks of the deal discussed), or the topic after "about".
  2. "trigger / call / fire  the <name> webhook (with …)"
     -> a POST to the endpoint configured under that name (webhooks.endpoints.<name>, or webhooks.url).
     A URL typed in the request is never called: the answer says it was ignored.
  3. "update / set / log / change / move  … next step | stage | amount | close date | forecast category | note  … to …"
     -> a CRM update of the deal in context, recorded in the outbox (see connectors/outbox.py).
Every action is described first (Answer.pending_actions: kind, target, payload, status "pending"); the
service stores that dry run (actions/pending.py) and a confirmation of its id runs the stored actions
through `run_stored`, exactly as shown, without planning again. `request.confirm` (`--yes`) plans and
runs in one go. Each run is a traced tool call. Slack notes escape the data they carry (`slack_note`).
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime
from typing import Any

from revops_cli.agents.base import AgentContext, Task
from revops_cli.errors import ActionError, RevopsError, UsageError
from revops_cli.models import Answer
from revops_cli.formatting import json_default

NAME = "execution"
SLACK_TEXT_LIMIT = 3000

_URL = re.compile(r"\b(?:https?://|www\.)[^\s<>\"'`)\]]+|<https?://[^>]+>", re.I)
# "…", “…”, ‘…’, `…` and '…' (a single quote opens only after a non-letter and closes before one, so the
# apostrophes of "don't" and "the AE's" are left alone)
_QUOTED = re.compile(r"\"([^\"]+)\"|“([^”]+)”|‘([^’]+)’|`([^`]+)`|(?<![\w'])'([^']+?)'(?![\w])")
_SLACK_VERBS = r"send|notify|message|ping|tell|dm|post|alert|remind|let"
_WEBHOOK_VERBS = r"trigger|call|fire|invoke|hit|send|post|ping"
_CRM_VERBS = r"update|set|log|change|move|record|push|add|change"
_SPLIT = re.compile(r"\s*(?:;|\band then\b|\bthen\b|\band\b(?=\s+(?:also\s+)?(?:" + _SLACK_VERBS + "|" + _WEBHOOK_VERBS
                    + "|" + _CRM_VERBS + r")\b))\s*", re.I)
_WEBHOOK = re.compile(r"\bwebhooks?\b", re.I)
_WEBHOOK_NAME_BEFORE = re.compile(r"[`'\"]?([\w.-]+)[`'\"]?\s+webhook\b", re.I)
_WEBHOOK_NAME_AFTER = re.compile(r"\bwebhook\s+(?:named\s+|called\s+)?[`'\"]?([\w.-]+)", re.I)
_NOT_NAMES = {"the", "a", "an", "our", "my", "this", "that", "default", "configured", "outbound", "webhook", "to",
              "with", "for", "and", "about", "now", "please", "named", "called", "at", "on", "in", "it", "then",
              "trigger", "call", "fire", "invoke", "hit", "send", "post", "ping", "url", "endpoint", "its"}
_CRM_VERB = re.compile(r"\b(" + _CRM_VERBS + r")\b", re.I)
_SLACK_VERB = re.compile(r"\b(" + _SLACK_VERBS + r")\b", re.I)
FIELDS: list[tuple[str, re.Pattern[str]]] = [
    ("next_step", re.compile(r"\bnext[\s_-]+steps?\b", re.I)),
    ("close_date", re.compile(r"\bclos(?:e|ing)[\s_-]+date\b", re.I)),
    ("forecast_category", re.compile(r"\bforecast(?:[\s_-]+category)?\b", re.I)),
    ("stage", re.compile(r"\bstage\b", re.I)),
    ("amount", re.compile(r"\b(?:amount|deal\s+(?:size|value)|arr)\b", re.I)),
    ("note", re.compile(r"\b(?:note|comment)\b", re.I)),
]
FIELD_LABELS = {"next_step": "next step", "close_date": "close date", "forecast_category": "forecast category",
                "stage": "stage", "amount": "amount", "note": "note"}
FORECAST_CATEGORIES = ("Pipeline", "Best Case", "Commit", "Closed", "Omitted")
_PERSON_ROLES = re.compile(r"\b(?P<role>ae|account executive|deal owner|owner|rep|seller|csm|customer success manager|"
                           r"(?:their|his|her|the ae'?s|the owner'?s)\s+manager|manager)\b", re.I)
_ROLE_PHRASE = re.compile(
    r"(?:the|our|my|his|her|their)\s+(?:[\w&.'’-]+\s+){0,5}?(?P<role>(?:ae'?s|owner'?s|rep'?s)\s+manager|ae|account executive|"
    r"deal owner|owner|rep|seller|csm|customer success manager|account manager|manager)(?:'s)?\b"
    r"(?:\s+(?:of|on|for)\s+(?:the\s+)?(?:(?:[\w&.'’-]+\s+){0,5}?(?:deal|opportunity|opp|account)\b|"
    r"[\w&.'’-]+(?:\s+[\w&.'’-]+){0,4}?(?=\s+(?:to|that|about|re|regarding|know|saying)\b|\s*:|\s*$)))?", re.I)
# words that start a phrase but never name a person ("send the risks to …", "tell them …")
_NOT_PEOPLE_WORDS = {"the", "a", "an", "our", "my", "this", "that", "these", "those", "it", "its", "his", "her",
                     "their", "them", "him", "everyone", "everybody", "team", "all", "some", "quick", "note",
                     "message", "to", "about", "me", "us", "and", "with", "on", "in", "for", "re", "regarding"}
_CHANNEL = re.compile(r"(?<![\w&/])#([A-Za-z0-9][\w.-]*)")
_HANDLE = re.compile(r"(?<![\w.])@([A-Za-z][\w.-]*)")
_SLACK_ID = re.compile(r"^[UW][A-Z0-9]{6,}$")

RUN_VERBS = {"slack": "send the Slack message", "webhook": "call the webhook", "crm_update": "record the CRM update",
             "bedrock_agents": "send the request to the deployed Bedrock agents"}
CAPABILITIES = [
    "send a Slack message: \"notify the AE about the risks\", \"post to #deal-desk: 'IXIS moved to Negotiate'\"",
    "trigger a configured webhook: \"trigger the crm_alerts webhook with the deal summary\"",
    "record a CRM update: \"update the next step to 'pricing call on Friday'\", \"set the close date to 2026-12-15\","
    " \"log a note: champion is leaving\"",
]


# -- helpers -------------------------------------------------------------------------------------------

def _protect_quotes(text: str) -> tuple[str, list[str]]:
    quotes: list[str] = []

    def keep(m: re.Match[str]) -> str:
        quotes.append(next(g for g in m.groups() if g is not None))
        return f"\u27e6{len(quotes) - 1}\u27e7"

    return _QUOTED.sub(keep, text), quotes


def _restore(text: str, quotes: list[str]) -> str:
    return re.sub("\u27e6(\\d+)\u27e7", lambda m: quotes[int(m.group(1))], text)


def _quoted_in(clause: str, quotes: list[str]) -> str | None:
    m = re.search("\u27e6(\\d+)\u27e7", clause)
    return quotes[int(m.group(1))] if m else None


def _clean_value(value: str) -> str:
    return value.strip().strip(" .!?;,").strip("\"'`“”‘’").strip()


def _opp_name(opp: dict[str, Any] | None) -> str | None:
    if not opp:
        return None
    return opp.get("name") or opp.get("deal_name") or opp.get("opportunity_name") or opp.get("opportunity_id")


def _as_dict(value: Any) -> dict[str, Any]:
    if value is None:
        return {}
    if hasattr(value, "to_dict"):
        value = value.to_dict()
    return dict(value) if isinstance(value, dict) else {}


def _item_text(item: Any) -> str:
    """One line for a risk (or any finding): '[high] title: detail', whatever keys the producer used."""
    if not isinstance(item, dict):
        return str(item)
    head = next((str(item[k]) for k in ("title", "text", "summary", "risk", "description", "message", "reason")
                 if item.get(k)), None)
    if head is None:
        return ", ".join(f"{k}: {v}" for k, v in item.items() if not isinstance(v, (dict, list)))
    detail = item.get("detail")
    severity = item.get("severity")
    return f"{'[' + str(severity) + '] ' if severity else ''}{head}{': ' + str(detail) if detail else ''}"


def parse_amount(text: str) -> float:
    m = re.search(r"\$?\s*(\d[\d,]*(?:\.\d+)?)\s*([kKmM]|thousand|million|mm)?\b", text)
    if not m:
        raise UsageError(f"cannot read an amount from {text!r}", "write e.g. $120K, 120000 or 1.2M")
    value = float(m.group(1).replace(",", ""))
    unit = (m.group(2) or "").lower()
    return value * (1_000 if unit in ("k", "thousand") else 1_000_000 if unit in ("m", "million", "mm") else 1)


def parse_date(text: str) -> date:
    t = re.sub(r"(\d)(st|nd|rd|th)\b", r"\1", text.strip().strip(".,"))
    t = re.sub(r"\s+", " ", t.replace(",", " ")).strip()
    for fmt in ("%Y-%m-%d", "%Y/%m/%d", "%m/%d/%Y", "%b %d %Y", "%B %d %Y", "%d %b %Y", "%d %B %Y"):
        try:
            return datetime.strptime(t, fmt).date()
        except ValueError:
            pass
    raise UsageError(f"cannot read a date from {text!r}", "write it as YYYY-MM-DD, e.g. 2026-12-15")


def _sentence(text: str) -> str:
    """A message as said, with its first letter in capitals and nothing trailing."""
    t = _clean_value(text)
    return t[:1].upper() + t[1:] if t else t


def slack_note(message: str, deal: str | None, who: str | None) -> str:
    """The text of a Slack note: our bold header, the message, our footer. Everything that comes from data
    (the message, the deal name, the user) is escaped for Slack (`format.escape`): no mention, link or
    markup in a deal name or a warehouse text can reach Slack live."""
    from revops_cli.connectors.slack_format import escape

    header = f"*From revops*{' about ' + escape(deal) if deal else ''}"
    footer = f"_(sent via revops{' for ' + escape(who) if who else ''})_"
    text = f"{header}\n{escape(message)}\n{footer}"
    if len(text) > SLACK_TEXT_LIMIT:
        text = re.sub(r"&[a-z]{0,3}$", "", text[:SLACK_TEXT_LIMIT - 1]) + "…"
    return text


# -- the agent -----------------------------------------------------------------------------------------

class ExecutionAgent:
    name = NAME

    def handle(self, ctx: AgentContext, task: Task) -> Answer:
        """Plan the actions the request names; run them at once only with `request.confirm` (`--yes`)."""
        plan = Planner(ctx, task).plan()
        confirm = bool(ctx.request.confirm)
        actions = plan["actions"]
        if actions and confirm:
            runner = Runner(ctx)
            for action in actions:
                runner.run(action)
        elif actions:
            ctx.trace.note(NAME, f"dry run: {len(actions)} action(s) described, none run (confirm to run them)")
        data: dict[str, Any] = {"ignored_urls": plan["ignored_urls"], "notes": plan["notes"]}
        if plan["opportunity"]:
            data["opportunity"] = plan["opportunity"]
        answer = _answer(ctx, actions, confirm=confirm, data=data, notes=plan["notes"],
                         ignored_urls=plan["ignored_urls"], endpoints=plan["endpoints"],
                         opportunity=_opp_name(plan["opportunity"]))
        if not actions:
            # what revops can do, alone, is never a successful answer (exit 9, like a question not understood)
            from revops_cli.errors import NotUnderstoodError

            err = NotUnderstoodError("no action recognised in the request",
                                     plan["notes"][0] if plan["notes"] else
                                     "e.g. notify the AE \"call the CFO today\", or trigger the crm_alerts webhook")
            answer.ok, answer.error = False, err.one_line()
            answer.data["error"] = {**err.to_dict(), "retryable": False}
        return answer


def run_stored(ctx: AgentContext, record: Any) -> Answer:
    """Run the actions of a claimed dry run (`actions/pending.py`) exactly as stored: no planning, no
    session, no text. The answer shows each action again (target and payload) with its outcome."""
    from revops_cli.actions.pending import iso
    from revops_cli.connectors.webhooks import endpoint_names

    actions = [{"kind": a["kind"], "target": a["target"], "payload": a["payload"], "status": "pending",
                "payload_hash": a["payload_hash"]} for a in record.actions]
    ctx.trace.note(NAME, f"confirmed {record.id}: running {len(actions)} stored action(s) as shown to "
                         f"{record.asker}, not planned again")
    runner = Runner(ctx)
    for action in actions:
        with ctx.tool(NAME, "confirmed_action", {"action_id": record.id, "kind": action["kind"],
                                                 "target": action["target"], "payload_hash": action["payload_hash"],
                                                 "payload": action["payload"]}) as step:
            runner.run(action)
            step.ok = action["status"] == "done"
            step.error = action.get("error")
            step.detail = f"{action['status']}: {action['kind']} to {action['target']}"
    data = {"confirmed_action_id": record.id, "asked_by": record.asker, "asked_at": iso(record.created_at)}
    return _answer(ctx, actions, confirm=True, data=data, notes=[], ignored_urls=[],
                   endpoints=endpoint_names(ctx.settings), opportunity=None, confirmed_id=record.id)


def _answer(ctx: AgentContext, actions: list[dict[str, Any]], *, confirm: bool, data: dict[str, Any],
            notes: list[str], ignored_urls: list[str], endpoints: list[str], opportunity: str | None,
            confirmed_id: str | None = None) -> Answer:
    """The Execution agent's answer for planned (dry run or `--yes`) or confirmed actions."""
    public = [_public(a) for a in actions]
    failed = [a for a in public if a["status"] == "failed"]
    text = ctx.render("execution.md.j2", actions=public, confirm=confirm, notes=notes, ignored_urls=ignored_urls,
                      capabilities=CAPABILITIES, endpoints=endpoints, opportunity=opportunity,
                      run_phrase=" and ".join(dict.fromkeys(RUN_VERBS.get(a["kind"], "run it") for a in public)),
                      previews=[_preview(a["payload"]) for a in public], confirmed_id=confirmed_id)
    answer = Answer(agent=NAME, text=text, data={"actions": public, "dry_run": not confirm, **data},
                    pending_actions=[a for a in public if a["status"] == "pending"])
    if failed:
        answer.ok = False
        answer.error = f"{len(failed)} of {len(public)} action(s) failed: {failed[0]['error']}"
        # exit code: 3 when every failure is a missing or wrong setting (no token...), else 7
        codes = {a.get("_exit_code") for a in actions if a.get("status") == "failed"}
        answer.data["error"] = {"kind": "ActionError", "message": answer.error, "hint": None,
                                "exit_code": 3 if codes == {3} else 7}
    return answer


def _preview(payload: Any, limit: int = 1500) -> str:
    text = json.dumps(payload, indent=2, ensure_ascii=False, default=json_default)
    return text if len(text) <= limit else text[:limit] + "\n…"


def _public(action: dict[str, Any]) -> dict[str, Any]:
    """What the answer shows of an action: no secrets, no internal fields."""
    out = {k: action[k] for k in ("kind", "target", "payload", "status") if k in action}
    for k in ("payload_hash", "error", "result"):
        if action.get(k) is not None:
            out[k] = action[k]
    return out


class Planner:
    def __init__(self, ctx: AgentContext, task: Task):
        self.ctx = ctx
        self.task = task
        self.notes: list[str] = []
        self._users: list[dict[str, Any]] | None = None
        self._opp_row: dict[str, Any] | None = None
        opp = task.entities.get("opportunity") or ctx.session.get("opportunity")
        self.opportunity: dict[str, Any] | None = _as_dict(opp) or None
        acc = task.entities.get("account") or ctx.session.get("account")
        self.account: dict[str, Any] | None = _as_dict(acc) or None
        self.last_answer = _as_dict(ctx.session.get("last_answer"))
        self.names = task.entities.get("names")          # agents.names.Names of the question, when routed
        self.planned: list[dict[str, Any]] = []          # the actions planned so far for this request

    # -- parsing ---------------------------------------------------------------------------------
    def plan(self) -> dict[str, Any]:
        from revops_cli.connectors.webhooks import endpoint_names

        raw = self.task.text or self.ctx.request.text or ""
        ignored = [u.strip("<>") for u in _URL.findall(raw)]
        text = _URL.sub(" ", raw)
        text, quotes = _protect_quotes(text)
        actions: list[dict[str, Any]] = []
        previous: str | None = None
        for clause in [c for c in _SPLIT.split(text) if c and c.strip()]:
            noted = len(self.notes)
            self.planned = actions
            action = self._clause(clause, quotes, bool(ignored))
            if action is None and previous is not None and actions and actions[-1]["kind"] == "slack":
                # "tell marcus to review and send the contract": no action of its own, so part of the message
                joined = f"{previous} and {clause}"
                again = self._clause(joined, quotes, bool(ignored))
                if again is not None:
                    del self.notes[noted:]
                    actions[-1], previous = again, joined
                    continue
            if action:
                actions.append(action)
                previous = clause
        return {"actions": actions, "notes": self.notes, "ignored_urls": ignored,
                "endpoints": endpoint_names(self.ctx.settings), "opportunity": self.opportunity}

    def _clause(self, clause: str, quotes: list[str], had_url: bool) -> dict[str, Any] | None:
        from revops_cli.agents.action_intent import CRM_PLACE, is_crm_change, is_message, leading_verb

        if _WEBHOOK.search(clause):
            return self._webhook(clause, quotes, had_url)
        lead = leading_verb(clause)
        if lead and is_message(*lead) and not _CHANNEL.search(lead[1]) and not _HANDLE.search(lead[1]):
            action = self._message_action(lead[0], lead[1], quotes)
            if action is not None:
                return action
        if lead and is_crm_change(lead[0], lead[1], self.names):
            rest = CRM_PLACE.sub(" ", lead[1]).strip()
            field = self._field(rest) or self._implied_field(rest, quotes)
            if field:
                return self._crm(rest, quotes, field)
        field = self._field(clause)
        has_slack_target = bool(_CHANNEL.search(clause) or _HANDLE.search(clause) or _PERSON_ROLES.search(clause))
        if _CRM_VERB.search(clause) and (field or re.search(r"\bmove\b.*\bto\b", clause, re.I)):
            if not (_SLACK_VERB.search(clause) and has_slack_target and field == "note"):
                return self._crm(clause, quotes, field or "stage")
        if _SLACK_VERB.search(clause) or _CHANNEL.search(clause) or (has_slack_target and _CRM_VERB.search(clause)):
            return self._slack(clause, quotes)
        return None

    def _implied_field(self, rest: str, quotes: list[str]) -> str | None:
        """No field named: 'push ixis to 2027-03-31' changes the close date, 'move techcorp to business
        justification' the stage, 'mark acme as commit' the forecast category."""
        to = re.search(r"\b(?:to|as|into)\s+(.+)$", _restore(rest, quotes), re.I)
        if not to:
            return None
        value = _clean_value(to.group(1))
        try:
            parse_date(value)
            return "close_date"
        except UsageError:
            pass
        if any(value.lower() == c.lower() for c in FORECAST_CATEGORIES):
            return "forecast_category"
        return "stage"

    # -- messages asked the way people talk --------------------------------------------------------
    def _message_action(self, verb: str, rest: str, quotes: list[str]) -> dict[str, Any] | None:
        """'ping marcus about …', 'slack sarah the ixis risks', 'let sarah know …', 'tell the owner of the
        acme deal to chase the CFO': the recipient from the words after the verb (a rep by full or first
        name, the deal's owner/AE/CSM/manager), the message from the rest of the question. None when no
        recipient is at the start (the older patterns then look for a #channel or a role anywhere)."""
        found = self._recipient(verb, rest)
        if found is None:
            return None
        target, before, after = found
        channel, label, email = target
        message = self._body(verb, before, after, quotes) or self._about_planned()
        if not message:
            self.notes.append(f"Nothing to send to {label}: say what, e.g. 'tell {label.split(' (')[0]} that the "
                              "pricing call moved to Friday', or quote the message.")
            return None
        if verb in ("email", "text"):
            self.notes.append(f"revops sends Slack messages, not {'email' if verb == 'email' else 'texts'}: "
                              f"this is a Slack message to {label}.")
        text = slack_note(message, _opp_name(self.opportunity), self.ctx.request.user)
        payload: dict[str, Any] = {"channel": channel, "text": text}
        if channel is None:
            payload["email"] = email
        return {"kind": "slack", "target": label, "payload": payload, "status": "pending"}

    def _about_planned(self) -> str | None:
        """'update the next step to X and notify the AE': with nothing else to say, the message is the CRM
        change planned just before it, as shown."""
        change = next((a for a in reversed(self.planned) if a["kind"] == "crm_update"), None)
        if change is None:
            return None
        p = change["payload"]
        was = f" (was {p['old_value']})" if p.get("old_value") not in (None, "") else ""
        return f"CRM update requested: {FIELD_LABELS.get(p['field'], p['field'])} of " \
               f"{p['object_name'] or p['object_id']} → {p['new_value']}{was}."

    def _recipient(self, verb: str, rest: str) -> tuple[tuple[str | None, str, str | None], str, str] | None:
        """(target, words before the recipient, words after it) for the recipient at the start of `rest`
        (or after 'to' in 'send the risks to sarah'); a name no user has, or several users have, is an error."""
        if verb == "let":
            m = re.match(r"(?P<who>.+?)\s+know\b(?P<after>.*)$", rest, re.I | re.S)
            if not m:
                return None
            target = self._who(m.group("who").strip(), strict=True)
            return (target, "", m.group("after")) if target else None
        found = self._who_at_start(rest)
        if found is not None:
            target, after = found
            return target, "", after
        # "send a note to marcus about …", "send the ixis risks to sarah"
        for m in re.finditer(r"\bto\s+", rest, re.I):
            found = self._who_at_start(rest[m.end():], quiet=True)
            if found is not None:
                target, after = found
                return target, rest[:m.start()], after
        word = rest.split()[0] if rest.split() else ""
        if word and word.lower() not in _NOT_PEOPLE_WORDS and not word.startswith("\u27e6") \
                and not self._names_deal_at(rest):
            raise UsageError(f"I don't know who {word!r} is: no one in the users table is called that",
                             "name a rep as the users table has them (full or first name), the deal's owner, AE "
                             "or CSM, a #channel or an @handle")
        return None

    def _names_deal_at(self, rest: str) -> bool:
        """Does `rest` start with a deal or account the question names ('slack ixis risks to sarah')?"""
        if self.names is None:
            return False
        low = rest.lower()
        return any(low.startswith(m.span.lower()) for m in self.names.of("opportunity", "account", "company"))

    def _who_at_start(self, text: str, quiet: bool = False) -> tuple[tuple[str | None, str, str | None], str] | None:
        """The recipient the text starts with, and the words after it."""
        t = text.strip()
        if re.match(r"(?:ae|owner|deal owner|csm|rep|account executive|account manager)\b", t, re.I):
            t = "the " + t                    # 'notify AE about …' is 'notify the AE about …'
        m = _ROLE_PHRASE.match(t)
        if m:
            return self._role_target(m.group("role").lower()), t[m.end():]
        m = re.match(r"([A-Za-z][\w'’.-]*)(?:\s+([A-Za-z][\w'’-]*))?", t)
        if not m:
            return None
        if m.group(2):
            person = self._user_named(f"{m.group(1)} {m.group(2)}")
            if person is not None:
                return self._person_target(person, person["name"]), t[m.end():]
        if m.group(1).lower() in _NOT_PEOPLE_WORDS:
            return None
        person = self._user_named(m.group(1))
        if person is None:
            return None
        return self._person_target(person, person["name"]), t[m.end(1):]

    def _who(self, words: str, strict: bool) -> tuple[str | None, str, str | None] | None:
        """The whole of `words` names the recipient ('let the AE know', 'let marcus reed know')."""
        if (m := _CHANNEL.fullmatch(words)):
            return f"#{m.group(1)}", f"#{m.group(1)}", None
        found = self._who_at_start(words)
        if found is not None and not found[1].strip():
            return found[0]
        if strict and words.split() and words.split()[0].lower() not in _NOT_PEOPLE_WORDS:
            raise UsageError(f"I don't know who {words!r} is: no one in the users table is called that",
                             "name a rep as the users table has them (full or first name), the deal's owner, AE "
                             "or CSM, a #channel or an @handle")
        return None

    def _user_named(self, name: str) -> dict[str, Any] | None:
        """The one user with this full name or first name. Several with that first name: the deal's owner or
        CSM among them if one is (said in a note), else an error listing them."""
        n = re.sub(r"\s+", " ", name.strip().lower().replace("’", "'"))
        users = self.users()
        full = [u for u in users if (u.get("name") or "").lower() == n]
        if len(full) == 1:
            return full[0]
        if " " in n:
            return None
        first = [u for u in users if (u.get("name") or "").lower().split()[:1] == [n]]
        if len(first) <= 1:
            return first[0] if first else None
        row = self.opp_row() or {}
        on_deal = [u for u in first if u["user_id"] in (row.get("owner_id"), row.get("csm_id"))]
        if len(on_deal) == 1:
            others = ", ".join(u["name"] for u in first if u is not on_deal[0])
            self.notes.append(f"{name!r} read as {on_deal[0]['name']}, who works on {_opp_name(self.opportunity)} "
                              f"(also called {name}: {others})")
            return on_deal[0]
        listing = ", ".join(f"{u['name']} ({u.get('role') or 'no role'})" for u in first[:8])
        raise UsageError(f"{name!r} matches {len(first)} people: {listing}",
                         f"say the full name, e.g. '… {first[0]['name']} …'")

    def _role_target(self, role: str) -> tuple[str | None, str, str | None]:
        row = self.opp_row()
        if row is None:
            raise UsageError(f"which deal's {role}?", "ask about a deal first, or name it: "
                                                      "'notify the owner of the IXIS deal about …'")
        if "csm" in role or "customer success" in role:
            person, what = self.user(row.get("csm_id")), "CSM"
        elif "manager" in role:
            owner = self.user(row.get("owner_id"))
            person, what = self.user(owner.get("manager_id")) if owner else None, "AE's manager"
        else:
            person, what = self.user(row.get("owner_id")), "deal owner"
        if person is None:
            raise UsageError(f"the {_opp_name(self.opportunity)} deal has no {what} on record",
                             "name a #channel or @person instead")
        return self._person_target(person, f"{what} {person['name']}")

    def _body(self, verb: str, before: str, after: str, quotes: list[str]) -> str | None:
        """What to say, from the question: quoted text; 'to chase the CFO' -> 'Please chase the CFO.';
        'that …' / ': …' / 'saying …' / the words themselves -> as said; 'about …' or a thing ('the ixis
        risks') -> that thing: the deal's risks, status or next steps computed now, else the topic as said."""
        whole = f"{before} {after}"
        quoted = _quoted_in(whole, quotes)
        if quoted:
            return quoted
        a = _restore(after, quotes).strip(" ,")
        b = _restore(before, quotes).strip(" ,")
        a = re.sub(r"^(?:an?|the)\s+(?:quick\s+)?(?:note|message|msg|line|dm|slack|ping|nudge|heads[\s-]?up|"
                   r"reminder|email)\b\s*", "", a, flags=re.I)
        b = re.sub(r"^(?:an?|the)\s+(?:quick\s+)?(?:note|message|msg|line|dm|slack|ping|nudge|heads[\s-]?up|"
                   r"reminder|email)\s*(?:about|on|re:?|regarding|with)?\s*", "", b, flags=re.I)
        if b and not a:
            a, b = b, ""
        m = re.match(r"(?:know\s+)?to\s+(.+)$", a, re.I | re.S)
        if m and verb != "let":
            ask = _clean_value(m.group(1))
            return (("Reminder: " if verb == "remind" else "Please ") + ask + ".") if ask else None
        m = re.match(r"(?:that|saying|:|-)\s*(.+)$", a, re.I | re.S) or \
            re.search(r"(?::|\bsaying\b|\bthat says\b)\s*(.+)$", a, re.I | re.S)
        if m:
            return _sentence(m.group(1))
        m = re.match(r"(?:about|on|re:?|regarding|for)\s+(.+)$", a, re.I | re.S)
        topic = _clean_value(m.group(1)) if m else _clean_value(a)
        if not topic:
            return None
        computed = self._computed(topic)
        if computed:
            return computed
        if verb == "remind":
            return f"Reminder: {topic}"
        if m:
            return f"Re: {topic}"
        return _sentence(topic)

    def _computed(self, topic: str) -> str | None:
        """The deal's risks, status or next steps when that is all the topic asks for ('the ixis risks',
        'the risks on the acme deal', 'its status'); None for anything else."""
        rest = topic.lower()
        for name in [_opp_name(self.opportunity), (self.opportunity or {}).get("account_name")] + \
                [m.span for m in (self.names.of("opportunity", "account") if self.names is not None else [])]:
            if name:
                rest = rest.replace(str(name).lower(), " ")
        rest = re.sub(r"\b(?:the|a|an|our|its|their|this|that|these|latest|current|main|top|key|biggest|"
                      r"deal'?s?|opportunity'?s?|account'?s?|on|of|for|with|about|in|and)\b|'s\b", " ", rest)
        rest = re.sub(r"[^\w\s]", " ", rest).strip()
        if not rest:
            return None
        if re.fullmatch(r"(?:risks?|risk factors?)", rest):
            return self._deal_content("risks")
        if re.fullmatch(r"(?:status|summary|update|health|state|assessment|rundown)", rest):
            return self._deal_content("status")
        if re.fullmatch(r"next\s+steps?", rest):
            return self._deal_content("next_step")
        return None

    def _deal_content(self, what: str) -> str | None:
        """Computed for the deal in context now (the Deal agent), or taken from the last answer when that
        answer was about the same deal: never the text of an answer about something else."""
        if not self.opportunity:
            return None
        deal = _opp_name(self.opportunity)
        if what == "next_step":
            row = self.opp_row() or {}
            return f"Next step on {deal}: {row.get('next_step')}" if row.get("next_step") else None
        la_data = self.last_answer.get("data") or {}
        la_opp = la_data.get("opportunity") if isinstance(la_data, dict) else None
        same = la_opp and (_as_dict(la_opp).get("opportunity_id") == self.opportunity.get("opportunity_id"))
        data = la_data if same and la_data.get("risks") else None
        if data is None:
            from revops_cli.agents.deal import DealAnalysisAgent

            self.ctx.trace.note(NAME, f"the message carries the {what} of {deal}, assessed now")
            answer = DealAnalysisAgent().handle(self.ctx, Task(intent="deal_risks", text=f"{deal} {what}",
                                                               entities={"opportunity": self.opportunity}))
            if not answer.ok:
                return None
            data = answer.data or {}
        risks = list(data.get("risks") or [])
        if what == "risks":
            if not risks:
                return f"No open risks found on {deal}."
            return f"Risks on {deal}:\n" + "\n".join(f"• {_item_text(r)}" for r in risks[:10])
        opp = _as_dict(data.get("opportunity"))
        lines = [f"Status of {deal}: stage {opp.get('stage') or '?'}"
                 + (f", ${float(opp['amount']):,.0f}" if opp.get("amount") is not None else "")
                 + (f", closing {opp.get('close_date')}" if opp.get("close_date") else "")]
        if data.get("bottom_line"):
            lines.append(str(data["bottom_line"]))
        lines += [f"• {_item_text(r)}" for r in risks[:5]]
        return "\n".join(lines)

    @staticmethod
    def _field(clause: str) -> str | None:
        hits = [(m.start(), name) for name, rx in FIELDS if (m := rx.search(clause))]
        return min(hits)[1] if hits else None

    # -- lookups ---------------------------------------------------------------------------------
    def users(self) -> list[dict[str, Any]]:
        if self._users is None:
            table = self.ctx.settings.table("users")
            sql = "SELECT user_id, name, email, role, manager_id, slack_user_id FROM users ORDER BY user_id NULLS LAST"
            result = self.ctx.run_query(NAME, "lookup_users", sql, trace_params={"table": table})
            self._users = result.records()
        return self._users

    def user(self, user_id: str | None) -> dict[str, Any] | None:
        return next((u for u in self.users() if user_id and u["user_id"] == user_id), None)

    def opp_row(self) -> dict[str, Any] | None:
        """The deal's current CRM values (owner, stage, amount, ...), read once."""
        if self._opp_row is None and self.opportunity and self.opportunity.get("opportunity_id"):
            sql = ("SELECT o.opportunity_id, o.name, o.account_id, a.name AS account_name, a.csm_id, o.owner_id, "
                   "o.stage, o.amount, o.close_date, o.next_step, o.forecast_category "
                   "FROM opportunities o LEFT JOIN accounts a ON a.account_id = o.account_id "
                   "WHERE o.opportunity_id = ?")
            oid = self.opportunity["opportunity_id"]
            result = self.ctx.run_query(NAME, "lookup_opportunity", sql, [oid], trace_params={"opportunity_id": oid})
            self._opp_row = result.first() or {}
        return self._opp_row or None

    # -- slack -----------------------------------------------------------------------------------
    def _slack(self, clause: str, quotes: list[str]) -> dict[str, Any] | None:
        target = self._slack_target(clause)
        if target is None:
            return None
        channel, label, email = target
        message = self._message(clause, quotes) or self._about_planned()
        if not message:
            self.notes.append(f"Nothing to send to {label}: quote the message, e.g. notify the AE \"call the CFO today\","
                              " or ask about a deal first and then send its risks.")
            return None
        text = slack_note(message, _opp_name(self.opportunity), self.ctx.request.user)
        payload: dict[str, Any] = {"channel": channel, "text": text}
        if channel is None:
            payload["email"] = email          # the DM goes to the Slack user with this email (looked up when run)
        return {"kind": "slack", "target": label, "payload": payload, "status": "pending"}

    def _slack_target(self, clause: str) -> tuple[str | None, str, str | None] | None:
        if (m := _CHANNEL.search(clause)):
            return f"#{m.group(1)}", f"#{m.group(1)}", None
        if (m := _HANDLE.search(clause)):
            handle = m.group(1).rstrip(".")
            if _SLACK_ID.match(handle):
                return handle, f"user {handle} (DM)", None
            person = self._find_person(handle)
            if person is None:
                raise UsageError(f"no user matches @{handle}", "use a #channel, or a name from the users table")
            return self._person_target(person, f"@{handle}")
        if (m := _PERSON_ROLES.search(clause)):
            return self._role_target(m.group("role").lower())
        return None

    def _person_target(self, person: dict[str, Any], label: str) -> tuple[str | None, str, str | None]:
        if person.get("slack_user_id"):
            return person["slack_user_id"], f"{label} (DM {person['slack_user_id']})", None
        if person.get("email"):
            return None, f"{label} (DM, Slack user looked up by {person['email']})", person["email"]
        raise UsageError(f"{person['name']} has no Slack id or email on record", "name a #channel instead")

    def _find_person(self, handle: str) -> dict[str, Any] | None:
        h = handle.lower().replace("_", ".")
        users = self.users()
        for test in (lambda u: (u.get("slack_user_id") or "").lower() == h,
                     lambda u: (u.get("email") or "").lower().split("@")[0] == h,
                     lambda u: u["name"].lower().replace(" ", ".") == h,
                     lambda u: u["name"].lower().split()[0] == h):
            found = [u for u in users if test(u)]
            if len(found) == 1:
                return found[0]
            if len(found) > 1:
                raise UsageError(f"@{handle} matches {len(found)} people",
                                 f"be more precise: {', '.join(u['name'] for u in found[:5])}")
        return None

    def _message(self, clause: str, quotes: list[str]) -> str | None:
        quoted = _quoted_in(clause, quotes)
        if quoted:
            return quoted
        m = re.search(r"(?:\bsaying\b|\bthat says\b|:)\s*(.+)$", clause, re.I)
        if m and _clean_value(_restore(m.group(1), quotes)):
            return _clean_value(_restore(m.group(1), quotes))
        from_last = self._from_last_answer(clause)
        if from_last:
            return from_last
        m = re.search(r"\b(?:about|regarding|re:?)\s+(.+)$", clause, re.I)
        if m:
            topic = _clean_value(_restore(m.group(1), quotes))
            if topic and topic.lower() not in ("it", "this", "that", "this deal", "the deal"):
                return topic[0].upper() + topic[1:]
        return None

    def _from_last_answer(self, clause: str) -> str | None:
        la = self.last_answer
        if not la:
            return None
        data = la.get("data") or {}
        if self.task.entities.get("deal_named") and _opp_name(data.get("opportunity")) != _opp_name(self.opportunity):
            return None      # the request names a deal the last answer was not about (it was research, a list ...)
        deal = _opp_name(data.get("opportunity")) or _opp_name(self.opportunity)
        wants_risks = re.search(r"\brisks?\b", clause, re.I)
        risks = data.get("risks") or (data.get("analysis") or {}).get("risks") if isinstance(data, dict) else None
        if risks and (wants_risks or not re.search(r"\b(summary|answer|analysis|status)\b", clause, re.I)):
            lines = [f"• {_item_text(r)}" for r in list(risks)[:10]]
            return f"Risks{' on ' + deal if deal else ''}:\n" + "\n".join(lines)
        text = la.get("answer") or la.get("text")
        if text:
            return str(text).strip()[:SLACK_TEXT_LIMIT - 200]
        return None

    # -- webhook ---------------------------------------------------------------------------------
    def _webhook(self, clause: str, quotes: list[str], had_url: bool) -> dict[str, Any] | None:
        from revops_cli.connectors.webhooks import endpoint, endpoint_names
        from revops_cli.redaction import url_location

        name = None
        for rx in (_WEBHOOK_NAME_BEFORE, _WEBHOOK_NAME_AFTER):
            for m in rx.finditer(_restore(clause, quotes)):     # a quoted name: 'crm_alerts' webhook
                word = m.group(1).strip(".")
                if word.lower() not in _NOT_NAMES and "\u27e6" not in word:
                    name = word
                    break
            if name:
                break
        if name is None and had_url:
            names = endpoint_names(self.ctx.settings)
            self.notes.append("No webhook was planned: name a configured endpoint"
                              + (f" ({', '.join(names)})." if names else " (none is configured yet)."))
            return None
        url, _secret = endpoint(self.ctx.settings, name)       # UsageError listing the names if unknown
        label = name or "default"
        content = self._webhook_content(clause, quotes)
        computed = self._computed(content) if content else None
        report = self._data_report(content) if content and not computed else None
        if report is not None:
            text, data = report
        else:
            text = computed or self._message(re.sub(r"^.*?\bwith\b", "about", clause, count=1, flags=re.I)
                                             if re.search(r"\bwith\b", clause, re.I) else clause, quotes)
            data = {}
            if self.last_answer.get("data") and not computed:
                data = dict(self.last_answer["data"])
            if self.opportunity:
                data.setdefault("opportunity", self.opportunity)
        payload = {"event": "revops.action.webhook", "endpoint": label, "request_id": self.ctx.request.request_id,
                   "text": text or _restore(clause, quotes).strip(), "data": data}
        return {"kind": "webhook", "target": f"{label} ({url_location(url)})", "payload": payload,
                "status": "pending"}

    @staticmethod
    def _webhook_content(clause: str, quotes: list[str]) -> str | None:
        """What to deliver, as the request says it: 'post <this quarter's pipeline summary> to the webhook',
        'trigger the crm_alerts webhook with <the deal risks>'."""
        t = _restore(clause, quotes).strip()
        if _quoted_in(clause, quotes):
            return None
        m = re.search(r"\bwith\s+(.+)$", t, re.I)
        if m and _WEBHOOK.search(t[:m.start()]):
            return _clean_value(m.group(1)) or None
        from revops_cli.agents.action_intent import strip_polite

        m = re.match(r"(?:post|send|push|ship|deliver|forward|share)\s+(?P<c>.+?)\s+(?:to|on|via|through|over)\s+"
                     r"(?:the\s+|our\s+|my\s+)?(?:[`'\"]?[\w.-]+[`'\"]?\s+)?webhooks?\b", strip_polite(t), re.I)
        return _clean_value(m.group("c")) if m else None

    def _data_report(self, content: str) -> tuple[str, dict[str, Any]] | None:
        """A numbers question to deliver ('this quarter's pipeline summary'): answered now by the Data
        agent, every filter applied; its text and figures are the payload. One it cannot answer plans
        nothing (exit 9 with the reason): a failure is never delivered."""
        from revops_cli.agents.analyses.choosing import choose_analyses

        if re.fullmatch(r"(?:the\s+|this\s+|that\s+|its\s+)?(?:it|this|that|answer|result|results|summary|"
                        r"last answer|above)", content.strip(), re.I):
            return None
        if not choose_analyses(content):
            from revops_cli.agents.names import find_names
            from revops_cli.agents.understanding import parse

            if not parse(content, find_names(self.ctx, content), self.ctx.as_of, self.ctx.fiscal_start_month).measures:
                return None
        from revops_cli.agents.data import DataAgent
        from revops_cli.errors import NotUnderstoodError

        self.ctx.trace.note(NAME, f"the webhook carries {content!r}, answered now by the Data agent")
        answer = DataAgent().handle(self.ctx, Task(intent="analysis", text=content, entities={}))
        if not answer.ok:
            raise NotUnderstoodError(f"nothing to deliver: {answer.error or 'the question was not answered'}",
                                     f"ask '{content}' on its own first, then post it")
        d = answer.data or {}
        line = d.get("interpretation")
        text = answer.text.strip()
        if line and line not in text:
            text = f"{line}\n\n{text}"
        data = {"question": content, **{k: d[k] for k in ("interpretation", "analysis", "period", "summary", "rows",
                                                          "row_count") if d.get(k) is not None}}
        if isinstance(data.get("rows"), list):
            data["rows"] = data["rows"][:100]
        return text[:SLACK_TEXT_LIMIT * 4], data

    # -- CRM -------------------------------------------------------------------------------------
    def _crm(self, clause: str, quotes: list[str], field: str) -> dict[str, Any] | None:
        value = self._crm_value(clause, quotes, field)
        if not value:
            raise UsageError(f"what should the {FIELD_LABELS[field]} be?",
                             f"say e.g. 'update the {FIELD_LABELS[field]} to …' (quote text values)")
        object_type, obj = "opportunity", self.opportunity
        if obj is None and field == "note" and self.account and self.account.get("account_id"):
            object_type, obj = "account", self.account
        if not obj or not (obj.get("opportunity_id") or obj.get("account_id")):
            raise UsageError("which deal should be updated?",
                             "name it, e.g. 'update the IXIS deal next step to …', or ask about the deal first")
        object_id = obj.get("opportunity_id") if object_type == "opportunity" else obj.get("account_id")
        current = self.opp_row() if object_type == "opportunity" else None
        new_value: Any = value
        if field == "amount":
            new_value = parse_amount(value)
        elif field == "close_date":
            new_value = parse_date(value).isoformat()
        elif field == "stage":
            new_value = self._canonical(value, self._stages(), "stage")
        elif field == "forecast_category":
            new_value = self._canonical(value, list(FORECAST_CATEGORIES), "forecast category")
        old = (current or {}).get(field) if field != "note" else None
        if isinstance(old, (date, datetime)):
            old = old.isoformat()
        name = _opp_name(obj) if object_type == "opportunity" else obj.get("name")
        payload = {"object_type": object_type, "object_id": object_id, "object_name": name, "field": field,
                   "old_value": old, "new_value": new_value}
        return {"kind": "crm_update", "target": f"{object_type} {name or object_id} ({object_id}): "
                                                f"{FIELD_LABELS[field]}", "payload": payload, "status": "pending"}

    def _crm_value(self, clause: str, quotes: list[str], field: str) -> str | None:
        quoted = _quoted_in(clause, quotes)
        if quoted:
            return quoted.strip()
        rx = dict(FIELDS).get(field)
        m = rx.search(clause) if rx else None
        rest = clause[m.end():] if m else clause
        if field == "note":
            v = re.search(r"(?:^|\s)(?::|-|that|saying|to say)\s*(.+)$", rest, re.I) or re.search(r":\s*(.+)$", rest)
        else:
            v = re.search(r"(?:\b(?:to|as)\b|[:=])\s*(.+)$", rest, re.I)
        if v is None and field == "stage":
            v = re.search(r"\bto\s+(.+)$", clause, re.I)
        return _clean_value(_restore(v.group(1), quotes)) if v else None

    def _stages(self) -> list[str]:
        table = self.ctx.settings.table("opportunities")
        try:
            result = self.ctx.run_query(NAME, "lookup_stages",
                                        "SELECT DISTINCT stage FROM opportunities WHERE stage IS NOT NULL ORDER BY 1 NULLS LAST",
                                        trace_params={"table": table})
            stages = [s for s in result.column("stage") if s]
        except RevopsError:
            stages = []
        if not stages:
            from revops_cli.warehouse.demo_data import STAGES

            stages = list(STAGES)
        return stages

    @staticmethod
    def _canonical(value: str, options: list[str], what: str) -> str:
        from rapidfuzz import fuzz, process, utils

        for o in options:
            if o.lower() == value.lower():
                return o
        best = process.extractOne(value, options, scorer=fuzz.WRatio, processor=utils.default_process, score_cutoff=80)
        if best:
            return best[0]
        raise UsageError(f"{value!r} is not a {what}", f"{what}s: {', '.join(options)}")


class Runner:
    """Runs confirmed actions, each as a traced tool call; a failure marks the action, never stops the others."""

    def __init__(self, ctx: AgentContext):
        self.ctx = ctx
        self._slack = None

    def slack(self):
        if self._slack is None:
            from revops_cli.connectors.slack_client import SlackNotifier

            self._slack = SlackNotifier.from_settings(self.ctx.settings)
        return self._slack

    def run(self, action: dict[str, Any]) -> None:
        try:
            getattr(self, "_run_" + action["kind"])(action)
            action["status"] = "done"
        except RevopsError as exc:
            action["status"], action["error"] = "failed", exc.one_line()
            action["_exit_code"] = exc.exit_code      # internal: _public() leaves it out

    def _run_slack(self, action: dict[str, Any]) -> None:
        payload = action["payload"]
        email = payload.get("email")
        with self.ctx.tool(NAME, "slack_post", {"channel": payload["channel"] or email,
                                               "chars": len(payload["text"])}) as step:
            channel = payload["channel"]
            if channel is None:
                channel = self.slack().user_for_email(email) if email else None
                if channel is None:
                    raise ActionError(f"no Slack user has the email {email}", "name a #channel instead")
            reply = self.slack().post(channel, payload["text"])
            action["result"] = {"channel": reply.get("channel"), "ts": reply.get("ts")}
            step.detail = f"posted to {channel}"

    def _run_webhook(self, action: dict[str, Any]) -> None:
        from revops_cli.connectors.webhooks import deliver, endpoint
        from revops_cli.redaction import url_location

        name = action["payload"].get("endpoint")
        configured = {str(k).lower() for k in (self.ctx.settings.get("webhooks.endpoints") or {})}
        url, secret = endpoint(self.ctx.settings, None if name in (None, "default") and "default" not in configured
                               else name)
        with self.ctx.tool(NAME, "webhook", {"endpoint": action["payload"]["endpoint"],
                                            "destination": url_location(url)}) as step:
            result = deliver(url, action["payload"], secret=secret,
                             allow_hosts=self.ctx.settings.get("webhooks.allow_hosts") or [])
            action["result"] = {"status": result.status, "attempts": result.attempts, "msg_id": result.msg_id}
            step.detail = f"HTTP {result.status}, {result.attempts} attempt(s)"
            if not result.ok:
                raise ActionError(result.error or "webhook delivery failed",
                                  "the endpoint answered 410 and is disabled" if result.disabled else None)

    def _run_bedrock_agents(self, action: dict[str, Any]) -> None:
        """A held request to the deployed agents (agents/backends/__init__.py): sent as stored, once."""
        from dataclasses import replace

        from revops_cli.agents.backends import bedrock_agents

        p = action["payload"]
        request = replace(self.ctx.request, text=p["text"], session_id=p.get("session_id") or self.ctx.request.session_id,
                          confirm=True, confirm_action_id=None)
        ctx = AgentContext(settings=self.ctx.settings, warehouse=self.ctx.warehouse, trace=self.ctx.trace,
                           request=request, on_text=self.ctx.on_text)
        answer = bedrock_agents.run(ctx)
        if not answer.ok:
            raise ActionError(answer.error or "the deployed agents did not answer")
        action["result"] = {"answer": answer.text.strip()}

    def _run_crm_update(self, action: dict[str, Any]) -> None:
        from revops_cli.connectors.outbox import record_crm_update

        p = action["payload"]
        with self.ctx.tool(NAME, "crm_update", {"object_id": p["object_id"], "field": p["field"],
                                               "value": p["new_value"]}) as step:
            row = record_crm_update(self.ctx.settings, self.ctx.warehouse, {
                "object_type": p["object_type"], "object_id": p["object_id"], "field": p["field"],
                "new_value": p["new_value"], "note": f"was: {p['old_value']}" if p.get("old_value") is not None else None,
                "requested_by": self.ctx.request.user or self.ctx.request.channel,
                "source_request_id": self.ctx.request.request_id})
            action["result"] = {"update_id": row["update_id"], "destination": row["destination"]}
            step.rows = 1
            step.detail = f"recorded in {row['destination']}"
