"""`revops init` and `revops config show`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from typer.core import TyperCommand

from revops_cli.commands import context
from revops_cli.output import TableFormat

app = typer.Typer(help="Settings: show what is in force and where it came from.", no_args_is_help=True)


class InitCommand(TyperCommand):
    """`revops init`: a bare `--preset` (no name after it) means "list the presets"."""

    def parse_args(self, ctx, args: list[str]) -> list[str]:
        args = ["--preset=" if a == "--preset" and (i + 1 == len(args) or args[i + 1].startswith("-")) else a
                for i, a in enumerate(args)]
        return super().parse_args(ctx, args)


def init(
    user: Annotated[bool, typer.Option("--user", help="Write to the user dir instead of the current folder.")] = False,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
    preset: Annotated[Optional[str], typer.Option(
        "--preset", metavar="[NAME]",
        help="Start from the semantic model of a known warehouse schema (reference-v5, fivetran-salesforce): "
             "sets model.preset and copies its model files into ./model/. Alone, lists the presets.")] = None,
) -> None:
    """Write a commented revops.yaml to start from (with --preset: and the model files of a known schema)."""
    from revops_cli.config import CONFIG_FILENAME, INIT_TEMPLATE, user_home
    from revops_cli.errors import UsageError

    if preset == "":                             # `revops init --preset` alone: list them
        from revops_cli.model.preset_files import presets

        for info in presets():
            print(f"{info.name:22} {info.summary}")
        print("\nrevops init --preset NAME writes revops.yaml and ./model/ for one of them (docs/presets/NAME.md).")
        return
    info = None
    if preset is not None:
        from revops_cli.model.preset_files import check_preset

        info = check_preset(preset)
    folder = user_home() if user else Path.cwd()
    target = folder / CONFIG_FILENAME
    if target.exists() and not force:
        raise UsageError(f"{target} already exists", "use --force to overwrite it")
    from revops_cli.private_files import open_private, private_dir

    copied: list[Path] = []
    if info is not None:
        from revops_cli.model.preset_files import copy_files

        copied = copy_files(info, folder / "model", force=force)
    private_dir(target.parent, tighten=user)     # settings may hold secrets: 0600 (and 0700 for the user dir)
    with open_private(target, "w") as f:
        if info is None:
            f.write(INIT_TEMPLATE)
        else:
            from revops_cli.model.preset_files import config_text

            f.write(config_text(INIT_TEMPLATE, info.name))
    print(f"wrote {target}")
    if info is not None:
        print(f"copied the {info.name} model files to {folder / 'model'}: {', '.join(p.name for p in copied)}")
        print("next: point warehouse: at your warehouse, then run `revops model check`")


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
