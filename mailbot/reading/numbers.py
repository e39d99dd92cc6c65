"""Counts as docs/rules.md#numbers defines them.

"70.635", "70,635", "70 635" and 70635.0 all mean 70635. Anything that is not
certainly a whole non-negative count ("12,5", "1.2345", -3, "khoảng 500") is
ambiguous: a wrong figure is worse than a missing one.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

MAX_EXACT_FLOAT = 2**53
SPACES = re.compile(r"[\s\u00a0\u2007\u202f\u2009]+")
PLAIN = re.compile(r"[0-9]+")
GROUPED = re.compile(r"[1-9][0-9]{0,2}(?:(?P<sep>[.,' ])[0-9]{3})(?:(?P=sep)[0-9]{3})*")
NOT_DIGIT = re.compile(r"[^0-9]")
NUMERIC_TEXT = re.compile(r"[\d\s.,'\u00a0]+")
BLANKS = frozenset({"", "-", "–", "—", "x", "X"})


@dataclass(frozen=True)
class Number:
    """A cell read as a count: `value` when certain, else `ambiguous`; `blank` when empty."""

    value: int | None = None
    ambiguous: bool = False
    blank: bool = False


BLANK = Number(blank=True)
AMBIGUOUS = Number(ambiguous=True)


def read_count(cell: object) -> Number:
    """The count a cell states, or why it states none."""
    if cell is None:
        return BLANK
    if isinstance(cell, bool):
        return AMBIGUOUS
    if isinstance(cell, int):
        return Number(cell) if cell >= 0 else AMBIGUOUS
    if isinstance(cell, float):
        if cell != cell or cell < 0 or cell >= MAX_EXACT_FLOAT or not cell.is_integer():
            return AMBIGUOUS
        return Number(int(cell))
    if isinstance(cell, str):
        return read_count_text(cell)
    return AMBIGUOUS


def read_count_text(text: str) -> Number:
    compact = unicodedata.normalize("NFC", text).strip()
    if compact in BLANKS:
        return BLANK
    if PLAIN.fullmatch(compact):
        return Number(int(compact))
    spaced = SPACES.sub(" ", compact)
    if GROUPED.fullmatch(spaced):
        return Number(int(NOT_DIGIT.sub("", spaced)))
    return AMBIGUOUS


def is_numeric_like(cell: object) -> bool:
    """True for a cell that holds a number or text that is only a number."""
    if isinstance(cell, (int, float)) and not isinstance(cell, bool):
        return True
    if isinstance(cell, str):
        return bool(NUMERIC_TEXT.fullmatch(cell.strip())) and any(ch.isdigit() for ch in cell)
    return False
