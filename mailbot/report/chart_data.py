"""The chart's content: which units it shows, and every label, in the configured language.

mailbot/chart.py draws it.
"""

from __future__ import annotations

from datetime import date

from mailbot import chart
from mailbot.config import Settings
from mailbot.i18n import format_count, format_percent, text
from mailbot.models import DayLedger, UnitDay
from mailbot.report.view import lower_first

# --- the chart -------------------------------------------------------------------------------


def chart_png(settings: Settings, ledger: DayLedger, trend: list[tuple[date, dict | None]]) -> bytes:
    lang = settings.language
    metric = settings.campaign.metrics[0]
    goal = ledger.goal_percent
    goal_text = format_percent(goal, lang, digits=0 if goal is not None and goal.is_integer() else 2)
    units, coverage_title = chart_units(ledger, lang)
    data = chart.ChartData(
        units=tuple((u.name, u.coverage, _why_no_coverage(u, lang)) for u in units),
        goal_percent=goal,
        trend=tuple((day, (point or {}).get(metric.id)) for day, point in trend),
        coverage_title=coverage_title,
        goal_label=text("report.chart_goal", lang, goal=goal_text),
        trend_title=text("report.chart_trend", lang, metric_lower=lower_first(metric.label)),
        no_data_label=text("report.chart_no_data", lang),
        format_count=lambda value: format_count(value, lang),
        format_percent=lambda value: format_percent(value, lang, digits=0 if float(value).is_integer() else 1),
        format_day=lambda day: day.strftime("%d/%m"),
    )
    return chart.render_png(data)


def chart_units(ledger: DayLedger, lang: str) -> tuple[tuple[UnitDay, ...], str]:
    """The units the coverage panel shows, and its title.

    Up to chart.MAX_BARS units: every unit, in table order. More: the MAX_BARS units
    with the lowest coverage, lowest on top (those that need attention; units with
    no coverage are in the report's lists), and the title says so.
    """
    if len(ledger.units) <= chart.MAX_BARS:
        return ledger.units, text("report.chart_coverage", lang)
    known = sorted((u for u in ledger.units if u.coverage is not None), key=lambda u: u.coverage or 0.0)
    if not known:
        return (), text("report.chart_coverage", lang)
    shown = tuple(known[: chart.MAX_BARS])
    return shown, text(
        "report.chart_coverage_lowest", lang, shown=len(shown), counted=len(known), expected=len(ledger.units)
    )


def _why_no_coverage(unit: UnitDay, lang: str) -> str:
    if unit.population is None:
        return text("report.chart_no_population", lang)
    return text(f"states.{unit.state}", lang).lower() if unit.coverage is None else ""
