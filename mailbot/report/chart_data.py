"""The chart's content: which units it shows, and every label, in the configured language.

mailbot/chart.py draws it. A drawn chart is kept (the last CHARTS_KEPT of the process),
keyed by everything it shows: the same figures and words give the same picture without
drawing it again (the console's report page asks for the report and for its picture;
the report mail, its updates and the files of one day share one picture while nothing
changed), and any change, one figure or one word, draws it anew.
"""

from __future__ import annotations

import dataclasses
import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from functools import partial

from mailbot import chart
from mailbot.config import Settings
from mailbot.defaults import CHARTS_KEPT
from mailbot.forked import beside
from mailbot.i18n import format_count, format_percent, state_name, text
from mailbot.models import DayLedger, TrendPoint, UnitDay
from mailbot.report.view import coverage_label, letter_day, lower_first

# --- the chart -------------------------------------------------------------------------------


_drawn: OrderedDict[str, bytes] = OrderedDict()  # chart key -> PNG, the latest used last
_drawn_lock = threading.Lock()


def chart_png(settings: Settings, ledger: DayLedger, trend: list) -> bytes:
    """`trend`: ledger.TrendPoint per day (or (day, figures) pairs, nothing carried)."""
    with chart_drawn(settings, ledger, trend, fork=False) as png:
        return png()


@contextmanager
def chart_drawn(settings: Settings, ledger: DayLedger, trend: list, fork: bool = True) -> Iterator[Callable[[], bytes]]:
    """Gives the call returning the chart's PNG: the one kept for the same content, else drawn.

    With `fork`, a chart to draw is drawn in a forked copy of the process while the block
    runs, where a fork is safe (mailbot/forked.py): the report writes its workbook meanwhile.
    """
    data = chart_content(settings, ledger, trend)
    key = chart_key(data, settings.language)
    with _drawn_lock:
        kept = _drawn.get(key)
        if kept is not None:
            _drawn.move_to_end(key)
    if kept is not None:
        yield lambda: kept
        return
    draw = partial(chart.render_png, data)
    if not fork:
        yield lambda: _keep(key, draw())
        return
    with beside(draw, "report's chart") as drawn:
        yield lambda: _keep(key, drawn())


def _keep(key: str, png: bytes) -> bytes:
    with _drawn_lock:
        _drawn[key] = png
        while len(_drawn) > CHARTS_KEPT:
            _drawn.popitem(last=False)
    return png


def forget_drawn_charts() -> None:
    """Drop every kept chart: the next report draws its chart (benchmarks measure that)."""
    with _drawn_lock:
        _drawn.clear()


def chart_key(data: chart.ChartData, lang: str) -> str:
    """A digest of everything the chart shows: its values and labels (the formatting functions
    are the language's, so the language stands for them)."""
    shown = [(f.name, getattr(data, f.name)) for f in dataclasses.fields(data) if not f.name.startswith("format_")]
    return hashlib.sha256(repr((lang, shown)).encode()).hexdigest()


def chart_content(settings: Settings, ledger: DayLedger, trend: list) -> chart.ChartData:
    """Everything the chart shows, named and formatted in the configured language."""
    lang = settings.language
    metric = settings.campaign.metrics[0]
    # The goal line is drawn on the coverage axis only when the goal is a share of the population.
    goal = ledger.goal_percent if settings.campaign.goal_on_population else None
    goal_text = format_percent(goal, lang, digits=0 if goal is not None and goal.is_integer() else 2)
    units, coverage_title = chart_units(ledger, lang, coverage_label(settings))
    share = settings.campaign.share
    if share is not None:
        goal = ledger.goal_percent  # the share's target, on the share's own axis
        goal_text = format_percent(goal, lang, digits=0 if goal is not None and goal.is_integer() else 2)
        if len(ledger.units) <= chart.MAX_BARS:
            coverage_title = text("campaigns.chart_share", lang, share_label=share.label)
    return chart.ChartData(
        units=tuple((u.name, u.coverage, _why_no_coverage(u, lang, share is not None)) for u in units),
        goal_percent=goal,
        trend=tuple(_trend_values(trend, metric.id)),
        coverage_title=coverage_title,
        goal_label=text("report.chart_goal", lang, goal=goal_text),
        trend_title=text("report.chart_trend", lang, metric_lower=lower_first(metric.label)),
        no_data_label=text("report.chart_no_data", lang),
        format_count=lambda value: format_count(value, lang),
        format_percent=lambda value: format_percent(value, lang, digits=0 if float(value).is_integer() else 1),
        format_day=lambda day: day.strftime("%d/%m"),
        carried_label=text("report.chart_carried", lang),
        **_whole_picture(settings, ledger),
    )


def _whole_picture(settings: Settings, ledger: DayLedger) -> dict:
    """The chart's own title and day and, when the coverage panel cannot show every unit, the
    distribution of every counted unit's coverage."""
    lang = settings.language
    local_as_of = ledger.as_of.astimezone(settings.campaign.tz)
    metric = settings.campaign.metrics[0]
    title = text(
        "report.chart_heading",
        lang,
        metric=metric.label,
        area=settings.campaign.area_name or text("report.area_fallback", lang),
        day=letter_day(ledger.day, lang),
        time=local_as_of.strftime("%H:%M"),
    )
    if len(ledger.units) <= chart.MAX_BARS:
        return dict(title=title)
    counted = tuple(u.coverage for u in ledger.units if u.coverage is not None)
    return dict(
        title=title,
        distribution=counted,
        distribution_title=text(
            "report.chart_distribution",
            lang,
            coverage=lower_first(coverage_label(settings)),
            counted=format_count(len(counted), lang),
            expected=format_count(len(ledger.units), lang),
        ),
        distribution_axis=text("report.chart_distribution_axis", lang),
    )


def _trend_values(trend: list, metric: str) -> Iterator[tuple[date, int | None, bool]]:
    for point in trend:
        if isinstance(point, TrendPoint):
            yield point.day, (point.figures or {}).get(metric), bool(point.carried)
        else:
            day, figures = point
            yield day, (figures or {}).get(metric), False


def chart_units(ledger: DayLedger, lang: str, coverage: str | None = None) -> tuple[tuple[UnitDay, ...], str]:
    """The units the coverage panel shows, and its title.

    Up to chart.MAX_BARS units: every unit, in table order. More: the MAX_BARS units
    with the lowest coverage, lowest on top (those that need attention; units with
    no coverage are in the report's lists), and the title says so. `coverage` names
    what the bars measure (the coverage column's heading).
    """
    coverage = coverage or text("report.col_coverage", lang)
    if len(ledger.units) <= chart.MAX_BARS:
        return ledger.units, text("report.chart_coverage", lang, coverage=coverage)
    known = sorted((u for u in ledger.units if u.coverage is not None), key=lambda u: u.coverage or 0.0)
    if not known:
        return (), text("report.chart_coverage", lang, coverage=coverage)
    shown = tuple(known[: chart.MAX_BARS])
    return shown, text(
        "report.chart_coverage_lowest",
        lang,
        coverage=coverage,
        shown=format_count(len(shown), lang),
        counted=format_count(len(known), lang),
        expected=format_count(len(ledger.units), lang),
    )


def _why_no_coverage(unit: UnitDay, lang: str, share: bool = False) -> str:
    if unit.population is None and not share:
        return text("report.chart_no_population", lang)
    return state_name(unit.state, lang).lower() if unit.coverage is None else ""
