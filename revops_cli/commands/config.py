"""`revops init` and `revops config show`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from revops_cli.commands import context
from revops_cli.output import TableFormat

app = typer.Typer(help="Settings: show what is in force and where it came from.", no_args_is_help=True)


def init(
    user: Annotated[bool, typer.Option("--user", help="Write to the user dir instead of the current folder.")] = False,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
) -> None:
    """Write a commented revops.yaml to start from."""
    from revops_cli.config import CONFIG_FILENAME, INIT_TEMPLATE, user_home
    from revops_cli.errors import UsageError

    target = (user_home() if user else Path.cwd()) / CONFIG_FILENAME
    if target.exists() and not force:
        raise UsageError(f"{target} already exists", "use --force to overwrite it")
    from revops_cli.private_files import open_private, private_dir

    private_dir(target.parent, tighten=user)     # settings may hold secrets: 0600 (and 0700 for the user dir)
    with open_private(target, "w") as f:
        f.write(INIT_TEMPLATE)
    print(f"wrote {target}")


@app.command("show")
def show(
    ctx: typer.Context,
    fmt: Annotated[TableFormat, typer.Option("--format", "-f", case_sensitive=False)] = TableFormat.table,
) -> None:
    """Print the resolved settings, secrets masked, and where each came from."""
    from revops_cli.config import MAPPING_KEYS
    from revops_cli.output import echo_json, render_rich_table

    s = context.get(ctx).settings
    masked = s.masked()
    if fmt == TableFormat.json:
        echo_json({"profile": s.profile, "home": str(s.home), "files": [str(f) for f in s.files],
                   "settings": masked})
        return
    rows: list[tuple[str, str, str]] = []

    def walk(node, prefix=""):
        for k, v in node.items():
            key = f"{prefix}{k}"
            if isinstance(v, dict) and v and k not in MAPPING_KEYS:
                walk(v, key + ".")
            else:
                rows.append((key, "" if v is None else str(v), s.origins.get(key, "default")))

    walk(masked)
    print(f"profile: {s.profile}   home: {s.home}   files: {', '.join(map(str, s.files)) or '(none)'}")
    render_rich_table(["setting", "value", "from"], rows)
