"""Formulas an xlsx workbook holds without a cached value.

A workbook written by a program and never opened in a spreadsheet application may
hold formulas with no cached result. A reader sees such a cell as empty, so a
commune row "=C6+C7" would silently drop out of the sum. Here those cells are found
(streaming through each worksheet part, no grid built) so that the cell shows its
formula ("=SUM(C6:C8)"): the reading then says the value is not a clear count and
where it is, instead of counting nothing.
"""

from __future__ import annotations

import logging
import re
import zipfile
from collections.abc import Mapping
from functools import lru_cache
from xml.etree import ElementTree

from mailbot.sheets.limits import CHUNK

log = logging.getLogger(__name__)

CELL_START = re.compile(rb"<(?:\w+:)?c\s")
CELL = re.compile(rb"<(?:\w+:)?c\s([^>]*?)(?<!/)>(.*?)</(?:\w+:)?c>", re.S)
REFERENCE = re.compile(rb'\br="([A-Z]{1,3})([0-9]{1,7})"')
FORMULA = re.compile(rb"<(?:\w+:)?f\b[^>]*?(?:/>|>(.*?)</(?:\w+:)?f>)", re.S)
VALUE = re.compile(rb"<(?:\w+:)?(?:v|is)\b[^>]*>\s*[^<\s]")
MAX_TAIL = 1 << 20  # a cell longer than this is not a formula cell worth showing
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELATIONSHIPS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE = "http://schemas.openxmlformats.org/package/2006/relationships"
RELS = "xl/_rels/workbook.xml.rels"

Formulas = dict[tuple[int, int], str]  # (row, column) -> "=SUM(C6:C8)"


def uncached_formulas(archive: zipfile.ZipFile, expanded: Mapping[str, bytes] | None = None) -> dict[str, Formulas]:
    """{sheet name: {(row, col): formula text}} for every formula cell with no cached value.

    `expanded`: members of `archive` already expanded and verified (check_zip), read
    from there; the others are streamed from the archive.
    """
    expanded = expanded or {}
    try:
        parts = _sheet_parts(_member(archive, expanded, "xl/workbook.xml"), _member(archive, expanded, RELS))
    except (KeyError, ElementTree.ParseError, zipfile.BadZipFile, OSError, ValueError):
        log.debug("the workbook's sheet list could not be read", exc_info=True)
        return {}
    found = {}
    for name, part in parts:
        try:
            formulas = _found_in(expanded[part]) if part in expanded else _scan(archive, part)
        except (KeyError, zipfile.BadZipFile, OSError, ValueError, EOFError):
            log.debug("sheet part %s could not be scanned", part, exc_info=True)
            continue
        if formulas:
            found[name] = formulas
    return found


def _member(archive: zipfile.ZipFile, expanded: Mapping[str, bytes], name: str) -> bytes:
    return expanded[name] if name in expanded else archive.read(name)


@lru_cache(maxsize=32)  # the units of a campaign send the same template: its sheet list is the same
def _sheet_parts(workbook: bytes, relationships: bytes) -> tuple[tuple[str, str], ...]:
    """(sheet name, its part in the package "xl/worksheets/sheet1.xml"), from xl/workbook.xml and its rels."""
    book = ElementTree.fromstring(workbook)
    rels = ElementTree.fromstring(relationships)
    targets = {r.get("Id"): r.get("Target", "") for r in rels.iter(f"{{{PACKAGE}}}Relationship")}
    parts = {}
    for sheet in book.iter(f"{{{MAIN}}}sheet"):
        target = targets.get(sheet.get(f"{{{RELATIONSHIPS}}}id"), "")
        if target:
            parts[sheet.get("name", "")] = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
    return tuple(parts.items())


def _scan(archive: zipfile.ZipFile, part: str) -> Formulas:
    found: Formulas = {}
    tail = b""
    with archive.open(part) as stream:
        while piece := stream.read(CHUNK):
            text = tail + piece
            starts = [m.start() for m in CELL_START.finditer(text)]
            cut = starts[-1] if starts else len(text)
            _cells(text[:cut], found)
            tail = text[cut:] if len(text) - cut <= MAX_TAIL else b""
    _cells(tail, found)
    return found


def _found_in(text: bytes) -> Formulas:
    """_scan of a part already expanded: the whole text at once."""
    found: Formulas = {}
    _cells(text, found)
    return found


def _cells(text: bytes, found: Formulas) -> None:
    if b"<f" not in text and b":f" not in text:
        return
    for match in CELL.finditer(text):
        attributes, body = match.groups()
        formula = FORMULA.search(body)
        reference = REFERENCE.search(attributes)
        if formula is None or reference is None or VALUE.search(body):
            continue
        letters, row = reference.groups()
        column = 0
        for letter in letters:
            column = column * 26 + letter - 64
        shown = (formula.group(1) or b"").decode("utf-8", "replace")
        found[(int(row) - 1, column - 1)] = "=" + _unescaped(shown)


def _unescaped(text: str) -> str:
    return (
        text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", '"')
        .replace("&apos;", "'")
        .replace("&amp;", "&")
    )
