"""A message that breaks something is that message's problem: stored, rejected, and the next report counts.

Each fault is caused for real: in a reader's worker process (an exception, a panic,
a segfault, running out of memory or time, crafted workbooks that make calamine
panic or abort), in the ingesting process itself (a From address with raw 8-bit
bytes or a NUL, a multipart nested 2,000 deep), and the process killed in the
middle of a message.
"""

import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

from robust.hostile import (
    CRASHING_FILES,
    FAULTS,
    GIA_LOC,
    NAM_SACH,
    ROOT,
    bad_from,
    crashing,
    environment,
    fault,
    good,
    mailbot,
    nested,
    now,
    raw_messages,
    stored_so_far,
    submissions,
)

from mailbot.inbox import deliver_to_maildir  # noqa: E402

WAIT_LIMIT = 180


def poison() -> list[tuple[str, bytes]]:
    mails = [(f"reader {kind}", fault(kind)) for kind in FAULTS]
    mails += [(name, crashing(name)) for name in CRASHING_FILES]
    mails += [
        ("8-bit From", bad_from(b"Van phong \xff\xfe <vanphong.namsach\xe9@haiduong.gov.vn>")),
        ("NUL in From", bad_from(b"Van phong <vanphong.namsach\x00@haiduong.gov.vn>")),
        ("nested 2000 deep", nested(2000)),
    ]
    return mails


def fill(inbox: Path, mails: list[bytes]) -> None:
    start = now() - timedelta(minutes=len(mails) + 1)
    for number, raw in enumerate(mails):
        deliver_to_maildir(inbox, raw, start + timedelta(minutes=number))  # in this order


def check_outcome(tmp_path: Path, bad: int) -> None:
    stored = submissions(tmp_path)
    assert len(stored) == bad + 1 and raw_messages(tmp_path) == bad + 1
    *rejected, last = stored
    assert all(status == "rejected" for _, _, status, _ in rejected), rejected
    assert all(codes and set(codes) <= {"unreadable_file", "file_too_large"} for *_, codes in rejected), rejected
    assert last[:3] == (GIA_LOC[0], "gia-loc", "accepted")


def test_poll_once_stores_every_poison_message_as_rejected_and_counts_the_next_report(tmp_path):
    mails = poison()
    fill(tmp_path / "inbox", [raw for _, raw in mails] + [good()])
    env = environment(tmp_path, f"maildir://{tmp_path / 'inbox'}")
    result = mailbot("poll", "--once", env=env)
    assert result.returncode == 0, result.stderr[-3000:]
    check_outcome(tmp_path, len(mails))
    acks = list((tmp_path / "outbox").glob("*.eml"))
    assert any(b"vanphong.gialoc@haiduong.gov.vn" in a.read_bytes() for a in acks)
    # no acknowledgement to an address that cannot be written as it is
    assert not any(b"\xff" in a.read_bytes() or b"\x00" in a.read_bytes() for a in acks)


def test_mailbot_run_survives_the_same_mail_and_counts_the_next_report(tmp_path):
    mails = poison()
    fill(tmp_path / "inbox", [raw for _, raw in mails] + [good()])
    env = environment(tmp_path, f"maildir://{tmp_path / 'inbox'}")
    service = subprocess.Popen(
        [sys.executable, "-m", "mailbot", "run"], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    try:
        deadline = time.monotonic() + WAIT_LIMIT
        while time.monotonic() < deadline and service.poll() is None:
            if stored_so_far(tmp_path) > len(mails):
                break
            time.sleep(0.5)
        assert service.poll() is None, "mailbot run died"
        check_outcome(tmp_path, len(mails))
        service.send_signal(signal.SIGTERM)
        output, _ = service.communicate(timeout=WAIT_LIMIT)
    finally:
        if service.poll() is None:
            service.kill()
    assert service.returncode == 0, output[-3000:]


def test_a_message_during_which_the_process_died_is_tried_alone_once_more_then_stored_unread(tmp_path):
    killer = good().replace(b"Subject: ", b"X-Test: MAILBOT-FAULT:die\nSubject: ", 1)
    fill(tmp_path / "inbox", [killer, good()])
    env = environment(tmp_path, f"maildir://{tmp_path / 'inbox'}")
    together = mailbot("poll", "--once", env=env)  # read at the same time as the good report
    alone = [mailbot("poll", "--once", env=env) for _ in range(2)]  # then worked on alone
    assert [p.returncode for p in [together, *alone]] == [-signal.SIGKILL] * 3  # died each time on it
    assert submissions(tmp_path) == []
    last = mailbot("poll", "--once", env=env)
    assert last.returncode == 0, last.stderr[-3000:]
    [unread, counted] = submissions(tmp_path)
    assert unread[2:] == ("rejected", ("unreadable_file",))
    assert counted[:3] == (GIA_LOC[0], "gia-loc", "accepted")
    assert raw_messages(tmp_path) == 2
    assert mailbot("poll", "--once", env=env).returncode == 0 and len(submissions(tmp_path)) == 2


def test_a_message_that_breaks_its_parser_is_stored_unread_and_the_others_are_read(tmp_path):
    """The whole reading of a message happens in a worker: taking the message apart (mailbot.reading.mail.parse) too."""
    breakers = [b"MAILBOT-FAULT:" + kind + b"\r\n" + good(NAM_SACH) for kind in (b"segfault", b"memory", b"cpu")]
    fill(tmp_path / "inbox", [*breakers, good()])
    env = environment(tmp_path, f"maildir://{tmp_path / 'inbox'}")

    result = mailbot("poll", "--once", env=env)

    assert result.returncode == 0, result.stderr[-3000:]
    *unread, counted = submissions(tmp_path)
    assert [(sender, status, codes) for sender, _, status, codes in unread] == [
        (None, "rejected", ("unreadable_file",))
    ] * len(breakers)
    assert counted[:3] == (GIA_LOC[0], "gia-loc", "accepted")
    assert raw_messages(tmp_path) == len(breakers) + 1
