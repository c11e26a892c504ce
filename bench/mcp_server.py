"""`make bench`, MCP: `revops serve-mcp` over stdio, driven by the official SDK client as a desktop client would.

- start_to_tools_list_ms: from spawning `revops serve-mcp` to the answer of `tools/list` (initialize included),
  next to the floors it cannot beat on this machine: `python -c pass` and importing the SDK's server alone
  (`python -c "import mcp.server.mcpserver"`). Goal: within 300 ms of start; the ratio to the SDK import
  shows what revops adds on top of the SDK.
- deal_call_ms / deal_call_uncached_ms: one `deal_assessment` tool call on a warm server (median), with the
  result cache on (the default) and off. Goal: under 100 ms at demo scale.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

REVOPS = str(Path(sys.executable).parent / "revops")


def _median_ms(samples: list[float]) -> float:
    return round(statistics.median(samples) * 1000, 2)


async def _start_and_list(env: dict[str, str]) -> float:
    from mcp import ClientSession, StdioServerParameters, stdio_client

    t = time.perf_counter()
    async with stdio_client(StdioServerParameters(command=REVOPS, args=["serve-mcp"], env=env)) as (r, w):
        async with ClientSession(r, w) as session:
            await session.initialize()
            await session.list_tools()
            return time.perf_counter() - t


async def _deal_calls(env: dict[str, str], runs: int) -> float:
    from mcp import ClientSession, StdioServerParameters, stdio_client

    async with stdio_client(StdioServerParameters(command=REVOPS, args=["serve-mcp"], env=env)) as (r, w):
        async with ClientSession(r, w) as session:
            await session.initialize()
            samples = []
            for i in range(runs + 1):
                t = time.perf_counter()
                result = await session.call_tool("deal_assessment", {"name": "IXIS"})
                if i:                      # the first call warms imports and connections
                    samples.append(time.perf_counter() - t)
                assert not result.is_error, result.content
            return _median_ms(samples)


def run(quick: bool, db: Path, home: Path) -> dict:
    import anyio

    runs = 3 if quick else 9
    env = {**os.environ, "REVOPS_HOME": str(home), "REVOPS_DUCKDB_PATH": str(db), "REVOPS_AS_OF": "2026-11-24"}
    floors: dict[str, list[float]] = {"python -c pass": [], "import mcp.server.mcpserver": []}
    starts: list[float] = []
    for _ in range(runs):              # interleaved, so machine noise hits all three alike
        for name, code in (("python -c pass", "pass"), ("import mcp.server.mcpserver", "import mcp.server.mcpserver")):
            t = time.perf_counter()
            subprocess.run([sys.executable, "-c", code], check=True)
            floors[name].append(time.perf_counter() - t)
        starts.append(anyio.run(_start_and_list, env))
    out = {"start_to_tools_list_ms": _median_ms(starts),
           "python_startup_ms": _median_ms(floors["python -c pass"]),
           "sdk_import_ms": _median_ms(floors["import mcp.server.mcpserver"])}
    out["start_to_tools_list_vs_sdk_import"] = round(out["start_to_tools_list_ms"] / out["sdk_import_ms"], 2)
    out["deal_call_ms"] = anyio.run(_deal_calls, env, max(5, runs * 2))
    out["deal_call_uncached_ms"] = anyio.run(_deal_calls, {**env, "REVOPS_CACHE__ENABLED": "false"}, max(5, runs * 2))
    out["goals"] = {"start_to_tools_list_ms": "< 300", "deal_call_ms": "< 100"}
    return out
