"""One `revops alerts run`: evaluate every alert, open the firings that are new, close the ones that stopped
holding, deliver what has not been delivered (through the existing delivery path: `connectors.webhooks.deliver`,
signed per Standard Webhooks, and the Slack client), and write one JSON log entry of what fired.

Destinations come only from configuration (`to:` of an alert, else `alerts.to`; webhook names resolve through
`webhooks.endpoints`, checked by the SSRF guard); the log and the state name them as written, never by URL.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from revops_cli.alerts.evaluate import Firing


@dataclass
class RunResult:
    run_id: str
    as_of: date
    dry_run: bool
    checked: list[dict[str, Any]] = field(default_factory=list)      # per alert: name, kind, firing count
    fired: list[dict[str, Any]] = field(default_factory=list)        # new firings (payloads + destinations)
    still: int = 0                                                   # firings already delivered, still holding
    cleared: list[dict[str, Any]] = field(default_factory=list)
    deliveries: list[dict[str, Any]] = field(default_factory=list)   # {firing_id, target, ok, attempts, error}

    @property
    def failed(self) -> list[dict[str, Any]]:
        return [d for d in self.deliveries if not d["ok"]]

    def to_dict(self) -> dict[str, Any]:
        return {"run_id": self.run_id, "as_of": self.as_of.isoformat(), "dry_run": self.dry_run,
                "alerts": self.checked, "fired": self.fired, "still_firing": self.still, "cleared": self.cleared,
                "deliveries": self.deliveries,
                "delivered_count": sum(1 for d in self.deliveries if d["ok"]), "failed_count": len(self.failed)}


def destinations(alert: Any, settings: Any) -> list[str]:
    to = list(alert.to) or list(settings.get("alerts.to") or [])
    return [str(t) for t in to]


def check_destinations(alerts: list[Any], settings: Any) -> None:
    """Fail before anything is evaluated when a destination cannot work (exit 2 or 3), like `report --post`."""
    from revops_cli.reports.deliver import check_target, parse_target

    for t in sorted({t for a in alerts for t in destinations(a, settings)}):
        check_target(parse_target(t), settings)


def send(payload: dict[str, Any], text: str, target: str, firing_id: str, settings: Any) -> tuple[bool, int, str | None]:
    """Deliver one firing to one destination: (ok, attempts, error). Never raises for a delivery failure."""
    from revops_cli.errors import RevopsError
    from revops_cli.reports.deliver import parse_target

    t = parse_target(target)
    try:
        if t.kind == "slack":
            from revops_cli.connectors.slack_client import SlackNotifier
            from revops_cli.connectors.slack_format import escape

            SlackNotifier.from_settings(settings).post(t.name, escape(text))
            return True, 1, None
        from revops_cli.connectors.webhooks import deliver, endpoint

        url, secret = endpoint(settings, t.name)
        hooks = settings.webhooks
        result = deliver(url, payload, secret=secret, allow_hosts=settings.get("webhooks.allow_hosts") or [],
                         attempts=hooks.attempts, backoff_s=settings.get("webhooks.backoff_s") or (0.5, 2, 8),
                         timeout_s=hooks.timeout_s, max_retry_after_s=hooks.max_retry_after_s, msg_id=firing_id)
        if result.ok:
            return True, result.attempts, None
        return False, result.attempts, f"webhook:{t.name}: {result.error or result.status}"
    except RevopsError as exc:
        return False, 1, exc.one_line()


def run_alerts(settings: Any, *, warehouse: Any = None, dry_run: bool = False, mode: str = "online") -> RunResult:
    """Evaluate, record and deliver. A dry run evaluates and says what would be sent: no state, no sending."""
    from revops_cli.alerts.evaluate import evaluate_alerts
    from revops_cli.alerts.rules import load_alerts
    from revops_cli.alerts.state import AlertState
    from revops_cli.models import new_id

    alerts = load_alerts(settings)
    check_destinations(alerts, settings)
    as_of = settings.as_of
    result = RunResult(run_id=new_id("alr_"), as_of=as_of, dry_run=dry_run)
    own = warehouse is None
    if own:
        from revops_cli.warehouse.connect import open_warehouse

        warehouse = open_warehouse(settings, mode=mode, quiet=True)
    try:
        firings = evaluate_alerts(alerts, warehouse, settings, as_of)
    finally:
        if own:
            warehouse.close()
    for a in alerts:
        result.checked.append({"alert": a.name, "kind": a.kind, "title": a.title,
                               "holding": sum(1 for f in firings if f.alert.name == a.name),
                               "to": destinations(a, settings)})
    if dry_run:
        for f in firings:
            result.fired.append({**f.payload("(dry run)", as_of), "to": destinations(f.alert, settings)})
        return result
    with AlertState.from_settings(settings) as state:
        _record(state, result, firings, alerts, settings)
        for p in state.undelivered():
            if not state.claim(p):
                continue
            ok, attempts, error = send(p.payload, f"{p.title}: {p.payload.get('detail', '')}", p.target,
                                       p.firing_id, settings)
            if ok:
                state.delivered(p)
            else:
                state.failed(p, error or "failed")
            from revops_cli.redaction import redact_text

            result.deliveries.append({"firing_id": p.firing_id, "alert": p.alert, "subject": p.subject,
                                      "target": p.target, "ok": ok, "attempts": attempts,
                                      "error": redact_text(error) if error else None})
        state.record_run(result.run_id, as_of.isoformat(), result.to_dict())
    write_log(settings, result)
    return result


def _record(state: Any, result: RunResult, firings: list[Firing], alerts: list[Any], settings: Any) -> None:
    from revops_cli.models import new_id

    as_of = result.as_of.isoformat()
    active = state.active()
    holding = set()
    for f in firings:
        key = (f.alert.name, f.subject)
        holding.add(key)
        if key in active:
            state.seen(active[key]["firing_id"], as_of)
            result.still += 1
            continue
        firing_id = new_id("alf_")
        targets = destinations(f.alert, settings)
        payload = f.payload(firing_id, result.as_of)
        if state.open_firing(firing_id, f.alert.name, f.subject, f.alert.title, f.detail, payload, as_of, targets):
            result.fired.append({**payload, "to": targets})
    known = {a.name for a in alerts}
    for key, row in active.items():
        # an alert removed from the file closes its firings too
        if key not in holding or key[0] not in known:
            state.clear(row["firing_id"], as_of)
            result.cleared.append({"firing_id": row["firing_id"], "alert": row["alert"], "subject": row["subject"]})


def log_path(settings: Any) -> Path:
    return Path(settings.get("alerts.log") or (settings.home / "alerts.jsonl")).expanduser()


def write_log(settings: Any, result: RunResult) -> None:
    """Append the run to the JSON-lines alert log (0600): one object per run, what fired and where it went."""
    from revops_cli.formatting import json_default
    from revops_cli.errors import UnusableFileError
    from revops_cli.private_files import open_private, private_dir

    path = log_path(settings)
    line = json.dumps(result.to_dict(), default=json_default, sort_keys=True) + "\n"
    try:
        private_dir(path.parent)
        with open_private(path, "a") as f:
            f.write(line)
    except OSError as exc:
        raise UnusableFileError(f"cannot write the alert log {path}: {exc.strerror or exc}",
                                "check alerts.log in revops.yaml and the folder's permissions") from None
