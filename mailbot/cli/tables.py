"""Tables that stay readable in a narrow terminal (80 columns and up).

A table is described as columns, each with a drop rank: 0 is always shown; at a
width where the table's natural size does not fit, the optional columns are left
out, the highest rank first, until it fits or only the essential ones remain, which
rich then folds (wraps inside their cells). The caller learns what was left out, so
it can say that information another way (below the table, say).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from rich.console import Console
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text

UNBOUNDED = 10_000  # columns: wider than any table is drawn
Cells = Mapping[str, str | Text]  # a row: its cells (markup, or text parsed from it) by column key


@dataclass(frozen=True)
class Column:
    key: str
    heading: str
    drop: int = 0  # 0: always shown; otherwise left out when narrow, the highest rank first
    justify: str = "left"
    no_wrap: bool = False  # short values (a time, a count, a unit's name) never broken over lines
    max_width: int | None = None  # long text (problems, sources) wraps at this width even when there is room


def fitted(
    console: Console, columns: Sequence[Column], rows: Sequence[Cells], **options: Any
) -> tuple[Table, set[str]]:
    """The table of `rows` (cells by column key) that fits the console, and the keys left out.

    Each cell's markup is parsed once, not again for every width tried and for the drawing: most of the cost of
    a table of many rows (the same text, drawn the same)."""
    parsed = [{key: parsed_cell(cell) for key, cell in row.items()} for row in rows]
    left_out = columns_left_out(console, columns, parsed, **options)
    return _table([c for c in columns if c.key not in left_out], parsed, **options), left_out


def parsed_cell(cell: str | Text) -> Text:
    """A cell's markup as the text rich draws of it (emoji codes replaced, as a console replaces them)."""
    return cell if isinstance(cell, Text) else Text.from_markup(cell, emoji=True)


def columns_left_out(console: Console, columns: Sequence[Column], rows: Sequence[Cells], **options: Any) -> set[str]:
    """The keys of the optional columns to leave out for the table to fit the console."""
    optional = sorted((c for c in columns if c.drop), key=lambda c: -c.drop)
    left_out: set[str] = set()
    while True:
        table = _table([c for c in columns if c.key not in left_out], rows, **options)
        if not optional or natural_width(console, table) <= console.width:
            return left_out
        left_out.add(optional.pop(0).key)


def natural_width(console: Console, table: Table) -> int:
    """The width the table takes when nothing has to fold (rich clamps to the console's width)."""
    unbounded = console.options.update_width(UNBOUNDED)
    return Measurement.get(console, unbounded, table).maximum


def _table(columns: Sequence[Column], rows: Sequence[Cells], **options: Any) -> Table:
    table = Table(**options)
    for column in columns:
        # "fold": a word longer than its cell (an address, a file name) breaks over lines, never cut off
        table.add_column(
            column.heading,
            justify=column.justify,  # type: ignore[arg-type]
            no_wrap=column.no_wrap,
            overflow="fold",
            max_width=column.max_width,
        )
    for row in rows:
        table.add_row(*(row.get(column.key, "") for column in columns))
    return table
