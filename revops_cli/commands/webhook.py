"""`revops serve-webhook`, `revops worker`, `revops webhook keys add|list|revoke` and
`revops webhook deliveries list|replay`.

Registered in app.py as:
    app.command("serve-webhook")(webhook.serve_webhook)
    app.command("worker")(webhook.worker)
    app.add_typer(webhook.app, name="webhook")
"""

from __future__ import annotations

from typing import Annotated

import typer

from revops_cli.commands import context

app = typer.Typer(help="The webhook API's API keys and outbound deliveries.", no_args_is_help=True)
deliveries_app = typer.Typer(help="Outbound deliveries and their dead-letter list.", no_args_is_help=True)
keys_app = typer.Typer(help="API keys of the webhook API's callers (stored hashed).", no_args_is_help=True)
app.add_typer(keys_app, name="keys")
app.add_typer(deliveries_app, name="deliveries")


def serve_webhook(
    ctx: typer.Context,
    host: Annotated[str, typer.Option("--host", help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port to listen on.")] = 8080,
    workers: Annotated[int, typer.Option("--workers", min=0, help="In-process worker threads.")] = 2,
    no_workers: Annotated[bool, typer.Option("--no-workers", help="Only accept requests; `revops worker` "
                                                                  "processes answer them.")] = False,
    access_log: Annotated[bool, typer.Option("--access-log", help="Log every HTTP request.")] = False,
    insecure: Annotated[bool, typer.Option("--insecure", help="Listen beyond loopback with no authentication "
                                                              "configured (warned at every start).")] = False,
) -> None:
    """Run the async webhook API: POST /webhook queues a question, the answer is delivered signed.

    Beyond loopback it needs authentication (an API key or webhooks.inbound_secret), else it exits 3."""
    import logging

    from revops_cli.channels.webhook_server.auth import KeyStore, bind_decision, config_keys

    settings = context.get(ctx).settings
    auth_configured = bool(settings.get("webhooks.inbound_secret") or config_keys(settings)
                           or KeyStore.from_settings(settings).keys())
    decision = bind_decision(host, auth_configured=auth_configured, insecure=insecure)
    if decision.error is not None:
        raise decision.error

    import uvicorn

    from revops_cli.channels.webhook_server.api import create_app
    from revops_cli.channels.webhook_server.server import uvicorn_config
    from revops_cli.redaction import install_log_redaction, secret_values

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    install_log_redaction(*secret_values(settings.data))    # uvicorn's access line included (redaction.py)
    log = logging.getLogger("revops.webhook_api")
    if decision.warning:
        log.warning(decision.warning)
    elif not auth_configured:
        log.info("no authentication configured: serving loopback callers only (%s)", host)
    api = create_app(settings, start_workers=not no_workers and workers > 0, workers=workers,
                     allow_anonymous=decision.allow_anonymous)
    uvicorn.Server(uvicorn_config(api, host=host, port=port, access_log=access_log,
                                  graceful_s=int(settings.webhooks.shutdown_grace_s))).run()


def worker(
    ctx: typer.Context,
    once: Annotated[bool, typer.Option("--once", help="Process what is queued now, then exit.")] = False,
    concurrency: Annotated[int, typer.Option("--concurrency", "-c", min=1, help="Worker threads.")] = 1,
) -> None:
    """Take queued webhook requests, answer them and deliver the answers (until SIGTERM)."""
    import logging
    import sys

    from revops_cli.channels.webhook_server.worker import run_worker

    from revops_cli.redaction import install_log_redaction, secret_values

    settings = context.get(ctx).settings
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    install_log_redaction(*secret_values(settings.data))
    stats = run_worker(settings, once=once, concurrency=concurrency)
    print(" ".join(f"{k}={v}" for k, v in stats.to_dict().items()), file=sys.stderr)


def _keys(ctx: typer.Context):
    from revops_cli.channels.webhook_server.auth import KeyStore

    return KeyStore.from_settings(context.get(ctx).settings)


@keys_app.command("add")
def keys_add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Who the key is for, e.g. crm-dashboard (letters, digits, . _ -).")],
) -> None:
    """Make an API key for a caller and print it once (only its SHA-256 is kept)."""
    import sys

    key = _keys(ctx).add(name)
    print(key)
    print(f"API key {name!r} made; it is shown only now. Send it as 'Authorization: Bearer <key>' "
          "or 'X-API-Key: <key>'.", file=sys.stderr)


@keys_app.command("list")
def keys_list(ctx: typer.Context, fmt: context.TableFormatOpt = context.TableFormat.table) -> None:
    """List the API keys: name, the key's first characters, when it was made (never the key)."""
    from revops_cli.output import TableFormat, echo_json, render_result
    from revops_cli.warehouse.base import QueryResult

    keys = _keys(ctx).keys()
    if fmt == TableFormat.json:
        echo_json([{"name": k.name, "prefix": k.prefix, "created_at": k.created_at} for k in keys])
        return
    render_result(QueryResult(columns=["name", "key starts", "created (UTC)"], types=["TEXT"] * 3,
                              rows=[(k.name, k.prefix + "…", k.created_at.replace("T", " ").rstrip("Z"))
                                    for k in keys]), fmt)


@keys_app.command("revoke")
def keys_revoke(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The key's name (see `keys list`).")],
) -> None:
    """Revoke an API key at once (a running server re-reads the keys file)."""
    _keys(ctx).revoke(name)
    print(f"API key {name!r} revoked")


def _store(ctx: typer.Context):
    from revops_cli.channels.webhook_server.queue import Store, queue_path

    return Store(queue_path(context.get(ctx).settings))


@deliveries_app.command("list")
def list_(
    ctx: typer.Context,
    failed: Annotated[bool, typer.Option("--failed", help="Only the dead-letter list (failed deliveries).")] = False,
    limit: Annotated[int, typer.Option("-n", "--limit", help="How many, newest first.")] = 50,
    fmt: context.TableFormatOpt = context.TableFormat.table,
) -> None:
    """List outbound deliveries, newest first."""
    from revops_cli.channels.webhook_server.deliveries import list_deliveries
    from revops_cli.output import TableFormat, echo_json, render_result
    from revops_cli.warehouse.base import QueryResult

    rows = list_deliveries(_store(ctx), failed=failed, limit=limit)
    if fmt == TableFormat.json:
        echo_json(rows)
        return
    table = [(r["id"], r["tracking_id"], r["endpoint"], r["status"], r["attempts"], r["last_status"],
              r["updated_at"][:19].replace("T", " "), (r["error"] or "")[:80]) for r in rows]
    render_result(QueryResult(columns=["id", "tracking id", "endpoint", "status", "attempts", "http", "updated (UTC)",
                                       "error"], types=["TEXT"] * 4 + ["INTEGER", "INTEGER", "TEXT", "TEXT"],
                              rows=table), fmt)


@deliveries_app.command("replay")
def replay(
    ctx: typer.Context,
    delivery_id: Annotated[str, typer.Argument(help="Delivery id, tracking id, or a unique prefix.")],
    fmt: context.SummaryFormatOpt = context.SummaryFormat.text,
) -> None:
    """Send a delivery again (re-enables an endpoint disabled by 410). Exits 7 if it fails again."""
    from revops_cli.errors import ActionError
    from revops_cli.channels.webhook_server.deliveries import replay as do_replay
    from revops_cli.output import echo_json

    outcome = do_replay(context.get(ctx).settings, _store(ctx), delivery_id)
    if fmt == context.SummaryFormat.json:
        echo_json({"delivery_id": outcome.delivery_id, "status": outcome.status, "attempts": outcome.attempts,
                   "error": outcome.error})
    elif outcome.status == "delivered":
        print(f"{outcome.delivery_id}: delivered ({outcome.attempts} attempt{'s' if outcome.attempts != 1 else ''})")
    if outcome.status != "delivered":
        raise ActionError(f"{outcome.delivery_id}: delivery failed again: {outcome.error}",
                          "it stays in `revops webhook deliveries list --failed`")
