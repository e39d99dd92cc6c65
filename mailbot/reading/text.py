"""Text as mailbot compares it: NFC, legacy fonts repaired, folded for matching."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from mailbot.reading.legacy import repair

NOT_WORD = re.compile(r"[^0-9a-z]+")


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


def unmarked(text: str) -> str:
    """Lower case, without diacritics ("đ" as "d"): "Ngày 14 tháng 8" -> "ngay 14 thang 8"."""
    if text.isascii():
        return text.lower()
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return decomposed.translate(_WITHOUT_MARKS).lower()


@lru_cache(maxsize=8192)
def fold(text: str) -> str:
    """Lower case, without diacritics or punctuation: "Tổng cộng:" -> "tong cong"."""
    return " ".join(NOT_WORD.sub(" ", unmarked(text)).split())


def contains_words(haystack: str, needle: str) -> bool:
    """True if the folded `needle` occurs in the folded `haystack` as whole words."""
    if not needle:
        return False
    return f" {needle} " in f" {haystack} "
