"""The history checks: decreasing_figure, above_population, outlier_jump."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, time, timedelta

import pytest
from synthetic import TZ, campaign_settings

from mailbot.models import Submission
from mailbot.validation import history_problems, robust_z

DAY = date(2020, 8, 20)


@pytest.fixture(scope="module")
def settings():
    return campaign_settings()


def sub(
    n: int, period: date, value: int, status: str = "accepted", unit: str = "hai-duong", hour: int = 9
) -> Submission:
    return Submission(
        id=n,
        message_row=n,
        unit=unit,
        period=period,
        received_at=datetime.combine(period, time(hour), tzinfo=TZ),
        sender=None,
        figures={"installs": value},
        status=status,
        problems=(),
    )


def daily(increases: list[int], start: int = 70000, last_day: date = DAY - timedelta(days=1)) -> list[Submission]:
    """Accepted reports ending on last_day with the given day-to-day increases."""
    first = last_day - timedelta(days=len(increases))
    values = [start]
    for inc in increases:
        values.append(values[-1] + inc)
    return [sub(i + 1, first + timedelta(days=i), v) for i, v in enumerate(values)]


def codes(settings, value: int, previous, unit: str = "hai-duong", period: date = DAY) -> list[str]:
    found = history_problems(settings, settings.unit(unit), period, {"installs": value}, previous)
    return [p.code for p in found]


# --- decreasing_figure ---------------------------------------------------------------


def test_a_figure_below_the_last_accepted_one_is_flagged_with_a_plain_message(settings):
    previous = [sub(1, DAY - timedelta(days=2), 70000), sub(2, DAY - timedelta(days=1), 70500)]
    found = history_problems(settings, settings.unit("hai-duong"), DAY, {"installs": 70400}, previous)
    assert [p.code for p in found] == ["decreasing_figure"]
    assert found[0].message.startswith(
        'Số liệu lũy kế "Số lượng cài đặt Bluezone" báo cáo là 70.400, thấp hơn số đã ghi nhận trước đó '
        "(70.500, ngày 19/8/2020)."
    )
    english = replace(settings, language="en")
    message = history_problems(english, english.unit("hai-duong"), DAY, {"installs": 70400}, previous)[0].message
    assert "70,400" in message and "70,500, on 19/08/2020" in message


def test_only_accepted_reports_of_earlier_days_count_as_the_last_figure(settings):
    previous = [
        sub(1, DAY - timedelta(days=2), 70000),
        sub(2, DAY - timedelta(days=1), 99000, status="needs_review"),  # never accepted
        sub(3, DAY - timedelta(days=1), 98000, status="rejected"),
        sub(4, DAY, 71000),  # the same day: a correction replaces it, it is not history
        sub(5, DAY + timedelta(days=1), 80000),  # a later day sent earlier
    ]
    assert codes(settings, 70400, previous) == []
    assert codes(settings, 69999, previous) == ["decreasing_figure"]


def test_equal_figure_is_not_decreasing_and_the_rule_can_be_switched_off(settings):
    previous = [sub(1, DAY - timedelta(days=1), 70500)]
    assert codes(settings, 70500, previous) == []
    off = replace(settings, validation=replace(settings.validation, decreasing_figure=False))
    assert codes(off, 100, previous) == []


def test_no_history_no_problem(settings):
    assert codes(settings, 5, []) == []


# --- above_population -------------------------------------------------------------------


def test_a_figure_above_the_population_is_flagged(settings):
    found = history_problems(settings, settings.unit("hai-duong"), DAY, {"installs": 299639}, [])
    assert [p.code for p in found] == ["above_population"]
    assert "299.639" in found[0].message and "(299.638)" in found[0].message
    assert codes(settings, 299638, []) == []


def test_unknown_population_or_switched_off_means_no_check(settings):
    assert codes(settings, 10_000_000, [], unit="nam-sach") == []  # population not configured
    off = replace(settings, validation=replace(settings.validation, above_population=False))
    assert codes(off, 10_000_000, []) == []


# --- outlier_jump ---------------------------------------------------------------------------


REGULAR = [300, 310, 290, 305, 295, 300, 315, 285, 300, 310]


def test_an_increase_far_above_the_usual_range_is_flagged(settings):
    previous = daily(REGULAR)
    last = previous[-1].figures["installs"]
    found = history_problems(settings, settings.unit("hai-duong"), DAY, {"installs": last + 5300}, previous)
    assert [p.code for p in found] == ["outlier_jump"]
    assert "tăng 5.300" in found[0].message and "khoảng 300 mỗi ngày" in found[0].message


def test_usual_and_somewhat_higher_increases_pass(settings):
    previous = daily(REGULAR)
    last = previous[-1].figures["installs"]
    assert codes(settings, last + 320, previous) == []
    assert codes(settings, last + 500, previous) == []
    assert codes(settings, last, previous) == []  # no increase at all is not a jump


def test_too_little_history_means_no_judgement(settings):
    previous = daily([300, 300, 300, 300])  # four increases, five needed
    last = previous[-1].figures["installs"]
    assert codes(settings, last + 50_000, previous) == []
    assert codes(settings, last + 50_000, daily([300] * 5)) == ["outlier_jump"]


def test_history_outside_the_window_is_not_used(settings):
    old = daily([300] * 6, last_day=DAY - timedelta(days=20))
    last = old[-1].figures["installs"]
    assert codes(settings, last + 50_000, old) == []
    wide = replace(settings, validation=replace(settings.validation, outlier_window_days=30))
    assert codes(wide, last + 50_000, old) == ["outlier_jump"]


def test_a_perfectly_regular_history_does_not_make_small_wobbles_outliers(settings):
    """MAD is 0 here; the scale falls back to a quarter of the typical increase."""
    previous = daily([200] * 10)
    last = previous[-1].figures["installs"]
    assert codes(settings, last + 201, previous) == []
    assert codes(settings, last + 600, previous) == []
    assert codes(settings, last + 601, previous) == ["outlier_jump"]  # z = (601-200)/50 > 8


def test_an_increase_over_several_days_is_judged_per_day(settings):
    previous = daily(REGULAR, last_day=DAY - timedelta(days=3))  # nothing for the last two days
    last = previous[-1].figures["installs"]
    assert codes(settings, last + 3 * 300, previous) == []
    assert codes(settings, last + 3 * 3000, previous) == ["outlier_jump"]


def test_the_threshold_and_the_switch_are_settings(settings):
    previous = daily(REGULAR)
    last = previous[-1].figures["installs"]
    strict = replace(settings, validation=replace(settings.validation, outlier_threshold=1.0))
    assert codes(strict, last + 500, previous) == ["outlier_jump"]
    off = replace(settings, validation=replace(settings.validation, outlier_jump=False))
    assert codes(off, last + 50_000, previous) == []


def test_robust_z_ignores_a_past_outlier():
    typical = [300, 310, 290, 305, 295, 300]
    assert robust_z(400, typical + [9000]) == pytest.approx(robust_z(400, typical + [320]))
    assert robust_z(300, typical) == pytest.approx(0.0)


def test_a_history_with_gaps_is_judged_per_day_of_each_gap(settings):
    """Reports every other day, +600 each time: 300 a day. A day's +1000 is far outside that."""
    first = DAY - timedelta(days=12)
    previous = [sub(n + 1, first + timedelta(days=2 * n), 70000 + 600 * n) for n in range(6)]
    last = previous[-1]
    assert last.period == DAY - timedelta(days=2)
    assert codes(settings, last.figures["installs"] + 1000, previous, period=DAY - timedelta(days=1)) == [
        "outlier_jump"
    ]  # 1000 in one day against 300 a day; read as 600 a "report", it would pass
    assert codes(settings, last.figures["installs"] + 600, previous) == []  # 300 a day over two days
