"""A sheet's size as its file declares it, found before any reader builds its cells.

calamine builds a sheet as one dense grid from its first to its last cell: an
xlsx with a single value at XFD1048576 asks for 17 billion cells, a crafted
.xls for a gigabyte. Here the cells are only counted where they are declared
(the `r` reference of every xlsx cell holding something, the row and column of
every .xls value record), streaming through the file in small pieces, and a
sheet beyond `max_rows` x `max_columns` is refused (file_too_large) before it
is opened.
"""

from __future__ import annotations

import io
import re
import struct
import zipfile
import zlib
from collections.abc import Iterator, Mapping
from operator import itemgetter

from mailbot.config import Limits
from mailbot.sheets.formats import XLS, XLSX
from mailbot.sheets.limits import CHUNK, check_shape

# A cell with content: <c r="XFD1048576" ...> that does not close itself. After its `r`, the rest of the
# tag is taken at once up to its first ">" ([^>]* cannot go past it; a lazy [^>]*? stops at the same ">"
# a step per byte, twice as slow; both find the same cells: tests/reading/test_reading_cpu_fast_paths.py).
XLSX_CELL = re.compile(rb'<(?:\w+:)?c\s[^>]*?\br="([A-Z]{1,3})([0-9]{1,7})"[^>]*(?<!/)>')
# The `r` of any tag, as XLSX_CELL takes it (\b before it written as a look behind, so that a search skips from
# one "r" to the next): the cells XLSX_CELL finds are among these, so when these are within the limits, so are they.
ANY_REFERENCE = re.compile(rb'r(?<!\wr)="([A-Z]{1,3})([0-9]{1,7})"')
OVERLAP = 256  # bytes kept from one piece to the next, so no cell tag is cut in two
# BIFF records that hold a value: NUMBER, RK, LABELSST, LABEL, BOOLERR, FORMULA; MULRK holds several.
BIFF_VALUES = frozenset({0x0203, 0x027E, 0x00FD, 0x0204, 0x0205, 0x0006})
BIFF_MULRK = 0x00BD


def check_declared(
    data: bytes, kind: str, archive: zipfile.ZipFile | None, limits: Limits, parts: Mapping[str, bytes] | None = None
) -> None:
    """Raise file_too_large if a sheet declares a cell beyond the row or column limit.

    `parts`: members of `archive` already expanded and verified (check_zip); the
    others are streamed from the archive.
    """
    if kind == XLSX and archive is not None:
        parts = parts or {}
        for info in archive.infolist():
            if info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml"):
                expanded = parts.get(info.filename)
                if expanded is not None and _surely_within(expanded, limits):
                    continue
                rows, columns = _extent(expanded) if expanded is not None else _xlsx_extent(data, archive, info)
                check_shape(rows, columns, _part_sheet(info.filename), limits)
    elif kind == XLS:
        for number, (rows, columns) in enumerate(_xls_extents(data), start=1):
            check_shape(rows, columns, str(number), limits)


def _part_sheet(part: str) -> str:
    return part.rsplit("/", 1)[-1].removesuffix(".xml")


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + letter - 64
    return number


def _xlsx_extent(data: bytes, archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> tuple[int, int]:
    rows = columns = 0
    tail = b""
    for piece in _pieces(archive, info):
        text = tail + piece
        piece_rows, piece_columns = _extent(text)
        rows, columns = max(rows, piece_rows), max(columns, piece_columns)
        tail = text[-OVERLAP:]
    return rows, columns


def _surely_within(text: bytes, limits: Limits) -> bool:
    """True if every `r` reference in `text`, of a cell or not, is within the limits: its cells are then too."""
    rows, columns = _extent(text, ANY_REFERENCE)
    return rows <= limits.max_rows and columns <= limits.max_columns


def _extent(text: bytes, pattern: re.Pattern[bytes] = XLSX_CELL) -> tuple[int, int]:
    """(last row, last column) of the cells with content declared in `text`, (0, 0) for none."""
    cells = pattern.findall(text)
    if not cells:
        return 0, 0
    rows = max(map(int, set(map(itemgetter(1), cells))))
    last = max(set(map(itemgetter(0), cells)), key=_column_order)  # "AA" after "Z": longer, then later
    return rows, _column_number(last)


def _column_order(letters: bytes) -> tuple[int, bytes]:
    return len(letters), letters


def _pieces(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> Iterator[bytes]:
    """The member's bytes in pieces of CHUNK, never all at once."""
    try:
        with archive.open(info) as member:
            while piece := member.read(CHUNK):
                yield piece
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError, NotImplementedError, ValueError):
        return  # a damaged part: the reader says so


def _xls_extents(data: bytes) -> list[tuple[int, int]]:
    """Rows and columns spanned by the value records of each sheet substream of a BIFF workbook."""
    stream = _workbook_stream(data)
    extents: list[tuple[int, int]] = []
    rows = columns = 0
    offset, size = 0, len(stream)
    while offset + 4 <= size:
        kind, length = struct.unpack_from("<HH", stream, offset)
        body = offset + 4
        if kind == 0x0809 and (rows or columns):  # BOF: a new substream begins
            extents.append((rows, columns))
            rows = columns = 0
        if (kind in BIFF_VALUES or kind == BIFF_MULRK) and length >= 4 and body + length <= size:
            row, column = struct.unpack_from("<HH", stream, body)
            if kind == BIFF_MULRK and length >= 6:
                column = struct.unpack_from("<H", stream, body + length - 2)[0]
            rows, columns = max(rows, row + 1), max(columns, column + 1)
        offset = body + length
    if rows or columns:
        extents.append((rows, columns))
    return extents


def _workbook_stream(data: bytes) -> bytes:
    import olefile  # comes with msoffcrypto-tool

    try:
        with olefile.OleFileIO(io.BytesIO(data)) as ole:
            for name in ("Workbook", "Book"):
                if ole.exists(name):
                    return ole.openstream(name).read()
    except (OSError, ValueError, IndexError, TypeError, struct.error):
        pass  # a damaged compound file: the reader says so
    return b""
