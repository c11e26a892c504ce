"""The shipped `revops eval` suite on two seeds of the demo data, on the local backend.

A ratchet: each seed's pass rate must not fall below its recorded floor (what main reached when the floor
was last raised). Raise FLOORS when the router gets better; never lower them to make a change pass. The
goal is 95% (issue 13). Every miss is printed at the end of every run (conftest's terminal summary), passed or failed.
"""

from __future__ import annotations

from conftest import AS_OF

FLOORS = {42: 0.95, 7: 0.95}     # share of the shipped cases passing, per demo seed


def test_shipped_suite_meets_its_floor(demo_db, settings_for, record_property):
    from revops_cli.evaluation import report
    from revops_cli.evaluation.cases import load_cases
    from revops_cli.evaluation.runner import run

    settings = settings_for(demo_db)
    seed = next(s for s in FLOORS if f"demo{s}" in demo_db.parent.name)
    assert settings.as_of == AS_OF
    result = run(load_cases(), settings, min_pass=FLOORS[seed])
    record_property("eval_report", f"seed {seed}:\n" + report.to_text(result, withhold_holdout=True))     # printed at the end of the run
    errors = [r for r in result.results if r.error]
    assert not errors, "cases that cannot run on this seed: " + "; ".join(f"{r.case.id}: {r.error}" for r in errors)
    assert result.meets_min, (f"seed {seed}: {result.passed}/{result.total} = {report.pct(result.pass_rate)} is "
                              f"below the floor {report.pct(FLOORS[seed])}\n" + "\n".join(report.miss_lines(result, withhold_holdout=True)))
