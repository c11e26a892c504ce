"""`revops model check` at scale 1000 (≈1M opportunities): the issue's budget is under 5 s.

Measured in process (the check itself, not Python's start-up), median of a few runs, on the canonical demo
warehouse; plus one measure-planner query (bookings and revenue by segment and fiscal quarter).
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from datetime import date
from pathlib import Path


def run(quick: bool, db: Path) -> dict:
    home = Path(tempfile.mkdtemp(prefix="revops-bench-model-"))
    os.environ.update({"REVOPS_HOME": str(home), "REVOPS_DUCKDB_PATH": str(db), "REVOPS_AS_OF": "2026-11-24"})
    from revops_cli.config import load_settings
    from revops_cli.model.check import check_model
    from revops_cli.model.loader import load_model
    from revops_cli.model.planner import ModelQuery, plan_query
    from revops_cli.warehouse.connect import open_warehouse

    settings = load_settings()
    wh = open_warehouse(settings).inner
    runs = 2 if quick else 4
    samples = []
    report = None
    for _ in range(runs):
        t = time.perf_counter()
        report = check_model(settings, wh)
        samples.append(time.perf_counter() - t)
    plan = plan_query(load_model(settings), ModelQuery(
        ["bookings", "revenue", "net_revenue_retention"], ["segment", "time:quarter"],
        period=(date(2025, 12, 1), date(2026, 11, 30))), fiscal_year_start_month=2)
    wh.query(plan.sql, plan.params)
    planned = []
    for _ in range(runs):
        t = time.perf_counter()
        wh.query(plan.sql, plan.params)
        planned.append(time.perf_counter() - t)
    wh.close()
    check_s = statistics.median(samples)
    return {"model_check_s": round(check_s, 2), "goal_s": 5.0, "within_goal": check_s < 5.0,
            "ok": bool(report and report.ok),
            "planner_bookings_revenue_nrr_by_segment_quarter_ms": round(statistics.median(planned) * 1000, 1)}
