"""`mailbot run` as a real process: it acknowledges new mail and stops in order on SIGTERM."""

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from mailbot.inbox import deliver_to_maildir
from mailbot.samples import district_workbook, report_mail

ROOT = Path(__file__).resolve().parents[2]
WAIT_LIMIT = 90  # seconds a step may take on a loaded machine before the test gives up


def fast_config(tmp_path: Path) -> Path:
    text = (ROOT / "config/mailbot.toml").read_text(encoding="utf-8")
    text = text.replace("poll_every_seconds = 60", "poll_every_seconds = 1")
    path = tmp_path / "mailbot.toml"
    path.write_text(text, encoding="utf-8")
    return path


def wait_for(condition, what: str):
    deadline = time.monotonic() + WAIT_LIMIT
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.2)
    raise AssertionError(f"gave up waiting for {what}")


def test_run_acknowledges_new_mail_and_stops_on_sigterm(tmp_path):
    inbox, outbox = tmp_path / "inbox", tmp_path / "outbox"
    for sub in ("new", "cur", "tmp"):
        (inbox / sub).mkdir(parents=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAILBOT_")}
    env.update(
        MAILBOT_CONFIG=str(fast_config(tmp_path)),
        MAILBOT_INBOX_URL=f"maildir://{inbox}",
        MAILBOT_SMTP_URL=f"file://{outbox}",
        MAILBOT_DB_URL=f"sqlite:///{tmp_path / 'mailbot.db'}",
    )
    service = subprocess.Popen(
        [sys.executable, "-m", "mailbot", "run"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        now = datetime.now(UTC)
        raw = report_mail(
            sender="vanphong.namsach@haiduong.gov.vn",
            sender_name="Văn phòng Huyện Nam Sách",
            to="baocao.stttt@haiduong.gov.vn",
            subject="Báo cáo Bluezone - Huyện Nam Sách",
            body="Kính gửi Sở.",
            sent_at=now,
            attachment_name="bc.xlsx",
            attachment=district_workbook("Huyện Nam Sách", 17356, now.date(), "Số lượng cài đặt Bluezone"),
        )
        deliver_to_maildir(inbox, raw, now)
        [ack] = wait_for(lambda: list(outbox.glob("*.eml")), "the acknowledgement")
        assert b"vanphong.namsach@haiduong.gov.vn" in ack.read_bytes()
        service.send_signal(signal.SIGTERM)
        output, _ = service.communicate(timeout=WAIT_LIMIT)
    finally:
        if service.poll() is None:
            service.kill()
    assert service.returncode == 0, output
    assert "mailbot stopped" in output
