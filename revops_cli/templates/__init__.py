"""Answer wording: Jinja templates shipped here, overridable by files of the same name in
./templates/ or <home>/templates/ (the project folder wins). Their filters (money, pct, signed_pct, num)
are formatting.py's."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from revops_cli.config import Settings
from revops_cli.formatting import money, num, pct, signed_pct


@lru_cache(maxsize=4)
def _environment(dirs: tuple[str, ...]):
    from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PackageLoader, StrictUndefined

    loaders = [FileSystemLoader(d) for d in dirs] + [PackageLoader("revops_cli", "templates")]
    from revops_cli.templates.bytecode import loader_cache

    env = Environment(loader=ChoiceLoader(loaders), undefined=StrictUndefined, trim_blocks=True,
                      lstrip_blocks=True, keep_trailing_newline=False, autoescape=False,
                      bytecode_cache=loader_cache())
    env.filters.update(money=money, pct=pct, signed_pct=signed_pct, num=num)
    return env


def template_dirs(settings: Settings) -> tuple[str, ...]:
    return tuple(str(d) for d in (Path.cwd() / "templates", settings.home / "templates") if d.is_dir())


def render(settings: Settings, name: str, **values: Any) -> str:
    return _environment(template_dirs(settings)).get_template(name).render(**values).strip() + "\n"
