"""One table -> the metric's figure: header row, title rows, total row, numbers.

A district table looks like: title rows ("UBND HUYỆN NAM SÁCH", "BÁO CÁO ...",
"ngày 14/8/2020"), a header row (maybe two, with merged cells), perhaps a row
numbering the columns, one row per commune, and a "Tổng cộng" row. The figure is
the total row's value, checked against the sum of the rows above it; without a
total row it is the sum of the rows.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from difflib import SequenceMatcher
from functools import lru_cache
from itertools import pairwise

from mailbot.config import Metric
from mailbot.models import AMBIGUOUS_NUMBER, TOTAL_MISMATCH, CellValue, Table
from mailbot.reading.numbers import Number, is_numeric_like, read_count
from mailbot.reading.period import stated_date
from mailbot.reading.text import clean, contains_words, fold

HEADER_SEARCH_ROWS = 60
MISREAD_LIKENESS = 0.85  # how alike a header read from a picture and a metric's name must be
COLUMN_UNDECIDED = "column_undecided"  # several columns may hold the metric and their headers do not tell
COLUMN_OTHER_KIND = "column_other_kind"  # the only column says it is the day's increase, not the running total
FORMULA_WITHOUT_VALUE = "formula_without_value"  # a formula the file holds no result of (never opened in Excel)
DAY_COLUMN_MISSING = "day_column_missing"  # one column per day, none of them the report day's
MAX_DATE_CELL = 40  # characters: a header cell longer than this is a sentence, not a day
NUMBERING_CELL = re.compile(r"\(?([0-9]{1,2}|[A-Za-z])\)?")


@dataclass(frozen=True)
class Finding:
    """A problem found in a table, before it is put into words."""

    code: str
    cell: str
    params: dict = field(default_factory=dict)


@dataclass(frozen=True)
class MetricReading:
    """The metric's figure in one table, where it was read, and who the rows above it are."""

    metric: str
    figure: int | None
    findings: tuple[Finding, ...]
    cell: str | None = None  # the figure's cell ("C24"), or the summed range ("C6:C9") without a total row
    row_labels: tuple[str, ...] = ()  # for each counted row, the text left of the column ("Xã Gia Tân")
    by_day: Mapping[date, MetricReading] | None = None  # a sheet with one column per day: each day's reading


@dataclass(frozen=True)
class SheetReading:
    """What one table says: figures found per metric, and its title texts."""

    table: Table
    metrics: dict[str, MetricReading]
    titles: tuple[str, ...]


@dataclass
class _Grid:
    text: list[list[str | None]]  # cleaned text of text cells, None elsewhere
    folded: list[list[str]]
    values: tuple[tuple, ...]
    merged_from: dict[tuple[int, int], tuple[int, int]]


def cell_name(row: int, col: int) -> str:
    letters = ""
    col += 1
    while col:
        col, rest = divmod(col - 1, 26)
        letters = chr(65 + rest) + letters
    return f"{letters}{row + 1}"


def read_sheet(
    table: Table, metrics: tuple[Metric, ...], total_labels: tuple[str, ...], arrival: date | None = None
) -> SheetReading:
    """The metrics' figures in one table; `arrival` gives the year of day columns written without one."""
    grid = _prepare(table)
    totals = _total_labels(total_labels)
    found: dict[str, MetricReading] = {}
    first_header = None
    for metric in metrics:
        header = _find_header(grid, metric, table.from_image) or _find_day_row(grid, metric, arrival)
        if header is None:
            continue
        row, sub, choice, candidates = header
        first_header = row if first_header is None else min(first_header, row)
        days = _day_columns(_tied(candidates, metric), arrival) if isinstance(choice, Finding) else None
        if days:
            by_day = {day: _read_column(grid, metric.id, (row, sub, c), totals) for day, c in days.items()}
            found[metric.id] = MetricReading(metric.id, None, (), by_day=by_day)
        elif isinstance(choice, Finding):
            found[metric.id] = MetricReading(metric.id, None, (choice,))
        else:
            found[metric.id] = _read_column(grid, metric.id, (row, sub, choice), totals)
    title_rows = range(first_header if first_header is not None else min(len(grid.text), 12))
    titles = tuple(t for r in title_rows for t in grid.text[r] if t)
    return SheetReading(table=table, metrics=found, titles=titles)


@lru_cache(maxsize=16)
def _total_labels(labels: tuple[str, ...]) -> _Totals:
    return _Totals(fold(t) for t in labels)


class _Totals(frozenset[str]):
    """Folded total labels; `label.startswith(totals)` matches "tong cong toan huyen"."""

    def __init__(self, labels: Iterable[str]) -> None:
        super().__init__()
        self.prefixes = tuple(f"{t} " for t in self if " " in t)


def _prepare(table: Table) -> _Grid:
    text, folded = [], []
    for r, row in enumerate(table.cells):
        fonts = table.fonts[r] if table.fonts and r < len(table.fonts) else ()
        if fonts:
            cleaned = [
                clean(v, fonts[c] if c < len(fonts) else None) if isinstance(v, str) and v.strip() else None
                for c, v in enumerate(row)
            ]
        else:  # most rows: no font to look up per cell
            cleaned = [clean(v, None) if isinstance(v, str) and v.strip() else None for v in row]
        text.append(cleaned)
        folded.append([fold(v) if v else "" for v in cleaned])
    merged_from = {}
    for r1, c1, r2, c2 in table.merged:
        for r in range(r1, min(r2, r1 + 3) + 1):
            for c in range(c1, min(c2, c1 + 50) + 1):
                if (r, c) != (r1, c1):
                    merged_from[(r, c)] = (r1, c1)
    return _Grid(text=text, folded=folded, values=table.cells, merged_from=merged_from)


def _header_text(grid: _Grid, r: int, c: int) -> str:
    row = grid.folded[r]
    if c < len(row) and row[c]:
        return row[c]
    origin = grid.merged_from.get((r, c))
    return grid.folded[origin[0]][origin[1]] if origin else ""


_Header = tuple[int, int | None, "int | Finding", list["_Candidate"]]
_Total = tuple[int, Number, CellValue]  # the total row: its number, what it states, the cell's value


@dataclass(frozen=True)
class _Candidate:
    column: int
    score: int  # length of the longest alias the header names; 0 for a header of a cumulative word alone
    kind: str  # "cumulative", "daily" or "" (the header does not say)
    header: str


def _find_header(grid: _Grid, metric: Metric, from_image: bool = False) -> _Header | None:
    """(header row, sub-header row or None, metric column, candidates) of the first row naming the metric.

    The column is a Finding instead when the header words cannot tell which column it is.
    A table read from a picture names the metric also with a letter or two misread
    ("Số iượng cài đặt Biuezone"): its figures wait for a person in any case.
    """
    aliases = sorted({fold(a) for a in (metric.label, *metric.aliases)} - {""}, key=len, reverse=True)
    for r in range(min(len(grid.folded), HEADER_SEARCH_ROWS)):
        named = sum(1 for t in grid.folded[r] if t)
        if named < 2 and named + sum(1 for v in grid.values[r] if is_numeric_like(v)) < 2:
            continue  # a title row: one cell, maybe merged across the table
        sub = r + 1 if _is_sub_header(grid, r) else None
        candidates, bare = [], []
        for c in range(len(grid.folded[r])):
            words = _header_text(grid, r, c) + (" " + _header_text(grid, sub, c) if sub else "")
            score = next((len(a) for a in aliases if _names(words, a, from_image)), 0)
            kind = _kind(words, metric)
            if score:
                candidates.append(_Candidate(c, score, kind, _shown_header(grid, r, sub, c)))
            elif kind == "cumulative" and _only_words(words, metric.cumulative_words):
                bare.append(_Candidate(c, 0, kind, _shown_header(grid, r, sub, c)))
        if candidates:
            if all(c.kind == "daily" for c in candidates):
                candidates += bare  # "Số cài đặt trong ngày" beside "Lũy kế"
            return r, sub, _choose(candidates, metric, r), candidates
    return None


def _names(words: str, alias: str, misread: bool) -> bool:
    """True if the folded header `words` name the folded `alias`; with `misread`, nearly is enough."""
    if contains_words(words, alias):
        return True
    if not misread:
        return False
    have, size = words.split(), len(alias.split())
    return any(
        SequenceMatcher(None, " ".join(have[i : i + size]), alias).ratio() >= MISREAD_LIKENESS
        for i in range(len(have) - size + 1)
    )


def _find_day_row(grid: _Grid, metric: Metric, arrival: date | None) -> _Header | None:
    """A header row of days ("10/8 | 11/8 | ... | 14/8") under title rows naming the metric."""
    aliases = {fold(a) for a in (metric.label, *metric.aliases)} - {""}
    above = ""
    for r in range(min(len(grid.folded), HEADER_SEARCH_ROWS)):
        named = any(contains_words(above, a) for a in aliases)
        cells = [(c, t) for c, t in enumerate(grid.text[r]) if t and len(t) <= MAX_DATE_CELL] if named else []
        days = [(c, t) for c, t in cells if stated_date(t, arrival)]
        if len({stated_date(t, arrival) for _, t in days}) >= 2:
            kind = _kind(above, metric)
            candidates = [_Candidate(c, 1, kind, t) for c, t in days]
            return r, None, _choose(candidates, metric, r, undecided_always=True), candidates
        above += " " + " ".join(grid.folded[r])
    return None


def _day_columns(candidates: list[_Candidate], arrival: date | None) -> dict[date, int] | None:
    """Each day's column, when every tied column states a day of its own."""
    days = {stated_date(c.header, arrival): c.column for c in candidates}
    if len(candidates) < 2 or None in days or len(days) != len(candidates):
        return None
    return {day: column for day, column in days.items() if day is not None}


def _shown_header(grid: _Grid, r: int, sub: int | None, c: int) -> str:
    """The header as written (the merged cell's text where the cell is covered), sub-header included."""
    parts: list[str] = []
    for row in (r, sub) if sub is not None else (r,):
        origin = (row, c) if c < len(grid.text[row]) and grid.text[row][c] else grid.merged_from.get((row, c))
        shown = grid.text[origin[0]][origin[1]] if origin else None
        if shown:
            parts.append(shown)
    return " / ".join(parts)


def _tied(candidates: list[_Candidate], metric: Metric) -> list[_Candidate]:
    """The best columns of the kind the metric counts (else unmarked ones): one, or several equally good."""
    wanted = "cumulative" if metric.cumulative else "daily"
    group = [c for c in candidates if c.kind == wanted] or [c for c in candidates if c.kind == ""]
    best = max((c.score for c in group), default=0)
    return [c for c in group if c.score == best]


def _kind(words: str, metric: Metric) -> str:
    """What the header says the column counts; a cumulative word wins ("Lũy kế đến hôm nay")."""
    if any(contains_words(words, w) for w in _folded(metric.cumulative_words)):
        return "cumulative"
    return "daily" if any(contains_words(words, w) for w in _folded(metric.daily_words)) else ""


def _only_words(words: str, listed: tuple[str, ...]) -> bool:
    return words in _folded(listed)


@lru_cache(maxsize=64)
def _folded(words: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(f for f in (fold(w) for w in words) if f)


def _choose(candidates: list[_Candidate], metric: Metric, row: int, undecided_always: bool = False) -> int | Finding:
    """The metric's column: of the kind the metric counts, else unmarked; never the other kind."""
    wanted, other = ("cumulative", "daily") if metric.cumulative else ("daily", "cumulative")
    top = _tied(candidates, metric)
    if not top:
        only = candidates[0]
        params = {"header": only.header, "kind": other, "wanted": wanted}
        return Finding(COLUMN_OTHER_KIND, cell_name(row, only.column), params)
    if len(top) == 1 and not undecided_always:
        return top[0].column
    cells = ", ".join(cell_name(row, c.column) for c in top)
    return Finding(COLUMN_UNDECIDED, cell_name(row, top[0].column), {"cells": cells})


def _is_sub_header(grid: _Grid, r: int) -> bool:
    """True if row r+1 continues the header: text only, under blank or merged cells of row r."""
    if r + 1 >= len(grid.folded):
        return False
    below, values = grid.folded[r + 1], grid.values[r + 1]
    if not any(below) or any(is_numeric_like(v) for v in values):
        return False
    for c, text in enumerate(below):
        if text and (not grid.folded[r][c] or (r, c) in grid.merged_from):
            return True
    return any((r + 1, c) in grid.merged_from and grid.merged_from[(r + 1, c)][0] == r for c in range(len(below)))


def _is_numbering_row(grid: _Grid, r: int) -> bool:
    """A row numbering the columns: "(1) (2) (3)", "A B 1 2"."""
    cells = [v for v in grid.values[r] if v not in (None, "")]
    if len(cells) < 2:
        return False
    numbers = []
    for v in cells:
        if isinstance(v, float) and v.is_integer():
            v = int(v)
        match = NUMBERING_CELL.fullmatch(str(v).strip())
        if not match:
            return False
        if match.group(1).isdigit():
            numbers.append(int(match.group(1)))
    return len(numbers) >= 2 and all(b == a + 1 for a, b in pairwise(numbers))


def _is_total_row(grid: _Grid, r: int, column: int, totals: _Totals) -> bool:
    for label in grid.folded[r][:column]:
        if label and (label in totals or label.startswith(totals.prefixes)):
            return True
    return False


def _read_column(grid: _Grid, metric_id: str, header: tuple[int, int | None, int], totals: _Totals) -> MetricReading:
    header_row, sub_row, column = header
    start = (sub_row if sub_row is not None else header_row) + 1
    if start < len(grid.values) and _is_numbering_row(grid, start):
        start += 1
    parts, findings, total, rows = [], [], None, []
    for r in range(start, len(grid.values)):
        value = grid.values[r][column] if column < len(grid.values[r]) else None
        if _is_total_row(grid, r, column, totals):
            total = (r, read_count(value), value)
            break
        number = read_count(value)
        if number.blank:
            continue
        rows.append(r)
        if number.ambiguous:
            findings.append(_ambiguous(r, column, value))
        elif number.value is not None:
            parts.append(number.value)
    reading = _figure(metric_id, parts, findings, total, column)
    labels = tuple(" ".join([t for t in grid.text[r][:column] if t]) for r in rows)
    cell = _figure_cell(reading, rows, total, column)
    return MetricReading(reading.metric, reading.figure, reading.findings, cell=cell, row_labels=labels)


def _figure_cell(reading: MetricReading, rows: list[int], total: _Total | None, column: int) -> str | None:
    if reading.figure is None:
        return None
    if total is not None and not total[1].blank:
        return cell_name(total[0], column)
    if len(rows) == 1:
        return cell_name(rows[0], column)
    return f"{cell_name(rows[0], column)}:{cell_name(rows[-1], column)}"


def _ambiguous(r: int, c: int, value: CellValue) -> Finding:
    shown = value if isinstance(value, str) else (repr(value) if isinstance(value, float) else str(value))
    code = FORMULA_WITHOUT_VALUE if isinstance(value, str) and value.startswith("=") else AMBIGUOUS_NUMBER
    return Finding(code, cell_name(r, c), {"value": str(shown).strip()})


def _figure(
    metric_id: str, parts: list[int], findings: list[Finding], total: _Total | None, column: int
) -> MetricReading:
    if total is None or total[1].blank:
        if not parts and not findings:
            return MetricReading(metric_id, None, ())
        figure = None if findings else sum(parts)
        return MetricReading(metric_id, figure, tuple(findings))
    row, number, value = total
    if number.ambiguous:
        return MetricReading(metric_id, None, tuple(findings) + (_ambiguous(row, column, value),))
    if parts and not findings and sum(parts) != number.value:
        mismatch = Finding(TOTAL_MISMATCH, cell_name(row, column), {"total": number.value, "sum": sum(parts)})
        findings.append(mismatch)
    return MetricReading(metric_id, number.value, tuple(findings))
