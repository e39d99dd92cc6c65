"""The next batches are marked and read in the reading workers while the one before them is read and stored.

`mailbot poll --once` as a process on a Maildir, batches of two. The first message
pauses the reading of the first batch (b"MAILBOT-FAULT:pause", see mailbot.workers);
meanwhile the next two batches (batches.AHEAD) are already fetched and marked as being
worked on (marked together, as a batch is before it is read). Then every report is stored once, in the
mailbox's order, every mark ended, each unit answered once.
"""

import sqlite3
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

from robust.hostile import backlog, environment, now, pause_place, sender, spawn, submissions
from robust.hostile import test_config as campaign_file
from robust.test_new_mail_first import WAIT, wait_for

from mailbot.batches import AHEAD
from mailbot.inbox import deliver_to_maildir

UNITS = ("hai-duong", "chi-linh", "kinh-mon", "nam-sach", "kim-thanh", "thanh-ha")  # three batches of two


def marks(tmp_path: Path) -> int:
    """How many messages are marked as being worked on (0 before the store exists)."""
    try:
        with sqlite3.connect(tmp_path / "store" / "mailbot.db") as db:
            return db.execute("SELECT count(*) FROM meta WHERE key LIKE 'state:attempt:%'").fetchone()[0]
    except sqlite3.OperationalError:  # no store or no table yet
        return 0


def test_the_next_batches_are_marked_and_read_while_the_one_before_is_read(tmp_path):
    for number, raw in enumerate(backlog(UNITS, pause_at=0)):
        deliver_to_maildir(tmp_path / "inbox", raw, now() - timedelta(minutes=30 - number))
    pause = pause_place(tmp_path)
    env = environment(tmp_path, f"maildir://{tmp_path / 'inbox'}", MAILBOT_FAULT_PAUSE=str(pause))
    campaign_file(tmp_path, **{"batch_size = 50": "batch_size = 2", "# workers = 2 ": "workers = 2   "})
    poll = spawn("poll", "--once", env=env)
    try:
        wait_for(pause / "paused", poll)
        deadline = time.monotonic() + WAIT  # a bound on a wait that never ends without the feature
        while marks(tmp_path) < len(UNITS) and time.monotonic() < deadline:
            time.sleep(0.05)
        marked = marks(tmp_path)
        (pause / "go").touch()
        _, errors = poll.communicate(timeout=600)
    finally:
        if poll.poll() is None:
            poll.kill()
    assert poll.returncode == 0, errors[-3000:]
    assert AHEAD == 2 and marked == len(UNITS)  # the three batches, while the first one's reading waited

    assert [(unit, status) for _, unit, status, _ in submissions(tmp_path)] == [(u, "accepted") for u in UNITS]
    assert marks(tmp_path) == 0
    acks = [mail.read_bytes() for mail in (tmp_path / "outbox").glob("*.eml")]
    assert Counter(u for u in UNITS for ack in acks if sender(u)[0].encode() in ack) == Counter(UNITS)
