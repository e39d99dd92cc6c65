"""DayLedger -> RenderedReport: the consolidated report as HTML, plain text, XLSX and a chart.

Jinja2 and openpyxl's writer live here (matplotlib lives in chart.py); openpyxl and
matplotlib are imported only when a workbook or chart is made, so that commands
which never make one do not pay for them. Every number
and date is formatted here, in the configured language; the templates in
templates/<lang>/ only lay the finished strings out (StrictUndefined, autoescape).
`render_template` is also how compose.py renders the mail bodies.
"""

from __future__ import annotations

import io
import logging
import math
import os
import tempfile
from copy import copy
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from types import SimpleNamespace

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from mailbot import chart
from mailbot.config import Settings
from mailbot.i18n import TEMPLATES_DIR, format_count, format_percent, format_time, text
from mailbot.models import LATE, MISSING, NEEDS_REVIEW, REJECTED, DayLedger, RenderedReport, Submission, UnitDay

log = logging.getLogger(__name__)

CHART_CID = "report-chart@mailbot"  # the HTML refers to the chart as cid:CHART_CID
CHART_SRC = f"cid:{CHART_CID}"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")  # a cell text starting so could be taken for a formula
STATE_FILLS = {LATE: "FFF1D6", MISSING: "F8D7DA", REJECTED: "F8D7DA", NEEDS_REVIEW: "FFF9C4"}
HEADER_FILL = "DCE6F1"


# --- templates ------------------------------------------------------------------------------


@lru_cache(maxsize=None)
def _environment(lang: str) -> Environment:
    return Environment(
        loader=FileSystemLoader(str(TEMPLATES_DIR / lang)),
        undefined=StrictUndefined,
        autoescape=select_autoescape(enabled_extensions=("html", "html.j2"), default_for_string=False),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def render_template(name: str, lang: str, **context) -> str:
    """templates/<lang>/<name> rendered with finished strings."""
    return _environment(lang).get_template(name).render(**context)


# --- formatting helpers ---------------------------------------------------------------------


def letter_day(day: date, lang: str) -> str:
    """A day as the letter writes it: 14/8/2020 (Vietnamese), 14/08/2020 (English)."""
    return f"{day.day}/{day.month}/{day.year}" if lang == "vi" else day.strftime("%d/%m/%Y")


def lower_first(label: str) -> str:
    """"Số lượng cài đặt" -> "số lượng cài đặt", leaving acronyms such as "ICT" alone."""
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
    """"08:30" for an arrival on the day itself, the full time otherwise."""
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
        as_of=t("as_of", time=local_as_of.strftime("%H:%M"), day=letter_day(local_as_of.date(), lang),
                deadline_time=ledger.deadline.strftime("%H:%M"), deadline_day=day),
        update_notice=t("update_notice", day=day) if update else None,
        headline=_headline(settings, ledger, local_as_of),
        units_reported=t("units_reported", reported=ledger.reported, expected=ledger.expected),
        goal_line=_goal_line(settings, ledger),
        goal_bar=_goal_bar(ledger),
        no_reporting=None if ledger.reporting_day else t("no_reporting", day=day, reason=ledger.no_reporting_reason or ""),
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
        time=local_as_of.strftime("%H:%M"), day=letter_day(ledger.day, lang), metric_lower=lower_first(metric.label),
        area=settings.campaign.area_name or text("report.area_fallback", lang),
        total=format_count(ledger.totals.get(metric.id, 0), lang),
    )
    if ledger.population and ledger.coverage is not None:
        return text("report.headline", lang, population=format_count(ledger.population, lang),
                    coverage=format_percent(ledger.coverage, lang), **params)
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
    return text("report.goal_short", lang, goal=goal, goal_count=format_count(goal_count, lang),
                shortfall=format_count(goal_count - total, lang))


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
    return (t("col_no"), t("col_unit"), *figure_columns, t("col_population"), t("col_coverage"), t("col_rank"),
            t("col_received"), t("col_state"))


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
        no=str(number), name=unit.name, figures=tuple(cells), population=format_count(unit.population, lang),
        coverage=format_percent(unit.coverage, lang), rank=str(unit.rank) if unit.rank else "–",
        received=clock_or_time(unit.received_at, ledger.day, lang), state=unit.state,
        state_label=text(f"states.{unit.state}", lang), notes=tuple(notes),
    )


def _total_row(settings: Settings, ledger: DayLedger) -> dict:
    lang = settings.language
    cells = []
    for metric in settings.campaign.metrics:
        cells.append(format_count(ledger.totals.get(metric.id, 0), lang))
        cells.append(signed_count(ledger.change.get(metric.id), lang))
    return dict(
        label=text("report.total_row", lang), figures=tuple(cells), population=format_count(ledger.population, lang),
        coverage=format_percent(ledger.coverage, lang),
        state_label=text("report.total_state", lang, reported=ledger.reported, expected=ledger.expected),
    )


def _lists(settings: Settings, ledger: DayLedger) -> tuple[dict, ...]:
    if not ledger.reporting_day:
        return ()
    lang = settings.language
    late = [text("report.late_item", lang, name=u.name, time=clock_or_time(u.received_at, ledger.day, lang))
            for u in ledger.units if u.state == LATE]
    missing = [u.name if u.state == MISSING else text("report.missing_rejected", lang, name=u.name)
               for u in ledger.units if u.state in (MISSING, REJECTED)]
    review = [f"{u.name}: {figures_text(settings, u.pending_figures, lang)}" if u.pending_figures else u.name
              for u in ledger.units if u.state == NEEDS_REVIEW]
    sections = [("late_title", late), ("missing_title", missing)]
    if review:
        sections.append(("review_title", review))
    none = text("report.none", lang)
    return tuple(dict(title=text(f"report.{key}", lang), items=tuple(items), empty=none) for key, items in sections)


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
    known = sorted((u for u in ledger.units if u.coverage is not None), key=lambda u: u.coverage)
    if not known:
        return (), text("report.chart_coverage", lang)
    shown = tuple(known[:chart.MAX_BARS])
    return shown, text("report.chart_coverage_lowest", lang, shown=len(shown), counted=len(known),
                       expected=len(ledger.units))


def _why_no_coverage(unit: UnitDay, lang: str) -> str:
    if unit.population is None:
        return text("report.chart_no_population", lang)
    return text(f"states.{unit.state}", lang).lower() if unit.coverage is None else ""


# --- the workbook ---------------------------------------------------------------------------
# openpyxl in write-only mode: rows stream out as they are appended, so every sheet setting
# (widths, heights, frozen panes, merged titles, page setup) is made before the first row.


@lru_cache(maxsize=1)
def _styles() -> SimpleNamespace:
    """The workbook's shared style objects (openpyxl is imported on first use)."""
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side

    thin = Side(style="thin", color="999999")
    border, bold, header_fill = Border(left=thin, right=thin, top=thin, bottom=thin), Font(bold=True), PatternFill(
        "solid", fgColor=HEADER_FILL)
    return SimpleNamespace(
        border=border, bold=bold, header_fill=header_fill,
        state_fills={state: PatternFill("solid", fgColor=color) for state, color in STATE_FILLS.items()},
        heading=dict(font=bold, fill=header_fill, border=border,
                     alignment=Alignment(horizontal="center", vertical="center", wrap_text=True)),
        top=Alignment(vertical="top"), top_wrapped=Alignment(vertical="top", wrap_text=True),
        title=dict(font=Font(bold=True, size=13), alignment=Alignment(horizontal="center")),
        subtitle=dict(font=Font(italic=True), alignment=Alignment(horizontal="center")),
    )


class Cells:
    """Cells for one write-only sheet's rows; text that could be taken for a formula stays text.

    Styles are the shared objects of _styles(). Setting a style makes openpyxl hash it
    against the workbook's style lists, which was most of the workbook's time; so each
    combination is set once per sheet and its style array copied to later cells (as
    openpyxl's own worksheet copy does).
    """

    def __init__(self, sheet) -> None:
        self.sheet = sheet
        self._known: dict[tuple, object] = {}

    def put(self, value, number_format: str | None = None, **style):
        from openpyxl.cell import WriteOnlyCell

        if isinstance(value, datetime):
            value = value.replace(tzinfo=None)
        cell = WriteOnlyCell(self.sheet, value)
        quoted = isinstance(value, str) and value.startswith(FORMULA_STARTS)
        if isinstance(value, str):
            cell.data_type = "s"  # never a formula, whatever the text begins with
        key = (number_format, quoted, *((name, id(setting)) for name, setting in style.items()))
        if key in self._known:
            cell._style = copy(self._known[key])
            return cell
        cell.quotePrefix = quoted
        if number_format:
            cell.number_format = number_format
        for name, setting in style.items():
            setattr(cell, name, setting)
        self._known[key] = copy(cell._style)
        return cell


def workbook_bytes(settings: Settings, ledger: DayLedger, view: ReportView, submissions: list[Submission]) -> bytes:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    _summary_sheet(book.create_sheet(), settings, ledger, view)
    _submissions_sheet(book.create_sheet(), settings, submissions)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _summary_sheet(sheet, settings: Settings, ledger: DayLedger, view: ReportView) -> None:
    from openpyxl.utils import get_column_letter

    lang, styles = settings.language, _styles()
    local_as_of = ledger.as_of.astimezone(settings.campaign.tz)
    sheet.title = text("report.sheet_summary", lang)
    header_row, last_column = 4, get_column_letter(len(view.columns))
    _sheet_layout(sheet, _column_widths(settings), freeze=f"C{header_row + 1}", title_rows=f"{header_row}:{header_row}")
    sheet.row_dimensions[header_row].height = 32
    for row in (1, 2):
        sheet.merged_cells.add(f"A{row}:{last_column}{row}")
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.fitToWidth = 1
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    metric = settings.campaign.metrics[0]
    area = settings.campaign.area_name or text("report.area_fallback", lang)
    title = text("report.sheet_title", lang, metric=metric.label, area=area)
    subtitle = text("report.sheet_subtitle", lang, time=local_as_of.strftime("%H:%M"), day=letter_day(ledger.day, lang))
    cells = Cells(sheet)
    sheet.append([cells.put(title, **styles.title)])
    sheet.append([cells.put(subtitle, **styles.subtitle)])
    sheet.append([])
    sheet.append([cells.put(heading, **styles.heading) for heading in view.columns])
    for number, unit in enumerate(ledger.units, start=1):
        sheet.append(_unit_line(cells, number, settings, ledger, unit))
    sheet.append(_total_line(cells, settings, ledger, view))


def _sheet_layout(sheet, widths: list[int], *, freeze: str, title_rows: str | None = None) -> None:
    from openpyxl.utils import get_column_letter

    for column, size in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(column)].width = size
    sheet.freeze_panes = freeze
    if title_rows:
        sheet.print_title_rows = title_rows


def _unit_line(cells: Cells, number: int, settings: Settings, ledger: DayLedger, unit: UnitDay) -> list:
    lang, styles = settings.language, _styles()
    values: list[tuple] = [(number, "0"), (unit.name, None)]
    for metric in settings.campaign.metrics:
        values.append((unit.figures.get(metric.id), "#,##0"))
        values.append((unit.change.get(metric.id), "+#,##0;-#,##0;0"))
    state = text(f"states.{unit.state}", lang)
    if unit.correction and unit.corrected_at:
        state += " (" + text("report.corrected", lang, time=clock_or_time(unit.corrected_at, ledger.day, lang)) + ")"
    values += [
        (unit.population, "#,##0"), (unit.coverage / 100 if unit.coverage is not None else None, "0.00%"),
        (unit.rank, "0"), (unit.received_at, "hh:mm dd/mm/yyyy"), (state, None),
    ]
    fill = {"fill": styles.state_fills[unit.state]} if unit.state in styles.state_fills else {}
    return [cells.put(value, number_format, border=styles.border, **fill) for value, number_format in values]


def _total_line(cells: Cells, settings: Settings, ledger: DayLedger, view: ReportView) -> list:
    styles = _styles()
    values: list[tuple] = [(None, None), (view.total["label"], None)]
    for metric in settings.campaign.metrics:
        values.append((ledger.totals.get(metric.id, 0), "#,##0"))
        values.append((ledger.change.get(metric.id), "+#,##0;-#,##0;0"))
    values += [
        (ledger.population, "#,##0"), (ledger.coverage / 100 if ledger.coverage is not None else None, "0.00%"),
        (None, None), (None, None), (view.total["state_label"], None),
    ]
    return [cells.put(value, number_format, font=styles.bold, border=styles.border, fill=styles.header_fill)
            for value, number_format in values]


def _column_widths(settings: Settings) -> list[int]:
    return [6, 26, *([16, 14] * len(settings.campaign.metrics)), 13, 12, 10, 18, 26]


def _submissions_sheet(sheet, settings: Settings, submissions: list[Submission]) -> None:
    """Every mail of the day: whatever a sender wrote is written as plain text."""
    lang, styles = settings.language, _styles()
    sheet.title = text("report.sheet_submissions", lang)
    metrics = settings.campaign.metrics
    t = lambda key: text(f"report.{key}", lang)  # noqa: E731
    headings = [t("col_submission"), t("col_received"), t("col_sender"), t("col_unit"), t("col_period"),
                *(m.label for m in metrics), t("col_status"), t("col_problems"), t("col_subject")]
    _sheet_layout(sheet, [7, 19, 34, 24, 13, *([16] * len(metrics)), 14, 60, 50], freeze="A2")
    cells = Cells(sheet)
    sheet.append([cells.put(heading, font=styles.bold, fill=styles.header_fill, border=styles.border)
                  for heading in headings])
    tz = settings.campaign.tz
    for sub in sorted(submissions, key=lambda s: (s.received_at, s.id)):
        unit = settings.unit(sub.unit) if sub.unit else None
        values = [
            (sub.id, "0"), (sub.received_at.astimezone(tz), "hh:mm:ss dd/mm/yyyy"), (sub.sender, None),
            (unit.name if unit else sub.unit, None), (sub.period, "dd/mm/yyyy"),
            *((sub.figures.get(m.id), "#,##0") for m in metrics),
            (text(f"states.{sub.status}", lang), None),
            ("\n".join(p.message for p in sub.problems) or None, None), (sub.subject, None),
        ]
        wrapped_from = len(values) - 1  # the problems and the subject wrap
        sheet.append([cells.put(value, number_format,
                                alignment=styles.top_wrapped if column >= wrapped_from else styles.top)
                      for column, (value, number_format) in enumerate(values, start=1)])


# --- the report -----------------------------------------------------------------------------


def render(
    settings: Settings,
    ledger: DayLedger,
    trend: list[tuple[date, dict | None]],
    submissions: list[Submission],
    update: bool = False,
) -> RenderedReport:
    """The day's consolidated report; `update` marks a version sent after an earlier one."""
    lang = settings.language
    view = build_view(settings, ledger, update)
    metric = lower_first(settings.campaign.metrics[0].label)
    day = letter_day(ledger.day, lang)
    subject = text("report.subject_update" if update else "report.subject", lang, metric_lower=metric, day=day)
    html = render_template("report.html.j2", lang, view=view, subject=subject)
    plain = render_template("report.txt.j2", lang, view=view, subject=subject)
    log.info("report for %s rendered (%s units, update=%s)", ledger.day, len(ledger.units), update)
    return RenderedReport(
        day=ledger.day, subject=subject, html=html, text=plain,
        xlsx=workbook_bytes(settings, ledger, view, submissions), chart_png=chart_png(settings, ledger, trend),
        update=update, file_stem=text("report.file_stem", lang, day=ledger.day.isoformat()),
        as_of=ledger.as_of,
    )


def write_files(report: RenderedReport, out_dir: Path) -> list[Path]:
    """Write the report's HTML (showing the PNG beside it), PNG and XLSX; returns the paths."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = report.file_stem or f"report-{report.day.isoformat()}"
    png = out_dir / f"{stem}.png"
    html = report.html.replace(f'src="{CHART_SRC}"', f'src="{png.name}"')
    paths = [out_dir / f"{stem}.html", png, out_dir / f"{stem}.xlsx"]
    for path, content in zip(paths, (html.encode("utf-8"), report.chart_png, report.xlsx)):
        _write_atomically(path, content)
    return paths


def _write_atomically(path: Path, content: bytes) -> None:
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(content)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
