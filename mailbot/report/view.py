"""DayLedger -> ReportView: every string the report shows, formatted in the configured language."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime

from mailbot.config import Settings
from mailbot.i18n import format_count, format_percent, format_time, text
from mailbot.models import LATE, MISSING, NEEDS_REVIEW, REJECTED, DayLedger, UnitDay

CHART_CID = "report-chart@mailbot"  # the HTML refers to the chart as cid:CHART_CID
CHART_SRC = f"cid:{CHART_CID}"


# --- formatting helpers ---------------------------------------------------------------------


def letter_day(day: date, lang: str) -> str:
    """A day as the letter writes it: 14/8/2020 (Vietnamese), 14/08/2020 (English)."""
    return f"{day.day}/{day.month}/{day.year}" if lang == "vi" else day.strftime("%d/%m/%Y")


def lower_first(label: str) -> str:
    """ "Số lượng cài đặt" -> "số lượng cài đặt", leaving acronyms such as "ICT" alone."""
    if len(label) > 1 and label[1].isupper():
        return label
    return label[:1].lower() + label[1:]


def signed_count(value: int | None, lang: str) -> str:
    if value is None:
        return "–"
    if value < 0:
        return "−" + format_count(-value, lang)
    return ("+" if value > 0 else "") + format_count(value, lang)


def clock_or_time(moment: datetime | None, day: date, lang: str) -> str:
    """ "08:30" for an arrival on the day itself, the full time otherwise."""
    if moment is None:
        return "–"
    return moment.strftime("%H:%M") if moment.date() == day else format_time(moment, lang)


def figures_text(settings: Settings, figures, lang: str) -> str:
    labels = {m.id: m.label for m in settings.campaign.metrics}
    parts = [f"{labels.get(k, k)}: {format_count(v, lang)}" for k, v in figures.items()]
    return "; ".join(parts)


# --- the report's view: every string the templates show -------------------------------------


@dataclass(frozen=True)
class ReportView:
    lang: str
    title: str
    subtitle: str
    as_of: str
    update_notice: str | None
    headline: str
    units_reported: str
    goal_line: str | None
    goal_bar: tuple[float, float] | None  # (coverage %, goal %) for the progress bar, capped at 100
    no_reporting: str | None
    columns: tuple[str, ...]
    rows: tuple[dict, ...]
    total: dict
    rank_note: str | None
    lists: tuple[dict, ...]
    chart_src: str
    chart_alt: str
    footer: str


def build_view(settings: Settings, ledger: DayLedger, update: bool) -> ReportView:
    lang = settings.language
    metrics = settings.campaign.metrics
    day = letter_day(ledger.day, lang)
    local_as_of = ledger.as_of.astimezone(settings.campaign.tz)
    t = lambda key, **kw: text(f"report.{key}", lang, **kw)  # noqa: E731
    return ReportView(
        lang=lang,
        title=t("title", metric_lower=lower_first(metrics[0].label)),
        subtitle=t("subtitle", day=day),
        as_of=t(
            "as_of",
            time=local_as_of.strftime("%H:%M"),
            day=letter_day(local_as_of.date(), lang),
            deadline_time=ledger.deadline.strftime("%H:%M"),
            deadline_day=day,
        ),
        update_notice=t("update_notice", day=day) if update else None,
        headline=_headline(settings, ledger, local_as_of),
        units_reported=t("units_reported", reported=ledger.reported, expected=ledger.expected),
        goal_line=_goal_line(settings, ledger),
        goal_bar=_goal_bar(ledger),
        no_reporting=None
        if ledger.reporting_day
        else t("no_reporting", day=day, reason=ledger.no_reporting_reason or ""),
        columns=_columns(settings),
        rows=tuple(_row(settings, ledger, number, unit) for number, unit in enumerate(ledger.units, start=1)),
        total=_total_row(settings, ledger),
        rank_note=t(f"rank_note_{ledger.rank_by}") if ledger.rank_by else None,
        lists=_lists(settings, ledger),
        chart_src=CHART_SRC,
        chart_alt=t("chart_alt"),
        footer=t("footer"),
    )


def _headline(settings: Settings, ledger: DayLedger, local_as_of: datetime) -> str:
    lang = settings.language
    metric = settings.campaign.metrics[0]
    params = dict(
        time=local_as_of.strftime("%H:%M"),
        day=letter_day(ledger.day, lang),
        metric_lower=lower_first(metric.label),
        area=settings.campaign.area_name or text("report.area_fallback", lang),
        total=format_count(ledger.totals.get(metric.id, 0), lang),
    )
    if ledger.population and ledger.coverage is not None:
        return text(
            "report.headline",
            lang,
            population=format_count(ledger.population, lang),
            coverage=format_percent(ledger.coverage, lang),
            **params,
        )
    return text("report.headline_no_population", lang, **params)


def _goal_line(settings: Settings, ledger: DayLedger) -> str | None:
    if ledger.goal_percent is None or not ledger.population:
        return None
    lang = settings.language
    goal_count = math.ceil(ledger.population * ledger.goal_percent / 100)
    total = ledger.totals.get(settings.campaign.metrics[0].id, 0)
    goal = format_percent(ledger.goal_percent, lang, digits=0 if ledger.goal_percent.is_integer() else 2)
    if total >= goal_count:
        return text("report.goal_reached", lang, goal=goal, goal_count=format_count(goal_count, lang))
    return text(
        "report.goal_short",
        lang,
        goal=goal,
        goal_count=format_count(goal_count, lang),
        shortfall=format_count(goal_count - total, lang),
    )


def _goal_bar(ledger: DayLedger) -> tuple[float, float] | None:
    if ledger.goal_percent is None or ledger.coverage is None:
        return None
    return (round(min(ledger.coverage, 100.0), 2), round(min(ledger.goal_percent, 100.0), 2))


def _columns(settings: Settings) -> tuple[str, ...]:
    lang = settings.language
    metrics = settings.campaign.metrics
    t = lambda key: text(f"report.{key}", lang)  # noqa: E731
    figure_columns = []
    for metric in metrics:
        figure_columns.append(metric.label)
        figure_columns.append(t("col_change") if len(metrics) == 1 else f"{metric.label}: {t('col_change')}")
    return (
        t("col_no"),
        t("col_unit"),
        *figure_columns,
        t("col_population"),
        t("col_coverage"),
        t("col_rank"),
        t("col_received"),
        t("col_state"),
    )


def _row(settings: Settings, ledger: DayLedger, number: int, unit: UnitDay) -> dict:
    lang = settings.language
    cells = []
    for metric in settings.campaign.metrics:
        cells.append(format_count(unit.figures.get(metric.id), lang))
        cells.append(signed_count(unit.change.get(metric.id), lang))
    notes = []
    if unit.correction and unit.corrected_at:
        notes.append(text("report.corrected", lang, time=clock_or_time(unit.corrected_at, ledger.day, lang)))
    if unit.pending_figures:
        notes.append(text("report.pending_figures", lang, figures=figures_text(settings, unit.pending_figures, lang)))
    return dict(
        no=str(number),
        name=unit.name,
        figures=tuple(cells),
        population=format_count(unit.population, lang),
        coverage=format_percent(unit.coverage, lang),
        rank=str(unit.rank) if unit.rank else "–",
        received=clock_or_time(unit.received_at, ledger.day, lang),
        state=unit.state,
        state_label=text(f"states.{unit.state}", lang),
        notes=tuple(notes),
    )


def _total_row(settings: Settings, ledger: DayLedger) -> dict:
    lang = settings.language
    cells = []
    for metric in settings.campaign.metrics:
        cells.append(format_count(ledger.totals.get(metric.id, 0), lang))
        cells.append(signed_count(ledger.change.get(metric.id), lang))
    return dict(
        label=text("report.total_row", lang),
        figures=tuple(cells),
        population=format_count(ledger.population, lang),
        coverage=format_percent(ledger.coverage, lang),
        state_label=text("report.total_state", lang, reported=ledger.reported, expected=ledger.expected),
    )


def _lists(settings: Settings, ledger: DayLedger) -> tuple[dict, ...]:
    if not ledger.reporting_day:
        return ()
    lang = settings.language
    late = [
        text("report.late_item", lang, name=u.name, time=clock_or_time(u.received_at, ledger.day, lang))
        for u in ledger.units
        if u.state == LATE
    ]
    missing = [
        u.name if u.state == MISSING else text("report.missing_rejected", lang, name=u.name)
        for u in ledger.units
        if u.state in (MISSING, REJECTED)
    ]
    review = [
        f"{u.name}: {figures_text(settings, u.pending_figures, lang)}" if u.pending_figures else u.name
        for u in ledger.units
        if u.state == NEEDS_REVIEW
    ]
    sections = [("late_title", late), ("missing_title", missing)]
    if review:
        sections.append(("review_title", review))
    none = text("report.none", lang)
    return tuple(dict(title=text(f"report.{key}", lang), items=tuple(items), empty=none) for key, items in sections)
