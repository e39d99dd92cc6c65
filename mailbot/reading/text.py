"""Text as mailbot compares it: NFC, legacy fonts repaired, folded for matching."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from mailbot.reading.legacy import repair

WORD = re.compile(r"[0-9a-z]+")


@lru_cache(maxsize=8192)
def clean(text: str, font: str | None = None) -> str:
    """Unicode NFC text with TCVN3/VNI repaired and whitespace collapsed."""
    return " ".join(repair(text, font).split())


MARKS_KNOWN = 4096  # characters whose being a mark or not is kept (a text may hold any of a million)


class _WithoutMarks(dict[int, int | None]):
    """A str.translate table: each combining mark (a diacritic, once decomposed) to nothing, any other character
    to itself; each character looked up in unicodedata once, when first met."""

    def __missing__(self, code: int) -> int | None:
        kept = None if unicodedata.combining(chr(code)) else code
        if len(self) < MARKS_KNOWN:
            self[code] = kept
        return kept


_WITHOUT_MARKS = _WithoutMarks()


MAX_KEPT = 1000  # characters of a text whose unmarked form is kept (a subject, a name, a title: each read 2-3 times)


def unmarked(text: str) -> str:
    """Lower case, without diacritics ("đ" as "d"): "Ngày 14 tháng 8" -> "ngay 14 thang 8".

    A short text's answer is kept: the subject, the file names and the title rows are each
    unmarked for the day they state, for the unit they name and for a reply's prefix.
    """
    if text.isascii():
        return text.lower()
    return _kept_unmarked(text) if len(text) <= MAX_KEPT else _unmarked(text)


def _unmarked(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return decomposed.translate(_WITHOUT_MARKS).lower()


_kept_unmarked = lru_cache(maxsize=4096)(_unmarked)


@lru_cache(maxsize=8192)
def fold(text: str) -> str:
    """Lower case, without diacritics or punctuation: "Tổng cộng:" -> "tong cong".

    The words are the runs of letters and digits left once the marks are dropped, joined by one space.
    """
    return " ".join(WORD.findall(unmarked(text)))


def contains_words(haystack: str, needle: str) -> bool:
    """True if the folded `needle` occurs in the folded `haystack` as whole words."""
    if not needle:
        return False
    return f" {needle} " in f" {haystack} "
