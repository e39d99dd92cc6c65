"""Several messages of a batch are read at once, one per reading worker, and stored in their order.

Real Dovecot, `mailbot poll --once` as a process with two reading workers. Two
attachments meet (b"MAILBOT-FAULT:meet", see mailbot.workers): each reader waits
until another reader is reading too, then fails as a crash does. Read one after the
other, the first would wait until the worker is stopped (file_too_large, "slow");
read at once, both crash (unreadable_file, "crashed"). A hanging reader among them
is stopped as before while the others go on; every report is stored in the order of
the mailbox, each unit answered once, and the mailbox mark is the last UID.
"""

import json
import sqlite3
from collections import Counter
from datetime import timedelta
from pathlib import Path

from robust.hostile import environment, good, mail, mailbot, now, sender
from robust.hostile import test_config as campaign_file

UNITS = ("hai-duong", "chi-linh", "kinh-mon", "nam-sach", "kim-thanh", "thanh-ha")
FAULTS = {1: b"meet", 3: b"meet", 4: b"hang"}  # by position in the mailbox


def reports() -> list[bytes]:
    return [
        mail(sender(unit), attachment=b"MAILBOT-FAULT:" + FAULTS[n] + b"\n") if n in FAULTS else good(sender(unit))
        for n, unit in enumerate(UNITS)
    ]


def stored(tmp_path: Path) -> tuple[list[tuple], int, list[str]]:
    with sqlite3.connect(tmp_path / "store" / "mailbot.db") as db:
        rows = db.execute("SELECT unit, status, problems FROM submissions ORDER BY id").fetchall()
        mark = db.execute("SELECT max(last_uid) FROM source_marks").fetchone()[0]
        acks = [r for (r,) in db.execute("SELECT recipients FROM outbox WHERE kind = 'ack'")]
    readings = [(u, st, tuple((p["code"], p.get("reason")) for p in json.loads(pr))) for u, st, pr in rows]
    return readings, mark, acks


def test_messages_are_read_at_once_and_stored_in_the_mailbox_order(tmp_path, imap_account, smtp_server):
    for number, raw in enumerate(reports()):
        imap_account.append(raw, now() - timedelta(minutes=30 - number))
    meeting = tmp_path / "meeting"
    meeting.mkdir()
    env = environment(tmp_path, imap_account.url(), MAILBOT_SMTP_URL=smtp_server.url, MAILBOT_FAULT_MEET=str(meeting))
    campaign_file(tmp_path, **{"# workers = 2 ": "workers = 2   "})  # the file MAILBOT_CONFIG names

    done = mailbot("poll", "--once", env=env)

    assert done.returncode == 0, done.stderr[-3000:]
    readings, mark, acks = stored(tmp_path)
    assert [unit for unit, _, _ in readings] == list(UNITS)  # in the mailbox's order
    codes = [{code for code, _ in problems} for _, _, problems in readings]
    assert [bool(c) for c in codes] == [n in FAULTS for n in range(len(UNITS))]
    for n in (1, 3):  # both met: read at the same time
        assert codes[n] == {"unreadable_file"}, readings[n]
    assert codes[4] == {"file_too_large"}, readings[4]  # the hanging reader was stopped, the others went on
    assert {status for n, (_, status, _) in enumerate(readings) if n not in FAULTS} == {"accepted"}
    assert mark == len(UNITS)
    assert Counter(acks) == Counter(f'["{sender(u)[0]}"]' for u in UNITS)
    assert len(list(meeting.iterdir())) == 2
