"""PDF -> its tables and its text, through pdfplumber; a scan goes to character recognition.

A PDF exported from Word or Excel carries its text: pdfplumber finds the ruled
tables of each page, and the text outside them is the document's text (lines in
reading order, line numbers counted over the whole document). A PDF whose pages
carry no text at all is a scan: its pages are rendered and read by Tesseract
(mailbot/sheets/ocr.py), and what is read that way always waits for review.
Only the first MAX_PAGES pages are read: a report is a page or two.
"""

from __future__ import annotations

import io
import logging

import pdfplumber
from pdfminer.pdfparser import PDFSyntaxError
from pdfminer.psparser import PSException
from pdfplumber.page import Page

from mailbot.config import Limits
from mailbot.models import UNREADABLE_FILE, Table
from mailbot.sheets.document import Document, Text
from mailbot.sheets.limits import SheetError, check_shape, damaged, within_time

log = logging.getLogger(__name__)
MAX_PAGES = 10
SCAN_PAGES = 3  # pages of a scan given to character recognition
SCAN_DPI = 300
INSTALL = "apt-get install tesseract-ocr tesseract-ocr-vie"


def read_pdf(name: str, data: bytes, limits: Limits) -> Document:
    return within_time(lambda: _read(name, data, limits), limits.read_timeout_seconds, len(data) * 4)


def _read(name: str, data: bytes, limits: Limits) -> Document:
    try:
        with pdfplumber.open(io.BytesIO(data)) as pdf:
            pages = pdf.pages[:MAX_PAGES]
            if not any(page.chars for page in pages):
                return _scan(name, pages, limits)
            return _with_text(name, pages, limits)
    except (PDFSyntaxError, PSException, ValueError, KeyError, TypeError, AttributeError, IndexError) as exc:
        raise damaged(exc) from None
    except Exception as exc:  # pdfminer raises its own exceptions on broken files; none may escape
        if type(exc).__module__.startswith(("pdfminer", "pdfplumber", "pypdfium2")):
            raise damaged(exc) from None
        raise


def _with_text(name: str, pages: list[Page], limits: Limits) -> Document:
    tables: list[Table] = []
    lines: list[str] = []
    heading: tuple[str, ...] = ()
    for number, page in enumerate(pages, start=1):
        found = page.find_tables()
        outside = page
        for index, table in enumerate(found, start=1):
            rows = [[_cell(v) for v in row] for row in table.extract()]
            width = max((len(r) for r in rows), default=0)
            check_shape(len(rows), width, f"page {number}", limits)
            sheet = f"Trang {number}" if len(found) == 1 else f"Trang {number}, bảng {index}"
            cells = tuple(tuple(r) + (None,) * (width - len(r)) for r in rows)
            tables.append(Table(file_name=name, sheet=sheet, cells=cells))
            outside = outside.outside_bbox(table.bbox)
        page_lines = (outside.extract_text() or "").splitlines()
        if number == 1:
            heading = tuple(line for line in page_lines if line.strip())[:8]
        lines.extend(page_lines)
    return Document(tables=tuple(tables), texts=(Text(name, tuple(lines), heading=heading),) if lines else ())


def _cell(value: object) -> str | None:
    if value is None:
        return None
    return " ".join(str(value).split()) or None


def _scan(name: str, pages: list[Page], limits: Limits) -> Document:
    from mailbot.sheets.ocr import read_image, tesseract

    if not any(page.images for page in pages):
        return Document()
    if tesseract() is None:
        log.warning("scanned PDF %s not read: text recognition needs Tesseract (%s)", name, INSTALL)
        raise SheetError(UNREADABLE_FILE, "scan", "the PDF is a scan and text recognition is not installed")
    document = Document()
    for page in pages[:SCAN_PAGES]:
        if not page.images:
            continue
        out = io.BytesIO()
        page.to_image(resolution=SCAN_DPI).original.save(out, format="PNG")
        document += read_image(name, out.getvalue(), limits, sheet=f"Trang {page.page_number}")
    return document
