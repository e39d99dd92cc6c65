"""Bytes -> tables. The only room that knows spreadsheet libraries.

    read_tables(name, data, limits) -> list[Table]

reads in a worker process (mailbot.workers) under the memory and time limits, and
raises errors.SpreadsheetError(code, message, hint) with a problem code (docs/problems.md)
(unreadable_file, encrypted_file, file_too_large). The format is recognised by the
bytes; the name is only shown to people.
"""

from __future__ import annotations

import zipfile

from mailbot.config import Limits
from mailbot.models import UNREADABLE_FILE, Table
from mailbot.sheets import formats
from mailbot.sheets.formats import sniff
from mailbot.sheets.limits import SheetError, check_size, expand_zip, within_time
from mailbot.sheets.text_formats import decode_text, read_csv, read_html
from mailbot.sheets.workbook import encrypted, read_workbook

__all__ = [
    "read_tables",
    "SheetError",
    "sniff",
    "is_spreadsheet_name",
    "decode_text",
    "SPREADSHEET_FORMATS",
    "NOT_SPREADSHEETS",
]

SPREADSHEET_FORMATS = frozenset({formats.XLSX, formats.XLSB, formats.XLS, formats.ODS, formats.CSV, formats.HTML})
WORKBOOK_FORMATS = frozenset({formats.XLSX, formats.XLSB, formats.XLS, formats.ODS})
NOT_SPREADSHEETS = frozenset({formats.IMAGE, formats.PDF})
SPREADSHEET_SUFFIXES = (".xlsx", ".xlsm", ".xlsb", ".xls", ".xlt", ".xltx", ".xltm", ".ods", ".csv", ".tsv")


def is_spreadsheet_name(name: str | None) -> bool:
    return name is not None and name.strip().lower().endswith(SPREADSHEET_SUFFIXES)


def read_tables(name: str, data: bytes, limits: Limits) -> list[Table]:
    """Every sheet of the file as a Table, read in a worker within the size, shape, memory and time limits."""
    from mailbot import workers

    check_size(data, limits)  # nothing over the size limit is even handed over
    return workers.run("mailbot.sheets:read_tables_here", name, data, limits, limits=limits)


def read_tables_here(name: str, data: bytes, limits: Limits) -> list[Table]:
    """read_tables in this process: what a worker runs."""
    check_size(data, limits)
    archive = formats.open_zip(data)
    kind = sniff(data, archive)
    if kind == formats.ENCRYPTED:
        raise encrypted()
    if kind not in SPREADSHEET_FORMATS:
        raise SheetError(
            UNREADABLE_FILE,
            "not_spreadsheet",
            f"it is not a spreadsheet mailbot reads ({kind})",
            "save the report as .xlsx",
            kind=kind,
        )
    parts: dict[str, bytes] = {}
    expanded = len(data)
    if kind in (formats.XLSX, formats.XLSB, formats.ODS):
        expanded, parts = expand_zip(data, archive, limits)
    return within_time(lambda: _read(name, data, kind, limits, archive, parts), limits.read_timeout_seconds, expanded)


def _read(
    name: str, data: bytes, kind: str, limits: Limits, archive: zipfile.ZipFile | None, parts: dict[str, bytes]
) -> list[Table]:
    if kind in WORKBOOK_FORMATS:
        return read_workbook(name, data, kind, limits, archive, parts)
    if kind == formats.HTML:
        return read_html(name, data, limits)
    return read_csv(name, data, limits)
