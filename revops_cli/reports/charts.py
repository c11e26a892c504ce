"""Drawing a report chart (an `engine.Chart` spec) to PNG bytes with matplotlib's Agg backend.

matplotlib is imported on first use only (it costs a few hundred ms), never through pyplot (no global
figure state, no GUI backend). Output is deterministic: matplotlib's default style (not the user's
matplotlibrc), a fixed size and dpi, the bundled DejaVu Sans font, and no `Software` metadata - the same
chart gives the same bytes.
"""

from __future__ import annotations

import io
import math
from typing import Any

from revops_cli.reports.engine import Chart

WIDTH_IN, HEIGHT_IN, DPI = 9.0, 4.4, 100          # 900 x 440 pixels
PALETTE = ("#2f6db5", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#b07aa1", "#edc948", "#9c755f", "#ff9da7",
           "#bab0ac")
STYLE = {
    "font.family": "DejaVu Sans", "font.size": 9.5, "axes.titlesize": 12, "axes.titleweight": "bold",
    "axes.titlelocation": "left", "axes.spines.top": False, "axes.spines.right": False,
    "axes.edgecolor": "#888888", "axes.grid": True, "grid.color": "#e6e6e6", "grid.linewidth": 0.8,
    "axes.axisbelow": True, "legend.frameon": False, "legend.fontsize": 8.5, "xtick.color": "#333333",
    "ytick.color": "#333333", "figure.facecolor": "white", "axes.facecolor": "white", "savefig.facecolor": "white",
    "svg.hashsalt": "revops", "path.simplify": True,
}


def tick_label(v: float, fmt: str) -> str:
    from revops_cli.formatting import money

    if fmt == "money":
        return money(v)
    if fmt == "pct":
        return f"{v:.0f}%"
    if fmt == "ratio":
        return f"{v:.1f}x"
    if abs(v) >= 1000:
        return f"{v:,.0f}"
    return f"{v:g}"


def _vals(values: list[Any]) -> list[float]:
    return [math.nan if v is None else float(v) for v in values]


def render_png(chart: Chart) -> bytes:
    """The chart as PNG bytes (900 x 440 px)."""
    import matplotlib

    from matplotlib import style
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    with style.context("default"), matplotlib.rc_context(STYLE):
        fig = Figure(figsize=(WIDTH_IN, HEIGHT_IN), dpi=DPI)
        FigureCanvasAgg(fig)
        ax = fig.add_subplot(1, 1, 1)
        fmt = chart.y_format
        formatter = FuncFormatter(lambda v, _pos: tick_label(v, fmt))
        n = max(len(chart.series), 1)
        xs = list(range(len(chart.x)))
        colors = [PALETTE[i % len(PALETTE)] for i in range(n)]
        if chart.kind == "line":
            for s, c in zip(chart.series, colors):
                ax.plot(xs, _vals(s["values"]), marker="o", markersize=3.5, linewidth=1.8, color=c, label=s["name"])
            ax.set_xticks(xs)
            ax.set_xticklabels(chart.x)
            ax.yaxis.set_major_formatter(formatter)
        elif chart.kind == "hbar":
            height = 0.8 / n
            for i, (s, c) in enumerate(zip(chart.series, colors)):
                pos = [y - 0.4 + height * (i + 0.5) for y in xs]
                vals = _vals(s["values"])
                bars = ax.barh(pos, [0 if math.isnan(v) else v for v in vals], height=height * 0.92, color=c,
                               label=s["name"])
                if n == 1:
                    ax.bar_label(bars, labels=["n/a" if math.isnan(v) else tick_label(v, fmt) for v in vals],
                                 padding=3, fontsize=8.5, color="#333333")
            ax.set_yticks(xs)
            ax.set_yticklabels(chart.x)
            ax.invert_yaxis()
            ax.xaxis.set_major_formatter(formatter)
            ax.grid(axis="y", visible=False)
            ax.margins(x=0.12)
        else:   # bar (grouped) and stacked
            if chart.kind == "stacked":
                bottom = [0.0] * len(xs)
                for s, c in zip(chart.series, colors):
                    vals = [0.0 if math.isnan(v) else v for v in _vals(s["values"])]
                    ax.bar(xs, vals, bottom=bottom, width=0.65, color=c, label=s["name"], edgecolor="white",
                           linewidth=0.5)
                    bottom = [b + v for b, v in zip(bottom, vals)]
            else:
                width = 0.8 / n
                for i, (s, c) in enumerate(zip(chart.series, colors)):
                    pos = [x - 0.4 + width * (i + 0.5) for x in xs]
                    ax.bar(pos, [0 if math.isnan(v) else v for v in _vals(s["values"])], width=width * 0.92,
                           color=c, label=s["name"])
            ax.set_xticks(xs)
            ax.set_xticklabels(chart.x)
            ax.yaxis.set_major_formatter(formatter)
            ax.grid(axis="x", visible=False)
        if fmt == "num" and all(float(v).is_integer() for s in chart.series for v in s["values"] if v is not None):
            (ax.xaxis if chart.kind == "hbar" else ax.yaxis).set_major_locator(MaxNLocator(integer=True))
        if chart.kind != "hbar" and (len(chart.x) > 6 or max((len(x) for x in chart.x), default=0) > 12):
            for label in ax.get_xticklabels():
                label.set_rotation(30)
                label.set_horizontalalignment("right")
        ax.set_title(chart.title, pad=12)
        if chart.y_label:
            (ax.set_xlabel if chart.kind == "hbar" else ax.set_ylabel)(chart.y_label, color="#555555")
        if n > 1:
            ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), borderaxespad=0.2)
        fig.tight_layout()
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=DPI, metadata={"Software": None})
    return buf.getvalue()


def png_size(data: bytes) -> tuple[int, int]:
    """(width, height) from a PNG's IHDR; ValueError when it is not a PNG."""
    import struct

    if data[:8] != b"\x89PNG\r\n\x1a\n" or data[12:16] != b"IHDR":
        raise ValueError("not a PNG")
    return struct.unpack(">II", data[16:24])
