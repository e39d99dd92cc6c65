"""`mailbot poll --once` and `mailbot run` as real processes against Dovecot, SQLite in tmp_path."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from fixtures_dovecot import ImapAccount
from inbox_helpers import VN

from mailbot.config import load_settings
from mailbot.samples import district_workbook, report_mail

ROOT = Path(__file__).resolve().parents[2]
DAY = dt.date(2020, 8, 14)
WAIT_SECONDS = 60
SHIPPED = load_settings(ROOT / "config/mailbot.toml", env={})


@pytest.fixture
def world(tmp_path, imap_account):
    """A config with small batches and slow periodic polls, and the environment of a deployment."""
    config = (ROOT / "config/mailbot.toml").read_text(encoding="utf-8")
    config = config.replace("batch_size = 50", "batch_size = 3").replace(
        "poll_every_seconds = 60", "poll_every_seconds = 600"
    )
    (tmp_path / "mailbot.toml").write_text(config, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAILBOT_")}
    env.update(
        MAILBOT_CONFIG=str(tmp_path / "mailbot.toml"),
        MAILBOT_INBOX_URL=imap_account.url(with_password=False),
        MAILBOT_INBOX_PASSWORD=imap_account.password,
        MAILBOT_DB_URL=f"sqlite:///{tmp_path / 'mailbot.db'}",
        MAILBOT_SMTP_URL=f"file://{tmp_path / 'outbox'}",
    )
    return World(tmp_path, imap_account, env)


class World:
    def __init__(self, folder: Path, account: ImapAccount, env: dict) -> None:
        self.folder, self.account, self.env = folder, account, env

    def run(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "mailbot", *args],
            capture_output=True,
            text=True,
            env=self.env,
            cwd=ROOT,
            timeout=180,
        )

    def spawn(self, *args: str) -> subprocess.Popen:
        return subprocess.Popen(
            [sys.executable, "-m", "mailbot", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=self.env,
            cwd=ROOT,
        )

    def count(self, table: str) -> int:
        return int(self.query(f"SELECT count(*) FROM {table}") or 0)

    def query(self, sql: str):
        path = self.folder / "mailbot.db"
        if not path.exists():
            return None
        try:
            with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5) as conn:
                row = conn.execute(sql).fetchone()
        except sqlite3.OperationalError:  # not created yet
            return None
        return row[0] if row else None

    def acks(self) -> list[Path]:
        return sorted((self.folder / "outbox").glob("*-ack-*.eml"))

    def report(self, unit_id: str, figure: int, arrived: dt.datetime, sent: dt.datetime | None = None) -> bytes:
        unit = SHIPPED.unit(unit_id)
        raw = report_mail(
            sender=unit.senders[0],
            sender_name=f"Văn phòng {unit.name}",
            to=SHIPPED.campaign.reporting_mailbox,
            subject=f"Báo cáo Bluezone ngày 14/8/2020 - {unit.name}",
            body="Kính gửi Sở TT&TT.",
            sent_at=sent or arrived,
            attachment_name="baocao.xlsx",
            attachment=district_workbook(unit.name, figure, DAY, SHIPPED.campaign.metrics[0].label),
        )
        self.account.append(raw, arrived)
        return raw

    def many_reports(self, count: int) -> None:
        units = [u.id for u in SHIPPED.units]
        for n in range(count):
            self.report(
                units[n % len(units)], 10_000 + n, dt.datetime(2020, 8, 14, 9, 0, tzinfo=VN) + dt.timedelta(minutes=n)
            )


def wait_until(condition, what: str, process: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while not condition():
        if process is not None and process.poll() is not None:
            raise AssertionError(f"mailbot exited ({process.returncode}) before {what}: {process.stderr.read()}")
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.02)


def test_a_late_report_by_internaldate_and_a_second_poll_adds_nothing(world):
    world.report("nam-sach", 17356, dt.datetime(2020, 8, 14, 15, 42, tzinfo=VN))
    world.report(
        "tu-ky", 20836, dt.datetime(2020, 8, 14, 16, 20, tzinfo=VN), sent=dt.datetime(2020, 8, 14, 15, 0, tzinfo=VN)
    )
    before = world.account.listing()

    first = world.run("poll", "--once")
    assert first.returncode == 0, first.stderr
    again = world.run("poll", "--once")
    assert again.returncode == 0, again.stderr
    assert world.count("messages") == 2 and len(world.acks()) == 2
    assert world.account.listing() == before  # nothing marked, moved or deleted

    status = world.run("status", "--date", "2020-08-14", "--json")
    units = {u["unit"]: u for u in json.loads(status.stdout)["units"]}
    assert units["nam-sach"]["state"] == "on_time"
    assert units["tu-ky"]["state"] == "late"
    assert units["tu-ky"]["received_at"] == "2020-08-14T16:20:00+07:00"


def test_kill_9_mid_batch_then_restart_loses_and_doubles_nothing(world):
    total = 9
    world.many_reports(total)
    killed_midway = 0
    for _ in range(3):  # kill three pollers, each right after it committed a message
        stored = world.count("messages")
        poller = world.spawn("poll", "--once")
        while poller.poll() is None and world.count("messages") <= stored:
            time.sleep(0.005)
        if poller.poll() is not None:
            break
        poller.send_signal(signal.SIGKILL)
        poller.wait()
        killed_midway += world.count("messages") < total
    assert killed_midway >= 1
    final = world.run("poll", "--once")
    assert final.returncode == 0, final.stderr
    assert world.count("messages") == total and world.count("submissions") == total
    acks = world.acks()
    assert len(acks) == total
    replied_to = {_header(a, "In-Reply-To") for a in acks}
    assert len(replied_to) == total


def test_two_pollers_at_once_double_nothing(world):
    total = 12
    world.many_reports(total)
    pollers = [world.spawn("poll", "--once") for _ in range(2)]
    results = [(p.wait(timeout=180), p.stderr.read()) for p in pollers]
    assert [code for code, _ in results] == [0, 0], results
    assert world.count("messages") == total and world.count("submissions") == total
    assert len(world.acks()) == total and world.count("outbox") == total


def test_a_wrong_password_is_exit_status_1_and_one_line(world):
    world.env["MAILBOT_INBOX_PASSWORD"] = "Sai#M@tKhau"
    result = world.run("poll", "--once")
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and f"127.0.0.1:{world.account.server.port}" in result.stderr
    assert "Sai#M@tKhau" not in result.stdout + result.stderr
    assert world.account.password not in result.stdout + result.stderr


def test_a_server_that_is_down_is_exit_status_1_and_one_line(world):
    from fixtures_dovecot import free_port

    world.env["MAILBOT_INBOX_URL"] = f"imaps://baocao@127.0.0.1:{free_port()}/INBOX"
    result = world.run("poll", "--once")
    assert result.returncode == 1 and result.stderr.count("\n") == 1 and "127.0.0.1" in result.stderr


def test_idle_wakes_mailbot_run_when_mail_arrives(world):
    # polls are 10 minutes apart in this configuration: only IDLE can bring the mail in
    service = world.spawn("run")
    try:
        wait_until(lambda: world.query("SELECT heartbeat_at FROM source_marks") is not None, "the first poll", service)
        time.sleep(0.5)  # let the watcher enter IDLE
        world.report("nam-sach", 17356, dt.datetime(2020, 8, 14, 15, 42, tzinfo=VN))
        wait_until(lambda: world.count("messages") == 1, "the appended report to be stored", service)
        service.send_signal(signal.SIGTERM)  # a stop request ends the IDLE wait at once
        assert service.wait(timeout=30) == 0
    finally:
        if service.poll() is None:
            service.kill()
            service.wait()


def _header(path: Path, name: str) -> str:
    from email import message_from_bytes

    return message_from_bytes(path.read_bytes())[name]
