"""Compiled Jinja templates kept on disk between runs, so a short CLI process does not recompile them.

Jinja's own FileSystemBytecodeCache serves loader templates (the answer wording); SQL patterns are
compiled from strings, which Jinja never caches, so `compile_string` does the same for them: the code
object is marshalled under <home>/cache/jinja, keyed by the source and the Jinja and Python versions.
Any problem with the folder just means compiling as usual.
"""

from __future__ import annotations

import hashlib
import marshal
import os
import sys
from pathlib import Path
from typing import Any


def cache_dir() -> Path | None:
    from revops_cli.config import user_home

    path = user_home() / "cache" / "jinja"
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return path


def loader_cache():
    """A bytecode cache for Environment(bytecode_cache=...), or None when the folder is unusable."""
    from jinja2 import FileSystemBytecodeCache

    path = cache_dir()
    return FileSystemBytecodeCache(str(path)) if path else None


def compile_string(env: Any, source: str) -> Any:
    """env.from_string(source), reusing the compiled code from an earlier process when it exists."""
    import jinja2

    path = cache_dir()
    if path is None:
        return env.from_string(source)
    key = hashlib.sha256(f"{jinja2.__version__}|{sys.version}|{type(env).__name__}|{source}".encode()).hexdigest()
    file = path / f"{key[:32]}.code"
    code = None
    try:
        code = marshal.loads(file.read_bytes())
    except (OSError, ValueError, EOFError, TypeError):
        code = None
    if code is None:
        code = env.compile(source)                      # raises TemplateSyntaxError as from_string would
        try:
            tmp = file.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_bytes(marshal.dumps(code))
            os.replace(tmp, file)
        except OSError:
            pass
    return env.template_class.from_code(env, code, env.make_globals(None), None)
