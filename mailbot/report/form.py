"""The blank report workbook of a campaign (the "biểu mẫu"), written with XlsxWriter.

Title rows name the unit and the report day, a header row has one column per metric the
campaign reads (and its shares, as formulas), then blank rows for the unit's offices or
communes and a "Tổng cộng" row summing them. Filled in, it reads back exactly: the
headers are the metrics' labels, and the total row is what mailbot checks the rows against.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import date, datetime
from typing import TYPE_CHECKING

from mailbot.config import Settings, Unit
from mailbot.i18n import text
from mailbot.report.view import letter_day, topic_of

if TYPE_CHECKING:  # xlsxwriter is imported where a workbook is written
    from xlsxwriter.format import Format
    from xlsxwriter.workbook import Workbook
    from xlsxwriter.worksheet import Worksheet

FIXED_CREATED = datetime(2020, 1, 1)
BLANK_ROWS = 10
HEADER_ROW = 5  # zero-based: unit, title, date and a note above, a blank row
FIRST_METRIC_COLUMN = 2
WORKBOOK_OPTIONS = {"in_memory": True, "strings_to_formulas": False, "strings_to_numbers": False}
HEADING = {"bold": True, "bg_color": "#DCE6F1", "align": "center", "valign": "vcenter", "text_wrap": True, "border": 1}


def form_bytes(settings: Settings, unit: Unit | None = None, day: date | None = None) -> bytes:
    """The blank form; with `unit` and `day`, its name and the report day already written in."""
    import xlsxwriter

    lang = settings.language
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, WORKBOOK_OPTIONS)
    book.set_properties({"title": text("form.file_name", lang), "created": FIXED_CREATED})  # same form, same bytes
    sheet = book.add_worksheet(text("form.sheet", lang))
    styles = _styles(book)
    columns = _columns(settings)
    last = len(columns) - 1
    sheet.merge_range(0, 0, 0, last, _unit_line(settings, unit), styles["bold"])
    title = text("form.title", lang, topic=topic_of(settings).upper())
    sheet.merge_range(1, 0, 1, last, title, styles["title"])
    sheet.merge_range(2, 0, 2, last, _day_line(settings, day), styles["italic"])
    sheet.merge_range(
        3, 0, 3, last, text("form.note", lang, mailbox=settings.campaign.reporting_mailbox), styles["note"]
    )
    sheet.set_row(HEADER_ROW, 45)
    for column, (heading, width) in enumerate(columns):
        sheet.write_string(HEADER_ROW, column, heading, styles["heading"])
        sheet.set_column(column, column, width)
    first, total = HEADER_ROW + 1, HEADER_ROW + 1 + BLANK_ROWS
    for row in range(first, total):
        sheet.write_number(row, 0, row - HEADER_ROW, styles["cell"])
        sheet.write_blank(row, 1, None, styles["cell"])
        _figure_cells(sheet, settings, row, styles, lambda c: None)
    sheet.write_blank(total, 0, None, styles["total"])
    sheet.write_string(total, 1, text("form.total", lang), styles["total"])
    _figure_cells(sheet, settings, total, styles, lambda c: _sum(_cell(first, c), _cell(total - 1, c)))
    sheet.freeze_panes(HEADER_ROW + 1, 2)
    book.close()
    return buffer.getvalue()


def form_file_name(settings: Settings) -> str:
    return text("form.file_name", settings.language) + ".xlsx"


def _columns(settings: Settings) -> list[tuple[str, int]]:
    lang = settings.language
    columns = [(text("form.col_no", lang), 6), (text("form.col_part", lang), 32)]
    columns += [(m.label, 20) for m in settings.campaign.metrics]
    columns += [(f"{s.label} (%)", 14) for s in settings.campaign.shares]
    return columns


def _figure_cells(
    sheet: Worksheet,
    settings: Settings,
    row: int,
    styles: dict[str, Format],
    total_formula: Callable[[int], str | None],
) -> None:
    """The metric cells of a row (blank, or the total's SUM), then each share as a formula."""
    metrics = settings.campaign.metrics
    style = styles["total_count"] if total_formula(0) else styles["count"]
    for offset, _metric in enumerate(metrics):
        column = FIRST_METRIC_COLUMN + offset
        formula = total_formula(column)
        if formula:
            sheet.write_formula(row, column, formula, style, "")  # blank until filled: never a 0 read
        else:
            sheet.write_blank(row, column, None, style)
    position = {m.id: FIRST_METRIC_COLUMN + i for i, m in enumerate(metrics)}
    for offset, share in enumerate(settings.campaign.shares):
        column = FIRST_METRIC_COLUMN + len(metrics) + offset
        top, base = _cell(row, position[share.numerator]), _cell(row, position[share.denominator])
        sheet.write_formula(row, column, f'=IF(N({base})>0,{top}/{base},"")', styles["percent"], "")


def _sum(top: str, bottom: str) -> str:
    """The total: blank while no row is filled, so a form sent back blank is never read as 0."""
    return f'=IF(COUNT({top}:{bottom})=0,"",SUM({top}:{bottom}))'


def _unit_line(settings: Settings, unit: Unit | None) -> str:
    lang = settings.language
    return text("form.unit", lang, name=unit.name) if unit else text("form.unit_blank", lang)


def _day_line(settings: Settings, day: date | None) -> str:
    lang, campaign = settings.language, settings.campaign
    if campaign.once and campaign.due_before:
        return text("form.due_once", lang, due_before=letter_day(campaign.due_before, lang))
    if day is None:
        return text("form.day_blank", lang)
    return text("form.day", lang, day=letter_day(day, lang))


def _cell(row: int, column: int) -> str:
    letters, column = "", column + 1
    while column:
        column, rest = divmod(column - 1, 26)
        letters = chr(65 + rest) + letters
    return f"{letters}{row + 1}"


def _styles(book: Workbook) -> dict[str, Format]:
    border = {"border": 1, "border_color": "#999999"}
    return {
        "bold": book.add_format({"bold": True}),
        "title": book.add_format({"bold": True, "font_size": 13, "align": "center", "text_wrap": True}),
        "italic": book.add_format({"italic": True, "align": "center"}),
        "note": book.add_format({"italic": True, "font_color": "#486581", "text_wrap": True}),
        "heading": book.add_format(HEADING),
        "cell": book.add_format(border),
        "count": book.add_format({**border, "num_format": "#,##0"}),
        "total": book.add_format({**border, "bold": True, "bg_color": "#DCE6F1"}),
        "total_count": book.add_format({**border, "bold": True, "bg_color": "#DCE6F1", "num_format": "#,##0"}),
        "percent": book.add_format({**border, "num_format": "0.00%"}),
    }
