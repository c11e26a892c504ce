"""Files revops writes are readable by their owner only: 0600 files in 0700 folders.

Every writer uses these: the conversation log, the webhook queue and status store, the Slack state, the result
cache, the CRM outbox, conversation exports, pending actions and key files.

- `private_dir(path)` creates a folder (and its missing parents) 0700; an existing folder is tightened to
  0700 only with `tighten=True` (the revops home, `REVOPS_HOME`, is; a folder the user named for an export
  or a database path is not);
- `private_file(path)` chmods an existing file to 0600;
- `create_private(path)` creates an empty file 0600 if it does not exist (before SQLite or DuckDB opens it);
- `open_private(path, "wb")` opens a file for writing, created 0600 (exports, key files);
- `secure_sqlite(path)` before and after opening a SQLite database: the file is created 0600 first, so
  SQLite creates its `-wal`, `-shm` and `-journal` files with the same mode (it copies the database's
  permissions); any that exist already are chmodded too (files made by an older version).

Failures to chmod (a file owned by someone else, a filesystem without modes) are ignored: the file still
works, and the folder's 0700 is the main protection.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import IO, Any

FILE_MODE = 0o600
DIR_MODE = 0o700
SQLITE_SIDE_FILES = ("-wal", "-shm", "-journal")


def private_dir(path: Path | str, *, tighten: bool | None = None) -> Path:
    """Make `path` (and its missing parents) with mode 0700; with `tighten`, chmod an existing one to 0700
    (by default: only the revops home)."""
    p = Path(path).expanduser()
    missing = []
    q = p
    while not q.exists() and q != q.parent:
        missing.append(q)
        q = q.parent
    for d in reversed(missing):
        try:
            d.mkdir(mode=DIR_MODE)
        except FileExistsError:
            pass
        _chmod(d, DIR_MODE)              # mkdir's mode is filtered by the umask
    if tighten is None:
        tighten = is_revops_home(p)
    if tighten and not missing:
        _chmod(p, DIR_MODE)
    return p


def private_file(path: Path | str) -> None:
    """chmod an existing file to 0600 (nothing when it does not exist)."""
    _chmod(Path(path), FILE_MODE)


def create_private(path: Path | str) -> Path:
    """Create `path` empty with mode 0600 if it does not exist (its folder 0700 if missing); tighten it if it does."""
    p = Path(path).expanduser()
    private_dir(p.parent)
    try:
        fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
        os.close(fd)
    except FileExistsError:
        pass
    _chmod(p, FILE_MODE)
    return p


def open_private(path: Path | str, mode: str = "wb") -> IO[Any]:
    """`open(path, mode)` for writing, the file created (or truncated) with mode 0600."""
    flags = os.O_WRONLY | os.O_CREAT | (os.O_APPEND if "a" in mode else os.O_TRUNC)
    fd = os.open(path, flags, FILE_MODE)
    try:
        if os.fstat(fd).st_mode & 0o077:
            os.fchmod(fd, FILE_MODE)
    except OSError:
        pass
    return os.fdopen(fd, mode)


def secure_sqlite(path: Path | str) -> Path:
    """Call before `sqlite3.connect(path)` and again after setting WAL mode: the database and its side files
    are 0600, in a 0700 folder if revops makes it."""
    p = Path(path).expanduser()
    create_private(p)
    for suffix in SQLITE_SIDE_FILES:
        side = p.with_name(p.name + suffix)
        if side.exists():
            _chmod(side, FILE_MODE)
    return p


def secure_duckdb(path: Path | str) -> None:
    """After DuckDB opened (and maybe created) a database: the file and its `.wal` are 0600."""
    p = Path(path)
    for f in (p, p.with_name(p.name + ".wal")):
        if f.exists():
            _chmod(f, FILE_MODE)


def is_revops_home(path: Path | str) -> bool:
    """True for the revops user dir (`REVOPS_HOME`, default ~/.revops): revops owns it, so it is tightened."""
    from revops_cli.config import user_home

    try:
        return Path(path).expanduser().resolve() == user_home().resolve()
    except OSError:
        return False


def _chmod(path: Path, mode: int) -> None:
    try:
        st = path.stat()
        if st.st_mode & 0o777 != mode and st.st_uid == os.getuid():
            os.chmod(path, mode)
    except (OSError, AttributeError):
        pass
