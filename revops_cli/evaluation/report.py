"""A run's result for people (accuracy per category, then every miss with a diff) and as JSON.

The JSON shape is stable (docs/eval.md; keys are only ever added):
{"format_version": 1, "passed": 240, "total": 260, "pass_rate": 0.923, "min_pass": 0.95, "meets_min": false,
 "backend": "local", "as_of": "2026-11-24", "duration_s": 41.2,
 "categories": {"deal": {"cases": 30, "passed": 28, "pass_rate": 0.933}, ...},
 "holdout": {"cases": 80, "passed": 70, "pass_rate": 0.875},
 "cases": [{"id", "category", "file", "holdout", "question", "passed", "error",
            "turns": [{"question", "passed", "agent", "ok", "exit_code", "duration_ms",
                       "checks": [{"check", "passed", "expected", "actual"}], "answer"}]}]}
"""

from __future__ import annotations

from typing import Any

from revops_cli.evaluation.runner import RunResult

FORMAT_VERSION = 1


def pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def to_dict(run: RunResult) -> dict[str, Any]:
    held = [r for r in run.results if r.case.holdout]
    return {
        "format_version": FORMAT_VERSION,
        "passed": run.passed, "total": run.total, "pass_rate": round(run.pass_rate, 4),
        "min_pass": run.min_pass, "meets_min": run.meets_min,
        "backend": run.backend, "as_of": run.as_of, "duration_s": round(run.duration_s, 2),
        "categories": {c: {"cases": s.cases, "passed": s.passed, "pass_rate": round(s.rate, 4)}
                       for c, s in run.by_category().items()},
        "holdout": {"cases": len(held), "passed": sum(r.passed for r in held),
                    "pass_rate": round(sum(r.passed for r in held) / len(held), 4) if held else None},
        "cases": [r.to_dict() for r in run.results],
    }


def shown_path(file: str) -> str:
    """A case file as the report shows it: `suite/…` for the shipped suite, else relative to the current
    folder when it is under it."""
    from pathlib import Path

    from revops_cli.evaluation.cases import SUITE_DIR

    p = Path(file)
    for base, prefix in ((SUITE_DIR, "suite/"), (Path.cwd(), "")):
        try:
            return prefix + str(p.resolve().relative_to(base.resolve()))
        except ValueError:
            continue
    return file


def miss_lines(run: RunResult, *, withhold_holdout: bool = False) -> list[str]:
    """Every miss: the case, the question of each failing turn, and each failed check as expected / got.
    `withhold_holdout` (the test suite's report, read while tuning) names a held-out miss by id only, so its
    question and answer stay out of the tuning."""
    lines: list[str] = []
    for r in run.misses():
        tag = " (holdout)" if r.case.holdout else ""
        lines.append(f"MISS {r.case.id} [{r.case.category}]{tag}  {shown_path(r.case.file)}")
        if r.case.holdout and withhold_holdout:
            lines.append("  (held out: question and answer withheld here; `revops eval` shows them)")
            continue
        if r.error:
            lines.append(f"  case error: {r.error}")
        for i, t in enumerate(r.turns):
            if t.passed:
                continue
            lines.append(f"  {'Q' if i == 0 else f'follow-up {i}'}: {t.question}")
            lines.append(f"    answered by {t.agent}, ok={t.ok}, exit {t.exit_code}")
            for c in t.checks:
                if not c.passed:
                    lines.append(f"    - {c.what}: expected {c.expected}")
                    lines.append(f"      {' ' * len(c.what)}  got      {c.actual}")
    return lines


def to_text(run: RunResult, *, show_misses: bool = True, withhold_holdout: bool = False) -> str:
    cats = run.by_category()
    width = max([len("category")] + [len(c) for c in cats])
    out = [f"{'category':<{width}}  cases  passed  accuracy"]
    for c, s in cats.items():
        out.append(f"{c:<{width}}  {s.cases:>5}  {s.passed:>6}  {pct(s.rate):>8}")
    out.append(f"{'all':<{width}}  {run.total:>5}  {run.passed:>6}  {pct(run.pass_rate):>8}")
    held = [r for r in run.results if r.case.holdout]
    if held:
        n = sum(r.passed for r in held)
        out.append(f"{'(holdout)':<{width}}  {len(held):>5}  {n:>6}  {pct(n / len(held)):>8}")
    if show_misses and run.misses():
        out.append("")
        out.extend(miss_lines(run, withhold_holdout=withhold_holdout))
    verdict = "meets" if run.meets_min else "is below"
    out.append("")
    out.append(f"{run.passed}/{run.total} passed ({pct(run.pass_rate)}), which {verdict} --min-pass "
               f"{pct(run.min_pass)}; backend {run.backend}, as of {run.as_of}, {run.duration_s:.1f} s")
    return "\n".join(out)
