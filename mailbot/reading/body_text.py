"""The figure a text states in words: "… số lượng cài đặt Bluezone tính đến 15h00
ngày 14/8/2020 là 17.356 lượt".

    own_lines(text) -> [(line number, line)]   the text written in this mail, earlier mail cut off
    read_text(numbered, metrics, wrapped) -> {metric id: TextReading}
    sentences_of(numbered, wrapped), read_sentences(sentences, metrics)   the same, a text's sentences made once

A sentence that names the metric (its label or an alias, compared without
diacritics) and states exactly one count gives the figure, with the line it is on.
Dates, times, phone numbers, document numbers ("2953/UBND-VP"), percentages and
list numbering are never counts. Two counts in the sentence, a count that is not a
whole number, a day's increase given for a cumulative metric, or a count only in
the sentence after the one naming the metric: nothing is taken, and the reason
goes to review. Nothing is ever guessed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from mailbot.config import Metric
from mailbot.reading.numbers import read_count_text
from mailbot.reading.text import contains_words, fold

# Where an earlier mail starts: everything from there on is quoted, never read.
ATTRIBUTION = re.compile(
    r"^\s*(?:on|vào|vao|le|am)\b.{0,300}\b(?:wrote|đã viết|da viet|viết|a écrit|schrieb)\s*:?\s*$", re.I
)
SEPARATOR = re.compile(
    r"^\s*(?:-{2,}\s*(?:original message|forwarded message|thư gốc|thư chuyển tiếp|tin nhắn gốc|nguyên văn)"
    r"|_{10,}\s*$|-- ?$)",
    re.I,
)
OUTLOOK_FROM = re.compile(r"^\s*\*?(?:from|từ)\s*:\*?\s*\S", re.I)
OUTLOOK_NEXT = re.compile(r"^\s*\*?(?:sent|date|đã gửi|ngày gửi|gửi lúc|thời gian|to|đến)\s*:", re.I)
# Numbers that are never counts, masked before counts are looked for.
MASKS = tuple(
    re.compile(p, re.I)
    for p in (
        r"\d+\s*/\s*[^\W\d_][\w\-/.]*",  # document numbers: 2953/UBND-VP, 123/BC-UBND
        r"(?:công văn|văn bản|quyết định|kế hoạch|thông báo|chỉ thị|tờ trình|báo cáo)\s+số\s*:?\s*\d+",
        r"(?<![\d.,])\d{1,2}\s*[/\-]\s*\d{1,2}(?:\s*[/\-]\s*\d{2,4})?(?!\d)",  # 14/8/2020, 14-8, 14/8
        r"(?<![\d.,])\d{1,2}\.\d{1,2}\.\d{2,4}(?![\d.,])",  # 14.8.2020
        r"\b(?:ngày|ngay|tháng|thang|năm|nam|lần|lan|đợt|dot|tuần|tuan|quý|quy)\s+\d{1,4}(?![\d.,])",
        r"(?<![\d.,])\d{1,2}\s*:\s*\d{2}(?:\s*:\s*\d{2})?(?!\d)",  # 15:40
        r"(?<![\d.,])\d{1,2}\s*(?:giờ|gio|h|g)(?:\s*\d{1,2}\s*(?:phút|phut|p|')?)?(?!\w)",  # 15h00, 15 giờ 40
        r"\d+(?:[.,]\d+)?\s*(?:%|phần trăm|phan tram)",
        r"(?:điện thoại|đt|sđt|tel|fax|hotline|di động|dđ|zalo)\s*:?\s*[\d\s.\-+()]{6,}",
        r"(?<![\w.,])(?:\+\s?84|0)(?:[\s.\-]?\d){8,10}(?!\d)",  # phone numbers
        r"\(\s*0\d{2,3}\s*\)\s*[\d\s.\-]{6,12}\d",
        r"[^\W\d_]+-\d+",  # COVID-19
    )
)
# Each mask; whether it matches nothing without a digit (all but the phone words' one, whose run may be
# spaces: on a text whose digits are all blanked already, such a mask leaves it as it is); and what every
# match of it holds, found far faster than the mask's words ("... số 12": "số 1"), or None.
NUMBERED = re.compile(r"số\s*:?\s*\d", re.I)  # in every match of the mask of "công văn số 12", "báo cáo số 3"
MASK_STEPS = tuple(
    (mask, not mask.pattern.startswith("(?:điện thoại|"), NUMBERED if mask.pattern.startswith("(?:công văn|") else None)
    for mask in MASKS
)
LEADING = re.compile(r"^\s*(?:\d{1,2}|[a-zđ]|[ivx]{1,4})\s*[.)/]\s+", re.I)  # "1. ", "a) ", "II. "
COUNT = re.compile(r"(?<![\w.,])\d+(?:(?:[.,]|[ \u00a0\u202f](?=\d{3}(?!\d)))\d+)*(?!\w)")
DIGIT = re.compile(r"\d")
SENTENCE_END = re.compile(r"[.!?;]+(?=\s|$)")
DAILY = ("trong ngay", "tang them", "tang moi", "phat sinh", "them moi", "moi cai dat")
CUMULATIVE = ("luy ke", "cong don", "tinh den", "tong so", "tong cong")
WRAP_LENGTH = 40  # a line at least this long, not ending a sentence, may be wrapped onto the next

# Why a sentence's count is not taken.
TWO_COUNTS = "two_counts"
NOT_WHOLE = "not_whole"
DAILY_COUNT = "daily"
FAR = "far"


@dataclass(frozen=True)
class Doubt:
    reason: str  # one of the four above
    shown: str  # the number(s) as written
    line: int


@dataclass(frozen=True)
class TextReading:
    """One metric in one text: its figure and line, or the doubts that keep it from being taken."""

    figure: int | None
    line: int | None
    doubts: tuple[Doubt, ...]


@dataclass(frozen=True)
class Sentence:
    text: str
    masked: str
    folded: str
    starts: tuple[tuple[int, int], ...]  # (offset, line number) where each line begins

    def line_at(self, offset: int) -> int:
        return max((no for start, no in self.starts if start <= offset), default=self.starts[0][1])

    def counts(self) -> list[tuple[str, int]]:
        return [(m.group(), self.line_at(m.start())) for m in COUNT.finditer(self.masked)]


def own_lines(text: str) -> list[tuple[int, str]]:
    """(1-based line number, line) of what this mail says itself: quoted lines and earlier mail left out."""
    lines = text.splitlines()
    kept = []
    for i, line in enumerate(lines):
        if _earlier_mail_starts(lines, i):
            break
        if not line.lstrip().startswith(">"):
            kept.append((i + 1, line))
    return kept


def _earlier_mail_starts(lines: list[str], i: int) -> bool:
    line = lines[i]
    if SEPARATOR.match(line) or ATTRIBUTION.match(line):
        return True
    if i + 1 < len(lines) and ATTRIBUTION.match(f"{line} {lines[i + 1]}") and len(line) > 20:
        return True
    return bool(OUTLOOK_FROM.match(line)) and any(OUTLOOK_NEXT.match(n) for n in lines[i + 1 : i + 5])


def read_text(numbered: list[tuple[int, str]], metrics: tuple[Metric, ...], wrapped: bool) -> dict[str, TextReading]:
    """Each metric that some sentence names, with the figure stated or the doubts found.

    `wrapped`: the lines may be hard-wrapped paragraphs (plain-text mail, PDF), so a
    sentence may continue on the next line.
    """
    return read_sentences(sentences_of(numbered, wrapped), metrics)


def sentences_of(numbered: list[tuple[int, str]], wrapped: bool) -> list[Sentence]:
    """The sentences of numbered lines, as read_text takes them apart."""
    return [s for segment in _segments(numbered, wrapped) for s in _split(*segment)]


def read_sentences(sentences: list[Sentence], metrics: tuple[Metric, ...]) -> dict[str, TextReading]:
    """read_text of sentences already taken apart."""
    found = {}
    for metric in metrics:
        aliases = sorted({fold(a) for a in (metric.label, *metric.aliases)} - {""}, key=len, reverse=True)
        reading = _metric(sentences, aliases, metric.cumulative)
        if reading is not None:
            found[metric.id] = reading
    return found


def _metric(sentences: list[Sentence], aliases: list[str], cumulative: bool) -> TextReading | None:
    certain: list[tuple[int, int]] = []
    doubts: list[Doubt] = []
    named_any = False
    for index, sentence in enumerate(sentences):
        if not any(contains_words(sentence.folded, a) for a in aliases):
            continue
        named_any = True
        counts = sentence.counts()
        if len(counts) > 1:
            doubts.append(Doubt(TWO_COUNTS, ", ".join(c for c, _ in counts), counts[0][1]))
        elif counts:
            shown, line = counts[0]
            number = read_count_text(shown)
            if number.ambiguous or number.value is None:
                doubts.append(Doubt(NOT_WHOLE, shown, line))
            elif cumulative and _daily(sentence.folded):
                doubts.append(Doubt(DAILY_COUNT, shown, line))
            else:
                certain.append((number.value, line))
        else:
            doubts.extend(_far(sentences, index))
    if not named_any or (not certain and not doubts):
        return None
    values = {value for value, _ in certain}
    if len(values) > 1:
        shown = ", ".join(dict.fromkeys(f"{v:,}".replace(",", ".") for v, _ in certain))
        doubts.append(Doubt(TWO_COUNTS, shown, certain[0][1]))
    if doubts:
        return TextReading(None, None, tuple(doubts))
    return TextReading(certain[0][0], certain[0][1], ())


def _far(sentences: list[Sentence], index: int) -> list[Doubt]:
    """A count in the sentence right after the one naming the metric (on its line or the next two)."""
    if index + 1 >= len(sentences):
        return []
    here, after = sentences[index], sentences[index + 1]
    if after.starts[0][1] - here.starts[-1][1] > 2:
        return []
    counts = after.counts()
    return [Doubt(FAR, ", ".join(c for c, _ in counts), counts[0][1])] if counts else []


def _daily(folded: str) -> bool:
    return any(contains_words(folded, w) for w in DAILY) and not any(contains_words(folded, w) for w in CUMULATIVE)


def _segments(numbered: list[tuple[int, str]], wrapped: bool) -> list[tuple[str, list[tuple[int, int]]]]:
    """Paragraph pieces as (text, line starts): wrapped lines joined back into their sentence."""
    pieces: list[tuple[str, list[tuple[int, int]]]] = []
    previous = ""
    for no, line in numbered:
        line = LEADING.sub(lambda m: " " * len(m.group()), line).strip()
        if not line:
            previous = ""
            continue
        if wrapped and pieces and _continues(previous, line):
            text, starts = pieces[-1]
            starts.append((len(text) + 1, no))
            pieces[-1] = (f"{text} {line}", starts)
        else:
            pieces.append((line, [(0, no)]))
        previous = line
    return pieces


def _continues(previous: str, line: str) -> bool:
    if not previous or len(previous) < WRAP_LENGTH or previous[-1] in ".!?:;":
        return False
    return line[0].islower() or line[0].isdigit()


def masked_numbers(text: str) -> str:
    """`text` with every MASKS match, mask after mask, blanked out (its length kept).

    Masks each need a digit to match, but one: once a mask has blanked the last digit, the
    masks after it that need one are not run (they would find nothing); nor is a mask whose
    every match holds a text (NUMBERED) that is not there.
    """
    masked, digits = text, True
    for mask, needs_digit, needed in MASK_STEPS:
        if (digits or not needs_digit) and (needed is None or needed.search(masked) is not None):
            blanked = mask.sub(_blank, masked)
            if blanked is not masked:  # re.sub gives the very text back where nothing matched
                masked, digits = blanked, DIGIT.search(blanked) is not None
    return masked


def _blank(match: re.Match[str]) -> str:
    return " " * (match.end() - match.start())


def _split(text: str, starts: list[tuple[int, int]]) -> list[Sentence]:
    sentences, begin = [], 0
    ends = [m.end() for m in SENTENCE_END.finditer(text)] + [len(text)]
    for end in ends:
        if end <= begin:
            continue
        chunk = text[begin:end]
        masked = masked_numbers(chunk) if DIGIT.search(chunk) else chunk  # without a digit: no count, no mask
        first = max(no for s, no in starts if s <= begin)
        kept = ((0, first),) + tuple((s - begin, no) for s, no in starts if begin < s < end)
        sentences.append(Sentence(chunk, masked, fold(chunk), kept))
        begin = end
    return [s for s in sentences if s.text.strip()]
