"""Text tables: CSV (UTF-8, UTF-16, windows-1258; comma, semicolon or tab) and
HTML tables saved under an .xls name."""

from __future__ import annotations

import codecs
import csv
import io
import re
import unicodedata
from html.parser import HTMLParser

from mailbot.config import Limits
from mailbot.models import UNREADABLE_FILE, Table
from mailbot.sheets.limits import SheetError, check_shape, damaged

DELIMITERS = ("\t", ";", ",")  # preferred in this order when equally consistent
META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([A-Za-z0-9_\-]+)""", re.I)


def decode_text(data: bytes, declared: str | None = None) -> str:
    """Bytes of a text file as NFC text: BOM first, then a declared charset, UTF-8, windows-1258."""
    if data.startswith(codecs.BOM_UTF8):
        text = data[3:].decode("utf-8", errors="replace")
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        text = data.decode("utf-16", errors="replace")
    elif data[:200].count(b"\x00") > 20:
        text = data.decode("utf-16-le" if data[1:2] == b"\x00" else "utf-16-be", errors="replace")
    else:
        text = _decode_8bit(data, declared)
    return unicodedata.normalize("NFC", text)


def _decode_8bit(data: bytes, declared: str | None) -> str:
    if declared:
        try:
            return data.decode(declared)
        except (LookupError, UnicodeDecodeError):
            pass
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1258", errors="replace")


def read_csv(name: str, data: bytes, limits: Limits) -> list[Table]:
    text = decode_text(data)
    delimiter = choose_delimiter(text)
    rows = []
    try:
        for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter):
            rows.append(tuple(cell.strip() or None for cell in row))
            if len(rows) > limits.max_rows:
                break
    except csv.Error as exc:
        raise damaged(exc) from None
    width = max((len(r) for r in rows), default=0)
    check_shape(len(rows), width, "CSV", limits)
    cells = tuple(r + (None,) * (width - len(r)) for r in rows)
    return [Table(file_name=name, sheet="CSV", cells=cells)]


def choose_delimiter(text: str) -> str:
    """The delimiter that splits the most lines into the same number (>1) of fields."""
    sample = text[:65536].splitlines()[:60]
    best, best_score = ",", (0, 0)
    for delimiter in DELIMITERS:
        try:
            counts = [len(r) for r in csv.reader(sample, delimiter=delimiter) if any(f.strip() for f in r)]
        except csv.Error:
            continue
        wide = [n for n in counts if n > 1]
        if not wide:
            continue
        modal = max(set(wide), key=wide.count)
        score = (wide.count(modal), modal)
        if score > best_score:
            best, best_score = delimiter, score
    return best


def read_html(name: str, data: bytes, limits: Limits) -> list[Table]:
    match = META_CHARSET.search(data[:4096])
    declared = match.group(1).decode("ascii") if match else None
    parser = _TableParser()
    parser.feed(decode_text(data, declared))
    parser.close()
    tables = []
    for index, rows in enumerate(parser.tables):
        width = max((len(r) for r in rows), default=0)
        check_shape(len(rows), width, f"table {index + 1}", limits)
        cells = tuple(tuple(r) + (None,) * (width - len(r)) for r in rows)
        tables.append(
            Table(file_name=name, sheet=f"Bảng {index + 1}" if len(parser.tables) > 1 else "Sheet1", cells=cells)
        )
    if not tables:
        raise SheetError(UNREADABLE_FILE, "no_table", "the web page holds no table", "save the report as .xlsx")
    return tables


class _TableParser(HTMLParser):
    """Collects the text of each <td>/<th>, spreading colspan over empty cells."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: list[list[list]] = []
        self._depth = 0
        self._row: list | None = None
        self._cell: list[str] | None = None
        self._span = 1

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self._depth += 1
            if self._depth == 1:
                self.tables.append([])
        elif self._depth != 1:
            return
        elif tag == "tr":
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []
            span = dict(attrs).get("colspan") or "1"
            self._span = max(1, min(int(span), 50)) if span.isdigit() else 1
        elif tag == "br" and self._cell is not None:
            self._cell.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag == "table":
            self._end_row()
            self._depth = max(0, self._depth - 1)
        elif self._depth == 1 and tag in ("td", "th"):
            self._end_cell()
        elif self._depth == 1 and tag == "tr":
            self._end_row()

    def handle_data(self, data: str) -> None:
        if self._cell is not None and self._depth == 1:
            self._cell.append(data)

    def _end_cell(self) -> None:
        if self._cell is None or self._row is None:
            return
        text = " ".join("".join(self._cell).split())
        self._row.append(text or None)
        self._row.extend([None] * (self._span - 1))
        self._cell = None

    def _end_row(self) -> None:
        self._end_cell()
        if self._row is not None and self.tables:
            self.tables[-1].append(self._row)
        self._row = None
