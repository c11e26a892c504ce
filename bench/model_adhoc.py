"""Ad-hoc breakdowns (the measure planner, through `revops ask`) on a shaped warehouse: the reference system's
dwh_prod schema with the reference-v5 preset, against the canonical warehouse the shape was built from, in one
warm process, result cache off, runs interleaved. Reported as ratios (shaped / canonical) of the same run."""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
QUESTIONS = {
    "open_deals_by_region": "open deal count by region",
    "bookings_by_region_quarters": "bookings by region for the last four quarters",
    "top_industries_open_pipeline": "top 3 industries by open pipeline",
}


def run(quick: bool, canonical: Path, as_of: str = "2026-11-24") -> dict:
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(ROOT / "bench"))
    from bench.run import interleaved
    from model_check import shaped_warehouse
    from revops_cli import service
    from revops_cli.config import load_settings
    from revops_cli.models import Request
    from revops_cli.warehouse.connect import open_warehouse

    shaped = shaped_warehouse(canonical)
    runs = 3 if quick else 7
    sides = {}
    for label, db in (("canonical", canonical), ("reference_v5", shaped)):
        home = Path(tempfile.mkdtemp(prefix=f"revops-bench-adhoc-{label}-"))
        os.environ.update(REVOPS_HOME=str(home), REVOPS_DUCKDB_PATH=str(db), REVOPS_AS_OF=as_of,
                          REVOPS_CACHE__ENABLED="false")
        if label == "reference_v5":
            os.environ["REVOPS_MODEL__PRESET"] = "reference-v5"
        else:
            os.environ.pop("REVOPS_MODEL__PRESET", None)
        settings = load_settings()
        sides[label] = (settings, open_warehouse(settings))
    for var in ("REVOPS_CACHE__ENABLED", "REVOPS_MODEL__PRESET"):
        os.environ.pop(var, None)

    def ask(label: str, what: str) -> float:
        settings, wh = sides[label]
        started = time.perf_counter()
        a = service.ask(Request(text=QUESTIONS[what]), settings, warehouse=wh, log=None)
        assert a.ok and (a.data or {}).get("analysis") == "adhoc", (label, what, a.text[:300])
        return time.perf_counter() - started

    out: dict = interleaved(ask, list(sides), list(QUESTIONS), runs)
    for _, wh in sides.values():
        wh.close()
    for what in QUESTIONS:
        out[f"{what}_ratio"] = round(out[f"reference_v5_{what}_ms"] / out[f"canonical_{what}_ms"], 2)
    return out


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    from bench.run import warehouse

    scale = float(sys.argv[1]) if len(sys.argv) > 1 else 1000
    print(run("--quick" in sys.argv, warehouse(scale)))
