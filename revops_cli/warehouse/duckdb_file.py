"""Writing a whole DuckDB file (the demo warehouse, a shaped warehouse) so that a reader never sees half of it:
build under a temporary name beside the target, then move it into place; on any failure remove it."""

from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator


def remove(path: Path) -> None:
    """Delete a DuckDB file and its write-ahead log, if they exist."""
    for p in (path, Path(str(path) + ".wal")):
        try:
            p.unlink()
        except FileNotFoundError:
            pass


@contextmanager
def written_atomically(path: Path, what: str) -> Iterator:
    """A connection to a fresh file that becomes `path` when the block ends without an error.

    A DuckDB error becomes a WarehouseError naming `what` ("demo data generation", …); the temporary file is
    removed on every failure, Ctrl-C included."""
    import duckdb

    from revops_cli.errors import WarehouseError

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    remove(tmp)
    con = duckdb.connect(str(tmp))
    try:
        con.execute("SET enable_progress_bar = false")      # cron and pipes: no progress output
        yield con
        con.execute("CHECKPOINT")
        con.close()
        os.replace(tmp, path)
    except duckdb.Error as exc:
        con.close()
        remove(tmp)
        raise WarehouseError(f"{what} failed: {str(exc).splitlines()[0]}",
                             "check free disk space and that the target folder is writable") from exc
    except BaseException:
        con.close()
        remove(tmp)
        raise
