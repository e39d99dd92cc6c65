"""Tesseract's word boxes -> lines of text and a table of rows and columns.

    words_of(tsv) -> [Word]            the words Tesseract read, with their boxes
    lines_of(words) -> [[Word]]        the words of each printed line, top to bottom, left to right
    table_of(lines, name, sheet, limits) -> Table | None

A printed table has wide gaps between its columns and narrow ones between the
words of a cell. A line's words are split into cells where the gap is wider than
the line's letters are tall. The line with the most cells (the header, as a rule)
gives the columns: each cell of every line goes to the column its middle falls in,
whether the cell's text is set left, centred or right. Lines of one cell (the title
rows above the table) stay in the first column, as title rows of a sheet do. Marks
without a letter or digit (drawn lines read as "|", specks) are dropped.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass

from mailbot.config import Limits
from mailbot.models import Table
from mailbot.sheets.limits import check_shape

WORD_LEVEL = "5"
CELL_GAP = 1.2  # a gap wider than this many letter heights starts a new cell


@dataclass(frozen=True)
class Word:
    line: tuple[int, int, int]  # block, paragraph, line
    left: int
    top: int
    width: int
    height: int
    text: str

    @property
    def right(self) -> int:
        return self.left + self.width


@dataclass(frozen=True)
class Cell:
    left: int
    right: int
    text: str

    @property
    def middle(self) -> float:
        return (self.left + self.right) / 2


def words_of(tsv: str) -> list[Word]:
    words = []
    for row in tsv.splitlines()[1:]:
        fields = row.split("\t")
        if len(fields) < 12 or fields[0] != WORD_LEVEL:
            continue
        text = fields[11].strip()
        if not any(ch.isalnum() for ch in text):  # a drawn line or a speck, not a word
            continue
        try:
            block, par, line, left, top, width, height = (int(f) for f in (*fields[2:5], *fields[6:10]))
        except ValueError:
            continue
        words.append(Word((block, par, line), left, top, width, height, text))
    return words


def lines_of(words: list[Word]) -> list[list[Word]]:
    lines: dict[tuple[int, int, int], list[Word]] = {}
    for word in words:
        lines.setdefault(word.line, []).append(word)
    ordered = sorted(lines.values(), key=lambda ws: statistics.median(w.top for w in ws))
    return [sorted(ws, key=lambda w: w.left) for ws in ordered]


def cells_of(line: list[Word]) -> list[Cell]:
    tall = statistics.median(w.height for w in line)
    cells: list[list[Word]] = [[line[0]]]
    for before, word in zip(line, line[1:], strict=False):
        if word.left - before.right > CELL_GAP * tall:
            cells.append([])
        cells[-1].append(word)
    return [Cell(ws[0].left, ws[-1].right, " ".join(w.text for w in ws)) for ws in cells]


def table_of(lines: list[list[Word]], name: str, sheet: str, limits: Limits) -> Table | None:
    """The table the lines form, or None when no line has two cells (a picture of sentences)."""
    rows = [cells_of(line) for line in lines if line]
    widest = max(rows, key=len, default=[])
    if len(widest) < 2:
        return None
    check_shape(len(rows), len(widest), f"picture {name}", limits)
    bounds = [(a.right + b.left) / 2 for a, b in zip(widest, widest[1:], strict=False)]
    grid = []
    for row in rows:
        values: list[str | None] = [None] * len(widest)
        for cell in row:
            column = 0 if len(row) == 1 else sum(cell.middle > bound for bound in bounds)
            values[column] = cell.text if values[column] is None else f"{values[column]} {cell.text}"
        grid.append(tuple(values))
    return Table(file_name=name, sheet=sheet, cells=tuple(grid), from_image=True)
