"""Shared fixtures: every test runs against its own user dir, never ~/.revops."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

AS_OF = date(2026, 11, 24)
SEEDS = [42, 7]


def pytest_terminal_summary(terminalreporter):
    """The eval suite's report on each seed (accuracy per category and every miss) at the end of every run, passed
    or failed: a test stores it as the user property `eval_report` (it travels from xdist workers too)."""
    for status in ("passed", "failed"):
        for rep in terminalreporter.stats.get(status, []):
            for name, text in getattr(rep, "user_properties", ()):
                if name == "eval_report":
                    terminalreporter.write_sep("-", f"revops eval: {rep.nodeid}")
                    terminalreporter.write_line(text)


@pytest.fixture(autouse=True)
def revops_home(tmp_path, monkeypatch) -> Path:
    home = tmp_path / "revops-home"
    home.mkdir()
    monkeypatch.setenv("REVOPS_HOME", str(home))
    monkeypatch.setenv("REVOPS_AS_OF", AS_OF.isoformat())
    for var in list(__import__("os").environ):
        if var.startswith("REVOPS_") and var not in ("REVOPS_HOME", "REVOPS_AS_OF"):
            monkeypatch.delenv(var, raising=False)
    monkeypatch.chdir(tmp_path)
    return home


@pytest.fixture(scope="session", params=SEEDS, ids=lambda s: f"seed{s}")
def demo_db(request, tmp_path_factory) -> Path:
    """A demo warehouse per seed (scale 0.3), shared by the whole session. Read-only: never write to it."""
    from revops_cli.warehouse.demo_data import generate

    path = tmp_path_factory.mktemp(f"demo{request.param}") / "demo.duckdb"
    generate(path, scale=0.3, seed=request.param, as_of=AS_OF)
    return path


@pytest.fixture
def settings_for(revops_home, monkeypatch):
    """Settings pointing at a given demo warehouse file."""
    def make(db: Path, **env: str):
        from revops_cli.config import load_settings

        monkeypatch.setenv("REVOPS_DUCKDB_PATH", str(db))
        for k, v in env.items():
            monkeypatch.setenv(k, v)
        return load_settings()
    return make


@pytest.fixture(scope="session")
def reference_db(demo_db, tmp_path_factory) -> Path:
    """The demo warehouse of `demo_db` (same seed) rewritten into the reference system's dwh_prod schema."""
    from revops_cli.warehouse.shapes import build_shape

    path = tmp_path_factory.mktemp("ref") / "dwh_prod.duckdb"
    build_shape(demo_db, path, "reference-v5", seed=_seed_of(demo_db), as_of=AS_OF)
    return path


@pytest.fixture(scope="session")
def fivetran_db(demo_db, tmp_path_factory) -> Path:
    """The demo warehouse of `demo_db` (same seed) rewritten into Fivetran's Salesforce connector schema."""
    from revops_cli.warehouse.shapes import build_shape

    path = tmp_path_factory.mktemp("fivetran") / "salesforce.duckdb"
    build_shape(demo_db, path, "fivetran-salesforce", seed=_seed_of(demo_db), as_of=AS_OF)
    return path


def _seed_of(demo_db: Path) -> int:
    """The seed `demo_db` was generated with (its folder is demo<seed><n>)."""
    name = demo_db.parent.name[len("demo"):]
    return next(s for s in SEEDS if name.startswith(str(s)))


@pytest.fixture
def asker(demo_db, settings_for):
    """Ask through `service.ask` on `demo_db`; a `session` keeps the conversation (follow-ups)."""
    settings = settings_for(demo_db)

    def ask(text: str, session: str | None = None):
        from revops_cli.models import Request
        from revops_cli.service import ask as service_ask

        return service_ask(Request(text=text, session_id=session), settings, log="default" if session else None)
    return ask


@pytest.fixture
def sql(demo_db):
    """Rows of a query on `demo_db`, a read-only connection per query (revops opens the same file too)."""
    def run(query: str, *params):
        import duckdb

        con = duckdb.connect(str(demo_db), read_only=True)
        try:
            return con.execute(query, list(params)).fetchall()
        finally:
            con.close()
    return run


@pytest.fixture
def sql_rows(demo_db):
    """Like `sql`, each row a dict by column name; the connection is configured like revops' own read-only one, so
    both may have the file open at once."""
    def run(query: str, *params):
        import duckdb

        con = duckdb.connect(str(demo_db), read_only=True, config={"enable_external_access": False})
        try:
            cur = con.execute(query, list(params))
            cols = [d[0] for d in cur.description]
            return [dict(zip(cols, r)) for r in cur.fetchall()]
        finally:
            con.close()
    return run
