"""Finding 5 of the safety review: damaged side files (cache, conversation log, REVOPS_HOME, revops.yaml, a
full disk) made every question exit 1 with "unexpected ... report it", and `revops cache clear` failed too.

Written from the side of someone who breaks the files: random bytes, truncation, a flipped header byte, a
foreign schema, a file where the folder should be, a read-only mount, a binary config, a full tmpfs (we
mount one when the machine allows; a simulated ENOSPC otherwise, and as well). The rule under test: the
answer is always given; one warning line says what happened; a damaged file is kept under a new name."""

from __future__ import annotations

import contextlib
import errno
import json
import os
import sqlite3
import subprocess
import uuid
from pathlib import Path

import pytest

from cli import run

QUESTION = ("deal", "IXIS", "-f", "json")


@pytest.fixture
def wh(demo_db, settings_for):
    settings_for(demo_db)
    return demo_db


def warnings_of(err: str) -> list[str]:
    return [line for line in err.splitlines() if line.startswith("revops: warning: ")]


def answered(r) -> dict:
    assert r.code == 0, r.err
    assert "unexpected" not in r.err and "Traceback" not in r.err
    doc = r.json()
    assert doc["ok"] is True and doc["agent"] == "deal_analysis" and "The Dry Numbers" in doc["answer"]
    return doc


def notes(doc: dict) -> list[str]:
    return [s["detail"] for s in doc["trace"] if s["kind"] == "note"]


def aside_files(folder: Path, name: str) -> list[Path]:
    """The moved-aside main files (their WAL/journal companions travel with them)."""
    return sorted(p for p in folder.glob(f"{name}.corrupt-*") if not p.name.endswith(("-wal", "-shm", "-journal", ".wal")))


def cache_entries(path: Path) -> int:
    import duckdb

    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute("SELECT count(*) FROM entries").fetchone()[0]
    finally:
        con.close()


def one_error_line(r, *needles: str) -> str:
    """Exit 3, an `Error:` line naming what to fix (plus at most the usual hint line), no traceback."""
    assert r.code == 3, (r.code, r.out, r.err)
    lines = r.err.strip().splitlines()
    assert lines and lines[0].startswith("Error: "), r.err
    assert len(lines) <= 2 and (len(lines) == 1 or lines[1].startswith("  hint: ")), r.err
    assert "unexpected" not in r.err and "Traceback" not in r.err
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])
    return lines[0]


# ------------------------------------------------------------------------------------------------ cache

def _random_bytes(data: bytes) -> bytes:
    return os.urandom(20_000)


def _truncated_header(data: bytes) -> bytes:
    return data[:100]


def _truncated_half(data: bytes) -> bytes:
    return data[: len(data) // 2]


def _flipped_header_byte(data: bytes) -> bytes:
    b = bytearray(data)
    b[20] ^= 0xFF           # inside the main header: its checksum no longer matches
    return bytes(b)


@pytest.mark.parametrize("damage", [_random_bytes, _truncated_header, _truncated_half, _flipped_header_byte],
                         ids=["random-bytes", "truncated-header", "truncated-half", "flipped-header-byte"])
def test_damaged_cache_is_moved_aside_and_the_answer_still_given(capsys, wh, revops_home, damage):
    first = answered(run(capsys, *QUESTION))
    cache = revops_home / "cache.duckdb"
    assert cache_entries(cache) > 0
    broken = damage(cache.read_bytes())
    cache.write_bytes(broken)

    r = run(capsys, *QUESTION)
    doc = answered(r)
    assert doc["data"]["opportunity"] == first["data"]["opportunity"]       # the same answer, from the warehouse
    (moved,) = aside_files(revops_home, "cache.duckdb")
    assert moved.read_bytes() == broken                                      # kept as it was, for inspection
    (warning,) = warnings_of(r.err)
    assert str(cache) in warning and moved.name in warning and "result cache" in warning
    assert any(moved.name in n for n in notes(doc))                          # and in the answer's trace

    again = run(capsys, *QUESTION)                                           # the new cache works: clean run
    answered(again)
    assert warnings_of(again.err) == [] and cache_entries(cache) > 0
    assert aside_files(revops_home, "cache.duckdb") == [moved]


def test_cache_clear_works_on_a_damaged_cache(capsys, wh, revops_home):
    answered(run(capsys, *QUESTION))
    cache = revops_home / "cache.duckdb"
    cache.write_bytes(os.urandom(5000))
    Path(str(cache) + ".wal").write_bytes(os.urandom(300))

    r = run(capsys, "cache", "clear")
    assert r.code == 0, r.err
    assert "deleted the damaged cache file" in r.out and str(cache) in r.out
    (warning,) = warnings_of(r.err)
    assert str(cache) in warning and "cache.duckdb.wal" in warning
    assert not cache.exists() and not Path(str(cache) + ".wal").exists()

    stats = run(capsys, "cache", "stats", "-f", "json")
    assert stats.code == 0 and stats.json()["entries"] == 0
    answered(run(capsys, *QUESTION))
    assert cache_entries(cache) > 0


def test_cache_clear_on_a_good_cache_still_counts(capsys, wh, revops_home):
    answered(run(capsys, *QUESTION))
    n = cache_entries(revops_home / "cache.duckdb")
    r = run(capsys, "cache", "clear")
    assert r.code == 0 and r.out.strip() == f"cleared {n} cache entries" and warnings_of(r.err) == []


# ------------------------------------------------------------------------------------ conversation log

def _foreign_schema(path: Path) -> None:
    """A SQLite file whose `conversations` table is not ours: migration 1 fails on it."""
    path.unlink(missing_ok=True)
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE conversations (x INTEGER)")
    con.execute("INSERT INTO conversations VALUES (1)")
    con.commit()
    con.close()


def _log_with_history(capsys) -> None:
    for q in ("how is the IXIS deal?", "what is the pipeline by stage?", "win rate by segment this year"):
        assert run(capsys, "ask", q).code == 0


@pytest.mark.parametrize("damage", ["random-bytes", "truncated", "failed-migration"])
def test_damaged_conversation_log_is_kept_and_a_new_one_started(capsys, wh, revops_home, damage):
    log = revops_home / "conversations.db"
    if damage == "random-bytes":
        log.write_bytes(os.urandom(8192))
    elif damage == "truncated":
        _log_with_history(capsys)
        con = sqlite3.connect(log)
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        con.close()
        data = log.read_bytes()
        assert len(data) > 3 * 4096
        log.write_bytes(data[: len(data) // 3])
    else:
        _foreign_schema(log)
    broken = log.read_bytes()

    r = run(capsys, *QUESTION)
    doc = answered(r)
    (moved,) = aside_files(revops_home, "conversations.db")
    if damage == "failed-migration":       # SQLite may have rewritten its header (WAL mode); the rows are kept
        con = sqlite3.connect(moved)
        assert con.execute("SELECT x FROM conversations").fetchall() == [(1,)]
        con.close()
    else:
        assert moved.read_bytes() == broken
    (warning,) = warnings_of(r.err)
    assert "conversation log" in warning and str(log) in warning and moved.name in warning
    assert any(moved.name in n for n in notes(doc))

    listed = run(capsys, "conversations", "list", "-f", "json")
    assert listed.code == 0, listed.err
    assert [c["conversation_id"] for c in listed.json()] == [doc["request_id"]]
    assert warnings_of(listed.err) == []


# ---------------------------------------------------------------------------------------- REVOPS_HOME

def test_revops_home_that_is_a_file_exits_3(capsys, wh, tmp_path, monkeypatch):
    home = tmp_path / "home-file"
    home.write_text("not a folder")
    monkeypatch.setenv("REVOPS_HOME", str(home))
    one_error_line(run(capsys, *QUESTION), "REVOPS_HOME", str(home), "not a folder")
    one_error_line(run(capsys, "cache", "clear"), str(home))


def test_revops_home_under_a_file_cannot_be_created_exits_3(capsys, wh, tmp_path, monkeypatch):
    blocker = tmp_path / "blocker"
    blocker.write_text("x")
    monkeypatch.setenv("REVOPS_HOME", str(blocker / "sub" / "home"))
    one_error_line(run(capsys, *QUESTION), "REVOPS_HOME", str(blocker), "is a file")


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores file modes; the read-only mount test covers root")
def test_revops_home_without_permission_exits_3(capsys, wh, tmp_path, monkeypatch):
    home = tmp_path / "locked"
    home.mkdir()
    home.chmod(0)
    try:
        monkeypatch.setenv("REVOPS_HOME", str(home))
        one_error_line(run(capsys, *QUESTION), "REVOPS_HOME", str(home))
    finally:
        home.chmod(0o700)


@contextlib.contextmanager
def tmpfs(path: Path, size: str, *options: str):
    """A real tmpfs at `path` (root in a container that allows mounts), else skip."""
    path.mkdir(parents=True, exist_ok=True)
    opts = ",".join((f"size={size}", "mode=0700") + options)
    try:
        proc = subprocess.run(["mount", "-t", "tmpfs", "-o", opts, "tmpfs", str(path)], capture_output=True,
                              timeout=20)
    except (OSError, subprocess.SubprocessError) as exc:
        pytest.skip(f"cannot mount a tmpfs here: {exc}")
    if proc.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {proc.stderr.decode(errors='replace').strip()}")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], capture_output=True, timeout=20)


def test_revops_home_on_a_read_only_disk_exits_3(capsys, wh, tmp_path, monkeypatch):
    with tmpfs(tmp_path / "ro", "1m", "ro") as ro:
        monkeypatch.setenv("REVOPS_HOME", str(ro))
        one_error_line(run(capsys, *QUESTION), "REVOPS_HOME", str(ro))
        monkeypatch.setenv("REVOPS_HOME", str(ro / "new"))
        one_error_line(run(capsys, *QUESTION), "REVOPS_HOME", str(ro / "new"))


# ---------------------------------------------------------------------------------------- revops.yaml

@pytest.mark.parametrize("content", [
    b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4,          # an image saved as revops.yaml
    b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 64,             # a binary
    "cache:\n  ttl_seconds: 60\n".encode("utf-16"),        # text, but not UTF-8
    b"cache:\n  enabled: true\n\x01\x02 junk\n",           # a control character YAML refuses
    b"- a\n- b\n",                                         # YAML, but not a mapping of settings
], ids=["png", "elf", "utf16", "control-char", "a-list"])
@pytest.mark.parametrize("where", ["home", "project"])
def test_binary_or_odd_revops_yaml_exits_3_naming_the_file(capsys, wh, revops_home, tmp_path, content, where):
    path = (revops_home if where == "home" else tmp_path) / "revops.yaml"      # tests run with cwd = tmp_path
    path.write_bytes(content)
    line = one_error_line(run(capsys, *QUESTION), str(path))
    assert line.startswith(f"Error: {path}:"), line                           # file:line, as other config errors
    one_error_line(run(capsys, "config", "show"), str(path))


def test_revops_yaml_that_is_a_folder_exits_3(capsys, wh, tmp_path):
    (tmp_path / "revops.yaml").mkdir()
    one_error_line(run(capsys, *QUESTION), str(tmp_path / "revops.yaml"))


# ------------------------------------------------------------------------------------------ full disk

def fill(folder: Path) -> Path:
    """Fill the file system holding `folder` to the last byte."""
    filler = folder / f"filler-{uuid.uuid4().hex[:6]}"
    with open(filler, "wb", buffering=0) as f:
        for size in (1 << 20, 65536, 4096, 1):
            with contextlib.suppress(OSError):
                while f.write(b"\0" * size):
                    pass
    return filler


@pytest.fixture
def full_home(tmp_path, monkeypatch, wh):
    """REVOPS_HOME on a 4 MiB tmpfs; the warehouse elsewhere (a full disk must not cost the answer)."""
    with tmpfs(tmp_path / "small", "4m") as small:
        home = small / "home"
        home.mkdir()
        monkeypatch.setenv("REVOPS_HOME", str(home))
        yield home


@pytest.mark.parametrize("history", ["fresh", "existing"])
def test_full_disk_still_prints_the_answer_and_says_what_was_not_saved(capsys, full_home, history):
    if history == "existing":
        answered(run(capsys, *QUESTION))
    filler = fill(full_home)

    r = run(capsys, "--refresh", *QUESTION)
    doc = answered(r)
    warnings = warnings_of(r.err)
    assert len(warnings) == 2, r.err
    cache_w = next(w for w in warnings if "not cached" in w)
    log_w = next(w for w in warnings if "not saved: this answer" in w)
    assert "result cache" in cache_w and str(full_home / "cache.duckdb") in cache_w
    assert "conversation log" in log_w and str(full_home / "conversations.db") in log_w
    assert "no space left on device" in cache_w and ("full" in log_w or "no space" in log_w)
    assert any("not saved: this answer" in n for n in notes(doc)) and any("not cached" in n for n in notes(doc))

    filler.unlink()                                    # room again: the next answer is saved, no warning
    again = run(capsys, *QUESTION)
    doc2 = answered(again)
    assert warnings_of(again.err) == [], again.err
    listed = run(capsys, "conversations", "list", "-f", "json").json()
    assert doc2["request_id"] in [c["conversation_id"] for c in listed]
    assert doc["request_id"] not in [c["conversation_id"] for c in listed]


def test_full_disk_text_output_still_has_the_answer(capsys, full_home):
    fill(full_home)
    r = run(capsys, "deal", "IXIS")
    assert r.code == 0 and "**The Dry Numbers**" in r.out and "Error" not in r.err
    assert len(warnings_of(r.err)) == 2


def test_simulated_enospc_on_cache_and_log_writes(capsys, wh, revops_home, monkeypatch):
    """The same without a tmpfs: the write paths raise ENOSPC as the kernel would."""
    import duckdb

    from revops_cli.conversations import log as log_mod

    real_connect = duckdb.connect

    class FullDuckDB:
        def __init__(self, conn):
            self._conn = conn

        def __getattr__(self, name):
            return getattr(self._conn, name)

        def executemany(self, *a, **k):
            raise duckdb.IOException('Could not write file "cache.duckdb.wal": No space left on device')

    monkeypatch.setattr(duckdb, "connect", lambda *a, **k: FullDuckDB(real_connect(*a, **k)))

    class FullSQLite:
        def __init__(self, conn):
            self._conn = conn

        def __getattr__(self, name):
            return getattr(self._conn, name)

        def execute(self, sql, *args):
            if sql.lstrip().upper().startswith("INSERT"):
                raise sqlite3.OperationalError("database or disk is full")
            return self._conn.execute(sql, *args)

    real_log_connect = log_mod.ConversationLog._connect
    monkeypatch.setattr(log_mod.ConversationLog, "_connect", lambda self: FullSQLite(real_log_connect(self)))

    r = run(capsys, *QUESTION)
    doc = answered(r)
    warnings = warnings_of(r.err)
    assert any("not cached" in w and "no space left on device" in w for w in warnings), r.err
    assert any("not saved: this answer" in w and "database or disk is full" in w for w in warnings), r.err
    assert not aside_files(revops_home, "cache.duckdb") and not aside_files(revops_home, "conversations.db")
    assert len(notes(doc)) >= 2


def test_simulated_enospc_as_oserror_on_the_cache(capsys, wh, revops_home, monkeypatch):
    from revops_cli.warehouse import cache as cache_mod

    real_open = cache_mod.ResultCache._open

    @contextlib.contextmanager
    def full_on_write(self, read_only=False, **kw):
        if not read_only:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        with real_open(self, read_only, **kw) as conn:
            yield conn

    monkeypatch.setattr(cache_mod.ResultCache, "_open", full_on_write)
    r = run(capsys, *QUESTION)
    answered(r)
    (warning,) = warnings_of(r.err)
    assert "not cached" in warning and "no space left on device" in warning


# ------------------------------------------------------------------------------------ webhook /readyz

def _client(**kw):
    pytest.importorskip("fastapi")
    from fastapi.testclient import TestClient

    from revops_cli.config import load_settings
    from revops_cli.channels.webhook_server.api import create_app

    return TestClient(create_app(load_settings(), start_workers=False, **kw))


GOOD = {"query": "What deals are closing this quarter?", "source_system": "crm_dashboard",
        "source_process": "quarterly_review", "timestamp": "2025-08-16T10:00:00Z"}


def test_readyz_turns_not_ready_on_a_full_disk_and_intake_refuses_before_202(full_home):
    with _client() as c:
        assert c.get("/readyz").status_code == 200
        accepted = c.post("/webhook", json=GOOD)
        assert accepted.status_code == 202
        filler = fill(full_home)

        r = c.get("/readyz")
        assert r.status_code == 503 and r.headers["content-type"].startswith("application/json")
        body = r.json()
        assert body["status"] == "unavailable" and "no space left on device" in body["error"]
        assert str(full_home) not in r.text                          # no file paths to whoever asks

        refused = [c.post("/webhook", json=GOOD) for _ in range(20)]
        assert {x.status_code for x in refused} <= {202, 503}
        for x in refused:
            if x.status_code == 503:
                assert x.json()["error"]["code"] == "queue_unavailable"
            else:      # SQLite still had room in its WAL: then the request really is queued
                assert c.get(f"/requests/{x.json()['tracking_id']}").json()["status"] == "queued"
        assert 503 in {x.status_code for x in refused}
        assert c.get(f"/requests/{accepted.json()['tracking_id']}").json()["status"] == "queued"

        filler.unlink()
        assert c.get("/readyz").status_code == 200
        assert c.post("/webhook", json=GOOD).status_code == 202


def test_readyz_simulated_enospc(monkeypatch):
    from revops_cli import sidefiles

    with _client() as c:
        assert c.get("/readyz").status_code == 200

        def full(fd, data):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

        monkeypatch.setattr(sidefiles.os, "write", full)
        r = c.get("/readyz")
        assert r.status_code == 503 and r.json()["error"] == "queue: no space left on device"
        monkeypatch.undo()
        assert c.get("/readyz").status_code == 200


def test_damaged_queue_file_is_refused_with_its_name_never_moved(capsys, revops_home):
    from revops_cli.errors import UnusableFileError

    queue = revops_home / "webhook-queue.db"
    junk = os.urandom(8192)
    queue.write_bytes(junk)
    with pytest.raises(UnusableFileError) as exc:
        _client()
    assert str(queue) in exc.value.message and "damaged" in exc.value.message
    assert "accepted requests" in exc.value.hint
    one_error_line(run(capsys, "webhook", "deliveries", "list"), str(queue))
    assert queue.read_bytes() == junk and not aside_files(revops_home, "webhook-queue.db")


# ------------------------------------------------------------------------------------------ Slack state

def test_damaged_slack_state_is_kept_and_a_new_one_started(revops_home, capsys):
    from revops_cli.channels.slack.state import SlackState

    path = revops_home / "slack.db"
    junk = os.urandom(8192)
    path.write_bytes(junk)
    capsys.readouterr()
    state = SlackState(path)
    try:
        assert state.first_time("ev-1") and not state.first_time("ev-1")
        state.add_pending("p1", user="U1", channel="C1", thread_ts="1.0", session_id="s", request={"text": "x"},
                          actions=[{"kind": "note"}])
        assert state.get("p1")["status"] == "pending"
    finally:
        state.close()
    (moved,) = aside_files(revops_home, "slack.db")
    assert moved.read_bytes() == junk
    (warning,) = warnings_of(capsys.readouterr().err)
    assert str(path) in warning and moved.name in warning


def test_json_answer_is_valid_json_even_with_warnings(capsys, wh, revops_home):
    (revops_home / "cache.duckdb").write_bytes(os.urandom(1000))
    r = run(capsys, *QUESTION)
    json.loads(r.out)                   # warnings go to stderr only
    assert warnings_of(r.err)
