"""Shortcuts that cut the CPU a reading worker spends on a report mail give the answers of the plain way.

Declared extent: the cell pattern takes the rest of a tag at once; it must find the
same cells as the pattern that steps through it byte by byte. The references of any tag
are counted first, and the cells only where those go beyond the limits: those references
must reach at least as far as the cells'. Masks in a text: once
the digits are all blanked, the masks that need a digit are not run; the text must
come out as running every mask gives it. A table sent back to the parent is emptied
by naming its fields, not by dataclasses.replace; it must be what replace gives. A short
text's unmarked form is kept; it must be what unmarking it gives. Fonts: bytes with no NUL
are not searched again without their NULs.
"""

import dataclasses
import re

from hypothesis import example, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from mailbot.config import PROJECT_ROOT, load_settings
from mailbot.models import Table
from mailbot.reading import body_text, documents, period, text
from mailbot.reading.table import SheetReading
from mailbot.sheets import declared, fonts
from mailbot.sheets import limits as limits_module

SHIPPED_LIMITS = load_settings(PROJECT_ROOT / "config" / "mailbot.toml", env={}).limits

# --- the cells a sheet declares ---------------------------------------------------------------

STEPPING_CELL = re.compile(rb'<(?:\w+:)?c\s[^>]*?\br="([A-Z]{1,3})([0-9]{1,7})"[^>]*?(?<!/)>')
TAG_PIECES = st.sampled_from(
    [b"<c ", b"<x:c ", b"<c\n", b"<cc ", b"<row ", b'r="A1"', b'r="XFD1048576"', b'r="AB12" ', b'rr="B2" ', b'xr="C3"']
    + [b's="1" ', b't="s"', b"/", b"/>", b">", b"<", b" ", b"<v>7</v></c>", b'r="a1"', b'r="A"', b"\t"]
)

ATTRIBUTES = st.sampled_from(
    [b'r="A1"', b'r="XFD1048576"', b'r="AB12"', b'rr="B2"', b'xr="C3"', b's="1"', b't="s"', b"/"]
)
CELL_TAGS = st.builds(
    lambda prefix, space, attributes, end: b"<" + prefix + b"c" + space + b" ".join(attributes) + end,
    st.sampled_from([b"", b"x:", b"c"]),
    st.sampled_from([b" ", b"\n", b"\t"]),
    st.lists(ATTRIBUTES, max_size=4),
    st.sampled_from([b">", b"/>", b" >", b"><v>1</v></c>"]),
)
SHEET_TEXTS = st.lists(TAG_PIECES | CELL_TAGS, max_size=30).map(b"".join)


@given(SHEET_TEXTS)
@example(b'<c r="A1" r="B9">')
@example(b'<c r="A1"/><c r="C3">')
@example(b'<c s="1" r="B2" t="s"><v>1</v></c><c r="Z9"/>')
@example(b'<c a="<c r="D4"/>" r="E5">')
@hypothesis_settings(max_examples=500)
def test_cells_taken_at_once_are_the_cells_found_step_by_step(text):
    assert declared.XLSX_CELL.findall(text) == STEPPING_CELL.findall(text)
    assert declared._extent(text) == _plain_extent(text)


@given(SHEET_TEXTS, st.integers(1, 2000), st.integers(1, 20000))
@example(b'<c r="XFD1048576"/><c r="A1">', 1, 1)
@example(b'<x:c s="1" r="XFD1048576">', 1000, 1000)  # an empty styled cell far out: the cells are looked for
@example(b'<c r="B2"><v>1</v></c>', 2, 2)
@hypothesis_settings(max_examples=500)
def test_references_of_any_tag_bound_the_cells_declared(text, max_rows, max_columns):
    """Any tag's references reach at least as far as the cells': within the limits, the cells are, and the
    check leaves the sheet alone as checking its cells does."""
    rows, columns = declared._extent(text)
    any_rows, any_columns = declared._extent(text, declared.ANY_REFERENCE)
    assert any_rows >= rows and any_columns >= columns
    limits = dataclasses.replace(SHIPPED_LIMITS, max_rows=max_rows, max_columns=max_columns)
    if declared._surely_within(text, limits):
        limits_module.check_shape(rows, columns, "Sheet1", limits)  # raises nothing


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
        "báo cáo số 3",
        "số",
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
    for mask, needs_digit, _ in body_text.MASK_STEPS:
        if needs_digit:
            assert mask.search(text) is None, mask.pattern


@given(
    st.lists(SENTENCE_PIECES | st.sampled_from(["số", "SỐ", "Số", ":", "báo cáo ", "Công văn "]), max_size=12).map(
        "".join
    )
)
@example("báo cáo số 12")
@example("CÔNG VĂN SỐ: 2953")
@example("quyết định số\n 7")
def test_a_mask_runs_wherever_what_each_of_its_matches_holds_is_there(text):
    for mask, _, needed in body_text.MASK_STEPS:
        if needed is not None and mask.search(text) is not None:
            assert needed.search(text) is not None, mask.pattern


def test_the_phone_words_mask_is_the_one_that_needs_no_digit():
    """A run of spaces after "điện thoại:" is masked: that mask is run even when no digit is left."""
    digitless = [mask for mask, needs_digit, _ in body_text.MASK_STEPS if not needs_digit]
    assert [mask.search("điện thoại:       ") is not None for mask in digitless] == [True]


# --- what a worker sends back, the texts kept -------------------------------------------------


def test_a_table_emptied_by_its_fields_is_the_table_replace_empties():
    """Every field set to something else than its default: a field added to Table and not carried fails here."""
    values = {"file_name": "a.xlsx", "sheet": "S", "cells": ((1,),), "fonts": (("Arial",),), "merged": ((0, 0, 0, 1),)}
    full = Table(**values, from_image=True)
    assert [f.name for f in dataclasses.fields(Table)] == [*values, "from_image"]
    assert documents.emptied(full) == dataclasses.replace(full, cells=(), fonts=None, merged=())
    assert [f.name for f in dataclasses.fields(SheetReading)] == ["table", "metrics", "titles"]


@given(st.text(max_size=60))
@example("Ngày 14 tháng 8 - Đông")
@example("Ǆ" * 1001)
def test_unmarked_text_kept_is_unmarked_text(value):
    expected = value.lower() if value.isascii() else text._unmarked(value)
    assert text.unmarked(value) == expected
    assert text.unmarked(value) == expected  # kept, and given back


@given(st.binary(max_size=40).map(lambda b: b.replace(b"\x00", b"")) | st.binary(max_size=40))
@example(b".VnTime")
@example(b".\x00v\x00n\x00")
def test_fonts_named_without_a_second_search_are_the_fonts_named_with_it(blob):
    plain = any(m in blob.lower() for m in fonts.LEGACY_MARKERS) or any(
        m in blob.replace(b"\x00", b"").lower() for m in fonts.LEGACY_MARKERS
    )
    assert fonts.names_legacy_font(blob) == plain


@given(st.text(max_size=80))
@example("Tổng cộng: 1.234 (xã)")
@example("a\u00a0b\tc\u2028d_e")
def test_words_found_are_the_words_left_between_what_is_no_word(value):
    plain = " ".join(re.sub(r"[^0-9a-z]+", " ", text.unmarked(value)).split())
    text.fold.cache_clear()
    assert text.fold(value) == plain


# --- days stated in a text ------------------------------------------------------------------------

DAY_PIECES = st.sampled_from(
    [
        "ngay",
        "ngay ",
        "thang",
        " thang ",
        "nam",
        "14",
        "8",
        "2020",
        "20",
        "/",
        "-",
        ".",
        " ",
        ",",
        "h",
        "'",
        "x",
        "01082020",
    ]
)


@given(st.lists(DAY_PIECES, max_size=14).map("".join))
@example("ngay 14 thang 8 nam 2020")
@example("ngay14.8")
@example("14thang8")
def test_a_day_pattern_is_skipped_only_where_it_could_match_nothing(plain):
    for pattern, word in period.NEEDS.items():
        if pattern.search(plain) is not None:
            assert word in plain, pattern.pattern
