"""The answer worker processes (`slack.worker_mode = process`, the default).

`SlackBot` starts a ProcessPoolExecutor (spawn) with `init_worker` as its initializer: each process sets up
redacted logging, its own Web API client, state file and conversation log, and an `Answerer`. The bot then
submits `ping` (to start the processes at once) and `answer(job)`. These are pickled by qualified name
(`revops_cli.channels.slack.workers.init_worker`), so they stay module-level functions of this module.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from pathlib import Path
from typing import Any

from revops_cli.channels.slack.answerer import Answerer, Job
from revops_cli.redaction import install_log_redaction, redacting_handler
from revops_cli.channels.slack.state import SlackState

WORKER_NICENESS = 10            # answer processes yield the CPU to the process that acks

_WORKER: Answerer | None = None


def init_worker(settings: Any, bot_token: str, api_url: str, log_level: int, secrets: list[str],
                parent_pid: int) -> None:
    """In each answer process: logging (redacted), a Web API client, the state file, the conversation log."""
    global _WORKER
    from revops_cli.connectors.slack_client import web_client

    try:
        os.nice(WORKER_NICENESS)     # answers are background work: the acks get the CPU first
    except (AttributeError, OSError):
        pass
    _die_with_parent(parent_pid)

    from revops_cli.service import open_log

    root = logging.getLogger()
    root.setLevel(log_level)
    if not root.handlers:
        root.addHandler(redacting_handler(log_level))
    install_log_redaction(*secrets)
    settings.data.setdefault("slack", {})
    state = SlackState(Path(settings.get("slack.state_path") or settings.home / "slack.db"))
    _WORKER = Answerer(settings, web_client(bot_token, api_url, 30), state, open_log(settings))


def _die_with_parent(parent_pid: int) -> None:
    """Exit this worker when the bot's process is gone, even if it was killed with no chance to stop us."""
    def watch() -> None:
        while True:
            time.sleep(1.0)
            if os.getppid() != parent_pid:
                os._exit(0)

    threading.Thread(target=watch, name="slack-worker-watchdog", daemon=True).start()


def ping() -> bool:
    return _WORKER is not None


def answer(job: Job) -> None:
    assert _WORKER is not None, "answer worker not initialised"
    _WORKER.answer(job)
