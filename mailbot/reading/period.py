"""The report day a text states for itself (contract section 3.1): day before month."""

from __future__ import annotations

import re
import unicodedata
from datetime import date

WORDED = re.compile(r"(?<!\d)(\d{1,2})\s*thang\s*(\d{1,2})\s*(?:nam|,|/)?\s*(\d{4})(?!\d)")
NUMERIC = re.compile(r"(?<!\d)(\d{1,2})\s*[/.\-]\s*(\d{1,2})\s*[/.\-]\s*(\d{4}|\d{2})(?!\d)")
COMPACT_DMY = re.compile(r"(?<!\d)(\d{2})(\d{2})(20\d{2})(?!\d)")
ISO = re.compile(r"(?<!\d)(20\d{2})[-_.]?(\d{2})[-_.]?(\d{2})(?!\d)")


def _plain(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()


def _day(year: int, month: int, day: int) -> date | None:
    if year < 100:
        year += 2000
    try:
        return date(year, month, day)
    except ValueError:
        return None


def stated_date(text: str) -> date | None:
    """The first valid date written in `text`, or None."""
    plain = _plain(text)
    found: list[tuple[int, date]] = []
    for pattern in (WORDED, NUMERIC, COMPACT_DMY):
        for match in pattern.finditer(plain):
            day, month, year = (int(g) for g in match.groups())
            stated = _day(year, month, day)
            if stated:
                found.append((match.start(), stated))
    for match in ISO.finditer(plain):
        year, month, day = (int(g) for g in match.groups())
        stated = _day(year, month, day)
        if stated:
            found.append((match.start(), stated))
    return min(found)[1] if found else None


def first_stated(texts) -> date | None:
    for text in texts:
        if text:
            stated = stated_date(text)
            if stated:
                return stated
    return None
