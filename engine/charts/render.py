"""PNG files from chart data with matplotlib's Agg backend: 1080×1350 px, large fonts, DejaVu Sans (Cyrillic).

matplotlib is imported inside the functions (it takes a second to import) and only its object API is used (no
pyplot state). Drawing is CPU-bound: `png` runs it in a thread, one chart at a time (matplotlib's font cache is
not thread-safe). Every text comes in `labels`, already localized by the caller.
"""

from __future__ import annotations

import asyncio
import io
import math
import textwrap
import threading
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Final, cast

from engine.charts.data import OTHER, POOL_PARTS, RATE_NAMES, Pool, Rates, Volume, Warmup

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure, SubFigure

WIDTH_PX: Final = 1080
HEIGHT_PX: Final = 1350
DPI: Final = 180
FONT: Final = "DejaVu Sans"
"""Ships with matplotlib and has Cyrillic: set explicitly so no system font without it is ever picked."""
STYLE: Final[dict[str, Any]] = {
    "font.family": FONT,
    "font.size": 13,
    "axes.titlesize": 16,
    "axes.labelsize": 13,
    "xtick.labelsize": 11,
    "ytick.labelsize": 11,
    "legend.fontsize": 11,
}
COLORS: Final = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#7f7f7f")
RATE_COLORS: Final = {"reply": "#2ca02c", "hard_bounce": "#ff7f0e", "block": "#d62728"}
POOL_COLORS: Final = {"active": "#2ca02c", "ready": "#1f77b4", "warming": "#ff7f0e", "cooling": "#9467bd",
                      "burned": "#d62728"}  # fmt: skip

TITLE_CHARS: Final = 34
"""A title longer than this wraps: the width of the picture at the title's size."""

LEGEND_CHARS: Final = 28
"""A legend name at most: two columns of them fit the picture's width beside each other."""

STAGE_CHARS: Final = 24
"""A warmup stage's name wraps at this width (and is drawn at `STAGE_FONT` points): the names sit left of the
bars, within the picture's width."""
STAGE_FONT: Final = 10

_LOCK = threading.Lock()


def legend_name(name: str, limit: int = LEGEND_CHARS) -> str:
    """`name` as a legend shows it: a longer one keeps its start and its end (a domain's zone), "…" between."""
    if len(name) <= limit:
        return name
    tail = (limit - 1) // 3
    return name[: limit - 1 - tail] + "…" + name[-tail:]


def _figure() -> Figure:
    from matplotlib.figure import Figure  # noqa: PLC0415  (lazy: slow to import)

    return Figure(figsize=(WIDTH_PX / DPI, HEIGHT_PX / DPI), dpi=DPI, layout="constrained")


def _save(fig: Figure) -> bytes:
    from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: PLC0415

    FigureCanvasAgg(fig)
    out = io.BytesIO()
    fig.savefig(out, format="png", dpi=DPI)
    return out.getvalue()


def _draw(paint: Callable[[Figure], None]) -> bytes:
    import matplotlib  # noqa: PLC0415

    with _LOCK, matplotlib.rc_context(STYLE):  # type: ignore[arg-type]
        fig = _figure()
        paint(fig)
        return _save(fig)


def _day_ticks(ax: Axes, days: tuple[Any, ...]) -> None:
    step = max(1, math.ceil(len(days) / 7))
    positions = list(range(0, len(days), step))
    ax.set_xticks(positions, [days[i].strftime("%d.%m") for i in positions], rotation=45, ha="right")


def _title(ax: Axes, text: str) -> None:
    ax.set_title(textwrap.fill(text, TITLE_CHARS))


def _whole(axis: Any) -> None:
    """Counts on this axis: whole-number ticks only."""
    from matplotlib.ticker import MaxNLocator  # noqa: PLC0415

    axis.set_major_locator(MaxNLocator(integer=True))


EMPTY_CHARS: Final = 40
"""The longest line of a chart's "nothing to draw" text: it stays inside the box."""


def _empty(ax: Axes, text: str) -> None:
    # wrapped here: matplotlib wraps at the figure's edge, past the box, and then narrows the box to fit the text
    ax.text(0.5, 0.5, textwrap.fill(text, EMPTY_CHARS), ha="center", va="center", transform=ax.transAxes)
    ax.set_xticks([])
    ax.set_yticks([])


def volume_png(data: Volume, labels: Mapping[str, str]) -> bytes:
    """Stacked bars: sends per day by domain, "other" last."""

    def paint(fig: Figure) -> None:
        ax = fig.add_subplot()
        _title(ax, labels["title"])
        if not data.total:
            _empty(ax, labels["empty"])
            return
        x = list(range(len(data.days)))
        bottom = [0] * len(x)
        for i, (name, values) in enumerate(data.series.items()):
            color = COLORS[-1] if name == OTHER else COLORS[i % (len(COLORS) - 1)]
            ax.bar(x, values, bottom=bottom, label=labels["other"] if name == OTHER else legend_name(name), color=color)
            bottom = [b + v for b, v in zip(bottom, values, strict=True)]
        ax.set_ylabel(labels["axis"])
        _whole(ax.yaxis)
        _day_ticks(ax, data.days)
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.18), ncol=2, frameon=False)

    return _draw(paint)


def rates_png(data: Rates, labels: Mapping[str, str]) -> bytes:
    """Lines of reply, hard-bounce and block rates in %; a day without enough sends is a gap, not 0."""

    def paint(fig: Figure) -> None:
        ax = fig.add_subplot()
        _title(ax, labels["title"])
        if not data.measured:
            _empty(ax, labels["empty"])
            return
        x = list(range(len(data.days)))
        for name in RATE_NAMES:
            y = [math.nan if v is None else v * 100 for v in data.series[name]]  # NaN: matplotlib leaves a gap
            ax.plot(x, y, marker="o", linewidth=2.5, label=labels[name], color=RATE_COLORS[name])
        ax.set_ylabel("%")
        ax.set_ylim(bottom=0)
        ax.grid(axis="y", alpha=0.3)
        _day_ticks(ax, data.days)
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=3, frameon=False)
        fig.supxlabel(textwrap.fill(labels["gaps"], 60), fontsize=10, color="#555555")

    return _draw(paint)


def warmup_png(data: Warmup, labels: Mapping[str, str]) -> bytes:
    """Top: mailboxes by warmup stage today. Bottom: the warmup checks of each day, inbox and spam. Each part is a
    subfigure of its own, titled across the picture: the stage names left of the top bars neither narrow the
    bottom chart nor push either title past the picture's edge."""

    def paint(fig: Figure) -> None:
        parts = cast("Any", fig.subfigures(2, 1, height_ratios=(1, 1)))  # two: an array of SubFigures
        upper: SubFigure = parts[0]
        lower: SubFigure = parts[1]
        top, bottom = upper.add_subplot(), lower.add_subplot()
        upper.suptitle(textwrap.fill(labels["title"], TITLE_CHARS), fontsize=STYLE["axes.titlesize"])
        stages = [(labels[f"stage-{s}"], n) for s, n in data.stages.items()]
        if any(n for _, n in stages):
            names = [textwrap.fill(s, STAGE_CHARS) for s, _ in stages]
            top.barh(names, [n for _, n in stages], color=COLORS[0])
            top.invert_yaxis()
            top.tick_params(axis="y", labelsize=STAGE_FONT)
            top.set_xlabel(labels["mailboxes"])
            _whole(top.xaxis)
        else:
            _empty(top, labels["empty"])
        lower.suptitle(textwrap.fill(labels["checks"], TITLE_CHARS), fontsize=STYLE["axes.titlesize"])
        if not any(data.inbox) and not any(data.spam):
            _empty(bottom, labels["empty-checks"])
            return
        x = list(range(len(data.days)))
        bottom.bar(x, data.inbox, label=labels["inbox"], color="#2ca02c")
        bottom.bar(x, data.spam, bottom=data.inbox, label=labels["spam"], color="#d62728")
        _whole(bottom.yaxis)
        _day_ticks(bottom, data.days)
        bottom.legend(loc="upper left", frameon=False)

    return _draw(paint)


def pool_png(data: Pool, labels: Mapping[str, str]) -> bytes:
    """Horizontal bars (long names read on a phone): domains active, ready in reserve, warming in reserve,
    cooling, burned this month; a dashed line at the reserve wanted."""

    def paint(fig: Figure) -> None:
        ax = fig.add_subplot()
        _title(ax, labels["title"])
        if not any(data.parts.values()):
            _empty(ax, labels["empty"])
            return
        names = [labels[p] for p in POOL_PARTS]
        values = [data.parts.get(p, 0) for p in POOL_PARTS]
        wrapped = [textwrap.fill(n, 14) for n in names]
        bars = ax.barh(wrapped, values, color=[POOL_COLORS[p] for p in POOL_PARTS])
        ax.bar_label(bars, padding=4)
        ax.invert_yaxis()
        if data.target:
            ax.axvline(data.target, color="#1f77b4", linestyle="--", linewidth=1.5, label=labels["target"])
            ax.legend(loc="lower right", frameon=False)
        ax.set_xlabel(labels["axis"])
        _whole(ax.xaxis)
        ax.margins(x=0.15)

    return _draw(paint)


async def png(draw: Callable[[Any, Mapping[str, str]], bytes], data: Any, labels: Mapping[str, str]) -> bytes:
    """`draw(data, labels)` in a thread: the event loop keeps serving while a chart renders."""
    return await asyncio.to_thread(draw, data, labels)
