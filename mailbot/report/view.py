"""DayLedger -> ReportView: every string the report shows, formatted in the configured language."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime

from mailbot.config import Settings
from mailbot.i18n import format_count, format_day, format_percent, format_time, state_name, text, where_read
from mailbot.models import LATE, MISSING, NEEDS_REVIEW, ON_TIME, REJECTED, DayLedger, LastCounted, Source, UnitDay
from mailbot.report import shares

CHART_CID = "report-chart@mailbot"  # the HTML refers to the chart as cid:CHART_CID
CHART_SRC = f"cid:{CHART_CID}"


# --- formatting helpers ---------------------------------------------------------------------


def letter_day(day: date, lang: str) -> str:
    """A day as the letter writes it: 14/8/2020 (Vietnamese), 14/08/2020 (English)."""
    return format_day(day, lang)


def lower_first(label: str) -> str:
    """ "Số lượng cài đặt" -> "số lượng cài đặt", leaving acronyms such as "ICT" alone."""
    if len(label) > 1 and label[1].isupper():
        return label
    return label[:1].lower() + label[1:]


def topic_of(settings: Settings) -> str:
    """What the campaign's letters are about: its `topic`, else its first metric's label."""
    return settings.campaign.topic or lower_first(settings.campaign.metrics[0].label)


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


def figures_text(settings: Settings, figures: Mapping[str, int], lang: str) -> str:
    labels = {m.id: m.label for m in settings.campaign.metrics}
    parts = [f"{labels.get(k, k)}: {format_count(v, lang)}" for k, v in figures.items()]
    return "; ".join(parts)


def sources_text(sources: Mapping[str, Source], settings: Settings) -> str:
    """Each metric's source; the metric named when the campaign has several."""
    lang = settings.language
    labels = {m.id: m.label for m in settings.campaign.metrics}
    shown = [(labels.get(k, k), where_read(v, lang)) for k, v in sources.items()]
    if len(shown) <= 1:
        return shown[0][1] if shown else ""
    return "; ".join(f"{label}: {where}" for label, where in shown)


# --- the report's view: every string the templates show -------------------------------------


@dataclass(frozen=True, slots=True)
class RowView:
    """One unit's line of the report's table, every cell a finished string.

    An object rather than a dict: the templates read `row.name`, which Jinja2 finds at
    once on an object and only after a failed attribute lookup on a dict (a national
    day's table has some 40,000 such lookups).
    """

    no: str
    name: str
    figures: tuple[str, ...]
    population: str
    coverage: str
    rank: str
    received: str
    state: str
    state_label: str
    notes: tuple[str, ...]


@dataclass(frozen=True)
class ReportView:
    lang: str
    title: str
    subtitle: str
    as_of: str
    update_notice: str | None
    headline: str
    day_sum: str | None  # the plain sum of the day's reports, beside the estimate, when incomplete
    units_reported: str
    goal_line: str | None
    goal_bar: tuple[float, float] | None  # (coverage %, goal %) for the progress bar, capped at 100
    no_reporting: str | None
    columns: tuple[str, ...]
    rows: tuple[RowView, ...]
    total: dict
    estimate: dict | None  # the estimate row, when some unit's figure is carried
    rank_note: str | None
    lists: tuple[dict, ...]
    chart_src: str
    chart_alt: str
    footer: str
    show_population: bool = True  # False for a campaign whose coverage is a share of its own counts
    agency: str = ""  # who issues the report, at its top: the department of the area


def build_view(settings: Settings, ledger: DayLedger, update: bool) -> ReportView:
    lang = settings.language
    day = letter_day(ledger.day, lang)
    local_as_of = ledger.as_of.astimezone(settings.campaign.tz)
    t = lambda key, **kw: text(f"report.{key}", lang, **kw)  # noqa: E731
    return ReportView(
        lang=lang,
        title=t("title", metric_lower=topic_of(settings)),
        subtitle=shares.once_words(settings, "subtitle") or t("subtitle", day=day),
        as_of=t(
            "as_of",
            time=local_as_of.strftime("%H:%M"),
            day=letter_day(local_as_of.date(), lang),
            deadline_time=ledger.deadline.strftime("%H:%M"),
            deadline_day=day,
        ),
        update_notice=t("update_notice", day=day) if update else None,
        headline=_headline(settings, ledger, local_as_of),
        day_sum=_day_sum(settings, ledger),
        units_reported=t("units_reported", reported=ledger.reported, expected=ledger.expected),
        goal_line=_goal_line(settings, ledger),
        goal_bar=_goal_bar(settings, ledger),
        no_reporting=None
        if ledger.reporting_day
        else t("no_reporting", day=day, reason=ledger.no_reporting_reason or ""),
        columns=_columns(settings),
        rows=tuple(_row(settings, ledger, number, unit) for number, unit in enumerate(ledger.units, start=1)),
        total=_total_row(settings, ledger),
        estimate=_estimate_row(settings, ledger),
        rank_note=_rank_note(settings, ledger),
        lists=_lists(settings, ledger),
        chart_src=CHART_SRC,
        chart_alt=t("chart_alt", coverage=coverage_label(settings)),
        footer=t("footer"),
        show_population=settings.campaign.share is None,
        agency=agency_of(settings),
    )


def agency_of(settings: Settings) -> str:
    """The issuing agency as the configuration names it: its department and the area ("" if none)."""
    campaign = settings.campaign
    if not campaign.department:
        return ""
    if not campaign.area_name:
        return campaign.department
    return text("report.agency", settings.language, department=campaign.department, area=campaign.area_name)


def _headline(settings: Settings, ledger: DayLedger, local_as_of: datetime) -> str:
    """The area's figure: the estimate for a cumulative metric, naming each carried unit and its day.

    The sum of an incomplete day is never presented as the area's figure; it is said
    beside the estimate (see _day_sum).
    """
    lang = settings.language
    metric = settings.campaign.metrics[0]
    share = settings.campaign.share
    if share is not None:
        when = dict(time=local_as_of.strftime("%H:%M"), as_of_day=letter_day(local_as_of.date(), lang))
        return shares.headline(settings, ledger, share, when)
    carried = carried_units(ledger)
    figure = ledger.estimate.get(metric.id, ledger.totals.get(metric.id, 0)) if metric.cumulative else None
    params = dict(
        time=local_as_of.strftime("%H:%M"),
        day=letter_day(ledger.day, lang),
        metric_lower=lower_first(metric.label),
        area=settings.campaign.area_name or text("report.area_fallback", lang),
    )
    if figure is None:
        key = "headline_sum" if ledger.reported == ledger.expected else "headline_partial"
        return text(f"report.{key}", lang, total=format_count(ledger.totals.get(metric.id, 0), lang), **params)
    key = "headline_estimate" if carried else "headline"
    if ledger.population and ledger.coverage is not None:
        key += "_population"
        params.update(population=format_count(ledger.population, lang), coverage=format_percent(ledger.coverage, lang))
    if carried:
        params["carried"] = "; ".join(
            text("report.carried_item", lang, name=name, day=letter_day(last.day, lang)) for name, last in carried
        )
    return text(f"report.{key}", lang, total=format_count(figure, lang), **params)


def carried_units(ledger: DayLedger) -> list[tuple[str, LastCounted]]:
    """(name, last counted figures) of each unit whose figure is carried into the estimate."""
    return [(u.name, u.last_counted) for u in ledger.units if u.last_counted is not None]


def _day_sum(settings: Settings, ledger: DayLedger) -> str | None:
    """The plain sum of the day's counted reports, said beside the headline when the day is incomplete."""
    metric = settings.campaign.metrics[0]
    if not ledger.reporting_day or ledger.reported == ledger.expected or not metric.cumulative:
        return None
    lang = settings.language
    uncounted = [u.name for u in ledger.units if u.state not in (ON_TIME, LATE) and u.last_counted is None]
    line = text(
        "report.day_sum",
        lang,
        total=format_count(ledger.totals.get(metric.id, 0), lang),
        reported=ledger.reported,
        expected=ledger.expected,
    )
    if uncounted:
        line += " " + text("report.never_counted", lang, names=", ".join(uncounted))
    return line


def _goal_line(settings: Settings, ledger: DayLedger) -> str | None:
    """The goal as the campaign states it: its base with its label, its date, the days left and the pace needed."""
    campaign = settings.campaign
    if campaign.share is not None:
        return shares.goal_line(settings, ledger, campaign.share)
    if campaign.goal_percent is None:
        return None
    lang = settings.language
    metric = campaign.metrics[0]
    goal = format_percent(campaign.goal_percent, lang, digits=0 if campaign.goal_percent.is_integer() else 2)
    base_label = campaign.goal_base_label or text("report.goal_population", lang)
    by = text("report.goal_by", lang, day=letter_day(campaign.goal_date, lang)) if campaign.goal_date else ""
    note = f" {campaign.goal_note}" if campaign.goal_note else ""
    base = campaign.goal_base_count
    if base is None:  # said in words, never a made-up number
        return text("report.goal_words", lang, goal=goal, base=base_label, by=by, note=note)
    goal_count = math.ceil(base * campaign.goal_percent / 100)
    figure = ledger.estimate.get(metric.id, ledger.totals.get(metric.id, 0))
    params = dict(goal=goal, base=base_label, base_count=format_count(base, lang), by=by, note=note)
    params["goal_count"] = format_count(goal_count, lang)
    if figure >= goal_count:
        return text("report.goal_reached", lang, **params)
    shortfall = goal_count - figure
    line = text("report.goal_short", lang, shortfall=format_count(shortfall, lang), **params)
    if campaign.goal_date is not None:
        days_left = (campaign.goal_date - ledger.day).days
        if days_left > 0:
            per_day = math.ceil(shortfall / days_left)
            line += " " + text("report.goal_pace", lang, days=days_left, per_day=format_count(per_day, lang))
        else:
            line += " " + text("report.goal_passed", lang, day=letter_day(campaign.goal_date, lang))
    return line


def _goal_bar(settings: Settings, ledger: DayLedger) -> tuple[float, float] | None:
    """Coverage against the goal; only when the goal is a share of the population the coverage is of."""
    on_base = settings.campaign.goal_on_population or settings.campaign.share is not None
    if ledger.goal_percent is None or ledger.coverage is None or not on_base:
        return None
    return (round(min(ledger.coverage, 100.0), 2), round(min(ledger.goal_percent, 100.0), 2))


def _columns(settings: Settings) -> tuple[str, ...]:
    lang = settings.language
    metrics = settings.campaign.metrics
    share = settings.campaign.share
    t = lambda key: text(f"report.{key}", lang)  # noqa: E731
    figure_columns = []
    for metric in metrics:
        figure_columns.append(metric.label)
        if not settings.campaign.once:
            figure_columns.append(t("col_change") if len(metrics) == 1 else f"{metric.label}: {t('col_change')}")
    return (
        t("col_no"),
        t("col_unit"),
        *figure_columns,
        *(() if share else (t("col_population"),)),
        share.label if share else coverage_label(settings),
        t("col_rank"),
        t("col_received"),
        t("col_state"),
    )


def coverage_label(settings: Settings) -> str:
    """What the coverage column measures: the campaign's own words, else the catalogue's."""
    return settings.campaign.coverage_label or text("report.col_coverage", settings.language)


def _row(settings: Settings, ledger: DayLedger, number: int, unit: UnitDay) -> RowView:
    lang = settings.language
    cells = []
    for metric in settings.campaign.metrics:
        cells.append(format_count(unit.figures.get(metric.id), lang))
        if not settings.campaign.once:
            cells.append(signed_count(unit.change.get(metric.id), lang))
    notes = []
    if unit.correction and unit.corrected_at:
        notes.append(text("report.corrected", lang, time=clock_or_time(unit.corrected_at, ledger.day, lang)))
    if unit.pending_figures:
        notes.append(text("report.pending_figures", lang, figures=figures_text(settings, unit.pending_figures, lang)))
    if unit.last_counted is not None:
        notes.append(
            text(
                "report.carried_note",
                lang,
                day=letter_day(unit.last_counted.day, lang),
                figures=figures_text(settings, unit.last_counted.figures, lang),
            )
        )
    return RowView(
        no=str(number),
        name=unit.name,
        figures=tuple(cells),
        population=format_count(unit.population, lang),
        coverage=format_percent(unit.coverage, lang),
        rank=str(unit.rank) if unit.rank else "–",
        received=clock_or_time(unit.received_at, ledger.day, lang),
        state=unit.state,
        state_label=state_name(unit.state, lang),
        notes=tuple(notes),
    )


def _total_row(settings: Settings, ledger: DayLedger) -> dict:
    """The sum of the day's counted reports; labelled as such when the day is incomplete."""
    lang = settings.language
    cells = []
    for metric in settings.campaign.metrics:
        cells.append(format_count(ledger.totals.get(metric.id, 0), lang))
        if not settings.campaign.once:
            cells.append(signed_count(ledger.change.get(metric.id), lang))
    complete = ledger.reported == ledger.expected
    first = settings.campaign.metrics[0].id
    return dict(
        label=text("report.total_row" if complete else "report.total_row_partial", lang),
        figures=tuple(cells),
        population=format_count(ledger.population, lang),
        coverage=format_percent(_total_coverage(settings, ledger, first), lang),
        state_label=text("report.total_state", lang, reported=ledger.reported, expected=ledger.expected),
    )


def _estimate_row(settings: Settings, ledger: DayLedger) -> dict | None:
    """The area's estimate, when some unit's figure is carried from an earlier day."""
    carried = carried_units(ledger)
    if not carried or not ledger.estimate:
        return None
    lang = settings.language
    cells = []
    for metric in settings.campaign.metrics:
        value = ledger.estimate.get(metric.id)
        cells.append(format_count(value, lang) if value is not None else "–")
        if not settings.campaign.once:
            cells.append("")
    return dict(
        label=text("report.estimate_row", lang),
        figures=tuple(cells),
        population=format_count(ledger.population, lang),
        coverage=format_percent(ledger.coverage, lang),
        state_label=text("report.estimate_state", lang, carried=len(carried)),
    )


def _total_coverage(settings: Settings, ledger: DayLedger, first: str) -> float | None:
    """The total row's coverage: the share of the totals, else the first metric per population."""
    if settings.campaign.share is not None:
        return ledger.coverage
    return percent_of(ledger.totals.get(first), ledger.population)


def percent_of(value: int | None, base: int | None) -> float | None:
    return None if value is None or not base else value * 100.0 / base


def _rank_note(settings: Settings, ledger: DayLedger) -> str | None:
    """The ranking's base and rule."""
    if not ledger.rank_by:
        return None
    if settings.campaign.share is not None and ledger.rank_by == "coverage":
        return shares.rank_note(settings, settings.campaign.share)
    return text(f"report.rank_note_{ledger.rank_by}", settings.language, coverage=coverage_label(settings))


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
    lists = [dict(title=text(f"report.{key}", lang), items=tuple(items), empty=none) for key, items in sections]
    below = shares.below_goal(settings, ledger, settings.campaign.share) if settings.campaign.share else None
    return tuple([*lists[:1], below, *lists[1:]] if below else lists)
