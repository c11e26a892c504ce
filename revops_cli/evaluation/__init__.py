"""`revops eval`: questions as code. YAML files of cases run through `service.ask`, checked, and scored.

- `cases.py`  the case format: loading and validating YAML files into `Case` / `Turn` / `Expect`
- `checks.py` the checks of one answer against one `Expect` (agent, ok, exit code, entities, values, text)
- `runner.py` runs cases against the configured backend and warehouse, one session per case
- `report.py` the run's result as text (accuracy per category, every miss with a diff) or JSON

The shipped suite lives in `suite/` (and `suite/holdout/`, not for tuning the parser); docs/eval.md
documents the format.
"""
