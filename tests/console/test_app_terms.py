"""How staff name days and units, in the terminal and on the console's pages."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from mailbot.app import find_unit, parse_date
from mailbot.config import load_settings
from mailbot.errors import UsageError

CONFIG = Path(__file__).resolve().parents[2] / "config" / "mailbot.toml"


@pytest.fixture(scope="module")
def settings():
    return load_settings(CONFIG)


@pytest.mark.parametrize("typed", ["14/8/2020", "14/08/2020", "2020-08-14", " 14/8/2020 "])
def test_a_day_in_either_form(typed):
    assert parse_date(typed, "vi") == date(2020, 8, 14)


@pytest.mark.parametrize("typed", ["31/02/2020", "8/14/2020", "14-8", "hôm nay", ""])
def test_a_day_that_is_not_a_day_is_said_so(typed):
    with pytest.raises(UsageError) as caught:
        parse_date(typed, "vi", "--from")
    assert "--from" in str(caught.value) and "không phải là ngày hợp lệ" in str(caught.value)


@pytest.mark.parametrize("typed", ["nam-sach", "Huyện Nam Sách", "huyen nam sach", "NAM-SACH"])
def test_a_unit_by_id_or_name(settings, typed):
    assert find_unit(settings, typed) == "nam-sach"


def test_a_unit_by_alias(settings):
    unit = next(u for u in settings.units if u.aliases)
    assert find_unit(settings, unit.aliases[0]) == unit.id


def test_an_unknown_unit_lists_the_known_ones(settings):
    with pytest.raises(UsageError) as caught:
        find_unit(settings, "atlantis")
    assert "nam-sach" in str(caught.value.hint) + str(caught.value)
