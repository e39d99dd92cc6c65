"""`schedule.hold_report` with several campaigns: each campaign's report waits on its own,
and `status --check` warns of any that has waited for approval too long."""

from __future__ import annotations

import datetime as dt

from several import VN, deployment

from mailbot.app import App
from mailbot.health import WARNING, assess
from mailbot.store import Store

DAY = dt.date(2020, 8, 14)


def test_holding_one_campaigns_report_leaves_the_others_alone(sqlite_url):
    store = Store.open(sqlite_url)
    try:
        clock = lambda: dt.datetime(2020, 8, 14, 16, 30, tzinfo=VN)  # noqa: E731
        districts = App(deployment("districts"), store, clock=clock)
        departments = App(deployment("departments"), store, clock=clock)
        districts.hold_report(DAY)
        assert districts.report_waiting(DAY) == clock()
        assert departments.report_waiting(DAY) is None
        assert districts.status(DAY).report_held_since == clock()
        assert departments.status(DAY).report_held_since is None
    finally:
        store.close()


def test_a_report_held_for_more_than_two_hours_is_a_warning(sqlite_url):
    store = Store.open(sqlite_url)
    try:
        held_at = dt.datetime(2020, 8, 14, 16, 30, tzinfo=VN)
        settings = deployment("departments")
        App(settings, store, clock=lambda: held_at).hold_report(DAY)
        store.record_heartbeat("imap://mailbox", held_at + dt.timedelta(hours=3))
        soon = assess(settings, store, held_at + dt.timedelta(hours=1))
        assert soon.level == 0, soon.line
        late = assess(settings, store, held_at + dt.timedelta(hours=3))
        assert late.level == WARNING
        assert "1 báo cáo tổng hợp theo lịch chờ duyệt quá 2 giờ" in late.line
    finally:
        store.close()
