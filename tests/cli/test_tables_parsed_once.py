"""A table's cells are parsed once: the table drawn is the one drawn from the markup itself."""

from __future__ import annotations

import io

from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from rich.console import Console
from rich.markup import escape

from mailbot.cli import tables
from mailbot.cli.tables import Column

COLUMNS = [
    Column("file", "Tệp"),
    Column("sender", "Người gửi", drop=2),
    Column("unit", "Đơn vị", no_wrap=True),
    Column("figures", "Số liệu", drop=1),
    Column("problems", "Vấn đề", max_width=30),
]
WORDS = st.text(alphabet="abc xyzĐđƯưẠạ[]/:_\\*#-_0123456789\n", max_size=40)
CELLS = st.one_of(WORDS.map(escape), st.sampled_from(["[bold]17.356[/bold]", ":smile: 9.527", "a\\[b]", "–"]))


def drawn(width: int, table) -> str:
    console = Console(file=io.StringIO(), width=width, highlight=False)
    console.print(table)
    return console.file.getvalue()


def from_markup(width: int, rows: list[dict[str, str]]) -> str:
    """The table as drawn from the markup itself (each width tried parses it again)."""
    console = Console(file=io.StringIO(), width=width, highlight=False)
    left_out = tables.columns_left_out(console, COLUMNS, rows, show_lines=True)
    return drawn(width, tables._table([c for c in COLUMNS if c.key not in left_out], rows, show_lines=True))


@hypothesis_settings(max_examples=60, deadline=None)
@given(
    st.lists(st.fixed_dictionaries({c.key: CELLS for c in COLUMNS}), min_size=1, max_size=6),
    st.sampled_from([60, 80, 200]),
)
def test_the_table_of_parsed_cells_is_the_table_of_the_markup(rows, width):
    console = Console(file=io.StringIO(), width=width, highlight=False)
    table, left_out = tables.fitted(console, COLUMNS, rows, show_lines=True)
    assert drawn(width, table) == from_markup(width, rows)
    assert left_out == tables.columns_left_out(console, COLUMNS, rows, show_lines=True)


def test_each_cell_is_parsed_into_text_once():
    console = Console(file=io.StringIO(), width=80, highlight=False)
    table, _ = tables.fitted(console, COLUMNS, [{c.key: "[bold]x[/bold]" for c in COLUMNS}])
    cells = [cell for column in table.columns for cell in column._cells]
    assert cells and all(type(cell).__name__ == "Text" and cell.plain == "x" for cell in cells)
