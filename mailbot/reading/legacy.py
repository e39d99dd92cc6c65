"""TCVN3 (ABC) and VNI text read as if it were Unicode, and back to Unicode.

A cell written in a legacy font stores the font's byte codes; read as Unicode they
are Latin-1 letters: "HuyÖn Nam S¸ch" (TCVN3), "Huyeän Nam Saùch" (VNI). Python has
no codec for either, so the tables are here.

TCVN3: bytes 0xA1-0xFF as in TCVN 5712:1993 (glibc charmap TCVN5712-1). The upper
case fonts (.VnTimeH) reuse the lower case codes, so their text is upper-cased.
VNI: a base letter followed by a mark character; a few letters are single codes.
"""

from __future__ import annotations

import re
import unicodedata
from itertools import pairwise

_TCVN3_CODES = "¡¢£¤¥¦§¨©ª«¬\xad®¯°±²³´µ¶·¸¹º»¼½¾¿ÀÁÂÃÄÅÆÇÈÉÊËÌÍÎÏÐÑÒÓÔÕÖ×ØÙÚÛÜÝÞßàáâãäåæçèéêëìíîïðñòóôõö÷øùúûüýþÿ"
_TCVN3_LETTERS = "ĂÂÊÔƠƯĐăâêôơưđẶ\u0300\u0309\u0303\u0301\u0323àảãáạẲằẳẵắẴẮẦẨẪẤỀặầẩẫấậèỂẻẽéẹềểễếệìỉỄẾỒĩíịòỔỏõóọồổỗốộờởỡớợùỖủũúụừửữứựỳỷỹýỵỐ"
TCVN3_TABLE = str.maketrans(dict(zip(_TCVN3_CODES, _TCVN3_LETTERS, strict=True)))

# VNI marks after a vowel: plain tones, circumflex + tone, breve + tone (for a only).
_TONES = {"": "", "\u0301": "ù", "\u0300": "ø", "\u0309": "û", "\u0303": "õ", "\u0323": "ï"}
_CIRCUMFLEX = {"": "â", "\u0301": "á", "\u0300": "à", "\u0309": "å", "\u0303": "ã", "\u0323": "ä"}
_BREVE = {"": "ê", "\u0301": "é", "\u0300": "è", "\u0309": "ú", "\u0303": "ü", "\u0323": "ë"}
_I_TONES = {"\u0301": "í", "\u0300": "ì", "\u0309": "æ", "\u0303": "ó", "\u0323": "ò"}


def _vni_pairs() -> dict[str, str]:
    """{VNI spelling: Unicode letter} for every lower-case Vietnamese letter with a mark."""
    pairs: dict[str, str] = {"ñ": "đ", "ô": "ơ", "ö": "ư", "î": "ỵ"}
    for tone in _TONES:
        for base in "aeouy":
            if tone:
                pairs[base + _TONES[tone]] = base + tone
        pairs["a" + _CIRCUMFLEX[tone]] = "a\u0302" + tone
        pairs["e" + _CIRCUMFLEX[tone]] = "e\u0302" + tone
        pairs["o" + _CIRCUMFLEX[tone]] = "o\u0302" + tone
        pairs["a" + _BREVE[tone]] = "a\u0306" + tone
        if tone:
            pairs["ô" + _TONES[tone]] = "o\u031b" + tone
            pairs["ö" + _TONES[tone]] = "u\u031b" + tone
            pairs[_I_TONES[tone]] = "i" + tone
    pairs["y" + _TONES["\u0323"]] = "y\u0323"  # "yï" also occurs for ỵ
    result = {code: unicodedata.normalize("NFC", text) for code, text in pairs.items()}
    upper = {code.upper(): text.upper() for code, text in result.items()}
    return {**result, **upper}


VNI_PAIRS = _vni_pairs()
_VNI_PATTERN = re.compile("|".join(re.escape(k) for k in sorted(VNI_PAIRS, key=len, reverse=True)))

# Latin-1 letters that Vietnamese written in Unicode uses; anything else from
# U+00A1..U+00FF in a Vietnamese text is a sign of a legacy encoding.
VIETNAMESE_LATIN1 = frozenset("ÀÁÂÃÈÉÊÌÍÒÓÔÕÙÚÝàáâãèéêìíòóôõùúý")
LEGACY_RANGE = re.compile("[\u00a1-\u00ff]")
TONE_MARKS = frozenset("\u0300\u0301\u0303\u0309\u0323")


def from_tcvn3(text: str, upper: bool = False) -> str:
    decoded = unicodedata.normalize("NFC", text.translate(TCVN3_TABLE))
    return decoded.upper() if upper else decoded


def from_vni(text: str) -> str:
    return _VNI_PATTERN.sub(lambda m: VNI_PAIRS[m.group(0)], text)


# Spellings that Unicode Vietnamese never has but VNI text always shows: a vowel
# followed by a VNI mark character ("Moân", "xaõ", "Saùch").
VNI_SIGNS = re.compile("[aeoAEO][âÂ]|[aeAE][áàãÁÀÃ]|[aA][êéèúÊÉÈÚ]|[aeiouyAEIOUY][ùõÙÕ]")


def _marked(ch: str) -> bool:
    decomposed = unicodedata.normalize("NFD", ch)
    return len(decomposed) > 1 and decomposed[0] in "aeiouyAEIOUY"


def _odd_pairs(text: str) -> int:
    """Capitals inside a word; a bare a/e, or the same vowel, before a marked vowel ("naờm", "coọng")."""
    count = 0
    for before, after in pairwise(text):
        if before.islower() and after.isupper():
            count += 1
        elif _marked(after) and (before in "aeAE" or before.lower() == unicodedata.normalize("NFD", after)[0].lower()):
            count += 1
    return count


def oddness(text: str) -> int:
    """How un-Vietnamese a text looks: stray Latin-1 signs, VNI spellings, two tone
    marks in one word, a capital inside a word."""
    stray = sum(1 for ch in text if "\u00a1" <= ch <= "\u00ff" and ch not in VIETNAMESE_LATIN1)
    doubled = 0
    for word in text.split():
        marks = sum(1 for ch in unicodedata.normalize("NFD", word) if ch in TONE_MARKS)
        doubled += marks > 1
    return stray + doubled + len(VNI_SIGNS.findall(text)) + _odd_pairs(text)


def _latin1_left(text: str) -> int:
    return len(LEGACY_RANGE.findall(text))


def legacy_kind_of_font(font: str | None) -> str | None:
    """ "tcvn3", "tcvn3-upper", "vni" or None for a font name."""
    if not font:
        return None
    name = font.strip().lower()
    if name.startswith(".vn"):
        return "tcvn3-upper" if name.rstrip().endswith("h") else "tcvn3"
    if name.startswith("vni"):
        return "vni"
    return None


def repair(text: str, font: str | None = None) -> str:
    """The text in Unicode NFC: decoded by its legacy font if it has one, else by its characters."""
    text = unicodedata.normalize("NFC", text)
    if not LEGACY_RANGE.search(text) or any(ord(ch) > 0x2122 for ch in text):
        return text  # pure ASCII or already real Vietnamese Unicode
    kind = legacy_kind_of_font(font)
    if kind == "vni":
        return from_vni(text)
    if kind:
        return from_tcvn3(text, upper=kind == "tcvn3-upper")
    return _by_characters(text)


def _by_characters(text: str) -> str:
    before = oddness(text)
    if before == 0:
        return text
    decodings = [from_tcvn3(text), from_vni(text)]
    letters = [ch for ch in text if ch.isascii() and ch.isalpha()]
    if letters and all(ch.isupper() for ch in letters):
        decodings.append(from_tcvn3(text, upper=True))  # an upper case TCVN3 font
    candidates = [(oddness(c), _latin1_left(c), i, c) for i, c in enumerate(decodings)]
    score, _, _, best = min(candidates)
    return best if score < before else text
