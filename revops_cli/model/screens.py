"""What `revops model show` and `revops model check` print: the model as a summary (also its JSON), and the
check as one screen."""

from __future__ import annotations

from typing import Any

from revops_cli.model.check import STATES, CheckReport
from revops_cli.model.spec import BUILTIN, SemanticModel

_MARK = {"error": "✗", "warning": "!", "info": "·"}


def model_summary(model: SemanticModel) -> dict[str, Any]:
    """The `revops model show --format json` shape: stable keys (README)."""
    def where(origin) -> str | None:
        return None if origin is BUILTIN or origin.line == 0 else str(origin)

    entities = []
    for e in model.entities.values():
        mapping = "missing" if e.missing else "query" if e.query else "from" if e.source else "identity"
        entities.append({
            "name": e.name, "mapping": mapping, "table": e.table if e.identity else None,
            "where": where(e.origin),
            "mapped": [c for c, col in e.columns.items() if not col.missing and not e.missing],
            "approx": dict(e.approximations), "missing": dict(e.missing_columns)})
    return {
        "preset": model.preset, "files": list(model.files), "identity": model.identity,
        "measures": [{"name": m.name, "entity": m.entity, "format": m.format, "time": m.time,
                      "description": m.description, "sql": m.sql, "where": list(m.filters),
                      "cohort": ({"per": m.per, "value": m.value, "compare": m.compare} if m.cohort else None),
                      "defined_at": where(m.origin)} for m in model.measures.values()],
        "dimensions": [{"name": d.name, "entity": d.entity, "sql": d.sql, "time": d.time,
                        "description": d.description, "defined_at": where(d.origin)}
                       for d in model.dimensions.values()],
        "entities": entities,
        "relationships": [str(r) for r in model.relationships],
    }


def _console():
    from revops_cli.output import console

    return console()


def print_show(summary: dict[str, Any]) -> None:
    from rich.table import Table

    out = _console()
    origin = f"preset {summary['preset']}" if summary["preset"] else "the canonical schema"
    out.print(f"[bold]Semantic model[/bold] ({origin}; {len(summary['files'])} model files)")
    t = Table(title="Measures", show_lines=False)
    for col in ("measure", "entity", "format", "definition"):
        t.add_column(col)
    for m in summary["measures"]:
        t.add_row(m["name"], m["entity"], m["format"], m["description"])
    out.print(t)
    t = Table(title="Dimensions")
    for col in ("dimension", "entity", "sql", "description"):
        t.add_column(col)
    for d in summary["dimensions"]:
        t.add_row(d["name"] + (" (date)" if d["time"] else ""), d["entity"], d["sql"], d["description"])
    out.print(t)
    t = Table(title="Entities")
    for col in ("entity", "mapping", "mapped", "approximated", "missing"):
        t.add_column(col)
    for e in summary["entities"]:
        mapping = e["mapping"] + (f" ({e['table']})" if e["table"] and e["table"] != e["name"] else "")
        if not e["missing"]:
            missing = "-"
        elif e["mapped"]:
            missing = ", ".join(e["missing"])
        else:
            missing = "all: " + next(iter(e["missing"].values()))
        t.add_row(e["name"], mapping, str(len(e["mapped"])), ", ".join(e["approx"]) or "-", missing)
    out.print(t)


def print_check(report: CheckReport) -> None:
    from rich.markup import escape

    out = _console()
    origin = f"preset {report.preset}" if report.preset else "canonical schema"
    out.print(f"[bold]Model check[/bold] of {escape(report.warehouse)} ({origin}, {len(report.files)} model files) "
              f"in {report.elapsed_ms / 1000:.1f} s")
    ents = []
    for e in report.entities:
        if e.status == "missing":
            ents.append(f"{e.name} [dim]missing[/dim]")
        elif e.status == "broken":
            ents.append(f"{e.name} [red]broken[/red]")
        elif e.status == "partial" and e.rows is not None:
            ents.append(f"{e.name} {e.rows:,} [red]some columns broken[/red]")
        else:
            extra = f", {len(e.missing)} missing" if e.missing else ""
            ents.append(f"{e.name} {e.rows:,}{extra}" if e.rows is not None else e.name)
    out.print("Entities (rows): " + " · ".join(ents))
    shown = [f for f in report.findings if f.level != "info"]
    if shown:
        out.print("[bold]Problems[/bold]")
        for f in shown[:12]:
            where = f"  [dim]{escape(f.where)}[/dim]" if f.where else ""
            out.print(f"  {_MARK[f.level]} {escape(f.subject)}: {escape(f.message)}{where}", highlight=False)
        if len(shown) > 12:
            out.print(f"  … {len(shown) - 12} more (--format json lists them all)")
    by_state = {s: [c for c in report.capabilities if c.status == s] for s in STATES}
    out.print("[bold]What works on this warehouse[/bold]")
    works = by_state["works"]
    if works:
        groups = []
        for kind, label in (("command", "commands"), ("report", "reports"), ("analysis", "analyses"),
                            ("measure", "measures")):
            names = [c.name.removeprefix("revops report ") if kind == "report" else c.name
                     for c in works if c.kind == kind]
            if names:
                groups.append(f"{label}: {', '.join(names)}")
        out.print(f"  [green]works[/green] ({len(works)}) - " + "; ".join(escape(g) for g in groups))
    for state, colour in (("degraded", "yellow"), ("unavailable", "magenta"), ("broken", "red")):
        caps = by_state[state]
        if not caps:
            continue
        out.print(f"  [{colour}]{state}[/{colour}] ({len(caps)}):")
        for c in caps[:10]:
            more = f" (+{len(c.reasons) - 1} more)" if len(c.reasons) > 1 else ""
            name = c.name if c.kind in ("command", "report") else f"{c.kind} {c.name}"
            out.print(f"    {escape(name)}: {escape(c.reasons[0]) if c.reasons else ''}{more}", highlight=False)
        if len(caps) > 10:
            out.print(f"    … {len(caps) - 10} more (--format json lists them all)")
    if report.ok:
        out.print("[green]OK[/green]: nothing required is broken.")
    else:
        n = sum(1 for f in report.findings if f.level == "error")
        out.print(f"[red]BROKEN[/red]: {n} mapping error(s); fix them in the model files named above (exit 3).")
