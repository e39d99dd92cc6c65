"""The ledger's rules on small, hand-made days: calendar, states, ranks, series."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, time, timedelta

import pytest
from synthetic import TZ, campaign_settings

from mailbot import ledger
from mailbot.models import Problem, Submission

DAY = date(2020, 8, 14)  # a Friday
AS_OF = datetime(2020, 8, 14, 23, 0, tzinfo=TZ)


@pytest.fixture(scope="module")
def settings():
    return campaign_settings()


def sub(n, unit, value, hour=9, minute=0, second=0, status="accepted", period=DAY, problems=()):
    received = datetime.combine(period, time(hour, minute, second), tzinfo=TZ)
    figures = {} if value is None else {"installs": value}
    return Submission(
        id=n,
        message_row=n,
        unit=unit,
        period=period,
        received_at=received,
        sender=None,
        figures=figures,
        status=status,
        problems=tuple(problems),
    )


def row(day_ledger, unit):
    return next(r for r in day_ledger.units if r.unit == unit)


# --- the calendar --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "change, day, vi, en",
    [
        (
            dict(reporting_days=("mon", "tue", "wed", "thu", "fri")),
            date(2020, 8, 15),
            "Ngày 15/8/2020 (Thứ Bảy) không phải ngày báo cáo.",
            "15/08/2020 (Saturday) is not a reporting day.",
        ),
        (
            dict(start=date(2020, 8, 6)),
            date(2020, 8, 5),
            "Ngày 5/8/2020 chưa đến thời gian báo cáo (đợt báo cáo bắt đầu từ ngày 6/8/2020).",
            "05/08/2020 is before the reporting period (it starts on 06/08/2020).",
        ),
        (
            dict(end=date(2020, 8, 20)),
            date(2020, 8, 21),
            "Đợt báo cáo đã kết thúc ngày 20/8/2020; ngày 21/8/2020 không có báo cáo.",
            "The reporting period ended on 20/08/2020; there is no report for 21/08/2020.",
        ),
    ],
)
def test_days_without_reporting_say_why(settings, change, day, vi, en):
    changed = replace(settings, campaign=replace(settings.campaign, **change))
    reports = [sub(1, "hai-duong", 70000, period=day)]
    result = ledger.build_day(changed, day, reports, AS_OF)
    assert (result.reporting_day, result.units, result.expected, result.no_reporting_reason) == (False, (), 0, vi)
    english = ledger.build_day(replace(changed, language="en"), day, reports, AS_OF)
    assert english.no_reporting_reason == en
    assert ledger.build_day(changed, DAY, [], AS_OF).reporting_day


def test_the_deadline_second(settings):
    reports = [sub(1, "hai-duong", 1, 16, 0, 0), sub(2, "chi-linh", 1, 16, 0, 1)]
    result = ledger.build_day(settings, DAY, reports, AS_OF)
    assert result.deadline.isoformat() == "2020-08-14T16:00:00+07:00"
    assert (row(result, "hai-duong").state, row(result, "chi-linh").state) == ("on_time", "late")


def test_a_campaign_deadline_is_a_setting(settings):
    earlier = replace(settings, campaign=replace(settings.campaign, deadline=time(11, 0)))
    result = ledger.build_day(earlier, DAY, [sub(1, "hai-duong", 1, 12)], AS_OF)
    assert row(result, "hai-duong").state == "late"


# --- states ----------------------------------------------------------------------------------


def test_waiting_for_review_counts_nowhere(settings):
    flagged = Problem("outlier_jump", "x")
    reports = [sub(1, "hai-duong", 90000, status="needs_review", problems=[flagged]), sub(2, "chi-linh", 24000)]
    result = ledger.build_day(settings, DAY, reports, AS_OF)
    waiting = row(result, "hai-duong")
    assert (waiting.state, dict(waiting.figures), dict(waiting.pending_figures)) == (
        "needs_review",
        {},
        {"installs": 90000},
    )
    assert waiting.problems == (flagged,) and waiting.rank is None
    assert result.totals == {"installs": 24000} and result.reported == 1


def test_an_accepted_report_with_a_newer_one_waiting(settings):
    reports = [sub(1, "hai-duong", 70000, 9), sub(2, "hai-duong", 95000, 17, status="needs_review")]
    line = row(ledger.build_day(settings, DAY, reports, AS_OF), "hai-duong")
    assert (line.state, dict(line.figures), dict(line.pending_figures)) == (
        "on_time",
        {"installs": 70000},
        {"installs": 95000},
    )
    assert line.correction is False and line.submissions == 2 and line.counted_submission == 1


def test_an_on_time_report_waiting_for_review_keeps_its_time_when_a_late_fix_is_accepted(settings):
    reports = [sub(1, "hai-duong", 95000, 15, status="needs_review"), sub(2, "hai-duong", 70000, 18)]
    line = row(ledger.build_day(settings, DAY, reports, AS_OF), "hai-duong")
    assert (line.state, line.figures["installs"], line.correction) == ("on_time", 70000, True)


def test_reports_received_after_the_question_do_not_exist_yet(settings):
    reports = [sub(1, "hai-duong", 70000, 9), sub(2, "hai-duong", 70100, 20)]
    line = row(ledger.build_day(settings, DAY, reports, datetime(2020, 8, 14, 12, 0)), "hai-duong")  # naive: local
    assert (line.figures["installs"], line.submissions) == (70000, 1)


def test_submissions_without_unit_or_for_other_days_do_not_count(settings):
    reports = [sub(1, None, 70000), sub(2, "hai-duong", 70000, period=date(2020, 8, 13))]
    result = ledger.build_day(settings, DAY, reports, AS_OF)
    assert result.reported == 0 and all(r.state == "missing" for r in result.units)
    assert row(result, "hai-duong").submissions == 0


# --- ranks and coverage -------------------------------------------------------------------------


def test_ranks_by_coverage_when_every_reported_unit_has_a_population(settings):
    reports = [sub(1, "hai-duong", 29964), sub(2, "chi-linh", 44084), sub(3, "kinh-mon", 40728)]
    result = ledger.build_day(settings, DAY, reports, AS_OF)
    # 10.0 %, 20.0 %, 20.0 %: the two at 20 % share rank 1, the next is 3rd.
    assert result.rank_by == "coverage"
    assert [(r.unit, r.rank) for r in result.units[:3]] == [("hai-duong", 3), ("chi-linh", 1), ("kinh-mon", 1)]
    assert row(result, "chi-linh").coverage == pytest.approx(44084 * 100 / 220421)
    assert result.coverage == pytest.approx((29964 + 44084 + 40728) * 100 / 1705059)


def test_ranks_by_figure_when_a_population_is_unknown(settings):
    reports = [sub(1, "hai-duong", 100), sub(2, "nam-sach", 300), sub(3, "chi-linh", 200)]
    result = ledger.build_day(settings, DAY, reports, AS_OF)
    assert result.rank_by == "figure"
    assert {r.unit: r.rank for r in result.units if r.rank} == {"nam-sach": 1, "chi-linh": 2, "hai-duong": 3}


def test_no_province_population_means_no_province_coverage(settings):
    changed = replace(settings, campaign=replace(settings.campaign, population=None, goal_percent=None))
    result = ledger.build_day(changed, DAY, [sub(1, "hai-duong", 100)], AS_OF)
    assert result.coverage is None and result.goal_percent is None and result.totals == {"installs": 100}


def test_change_and_province_change(settings):
    reports = [
        sub(1, "hai-duong", 70000, period=date(2020, 8, 12)),
        sub(2, "hai-duong", 70500),
        sub(3, "chi-linh", 24000, period=date(2020, 8, 13)),
        sub(4, "chi-linh", 23900),
        sub(5, "kinh-mon", 5),
    ]
    result = ledger.build_day(settings, DAY, reports, AS_OF)
    assert row(result, "hai-duong").change == {"installs": 500}
    assert row(result, "chi-linh").change == {"installs": -100}
    assert row(result, "kinh-mon").change == {"installs": None}
    assert result.change == {"installs": 400}


def test_contract_json_shape(settings):
    result = ledger.build_day(settings, DAY, [sub(1, "hai-duong", 70635, 15, 42)], AS_OF)
    data = result.to_json()
    assert data["date"] == "2020-08-14" and data["deadline"] == "2020-08-14T16:00:00+07:00"
    assert data["units"][0] == {
        "unit": "hai-duong",
        "name": "Thành phố Hải Dương",
        "state": "on_time",
        "figures": {"installs": 70635},
        "received_at": "2020-08-14T15:42:00+07:00",
        "submissions": 1,
        "problems": [],
        "source": None,
        "last_counted": None,
    }
    assert data["units"][1]["state"] == "missing" and data["units"][1]["received_at"] is None
    assert data["totals"] == {"installs": 70635, "reported": 1, "expected": 12, "estimate": {"installs": 70635}}


def test_a_missing_unit_is_carried_into_the_estimate_with_its_day(settings):
    """Contract 3.2: last_counted and totals.estimate; a missing unit never counts as 0."""
    earlier = DAY - timedelta(days=2)
    reports = [
        sub(1, "hai-duong", 70000, period=earlier),
        sub(2, "chi-linh", 23000, period=earlier),
        sub(3, "chi-linh", 23500, period=DAY - timedelta(days=1)),
        sub(4, "hai-duong", 70635),
        sub(5, "kinh-mon", 99, status="needs_review"),
        sub(6, "nam-sach", 17000, period=earlier),
        sub(7, "nam-sach", 17356, status="needs_review"),
        sub(8, "kim-thanh", 19000, period=earlier),
        sub(9, "kim-thanh", None, status="rejected"),
    ]
    data = ledger.build_day(settings, DAY, reports, AS_OF).to_json()
    units = {u["unit"]: u for u in data["units"]}
    assert units["hai-duong"]["last_counted"] is None
    assert units["chi-linh"]["last_counted"] == {"date": "2020-08-13", "figures": {"installs": 23500}}
    assert units["kinh-mon"]["state"] == "needs_review" and units["kinh-mon"]["last_counted"] is None
    assert units["nam-sach"]["last_counted"] == {"date": "2020-08-12", "figures": {"installs": 17000}}
    assert units["kim-thanh"]["state"] == "rejected"
    assert units["kim-thanh"]["last_counted"] == {"date": "2020-08-12", "figures": {"installs": 19000}}
    assert data["totals"]["installs"] == 70635
    assert data["totals"]["estimate"] == {"installs": 70635 + 23500 + 17000 + 19000}


def test_series_rejects_an_unknown_unit(settings):
    with pytest.raises(ValueError):
        ledger.series(settings, "atlantis", DAY, DAY, [])


def test_the_province_trend_carries_a_missing_unit_instead_of_dropping(settings):
    yesterday = DAY - timedelta(days=1)
    reports = [
        sub(1, "hai-duong", 70000, period=yesterday),
        sub(2, "chi-linh", 23000, period=yesterday),
        sub(3, "hai-duong", 70635),  # chi-linh sends nothing on DAY
    ]
    before, today = ledger.province_trend(settings, yesterday, DAY, reports, AS_OF)
    assert before.figures == {"installs": 93000} and before.carried == ()
    assert today.figures == {"installs": 70635 + 23000} and today.carried == ("chi-linh",)
    assert today.figures["installs"] >= before.figures["installs"]  # never a drop for a missing unit
