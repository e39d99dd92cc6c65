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


@lru_cache(maxsize=8192)
def fold(text: str) -> str:
    """Lower case, without diacritics or punctuation: "Tổng cộng:" -> "tong cong"."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()
    return " ".join(NOT_WORD.sub(" ", plain).split())


def contains_words(haystack: str, needle: str) -> bool:
    """True if the folded `needle` occurs in the folded `haystack` as whole words."""
    if not needle:
        return False
    return f" {needle} " in f" {haystack} "
