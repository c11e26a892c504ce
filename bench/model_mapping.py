"""The semantic model's cost: a deal answer and the risk-factor analysis on a mapped warehouse (the same data
under other names, TCV amounts, soft-deleted rows, a billing query; tests/model/mapped.py) against the canonical
warehouse it was built from, in one warm process, result cache off. Goal (issue 12): at most 1.5x."""

from __future__ import annotations

import hashlib
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def mapped_warehouse(canonical: Path) -> Path:
    sys.path.insert(0, str(ROOT))
    from tests.model import mapped

    version = hashlib.sha256(Path(mapped.__file__).read_bytes()).hexdigest()[:8]
    path = canonical.with_name(f"{canonical.stem}-mapped-{version}.duckdb")
    if not path.exists():
        tmp = path.with_suffix(".tmp")
        tmp.unlink(missing_ok=True)
        mapped.build(canonical, tmp)
        tmp.rename(path)
    return path


def run(quick: bool, canonical: Path, as_of: str = "2026-11-24") -> dict:
    """Canonical and mapped runs interleaved (a busy machine slows both alike), medians compared."""
    sys.path.insert(0, str(ROOT))
    from bench.run import interleaved
    from revops_cli import service
    from revops_cli.config import load_settings
    from revops_cli.models import Request
    from revops_cli.warehouse.connect import open_warehouse
    from tests.model import mapped

    mapped_db = mapped_warehouse(canonical)
    runs = 3 if quick else 7
    sides = {}
    for label, db in (("canonical", canonical), ("mapped", mapped_db)):
        home = Path(tempfile.mkdtemp(prefix=f"revops-bench-{label}-"))
        if label == "mapped":
            mapped.write_model(home / "model")
        os.environ.update(REVOPS_HOME=str(home), REVOPS_DUCKDB_PATH=str(db), REVOPS_AS_OF=as_of,
                          REVOPS_CACHE__ENABLED="false")
        settings = load_settings()
        sides[label] = (settings, open_warehouse(settings))
    os.environ.pop("REVOPS_CACHE__ENABLED", None)
    questions = {"deal_answer": ("status of the IXIS deal", "deal_analysis", {"name": "IXIS"}),
                 "risk_factors": ("what are the main risk factors for deals closing this quarter?", None, {})}

    def ask(label: str, what: str) -> float:
        settings, wh = sides[label]
        text, agent, params = questions[what]
        started = time.perf_counter()
        a = service.ask(Request(text=text, agent=agent, params=params), settings, warehouse=wh, log=None)
        assert a.ok, a.error
        return time.perf_counter() - started

    out: dict = interleaved(ask, list(sides), list(questions), runs)
    for _, wh in sides.values():
        wh.close()
    for what in questions:
        out[f"{what}_ratio"] = round(out[f"mapped_{what}_ms"] / out[f"canonical_{what}_ms"], 2)
    out["goal"] = "ratios <= 1.5"
    return out


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    from bench.run import warehouse

    scale = float(sys.argv[1]) if len(sys.argv) > 1 else 1000
    print(run("--quick" in sys.argv, warehouse(scale)))
