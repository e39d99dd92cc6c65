"""Attachments -> figures, problems and the texts that may name the unit and the day."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date

from mailbot import i18n
from mailbot.config import Metric, Settings, Unit
from mailbot.errors import SpreadsheetError
from mailbot.models import (
    AMBIGUOUS_NUMBER,
    CONFLICTING_FIGURES,
    ENCRYPTED_FILE,
    FILE_TOO_LARGE,
    NO_FIGURE,
    NO_SPREADSHEET,
    REVIEW_CODES,
    SEVERAL_UNITS,
    TOTAL_MISMATCH,
    UNREADABLE_FILE,
    Problem,
    Source,
    Table,
)
from mailbot.reading import channels
from mailbot.reading.documents import read_documents
from mailbot.reading.mail import Body
from mailbot.reading.table import (
    COLUMN_OTHER_KIND,
    COLUMN_UNDECIDED,
    DAY_COLUMN_MISSING,
    FORMULA_WITHOUT_VALUE,
    Finding,
    MetricReading,
    SheetReading,
    read_sheet,
)
from mailbot.reading.unit import units_named_each
from mailbot.sheets import formats, is_spreadsheet_name, sniff
from mailbot.sheets.document import DOCUMENT_FORMATS, Text

log = logging.getLogger(__name__)
TEXT_FORMATS = frozenset({formats.CSV, formats.HTML})
MAX_NAMES_SHOWN = 4  # units a several_units message names before "and N more"


@dataclass
class Content:
    figures: dict[str, int] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    titles: list[str] = field(default_factory=list)
    sources: dict[str, Source] = field(default_factory=dict)
    headings: list[Heading] = field(default_factory=list)  # title rows of each sheet read, for the unit check


@dataclass(frozen=True)
class Heading:
    """The title rows of one sheet: where a report names its author and its day."""

    file: str
    sheet: str
    titles: tuple[str, ...]


def is_candidate(name: str | None, spreadsheet_type: bool, data: bytes) -> bool:
    """Whether an attachment may hold the report: a spreadsheet, a document, an archive, a picture."""
    kind = sniff(data)
    if not data:
        return False
    if kind in (DOCUMENT_FORMATS - TEXT_FORMATS) | {formats.OLE_OTHER}:
        return True
    return is_spreadsheet_name(name) or spreadsheet_type


def read_files(
    files: list[tuple[str, bytes]],
    settings: Settings,
    arrival: date | None = None,
    report_day: Callable[[list[str]], date | None] | None = None,
    body: Body | None = None,
) -> Content:
    """Read every candidate file and the mail's body; every table naming a metric is read, and they must agree.

    `arrival` gives the year of days written without one; `report_day` tells, from the
    sheets' title rows, the day whose column a sheet with one column per day is read at.
    A sentence of a text (the mail's, a document's) gives a metric no table gives.
    Pictures are read (by character recognition) only when nothing else states a figure.
    """
    lang = settings.language
    body_tables, body_texts = channels.body_parts(body, settings)
    pictures = [(name, data) for name, data in files if sniff(data) == formats.IMAGE]
    documents = [(name, data) for name, data in files if sniff(data) != formats.IMAGE]
    file_problems: list[Problem] = []
    sheets, texts = _read_all(documents, settings, file_problems, arrival)
    sheets.extend(_sheets(body_tables, settings, arrival))
    texts.extend(body_texts)
    day = report_day(list(_titles(sheets))) if report_day else None
    content = channels.from_pictures(_figures(sheets, settings, day), _pictured(sheets), lang)  # scanned PDFs
    content.titles.extend(line for text in texts for line in text.heading)
    channels.add_text_figures(content, texts, _stated(sheets), settings)
    if pictures and not _states_figure(content):
        picture_sheets, picture_texts = _read_all(pictures, settings, [], arrival)
        sheets, texts = picture_sheets + sheets, texts + picture_texts
        content = channels.from_pictures(_figures(sheets, settings, day), _pictured(sheets), lang)
        channels.add_text_figures(content, texts, _stated(sheets), settings)
    if _states_figure(content):
        return content
    if file_problems:
        content.problems = file_problems
    elif not documents and not any(s.metrics for s in sheets):
        content.problems = [i18n.problem(NO_SPREADSHEET, lang)]
    elif not content.problems:
        label = settings.campaign.metrics[0].label
        joined = i18n.text("reading.files_joined", lang).join(name for name, _ in documents or files)
        content.problems = [i18n.problem(NO_FIGURE, lang, where=joined, file=joined, metric=label)]
    return content


def _pictured(sheets: list[SheetReading]) -> list[SheetReading]:
    """The sheets read from a picture (a photo, a scanned page) by character recognition."""
    return [s for s in sheets if s.table.from_image]


def _stated(sheets: list[SheetReading]) -> set[str]:
    """The metrics some table gives a figure for, or a doubt about."""
    return {m for s in sheets for m, r in s.metrics.items() if r.figure is not None or r.findings}


def _states_figure(content: Content) -> bool:
    return bool(content.figures) or any(p.code in REVIEW_CODES for p in content.problems)


def _read_all(
    files: Iterable[tuple[str, bytes]], settings: Settings, file_problems: list[Problem], arrival: date | None
) -> tuple[list[SheetReading], list[Text]]:
    sheets: list[SheetReading] = []
    texts: list[Text] = []
    metrics, totals = settings.campaign.metrics, settings.campaign.all_total_labels
    for name, data in files:
        try:  # in a worker process: the parent sees findings and text lines, never cells
            found, found_texts = read_documents(name, data, settings.limits, metrics, totals, arrival)
        except SpreadsheetError as exc:
            log.info("attachment %s not read: %s", name, exc)
            file_problems.append(file_problem(exc, name, settings.language))
            continue
        sheets.extend(found)
        texts.extend(found_texts)
    return sheets, texts


def _sheets(tables: Iterable[Table], settings: Settings, arrival: date | None) -> list[SheetReading]:
    metrics, totals = settings.campaign.metrics, settings.campaign.all_total_labels
    return [read_sheet(table, metrics, totals, arrival) for table in tables]


def _titles(sheets: list[SheetReading]) -> list[str]:
    """The title rows of the sheets that name a metric (of every sheet, where none does)."""
    named = [sheet for sheet in sheets if sheet.metrics] or sheets
    return [title for sheet in named for title in sheet.titles]


def _figures(sheets: list[SheetReading], settings: Settings, day: date | None) -> Content:
    content = Content()
    used: list[SheetReading] = []
    for metric in settings.campaign.metrics:
        found = [
            (sheet, reading)
            for sheet in sheets
            if (reading := _on_day(sheet.metrics.get(metric.id), day, settings.language)) is not None
            and (reading.figure is not None or reading.findings)
        ]
        own = []
        for sheet, reading in found:
            compiled = units_in_rows(reading, settings)
            if len(compiled) > 1:
                content.problems.append(several_units_problem(sheet, compiled, settings.language))
            else:
                own.append((sheet, reading))
            used.extend(s for s in (sheet,) if s not in used)
        for sheet, reading in own:
            content.problems.extend(finding_problem(f, sheet, settings.language) for f in reading.findings)
        _agreed_figure(metric, own, content, settings.language)
    for sheet in used or sheets:
        content.titles.extend(sheet.titles)
        content.headings.append(Heading(sheet.table.file_name, sheet.table.sheet, sheet.titles))
    return content


def _on_day(reading: MetricReading | None, day: date | None, lang: str) -> MetricReading | None:
    """A sheet with one column per day gives the report day's column, or says it has none."""
    if reading is None or reading.by_day is None:
        return reading
    chosen = reading.by_day.get(day) if day else None
    if chosen is not None:
        return chosen
    days = i18n.text("reading.names_joined", lang).join(i18n.format_day(d, lang) for d in sorted(reading.by_day))
    shown = i18n.format_day(day, lang) if day else i18n.text("reading.no_day", lang)
    return MetricReading(reading.metric, None, (Finding(DAY_COLUMN_MISSING, "", {"day": shown, "days": days}),))


def _agreed_figure(
    metric: Metric, found: list[tuple[SheetReading, MetricReading]], content: Content, lang: str
) -> None:
    """One figure where every sheet giving one agrees; a conflict, naming each place, where they differ."""
    figured = [(sheet, reading, reading.figure) for sheet, reading in found if reading.figure is not None]
    if not figured:
        return
    if len({figure for _, _, figure in figured}) == 1:
        sheet, reading, figure = figured[0]
        content.figures[metric.id] = figure
        content.sources[metric.id] = Source(file=sheet.table.file_name, sheet=sheet.table.sheet, cell=reading.cell)
        return
    places = i18n.text("reading.places_joined", lang).join(
        i18n.text(
            "reading.figure_at",
            lang,
            figure=i18n.format_count(figure, lang),
            where=where_cell(sheet, reading.cell, lang),
        )
        for sheet, reading, figure in figured
    )
    content.problems.append(i18n.problem(CONFLICTING_FIGURES, lang, metric=metric.label, places=places))


def units_in_rows(reading: MetricReading, settings: Settings) -> list[Unit]:
    """The reporting units that the table's rows are about, each once, in the table's order."""
    seen: dict[str, Unit] = {}
    for named in units_named_each(reading.row_labels, settings):
        if len(named) == 1:
            seen.setdefault(named[0].id, named[0])
    return list(seen.values())


def several_units_problem(sheet: SheetReading, units: list[Unit], lang: str) -> Problem:
    where = where_sheet(sheet, lang)
    shown = i18n.text("reading.names_joined", lang).join(u.name for u in units[:MAX_NAMES_SHOWN])
    if len(units) > MAX_NAMES_SHOWN:
        shown = i18n.text("reading.names_more", lang, names=shown, more=len(units) - MAX_NAMES_SHOWN)
    return i18n.problem(SEVERAL_UNITS, lang, where=where, units=shown, count=len(units))


def where_sheet(sheet: SheetReading, lang: str) -> str:
    return i18n.text("reading.where_sheet", lang, file=sheet.table.file_name, sheet=sheet.table.sheet)


def where_cell(sheet: SheetReading, cell: str | None, lang: str) -> str:
    return i18n.text("reading.where_cell", lang, file=sheet.table.file_name, sheet=sheet.table.sheet, cell=cell)


def finding_problem(finding: Finding, sheet: SheetReading, lang: str) -> Problem:
    where = where_cell(sheet, finding.cell, lang) if finding.cell else where_sheet(sheet, lang)
    where_text = i18n.text("reading.where_text", lang, where=where)
    if finding.code in (COLUMN_UNDECIDED, COLUMN_OTHER_KIND, DAY_COLUMN_MISSING, FORMULA_WITHOUT_VALUE):
        place = where if finding.code in (COLUMN_OTHER_KIND, FORMULA_WITHOUT_VALUE) else where_sheet(sheet, lang)
        params = dict(finding.params, where=place)
        for key in ("kind", "wanted"):
            if key in params:
                params[key] = i18n.text(f"reading.kind_{params[key]}", lang)
        message = i18n.text(f"reading.{finding.code}", lang, **params)
        return Problem(code=AMBIGUOUS_NUMBER, message=message, where=where)
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
