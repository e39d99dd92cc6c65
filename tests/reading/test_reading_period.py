"""The report day a text states: with or without a year, day before month; times are not dates."""

from datetime import date

import pytest

from mailbot.reading.period import is_reply, stated_date

ARRIVAL = date(2020, 8, 14)


@pytest.mark.parametrize(
    "text, day",
    [
        ("Báo cáo ngày 14/8/2020", date(2020, 8, 14)),
        ("BC 14-8-2020", date(2020, 8, 14)),
        ("ngày 14 tháng 8 năm 2020", date(2020, 8, 14)),
        ("BC Bluezone 13/8/20", date(2020, 8, 13)),
        ("Báo cáo ngày 13/8", date(2020, 8, 13)),
        ("Báo cáo ngày 13 tháng 8", date(2020, 8, 13)),
        ("Báo cáo ngày 13.8", date(2020, 8, 13)),
        ("BC 13-8.xlsx", date(2020, 8, 13)),
        ("gửi lúc 15h00 ngày 13/8", date(2020, 8, 13)),
        ("Tính đến 16h ngày 13 tháng 8", date(2020, 8, 13)),
        ("trước 16h", None),
        ("lúc 15h00", None),
        ("cập nhật 15h30'", None),
        ("số liệu từ 8h30-9h30", None),
        ("ca 7h-11h", None),
        ("Công văn số 2953/UBND-VP", None),
        ("tỷ lệ 1.234/5", None),
        ("ngày 31/2", None),
    ],
)
def test_stated_day(text, day):
    assert stated_date(text, ARRIVAL) == day


def test_a_day_without_a_year_needs_the_arrival_day():
    assert stated_date("Báo cáo ngày 13/8", None) is None
    assert stated_date("Báo cáo ngày 13/8/2020", None) == date(2020, 8, 13)


def test_a_day_without_a_year_read_early_in_january_is_of_the_year_before():
    assert stated_date("Báo cáo ngày 31/12", date(2021, 1, 2)) == date(2020, 12, 31)
    assert stated_date("Báo cáo ngày 2/1", date(2021, 1, 2)) == date(2021, 1, 2)


PREFIXES = ("Re", "Fw", "Fwd", "TL", "Trả lời", "Chuyển tiếp", "TR")


@pytest.mark.parametrize(
    "subject, reply",
    [
        ("Re: Báo cáo ngày 13/8/2020", True),
        ("RE[2]: Báo cáo", True),
        ("Fwd: BC", True),
        ("FW : BC", True),
        ("TL: Báo cáo", True),
        ("Trả lời: Báo cáo", True),
        ("Chuyển tiếp: Báo cáo", True),
        ("Report: Bluezone", False),
        ("Báo cáo ngày 13/8/2020", False),
        ("Tra lai so lieu", False),
    ],
)
def test_reply_and_forward_subjects(subject, reply):
    assert is_reply(subject, PREFIXES) is reply
