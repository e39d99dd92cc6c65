"""A spreadsheet of units -> rows of unit settings, each checked, each mistake naming its row.

The table has a header row (Vietnamese or English, compared without diacritics or case)
and one row per unit: an id or a name, the registered senders, and optionally the
population, aliases and active dates. Columns the table does not have are left as the
campaign file has them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from mailbot import i18n
from mailbot.config import Limits
from mailbot.config.settings import EMAIL_RE, UNIT_ID_RE
from mailbot.errors import MailbotError, SpreadsheetError
from mailbot.models import CellValue, Table
from mailbot.reading.numbers import read_count
from mailbot.reading.text import fold
from mailbot.sheets import SheetError, read_tables

HEADER_SEARCH_ROWS = 20
# Column -> the folded headers that name it (Vietnamese and English).
COLUMNS: dict[str, tuple[str, ...]] = {
    "id": ("id", "ma", "ma don vi", "ma dv", "unit id", "code"),
    "name": ("name", "ten", "ten don vi", "don vi", "unit", "unit name"),
    "senders": (
        "senders",
        "sender",
        "email",
        "emails",
        "e mail",
        "thu dien tu",
        "dia chi thu",
        "dia chi email",
        "dia chi thu dien tu",
        "hop thu",
        "nguoi gui",
    ),
    "population": ("population", "dan so", "so dan", "tong dan so"),
    "aliases": ("aliases", "alias", "ten khac", "ten goi khac", "ten viet tat", "viet tat"),
    "active_from": ("active from", "active_from", "tu ngay", "hoat dong tu", "hoat dong tu ngay", "bat dau"),
    "active_until": ("active until", "active_until", "den ngay", "hoat dong den", "hoat dong den ngay", "ket thuc"),
}
SENDER_SPLIT = re.compile(r"[\s,;]+")
ALIAS_SPLIT = re.compile(r"\s*[;\n]\s*")  # names may hold commas ("Sở Văn hóa, Thể thao và Du lịch")
DMY = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$")


@dataclass(frozen=True)
class UnitRow:
    """One unit as the table gives it; None for a column the table does not have."""

    row: int  # 1-based, as the spreadsheet shows it
    id: str
    name: str | None
    senders: tuple[str, ...]
    population: int | None = None
    aliases: tuple[str, ...] | None = None
    active_from: date | None = None
    active_until: date | None = None
    columns: frozenset[str] = field(default_factory=frozenset)  # the columns the table has


def read_unit_rows(path: Path, lang: str, limits: Limits | None = None) -> list[UnitRow]:
    """The units of the first sheet of `path` that has a header row; raises one clear MailbotError."""
    tables = _tables(path, lang, limits or Limits())
    for table in tables:
        header = _header(table)
        if header is not None:
            return _rows(path, table, *header, lang)
    raise _fail("missing_column", lang, path, column=_names("senders"), known=_all_names())


def _tables(path: Path, lang: str, limits: Limits) -> list[Table]:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise i18n.error(MailbotError, "units.unreadable", lang, file=path, reason=exc.strerror) from None
    try:
        return read_tables(path.name, data, limits)
    except (SheetError, SpreadsheetError) as exc:
        raise i18n.error(
            MailbotError, "units.unreadable", lang, file=path, reason=getattr(exc, "message", exc)
        ) from None


def _header(table: Table) -> tuple[int, dict[str, int]] | None:
    """(row index, column -> index) of the first row naming the senders and an id or a name."""
    for r, row in enumerate(table.cells[:HEADER_SEARCH_ROWS]):
        found: dict[str, int] = {}
        for c, value in enumerate(row):
            label = fold(str(value)) if isinstance(value, str) else ""
            for column, names in COLUMNS.items():
                if label in names and column not in found:
                    found[column] = c
        if "senders" in found and ({"id", "name"} & set(found)):
            return r, found
        if len(found) >= 2 and "senders" not in found:
            return r, found  # a header without the senders column: said as a missing column
    return None


def _rows(path: Path, table: Table, header_row: int, columns: dict[str, int], lang: str) -> list[UnitRow]:
    if "senders" not in columns:
        raise _fail("missing_column", lang, path, column=_names("senders"), known=_all_names())
    if not {"id", "name"} & set(columns):
        raise _fail("missing_column", lang, path, column=_names("id") + " / " + _names("name"), known=_all_names())
    rows: list[UnitRow] = []
    for r in range(header_row + 1, len(table.cells)):
        cells = table.cells[r]
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in cells):
            continue
        rows.append(_row(path, r + 1, cells, columns, lang))
    if not rows:
        raise _fail("no_rows", lang, path)
    _check_unique(path, rows, lang)
    return rows


def _cell(cells: Sequence[CellValue], columns: dict[str, int], column: str) -> CellValue:
    index = columns.get(column)
    if index is None or index >= len(cells):
        return None
    value = cells[index]
    if isinstance(value, str):
        return value.strip() or None
    return value


def _row(path: Path, row: int, cells: Sequence[CellValue], columns: dict[str, int], lang: str) -> UnitRow:
    name = _text(_cell(cells, columns, "name"))
    name = " ".join(name.split()) if name else None
    unit_id = _text(_cell(cells, columns, "id"))
    if not unit_id and not name:
        raise _fail("no_name", lang, path, row=row)
    unit_id = unit_id.lower() if unit_id else slug(name or "")
    if not UNIT_ID_RE.match(unit_id):
        raise _fail("bad_id", lang, path, row=row, value=unit_id)
    senders = _senders(path, row, _cell(cells, columns, "senders"), lang)
    aliases_cell = _text(_cell(cells, columns, "aliases"))
    unit = UnitRow(
        row=row,
        id=unit_id,
        name=name,
        senders=senders,
        population=_population(path, row, _cell(cells, columns, "population"), lang),
        aliases=tuple(a for a in ALIAS_SPLIT.split(aliases_cell) if a) if aliases_cell else (),
        active_from=_day(path, row, "active_from", _cell(cells, columns, "active_from"), lang),
        active_until=_day(path, row, "active_until", _cell(cells, columns, "active_until"), lang),
        columns=frozenset(columns),
    )
    if unit.active_from and unit.active_until and unit.active_until < unit.active_from:
        raise _fail("until_before_from", lang, path, row=row)
    return unit


def _text(value: CellValue) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    shown = str(value).strip()
    return shown or None


def slug(name: str) -> str:
    """ "Xã Nam Hưng" -> "xa-nam-hung": a unit id made from its name."""
    return fold(name).replace(" ", "-")


def _senders(path: Path, row: int, value: CellValue, lang: str) -> tuple[str, ...]:
    addresses = [a.lower() for a in SENDER_SPLIT.split(_text(value) or "") if a]
    if not addresses:
        raise _fail("no_sender", lang, path, row=row)
    for address in addresses:
        if not EMAIL_RE.match(address):
            raise _fail("bad_sender", lang, path, row=row, value=address)
    return tuple(dict.fromkeys(addresses))


def _population(path: Path, row: int, value: CellValue, lang: str) -> int | None:
    if value is None:
        return None
    number = read_count(value)
    if number.blank:
        return None
    if number.ambiguous or number.value is None or number.value <= 0:
        raise _fail("bad_population", lang, path, row=row, value=value)
    return number.value


def _day(path: Path, row: int, column: str, value: CellValue, lang: str) -> date | None:
    if value is None:
        return None
    text = str(value).strip()
    try:
        return date.fromisoformat(text)
    except ValueError:
        pass
    match = DMY.match(text)
    if match:
        try:
            return date(int(match.group(3)), int(match.group(2)), int(match.group(1)))
        except ValueError:
            pass
    raise _fail("bad_date", lang, path, row=row, column=column, value=value)


def _check_unique(path: Path, rows: list[UnitRow], lang: str) -> None:
    ids: dict[str, int] = {}
    senders: dict[str, int] = {}
    for unit in rows:
        if unit.id in ids:
            raise _fail("duplicate_id", lang, path, row=unit.row, value=unit.id, first=ids[unit.id])
        ids[unit.id] = unit.row
        for sender in unit.senders:
            if sender in senders:
                raise _fail("duplicate_sender", lang, path, row=unit.row, value=sender, first=senders[sender])
            senders[sender] = unit.row


def _names(column: str) -> str:
    return ", ".join(f'"{n}"' for n in COLUMNS[column][:3])


def _all_names() -> str:
    return "; ".join(f"{column}: {_names(column)}" for column in COLUMNS)


def _fail(key: str, lang: str, path: Path, **params: object) -> MailbotError:
    return i18n.error(MailbotError, f"units.{key}", lang, file=path.name, **params)
