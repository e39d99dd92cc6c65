"""Figures that come another way than a spreadsheet: the mail's own text, a table
pasted into the mail, the text of a Word or PDF file or of a picture.

    body_parts(body, settings) -> (tables, texts)   what the mail's own body holds
    add_text_figures(content, texts, settings)      figures stated in words, where no table gave one

Tables always win over text: a text's figure is taken only for a metric no table
states. A text stating a different figure than the table is `conflicting_figures`;
a text's doubts (two counts, a count far from the metric's name) are
`ambiguous_number`; anything read by character recognition is `read_from_image`.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING

from mailbot import i18n
from mailbot.config import Metric, Settings
from mailbot.errors import SpreadsheetError
from mailbot.models import AMBIGUOUS_NUMBER, CONFLICTING_FIGURES, READ_FROM_IMAGE, Problem, Source, Table
from mailbot.reading.body_text import Sentence, TextReading, own_lines, read_sentences, sentences_of
from mailbot.reading.mail import Body
from mailbot.sheets.document import Text
from mailbot.sheets.html_body import read_html_body

if TYPE_CHECKING:  # content.py reads through this module
    from mailbot.reading.content import Content
    from mailbot.reading.table import SheetReading

log = logging.getLogger(__name__)


def body_name(lang: str) -> str:
    """How the mail's own body is named where a table file's name would be."""
    return i18n.text("channels.body_name", lang)


def body_parts(body: Body | None, settings: Settings) -> tuple[list[Table], list[Text]]:
    """The tables pasted into the HTML body, and the mail's own text (plain part, else the HTML's text)."""
    if body is None or (body.plain is None and body.html is None):
        return [], []
    tables: list[Table] = []
    html_lines: list[str] = []
    if body.html:
        try:
            tables, html_lines = read_html_body(body.html, body_name(settings.language), settings.limits)
        except SpreadsheetError as exc:
            log.info("the tables of the mail's HTML body were not read: %s", exc)
    if body.plain is not None and body.plain.strip():
        lines = tuple(body.plain.splitlines())
        return tables, [Text(None, lines)]
    return tables, [Text(None, tuple(html_lines))] if html_lines else []


def add_text_figures(content: Content, texts: list[Text], stated: set[str], settings: Settings) -> None:
    """Fill in `content` (figures, sources, problems) from what the texts state in words.

    `stated`: the metrics that tables already give (a figure or a doubt); for them a
    text is only checked against the table's figure.
    """
    lang = settings.language
    read: dict[int, tuple[list[tuple[int, str]], list[Sentence]]] = {}  # each text taken apart once
    for metric in settings.campaign.metrics:
        for at, text in enumerate(texts):
            if at not in read:
                lines = own_lines("\n".join(text.lines)) if text.file_name is None else _numbered(text)
                read[at] = lines, sentences_of(lines, wrapped=not text.from_image)
            numbered, sentences = read[at]
            reading = read_sentences(sentences, (metric,)).get(metric.id)
            if reading is None:
                continue
            if metric.id in stated:
                if metric.id in content.figures:
                    _check_against_table(content, metric, reading, text, lang)
                break
            content.problems.extend(_doubts(reading, text, lang))
            if reading.figure is not None:
                content.figures[metric.id] = reading.figure
                content.sources[metric.id] = Source(file=text.file_name, line=reading.line)
                content.titles.extend(line for no, line in numbered if no == reading.line)
                if text.from_image:
                    content.problems.append(image_problem(text.file_name, lang))
            break


def _numbered(text: Text) -> list[tuple[int, str]]:
    return [(i + 1, line) for i, line in enumerate(text.lines)]


def where_line(file_name: str | None, line: int, lang: str) -> str:
    if file_name is None:
        return i18n.text("channels.where_body_line", lang, line=line)
    return i18n.text("channels.where_file_line", lang, file=file_name, line=line)


def _doubts(reading: TextReading, text: Text, lang: str) -> list[Problem]:
    problems = []
    for doubt in reading.doubts:
        where = where_line(text.file_name, doubt.line, lang)
        message = i18n.text(f"channels.doubt_{doubt.reason}", lang, value=doubt.shown, where=where)
        problems.append(Problem(code=AMBIGUOUS_NUMBER, message=message, where=where))
    return problems


def _check_against_table(content: Content, metric: Metric, reading: TextReading, text: Text, lang: str) -> None:
    """A text stating another figure than the table: neither is taken until a person decides."""
    table_figure = content.figures[metric.id]
    if reading.figure is None or reading.figure == table_figure:
        return
    where = where_line(text.file_name, reading.line or 0, lang)
    message = i18n.text(
        "channels.text_conflict",
        lang,
        metric=metric.label,
        text_figure=i18n.format_count(reading.figure, lang),
        where=where,
        table_figure=i18n.format_count(table_figure, lang),
    )
    content.problems.append(Problem(code=CONFLICTING_FIGURES, message=message, where=where))
    del content.figures[metric.id]
    content.sources.pop(metric.id, None)


def from_pictures(content: Content, picture_sheets: Sequence[SheetReading], lang: str) -> Content:
    """`content` with read_from_image for each figure a picture's table gave."""
    used = {id(sheet.table) for sheet in picture_sheets if sheet.metrics}
    if used and content.figures and any(id(s.table) in used for s in picture_sheets):
        names = dict.fromkeys(s.table.file_name for s in picture_sheets if s.metrics)
        content.problems.extend(image_problem(name, lang) for name in names)
    return content


def image_problem(file_name: str | None, lang: str) -> Problem:
    return i18n.problem(READ_FROM_IMAGE, lang, where=file_name, file=file_name or body_name(lang))
