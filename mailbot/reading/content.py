"""Attachments -> figures, problems and the texts that may name the unit and the day."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from mailbot import i18n
from mailbot.config import Settings
from mailbot.errors import SpreadsheetError
from mailbot.models import (
    AMBIGUOUS_NUMBER,
    ENCRYPTED_FILE,
    FILE_TOO_LARGE,
    NO_FIGURE,
    NO_SPREADSHEET,
    TOTAL_MISMATCH,
    UNREADABLE_FILE,
    Problem,
)
from mailbot.reading.table import Finding, SheetReading, read_sheet
from mailbot.sheets import NOT_SPREADSHEETS, SPREADSHEET_FORMATS, formats, is_spreadsheet_name, read_tables, sniff

log = logging.getLogger(__name__)
TEXT_FORMATS = frozenset({formats.CSV, formats.HTML})


@dataclass
class Content:
    figures: dict[str, int] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    titles: list[str] = field(default_factory=list)


def is_candidate(name: str | None, spreadsheet_type: bool, data: bytes) -> bool:
    """Whether an attachment is meant as a spreadsheet (an image or PDF of the table is not)."""
    kind = sniff(data)
    if kind in NOT_SPREADSHEETS or not data:
        return False
    if kind in SPREADSHEET_FORMATS - TEXT_FORMATS:
        return True
    return is_spreadsheet_name(name) or spreadsheet_type


def read_files(files: list[tuple[str, bytes]], settings: Settings) -> Content:
    """Read every candidate file; the first sheet naming a metric gives its figure."""
    lang = settings.language
    if not files:
        return Content(problems=[i18n.problem(NO_SPREADSHEET, lang)])
    file_problems: list[Problem] = []
    sheets: list[SheetReading] = []
    for name, data in files:
        try:
            tables = read_tables(name, data, settings.limits)
        except SpreadsheetError as exc:
            log.info("attachment %s not read: %s", name, exc)
            file_problems.append(file_problem(exc, name, lang))
            continue
        metrics, totals = settings.campaign.metrics, settings.campaign.total_aliases
        sheets.extend(read_sheet(table, metrics, totals) for table in tables)
    content = _figures(sheets, settings)
    if content.figures or any(p.code == AMBIGUOUS_NUMBER for p in content.problems):
        return content
    if file_problems:
        content.problems = file_problems
    elif not content.problems:
        label = settings.campaign.metrics[0].label
        joined = i18n.text("reading.files_joined", lang).join(name for name, _ in files)
        content.problems = [i18n.problem(NO_FIGURE, lang, where=joined, file=joined, metric=label)]
    return content


def _figures(sheets: list[SheetReading], settings: Settings) -> Content:
    content = Content()
    used: list[SheetReading] = []
    for metric in settings.campaign.metrics:
        for sheet in sheets:
            found = sheet.metrics.get(metric.id)
            if found is None or (found.figure is None and not found.findings):
                continue
            if found.figure is not None:
                content.figures[metric.id] = found.figure
            content.problems.extend(finding_problem(f, sheet, settings.language) for f in found.findings)
            if sheet not in used:
                used.append(sheet)
            break
    for sheet in used or sheets:
        content.titles.extend(sheet.titles)
    return content


def where_cell(sheet: SheetReading, cell: str, lang: str) -> str:
    return i18n.text("reading.where_cell", lang, file=sheet.table.file_name, sheet=sheet.table.sheet, cell=cell)


def finding_problem(finding: Finding, sheet: SheetReading, lang: str) -> Problem:
    where = where_cell(sheet, finding.cell, lang)
    where_text = i18n.text("reading.where_text", lang, where=where)
    if finding.code == TOTAL_MISMATCH:
        return i18n.problem(
            TOTAL_MISMATCH,
            lang,
            where=where,
            where_text=where_text,
            total=i18n.format_count(finding.params["total"], lang),
            sum=i18n.format_count(finding.params["sum"], lang),
        )
    return i18n.problem(finding.code, lang, where=where, where_text=where_text, **finding.params)


def file_problem(error: SpreadsheetError, name: str, lang: str) -> Problem:
    reason = getattr(error, "reason", "damaged")
    detail = i18n.text(f"reading.detail_{reason}", lang, **getattr(error, "params", {}))
    if error.code == FILE_TOO_LARGE:
        what = i18n.text("reading.what_file", lang, file=name)
        return i18n.problem(FILE_TOO_LARGE, lang, where=name, what=what, detail=detail)
    if error.code == ENCRYPTED_FILE:
        return i18n.problem(ENCRYPTED_FILE, lang, where=name, file=name)
    return i18n.problem(UNREADABLE_FILE, lang, where=name, file=name, detail=detail)
