"""The shipped model presets as the files a project starts from: `revops init --preset` lists them, and
`revops init --preset NAME` writes a revops.yaml naming the preset and copies its files into ./model/."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from revops_cli.model.loader import preset_names, presets_dir


@dataclass(frozen=True)
class PresetInfo:
    name: str
    summary: str                       # the first line of its entities.yaml, after "Preset <name>: "
    files: tuple[Path, ...]            # its model files


def preset_info(name: str) -> PresetInfo:
    folder = presets_dir() / name
    files = tuple(sorted(folder.glob("*.yaml")))
    summary = ""
    main = folder / "entities.yaml"
    if main.is_file():
        first = main.read_text(encoding="utf-8").splitlines()[0].lstrip("# ").strip()
        summary = first.split(": ", 1)[1] if first.startswith(f"Preset {name}:") else first
    return PresetInfo(name, summary.rstrip(" ."), files)


def presets() -> list[PresetInfo]:
    return [preset_info(n) for n in preset_names()]


def check_preset(name: str) -> PresetInfo:
    """The preset called `name`; UsageError (exit 2) naming the presets for any other name."""
    from revops_cli.errors import UsageError
    from revops_cli.yaml_files import did_you_mean

    if name not in preset_names():
        raise UsageError(f"no model preset {name!r}",
                         did_you_mean(name, preset_names(), "`revops init --preset` lists the presets"))
    return preset_info(name)


def config_text(template: str, name: str) -> str:
    """The commented revops.yaml of `revops init`, with the model section set to the preset."""
    block = (f"# The semantic model of your warehouse (docs/model.md; this preset: docs/presets/{name}.md).\n"
             f"# Its files are in ./model/: edit them there (they override the preset column by column), then\n"
             f"# run `revops model check` to see what works on your warehouse, what degrades and why.\n"
             f"model:\n  preset: {name}\n\n")
    marker = "backend:"
    at = template.find("\n" + marker)
    if at < 0:
        return template.rstrip("\n") + "\n\n" + block
    return template[:at + 1] + block + template[at + 1:]


def copy_files(info: PresetInfo, folder: Path, *, force: bool) -> list[Path]:
    """Copy the preset's model files into `folder` (./model/); UsageError if one exists and not `force`."""
    from revops_cli.errors import UsageError

    targets = [folder / f.name for f in info.files]
    existing = [t for t in targets if t.exists()]
    if existing and not force:
        raise UsageError(f"{existing[0]} already exists", "use --force to overwrite the model files")
    folder.mkdir(parents=True, exist_ok=True)
    for src, dst in zip(info.files, targets):
        shutil.copyfile(src, dst)
    return targets
