"""`mailbot status --check`: one line and 0 (well), 1 (warning) or 2 (critical), as contract §7 says."""

from datetime import UTC, date, datetime, timedelta

import pytest
from service_helpers import clean_env, mailbot

from mailbot.health import held_report_key
from mailbot.models import InboundMessage, OutboundMail, Problem, Reading
from mailbot.store import Store

SOURCE = "imap://baocao.stttt%40haiduong.gov.vn@127.0.0.1:1143/INBOX"
STALE = 900  # heartbeat_stale_seconds of the shipped campaign


def now() -> datetime:
    return datetime.now(UTC)


def waiting_report(store: Store, arrived: datetime) -> None:
    raw = f"Subject: BC\r\nX-N: {arrived.isoformat()}\r\n\r\n1".encode()
    message = InboundMessage(source=SOURCE, key=arrived.isoformat(), raw=raw, received_at=arrived, size=len(raw))
    reading = Reading(
        path=None,
        message_id="<m@x>",
        sender="someone@example.org",
        received_at=arrived,
        period=arrived.date(),
        late=False,
        unit=None,
        figures={"installs": 1},
        problems=(Problem("unknown_sender", "?"),),
        subject="BC",
    )
    store.ingest(message, reading, [], None)


@pytest.fixture
def db(tmp_path):
    url = f"sqlite:///{tmp_path / 'mailbot.db'}"
    store = Store.open(url)
    yield store, url
    store.close()


def check(url: str, cwd):
    done = mailbot("status", "--check", env=clean_env(MAILBOT_DB_URL=url), cwd=cwd)
    assert done.stdout.count("\n") == 1 and done.stderr == "", done.stderr
    return done.returncode, done.stdout.strip()


def test_all_well_is_0(db, tmp_path):
    store, url = db
    store.record_heartbeat(SOURCE, now())
    code, line = check(url, tmp_path)
    assert code == 0 and line.startswith("OK: hộp thư imap://")


def test_a_stale_heartbeat_is_a_warning_and_three_times_as_stale_is_critical(db, tmp_path):
    store, url = db
    store.record_heartbeat(SOURCE, now() - timedelta(seconds=STALE + 60))
    assert check(url, tmp_path)[0] == 1
    store.record_heartbeat(SOURCE, now() - timedelta(seconds=3 * STALE + 60))
    code, line = check(url, tmp_path)
    assert code == 2 and line.startswith("NGHIÊM TRỌNG: hộp thư imap://")


def test_held_mail_and_a_report_waiting_more_than_two_hours_are_warnings(db, tmp_path):
    store, url = db
    store.record_heartbeat(SOURCE, now())
    waiting_report(store, now() - timedelta(minutes=30))
    assert check(url, tmp_path)[0] == 0  # waiting, but not for long
    waiting_report(store, now() - timedelta(hours=3))
    code, line = check(url, tmp_path)
    assert code == 1 and "1 báo cáo chờ kiểm tra quá 2 giờ" in line
    store.queue([OutboundMail("ack:1", "ack", ("a@b.vn",), "<a@x>", b"x")])
    (mail,) = store.claim_due(now())
    store.mark_held(mail.id, "550 no such user")
    code, line = check(url, tmp_path)
    assert code == 1 and "1 thư đi bị giữ lại" in line and "1 báo cáo chờ kiểm tra" in line


def test_a_store_that_cannot_be_opened_is_critical(tmp_path):
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    code, line = check(f"sqlite:///{blocked}/mailbot.db", tmp_path)
    assert code == 2 and line.startswith("NGHIÊM TRỌNG: ")


def test_an_inbox_never_read_is_critical(db, tmp_path):
    assert check(db[1], tmp_path) == (
        2,
        "NGHIÊM TRỌNG: hộp thư chưa được đọc lần nào; dịch vụ mailbot run có đang chạy không?",
    )


def test_status_shows_the_days_report_held_for_approval(db, tmp_path):
    store, url = db
    store.set_state(held_report_key(date(2020, 8, 14)), datetime(2020, 8, 14, 9, 30, tzinfo=UTC).isoformat())
    done = mailbot("status", "--date", "2020-08-14", env=clean_env(MAILBOT_DB_URL=url), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "Báo cáo tổng hợp theo lịch của ngày này chờ duyệt từ 16:30 14/8/2020" in " ".join(done.stdout.split())
    other = mailbot("status", "--date", "2020-08-13", env=clean_env(MAILBOT_DB_URL=url), cwd=tmp_path)
    assert "chờ duyệt" not in other.stdout
