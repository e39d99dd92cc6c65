"""The service's cycle through real parts: a Maildir, SQLite, and aiosmtpd on loopback."""

from dataclasses import replace
from datetime import date, datetime, time

import pytest

from mailbot import service
from mailbot.config import Connections, load_settings
from mailbot.inbox import deliver_to_maildir
from mailbot.samples import district_workbook, report_mail
from mailbot.store import Store

DAY = date(2020, 8, 14)


@pytest.fixture
def settings(tmp_path, smtp_server):
    base = load_settings("config/mailbot.toml", env={})
    inbox = tmp_path / "inbox"
    for sub in ("new", "cur", "tmp"):
        (inbox / sub).mkdir(parents=True)
    connections = Connections(
        inbox_url=f"maildir://{inbox}", smtp_url=smtp_server.url, db_url=f"sqlite:///{tmp_path / 'mailbot.db'}"
    )
    return replace(base, connections=connections)


@pytest.fixture
def store(settings):
    opened = Store.open(settings.connections.db_url)
    yield opened
    opened.close()


def at(hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime.combine(
        DAY, time(hour, minute, second), tzinfo=load_settings("config/mailbot.toml", env={}).campaign.tz
    )


def send(
    settings, unit_id: str, figure: int | None, arrived: datetime, attach: bool = True, message_id: bool = True
) -> bytes:
    """A unit's office mails its report; it lands in the Maildir at `arrived`."""
    unit = settings.unit(unit_id)
    label = settings.campaign.metrics[0].label
    raw = report_mail(
        sender=unit.senders[0],
        sender_name=f"Văn phòng {unit.name}",
        to=settings.campaign.reporting_mailbox,
        subject=f"Báo cáo Bluezone ngày 14/8/2020 - {unit.name}",
        body="Kính gửi Sở TT&TT.",
        sent_at=arrived,
        attachment_name="baocao.xlsx",
        attachment=district_workbook(unit.name, figure, DAY, label) if attach else None,
    )
    if not message_id:  # some office mail clients send none
        raw = b"".join(line for line in raw.splitlines(keepends=True) if not line.startswith(b"Message-ID:"))
    deliver_to_maildir(settings.connections.inbox_url.removeprefix("maildir://"), raw, arrived)
    return raw


def test_each_report_is_acknowledged_once(settings, store, smtp_server):
    send(settings, "nam-sach", 17356, at(9, 5))
    send(settings, "tu-ky", 20836, at(10, 40))
    service.run_cycle(settings, store, at(10, 45))
    acks = smtp_server.messages
    assert sorted(m.rcpt_tos[0] for m in acks) == ["vanphong.namsach@haiduong.gov.vn", "vanphong.tuky@haiduong.gov.vn"]
    assert all(m.message["In-Reply-To"] and m.message["Subject"].startswith("Re:") for m in acks)
    assert "17.356" in next(m for m in acks if "namsach" in m.rcpt_tos[0]).message.get_body(("plain",)).get_content()
    service.run_cycle(settings, store, at(10, 50))
    assert len(smtp_server.messages) == 2
    assert store.counts()["submissions"] == 2


def test_reminders_reach_exactly_the_units_with_nothing_counted(settings, store, smtp_server):
    send(settings, "nam-sach", 17356, at(9, 5))
    send(settings, "tu-ky", 20836, at(10, 40))
    send(settings, "gia-loc", None, at(11, 0), attach=False)  # rejected: no spreadsheet
    service.run_cycle(settings, store, at(11, 5))
    acks = len(smtp_server.messages)
    reminded = service.send_reminders(settings, store, DAY, at(15, 0))
    service.deliver(settings, store, at(15, 0))
    expected = {u.id for u in settings.units} - {"nam-sach", "tu-ky"}
    assert set(reminded) == expected and "gia-loc" in reminded
    reminders = smtp_server.messages[acks:]
    assert sorted(r for m in reminders for r in m.rcpt_tos) == sorted(settings.unit(u).senders[0] for u in expected)
    service.send_reminders(settings, store, DAY, at(15, 1))  # the job running twice sends nothing more
    service.deliver(settings, store, at(15, 1))
    assert len(smtp_server.messages) == acks + len(expected)


def test_a_late_report_sends_an_updated_consolidated_report(settings, store, smtp_server):
    for number, unit in enumerate(settings.units[:-1]):
        send(settings, unit.id, 10000 + number, at(9, number))
    service.run_cycle(settings, store, at(15, 30))
    service.send_report(settings, store, DAY, at(16, 30))
    service.deliver(settings, store, at(16, 30))
    first = [m for m in smtp_server.messages if "stttt@haiduong.gov.vn" in m.rcpt_tos]
    assert len(first) == 1
    service.run_cycle(settings, store, at(16, 45))  # nothing changed: no update
    assert len([m for m in smtp_server.messages if "stttt@haiduong.gov.vn" in m.rcpt_tos]) == 1
    send(settings, settings.units[-1].id, 12174, at(17, 10))
    service.run_cycle(settings, store, at(17, 15))
    reports = [m for m in smtp_server.messages if "stttt@haiduong.gov.vn" in m.rcpt_tos]
    assert len(reports) == 2
    assert reports[1].message["Subject"] != reports[0].message["Subject"]
    state = service.day_ledger(settings, store, DAY, at(17, 15))
    assert state.units[-1].state == "late" and state.reported == 12


def test_updates_can_be_turned_off(settings, store, smtp_server):
    settings = replace(settings, schedule=replace(settings.schedule, send_updates=False))
    send(settings, "nam-sach", 17356, at(9, 5))
    service.run_cycle(settings, store, at(9, 10))
    service.send_report(settings, store, DAY, at(16, 30))
    send(settings, "tu-ky", 20836, at(17, 0))
    service.run_cycle(settings, store, at(17, 5))
    service.deliver(settings, store, at(17, 5))
    assert len([m for m in smtp_server.messages if "stttt@haiduong.gov.vn" in m.rcpt_tos]) == 1


def test_a_correction_after_the_deadline_stays_on_time(settings, store, smtp_server):
    send(settings, "nam-sach", 17356, at(15, 0))
    service.run_cycle(settings, store, at(15, 5))
    send(settings, "nam-sach", 17400, at(16, 30))
    service.run_cycle(settings, store, at(16, 35))
    line = next(u for u in service.day_ledger(settings, store, DAY, at(16, 40)).units if u.unit == "nam-sach")
    assert line.state == "on_time" and line.figures == {"installs": 17400} and line.correction
    correction_ack = smtp_server.messages[-1].message.get_body(("plain",)).get_content()
    assert "17.356" in correction_ack and "17.400" in correction_ack


def test_the_deadline_second(settings, store, smtp_server):
    send(settings, "nam-sach", 17356, at(16, 0, 0))
    send(settings, "tu-ky", 20836, at(16, 0, 1))
    service.run_cycle(settings, store, at(16, 5))
    states = {u.unit: u.state for u in service.day_ledger(settings, store, DAY, at(16, 5)).units}
    assert states["nam-sach"] == "on_time" and states["tu-ky"] == "late"


def test_mails_without_a_message_id_are_each_kept_counted_and_answered(settings, store, smtp_server):
    first = send(settings, "nam-sach", 17000, at(9, 5), message_id=False)
    send(settings, "tu-ky", 20836, at(10, 40), message_id=False)
    send(settings, "nam-sach", 17356, at(11, 0), message_id=False)  # Nam Sách's corrected figure
    assert b"Message-ID" not in first
    service.run_cycle(settings, store, at(11, 5))
    service.run_cycle(settings, store, at(11, 10))  # polling again adds nothing

    assert store.counts()["messages"] == 3 and store.counts()["submissions"] == 3
    units = {u.unit: u for u in service.day_ledger(settings, store, DAY, at(11, 10)).units}
    assert units["nam-sach"].figures == {"installs": 17356} and units["nam-sach"].submissions == 2
    assert units["tu-ky"].figures == {"installs": 20836} and units["tu-ky"].submissions == 1
    acks = smtp_server.messages
    assert sorted(m.rcpt_tos[0] for m in acks) == [
        "vanphong.namsach@haiduong.gov.vn",
        "vanphong.namsach@haiduong.gov.vn",
        "vanphong.tuky@haiduong.gov.vn",
    ]
    assert len({m.message["Message-ID"] for m in acks}) == 3
    told = [m.message.get_body(("plain",)).get_content() for m in acks if "namsach" in m.rcpt_tos[0]]
    assert "17.000" in told[0] and "17.356" in told[1]
