"""A batch of messages is stored in one transaction with the mailbox mark written last.

A failure inside the store's ingest transaction is caused for real in a `mailbot poll
--once` process reading a real Dovecot mailbox (MAILBOT_READER_FAULTS=1, see
mailbot.store.messages): b"MAILBOT-FAULT:store-die" in a message kills the process
with the transaction open, b"MAILBOT-FAULT:store-error" fails the store as a full disk
does; once (MAILBOT_FAULT_ONCE names the file that says it happened). The batches before stay stored
whole, the failing batch leaves nothing (message, submission, acknowledgement, mark),
and the next poll stores and answers every report exactly once (an answer the killed poll's
delivery lane had handed over without confirming it may go out once more).
"""

import signal
import sqlite3
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from robust.hostile import environment, good, mailbot, now, sender, submissions
from robust.hostile import test_config as campaign_file

BATCH = 3
UNITS = ("hai-duong", "chi-linh", "kinh-mon", "nam-sach", "kim-thanh", "thanh-ha", "cam-giang")
FAULTY = 4  # the fifth report, in the second batch
AHEAD = len(UNITS) - 2 * BATCH  # the third batch: marked and being read while the second is stored


def reports(fault: bytes) -> list[bytes]:
    mails = [good(sender(unit), figure=10_000 + n) for n, unit in enumerate(UNITS)]
    mails[FAULTY] = mails[FAULTY].replace(b"Subject: ", b"X-Test: MAILBOT-FAULT:" + fault + b"\nSubject: ", 1)
    return mails


def stored(tmp_path: Path) -> dict:
    with sqlite3.connect(tmp_path / "store" / "mailbot.db") as db:
        one = lambda sql: db.execute(sql).fetchone()[0]  # noqa: E731
        return {
            "messages": one("SELECT count(*) FROM messages"),
            "acks": sorted(r for (r,) in db.execute("SELECT recipients FROM outbox WHERE kind = 'ack'")),
            "mark": one("SELECT coalesce(max(last_uid), 0) FROM source_marks"),
            "attempts": one("SELECT count(*) FROM meta WHERE key LIKE 'state:attempt:%'"),
        }


def addresses(units) -> list[str]:
    return sorted(f'["{sender(u)[0]}"]' for u in units)


@pytest.mark.parametrize(
    ("fault", "exit_code", "marked"),
    [(b"store-die", -signal.SIGKILL, BATCH + AHEAD), (b"store-error", 1, 0)],
    ids=["killed", "store-failed"],
)
def test_a_failure_inside_the_batch_transaction_loses_no_report_and_doubles_none(
    tmp_path, imap_account, smtp_server, fault, exit_code, marked
):
    for number, raw in enumerate(reports(fault)):
        imap_account.append(raw, now() - timedelta(minutes=30 - number))
    env = environment(
        tmp_path,
        imap_account.url(),
        MAILBOT_SMTP_URL=smtp_server.url,
        MAILBOT_FAULT_ONCE=str(tmp_path / "fault-happened"),
    )
    campaign_file(tmp_path, **{"batch_size = 50": f"batch_size = {BATCH}"})  # the file MAILBOT_CONFIG names
    failed = mailbot("poll", "--once", env=env)
    assert failed.returncode == exit_code, failed.stderr[-3000:]
    first_batch = UNITS[:BATCH]
    assert [unit for _, unit, _, _ in submissions(tmp_path)] == list(first_batch)
    assert stored(tmp_path) == {
        "messages": BATCH,
        "acks": addresses(first_batch),
        "mark": BATCH,  # the UID of the first batch's last message: the failing batch did not move it
        "attempts": marked,  # killed: the failing batch's messages and the next one's stay marked as being worked on
    }
    assert (tmp_path / "fault-happened").exists()
    handed_over = Counter(r for m in smtp_server.messages for r in m.rcpt_tos)  # the delivery lane sends meanwhile
    assert set(handed_over) <= {sender(u)[0] for u in first_batch}  # answers to what was stored, and only those

    again = mailbot("poll", "--once", env=env)
    assert again.returncode == 0, again.stderr[-3000:]
    rows = submissions(tmp_path)
    assert [unit for _, unit, _, _ in rows] == list(UNITS)
    assert {status for _, _, status, _ in rows} == {"accepted"}
    assert stored(tmp_path) == {"messages": len(UNITS), "acks": addresses(UNITS), "mark": len(UNITS), "attempts": 0}
    delivered, once = Counter(r for m in smtp_server.messages for r in m.rcpt_tos), Counter(sender(u)[0] for u in UNITS)
    assert set(delivered) == set(once)  # every unit answered
    # exactly once, but for an answer the killed poll had handed over before it could confirm it (sent again)
    assert delivered - once <= (handed_over if exit_code == -signal.SIGKILL else Counter())

    sent = len(smtp_server.messages)
    assert mailbot("poll", "--once", env=env).returncode == 0  # and nothing more on the poll after
    assert len(submissions(tmp_path)) == len(UNITS) and len(smtp_server.messages) == sent
