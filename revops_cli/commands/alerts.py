"""`revops alerts`: `run` evaluates the alert rules (alerts.yaml) and delivers each new firing once, for cron;
`list` shows the alerts in force; `log` the firings remembered.

Cron-friendly: no prompts, no colour, `--quiet` prints nothing on success (errors still go to stderr), the
JSON log of every run is appended to `<home>/alerts.jsonl` (`alerts.log`). Exit codes: 0 ok (whether or not
anything fired); 2 a bad destination name; 3 configuration (an alert or hygiene file mistake, a missing Slack
token, the state file unusable); 5 warehouse; 7 a delivery failed (retried by the next run).
"""

from __future__ import annotations

import sys
from enum import Enum
from typing import Annotated, Optional

import typer

from revops_cli.commands import context

app = typer.Typer(no_args_is_help=True, help="Alerts: rules over the pipeline's measures and hygiene (alerts.yaml), "
                                             "each firing delivered once to Slack or a signed webhook.")


class RunFormat(str, Enum):
    text = "text"
    json = "json"


@app.command("run")
def run_cmd(
    ctx: typer.Context,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Evaluate and show what would fire: send nothing, "
                                                            "remember nothing.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing on success (for cron).")] = False,
    fmt: Annotated[RunFormat, typer.Option("--format", "-f", case_sensitive=False,
                                           help="text or json (the run's log entry).")] = RunFormat.text,
    as_of: Annotated[Optional[str], typer.Option("--as-of", help="Evaluate as of this date (YYYY-MM-DD).")] = None,
    offline: Annotated[bool, typer.Option("--offline", help="Read only from the result cache.")] = False,
    refresh: Annotated[bool, typer.Option("--refresh", help="Skip the result cache.")] = False,
) -> None:
    """Evaluate every alert; deliver each new firing once; append the run to the JSON alert log."""
    from revops_cli.alerts.run import log_path, run_alerts
    from revops_cli.output import echo_json
    from revops_cli.reports.engine import with_as_of

    cli = context.get(ctx)
    settings = with_as_of(cli.settings, as_of)
    result = run_alerts(settings, dry_run=dry_run, mode=cli.mode(offline, refresh))
    data = result.to_dict()
    for d in result.failed:
        print(f"Error: could not deliver {d['alert']} ({d['subject']}) to {d['target']}: {d['error']}",
              file=sys.stderr)
    if not quiet:
        if fmt == RunFormat.json:
            echo_json(data)
        else:
            head = "dry run: would fire" if dry_run else "fired"
            print(f"{head} {len(result.fired)} new, {result.still} still firing, {len(result.cleared)} cleared "
                  f"({len(result.checked)} alerts, as of {result.as_of.isoformat()})")
            for f in result.fired:
                to = ", ".join(f["to"]) or "no destination: logged only"
                print(f"  [{f['severity']}] {f['title']}: {f['detail']}  -> {to}")
            ok = sum(1 for d in result.deliveries if d["ok"])
            if result.deliveries:
                print(f"delivered {ok} of {len(result.deliveries)}")
            if not dry_run:
                print(f"log: {log_path(settings)}", file=sys.stderr)
    if result.failed:
        from revops_cli.errors import ActionError

        raise typer.Exit(ActionError.exit_code)


@app.command("list")
def list_cmd(ctx: typer.Context,
             fmt: Annotated[RunFormat, typer.Option("--format", "-f", case_sensitive=False,
                                                    help="text or json.")] = RunFormat.text) -> None:
    """The alerts in force (package, <home>/alerts.yaml, ./alerts.yaml) and where each goes."""
    from revops_cli.alerts.rules import alert_paths, load_alerts
    from revops_cli.alerts.run import destinations
    from revops_cli.output import echo_json

    settings = context.get(ctx).settings
    alerts = load_alerts(settings)
    rows = [{**a.to_dict(), "to": destinations(a, settings)} for a in alerts]
    if fmt == RunFormat.json:
        echo_json({"files": [str(p) for p in alert_paths(settings)], "alerts": rows})
        return
    for r in rows:
        print(f"{r['name']}  [{r['kind']}, {r['severity']}]  {r['title']}  -> {', '.join(r['to']) or 'log only'}")


@app.command("log")
def log_cmd(ctx: typer.Context,
            active: Annotated[bool, typer.Option("--active", help="Only firings whose condition still holds.")] = False,
            fmt: Annotated[RunFormat, typer.Option("--format", "-f", case_sensitive=False,
                                                   help="text or json.")] = RunFormat.text) -> None:
    """The firings remembered in the alert state, with their deliveries."""
    from revops_cli.alerts.state import AlertState
    from revops_cli.output import echo_json

    with AlertState.from_settings(context.get(ctx).settings) as state:
        firings = state.firings(active_only=active)
        deliveries = state.deliveries()
    for f in firings:
        f.pop("payload", None)
        f["deliveries"] = [d for d in deliveries if d["firing_id"] == f["firing_id"]]
    if fmt == RunFormat.json:
        echo_json(firings)
        return
    for f in firings:
        sent = ", ".join(f"{d['target']} {d['status']}" for d in f["deliveries"]) or "logged only"
        state_word = "active" if f["active"] else f"cleared {f['cleared_as_of']}"
        print(f"{f['firing_id']}  {f['fired_as_of']}  {state_word}  {f['title']}: {f['detail']}  [{sent}]")
