"""The font of each text cell, read only when a workbook names a legacy font.

TCVN3 fonts are named ".VnTime", ".VnArial", ".VnTimeH" (upper case) and so on;
VNI fonts "VNI-Times", "VNI-Helve". Text in such a cell is stored as the font's
byte codes, so the font decides how the text must be decoded.
"""

from __future__ import annotations

import io
import logging
import zipfile
from collections.abc import Mapping
from typing import Any  # the workbook library's sheet

from mailbot.sheets.formats import XLS, XLSX

log = logging.getLogger(__name__)

LEGACY_MARKERS = (b".vn", b"vni")
FontGrid = dict[tuple[int, int], str]


def names_legacy_font(blob: bytes) -> bool:
    lowered = blob.lower()
    if any(marker in lowered for marker in LEGACY_MARKERS):
        return True
    if b"\x00" not in blob:
        return False  # taking out no NUL leaves the same bytes, searched already
    wide = blob.replace(b"\x00", b"").lower()  # BIFF may store font names as UTF-16
    return any(marker in wide for marker in LEGACY_MARKERS)


def font_grids(
    data: bytes, kind: str, archive: zipfile.ZipFile | None = None, parts: Mapping[str, bytes] | None = None
) -> dict[str, FontGrid]:
    """{sheet name: {(row, col): font name}} for text cells; {} when no legacy font is named.

    `parts`: members of `archive` already expanded (the styles are read from there).
    """
    try:
        if kind == XLSX:
            return _xlsx_fonts(data, archive or zipfile.ZipFile(io.BytesIO(data)), parts or {})
        if kind == XLS and names_legacy_font(data):
            return _xls_fonts(data)
    except Exception:  # fonts are a hint only; the characters are checked anyway
        log.debug("could not read the fonts of a workbook", exc_info=True)
    return {}


def _xlsx_fonts(data: bytes, archive: zipfile.ZipFile, parts: Mapping[str, bytes]) -> dict[str, FontGrid]:
    try:
        styles = parts.get("xl/styles.xml") or archive.read("xl/styles.xml")
    except KeyError:
        return {}
    if not names_legacy_font(styles):
        return {}
    import openpyxl

    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        return {sheet.title: _sheet_fonts(sheet) for sheet in book.worksheets}
    finally:
        book.close()


def _sheet_fonts(sheet: Any) -> FontGrid:
    grid: FontGrid = {}
    for r, row in enumerate(sheet.iter_rows(min_row=1, min_col=1)):
        for c, cell in enumerate(row):
            if isinstance(getattr(cell, "value", None), str):
                font = getattr(cell, "font", None)
                if font is not None and font.name:
                    grid[(r, c)] = font.name
    return grid


def _xls_fonts(data: bytes) -> dict[str, FontGrid]:
    import xlrd

    book = xlrd.open_workbook(file_contents=data, formatting_info=True, on_demand=True)
    try:
        result = {}
        for index in range(book.nsheets):
            sheet = book.sheet_by_index(index)
            grid: FontGrid = {}
            for r in range(sheet.nrows):
                for c in range(sheet.ncols):
                    if sheet.cell_type(r, c) == xlrd.XL_CELL_TEXT:
                        xf = book.xf_list[sheet.cell_xf_index(r, c)]
                        grid[(r, c)] = book.font_list[xf.font_index].name
            result[sheet.name] = grid
        return result
    finally:
        book.release_resources()
