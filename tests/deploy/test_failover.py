"""More than one `mailbot run` on one PostgreSQL store: one serves the mailbox, the other stands by.

The serving instance is killed with SIGKILL in the middle of a batch (it kills itself on a
marked message, MAILBOT_READER_FAULTS=1); the one standing by takes over within a minute,
and every message is stored, counted and answered exactly once.
"""

from __future__ import annotations

import datetime as dt
import email
import signal

import pytest
from service_helpers import campaign_with, clean_env, start_service, stop_service, wait_until

from mailbot.config import load_settings
from mailbot.samples import district_workbook, report_mail
from mailbot.store import Store

VN = dt.timezone(dt.timedelta(hours=7))
POISONED = 5  # the sixth mail: in the second batch of four (or in the mail that arrived during the first)


def district_mail(unit, number: int, marked: bool) -> bytes:
    arrived = dt.datetime(2020, 8, 14, 15, number, tzinfo=VN)
    body = "Kính gửi Sở Thông tin và Truyền thông." + (" MAILBOT-FAULT:die" if marked else "")
    return report_mail(
        sender=unit.senders[0],
        sender_name=f"Văn phòng {unit.name}",
        to="baocao.stttt@haiduong.gov.vn",
        subject=f"{unit.name} báo cáo ngày 14/8/2020",
        body=body,
        sent_at=arrived,
        received_at=arrived,
        attachment_name="BC 14-8.xlsx",
        attachment=district_workbook(unit.name, 10000 + number, arrived.date(), "Số lượng cài đặt Bluezone"),
    )


def counts(url: str) -> tuple[int, int, int]:
    """(messages, submissions, outgoing mail) in the store."""
    store = Store.open(url)
    try:
        found = store.counts()
    finally:
        store.close()
    return found["messages"], found["submissions"], found["outbox"]


@pytest.mark.timeout(600)
def test_a_second_instance_takes_over_after_a_kill_9_mid_batch(tmp_path, imap_account, postgres_url):
    config = campaign_with(tmp_path, batch_size=4)
    outbox = tmp_path / "outbox"
    env = clean_env(
        MAILBOT_INBOX_URL=imap_account.url(with_password=False),
        MAILBOT_INBOX_PASSWORD=imap_account.password,
        MAILBOT_DB_URL=postgres_url,
        MAILBOT_SMTP_URL=f"file://{outbox}",
    )
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first, first_log = start_service(config, {**env, "MAILBOT_READER_FAULTS": "1"}, tmp_path / "a")
    second = None
    try:
        wait_until(lambda: "serves the mailbox" in first_log.read_text(), 120, "the first instance serving", first_log)
        second, second_log = start_service(config, env, tmp_path / "b")
        wait_until(lambda: "stands by" in second_log.read_text(), 120, "the second standing by", second_log)
        units = load_settings(config, env={}).units
        for number, unit in enumerate(units):
            imap_account.append(
                district_mail(unit, number, number == POISONED), dt.datetime(2020, 8, 14, 15, number, tzinfo=VN)
            )
        wait_until(lambda: first.poll() is not None, 120, "the first instance killed mid-batch", first_log)
        assert first.returncode == -signal.SIGKILL
        # Killed mid-batch, before storing the mail that killed it. How many it stored before depends on when each
        # mail arrived (mail that arrives during a poll is stored before the rest of the backlog), so it is read in
        # its own log (a line per message committed), not in the store, which the one standing by may be filling.
        stored_first = [line for line in first_log.read_text().splitlines() if "mailbot.service: stored <" in line]
        assert len(stored_first) < len(units)
        assert not any(f"unit={units[POISONED].id} " in line for line in stored_first)
        wait_until(lambda: "serves the mailbox" in second_log.read_text(), 60, "the take-over", second_log)
        wait_until(lambda: len(list(outbox.glob("*-ack-*.eml"))) >= len(units), 180, "every answer", second_log)
        assert counts(postgres_url) == (len(units), len(units), len(units))
        store = Store.open(postgres_url)
        try:
            subs = store.submissions_between(dt.date(2020, 8, 14), dt.date(2020, 8, 14))
            assert sorted(s.unit for s in subs) == sorted(u.id for u in units)
            assert all(s.status == "accepted" for s in subs)
            assert {m.state for m in store.mail()} == {"sent"}
        finally:
            store.close()
        answers = [email.message_from_bytes(p.read_bytes()) for p in outbox.glob("*-ack-*.eml")]
        assert len(answers) == len(units) == len({a["Message-ID"] for a in answers})
    finally:
        stop_service(first)
        if second is not None:
            stop_service(second)
