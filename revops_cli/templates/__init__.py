"""Answer wording: Jinja templates shipped here, overridable by files of the same name in
./templates/ or <home>/templates/ (the project folder wins)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from revops_cli.config import Settings


def _money(v: Any) -> str:
    """$2.1M, $800K, $27.8B, -$73K: the way an analyst writes amounts."""
    if v is None:
        return "n/a"
    v = float(v)
    sign, v = ("-" if v < 0 else ""), abs(v)
    for size, suffix in ((1_000_000_000, "B"), (1_000_000, "M")):
        if v >= size:
            text = f"{v / size:,.1f}"
            return f"{sign}${text[:-2] if text.endswith('.0') else text}{suffix}"
    if v >= 1_000:
        return f"{sign}${v / 1_000:,.0f}K"
    return f"{sign}${v:,.0f}"


def _pct(v: Any, digits: int = 0) -> str:
    return "n/a" if v is None else f"{float(v):.{digits}f}%"


def _signed_pct(v: Any, digits: int = 1) -> str:
    return "n/a" if v is None else f"{float(v):+.{digits}f}%"


def _num(v: Any) -> str:
    return "n/a" if v is None else f"{v:,.0f}" if isinstance(v, (int, float)) else str(v)


def format_value(v: Any, kind: str = "") -> str:
    """One table cell, formatted by its column's kind: money, pct, pct1, signed_pct, num, ratio, month,
    date; anything else as plain text on one line (pipes turned into slashes, for markdown tables)."""
    if v is None or v == "":
        return ""
    try:
        if kind == "money":
            return _money(v)
        if kind == "pct":
            return _pct(v)
        if kind == "pct1":
            return _pct(v, 1)
        if kind == "signed_pct":
            return _signed_pct(v)
        if kind == "num":
            return _num(v)
        if kind == "ratio":
            return f"{float(v):.1f}x"
    except (TypeError, ValueError):
        return str(v)
    if kind == "month":
        return str(v)[:7]
    if kind == "date":
        return str(v)[:10]
    if isinstance(v, float):
        return f"{v:,.2f}" if abs(v) >= 1000 else f"{v:.4g}"
    return " ".join(str(v).replace("|", "/").split())


@lru_cache(maxsize=4)
def _environment(dirs: tuple[str, ...]):
    from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PackageLoader, StrictUndefined

    loaders = [FileSystemLoader(d) for d in dirs] + [PackageLoader("revops_cli", "templates")]
    from revops_cli.templates.bytecode import loader_cache

    env = Environment(loader=ChoiceLoader(loaders), undefined=StrictUndefined, trim_blocks=True,
                      lstrip_blocks=True, keep_trailing_newline=False, autoescape=False,
                      bytecode_cache=loader_cache())
    env.filters.update(money=_money, pct=_pct, signed_pct=_signed_pct, num=_num)
    return env


def template_dirs(settings: Settings) -> tuple[str, ...]:
    return tuple(str(d) for d in (Path.cwd() / "templates", settings.home / "templates") if d.is_dir())


def render(settings: Settings, name: str, **values: Any) -> str:
    return _environment(template_dirs(settings)).get_template(name).render(**values).strip() + "\n"


money = _money
pct = _pct
