"""A PostgreSQL connection lost in the middle of a transaction: one clear line, exit 1, nothing half-written.

The fault is injected inside the store's own transaction: a trigger on the submissions
table terminates the very backend that is writing (pg_terminate_backend, as an
administrator or a failing-over server does) while the third message is being stored,
after its row in `messages` and before the transaction commits.
"""

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import psycopg
from service_helpers import clean_env, mailbot

from mailbot.inbox import deliver_to_maildir
from mailbot.samples import district_workbook, report_mail
from mailbot.store import Store

MESSAGES = 5
LOST_AT = 3  # the connection dies while the third message is stored
BATCH = 2  # messages stored in one transaction: the third is the first of the second batch
ROOT = Path(__file__).resolve().parents[2]

LOSE_THE_CONNECTION = f"""
CREATE TABLE fault_count (n integer NOT NULL);
INSERT INTO fault_count VALUES (0);
CREATE FUNCTION lose_the_connection() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE fault_count SET n = n + 1;
    IF (SELECT n FROM fault_count) = {LOST_AT} THEN
        PERFORM pg_terminate_backend(pg_backend_pid());
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER lose_the_connection AFTER INSERT ON submissions
    FOR EACH ROW EXECUTE FUNCTION lose_the_connection();
"""


def seed(inbox) -> None:
    units = [("nam-sach", "Huyện Nam Sách"), ("tu-ky", "Huyện Tứ Kỳ"), ("gia-loc", "Huyện Gia Lộc")]
    for number in range(MESSAGES):
        unit, name = units[number % len(units)]
        sent = datetime(2020, 8, 14, 2, 0, tzinfo=UTC) + timedelta(minutes=10 * number)
        raw = report_mail(
            sender=f"vanphong.{unit.replace('-', '')}@haiduong.gov.vn",
            sender_name=f"Văn phòng {name}",
            to="baocao.stttt@haiduong.gov.vn",
            subject=f"Báo cáo ngày 14/8/2020 - {name} (lần {number + 1})",
            body="Kính gửi Sở TT&TT.",
            sent_at=sent,
            attachment_name="BC 14-8.xlsx",
            attachment=district_workbook(name, 17000 + number, date(2020, 8, 14), "Số lượng cài đặt Bluezone"),
        )
        deliver_to_maildir(inbox, raw, sent)


def counts(url: str) -> tuple[int, int, int]:
    """Messages, submissions, and acknowledgements queued or sent."""
    with psycopg.connect(url) as conn:
        return tuple(
            conn.execute(query).fetchone()[0]
            for query in (
                "SELECT count(*) FROM messages",
                "SELECT count(*) FROM submissions",
                "SELECT count(*) FROM outbox WHERE kind = 'ack'",
            )
        )


def test_a_connection_lost_inside_a_transaction_is_one_line_and_the_poll_resumes_after(postgres_url, tmp_path):
    seed(tmp_path / "inbox")
    Store.open(postgres_url).close()  # the schema, so that the fault can be set in it
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(LOSE_THE_CONNECTION)
    config = tmp_path / "mailbot.toml"
    shipped = (ROOT / "config" / "mailbot.toml").read_text(encoding="utf-8")
    config.write_text(shipped.replace("batch_size = 50", f"batch_size = {BATCH}"), encoding="utf-8")
    env = clean_env(
        MAILBOT_CONFIG=str(config),
        MAILBOT_INBOX_URL=f"maildir://{tmp_path / 'inbox'}",
        MAILBOT_SMTP_URL=f"file://{tmp_path / 'outbox'}",
        MAILBOT_DB_URL=postgres_url,
    )

    lost = mailbot("poll", "--once", env=env, cwd=tmp_path)

    assert lost.returncode == 1, lost.stdout + lost.stderr
    assert lost.stderr.count("\n") == 1 and "Traceback" not in lost.stderr
    assert lost.stderr.startswith(f"mailbot: Cơ sở dữ liệu {postgres_url} không làm được việc: ")
    assert "terminating connection" in lost.stderr and "không có gì bị ghi dở" in lost.stderr
    stored = LOST_AT - 1  # the first batch, whole
    assert counts(postgres_url) == (stored, stored, stored)  # the second batch left no trace: no half of it

    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute("DROP TRIGGER lose_the_connection ON submissions")
    resumed = mailbot("poll", "--once", env=env, cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stderr
    assert counts(postgres_url) == (MESSAGES, MESSAGES, MESSAGES)  # each message once, each answered once
    assert len(list((tmp_path / "outbox").glob("*-ack-*.eml"))) == MESSAGES
