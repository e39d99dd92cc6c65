"""The report as an XLSX workbook: the day's table styled like the appendix, and every submission.

The only module that writes the report's workbook, with XlsxWriter (made for writing,
about four times faster than openpyxl's writer on a 700-unit day), imported on first
use so that commands which never make one do not pay for it. Every value is written
with the call of its type: text is always a string cell, never a formula, URL or
number, and text that could be taken for a formula is also quote-prefixed.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

from mailbot.config import Settings
from mailbot.i18n import state_name, text
from mailbot.models import LATE, MISSING, NEEDS_REVIEW, ON_TIME, REJECTED, DayLedger, Submission, UnitDay
from mailbot.report.view import ReportView, clock_or_time, letter_day, sources_text

if TYPE_CHECKING:  # xlsxwriter is imported where a workbook is written
    from xlsxwriter.format import Format
    from xlsxwriter.workbook import Workbook
    from xlsxwriter.worksheet import Worksheet

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")  # a cell text starting so could be taken for a formula
STATE_FILLS: dict[str, str] = {LATE: "FFF1D6", MISSING: "F8D7DA", REJECTED: "F8D7DA", NEEDS_REVIEW: "FFF9C4"}
STATES = (ON_TIME, LATE, MISSING, REJECTED, NEEDS_REVIEW)
HEADER_FILL = "DCE6F1"
BORDER = {"border": 1, "border_color": "#999999"}
COUNT, CHANGE, PERCENT, WHOLE = "#,##0", "+#,##0;-#,##0;0", "0.00%", "0"
HEADER_ROW = 3  # zero-based: the agency, the title and the time above the table's header
A4 = 9  # XlsxWriter's paper index of A4
POINTS_PER_LINE = 15  # row height of one line of 11-point text
PAGE_MARGINS = {"left": 0.4, "right": 0.4, "top": 0.6, "bottom": 0.6}
WORKBOOK_OPTIONS = {
    "in_memory": True,
    "strings_to_formulas": False,
    "strings_to_numbers": False,
    "strings_to_urls": False,
}

# Cell styles as XlsxWriter format properties.
HEADING = {
    "bold": True,
    "bg_color": f"#{HEADER_FILL}",
    "align": "center",
    "valign": "vcenter",
    "text_wrap": True,
    **BORDER,
}
AGENCY = {"bold": True, "align": "left"}
TITLE = {"bold": True, "font_size": 13, "align": "center"}
SUBTITLE = {"italic": True, "align": "center", "valign": "top"}
NOTE = {"text_wrap": True, "valign": "top"}
NOTE_TITLE = {"bold": True, "valign": "bottom"}
TOTAL = {"bold": True, "bg_color": f"#{HEADER_FILL}", **BORDER}
TOP = {"valign": "top"}
TOP_WRAPPED = {"valign": "top", "text_wrap": True}


@dataclass(frozen=True)
class Value:
    """One cell's value, its number format, and its style (format properties)."""

    value: object
    number_format: str | None = None
    style: tuple = ()


@dataclass(frozen=True)
class CellStyle:
    """The formats of one kind of cell: as written, and quote-prefixed for text that could be taken
    for a formula; and whether a blank cell of that kind shows anything (a border or a fill)."""

    plain: Format | None
    quoted: Format | None
    shows_blank: bool


class Sheet:
    """Writes rows into one worksheet, each value with the call of its type.

    Formats are made once per combination of style, number format and quote prefix:
    XlsxWriter keeps every format object it is given. The table's many rows go through
    `line`, with the CellStyles of their columns made once; a blank cell that would show
    nothing (no border, no fill) is not written at all.
    """

    def __init__(self, book: Workbook, worksheet: Worksheet) -> None:
        self.book = book
        self.worksheet = worksheet
        self._formats: dict[tuple, object] = {}
        self._styles: dict[tuple, CellStyle] = {}

    def row(self, row: int, values: list[Value]) -> None:
        for column, cell in enumerate(values):
            self.put(row, column, cell)

    def put(self, row: int, column: int, cell: Value) -> None:
        self.line(row, [cell.value], [self.style(cell.style, cell.number_format)], start=column)

    def line(self, row: int, values: Sequence[object], styles: Sequence[CellStyle], start: int = 0) -> None:
        """One row of values from column `start`, value i in styles[i]."""
        write = self.worksheet
        for column, value, style in zip(range(start, start + len(values)), values, styles, strict=True):
            if value is None or value == "":
                if style.shows_blank:
                    write.write_blank(row, column, None, style.plain)
            elif isinstance(value, str):
                write.write_string(
                    row, column, value, style.quoted if value.startswith(FORMULA_STARTS) else style.plain
                )
            elif isinstance(value, bool):
                write.write_string(row, column, str(value), style.plain)
            elif isinstance(value, (datetime, date)):
                write.write_datetime(row, column, _naive(value), style.plain)
            else:
                write.write_number(row, column, value, style.plain)

    def style(self, style: tuple, number_format: str | None) -> CellStyle:
        key = (style, number_format)
        if key not in self._styles:
            shown = any(name in ("border", "bg_color") for name, _ in style)
            self._styles[key] = CellStyle(
                self.format(style, number_format, False), self.format(style, number_format, True), shown
            )
        return self._styles[key]

    def format(self, style: tuple, number_format: str | None, quoted: bool) -> Format:
        key = (style, number_format, quoted)
        if key not in self._formats:
            properties = dict(style)
            if number_format:
                properties["num_format"] = number_format
            if quoted:
                properties["quote_prefix"] = True
            self._formats[key] = self.book.add_format(properties) if properties else None
        return self._formats[key]

    def widths(self, widths: list[int]) -> None:
        for column, width in enumerate(widths):
            self.worksheet.set_column(column, column, width)


def _naive(value: datetime | date) -> datetime | date:
    """Spreadsheets have no time zones: the local wall time as the caller gave it."""
    return value.replace(tzinfo=None) if isinstance(value, datetime) else value


def _style(*parts: dict) -> tuple:
    merged: dict = {}
    for part in parts:
        merged.update(part)
    return tuple(sorted(merged.items()))


def workbook_bytes(settings: Settings, ledger: DayLedger, view: ReportView, submissions: list[Submission]) -> bytes:
    import xlsxwriter

    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, WORKBOOK_OPTIONS)
    book.set_properties({"created": ledger.as_of.astimezone(UTC).replace(tzinfo=None)})  # same figures, same bytes
    lang = settings.language
    _summary_sheet(Sheet(book, book.add_worksheet(text("report.sheet_summary", lang))), settings, ledger, view)
    _submissions_sheet(Sheet(book, book.add_worksheet(text("report.sheet_submissions", lang))), settings, submissions)
    book.close()
    return buffer.getvalue()


def _summary_sheet(sheet: Sheet, settings: Settings, ledger: DayLedger, view: ReportView) -> None:
    lang, worksheet = settings.language, sheet.worksheet
    local_as_of = ledger.as_of.astimezone(settings.campaign.tz)
    last_column = len(view.columns) - 1
    widths = _column_widths(settings)
    sheet.widths(widths)
    worksheet.freeze_panes(HEADER_ROW + 1, 2)
    worksheet.set_row(HEADER_ROW, 32)
    metric = settings.campaign.metrics[0]
    area = settings.campaign.area_name or text("report.area_fallback", lang)
    title = text("report.sheet_title", lang, metric=metric.label, area=area)
    subtitle = text("report.sheet_subtitle", lang, time=local_as_of.strftime("%H:%M"), day=letter_day(ledger.day, lang))
    _merged(sheet, 0, last_column, view.agency, _style(AGENCY))
    _merged(sheet, 1, last_column, title, _style(TITLE))
    _merged(sheet, 2, last_column, subtitle, _style(SUBTITLE))
    worksheet.set_row(2, 2 * POINTS_PER_LINE)  # the time, and a gap above the table
    sheet.row(HEADER_ROW, [Value(heading, style=_style(HEADING)) for heading in view.columns])
    row = HEADER_ROW
    styles = _unit_styles(sheet, settings)
    for row, unit in enumerate(ledger.units, start=HEADER_ROW + 1):
        sheet.line(row, _unit_values(row - HEADER_ROW, settings, ledger, unit), styles[unit.state])
    row += 1
    sheet.row(row, _total_line(settings, ledger, view))
    if view.estimate is not None:
        row += 1
        sheet.row(row, _estimate_line(settings, ledger, view.estimate))
    last_row = _notes(sheet, row + 2, last_column, sum(widths), view)
    _print_setup(worksheet, settings, last_row, last_column)


def _print_setup(worksheet: Worksheet, settings: Settings, last_row: int, last_column: int) -> None:
    """A4 landscape, one page wide, the table's header on every page, the page number below."""
    worksheet.set_paper(A4)
    worksheet.set_landscape()
    worksheet.fit_to_pages(1, 0)
    worksheet.repeat_rows(HEADER_ROW)
    worksheet.center_horizontally()
    worksheet.set_margins(**PAGE_MARGINS)
    worksheet.set_footer("&C" + text("report.page_footer", settings.language, page="&P", pages="&N"))
    worksheet.print_area(0, 0, last_row, last_column)


def _merged(sheet: Sheet, row: int, last_column: int, value: str, style: tuple) -> None:
    if last_column > 0:
        sheet.worksheet.merge_range(row, 0, row, last_column, value, sheet.format(style, None, False))
    else:
        sheet.put(row, 0, Value(value, style=style))


def _notes(sheet: Sheet, row: int, last_column: int, line_width: int, view: ReportView) -> int:
    """Below the table, as in the mail: the headline, the goal, the late, missing and review lists.

    Returns the last row written. Each paragraph spans the table's width; its height is
    set for its wrapped lines (a spreadsheet does not fit merged rows by itself).
    """
    paragraphs = [
        (view.headline + " " + view.units_reported, NOTE),
        (view.day_sum, NOTE),
        (view.goal_line, NOTE),
        (view.rank_note, NOTE),
    ]
    for section in view.lists:
        paragraphs.append((section["title"], NOTE_TITLE))
        paragraphs += [("– " + item, NOTE) for item in section["items"]] or [(section["empty"], NOTE)]
    paragraphs.append((view.as_of, NOTE))
    for paragraph, style in paragraphs:
        if not paragraph:
            continue
        lines = max(1, math.ceil(len(paragraph) * 1.1 / max(line_width, 1)))
        sheet.worksheet.set_row(row, lines * POINTS_PER_LINE + (6 if style is NOTE_TITLE else 0))
        _merged(sheet, row, last_column, paragraph, _style(style))
        row += 1
    return row - 1


def _unit_formats(settings: Settings) -> list[str | None]:
    """The number format of each column of a unit's line (as _unit_values orders them)."""
    formats: list[str | None] = [WHOLE, None]
    for _ in settings.campaign.metrics:
        formats += [COUNT] if settings.campaign.once else [COUNT, CHANGE]
    return [*formats, *([COUNT] if settings.campaign.share is None else []), PERCENT, WHOLE, "hh:mm dd/mm/yyyy", None]


def _unit_values(number: int, settings: Settings, ledger: DayLedger, unit: UnitDay) -> list[object]:
    lang = settings.language
    values: list[object] = [number, unit.name]
    for metric in settings.campaign.metrics:
        values.append(unit.figures.get(metric.id))
        if not settings.campaign.once:
            values.append(unit.change.get(metric.id))
    state = state_name(unit.state, lang)
    if unit.correction and unit.corrected_at:
        state += " (" + text("report.corrected", lang, time=clock_or_time(unit.corrected_at, ledger.day, lang)) + ")"
    if settings.campaign.share is None:
        values.append(unit.population)
    values += [unit.coverage / 100 if unit.coverage is not None else None, unit.rank, unit.received_at, state]
    return values


def _unit_styles(sheet: Sheet, settings: Settings) -> dict[str, list[CellStyle]]:
    """The CellStyles of a unit's line for each state: bordered, filled by the state."""
    formats = _unit_formats(settings)
    fills = {state: {"bg_color": f"#{STATE_FILLS[state]}"} if state in STATE_FILLS else {} for state in STATES}
    return {state: [sheet.style(_style(BORDER, fill), f) for f in formats] for state, fill in fills.items()}


def _total_line(settings: Settings, ledger: DayLedger, view: ReportView) -> list[Value]:
    values: list[tuple] = [(None, None), (view.total["label"], None)]
    for metric in settings.campaign.metrics:
        values.append((ledger.totals.get(metric.id, 0), COUNT))
        if not settings.campaign.once:
            values.append((ledger.change.get(metric.id), CHANGE))
    values += [
        *([(ledger.population, COUNT)] if settings.campaign.share is None else []),
        (
            ledger.coverage / 100
            if settings.campaign.share is not None and ledger.coverage is not None
            else _share(ledger.totals.get(settings.campaign.metrics[0].id), ledger.population),
            PERCENT,
        ),
        (None, None),
        (None, None),
        (view.total["state_label"], None),
    ]
    style = _style(TOTAL)
    return [Value(value, number_format, style) for value, number_format in values]


def _estimate_line(settings: Settings, ledger: DayLedger, estimate: dict) -> list[Value]:
    """The estimate: the day's counted figures plus the latest figures of the units not counted."""
    values: list[tuple] = [(None, None), (estimate["label"], None)]
    for metric in settings.campaign.metrics:
        values.append((ledger.estimate.get(metric.id), COUNT))
        if not settings.campaign.once:
            values.append((None, None))
    values += [
        *([(ledger.population, COUNT)] if settings.campaign.share is None else []),
        (ledger.coverage / 100 if ledger.coverage is not None else None, PERCENT),
        (None, None),
        (None, None),
        (estimate["state_label"], None),
    ]
    style = _style(TOTAL, {"italic": True})
    return [Value(value, number_format, style) for value, number_format in values]


def _share(value: int | None, base: int | None) -> float | None:
    return None if value is None or not base else value / base


def _column_widths(settings: Settings) -> list[int]:
    figures = [16] if settings.campaign.once else [16, 14]
    population = [] if settings.campaign.share else [13]
    return [6, 26, *(figures * len(settings.campaign.metrics)), *population, 12, 10, 18, 26]


def _submissions_sheet(sheet: Sheet, settings: Settings, submissions: list[Submission]) -> None:
    """Every mail of the day: whatever a sender wrote is written as plain text."""
    lang = settings.language
    metrics = settings.campaign.metrics
    t = lambda key: text(f"report.{key}", lang)  # noqa: E731
    headings = [
        t("col_submission"),
        t("col_received"),
        t("col_sender"),
        t("col_unit"),
        t("col_period"),
        *(m.label for m in metrics),
        t("col_source"),
        t("col_status"),
        t("col_problems"),
        t("col_subject"),
    ]
    sheet.widths([7, 19, 34, 24, 13, *([16] * len(metrics)), 40, 14, 60, 50])
    sheet.worksheet.freeze_panes(1, 0)
    sheet.row(0, [Value(heading, style=_style(TOTAL)) for heading in headings])
    tz = settings.campaign.tz
    formats = [
        WHOLE,
        "hh:mm:ss dd/mm/yyyy",
        None,
        None,
        "dd/mm/yyyy",
        *([COUNT] * len(metrics)),
        None,
        None,
        None,
        None,
    ]
    wrapped_from = len(formats) - 2  # the problems and the subject wrap
    top, top_wrapped = _style(TOP), _style(TOP_WRAPPED)
    styles = [sheet.style(top_wrapped if c >= wrapped_from else top, f) for c, f in enumerate(formats)]
    ordered = sorted(submissions, key=lambda s: (s.received_at, s.id))
    for row, sub in enumerate(ordered, start=1):
        unit = settings.unit(sub.unit) if sub.unit else None
        values = [
            sub.id,
            sub.received_at.astimezone(tz),
            sub.sender,
            unit.name if unit else sub.unit,
            sub.period,
            *(sub.figures.get(m.id) for m in metrics),
            sources_text(sub.sources, settings) if sub.sources else None,
            state_name(sub.status, lang),
            "\n".join(p.message for p in sub.problems) or None,
            sub.subject,
        ]
        sheet.line(row, values, styles)
