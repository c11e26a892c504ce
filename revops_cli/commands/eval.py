"""`revops eval [PATHS...]`: run YAML question cases through service.ask and score them (docs/eval.md).

Thin: loads the cases, runs them (revops_cli/evaluation/), prints the result. Exit 0 when the pass rate
meets --min-pass, EVAL_BELOW_MIN_EXIT when it does not, 2 for unusable case files.
"""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from revops_cli.commands import context

EVAL_BELOW_MIN_EXIT = 10
EXAMPLES = ("\b\nExamples:\n  revops eval\n  revops eval my_cases/ --min-pass 0.9 -f json\n"
            "  revops eval -k pipeline -k followups --no-holdout")
DEFAULT_MIN_PASS = 0.95      # the same as evaluation.runner.DEFAULT_MIN_PASS (kept light for --help)


class EvalFormat(str, Enum):
    text = "text"
    json = "json"


def eval_command(
    ctx: typer.Context,
    paths: Annotated[Optional[list[Path]], typer.Argument(
        help="Case files or folders (YAML); default: the shipped suite.", show_default=False)] = None,
    fmt: Annotated[EvalFormat, typer.Option("--format", "-f", help="text, or json (stable; docs/eval.md).",
                                            case_sensitive=False)] = EvalFormat.text,
    min_pass: Annotated[float, typer.Option("--min-pass", min=0.0, max=1.0,
                                            help="Exit 0 only when at least this share of cases pass.")] = DEFAULT_MIN_PASS,
    backend: Annotated[Optional[str], typer.Option("--backend", "-b",
                                                   help="local (default), bedrock-agents, bedrock, or openai.")] = None,
    category: Annotated[Optional[list[str]], typer.Option("--category", "-k",
                                                          help="Only cases of this category (repeatable).")] = None,
    no_holdout: Annotated[bool, typer.Option("--no-holdout", help="Leave out the held-out cases.")] = False,
) -> None:
    """Run question cases (YAML) against the configured backend and warehouse; accuracy per category and
    every miss. Exit 0 when the pass rate meets --min-pass, else 10."""
    import sys

    from revops_cli.errors import UsageError
    from revops_cli.evaluation import report
    from revops_cli.evaluation.cases import load_cases
    from revops_cli.evaluation.runner import run
    from revops_cli.output import ProgressBar, echo_json, progress_wanted

    cli = context.get(ctx)
    cases = load_cases(list(paths) if paths else None)
    if category:
        wanted = {c.lower() for c in category}
        cases = [c for c in cases if c.category.lower() in wanted]
    if no_holdout:
        cases = [c for c in cases if not c.holdout]
    if not cases:
        raise UsageError("no cases to run", "check the paths and --category")
    with ProgressBar("eval", len(cases), enabled=progress_wanted()) as bar:   # a terminal's stderr only
        result = run(cases, cli.settings, backend=backend, min_pass=min_pass,
                     progress=lambda i, n, case: bar.update(i, case.id))
    if fmt == EvalFormat.json:
        echo_json(report.to_dict(result))
    else:
        sys.stdout.write(report.to_text(result) + "\n")
    if not result.meets_min:
        raise typer.Exit(EVAL_BELOW_MIN_EXIT)
