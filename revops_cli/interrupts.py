"""Stopping a running query at once on Ctrl-C, SIGTERM or its time limit.

A blocking database call (DuckDB's `execute`) keeps the main thread inside C code, where Python cannot run
its signal handlers: Ctrl-C would wait for the query to end. `run_interruptible` runs the call in a worker
thread while the calling thread waits, so the signal is delivered to the waiting thread, which then stops
the query through the database's own `interrupt()` and lets the exception (KeyboardInterrupt, Terminated)
go on to the CLI: exit 130 for Ctrl-C, 143 for SIGTERM, one line, nothing written to the cache.
"""

from __future__ import annotations

import signal
import threading
from typing import Any, Callable, TypeVar

T = TypeVar("T")


class QueryTimedOut(Exception):
    """The query ran past its time limit and was stopped."""


class Terminated(BaseException):
    """SIGTERM arrived (the CLI exits 143, like Ctrl-C's 130)."""


def run_interruptible(work: Callable[[], T], interrupt: Callable[[], None], timeout_s: float | None) -> T:
    """Run `work` in a worker thread and wait for it, so Ctrl-C and SIGTERM reach the waiting thread.

    At the time limit, or when the wait is broken by an exception (KeyboardInterrupt, Terminated), the
    query is stopped with `interrupt()` (repeated until the worker returns, so an interrupt that lands
    just before the query starts is not lost), and the wait resumes for the worker to finish. A timeout
    raises QueryTimedOut; a signal re-raises its exception; the worker's own error is re-raised as is.
    The wait is on an Event, not Thread.join: a join broken by a signal marks a running thread as stopped
    (Python < 3.13).
    """
    box: dict[str, Any] = {}
    done = threading.Event()

    def target() -> None:
        try:
            box["value"] = work()
        except BaseException as exc:        # noqa: BLE001 - handed to the waiting thread
            box["error"] = exc
        finally:
            done.set()

    threading.Thread(target=target, name="revops-query", daemon=True).start()
    try:
        finished = done.wait(timeout_s if timeout_s and timeout_s > 0 else None)
        if not finished:
            _stop(done, interrupt)
    except BaseException:
        _stop(done, interrupt)
        raise
    if not finished:
        raise QueryTimedOut()
    if "error" in box:
        raise box["error"]
    return box["value"]


def _stop(done: threading.Event, interrupt: Callable[[], None]) -> None:
    while not done.is_set():
        try:
            interrupt()
        except Exception:                   # noqa: BLE001 - a closed connection: nothing left to stop
            pass
        done.wait(0.2)


_RECEIVED: list[int] = []


def last_signal() -> int | None:
    """The last SIGINT/SIGTERM the CLI's handlers saw in this process, or None."""
    return _RECEIVED[-1] if _RECEIVED else None


def install_cli_handlers() -> None:
    """In the CLI's main thread: note Ctrl-C (still a KeyboardInterrupt, so the CLI can say "interrupted"
    even where typer turns it into a bare exit 130), and make SIGTERM raise Terminated (a one-line exit 143)
    instead of killing the process mid-write. Only where nobody has set a handler; the servers and workers
    set their own while they run."""
    if threading.current_thread() is not threading.main_thread():
        return

    def on_sigint(signum: int, frame: Any) -> None:
        _RECEIVED.append(signum)
        raise KeyboardInterrupt()

    def on_sigterm(signum: int, frame: Any) -> None:
        _RECEIVED.append(signum)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)     # a second SIGTERM kills at once
        raise Terminated()

    try:
        if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
            signal.signal(signal.SIGINT, on_sigint)
        if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
            signal.signal(signal.SIGTERM, on_sigterm)
    except (ValueError, OSError, AttributeError):
        pass
