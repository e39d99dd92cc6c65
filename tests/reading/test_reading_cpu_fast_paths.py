"""Shortcuts that cut the CPU a reading worker spends on a report mail give the answers of the plain way.

Declared extent: the cell pattern takes the rest of a tag at once; it must find the
same cells as the pattern that steps through it byte by byte. Masks in a text: once
the digits are all blanked, the masks that need a digit are not run; the text must
come out as running every mask gives it.
"""

import re

from hypothesis import example, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from mailbot.reading import body_text
from mailbot.sheets import declared

# --- the cells a sheet declares ---------------------------------------------------------------

STEPPING_CELL = re.compile(rb'<(?:\w+:)?c\s[^>]*?\br="([A-Z]{1,3})([0-9]{1,7})"[^>]*?(?<!/)>')
TAG_PIECES = st.sampled_from(
    [b"<c ", b"<x:c ", b"<c\n", b"<cc ", b"<row ", b'r="A1"', b'r="XFD1048576"', b'r="AB12" ', b'rr="B2" ', b'xr="C3"']
    + [b's="1" ', b't="s"', b"/", b"/>", b">", b"<", b" ", b"<v>7</v></c>", b'r="a1"', b'r="A"', b"\t"]
)


@given(st.lists(TAG_PIECES, max_size=30).map(b"".join))
@example(b'<c r="A1" r="B9">')
@example(b'<c r="A1"/><c r="C3">')
@example(b'<c s="1" r="B2" t="s"><v>1</v></c><c r="Z9"/>')
@example(b'<c a="<c r="D4"/>" r="E5">')
@hypothesis_settings(max_examples=500)
def test_cells_taken_at_once_are_the_cells_found_step_by_step(text):
    assert declared.XLSX_CELL.findall(text) == STEPPING_CELL.findall(text)
    assert declared._extent(text) == _plain_extent(text)


def _plain_extent(text):
    cells = STEPPING_CELL.findall(text)
    if not cells:
        return 0, 0
    return max(int(row) for _, row in cells), max(declared._column_number(letters) for letters, _ in cells)


# --- numbers masked in a sentence -------------------------------------------------------------

SENTENCE_PIECES = st.sampled_from(
    [
        "1/8/2020",
        "14-8",
        "14.8.2020",
        "ngày 14",
        "15h00",
        "15:40",
        "12%",
        "2953/UBND-VP",
        "công văn số 12",
        "COVID-19",
        "điện thoại: ",
        "tel:",
        "ĐT ",
        "0912 345 678",
        "(024) 3825 1234",
        "+84 912345678",
        "17.356",
        "1",
        "2",
        " ",
        "   ",
        "(",
        ")",
        "-",
        ".",
        "lượt",
        "Bluezone",
        "số lượng",
        "a",
    ]
)


def masked_by_every_mask(text):
    for mask in body_text.MASKS:
        text = mask.sub(lambda m: " " * len(m.group()), text)
    return text


@given(st.lists(SENTENCE_PIECES, max_size=14).map("".join))
@example("điện thoại: 1/8/2020")
@example("tel: 14/8 lúc 15h00")
@example("UBND Huyện Trung Đông gửi báo cáo số lượng cài đặt Bluezone ngày 1/8/2020 (tệp đính kèm).")
@hypothesis_settings(max_examples=800)
def test_masks_skipped_once_no_digit_is_left_mask_as_every_mask_does(text):
    assert body_text.masked_numbers(text) == masked_by_every_mask(text)


@given(st.text(st.characters(blacklist_categories=("Nd",)), max_size=40))
@example("điện thoại:       ")
@example("COVID- ")
def test_masks_said_to_need_a_digit_match_nothing_without_one(text):
    for mask, needs_digit in body_text.MASK_STEPS:
        if needs_digit:
            assert mask.search(text) is None, mask.pattern


def test_the_phone_words_mask_is_the_one_that_needs_no_digit():
    """A run of spaces after "điện thoại:" is masked: that mask is run even when no digit is left."""
    digitless = [mask for mask, needs_digit in body_text.MASK_STEPS if not needs_digit]
    assert [mask.search("điện thoại:       ") is not None for mask in digitless] == [True]
