"""A full disk or a read-only store stops a poll with one clear line; nothing is half-written; it resumes after."""

import os
import resource
import sqlite3
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from service_helpers import clean_env

from mailbot.inbox import deliver_to_maildir
from mailbot.samples import district_workbook, report_mail

MESSAGES = 40
BATCH = 5  # messages stored in one transaction: the poll stops at a whole batch
ROOT = Path(__file__).resolve().parents[2]
PADDING = "Số liệu kèm theo. " * 4000  # about 70 KB of text per message: forty of them do not fit
DISK_BYTES = 1024 * 1024


class SmallDisk:
    """A 1 MiB tmpfs when root may mount one, else a file size limit on the mailbot process."""

    def __init__(self, path):
        self.path = path
        path.mkdir()
        self.mounted = os.geteuid() == 0 and self._mount(f"size={DISK_BYTES}")
        self.limited = not self.mounted

    def _mount(self, options: str, remount: bool = False) -> bool:
        args = ["mount", "-o", ("remount," if remount else "") + options]
        args += [str(self.path)] if remount else ["-t", "tmpfs", "tmpfs", str(self.path)]
        return subprocess.run(args, capture_output=True).returncode == 0

    def grow(self) -> None:
        if self.mounted:
            assert self._mount("size=64m", remount=True)
        self.limited = False

    def read_only(self, on: bool) -> bool:
        return self.mounted and self._mount("ro" if on else "rw", remount=True)

    def limit(self):
        if self.limited:
            resource.setrlimit(resource.RLIMIT_FSIZE, (DISK_BYTES, DISK_BYTES))

    def release(self) -> None:
        if self.mounted:
            subprocess.run(["umount", "-l", str(self.path)], capture_output=True)


@pytest.fixture
def small_disk(tmp_path):
    disk = SmallDisk(tmp_path / "disk")
    yield disk
    disk.release()


def seed(inbox, count: int, first: int = 0) -> None:
    day = date(2020, 8, 14)
    for number in range(first, first + count):
        sent = datetime(2020, 8, 14, 1, 0, tzinfo=UTC) + timedelta(minutes=number)
        raw = report_mail(
            sender="vanphong.namsach@haiduong.gov.vn",
            sender_name="Văn phòng Huyện Nam Sách",
            to="baocao.stttt@haiduong.gov.vn",
            subject=f"Báo cáo ngày 14/8/2020 (lần {number + 1})",
            body=PADDING,
            sent_at=sent,
            attachment_name="BC 14-8.xlsx",
            attachment=district_workbook("Huyện Nam Sách", 17000 + number, day, "Số lượng cài đặt Bluezone"),
        )
        deliver_to_maildir(inbox, raw, sent)


def poll(env, cwd, disk: SmallDisk) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "mailbot", "poll", "--once"],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=300,
        preexec_fn=disk.limit,
    )


def store_counts(db) -> tuple[int, int, str]:
    with sqlite3.connect(db) as conn:
        return (
            conn.execute("SELECT count(*) FROM messages").fetchone()[0],
            conn.execute("SELECT count(*) FROM submissions").fetchone()[0],
            conn.execute("PRAGMA integrity_check").fetchone()[0],
        )


def test_a_full_disk_is_one_line_and_the_poll_resumes_after(small_disk, tmp_path):
    seed(tmp_path / "inbox", MESSAGES)
    db = small_disk.path / "mailbot.db"
    config = tmp_path / "mailbot.toml"
    shipped = (ROOT / "config" / "mailbot.toml").read_text(encoding="utf-8")
    config.write_text(shipped.replace("batch_size = 50", f"batch_size = {BATCH}"), encoding="utf-8")
    env = clean_env(
        MAILBOT_CONFIG=str(config),
        MAILBOT_INBOX_URL=f"maildir://{tmp_path / 'inbox'}",
        MAILBOT_SMTP_URL=f"file://{tmp_path / 'outbox'}",
        MAILBOT_DB_URL=f"sqlite:///{db}",
    )
    full = poll(env, tmp_path, small_disk)
    assert full.returncode == 1
    assert full.stderr.count("\n") == 1 and full.stderr.startswith(f"mailbot: Cơ sở dữ liệu sqlite:///{db} ")
    assert "Traceback" not in full.stderr
    messages, submissions, check = store_counts(db)
    assert 0 < messages < MESSAGES and messages % BATCH == 0  # it stopped part way, at a whole batch …
    assert messages == submissions and check == "ok"  # … with every stored message whole

    small_disk.grow()
    resumed = poll(env, tmp_path, small_disk)
    assert resumed.returncode == 0, resumed.stderr
    assert store_counts(db) == (MESSAGES, MESSAGES, "ok")  # each one once


def test_a_read_only_store_is_one_line(small_disk, tmp_path):
    if not small_disk.mounted:
        pytest.skip("a read-only file system needs a tmpfs, and mounting one needs root")
    small_disk.grow()
    seed(tmp_path / "inbox", 1)
    db = small_disk.path / "mailbot.db"
    env = clean_env(
        MAILBOT_INBOX_URL=f"maildir://{tmp_path / 'inbox'}",
        MAILBOT_SMTP_URL=f"file://{tmp_path / 'outbox'}",
        MAILBOT_DB_URL=f"sqlite:///{db}",
    )
    assert poll(env, tmp_path, small_disk).returncode == 0
    seed(tmp_path / "inbox", 1, first=1)
    assert small_disk.read_only(True)
    try:
        refused = poll(env, tmp_path, small_disk)
    finally:
        small_disk.read_only(False)
    assert refused.returncode == 1 and refused.stderr.count("\n") == 1, refused.stderr
    assert refused.stderr.startswith("mailbot: ") and "Traceback" not in refused.stderr
    assert poll(env, tmp_path, small_disk).returncode == 0
    assert store_counts(db) == (2, 2, "ok")
