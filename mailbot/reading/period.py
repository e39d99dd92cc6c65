"""The report day a text states for itself: day before month, times are not dates.

Written with a year: "ngày 14/8/2020", "14/08/2020", "14-8-2020", "14.8.2020",
"14/8/20", "ngày 14 tháng 8 năm 2020", "14082020", "2020-08-14". Without a year
("ngày 14/8", "ngày 14 tháng 8", "BC 14-8.xlsx") the year is that of the day the
mail arrived, or the year before when that would put the day more than a month after
the arrival (a report of 31/12 read on 2/1). A time of day ("16h", "15h00", "15h30'",
"8h30-9h30") is never a date.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, timedelta
from functools import lru_cache

from mailbot.reading.text import unmarked

WORDED = re.compile(r"(?<!\d)(\d{1,2})\s*thang\s*(\d{1,2})\s*(?:nam|,|/)?\s*(\d{4})(?!\d)")
NUMERIC = re.compile(r"(?<![\dh:])(\d{1,2})\s*[/.\-]\s*(\d{1,2})\s*[/.\-]\s*(\d{4}|\d{2})(?![\dh:'])")
COMPACT_DMY = re.compile(r"(?<!\d)(\d{2})(\d{2})(20\d{2})(?!\d)")
ISO = re.compile(r"(?<!\d)(20\d{2})[-_.]?(\d{2})[-_.]?(\d{2})(?!\d)")
# Without a year: never next to a digit, an hour mark or another separator ("8h30-9h30", "1/2/3").
WORDED_NO_YEAR = re.compile(r"(?<!\d)(\d{1,2})\s*thang\s*(\d{1,2})(?!\s*(?:nam|,|/)?\s*\d)(?![\d'h])")
NUMERIC_NO_YEAR = re.compile(r"(?<![\dh:/.\-'])(\d{1,2})\s*[/\-]\s*(\d{1,2})(?![\dh:'])(?!\s*[/.\-]\s*\d)")
NUMERIC_AFTER_NGAY = re.compile(r"ngay\s*(\d{1,2})\s*[.]\s*(\d{1,2})(?![\dh:'])(?!\s*[/.\-]\s*\d)")
# The word every match of a pattern holds ("ngày 14 tháng 8" unmarked): where it is not, the pattern is not run.
NEEDS = {WORDED: "thang", WORDED_NO_YEAR: "thang", NUMERIC_AFTER_NGAY: "ngay"}
FUTURE_SLACK = timedelta(days=31)  # a day without a year this far after the arrival is of the year before
DIGIT = re.compile(r"\d")  # every date above has one
MAX_KEPT = 1000  # characters of a text whose stated day is kept (subjects, names and titles are read twice or more)


def _day(year: int, month: int, day: int) -> date | None:
    if year < 100:
        year += 2000
    try:
        return date(year, month, day)
    except ValueError:
        return None


def stated_date(text: str, arrival: date | None = None) -> date | None:
    """The first valid date written in `text`, or None; `arrival` gives the year where none is written."""
    if len(text) > MAX_KEPT:
        return _stated_date(text, arrival)
    return _kept_stated_date(text, arrival)


def _stated_date(text: str, arrival: date | None) -> date | None:
    plain = unmarked(text)
    if not DIGIT.search(plain):
        return None
    found: list[tuple[int, date]] = []
    taken: list[range] = []
    for pattern, order in ((WORDED, "dmy"), (NUMERIC, "dmy"), (COMPACT_DMY, "dmy"), (ISO, "ymd")):
        if (needed := NEEDS.get(pattern)) is not None and needed not in plain:
            continue  # every match holds that word: nothing to find
        for match in pattern.finditer(plain):
            groups = [int(g) for g in match.groups()]
            year, month, day = groups if order == "ymd" else groups[::-1]
            stated = _day(year, month, day)
            if stated:
                found.append((match.start(), stated))
                taken.append(range(match.start(), match.end()))
    if arrival is not None:
        for pattern in (WORDED_NO_YEAR, NUMERIC_AFTER_NGAY, NUMERIC_NO_YEAR):
            if (needed := NEEDS.get(pattern)) is not None and needed not in plain:
                continue
            for match in pattern.finditer(plain):
                if any(match.start() in span for span in taken):
                    continue
                stated = _without_year(int(match.group(1)), int(match.group(2)), arrival)
                if stated:
                    found.append((match.start(), stated))
    return min(found)[1] if found else None


_kept_stated_date = lru_cache(maxsize=4096)(_stated_date)


def _without_year(day: int, month: int, arrival: date) -> date | None:
    stated = _day(arrival.year, month, day)
    if stated and stated > arrival + FUTURE_SLACK:
        stated = _day(arrival.year - 1, month, day)
    return stated


def first_stated(texts: Iterable[str | None], arrival: date | None = None) -> date | None:
    for text in texts:
        if text:
            stated = stated_date(text, arrival)
            if stated:
                return stated
    return None


def is_reply(subject: str | None, prefixes: tuple[str, ...]) -> bool:
    """True if the subject starts with a reply or forward prefix ("Re:", "Fwd:", "TL:", "Trả lời:")."""
    if not subject or not prefixes:
        return False
    if len(subject) > MAX_KEPT:
        return _is_reply(subject, prefixes)
    return _kept_is_reply(subject, prefixes)


def _is_reply(subject: str, prefixes: tuple[str, ...]) -> bool:
    return bool(_reply_pattern(prefixes).match(unmarked(subject)))


_kept_is_reply = lru_cache(maxsize=1024)(_is_reply)


_patterns: dict[tuple[str, ...], re.Pattern] = {}


def _reply_pattern(prefixes: tuple[str, ...]) -> re.Pattern:
    pattern = _patterns.get(prefixes)
    if pattern is None:
        words = "|".join(re.escape(unmarked(p).strip()) for p in sorted(prefixes, key=len, reverse=True) if p.strip())
        pattern = re.compile(rf"^\s*(?:{words})\s*(?:\[\d+\]|\(\d+\))?\s*:")
        _patterns[prefixes] = pattern
    return pattern
