"""Events and responses built from botocore's own service models, for the generated contract tests.

`choice_units(root, one_of)` lists every (shape, member) of every union reachable from a shape (and of the
structures in `one_of`, which hold one of their structure members like a union), with the choices that
lead to it. `sample(shape, choose, sparse)` builds a value of a shape: every member filled (`sparse`: only
what is required and what leads to a chosen member), lists of one item, maps of one entry, and at every
union the chosen member (else its first). Values are typed as the model says (timestamps as datetimes,
blobs as bytes), so the frames and bodies built from them parse with botocore's real parser.
"""

from __future__ import annotations

from collections import deque
from datetime import datetime, timezone
from functools import lru_cache
from typing import Any

ALIAS_ARN = "arn:aws:bedrock:us-east-1:123456789012:agent-alias/DBHYUWC6U6/DEALALIAS1"
MAP_KEYS = {"ContentMap": "application/json", "ApiContentMap": "application/json", "ResponseBody": "TEXT"}
STRINGS = {"agentAliasArn": ALIAS_ARN, "agentCollaboratorAliasArn": ALIAS_ARN, "collaboratorName": "DealAnalysisAgent",
           "agentCollaboratorName": "DealAnalysisAgent", "agentId": "DBHYUWC6U6", "text": "some text",
           "failureReason": "Lambda revops-firebolt-query timed out", "value": "SELECT 1", "name": "query"}


@lru_cache(maxsize=None)
def service_model(name: str):
    import botocore.session

    return botocore.session.get_session().get_service_model(name)


def is_choice(shape: Any, one_of: tuple[str, ...] = ()) -> bool:
    """A union, an event stream (one event per message), or a structure named in one_of."""
    return shape.type_name == "structure" and (bool(shape.metadata.get("union")) or shape.name in one_of
                                               or bool(shape.serialization.get("eventstream")))


def is_scalar(shape: Any) -> bool:
    return shape.type_name not in ("structure", "list", "map")


def choice_members(shape: Any) -> list[str]:
    """The members a union (or one-of structure) chooses among: all of a union's, the structures of a one-of."""
    if shape.metadata.get("union") or shape.serialization.get("eventstream"):
        return list(shape.members)
    return [n for n, m in shape.members.items() if not is_scalar(m)]


def children(shape: Any) -> list[tuple[str, Any]]:
    if shape.type_name == "structure":
        return list(shape.members.items())
    if shape.type_name == "list":
        return [("[]", shape.member)]
    if shape.type_name == "map":
        return [("{}", shape.value)]
    return []


def choice_units(root: Any, one_of: tuple[str, ...] = ()) -> dict[str, dict[str, str]]:
    """"Shape.member" -> the choices (union shape name -> member) that reach it from root, breadth first."""
    units: dict[str, dict[str, str]] = {}
    seen: set[str] = set()
    queue: deque[tuple[Any, dict[str, str]]] = deque([(root, {})])
    while queue:
        shape, path = queue.popleft()
        if shape.name in seen:
            continue
        seen.add(shape.name)
        choice = is_choice(shape, one_of)
        members = choice_members(shape) if choice else None
        for name, child in children(shape):
            nxt = path
            if choice and name in members:
                nxt = {**path, shape.name: name}
                units.setdefault(f"{shape.name}.{name}", nxt)
            queue.append((child, nxt))
    return units


def sample(shape: Any, choose: dict[str, str] | None = None, *, one_of: tuple[str, ...] = (), sparse: bool = False,
           member_name: str = "", depth: int = 0) -> Any:
    choose = choose or {}
    t = shape.type_name
    if depth > 40:
        return None
    if t == "structure":
        if shape.metadata.get("document"):
            return "meta"
        out: dict[str, Any] = {}
        picked = None
        if is_choice(shape, one_of):
            picked = choose.get(shape.name) or choice_members(shape)[0]
            names = [picked] + ([n for n, m in shape.members.items() if is_scalar(m)] if shape.name in one_of else [])
        else:
            names = list(shape.members)
        for name in names:
            m = shape.members[name]
            if sparse and name != picked and name not in shape.required_members and not _leads_to(m, choose):
                continue
            v = sample(m, choose, one_of=one_of, sparse=sparse, member_name=name, depth=depth + 1)
            if v is not None:
                out[name] = v
        return out
    if t == "list":
        v = sample(shape.member, choose, one_of=one_of, sparse=sparse, member_name=member_name, depth=depth + 1)
        return [] if v is None else [v]
    if t == "map":
        v = sample(shape.value, choose, one_of=one_of, sparse=sparse, member_name=member_name, depth=depth + 1)
        return {} if v is None else {MAP_KEYS.get(shape.name, "key"): v}
    if t == "string":
        enum = shape.metadata.get("enum")
        if enum:
            return enum[0]
        return STRINGS.get(member_name, f"{member_name or shape.name}-value")
    if t in ("integer", "long"):
        return 7
    if t in ("float", "double"):
        return 0.5
    if t == "boolean":
        return False
    if t == "timestamp":
        return datetime(2026, 11, 24, 15, 0, tzinfo=timezone.utc)
    if t == "blob":
        return b"sample bytes"
    return None


def _leads_to(shape: Any, choose: dict[str, str], seen: frozenset = frozenset()) -> bool:
    """Does a chosen union lie under this shape?"""
    if shape.name in seen:
        return False
    if shape.name in choose:
        return True
    return any(_leads_to(c, choose, seen | {shape.name}) for _, c in children(shape))
