"""Hygiene rules: read from YAML (the package's hygiene.yaml < <home>/hygiene.yaml < ./hygiene.yaml, merged
key by key like the MEDDPICC rubric), checked for shape with file:line errors, and each check as a small
named function of one deal's facts (a row of the `hygiene_deal_facts` pattern)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable

from revops_cli.errors import ConfigError
from revops_cli.formatting import day_of

PACKAGE_FILE = Path(__file__).parent / "hygiene.yaml"
FILE_NAME = "hygiene.yaml"
SEVERITIES = ("high", "medium", "low")
STATUS_LEVELS = {"unknown": 0, "identified": 1, "validated": 2, "leveraged": 3}
FILE_KEYS = {"version", "stages", "rules"}
STAGE_KEYS = {"order", "late"}
COMMON_KEYS = {"check", "title", "description", "severity", "enabled", "stages", "segments", "types", "min_amount"}

# Each check: its settings with their defaults.
CHECK_SETTINGS: dict[str, dict[str, Any]] = {
    "close_date_past": {"grace_days": 0},
    "no_next_step": {"placeholders": ["-", "tbd", "n/a", "na", "none", "?"]},
    "no_activity": {"days": 21},
    "economic_buyer": {"from_stage": None, "min_status": "Validated"},
    "amount_changed": {"from_stage": None, "min_change_pct": 10, "within_days": 30},
    "stage_skipped": {"within_days": None},
    "pushes": {"times": 3},
}


@dataclass(frozen=True)
class Rule:
    name: str
    check: str
    title: str
    severity: str = "medium"
    description: str = ""
    settings: dict[str, Any] = field(default_factory=dict)
    stages: tuple[str, ...] = ()
    segments: tuple[str, ...] = ()
    types: tuple[str, ...] = ()
    min_amount: float | None = None

    def applies_to(self, deal: dict[str, Any]) -> bool:
        """The rule's own narrowing (stages, segments, deal types, a minimum amount)."""
        if self.stages and str(deal.get("stage") or "").lower() not in {s.lower() for s in self.stages}:
            return False
        if self.segments and str(deal.get("segment") or "").lower() not in {s.lower() for s in self.segments}:
            return False
        if self.types and str(deal.get("deal_type") or "").lower() not in {s.lower() for s in self.types}:
            return False
        if self.min_amount is not None and float(deal.get("amount") or 0) < self.min_amount:
            return False
        return True

    def with_settings(self, **changes: Any) -> "Rule":
        """The same rule with some settings changed ("no activity in 30 days" asks for days=30); the title
        is re-rendered from the rule's title template."""
        from dataclasses import replace

        settings = {**self.settings, **changes}
        return replace(self, settings=settings, title=_title(self.settings.get("_title_template") or self.title,
                                                             settings))

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "check": self.check, "title": self.title, "severity": self.severity,
                "description": self.description,
                "settings": {k: v for k, v in self.settings.items() if not k.startswith("_")},
                "stages": list(self.stages), "segments": list(self.segments), "types": list(self.types),
                "min_amount": self.min_amount}


@dataclass(frozen=True)
class RuleSet:
    rules: tuple[Rule, ...]
    stage_order: tuple[str, ...]
    late_stage: str | None
    files: tuple[str, ...] = ()

    def stage_index(self, stage: Any) -> int:
        low = [s.lower() for s in self.stage_order]
        s = str(stage or "").strip().lower()
        return low.index(s) if s in low else -1

    def at_or_after(self, stage: Any, reference: str | None) -> bool:
        ref = self.stage_index(reference or self.late_stage)
        i = self.stage_index(stage)
        return i >= 0 and ref >= 0 and i >= ref

    def get(self, name: str) -> Rule | None:
        return next((r for r in self.rules if r.name == name), None)

    def of_check(self, check: str) -> list[Rule]:
        return [r for r in self.rules if r.check == check]


def rule_paths(settings: Any) -> list[Path]:
    """The hygiene files in force, weakest first: the package's, <home>/hygiene.yaml, ./hygiene.yaml."""
    from revops_cli.yaml_files import layered_files

    return layered_files(PACKAGE_FILE, settings.home)


def load_rules(settings: Any) -> RuleSet:
    """The rule set: package file merged with the user's overrides (parsed once per file version)."""
    key = []
    for p in rule_paths(settings):
        st = p.stat()
        key.append((str(p), st.st_mtime_ns, st.st_size))
    return _load(tuple(key))


@lru_cache(maxsize=16)
def _load(files: tuple[tuple[str, int, int], ...]) -> RuleSet:
    from revops_cli.yaml_files import merge_layers

    merged: dict[str, Any] = {}
    lines: dict[str, str] = {}          # rule name -> file:line of its last definition
    for path, _, _ in files:
        data = read_rules_file(Path(path))
        for name in (data.get("rules") or {}):
            lines[name] = data["rules"].where(name)
        merged = merge_layers(merged, data)
    return build(merged, lines, tuple(f[0] for f in files))


def read_rules_file(path: Path) -> dict[str, Any]:
    """One hygiene file, its shape checked (yaml_files.py): a YAML error, an unknown key or check (with the
    nearest known one) is a ConfigError naming `file:line`."""
    from revops_cli.yaml_files import check_keys, did_you_mean, expect_map, load_yaml

    data = load_yaml(path)
    if data is None:
        return {}
    data = expect_map(data, f"{path}:1", "a hygiene file")
    check_keys(data, FILE_KEYS, what="a hygiene file")
    if data.get("stages") is not None:
        stages = expect_map(data["stages"], data.where("stages"), "stages")
        check_keys(stages, STAGE_KEYS, what="stages")
        order = stages.get("order")
        if order is not None and (not isinstance(order, list) or not all(isinstance(s, str) for s in order)):
            raise ConfigError(f"{stages.where('order')}: stages.order must be a list of stage names",
                              "write [Discovery, Qualification, ...]")
    rules = data.get("rules")
    if rules is not None:
        rules = expect_map(rules, data.where("rules"), "rules")
        for name, spec in rules.items():
            if spec is None:
                continue
            spec = expect_map(spec, rules.where(name), f"rule {name}")
            check = spec.get("check")
            if check is not None and check not in CHECK_SETTINGS:
                raise ConfigError(f"{spec.where('check')}: unknown check {check!r} in rule {name}",
                                  did_you_mean(str(check), CHECK_SETTINGS, "checks: " + ", ".join(CHECK_SETTINGS)))
            allowed = COMMON_KEYS | (set(CHECK_SETTINGS[check]) if check else
                                     {k for s in CHECK_SETTINGS.values() for k in s})
            check_keys(spec, allowed, what=f"rule {name}" + (f" (check {check})" if check else ""))
            severity = spec.get("severity")
            if severity is not None and severity not in SEVERITIES:
                raise ConfigError(f"{spec.where('severity')}: severity of rule {name} must be high, medium or low",
                                  did_you_mean(str(severity), SEVERITIES, "use high, medium or low"))
    return data


def _title(template: str, settings: dict[str, Any]) -> str:
    try:
        return template.format(**{k: v for k, v in settings.items() if not k.startswith("_")})
    except (KeyError, IndexError, ValueError):
        return template


def _texts(value: Any, where: str, key: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise ConfigError(f"{where}: {key} must be a name or a list of names", f"write {key}: [A, B]")


def _number(value: Any, where: str, key: str, *, allow_none: bool = True) -> Any:
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise ConfigError(f"{where}: {key} must be a number of at least 0", f"write {key}: 30")
    return value


def build(d: dict[str, Any], lines: dict[str, str], files: tuple[str, ...]) -> RuleSet:
    """The merged YAML as a RuleSet; a rule's value that makes no sense is a ConfigError at its file:line."""
    stages = d.get("stages") or {}
    order = tuple(stages.get("order") or ())
    late = stages.get("late")
    where_file = files[-1] if files else FILE_NAME
    if late is not None and order and late not in order:
        raise ConfigError(f"{where_file}: stages.late {late!r} is not in stages.order",
                          "name one of " + ", ".join(order))
    rules: list[Rule] = []
    for name, spec in (d.get("rules") or {}).items():
        where = lines.get(name, where_file)
        if spec is None or spec.get("enabled") is False:
            continue
        check = spec.get("check")
        if not check:
            raise ConfigError(f"{where}: rule {name} has no check", "add `check:` (" + ", ".join(CHECK_SETTINGS) + ")")
        settings = dict(CHECK_SETTINGS[check])
        for key in CHECK_SETTINGS[check]:
            if key in spec:
                settings[key] = spec[key]
        for key in ("grace_days", "days", "min_change_pct", "within_days", "times"):
            if key in settings:
                settings[key] = _number(settings[key], where, key, allow_none=key == "within_days")
        for key in ("from_stage",):
            if settings.get(key) is not None and order and settings[key] not in order:
                raise ConfigError(f"{where}: {key} {settings[key]!r} of rule {name} is not in stages.order",
                                  "name one of " + ", ".join(order))
        if "min_status" in settings and str(settings["min_status"]).lower() not in STATUS_LEVELS:
            raise ConfigError(f"{where}: min_status of rule {name} must be Identified, Validated or Leveraged",
                              "write min_status: Validated")
        if "placeholders" in settings:
            settings["placeholders"] = [str(p).strip().lower() for p in _texts(settings["placeholders"], where,
                                                                               "placeholders")]
        template = str(spec.get("title") or name.replace("_", " ").capitalize())
        settings["_title_template"] = template
        rules.append(Rule(name=name, check=check, title=_title(template, settings),
                          severity=str(spec.get("severity") or "medium"),
                          description=str(spec.get("description") or ""), settings=settings,
                          stages=_texts(spec.get("stages"), where, "stages"),
                          segments=_texts(spec.get("segments"), where, "segments"),
                          types=_texts(spec.get("types"), where, "types"),
                          min_amount=_number(spec.get("min_amount"), where, "min_amount")))
    return RuleSet(rules=tuple(rules), stage_order=order, late_stage=late, files=files)


# ----------------------------------------------------------------------------------------------------------
# The checks: (deal facts, rule, rule set, as_of) -> a sentence saying what is wrong, or None
# ----------------------------------------------------------------------------------------------------------

def _money(v: Any) -> str:
    from revops_cli.formatting import money

    return money(v)


def close_date_past(deal: dict[str, Any], rule: Rule, rs: RuleSet, as_of: date) -> str | None:
    close = day_of(deal.get("close_date"))
    if close is None:
        return None
    late = (as_of - close).days
    if late > int(rule.settings.get("grace_days") or 0):
        return f"close date {close.isoformat()} is {late} day{'s' if late != 1 else ''} past"
    return None


def no_next_step(deal: dict[str, Any], rule: Rule, rs: RuleSet, as_of: date) -> str | None:
    step = str(deal.get("next_step") or "").strip()
    if not step:
        return "no next step"
    if step.lower() in (rule.settings.get("placeholders") or []):
        return f"next step is a placeholder ({step!r})"
    return None


def no_activity(deal: dict[str, Any], rule: Rule, rs: RuleSet, as_of: date) -> str | None:
    last = day_of(deal.get("last_activity_date"))
    days = int(rule.settings.get("days") or 0)
    if last is None:
        return "no activity recorded"
    idle = (as_of - last).days
    if idle > days:
        return f"no activity for {idle} days (last {last.isoformat()})"
    return None


def economic_buyer(deal: dict[str, Any], rule: Rule, rs: RuleSet, as_of: date) -> str | None:
    if not rs.at_or_after(deal.get("stage"), rule.settings.get("from_stage")):
        return None
    status = str(deal.get("economic_buyer_status") or "Unknown").strip() or "Unknown"
    needed = str(rule.settings.get("min_status") or "Validated")
    if STATUS_LEVELS.get(status.lower(), 0) < STATUS_LEVELS[needed.lower()]:
        return f"{deal.get('stage')} with the economic buyer {status} (needs {needed.capitalize()})"
    return None


def amount_changed(deal: dict[str, Any], rule: Rule, rs: RuleSet, as_of: date) -> str | None:
    when = day_of(deal.get("amount_changed_at"))
    before, after = deal.get("amount_before"), deal.get("amount_after")
    if when is None or before is None or after is None or not float(before):
        return None
    within = rule.settings.get("within_days")
    if within is not None and (as_of - when).days > int(within):
        return None
    if not rs.at_or_after(deal.get("amount_change_stage"), rule.settings.get("from_stage")):
        return None
    change = 100.0 * (float(after) - float(before)) / float(before)
    if abs(change) < float(rule.settings.get("min_change_pct") or 0):
        return None
    return (f"amount {_money(before)} → {_money(after)} ({change:+.0f}%) on {when.isoformat()} "
            f"in {deal.get('amount_change_stage')}")


def stage_skipped(deal: dict[str, Any], rule: Rule, rs: RuleSet, as_of: date) -> str | None:
    if not int(deal.get("skip_count") or 0):
        return None
    when = day_of(deal.get("skipped_at"))
    within = rule.settings.get("within_days")
    if within is not None and (when is None or (as_of - when).days > int(within)):
        return None
    a, b = deal.get("skip_from_stage"), deal.get("skip_to_stage")
    skipped = max(rs.stage_index(b) - rs.stage_index(a) - 1, 1)
    return (f"moved {a} → {b}" + (f" on {when.isoformat()}" if when else "")
            + f", skipping {skipped} stage{'s' if skipped != 1 else ''}")


def pushes(deal: dict[str, Any], rule: Rule, rs: RuleSet, as_of: date) -> str | None:
    n = int(deal.get("push_count") or 0)
    if n >= int(rule.settings.get("times") or 1):
        return f"close date pushed {n} times ({int(deal.get('days_pushed') or 0)} days)"
    return None


CHECKS: dict[str, Callable[[dict[str, Any], Rule, RuleSet, date], str | None]] = {
    "close_date_past": close_date_past, "no_next_step": no_next_step, "no_activity": no_activity,
    "economic_buyer": economic_buyer, "amount_changed": amount_changed, "stage_skipped": stage_skipped,
    "pushes": pushes,
}
assert set(CHECKS) == set(CHECK_SETTINGS)
