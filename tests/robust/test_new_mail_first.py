"""Mail that arrives while a backlog is being ingested is stored and answered before the rest of it.

Real Dovecot and aiosmtpd, `mailbot poll --once` as a process, batches of two. The
first message of a backlog of five pauses the ingest (b"MAILBOT-FAULT:pause", see
mailbot.workers); meanwhile a new report is APPENDed. Once the first batch is
stored, the new report is stored and answered before the three older ones (the
poll's delivery lane sends the first batch's answers meanwhile, and the new one
before the rest of the backlog's), and the mailbox mark stays
with the backlog: nothing is lost or doubled, on this poll or the next ones.
"""

import sqlite3
import subprocess
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

from robust.hostile import backlog, environment, good, mailbot, now, pause_place, sender, spawn, submissions
from robust.hostile import test_config as campaign_file

UNITS = ("hai-duong", "chi-linh", "kinh-mon", "nam-sach", "kim-thanh")
NEW, LATER = "thanh-ha", "cam-giang"
WAIT = 120.0  # seconds at most for the paused ingest to say so (a bound on a hang, not a measure)


def mark(tmp_path: Path) -> int:
    with sqlite3.connect(tmp_path / "store" / "mailbot.db") as db:
        return db.execute("SELECT max(last_uid) FROM source_marks").fetchone()[0]


def wait_for(path: Path, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + WAIT
    while not path.exists():
        assert process.poll() is None, process.communicate()[1][-3000:]
        assert time.monotonic() < deadline, f"the ingest never paused ({path})"
        time.sleep(0.05)


def test_a_report_that_arrives_during_a_backlog_is_stored_and_answered_before_the_rest(
    tmp_path, imap_account, smtp_server
):
    for number, raw in enumerate(backlog(UNITS, pause_at=0)):
        imap_account.append(raw, now() - timedelta(minutes=30 - number))
    pause = pause_place(tmp_path)
    env = environment(tmp_path, imap_account.url(), MAILBOT_SMTP_URL=smtp_server.url, MAILBOT_FAULT_PAUSE=str(pause))
    campaign_file(tmp_path, **{"batch_size = 50": "batch_size = 2"})  # the file MAILBOT_CONFIG names
    poll = spawn("poll", "--once", env=env)
    try:
        wait_for(pause / "paused", poll)
        imap_account.append(good(sender(NEW), figure=20_000), now())
        (pause / "go").touch()
        _, errors = poll.communicate(timeout=600)
    finally:
        if poll.poll() is None:
            poll.kill()
    assert poll.returncode == 0, errors[-3000:]

    order = [unit for _, unit, _, _ in submissions(tmp_path)]
    assert order == [*UNITS[:2], NEW, *UNITS[2:]]  # after the batch it arrived during, before the rest
    answered = [m.rcpt_tos[0] for m in smtp_server.messages]
    later = [answered.index(sender(unit)[0]) for unit in UNITS[2:]]
    assert answered.index(sender(NEW)[0]) < min(later)  # its answer went before the rest of the backlog's
    assert mark(tmp_path) == len(UNITS)  # the backlog's last UID: the new mail did not move the mark

    assert mailbot("poll", "--once", env=env).returncode == 0  # its UID comes up: known, not stored again
    imap_account.append(good(sender(LATER), figure=30_000), now())
    assert mailbot("poll", "--once", env=env).returncode == 0
    rows = submissions(tmp_path)
    assert [unit for _, unit, _, _ in rows] == [*order, LATER]
    assert {status for _, _, status, _ in rows} == {"accepted"}
    assert mark(tmp_path) == len(UNITS) + 2
    delivered = Counter(r for m in smtp_server.messages for r in m.rcpt_tos)
    assert delivered == Counter(sender(u)[0] for u in [*UNITS, NEW, LATER])  # each answered exactly once
