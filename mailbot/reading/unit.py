"""Which unit a report names: by its registered sender, else by its words."""

from __future__ import annotations

from functools import lru_cache

from mailbot.config import Settings, Unit
from mailbot.reading.text import contains_words, fold


def unit_of_sender(sender: str | None, settings: Settings) -> Unit | None:
    if not sender:
        return None
    address = sender.lower()
    return next((u for u in settings.units if address in u.senders), None)


def unit_named(sources: list[list[str]], settings: Settings) -> Unit | None:
    """The unit named by the first source (subject, attachment names, title cells) that names one.

    Names and aliases are compared without diacritics or case; the longest (most
    specific) match wins. The campaign's own area ("tỉnh Hải Dương") is removed first,
    so that the province is never taken for a unit of the same name. Two units named
    equally specifically by the same source name none.
    """
    area = fold(settings.campaign.area_name)
    for texts in sources:
        best = _best_match(texts, settings.units, area)
        if best is not None:
            return best or None
    return None


@lru_cache(maxsize=16)
def _needles(units: tuple[Unit, ...]) -> tuple[tuple[str, str], ...]:
    """(unit id, folded name or alias), longest first."""
    pairs = {(u.id, fold(n)) for u in units for n in (u.name, *u.aliases)}
    return tuple(sorted((p for p in pairs if p[1]), key=lambda p: -len(p[1])))


def _best_match(texts: list[str], units: tuple[Unit, ...], area: str):
    """The unit, False if two units tie, None if no unit is named."""
    joined = " | ".join(_without(fold(t), area) for t in texts if t)
    scores: dict[str, int] = {}
    for unit_id, needle in _needles(units):
        if unit_id not in scores and contains_words(joined, needle):
            scores[unit_id] = len(needle)
    if not scores:
        return None
    top = max(scores.values())
    winners = [u for u in units if scores.get(u.id) == top]
    return winners[0] if len(winners) == 1 else False


def _without(text: str, area: str) -> str:
    if not area:
        return text
    return f" {text} ".replace(f" {area} ", " | ").strip()
