"""The files revops keeps beside the warehouse (result cache, conversation log, Slack state): what happens
when one is damaged or cannot be written. The rule: a damaged side file never blocks an answer.

- A file that cannot be opened as what it should be (not a database, truncated, a failed migration) is
  moved aside to `<name>.corrupt-<UTC timestamp>` (with its WAL/journal companions), kept for inspection,
  and a new one is started; one warning line names both.
- A write that fails (disk full, read-only, permission) loses only that write: the answer is still given,
  and one warning line says what was not saved.

Warnings go to stderr as `revops: warning: ...` (the servers' log is stderr too); the service also adds
them to the answer's trace as notes.
"""

from __future__ import annotations

import errno
import os
import re
import shutil
import sys
import time
from pathlib import Path

# Companion files a database keeps next to its main file (SQLite WAL/shared memory/rollback journal, DuckDB WAL).
COMPANIONS = ("-wal", "-shm", "-journal", ".wal")

# Error texts that say the machine, not the file, is the problem: never move a file aside for these.
_ENVIRONMENT_WORDS = ("no space left", "disk is full", "disk full", "quota", "permission denied", "read-only",
                      "readonly", "operation not permitted", "too many open files", "not a directory",
                      "is a directory", "unable to open database file", "cannot open file", "disk i/o error")
PROBE_BYTES = 64 * 1024
# Another process holds the file ("Could not set lock", "database is locked", "busy"); not "block".
_LOCK_PATTERN = re.compile(r"\block(ed|s)?\b|conflicting|being used|\bbusy\b", re.IGNORECASE)
# DuckDB's long messages (they repeat the path), shortened.
_SHORT_REASONS = (("not a valid duckdb database file", "not a DuckDB database file"),
                  ("could not read enough bytes", "truncated: could not read enough bytes"),
                  ("trying to read a database file with version number", "written by another DuckDB version"),
                  ("no space left on device", "no space left on device"))


def aside_path(path: Path, now: float | None = None) -> Path:
    """`<name>.corrupt-<YYYYmmddTHHMMSSZ>`, with `-2`, `-3`... when that name is taken."""
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(time.time() if now is None else now))
    candidate = path.with_name(f"{path.name}.corrupt-{stamp}")
    n = 2
    while candidate.exists():
        candidate = path.with_name(f"{path.name}.corrupt-{stamp}-{n}")
        n += 1
    return candidate


def move_aside(path: Path) -> Path:
    """Rename a damaged file (and its companions) out of the way; returns the new name of the main file."""
    path = Path(path)
    target = aside_path(path)
    os.replace(path, target)
    for suffix in COMPANIONS:
        companion = path.with_name(path.name + suffix)
        if companion.exists():
            try:
                os.replace(companion, target.with_name(target.name + suffix))
            except OSError:
                companion.unlink(missing_ok=True)
    return target


def remove_with_companions(path: Path) -> list[Path]:
    """Delete a file and its companions; returns what was deleted."""
    removed = []
    for p in [Path(path)] + [Path(path).with_name(Path(path).name + s) for s in COMPANIONS]:
        try:
            p.unlink()
            removed.append(p)
        except FileNotFoundError:
            pass
    return removed


def warn(message: str) -> None:
    """One warning line on stderr."""
    try:
        print(f"revops: warning: {message}", file=sys.stderr, flush=True)
    except (OSError, ValueError):      # stderr closed or full: the warning is the one thing we can lose
        pass


def reason(exc: BaseException) -> str:
    """A short, path-free reason for a failure: `no space left on device`, `file is not a database`..."""
    if isinstance(exc, OSError) and exc.errno is not None:
        return os.strerror(exc.errno).lower()
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    lowered = text.lower()
    for known, short in _SHORT_REASONS:
        if known in lowered:
            return short
    text = re.sub(r'"/[^"]*"', "the file", text)
    for prefix in ("IO Error: ", "Serialization Error: ", "INTERNAL Error: ", "Invalid Input Error: "):
        if text.startswith(prefix):
            text = text[len(prefix):]
    return text[:200]


def explain(exc: BaseException, path: Path) -> str:
    """`reason(exc)`, plus `; the disk is full` when it does not say so and the folder has no room left
    (SQLite reports a full disk met while growing its WAL as a `disk I/O error`)."""
    text = reason(exc)
    if not is_disk_full(exc):
        try:
            if shutil.disk_usage(Path(path).parent).free < PROBE_BYTES:
                text += "; the disk is full"
        except OSError:
            pass
    return text


def empty_file(path: Path) -> bool:
    try:
        return Path(path).stat().st_size == 0
    except OSError:
        return False


def is_disk_full(exc: BaseException) -> bool:
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return True
    text = str(exc).lower()
    return "no space left" in text or "disk is full" in text or "disk full" in text


def is_lock(exc: BaseException) -> bool:
    return _LOCK_PATTERN.search(str(exc)) is not None


def is_environment(exc: BaseException) -> bool:
    """The failure comes from the machine (disk full, permissions, read-only), not from the file's content."""
    if isinstance(exc, OSError) and not type(exc).__module__.startswith(("duckdb", "_duckdb", "sqlite3")):
        return True
    text = str(exc).lower()
    return any(w in text for w in _ENVIRONMENT_WORDS)


def is_damage(exc: BaseException) -> bool:
    """The file's content is the problem (not a database, truncated, wrong version, malformed)."""
    return not is_lock(exc) and not is_environment(exc)


def write_problem(folder: Path) -> str | None:
    """Why new data cannot be written in `folder` now (`no space left on device`, `read-only file system`,
    a missing folder; without the path), or None. Writes and removes a 64 KiB probe file: a readiness check, not a guess
    from free-space numbers."""
    folder = Path(folder)
    probe = folder / f".revops-write-probe-{os.getpid()}"
    try:
        fd = os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.write(fd, b"\0" * PROBE_BYTES)
        finally:
            os.close(fd)
        return None
    except OSError as exc:
        return reason(exc)
    finally:
        try:
            probe.unlink()
        except OSError:
            pass
