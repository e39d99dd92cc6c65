"""docs/rules.md#numbers: no input is ever read as a different whole number than it states."""

import re

from hypothesis import example, given
from hypothesis import strategies as st

from mailbot.reading.numbers import read_count

SEPARATORS = [".", ",", " ", "\u00a0"]


def grouped(value: int, separator: str) -> str:
    return f"{value:,}".replace(",", separator)


@given(st.integers(min_value=0, max_value=10**12), st.sampled_from(SEPARATORS))
def test_every_written_count_reads_as_itself(value, separator):
    assert read_count(grouped(value, separator)).value == value
    assert read_count(str(value)).value == value
    assert read_count(value).value == value
    assert read_count(float(value)).value == value


@given(st.text(alphabet="0123456789.,  -+eE'\u00a0x", max_size=14))
@example("12,5")
@example("1.2345")
@example("1.234,5")
@example("0.500")
@example("70.635")
def test_no_text_is_read_as_another_number(text):
    number = read_count(text)
    if number.value is None:
        return
    digits = re.sub(r"[^0-9]", "", text)
    assert int(digits) == number.value  # every digit written, and nothing else, makes the count
    assert not re.search(r"[.,]\d{1,2}$|[.,]\d{4,}", text.strip())  # never a decimal part


@given(st.text(max_size=12))
def test_any_text_either_states_its_digits_or_is_not_a_count(text):
    number = read_count(text)
    if number.value is not None:
        assert int(re.sub(r"[^0-9]", "", text)) == number.value


@given(st.floats(allow_nan=True, allow_infinity=True))
def test_floats_only_when_whole(value):
    number = read_count(value)
    if number.value is not None:
        assert float(number.value) == value and value >= 0


def test_contract_examples():
    assert read_count("70.635").value == 70635
    assert read_count("70,635").value == 70635
    assert read_count("70 635").value == 70635
    assert read_count(70635.0).value == 70635
    for unclear in ("12,5", "1.2345", "1.234,5", "-5", -5, 12.5, True, "khoảng 500", "17.356 người"):
        assert read_count(unclear).ambiguous, unclear
    for empty in (None, "", "  ", "-"):
        assert read_count(empty).blank


def test_mixed_separators_are_never_a_count():
    for unclear in ("1.234,567", "1,234.567", "1 234,567", "1.234 567", "12.345,6"):
        assert read_count(unclear).ambiguous, unclear


def test_formula_prefixes_are_never_a_count():
    for prefixed in ("+17356", "=17356", "@17356", "-17356", "=SUM(C6:C9)", "'+17356"):
        assert read_count(prefixed).ambiguous, prefixed


def test_surrounding_tabs_and_line_breaks_are_space():
    for spaced in ("\t17356", "17356\r", "\r\n17356\t", "17.356\r\n"):
        assert read_count(spaced).value == 17356, repr(spaced)
