"""What one query may take: memory, threads, spill space, time, rows and bytes (README: Security, Queries).

Settings, with their defaults:
    duckdb.memory_limit             a quarter of the machine's memory (or its cgroup limit), at most 2 GiB
    duckdb.threads                  half the cores, at least 2, at most 8 (never more than the cores)
    duckdb.max_temp_directory_size  twice the memory limit: what a query may spill to disk beside the warehouse
    query.timeout_seconds           30: every backend; DuckDB is interrupted, Firebolt's request times out
    query.row_limit                 10000 rows: the answer is cut, with a note
    query.max_result_bytes          64MB of values (their text length): the answer is cut, with a note
Sizes are bytes or a string such as "512MB", "2GB", "1.5GiB" or "25%" (of the machine's memory).

Ctrl-C and SIGTERM stop a running query at once: see `revops_cli/interrupts.py`.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Any, Sequence

from revops_cli.errors import ConfigError, WarehouseError

GiB = 1024 ** 3
MiB = 1024 ** 2
DEFAULT_MEMORY_FRACTION = 0.25
DEFAULT_MEMORY_CAP = 2 * GiB
MIN_MEMORY = 64 * MiB
DEFAULT_MAX_RESULT_BYTES = "64MB"

_UNITS = {"": 1, "b": 1, "kb": 1000, "mb": 1000 ** 2, "gb": 1000 ** 3, "tb": 1000 ** 4,
          "kib": 1024, "mib": MiB, "gib": GiB, "tib": 1024 ** 4, "k": 1024, "m": MiB, "g": GiB}
_SIZE = re.compile(r"^\s*([0-9]+(?:\.[0-9]+)?)\s*([a-zA-Z]*|%)\s*$")


def machine_memory() -> int:
    """Physical memory, or the cgroup (container) limit when that is lower; 8 GiB if neither is known."""
    total = 0
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):
        pass
    for path in ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"):
        try:
            text = open(path, encoding="ascii").read().strip()
        except OSError:
            continue
        if text.isdigit() and 0 < int(text) < (total or 1 << 62):
            total = int(text)
    return total or 8 * GiB


def parse_size(value: Any, setting: str) -> int:
    """Bytes from an int or a string like "512MB", "2GiB", "25%" (of the machine's memory)."""
    if isinstance(value, bool):
        raise ConfigError(f"{setting} {value!r} is not a size", 'write e.g. "512MB", "2GB" or "25%"')
    if isinstance(value, (int, float)):
        n = int(value)
    else:
        m = _SIZE.match(str(value))
        if not m or (m.group(2).lower() not in _UNITS and m.group(2) != "%"):
            raise ConfigError(f"{setting} {value!r} is not a size", 'write e.g. "512MB", "2GB" or "25%"')
        number, unit = float(m.group(1)), m.group(2).lower()
        n = int(machine_memory() * number / 100) if unit == "%" else int(number * _UNITS[unit])
    if n <= 0:
        raise ConfigError(f"{setting} must be more than zero, got {value!r}", 'write e.g. "512MB" or "2GB"')
    return n


def format_size(n: int) -> str:
    for unit, size in (("GiB", GiB), ("MiB", MiB), ("KiB", 1024)):
        if n >= size:
            value = n / size
            return f"{value:.0f} {unit}" if value >= 10 or value == int(value) else f"{value:.1f} {unit}"
    return f"{n} bytes"


def default_memory_limit() -> int:
    return max(MIN_MEMORY, min(DEFAULT_MEMORY_CAP, int(machine_memory() * DEFAULT_MEMORY_FRACTION)))


def default_threads() -> int:
    cores = os.cpu_count() or 2
    return max(1, min(cores, 8, max(2, cores // 2)))


@dataclass(frozen=True)
class DuckDBLimits:
    """What the embedded warehouse's connection is opened with."""

    memory_limit: int                  # bytes
    threads: int
    max_temp_directory_size: int       # bytes
    memory_label: str = ""             # the limits as the user wrote them (or the computed defaults), for messages
    temp_label: str = ""

    @classmethod
    def from_settings(cls, settings: Any) -> "DuckDBLimits":
        memory = settings.get("duckdb.memory_limit")
        threads = settings.get("duckdb.threads")
        temp = settings.get("duckdb.max_temp_directory_size")
        if threads is not None:
            try:
                threads = int(threads)
            except (TypeError, ValueError):
                threads = 0
            if threads < 1 or isinstance(settings.get("duckdb.threads"), bool):
                raise ConfigError(f"duckdb.threads {settings.get('duckdb.threads')!r} is not a positive number",
                                  "write e.g. duckdb.threads: 2")
        memory_bytes = parse_size(memory, "duckdb.memory_limit") if memory is not None else default_memory_limit()
        temp_bytes = parse_size(temp, "duckdb.max_temp_directory_size") if temp is not None else 2 * memory_bytes
        return cls(memory_limit=memory_bytes, threads=threads or default_threads(), max_temp_directory_size=temp_bytes,
                   memory_label=str(memory) if memory is not None else format_size(memory_bytes),
                   temp_label=str(temp) if temp is not None else format_size(temp_bytes))

    def config(self) -> dict[str, str]:
        """DuckDB's settings for these limits, as SQL literals."""
        return {"memory_limit": f"'{max(1, self.memory_limit // 1024)}KiB'", "threads": str(int(self.threads)),
                "max_temp_directory_size": f"'{max(1, self.max_temp_directory_size // 1024)}KiB'"}


def max_result_bytes(settings: Any) -> int:
    return parse_size(settings.get("query.max_result_bytes", DEFAULT_MAX_RESULT_BYTES), "query.max_result_bytes")


def value_bytes(value: Any) -> int:
    """The size a value counts for against query.max_result_bytes: its text length (8 for numbers, dates)."""
    if value is None:
        return 1
    if isinstance(value, (str, bytes, bytearray)):
        return len(value)
    if isinstance(value, (list, tuple)):
        return sum(value_bytes(v) for v in value) + 2
    if isinstance(value, dict):
        return sum(len(str(k)) + value_bytes(v) for k, v in value.items()) + 2
    return 8


def row_bytes(row: Sequence[Any]) -> int:
    return sum(value_bytes(v) for v in row)


def cap_bytes(rows: Sequence[tuple], limit: int | None) -> tuple[list[tuple], bool]:
    """The leading rows whose values fit in `limit` bytes, and whether any were left out."""
    if not limit:
        return list(rows), False
    total = 0
    for i, row in enumerate(rows):
        total += row_bytes(row)
        if total > limit:
            return list(rows[:i]), True
    return list(rows), False


def timeout_error(timeout_s: float | None, *, where: str = "", retryable: bool = False) -> WarehouseError:
    limit = f"the {timeout_s:g} s time limit" if timeout_s else "its time limit"
    return WarehouseError(f"query timed out: stopped at {limit} (query.timeout_seconds){where}",
                          "narrow the query, or raise query.timeout_seconds in revops.yaml "
                          "(REVOPS_QUERY__TIMEOUT_SECONDS)", retryable=retryable)
