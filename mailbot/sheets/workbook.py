"""Binary and zip workbooks (xlsx, xlsm, xlsb, xls, ods) through python-calamine.

Only cell values of visible sheets are read: cached values of formulas, never macros;
a hidden or very hidden sheet (a stale copy, a lookup list) is never read. Fonts are read
only when the file names a legacy Vietnamese font (.VnTime, VNI-Times), so that
TCVN3/VNI text can be recognised by its font.
"""

from __future__ import annotations

import io
import logging
import zipfile
from collections.abc import Mapping
from dataclasses import replace
from datetime import date, datetime, time, timedelta

import python_calamine

from mailbot.config import Limits
from mailbot.errors import SpreadsheetError
from mailbot.models import ENCRYPTED_FILE, CellValue, Table
from mailbot.sheets import fonts
from mailbot.sheets.declared import check_declared
from mailbot.sheets.fonts import FontGrid
from mailbot.sheets.formats import XLS, XLSX
from mailbot.sheets.formulas import Formulas, uncached_formulas
from mailbot.sheets.limits import SheetError, check_shape, damaged

log = logging.getLogger(__name__)

CALAMINE_ERRORS = (python_calamine.CalamineError, ValueError, TypeError, OSError, RuntimeError, IndexError)


def read_workbook(
    name: str,
    data: bytes,
    kind: str,
    limits: Limits,
    archive: zipfile.ZipFile | None = None,
    parts: Mapping[str, bytes] | None = None,
) -> list[Table]:
    """The visible sheets as Tables. `parts`: members of `archive` already expanded and verified (check_zip)."""
    parts = parts or {}
    if kind == XLS and is_encrypted(data):
        raise encrypted()
    check_declared(data, kind, archive, limits, parts)
    try:
        book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
    except python_calamine.PasswordError:
        raise encrypted() from None
    except CALAMINE_ERRORS as exc:
        raise damaged(exc) from None
    font_grid = fonts.font_grids(data, kind, archive, parts)
    uncached = uncached_formulas(archive, parts) if kind == XLSX and archive is not None else {}
    tables = []
    try:
        for sheet_name in visible_sheets(book):
            table = _read_sheet(book, name, sheet_name, font_grid.get(sheet_name), limits)
            tables.append(_with_formulas(table, uncached.get(sheet_name)))
    except SpreadsheetError:
        raise
    except python_calamine.PasswordError:
        raise encrypted() from None
    except CALAMINE_ERRORS as exc:
        raise damaged(exc) from None
    finally:
        book.close()
    return tables


def visible_sheets(book: python_calamine.CalamineWorkbook) -> list[str]:
    """The names of the sheets a person sees: hidden and very hidden ones are never read."""
    return [m.name for m in book.sheets_metadata if m.visible == python_calamine.SheetVisibleEnum.Visible]


def _read_sheet(
    book: python_calamine.CalamineWorkbook, file_name: str, sheet_name: str, font_grid: FontGrid | None, limits: Limits
) -> Table:
    sheet = book.get_sheet_by_name(sheet_name)
    end = sheet.end
    rows, columns = (end[0] + 1, end[1] + 1) if end else (0, 0)
    check_shape(rows, columns, sheet_name, limits)
    values = sheet.to_python(skip_empty_area=False)
    cells = tuple(_plain_row(row) for row in values)
    merged = tuple((r1, c1, r2, c2) for (r1, c1), (r2, c2) in (sheet.merged_cell_ranges or ()))
    grid = None
    if font_grid is not None:
        grid = tuple(tuple(font_grid.get((r, c)) for c in range(len(row))) for r, row in enumerate(cells))
    return Table(file_name=file_name, sheet=sheet_name, cells=cells, fonts=grid, merged=merged)


def _with_formulas(table: Table, formulas: Formulas | None) -> Table:
    """The table with each formula that has no cached value shown as its formula, not as an empty cell."""
    if not formulas:
        return table
    rows = [list(row) for row in table.cells]
    for (r, c), formula in formulas.items():
        if r >= len(rows) or c >= len(rows[r]):
            continue  # beyond the sheet's cells: it has no neighbour that could be read as a figure
        if rows[r][c] is None:
            rows[r][c] = formula
    return replace(table, cells=tuple(tuple(row) for row in rows))


KEPT_AS_THEY_ARE = frozenset({float, int, bool})  # most cells: numbers as calamine gives them


def _plain_row(row: list) -> tuple[CellValue, ...]:
    """_plain of each value: numbers and non-empty text as they are, without a call per cell."""
    return tuple([v if (t := type(v)) in KEPT_AS_THEY_ARE or (t is str and v) else _plain(v) for v in row])


def _plain(value: object) -> CellValue:
    """A calamine value as text, number, bool or None. Dates become d/m/yyyy text."""
    if value is None or value == "":
        return None
    if isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, datetime):
        return f"{value.day:02d}/{value.month:02d}/{value.year}"
    if isinstance(value, date):
        return f"{value.day:02d}/{value.month:02d}/{value.year}"
    if isinstance(value, (time, timedelta)):
        return str(value)
    return str(value)


def is_encrypted(data: bytes) -> bool:
    """True for a password-protected OOXML package or a BIFF workbook with FILEPASS."""
    import msoffcrypto
    from msoffcrypto.exceptions import FileFormatError

    try:
        return bool(msoffcrypto.OfficeFile(io.BytesIO(data)).is_encrypted())
    except (FileFormatError, OSError, ValueError, KeyError, AssertionError, IndexError, TypeError, AttributeError):
        return False
    except Exception:  # the library raises bare Exceptions on some malformed files
        log.debug("encryption check failed", exc_info=True)
        return False


def encrypted() -> SheetError:
    return SheetError(ENCRYPTED_FILE, "encrypted", "the workbook is password-protected", "remove the password")
