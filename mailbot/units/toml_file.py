"""The campaign file's [[units]]: what an import changes, and writing it, keeping everything else.

The only module that uses tomlkit: the file's other tables, its comments and the
comments inside unchanged units stay as they are. A unit that the table does not list
is removed; a column the table does not have keeps the file's value.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import tomlkit
from tomlkit.items import AoT, Table

from mailbot.units.table import UnitRow

FIELDS = ("name", "senders", "aliases", "population", "active_from", "active_until")


@dataclass(frozen=True)
class Change:
    unit: str
    fields: tuple[tuple[str, object, object], ...]  # (field, before, after)


@dataclass
class Plan:
    """What writing the table into the campaign file changes, and the file's new text."""

    path: Path
    added: list[str] = field(default_factory=list)
    changed: list[Change] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    text: str = ""

    @property
    def empty(self) -> bool:
        return not (self.added or self.changed or self.removed)


def plan_import(path: Path, rows: list[UnitRow]) -> Plan:
    """The changes and the new text of `path` with the units of `rows`, in their order."""
    document = tomlkit.parse(path.read_text(encoding="utf-8"))
    existing = document.get("units")
    tables: list[Table] = list(existing) if isinstance(existing, AoT) else []
    by_id = {str(t.get("id")): t for t in tables}
    plan = Plan(path=path)
    ordered = []
    for row in rows:
        table = by_id.get(row.id)
        if table is None:
            plan.added.append(row.id)
            ordered.append(_new_table(row))
            continue
        changes = _update(table, row)
        if changes:
            plan.changed.append(Change(row.id, tuple(changes)))
        ordered.append(table)
    wanted = {row.id for row in rows}
    plan.removed = [unit_id for unit_id in by_id if unit_id not in wanted]
    if isinstance(existing, AoT):
        while len(existing):
            del existing[0]
        for table in ordered:
            existing.append(table)
    else:
        units = tomlkit.aot()
        for table in ordered:
            units.append(table)
        document["units"] = units
    plan.text = tomlkit.dumps(document)
    return plan


def _new_table(row: UnitRow) -> Table:
    table = tomlkit.table()
    table["id"] = row.id
    table["name"] = row.name or row.id
    if row.aliases:
        table["aliases"] = list(row.aliases)
    table["senders"] = list(row.senders)
    for name in ("population", "active_from", "active_until"):
        if getattr(row, name) is not None:
            table[name] = getattr(row, name)
    table.add(tomlkit.nl())
    return table


def _update(table: Table, row: UnitRow) -> list[tuple[str, object, object]]:
    """Set the columns the table has; returns what changed."""
    changes = []
    for name in FIELDS:
        if name not in row.columns:
            continue
        after = _value(row, name)
        before = _plain(table.get(name))
        if name == "name" and after is None:
            continue  # an id without a name keeps the file's name
        if before == after:
            continue
        changes.append((name, before, after))
        if after is None:
            del table[name]
        else:
            table[name] = list(after) if isinstance(after, tuple) else after
    return changes


def _value(row: UnitRow, name: str) -> object:
    value = getattr(row, name)
    if isinstance(value, tuple):
        return value or None
    return value


def _plain(value: object) -> object:
    """A tomlkit item as the plain value a row is compared with (lists as tuples)."""
    value = value.unwrap() if hasattr(value, "unwrap") else value
    if isinstance(value, list):
        return tuple(str(v) for v in value) or None
    return value
