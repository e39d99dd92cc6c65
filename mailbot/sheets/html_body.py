"""An HTML mail body -> its tables and its text.

Tables pasted from Excel into Outlook (`MsoTableGrid`), Gmail or Thunderbird
arrive as <table> with colspan and rowspan; each becomes a Table with its merged
ranges, as a sheet would, and a table inside a cell is a table of its own. The
text outside the tables comes line by line, block by block; quoted mail
(<blockquote>, Gmail's `gmail_quote`, Outlook's `divRplyFwdMsg`) is left out.
A table used only for layout (one cell a row) counts as text.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser

from mailbot.config import Limits
from mailbot.models import Table
from mailbot.sheets.limits import check_shape

BLOCKS = frozenset(
    {"p", "div", "br", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6", "table", "ul", "ol", "pre", "hr", "dd", "dt"}
)
SKIPPED = frozenset({"style", "script", "head", "title", "xml"})
QUOTE_MARKS = ("gmail_quote", "divrplyfwdmsg", "moz-cite-prefix", "yahoo_quoted", "protonmail_quote")
MAX_SPAN = 50


@dataclass
class _TableBuild:
    rows: list[list[str | None]] = field(default_factory=list)
    taken: dict[tuple[int, int], str | None] = field(default_factory=dict)  # cells covered by a rowspan above
    merged: list[tuple[int, int, int, int]] = field(default_factory=list)
    cell: list[str] | None = None
    span: tuple[int, int] = (1, 1)

    def start_row(self) -> None:
        self.end_cell()
        self.rows.append([])
        self._skip_taken()

    def _skip_taken(self) -> None:
        r = len(self.rows) - 1
        while (r, len(self.rows[r])) in self.taken:
            self.rows[r].append(None)

    def start_cell(self, attrs: dict) -> None:
        self.end_cell()
        if not self.rows:
            self.start_row()
        self.cell = []
        self.span = (_span(attrs.get("rowspan")), _span(attrs.get("colspan")))

    def end_cell(self) -> None:
        if self.cell is None:
            return
        text = " ".join("".join(self.cell).split()) or None
        r, c = len(self.rows) - 1, len(self.rows[-1])
        rows, cols = self.span
        self.rows[r].append(text)
        self.rows[r].extend([None] * (cols - 1))
        for dr in range(1, rows):
            for dc in range(cols):
                self.taken[(r + dr, c + dc)] = None
        if rows > 1 or cols > 1:
            self.merged.append((r, c, r + rows - 1, c + cols - 1))
        self.cell = None
        self._skip_taken()


def _span(value: str | None) -> int:
    return max(1, min(int(value), MAX_SPAN)) if value and str(value).strip().isdigit() else 1


class _BodyParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: list[_TableBuild] = []
        self.lines: list[str] = [""]
        self._open: list[_TableBuild] = []
        self._skip = 0
        self._quote_tag: str | None = None  # the element that opened the quoted mail being skipped
        self._quote_depth = 0  # elements of that name open inside it

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = {k: v or "" for k, v in attrs}
        if tag in SKIPPED:
            self._skip += 1
        if self._quote_tag is None and _is_quote(tag, named):
            self._quote_tag = tag
        if self._quote_tag is not None:
            self._quote_depth += tag == self._quote_tag
            return
        if tag == "table":
            self._open.append(_TableBuild())
        elif tag == "tr" and self._open:
            self._open[-1].start_row()
        elif tag in ("td", "th") and self._open:
            self._open[-1].start_cell(named)
        elif tag in BLOCKS:
            self._break()
            if tag == "br" and self._open and self._open[-1].cell is not None:
                self._open[-1].cell.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in SKIPPED:
            self._skip = max(0, self._skip - 1)
        if self._quote_tag is not None:
            self._quote_depth -= tag == self._quote_tag
            if self._quote_depth <= 0:
                self._quote_tag, self._quote_depth = None, 0
            return
        if tag == "table" and self._open:
            build = self._open.pop()
            build.end_cell()
            self.tables.append(build)
            self._break()
        elif tag in ("td", "th") and self._open:
            self._open[-1].end_cell()
        elif tag in BLOCKS:
            self._break()

    def handle_data(self, data: str) -> None:
        if self._skip or self._quote_tag is not None:
            return
        if self._open and self._open[-1].cell is not None:
            self._open[-1].cell.append(data)
        elif not self._open:
            self.lines[-1] += data

    def _break(self) -> None:
        if self.lines[-1].strip():
            self.lines.append("")


def _is_quote(tag: str, attrs: dict) -> bool:
    if tag == "blockquote":
        return True
    marks = f"{attrs.get('class', '')} {attrs.get('id', '')}".lower()
    return any(mark in marks for mark in QUOTE_MARKS)


def read_html_body(text: str, table_name: str, limits: Limits) -> tuple[list[Table], list[str]]:
    """The body's data tables (named `table_name`, "Bảng N") and its text lines outside them."""
    parser = _BodyParser()
    parser.feed(text[: limits.max_uncompressed_bytes])
    parser.close()
    tables, lines = [], [" ".join(line.split()) for line in parser.lines]
    data_tables = [b for b in parser.tables if any(sum(1 for v in row if v) > 1 for row in b.rows)]
    for build in parser.tables:
        if build not in data_tables:  # a layout table: its cells are lines of text
            lines.extend(v for row in build.rows for v in row if v)
    for index, build in enumerate(data_tables):
        width = max((len(r) for r in build.rows), default=0)
        check_shape(len(build.rows), width, f"table {index + 1}", limits)
        cells = tuple(tuple(r) + (None,) * (width - len(r)) for r in build.rows)
        sheet = f"Bảng {index + 1}"
        tables.append(Table(file_name=table_name, sheet=sheet, cells=cells, merged=tuple(build.merged)))
    return tables, [line for line in lines if line]
