"""Thirty days of synthetic reports: every day's states, figures, totals, changes, ranks.

The same history is checked twice: as pure Submission records, and after going
through the real SQLite store and the review functions.
"""

from __future__ import annotations

from datetime import datetime

import pytest
from synthetic import (
    DAYS,
    HOLIDAY,
    MERGED_UNIT,
    MERGED_UNTIL,
    TZ,
    UNITS,
    at,
    campaign_settings,
    day_of,
    figure,
    load_store,
    simulate,
)

from mailbot import ledger
from mailbot.store import Store

END_OF_MONTH = datetime(2020, 9, 1, tzinfo=TZ)

# (unit, day number) -> what differs from "on time, one submission, true figure".
EXPECTED_SPECIAL = {
    ("thanh-mien", 5): dict(state="late"),
    ("chi-linh", 6): dict(submissions=2, correction=True, corrected_at=at(6, 14)),
    ("kinh-mon", 7): dict(submissions=2, correction=True, corrected_at=at(7, 18)),
    ("nam-sach", 8): dict(state="late", submissions=2),
    ("thanh-ha", 9): dict(state="rejected", figures={}, problems=["encrypted_file"]),
    ("gia-loc", 11): dict(state="missing", figures={}, submissions=0),
    ("tu-ky", 18): dict(
        state="needs_review",
        figures={},
        problems=["decreasing_figure"],
        pending_figures={"installs": figure("tu-ky", 17) - 500},
    ),
    ("binh-giang", 22): dict(problems=["outlier_jump"]),  # accepted by the reviewer
    ("gia-loc", 25): dict(state="late", submissions=2),
    ("cam-giang", 27): dict(problems=[]),  # assigned (which settles the sender) and accepted by the reviewer
}


def expected_row(unit: str, n: int) -> dict:
    row = dict(
        state="on_time",
        figures={"installs": figure(unit, n)},
        submissions=1,
        correction=False,
        corrected_at=None,
        problems=[],
        pending_figures={},
    )
    row.update(EXPECTED_SPECIAL.get((unit, n), {}))
    return row


def expected_units(n: int) -> list[str]:
    return [u for u in UNITS if not (u == MERGED_UNIT and day_of(n) > MERGED_UNTIL)]


def previous_counted(unit: str, n: int) -> int | None:
    found = previous_counted_day(unit, n)
    return None if found is None else figure(unit, found)


def previous_counted_day(unit: str, n: int) -> int | None:
    for earlier in range(n - 1, 0, -1):
        if day_of(earlier) != HOLIDAY and expected_row(unit, earlier)["state"] in ("on_time", "late"):
            return earlier
    return None


def competition_ranks(values: dict[str, int]) -> dict[str, int]:
    ordered = sorted(values.values(), reverse=True)
    return {unit: ordered.index(v) + 1 for unit, v in values.items()}


@pytest.fixture(scope="module")
def settings():
    return campaign_settings()


@pytest.fixture(scope="module")
def pure_submissions(settings):
    return simulate(settings).submissions


@pytest.fixture(scope="module")
def stored_submissions(settings, tmp_path_factory):
    store = Store.open(f"sqlite:///{tmp_path_factory.mktemp('ledger')}/mailbot.db")
    try:
        load_store(settings, store)
        return store.submissions_between(day_of(1), day_of(DAYS))
    finally:
        store.close()


@pytest.fixture(scope="module", params=["pure", "stored"])
def submissions(request):
    return request.getfixturevalue(f"{request.param}_submissions")


@pytest.mark.parametrize("n", range(1, DAYS + 1))
def test_each_day_of_the_month(settings, submissions, n):
    day = ledger.build_day(settings, day_of(n), submissions, END_OF_MONTH)
    if day_of(n) == HOLIDAY:
        assert not day.reporting_day
        assert day.units == () and day.expected == 0
        assert day.no_reporting_reason == "Ngày 10/8/2020 là ngày nghỉ, các đơn vị không phải báo cáo."
        return
    assert day.reporting_day and day.no_reporting_reason is None
    assert day.deadline == datetime(2020, 8, n, 16, 0, tzinfo=TZ)
    assert [u.unit for u in day.units] == expected_units(n)
    counted, carried = {}, {}
    for row in day.units:
        want = expected_row(row.unit, n)
        assert row.state == want["state"], row.unit
        assert dict(row.figures) == want["figures"], row.unit
        assert row.submissions == want["submissions"], row.unit
        assert row.correction == want["correction"], row.unit
        assert row.corrected_at == want["corrected_at"], row.unit
        assert dict(row.pending_figures) == want["pending_figures"], row.unit
        assert sorted(p.code for p in row.problems) == want["problems"], row.unit
        if row.state in ("on_time", "late"):
            counted[row.unit] = row.figures["installs"]
            before = previous_counted(row.unit, n)
            assert row.change == {"installs": None if before is None else figure(row.unit, n) - before}, row.unit
            assert row.last_counted is None, row.unit
        else:
            assert row.change == {} and row.rank is None, row.unit
            earlier = previous_counted_day(row.unit, n)
            if earlier is None:
                assert row.last_counted is None, row.unit
            else:  # nothing counts today: the latest counted figure is carried into the estimate
                assert row.last_counted.day == day_of(earlier), row.unit
                assert dict(row.last_counted.figures) == {"installs": figure(row.unit, earlier)}, row.unit
                carried[row.unit] = figure(row.unit, earlier)
    assert day.totals == {"installs": sum(counted.values())}
    assert day.estimate == {"installs": sum(counted.values()) + sum(carried.values())}
    assert (day.reported, day.expected) == (len(counted), len(expected_units(n)))
    assert day.coverage == pytest.approx(day.estimate["installs"] * 100 / 1705059)
    assert day.goal_percent == 60.0 and day.population == 1705059
    # Three units have no population in the shipped campaign, so ranks follow the figure.
    assert day.rank_by == "figure"
    assert {r.unit: r.rank for r in day.units if r.rank is not None} == competition_ranks(counted)


def test_literal_figures_of_some_days(settings, submissions):
    """A few days spelled out in full, independent of the helper functions above."""
    first = ledger.build_day(settings, day_of(1), submissions, END_OF_MONTH)
    assert [(r.unit, r.figures["installs"], r.rank) for r in first.units][:3] == [
        ("hai-duong", 70735, 1),
        ("chi-linh", 24072, 3),
        ("kinh-mon", 23145, 4),
    ]
    assert first.units[6].unit == "cam-giang" and first.units[6].rank == 2
    assert first.totals == {"installs": 287746} and first.reported == 12
    assert first.units[0].coverage == pytest.approx(70735 * 100 / 299638)
    assert first.units[3].coverage is None  # nam-sach: population unknown
    assert first.units[0].change == {"installs": None}  # nothing earlier
    eleventh = ledger.build_day(settings, day_of(11), submissions, END_OF_MONTH)
    thanh_ha = next(r for r in eleventh.units if r.unit == "thanh-ha")
    assert thanh_ha.change == {"installs": figure("thanh-ha", 11) - figure("thanh-ha", 8)}  # 9 rejected, 10 holiday
    assert (eleventh.reported, eleventh.expected) == (11, 12)
    sixteenth = ledger.build_day(settings, day_of(16), submissions, END_OF_MONTH)
    assert MERGED_UNIT not in [r.unit for r in sixteenth.units] and sixteenth.expected == 11


def test_timeliness_of_a_correction_depends_on_the_question_time(settings, submissions):
    """kinh-mon sent on time at 10:00 and corrected at 18:00."""
    before = ledger.build_day(settings, day_of(7), submissions, at(7, 17))
    row = next(r for r in before.units if r.unit == "kinh-mon")
    assert (row.state, row.figures["installs"], row.correction, row.submissions) == (
        "on_time",
        figure("kinh-mon", 7) + 30,
        False,
        1,
    )
    after = ledger.build_day(settings, day_of(7), submissions, at(7, 19))
    row = next(r for r in after.units if r.unit == "kinh-mon")
    assert (row.state, row.figures["installs"], row.correction, row.submissions) == (
        "on_time",
        figure("kinh-mon", 7),
        True,
        2,
    )
    assert row.received_at == at(7, 10)
    assert after.totals["installs"] - before.totals["installs"] == -30


def test_missing_before_the_first_report_of_the_day(settings, submissions):
    early = ledger.build_day(settings, day_of(3), submissions, at(3, 8, 25))
    states = {r.unit: r.state for r in early.units}
    assert [u for u, s in states.items() if s == "on_time"] == ["hai-duong", "chi-linh", "kinh-mon"]
    assert early.reported == 3 and all(
        s == "missing" for u, s in states.items() if u not in ("hai-duong", "chi-linh", "kinh-mon")
    )


def test_a_rejected_report_then_a_late_one(settings, submissions):
    """gia-loc's 09:00 report was rejected by a reviewer; its 17:00 resend counts, late."""
    at_noon = ledger.build_day(settings, day_of(25), submissions, at(25, 12))
    row = next(r for r in at_noon.units if r.unit == "gia-loc")
    assert row.state == "rejected" and row.figures == {}
    assert sorted(p.code for p in row.problems) == ["above_population", "outlier_jump"]


def test_unit_series_and_province_series(settings, submissions):
    unit = ledger.series(settings, "tu-ky", day_of(16), day_of(20), submissions)
    assert unit == [
        (day_of(16), {"installs": figure("tu-ky", 16)}),
        (day_of(17), {"installs": figure("tu-ky", 17)}),
        (day_of(18), None),  # waiting for review
        (day_of(19), {"installs": figure("tu-ky", 19)}),
        (day_of(20), {"installs": figure("tu-ky", 20)}),
    ]
    province = ledger.series(settings, None, day_of(9), day_of(11), submissions)
    assert [d for d, _ in province] == [day_of(9), day_of(10), day_of(11)]
    assert province[1][1] is None
    day9 = ledger.build_day(settings, day_of(9), submissions, END_OF_MONTH)
    assert province[0][1] == dict(day9.totals)


def test_unit_history_explains_days_without_a_line(settings, submissions):
    rows = ledger.unit_history(settings, MERGED_UNIT, day_of(9), day_of(17), submissions, END_OF_MONTH)
    reasons = {d.day: reason for d, row, reason in rows if row is None}
    assert set(reasons) == {10, 16, 17}
    assert "nghỉ" in reasons[10] and "không thuộc danh sách" in reasons[16]
