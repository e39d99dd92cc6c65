"""Word .docx -> its tables and its text, through python-docx.

A report signed in Word holds the table of the appendix and the letter's text. Each
table, nested tables included (a table inside a cell is a table of its own), becomes
a Table with its merged cells: horizontal merges (`gridSpan`) and vertical ones
(`vMerge`) are given as merged ranges, as a sheet's are. The paragraphs outside the
tables are the document's text, in order. The zip is checked against the limits
before python-docx opens it.
"""

from __future__ import annotations

import io
import logging
from typing import Any

import docx
from docx.oxml.ns import qn

from mailbot.config import Limits
from mailbot.models import Table
from mailbot.sheets import formats
from mailbot.sheets.document import Document, Text
from mailbot.sheets.limits import check_shape, check_zip, damaged, within_time

Element = Any  # an element of the document's XML (lxml, which has no types)
log = logging.getLogger(__name__)
W_TBL, W_TR, W_TC, W_P, W_T = qn("w:tbl"), qn("w:tr"), qn("w:tc"), qn("w:p"), qn("w:t")
MAX_SPAN = 200


def read_docx(name: str, data: bytes, limits: Limits) -> Document:
    archive = formats.open_zip(data)
    expanded = check_zip(data, archive, limits)
    return within_time(lambda: _read(name, data, limits), limits.read_timeout_seconds, expanded)


def _read(name: str, data: bytes, limits: Limits) -> Document:
    try:
        body = docx.Document(io.BytesIO(data)).element.body
    except Exception as exc:  # python-docx and lxml raise many kinds on a damaged file
        raise damaged(exc) from None
    tables: list[Table] = []
    lines: list[str] = []
    heading: list[str] | None = None
    for element in body.iterchildren():
        if element.tag == W_P:
            lines.append(_paragraph_text(element))
        elif element.tag == W_TBL:
            heading = [line for line in lines if line] if heading is None else heading
            _collect_tables(element, name, limits, tables)
    text = Text(name, tuple(lines), heading=tuple(heading if heading is not None else lines[:8]))
    return Document(tables=tuple(tables), texts=(text,) if any(lines) else ())


def _collect_tables(table: Element, name: str, limits: Limits, tables: list[Table]) -> None:
    """`table` and every table nested in its cells, inner ones first."""
    rows: list[list[str | None]] = []
    merged: list[tuple[int, int, int, int]] = []
    open_vertical: dict[int, int] = {}  # column -> index in `merged` of the vertical merge running there
    for r, row in enumerate(table.iterchildren(W_TR)):
        cells: list[str | None] = []
        for cell in row.iterchildren(W_TC):
            for nested in cell.iterchildren(W_TBL):
                _collect_tables(nested, name, limits, tables)
            span = _grid_span(cell)
            c = len(cells)
            vmerge = _vmerge(cell)
            if vmerge == "continue" and c in open_vertical:
                r1, c1, _, c2 = merged[open_vertical[c]]
                merged[open_vertical[c]] = (r1, c1, r, c2)
                cells.extend([None] * span)
                continue
            open_vertical.pop(c, None)
            text = " ".join(_paragraph_text(p) for p in cell.iterchildren(W_P)).strip() or None
            cells.append(text)
            cells.extend([None] * (span - 1))
            if span > 1 or vmerge == "restart":
                merged.append((r, c, r, c + span - 1))
                if vmerge == "restart":
                    open_vertical[c] = len(merged) - 1
        rows.append(cells)
        check_shape(len(rows), max(len(r) for r in rows), f"table {len(tables) + 1}", limits)
    width = max((len(r) for r in rows), default=0)
    if width:
        grid = tuple(tuple(r) + (None,) * (width - len(r)) for r in rows)
        sheet = f"Bảng {len(tables) + 1}"
        tables.append(Table(file_name=name, sheet=sheet, cells=grid, merged=tuple(merged)))


def _paragraph_text(paragraph: Element) -> str:
    return " ".join("".join(t.text or "" for t in paragraph.iter(W_T)).split())


def _grid_span(cell: Element) -> int:
    found = cell.find(f"{qn('w:tcPr')}/{qn('w:gridSpan')}")
    value = found.get(qn("w:val")) if found is not None else None
    return max(1, min(int(value), MAX_SPAN)) if value and value.isdigit() else 1


def _vmerge(cell: Element) -> str | None:
    found = cell.find(f"{qn('w:tcPr')}/{qn('w:vMerge')}")
    if found is None:
        return None
    return "restart" if found.get(qn("w:val")) == "restart" else "continue"
