"""Deadline kinds: daily at a time (today's), and once before a date, with its reminders and final report."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date, datetime

import pytest
from departments import VN, department_mail, departments, departments_text

from mailbot import service
from mailbot.config import Connections, load_settings
from mailbot.errors import ConfigError
from mailbot.models import InboundMessage
from mailbot.store import Store

SHIPPED = "config/mailbot.toml"


def write(tmp_path, text: str):
    path = tmp_path / "campaign.toml"
    path.write_text(text, encoding="utf-8")
    return path


def at(day: int, hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime(2020, 8, day, hour, minute, second, tzinfo=VN)


# --- the rule as a setting ---------------------------------------------------------------


def test_the_shipped_daily_campaign_is_unchanged():
    campaign = load_settings(SHIPPED, env={}).campaign
    assert campaign.deadline_kind == "daily" and not campaign.once
    assert campaign.period_of(date(2020, 8, 14)) == date(2020, 8, 14)
    assert campaign.deadline_of(date(2020, 8, 15)).isoformat() == "2020-08-15T16:00:00+07:00"
    assert campaign.reminds_on(date(2020, 8, 15)) and campaign.report_for(date(2020, 8, 15)) == date(2020, 8, 15)


def test_once_before_a_date_is_one_report_due_by_the_end_of_the_day_before():
    campaign = departments().campaign
    assert campaign.once and campaign.due_before == date(2020, 8, 17)
    for day in (date(2020, 8, 14), date(2020, 8, 16), date(2020, 8, 20)):
        assert campaign.period_of(day) == date(2020, 8, 16)
        assert campaign.deadline_of(day).isoformat() == "2020-08-16T23:59:59+07:00"
        assert campaign.is_reporting_day(day)
    assert not campaign.is_reporting_day(date(2020, 8, 13))  # before the letter (start)


def test_reminders_go_out_before_the_date_and_the_final_report_after_it():
    campaign = departments().campaign
    days = [date(2020, 8, d) for d in range(12, 21)]
    assert [d.day for d in days if campaign.reminds_on(d)] == [14, 15, 16]
    assert {d.day: campaign.report_for(d) for d in days if campaign.report_for(d)} == {17: date(2020, 8, 16)}


@pytest.mark.parametrize(
    "change, key, fix",
    [
        (('deadline_kind = "once"', 'deadline_kind = "weekly"'), "campaign.deadline_kind", '"daily"'),
        (("due_before = 2020-08-17\n", ""), "campaign.due_before", "due_before = 2020-08-17"),
        (("due_before = 2020-08-17\n", 'due_before = 2020-08-17\ndeadline = "16:00"\n'), "campaign.deadline", "xóa"),
        (
            ("due_before = 2020-08-17\n", 'due_before = 2020-08-17\nholidays = ["2020-08-15"]\n'),
            "campaign.holidays",
            "xóa",
        ),
        (("due_before = 2020-08-17", 'due_before = "17/8/2020"'), "campaign.due_before", "YYYY-MM-DD"),
        (("start = 2020-08-14", "start = 2020-08-17"), "campaign.start", "start"),
        (("start = 2020-08-14", "start = 2020-08-14\nend = 2020-08-16"), "campaign.end", "end"),
        (('deadline_kind = "once"\n', ""), "campaign.due_before", "deadline_kind"),
    ],
)
def test_a_wrong_deadline_rule_is_one_line_naming_the_key_and_the_fix(tmp_path, change, key, fix):
    old, new = change
    text = departments_text()
    assert old in text
    with pytest.raises(ConfigError) as caught:
        load_settings(write(tmp_path, text.replace(old, new, 1)), env={})
    said = str(caught.value)
    assert "\n" not in said and f"mục {key}:" in said and fix in said


# --- the ledger, reminders and the final report of a campaign with one report --------------


@pytest.fixture
def world(tmp_path):
    settings = departments()
    settings = replace(
        settings,
        connections=Connections(
            inbox_url=f"maildir://{tmp_path / 'inbox'}",
            smtp_url=f"file://{tmp_path / 'outbox'}",
            db_url=f"sqlite:///{tmp_path / 'mailbot.db'}",
        ),
    )
    store = Store.open(settings.connections.db_url)
    yield settings, store
    store.close()


def arrive(settings, store, unit_id: str, moment: datetime, stated: date | None = None):
    raw = department_mail(settings, unit_id, moment, day=stated)
    message = InboundMessage(
        source="test", key=f"{unit_id}-{moment.isoformat()}", raw=raw, received_at=moment, size=len(raw)
    )
    reading, stored = service.ingest_message(settings, store, message, moment)
    assert stored
    return reading


def test_every_report_belongs_to_the_one_report_whatever_day_it_states_and_lateness_is_by_the_date(world):
    settings, store = world
    early = arrive(settings, store, "so-y-te", at(14, 10), stated=date(2020, 8, 14))
    last_second = arrive(settings, store, "so-noi-vu", at(16, 23, 59, 59), stated=date(2020, 8, 16))
    after = arrive(settings, store, "tinh-doan", at(17, 0, 0, 0), stated=date(2020, 8, 17))
    assert {r.period for r in (early, last_second, after)} == {date(2020, 8, 16)}
    assert (early.late, last_second.late, after.late) == (False, False, True)
    for asked in (date(2020, 8, 14), date(2020, 8, 16), date(2020, 8, 18)):
        ledger = service.day_ledger(settings, store, asked, at(18, 9))
        states = {u.unit: u.state for u in ledger.units}
        assert states["so-y-te"] == "on_time" and states["so-noi-vu"] == "on_time"
        assert states["tinh-doan"] == "late" and states["so-tu-phap"] == "missing"
        assert ledger.deadline.isoformat() == "2020-08-16T23:59:59+07:00"
        assert ledger.reported == 3 and ledger.expected == 24


def test_reminders_reach_the_missing_units_each_day_before_the_date_and_never_after(world):
    settings, store = world
    arrive(settings, store, "so-y-te", at(14, 10))
    first = service.send_reminders(settings, store, date(2020, 8, 15), at(15, 9))
    assert len(first) == 23 and "so-y-te" not in first
    again = service.send_reminders(settings, store, date(2020, 8, 15), at(15, 9, 1))  # the job twice: nothing more
    second = service.send_reminders(settings, store, date(2020, 8, 16), at(16, 9))
    assert again == first and len(second) == 23
    assert service.send_reminders(settings, store, date(2020, 8, 17), at(17, 9)) == []
    assert service.send_reminders(settings, store, date(2020, 8, 13), at(13, 9)) == []
    reminders = [m for m in store.mail("pending") if m.kind == "reminder"]
    assert len(reminders) == 46  # one per unit and day: the 15th and the 16th
    body = reminders[0].raw.decode("ascii", "replace")
    assert "=?utf-8?" in body.lower()  # Vietnamese subject, encoded


def test_the_reminder_names_the_date_the_report_is_due_before(world):
    from email import message_from_bytes
    from email.header import decode_header, make_header

    settings, store = world
    service.send_reminders(settings, store, date(2020, 8, 15), at(15, 9))
    mail = message_from_bytes(next(m for m in store.mail("pending") if m.kind == "reminder").raw)
    subject = str(make_header(decode_header(mail["Subject"])))
    plain = next(p for p in mail.walk() if p.get_content_type() == "text/plain")
    body = plain.get_payload(decode=True).decode("utf-8")
    assert "hạn trước ngày 17/8/2020" in subject and "hạn trước ngày 17/8/2020" in body
    assert re.search(r"trước 23(:| giờ )59 ngày 16/8/2020", body) and "kết quả cài đặt Bluezone" in subject


def test_the_final_report_is_the_one_report_of_the_campaign(world):
    settings, store = world
    arrive(settings, store, "so-y-te", at(14, 10))
    mail = service.send_report(settings, store, date(2020, 8, 17), at(17, 8))
    assert mail.key == "report:2020-08-16:1"
    assert store.get_state("report:2020-08-16:version") == "1"
    arrive(settings, store, "tinh-doan", at(17, 9))  # a late report changes the final report: an update goes out
    assert service.send_updates(settings, store, at(17, 10)) == [date(2020, 8, 16)]


def test_the_acknowledgement_of_the_one_report_names_its_deadline_not_a_day(world):
    from email import message_from_bytes

    settings, store = world
    arrive(settings, store, "so-y-te", at(15, 10, 1))
    ack = next(m for m in store.mail("pending") if m.kind == "ack")
    plain = next(p for p in message_from_bytes(ack.raw).walk() if p.get_content_type() == "text/plain")
    body = plain.get_payload(decode=True).decode("utf-8")
    assert "ghi nhận báo cáo của Quý đơn vị lúc 10 giờ 01 ngày 15/8/2020" in body
    assert re.search(r"đúng hạn \(hạn báo cáo: 23(:| giờ )59 ngày 16/8/2020\)", body), body
