"""The report's chart as a PNG: coverage per unit against the goal, and the trend.

The only module that imports matplotlib (with the Agg backend: no display), and
only when a chart is drawn: importing matplotlib costs most of a second, which no
other command should pay. It receives plain values and finished labels; it knows
nothing of settings or language. The caller keeps the coverage panel to at most
MAX_BARS units, so the picture stays readable and its size bounded; for more units
it also gives the coverage of every unit, drawn as a distribution (units per band).

The chart carries its own title and day (forwarded alone, it still says what it
is), in the picture and in the PNG's Title metadata; every value axis starts at 0.
"""

from __future__ import annotations

import io
import math
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

BAR_COLOR = "#2f6eb5"
GOAL_COLOR = "#c0392b"
TREND_COLOR = "#1e7d4f"
MUTED = "#888888"
DPI = 110
TITLE_WIDTH = 42  # characters per line of the trend panel's title
COVERAGE_TITLE_WIDTH = 70  # characters per line of the coverage panel's title (the wider panel)
MAX_BARS = 40  # units in the coverage panel at most: 40 bars make a PNG about 1,650 px tall
BAND_PERCENT = 5.0  # width of a band of the distribution, in percentage points
PNG_COMPRESSION = 1  # zlib level: the same pixels in half the time of the default 6, the file about 2 % larger


@dataclass(frozen=True)
class ChartData:
    """Everything the chart shows, already named and formatted by the caller."""

    units: tuple[tuple[str, float | None, str], ...]  # (unit name, coverage % or None, why none), top to bottom
    goal_percent: float | None
    trend: tuple[tuple[date, int | None, bool], ...]  # province figure per day, and whether it carries figures
    coverage_title: str
    goal_label: str
    trend_title: str
    no_data_label: str
    format_count: Callable[[int], str]
    format_percent: Callable[[float], str]
    format_day: Callable[[date], str]
    carried_label: str = ""  # legend of the points that carry a missing unit's earlier figure
    title: str = ""  # what the whole chart shows, of which area and day
    distribution: tuple[float, ...] = ()  # every counted unit's coverage %, drawn as bands when not all have bars
    distribution_title: str = ""
    distribution_axis: str = ""  # the distribution's value axis: number of units


def render_png(data: ChartData) -> bytes:
    """The chart as PNG bytes, its title also in the PNG's metadata."""
    return _png_bytes(figure(data), data.title)


def figure(data: ChartData) -> Figure:
    """The chart's figure: the coverage panel beside the trend, and below the trend the
    distribution when there is one."""
    if len(data.units) > MAX_BARS:
        raise ValueError(f"the coverage panel shows at most {MAX_BARS} units, not {len(data.units)}")
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    height = max(3.6, 0.34 * len(data.units) + 1.4) + (0.4 if data.title else 0.0)
    if data.distribution:
        height = max(height, 7.5)
    drawn = Figure(figsize=(11.0, height), dpi=DPI)
    FigureCanvasAgg(drawn)  # laid out and saved on one canvas: the text measured for the layout is not measured again
    grid = drawn.add_gridspec(2 if data.distribution else 1, 2, width_ratios=[3, 2])
    _coverage_panel(drawn.add_subplot(grid[:, 0]), data)
    _trend_panel(drawn.add_subplot(grid[0, 1]), data)
    if data.distribution:
        _distribution_panel(drawn.add_subplot(grid[1, 1]), data)
    if data.title:
        drawn.suptitle(textwrap.fill(data.title, 110), fontsize=12, fontweight="bold")
    drawn.tight_layout(w_pad=3.0, h_pad=2.0)
    drawn.set_layout_engine(None)  # laid out once: saving does not lay it out again
    return drawn


def _coverage_panel(axes: Axes, data: ChartData) -> None:
    from matplotlib.ticker import FuncFormatter

    names = [name for name, _, _ in data.units]
    values = [value or 0.0 for _, value, _ in data.units]
    positions = list(range(len(names)))
    axes.barh(positions, values, color=BAR_COLOR, height=0.62)
    axes.set_yticks(positions, labels=names, fontsize=9)
    axes.invert_yaxis()  # first unit on top, as in the table
    top = max([data.goal_percent or 0.0, *values]) * 1.12 or 1.0
    axes.set_xlim(0, top)
    axes.xaxis.set_major_formatter(FuncFormatter(lambda x, _: data.format_percent(x)))
    axes.tick_params(axis="x", labelsize=8)
    for position, (_, value, why_none) in zip(positions, data.units, strict=True):
        label = data.format_percent(value) if value is not None else why_none
        axes.text(
            (value or 0.0) + top * 0.01,
            position,
            label,
            va="center",
            fontsize=8,
            color="black" if value is not None else MUTED,
        )
    if data.goal_percent is not None:
        axes.axvline(data.goal_percent, color=GOAL_COLOR, linestyle="--", linewidth=1.4, label=data.goal_label)
        axes.legend(loc="lower right", fontsize=8, frameon=False)
    axes.set_title(textwrap.fill(data.coverage_title, COVERAGE_TITLE_WIDTH), fontsize=10, loc="left", y=1.0)
    _plain_frame(axes)
    if not data.units:
        axes.text(0.5, 0.5, data.no_data_label, ha="center", va="center", transform=axes.transAxes, color=MUTED)


def _trend_panel(axes: Axes, data: ChartData) -> None:
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    known = [(day, value, carried) for day, value, carried in data.trend if value is not None]
    axes.set_title(textwrap.fill(data.trend_title, TITLE_WIDTH), fontsize=10, loc="left", y=1.0)
    _plain_frame(axes)
    axes.grid(axis="y", color="#e5e5e5", linewidth=0.8)
    if not known:
        axes.text(0.5, 0.5, data.no_data_label, ha="center", va="center", transform=axes.transAxes, color=MUTED)
        axes.set_xticks([])
        axes.set_yticks([])
        return
    positions = list(range(len(known)))
    values = [value for _, value, _ in known]
    axes.plot(positions, values, color=TREND_COLOR, marker="o", linewidth=2, markersize=4)
    carried = [(p, v) for p, (_, v, is_carried) in zip(positions, known, strict=True) if is_carried]
    if carried:
        axes.plot(
            [p for p, _ in carried],
            [v for _, v in carried],
            linestyle="none",
            marker="o",
            markersize=8,
            markerfacecolor="white",
            markeredgecolor=TREND_COLOR,
            markeredgewidth=1.6,
            label=data.carried_label,
        )
        axes.legend(loc="upper left", fontsize=8, frameon=False)
    axes.annotate(
        data.format_count(values[-1]),
        (positions[-1], values[-1]),
        textcoords="offset points",
        xytext=(0, 8),
        ha="right",
        fontsize=9,
        color=TREND_COLOR,
        fontweight="bold",
    )
    step = max(1, len(known) // 7)
    axes.set_xticks(
        positions[::step],
        labels=[data.format_day(day) for day, _, _ in known][::step],
        fontsize=8,
        rotation=30,
        ha="right",
    )
    axes.yaxis.set_major_locator(MaxNLocator(5, integer=True))
    axes.yaxis.set_major_formatter(FuncFormatter(lambda y, _: data.format_count(int(y))))
    axes.tick_params(axis="y", labelsize=8)
    high = max(values)
    axes.set_ylim(0, high + max(high * 0.12, 1))  # from 0: the rise is not drawn bigger than it is


def _distribution_panel(axes: Axes, data: ChartData) -> None:
    """How many units fall in each band of coverage, every counted unit included."""
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    values = list(data.distribution)
    top = max([data.goal_percent or 0.0, *values])
    step = BAND_PERCENT if top > BAND_PERCENT * 3 else max(top / 4, 0.5)
    bands = [step * n for n in range(math.ceil(top / step) + 2)]
    axes.hist(values, bins=bands, color=BAR_COLOR, edgecolor="white")
    axes.set_xlim(0, bands[-1])
    axes.set_ylim(bottom=0)
    axes.xaxis.set_major_formatter(FuncFormatter(lambda x, _: data.format_percent(x)))
    axes.yaxis.set_major_locator(MaxNLocator(5, integer=True))
    axes.yaxis.set_major_formatter(FuncFormatter(lambda y, _: data.format_count(int(y))))
    axes.set_ylabel(data.distribution_axis, fontsize=8)
    axes.tick_params(labelsize=8)
    if data.goal_percent is not None:
        axes.axvline(data.goal_percent, color=GOAL_COLOR, linestyle="--", linewidth=1.4, label=data.goal_label)
        axes.legend(loc="upper right", fontsize=8, frameon=False)
    axes.set_title(textwrap.fill(data.distribution_title, TITLE_WIDTH), fontsize=10, loc="left", y=1.0)
    _plain_frame(axes)


def _plain_frame(axes: Axes) -> None:
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    axes.grid(axis="x", color="#e5e5e5", linewidth=0.8)
    axes.set_axisbelow(True)


def _png_bytes(drawn: Figure, title: str) -> bytes:
    buffer = io.BytesIO()
    drawn.savefig(
        buffer,
        format="png",
        dpi=DPI,
        facecolor="white",
        metadata={"Title": title or None},
        pil_kwargs={"compress_level": PNG_COMPRESSION},
    )
    return buffer.getvalue()
