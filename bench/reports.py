"""Timing the built-in reports (`make bench` calls `run(quick, db_path)` with the scale-1000 warehouse).

For each built-in report: the run (every section through `service.ask`, chart queries included) with the
result cache off - what a cron job pays on fresh data - then rendering every format (HTML draws the charts
with matplotlib; the first chart also pays matplotlib's import, measured separately). Then the full set: all
six reports one after the other, cold (cache off) and warm (cache on, second pass).

    python bench/reports.py [--quick] [DB]      # DB default: bench/scratch/demo-s1000-seed42-2026-11-24.duckdb

Figures are medians of `runs` repetitions (1 with quick, 3 otherwise), in milliseconds.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any, Iterator

ROOT = Path(__file__).resolve().parent.parent
AS_OF = date(2026, 11, 24)
sys.path.insert(0, str(ROOT))


@contextmanager
def _env(**values: str) -> Iterator[None]:
    saved = {k: v for k, v in os.environ.items() if k.startswith("REVOPS_")}
    for k in saved:
        del os.environ[k]
    os.environ.update(values)
    try:
        yield
    finally:
        for k in [k for k in os.environ if k.startswith("REVOPS_")]:
            del os.environ[k]
        os.environ.update(saved)


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 1)


def run(quick: bool, db_path: Path | str) -> dict[str, Any]:
    """Time every built-in report on the warehouse at `db_path`; returns the figures (ms)."""
    from revops_cli.config import load_settings
    from revops_cli.reports import FORMATS, run_report
    from revops_cli.reports.builtin import BUILTIN
    from revops_cli.reports.render import render

    runs = 1 if quick else 3
    db_path = Path(db_path)
    results: dict[str, Any] = {"warehouse": str(db_path), "as_of": AS_OF.isoformat(), "runs": runs, "reports": {}}
    with tempfile.TemporaryDirectory(prefix="revops-bench-reports-") as tmp, \
            _env(REVOPS_HOME=tmp, REVOPS_DUCKDB_PATH=str(db_path), REVOPS_AS_OF=AS_OF.isoformat()):
        cold = load_settings(overrides={"cache.enabled": False})
        warm = load_settings()

        t = time.perf_counter()
        import matplotlib.figure  # noqa: F401  (what the first chart of a process pays)
        results["matplotlib_import_ms"] = _ms(time.perf_counter() - t)

        for name, defn in BUILTIN.items():
            run_s, render_s, charts = [], {f: [] for f in FORMATS}, 0
            for _ in range(runs):
                t = time.perf_counter()
                report = run_report(defn, cold)
                run_s.append(time.perf_counter() - t)
                if not report.ok:
                    raise RuntimeError(f"report {name} failed: {report.errors}")
                charts = len(report.charts)
                for fmt in FORMATS:
                    t = time.perf_counter()
                    render(report, fmt, settings=cold)
                    render_s[fmt].append(time.perf_counter() - t)
            entry = {"run_ms": _ms(statistics.median(run_s)), "charts": charts,
                     "render_ms": {f: _ms(statistics.median(v)) for f, v in render_s.items()}}
            entry["total_ms"] = round(entry["run_ms"] + sum(entry["render_ms"].values()), 1)
            results["reports"][name] = entry

        def full_set(settings) -> float:
            t = time.perf_counter()
            for defn in BUILTIN.values():
                report = run_report(defn, settings)
                render(report, "html", settings=settings)
            return time.perf_counter() - t

        results["full_set_cold_ms"] = _ms(statistics.median([full_set(cold) for _ in range(runs)]))
        full_set(warm)                                   # fill the result cache
        results["full_set_warm_ms"] = _ms(statistics.median([full_set(warm) for _ in range(runs)]))
    return results


def main() -> None:
    import json

    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    db = Path(args[0]) if args else ROOT / "bench" / "scratch" / f"demo-s1000-seed42-{AS_OF}.duckdb"
    if not db.exists():
        sys.exit(f"no warehouse at {db} (run `make bench` once, or pass a DuckDB file)")
    res = run("--quick" in sys.argv, db)
    print(f"{'report':12} {'run ms':>9} {'html ms':>9} {'charts':>6} {'total ms':>9}")
    for name, e in res["reports"].items():
        print(f"{name:12} {e['run_ms']:9.1f} {e['render_ms']['html']:9.1f} {e['charts']:6d} {e['total_ms']:9.1f}")
    print(f"full set: {res['full_set_cold_ms']:.0f} ms cold (no cache), {res['full_set_warm_ms']:.0f} ms warm; "
          f"matplotlib import {res['matplotlib_import_ms']:.0f} ms")
    print(json.dumps(res, indent=2))


if __name__ == "__main__":
    main()
