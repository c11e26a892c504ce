"""An example (or two) for every command's help, shown under "Examples:" by `revops CMD -h`.

One table instead of an epilog in each command's module: the CLI attaches them to the click commands it
builds (`attach`), and tests/test_cli_conventions.py fails for a command that has none.
"""

from __future__ import annotations

from typing import Any

EXAMPLES: dict[str, tuple[str, ...]] = {
    "snapshot": ("revops snapshot   # from cron, once a day", "revops snapshot --list"),
    "ask": ('revops ask "which Q4 deals are at risk?"', 'revops ask "what are its main risks?" -c -f json'),
    "deal": ("revops deal IXIS", "revops deal IXIS -f json > ixis.json"),
    "lead": ('revops lead "John Smith" --company DataCorp',),
    "search": ("revops search CloudTech",),
    "execute": ('revops execute "send the AE a note about the risks" -c', "revops execute --confirm act_…"),
    "serve-webhook": ("revops serve-webhook --port 8080", "revops serve-webhook --no-workers   # and `revops worker`"),
    "worker": ("revops worker --concurrency 4", "revops worker --once"),
    "serve-slack": ("revops serve-slack --socket-mode", "revops serve-slack --port 3000"),
    "serve-mcp": ("revops serve-mcp", "revops serve-mcp --http --port 8765"),
    "export-conversations": ("revops export-conversations --to ./exports --since 2026-11-01",
                             "revops export-conversations --to s3://bucket/revops -f json"),
    "init": ("revops init", "revops init --preset reference-v5", "revops init --preset   # lists the presets"),
    "model check": ("revops model check", "revops model check -f json"),
    "model show": ("revops model show", "revops model show -f json"),
    "data patterns": ("revops data patterns", "revops data patterns -f json"),
    "data run": ("revops data run win_rate -p start_date=2026-01-01 -p end_date=2026-11-24",
                 "revops data run deals_closing_in_period -p start_date=2026-10-01 -p end_date=2026-12-31 -f csv"),
    "data sql": ('revops data sql "SELECT segment, count(*) FROM accounts GROUP BY 1" -f json',),
    "data ask": ('revops data ask "analyze Q4 revenue performance by customer segment"',),
    "demo init": ("revops demo init", "revops demo init --scale 10 --seed 7 --as-of 2026-11-24",
                  "revops demo init --shape reference-v5"),
    "report list": ("revops report list",),
    "report run": ("revops report run pipeline -f html -o pipeline.html",
                   "revops report run churn --post slack:#revops --quiet"),
    "alerts run": ("revops alerts run --quiet   # from cron", "revops alerts run --dry-run -f json"),
    "alerts list": ("revops alerts list",),
    "alerts log": ("revops alerts log --active",),
    "webhook keys add": ("revops webhook keys add zapier",),
    "webhook keys list": ("revops webhook keys list -f json",),
    "webhook keys revoke": ("revops webhook keys revoke zapier",),
    "webhook deliveries list": ("revops webhook deliveries list --failed",),
    "webhook deliveries replay": ("revops webhook deliveries replay dlv_…",),
    "cache list": ("revops cache list -n 5",),
    "cache show": ("revops cache show 3f2a… -f json",),
    "cache stats": ("revops cache stats",),
    "cache clear": ("revops cache clear --older-than 24",),
    "config show": ("revops config show", "revops --profile prod config show -f json"),
    "agents list": ("revops agents list",),
    "conversations list": ("revops conversations list --channel slack --since 2026-11-01",),
    "conversations show": ("revops conversations show 42 -f json",),
}


def walk(command: Any, path: tuple[str, ...] = ()):
    """(path, command) for every runnable command below a click group, depth first."""
    import click

    if isinstance(command, click.Group):
        for name, sub in command.commands.items():
            yield from walk(sub, path + (name,))
    elif path:
        yield " ".join(path), command


def attach(root: Any) -> Any:
    """Put each command's examples in its help epilog (kept as typed: click does not rewrap `\\b` blocks)."""
    for path, command in walk(root):
        lines = EXAMPLES.get(path)
        if lines and not command.epilog:
            command.epilog = "\b\nExamples:\n" + "\n".join(f"  {line}" for line in lines)
    return root
