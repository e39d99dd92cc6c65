"""Bytes -> a Document: the tables and the text of any file a report may come in.

    read_document(name, data, limits) -> Document

Each format has one reader, a pure function (name, bytes, limits) -> Document that
raises SheetError on bad input (READERS below), so that a worker process can call
it by format. Spreadsheets give tables; Word and PDF files give tables and text;
archives and Outlook's winmail.dat give what their members give; images give the
text that character recognition reads in them, marked `from_image`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from mailbot.config import Limits
from mailbot.models import UNREADABLE_FILE, Table
from mailbot.sheets import formats, read_tables_here
from mailbot.sheets.limits import SheetError, check_size

MAX_NESTING = 2  # an archive inside an archive is read; one level deeper is refused


@dataclass(frozen=True)
class Text:
    """The text of a file or of the mail, line by line; `file_name` None for the mail's own text."""

    file_name: str | None
    lines: tuple[str, ...]
    from_image: bool = False
    heading: tuple[str, ...] = ()  # the lines above the first table: who writes, and for which day


@dataclass(frozen=True)
class Document:
    tables: tuple[Table, ...] = ()
    texts: tuple[Text, ...] = ()
    from_image: bool = False  # the tables were read by character recognition

    def __add__(self, other: Document) -> Document:
        return Document(self.tables + other.tables, self.texts + other.texts, self.from_image or other.from_image)


Reader = Callable[[str, bytes, Limits], Document]


def _spreadsheet(name: str, data: bytes, limits: Limits) -> Document:
    return Document(tables=tuple(read_tables_here(name, data, limits)))


def _docx(name: str, data: bytes, limits: Limits) -> Document:
    from mailbot.sheets.docx import read_docx

    return read_docx(name, data, limits)


def _doc(name: str, data: bytes, limits: Limits) -> Document:
    from mailbot.sheets.doc import read_doc

    return read_doc(name, data, limits)


def _pdf(name: str, data: bytes, limits: Limits) -> Document:
    from mailbot.sheets.pdf import read_pdf

    return read_pdf(name, data, limits)


def _image(name: str, data: bytes, limits: Limits) -> Document:
    from mailbot.sheets.ocr import read_image

    return read_image(name, data, limits)


READERS: dict[str, Reader] = {
    formats.XLSX: _spreadsheet,
    formats.XLSB: _spreadsheet,
    formats.XLS: _spreadsheet,
    formats.ODS: _spreadsheet,
    formats.CSV: _spreadsheet,
    formats.HTML: _spreadsheet,
    formats.ENCRYPTED: _spreadsheet,
    formats.DOCX: _docx,
    formats.DOC: _doc,
    formats.PDF: _pdf,
    formats.IMAGE: _image,
}
CONTAINERS = frozenset({formats.ZIP_OTHER, formats.SEVEN_ZIP, formats.TNEF})
DOCUMENT_FORMATS = frozenset(READERS) | CONTAINERS


def read_document(name: str, data: bytes, limits: Limits, depth: int = 0) -> Document:
    """The tables and text of one file, whatever its format; SheetError if it cannot be read."""
    check_size(data, limits)
    kind = formats.sniff(data)
    if kind in CONTAINERS:
        return _container(name, data, kind, limits, depth)
    reader = READERS.get(kind)
    if reader is None:
        raise not_readable(kind)
    document = reader(name, data, limits)
    if kind != formats.IMAGE and not document.tables and not any(any(t.lines) for t in document.texts):
        raise SheetError(UNREADABLE_FILE, "empty_document", "the file holds no table and no text", kind=kind)
    return document


def _container(name: str, data: bytes, kind: str, limits: Limits, depth: int) -> Document:
    from mailbot.sheets import archive

    if depth >= MAX_NESTING:
        raise archive.too_deep(MAX_NESTING)
    members = archive.members(name, data, kind, limits)
    document, errors = Document(), []
    for member_name, member_data in members:
        try:
            document += _named(read_document(member_name, member_data, limits, depth + 1), member_name)
        except SheetError as exc:
            if exc.reason != "unknown_format":
                errors.append(exc)
    if not document.tables and not document.texts:
        raise errors[0] if errors else archive.nothing_readable(kind)
    return document


def _named(document: Document, name: str) -> Document:
    """Member names shown as they are (the archive's path inside it)."""
    return replace(document, tables=tuple(t if t.file_name else replace(t, file_name=name) for t in document.tables))


def not_readable(kind: str) -> SheetError:
    return SheetError(
        UNREADABLE_FILE,
        "unknown_format",
        f"it is not a format mailbot reads ({kind})",
        "send the report as .xlsx, .docx or .pdf",
        kind=kind,
    )
