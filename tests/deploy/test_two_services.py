"""Two `mailbot run` services started at the same moment on a fresh PostgreSQL database.

Both migrate the empty database at once (the migration lock keeps them apart); both
keep running; the inbox lock lets one poll at a time, so each mail is stored and
answered once.
"""

from datetime import UTC, date, datetime, timedelta

import psycopg
from service_helpers import SHIPPED, clean_env, start_service, stop_service, wait_until

from mailbot.inbox import deliver_to_maildir
from mailbot.samples import district_workbook, report_mail

MESSAGES = 3


def seed(inbox) -> None:
    for number, (unit, name) in enumerate(
        [("namsach", "Huyện Nam Sách"), ("tuky", "Huyện Tứ Kỳ"), ("gialoc", "Huyện Gia Lộc")]
    ):
        sent = datetime(2020, 8, 14, 2, 0, tzinfo=UTC) + timedelta(minutes=number)
        raw = report_mail(
            sender=f"vanphong.{unit}@haiduong.gov.vn",
            sender_name=f"Văn phòng {name}",
            to="baocao.stttt@haiduong.gov.vn",
            subject=f"Báo cáo ngày 14/8/2020 - {name}",
            body="Kính gửi Sở TT&TT.",
            sent_at=sent,
            attachment_name="BC 14-8.xlsx",
            attachment=district_workbook(name, 17000 + number, date(2020, 8, 14), "Số lượng cài đặt Bluezone"),
        )
        deliver_to_maildir(inbox, raw, sent)


def stored(url: str) -> tuple[int, int] | None:
    try:
        with psycopg.connect(url) as conn:
            messages = conn.execute("SELECT count(*) FROM messages").fetchone()[0]
            acks = conn.execute("SELECT count(*) FROM outbox WHERE kind = 'ack'").fetchone()[0]
    except psycopg.Error:  # the tables are not made yet
        return None
    return (messages, acks)


def test_two_services_started_together_on_a_fresh_postgresql_both_run(postgres_url, tmp_path):
    seed(tmp_path / "inbox")
    env = clean_env(
        MAILBOT_INBOX_URL=f"maildir://{tmp_path / 'inbox'}",
        MAILBOT_SMTP_URL=f"file://{tmp_path / 'outbox'}",
        MAILBOT_DB_URL=postgres_url,
    )
    folders = [tmp_path / "one", tmp_path / "two"]
    for folder in folders:
        folder.mkdir()
    services = [start_service(SHIPPED, env, folder) for folder in folders]  # at the same moment
    try:
        wait_until(lambda: stored(postgres_url) == (MESSAGES, MESSAGES), 120, "the mail stored", services[0][1])
        wait_until(
            lambda: len(list((tmp_path / "outbox").glob("*-ack-*.eml"))) == MESSAGES, 60, "the acks", services[0][1]
        )
        for process, log in services:
            shown = log.read_text(errors="replace")
            assert process.poll() is None, shown  # neither died in the migrations
            assert "Traceback" not in shown and "duplicate key" not in shown, shown
    finally:
        for process, _ in services:
            stop_service(process)
    assert [process.returncode for process, _ in services] == [0, 0]  # both stopped in order on SIGTERM
    assert stored(postgres_url) == (MESSAGES, MESSAGES)  # each mail once, answered once
