"""Alert definitions: read from YAML (the package's alerts.yaml < <home>/alerts.yaml < ./alerts.yaml, merged key
by key like the hygiene rules), checked with file:line errors. Two kinds: a measure of the quarter's open
pipeline that moved or crossed a value, and an open deal breaking a hygiene rule."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from revops_cli.errors import ConfigError
from revops_cli.hygiene.rules import CHECK_SETTINGS, SEVERITIES, Rule

PACKAGE_FILE = Path(__file__).parent / "alerts.yaml"
FILE_NAME = "alerts.yaml"
FILE_KEYS = {"version", "alerts"}
COMMON_KEYS = {"title", "description", "severity", "enabled", "to"}
MEASURE_KEYS = {"measure", "change", "by_pct", "by_amount", "since", "above", "below", "per", "segment", "region"}
HYGIENE_KEYS = {"rule", "check", "stages", "segments", "types", "min_amount"} | {
    k for s in CHECK_SETTINGS.values() for k in s}
MEASURES = ("pipeline", "commit", "best_case")
CHANGES = ("down", "up", "any")
PER = ("owner",)


@dataclass(frozen=True)
class AlertDef:
    name: str
    title: str
    kind: str                                  # measure | hygiene
    severity: str = "medium"
    description: str = ""
    to: tuple[str, ...] = ()                   # destinations; () = alerts.to in settings
    where: str = ""                            # file:line of its definition
    # measure
    measure: str | None = None
    change: str | None = None
    by_pct: float | None = None
    by_amount: float | None = None
    since: int = 7
    above: float | None = None
    below: float | None = None
    per: str | None = None
    segment: str | None = None
    region: str | None = None
    # hygiene
    rule: Rule | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "title": self.title, "kind": self.kind, "severity": self.severity,
                               "to": list(self.to)}
        if self.kind == "measure":
            out.update({k: getattr(self, k) for k in ("measure", "change", "by_pct", "by_amount", "since", "above",
                                                      "below", "per", "segment", "region")})
        elif self.rule is not None:
            out["rule"] = self.rule.to_dict()
        return out


def alert_paths(settings: Any) -> list[Path]:
    """The alert files in force, weakest first: the package's, <home>/alerts.yaml, ./alerts.yaml."""
    from revops_cli.yaml_files import layered_files

    return layered_files(PACKAGE_FILE, settings.home)


def load_alerts(settings: Any) -> list[AlertDef]:
    """Every enabled alert, in file order."""
    from revops_cli.hygiene import load_rules

    from revops_cli.yaml_files import merge_layers

    rules = load_rules(settings)
    files = alert_paths(settings)
    merged: dict[str, Any] = {}
    lines: dict[str, str] = {}
    for path in files:
        data = read_alerts_file(path)
        for name in (data.get("alerts") or {}):
            lines[name] = data["alerts"].where(name)
        merged = merge_layers(merged, data)
    return [build_alert(name, spec, lines.get(name, str(files[-1])), rules)
            for name, spec in (merged.get("alerts") or {}).items()
            if spec is not None and spec.get("enabled") is not False]


def read_alerts_file(path: Path) -> dict[str, Any]:
    from revops_cli.yaml_files import check_keys, did_you_mean, expect_map, load_yaml

    data = load_yaml(path)
    if data is None:
        return {}
    data = expect_map(data, f"{path}:1", "an alerts file")
    check_keys(data, FILE_KEYS, what="an alerts file")
    alerts = data.get("alerts")
    if alerts is None:
        return data
    alerts = expect_map(alerts, data.where("alerts"), "alerts")
    for name, spec in alerts.items():
        if spec is None:
            continue
        spec = expect_map(spec, alerts.where(name), f"alert {name}")
        check_keys(spec, COMMON_KEYS | MEASURE_KEYS | HYGIENE_KEYS, what=f"alert {name}")
        for key, choices in (("measure", MEASURES), ("change", CHANGES), ("per", PER), ("severity", SEVERITIES)):
            value = spec.get(key)
            if value is not None and value not in choices:
                raise ConfigError(f"{spec.where(key)}: {key} of alert {name} must be one of {', '.join(choices)}",
                                  did_you_mean(str(value), choices, "use one of " + ", ".join(choices)))
        check = spec.get("check")
        if check is not None and check not in CHECK_SETTINGS:
            raise ConfigError(f"{spec.where('check')}: unknown check {check!r} in alert {name}",
                              did_you_mean(str(check), CHECK_SETTINGS, "checks: " + ", ".join(CHECK_SETTINGS)))
        to = spec.get("to")
        if to is not None and not (isinstance(to, str) or (isinstance(to, list) and all(isinstance(t, str) for t in to))):
            raise ConfigError(f"{spec.where('to')}: to of alert {name} must be a destination or a list of them",
                              "write to: [slack:#revops, webhook:NAME]")
    return data


def _num(spec: dict[str, Any], key: str, where: str, name: str) -> float | None:
    value = spec.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise ConfigError(f"{where}: {key} of alert {name} must be a number of at least 0", f"write {key}: 10")
    return float(value)


def build_alert(name: str, spec: dict[str, Any], where: str, rules: Any) -> AlertDef:
    """One merged alert definition as an AlertDef; a definition that makes no sense is a ConfigError at
    its file:line."""
    from dataclasses import replace

    from revops_cli.hygiene.rules import build as build_rules
    from revops_cli.reports.deliver import parse_target

    to = spec.get("to")
    targets = tuple([to] if isinstance(to, str) else (to or []))
    for t in targets:
        try:
            parse_target(t)
        except Exception:
            raise ConfigError(f"{where}: {t!r} in alert {name} is not a destination",
                              "use slack:#channel (or slack:C0123ABC) or webhook:NAME") from None
    severity = str(spec.get("severity") or "medium")
    common = {"name": name, "severity": severity, "description": str(spec.get("description") or ""),
              "to": targets, "where": where}
    is_measure, is_hygiene = spec.get("measure") is not None, bool(spec.get("rule") or spec.get("check"))
    if is_measure == is_hygiene:
        raise ConfigError(f"{where}: alert {name} needs either 'measure:' or a hygiene 'rule:'/'check:'",
                          "measure: commit (pipeline, best_case), or check: no_activity (or rule: NAME)")
    if is_measure:
        values = {k: _num(spec, k, where, name) for k in ("by_pct", "by_amount", "above", "below", "since")}
        change = spec.get("change")
        if change is not None and values["by_pct"] is None and values["by_amount"] is None:
            raise ConfigError(f"{where}: alert {name} says change: {change} but not by how much",
                              "add by_pct: 10 (percent) or by_amount: 100000")
        if change is None and values["above"] is None and values["below"] is None:
            raise ConfigError(f"{where}: alert {name} has nothing to check",
                              "add change: down with by_pct, or above: / below: a value")
        if spec.get("per") == "owner" and spec["measure"] == "best_case":
            raise ConfigError(f"{where}: alert {name}: per: owner works for pipeline and commit",
                              "use measure: commit (or pipeline), or drop per: owner")
        if change is None and (values["by_pct"] is not None or values["by_amount"] is not None):
            change = "any"
        fmt = {k: (int(v) if isinstance(v, float) and v.is_integer() else v) for k, v in values.items()
               if v is not None}
        title = _title(str(spec.get("title") or name.replace("_", " ").capitalize()), fmt)
        return AlertDef(title=title, kind="measure", measure=spec["measure"], change=change,
                        by_pct=values["by_pct"], by_amount=values["by_amount"],
                        since=int(values["since"] if values["since"] is not None else 7),
                        above=values["above"], below=values["below"], per=spec.get("per"),
                        segment=spec.get("segment"), region=spec.get("region"), **common)
    if spec.get("rule"):
        rule = rules.get(str(spec["rule"]))
        if rule is None:
            from revops_cli.yaml_files import did_you_mean

            raise ConfigError(f"{where}: alert {name} names hygiene rule {spec['rule']!r}, which is not defined "
                              "(or is disabled)", did_you_mean(str(spec["rule"]), [r.name for r in rules.rules],
                                                               "see hygiene.yaml"))
        changes = {k: spec[k] for k in CHECK_SETTINGS[rule.check] if k in spec}
        if changes:
            rule = rule.with_settings(**changes)
    else:
        inline = {k: v for k, v in spec.items() if k in HYGIENE_KEYS or k in ("title", "severity")}
        rs = build_rules({"stages": {"order": list(rules.stage_order), "late": rules.late_stage},
                          "rules": {name: inline}}, {name: where}, (where,))
        rule = rs.rules[0]
    title = str(spec.get("title") or rule.title)
    rule = replace(rule, title=_title(title, rule.settings))
    return AlertDef(title=rule.title, kind="hygiene", rule=rule, **common)


def _title(template: str, values: dict[str, Any]) -> str:
    try:
        return template.format(**{k: v for k, v in values.items() if not k.startswith("_")})
    except (KeyError, IndexError, ValueError):
        return template
