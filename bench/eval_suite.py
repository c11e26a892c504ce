"""`revops eval` on the whole shipped suite, as a user runs it: one process, the demo warehouse (scale 1),
the local backend. Goal (issue 13): under 2 minutes on this 2-core machine. Also records the pass rate per
category, so bench/results.json shows the suite's accuracy next to its speed."""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
import time
from pathlib import Path


def run(quick: bool, db: Path, revops: str, as_of: str) -> dict:
    home = Path(tempfile.mkdtemp(prefix="revops-bench-eval-"))
    env = {**os.environ, "REVOPS_HOME": str(home), "REVOPS_DUCKDB_PATH": str(db), "REVOPS_AS_OF": as_of,
           "NO_COLOR": "1"}
    t = time.perf_counter()
    proc = subprocess.run([revops, "eval", "--format", "json", "--min-pass", "0"], env=env, capture_output=True,
                          text=True, check=True)
    took = time.perf_counter() - t
    doc = json.loads(proc.stdout)
    return {"seconds": round(took, 1), "goal_seconds": 120, "cases": doc["total"], "passed": doc["passed"],
            "pass_rate": doc["pass_rate"], "holdout_pass_rate": doc["holdout"]["pass_rate"],
            "categories": {k: v["pass_rate"] for k, v in doc["categories"].items()}}
