"""Which unit a report names: by its registered sender, else by its words.

The units' senders and folded names are indexed once per units tuple (a campaign
may have hundreds of units), so that finding the unit costs the same whatever
their number: a text is looked up by its runs of words, not compared with every
name.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from mailbot.config import Settings, Unit
from mailbot.reading.text import fold

MAX_INDEXES = 8  # units tuples kept indexed (one per Settings in use; tests make a few)
MAX_NAMED = 4096  # texts whose units are kept per index (row labels, subjects and file names recur daily)
MAX_NAMED_CHARS = 1000  # longer texts are looked up each time, never kept


@dataclass(frozen=True)
class UnitIndex:
    """Lookups over one units tuple, built once."""

    units: tuple[Unit, ...]
    by_sender: dict[str, Unit]  # address -> the first unit registering it
    by_needle: dict[str, tuple[str, ...]]  # folded name or alias -> ids of the units it names
    by_id: dict[str, tuple[Unit, ...]]
    longest: int  # words in the longest folded name or alias
    beginnings: frozenset[str]  # the first word, the first two words, ... of every folded name or alias
    named: dict[tuple[str, tuple[str, ...]], tuple[Unit, ...]] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def build(cls, units: tuple[Unit, ...]) -> UnitIndex:
        by_sender: dict[str, Unit] = {}
        by_needle: dict[str, list[str]] = {}
        by_id: dict[str, list[Unit]] = {}
        for unit in units:
            by_id.setdefault(unit.id, []).append(unit)
            for sender in unit.senders:
                by_sender.setdefault(sender, unit)
            for needle in {fold(n) for n in (unit.name, *unit.aliases)} - {""}:
                ids = by_needle.setdefault(needle, [])
                if unit.id not in ids:
                    ids.append(unit.id)
        return cls(
            units=units,
            by_sender=by_sender,
            by_needle={k: tuple(v) for k, v in by_needle.items()},
            by_id={k: tuple(v) for k, v in by_id.items()},
            longest=max((len(n.split()) for n in by_needle), default=0),
            beginnings=frozenset(_beginnings(by_needle)),
        )


def _beginnings(needles: Iterable[str]) -> Iterator[str]:
    for needle in needles:
        words = needle.split()
        for end in range(1, len(words) + 1):
            yield " ".join(words[:end])


_indexes: dict[int, UnitIndex] = {}
_lock = threading.Lock()


def unit_index(units: tuple[Unit, ...]) -> UnitIndex:
    """The index of this very units tuple (by identity: hashing hundreds of units costs more than a match)."""
    index = _indexes.get(id(units))
    if index is not None and index.units is units:
        return index
    index = UnitIndex.build(units)
    with _lock:
        while len(_indexes) >= MAX_INDEXES:
            _indexes.pop(next(iter(_indexes)))
        _indexes[id(units)] = index  # the index holds `units`, so its id is not reused while cached
    return index


def unit_of_sender(sender: str | None, settings: Settings) -> Unit | None:
    if not sender:
        return None
    return unit_index(settings.units).by_sender.get(sender.lower())


def unit_named(sources: list[list[str]], settings: Settings) -> Unit | None:
    """The unit named by the first source (subject, attachment names, title cells) that names one.

    Names and aliases are compared without diacritics or case; the longest (most
    specific) match wins. The campaign's own area ("tỉnh Hải Dương") is removed first,
    so that the province is never taken for a unit of the same name. Two units named
    equally specifically by the same source name none.
    """
    for texts in sources:
        named = units_named(texts, settings)
        if named:
            return named[0] if len(named) == 1 else None
    return None


def units_named(texts: list[str], settings: Settings) -> tuple[Unit, ...]:
    """The units these texts name most specifically: none, one, or several named equally."""
    return _named_in(tuple(texts), unit_index(settings.units), settings.campaign.area_name)


def units_named_each(labels: Iterable[str], settings: Settings) -> list[tuple[Unit, ...]]:
    """units_named([label]) of each label (a table's row labels), the index looked up once."""
    index, area = unit_index(settings.units), settings.campaign.area_name
    return [_named_in((label,), index, area) for label in labels]


def _named_in(texts: tuple[str, ...], index: UnitIndex, area: str) -> tuple[Unit, ...]:
    key = (area, texts)
    named = index.named.get(key)
    if named is None:
        named = _units_named(texts, fold(area), index)
        if sum(len(t) for t in texts if t) <= MAX_NAMED_CHARS:
            if len(index.named) >= MAX_NAMED:
                index.named.clear()
            index.named[key] = named
    return named


def _units_named(texts: tuple[str, ...], area: str, index: UnitIndex) -> tuple[Unit, ...]:
    words = " | ".join(_without(fold(t), area) for t in texts if t).split()
    scores: dict[str, int] = {}
    for start, first in enumerate(words):
        needle = first
        for end in range(start + 1, min(start + index.longest, len(words)) + 1):
            if end > start + 1:
                needle = f"{needle} {words[end - 1]}"
            if needle not in index.beginnings:
                break  # no name goes on from these words
            for unit_id in index.by_needle.get(needle, ()):
                scores[unit_id] = max(scores.get(unit_id, 0), len(needle))
    if not scores:
        return ()
    top = max(scores.values())
    return tuple(u for unit_id, score in scores.items() if score == top for u in index.by_id[unit_id])


def _without(text: str, area: str) -> str:
    if not area:
        return text
    return f" {text} ".replace(f" {area} ", " | ").strip()
