"""A poll killed while delivering: the next run delivers what it left `sending` at once."""

import asyncio
import signal
import subprocess
import sys
import threading
from datetime import UTC, date, datetime

from fixtures_smtp import ScriptedHandler, _start
from service_helpers import clean_env, mailbot, wait_until

from mailbot.inbox import deliver_to_maildir
from mailbot.samples import district_workbook, report_mail
from mailbot.store import Store


class StallingHandler(ScriptedHandler):
    """The first DATA hangs until the test lets go: the sender is caught mid-delivery."""

    def __init__(self) -> None:
        super().__init__()
        self.stalled = threading.Event()
        self.release = threading.Event()

    async def handle_DATA(self, server, session, envelope):
        if not self.stalled.is_set():
            self.stalled.set()
            while not self.release.is_set():
                await asyncio.sleep(0.1)
            return "451 4.4.2 too late"
        return await super().handle_DATA(server, session, envelope)


def seed_inbox(path) -> None:
    raw = report_mail(
        sender="vanphong.namsach@haiduong.gov.vn",
        sender_name="Văn phòng Huyện Nam Sách",
        to="baocao.stttt@haiduong.gov.vn",
        subject="Báo cáo số lượng cài đặt Bluezone ngày 14/8/2020",
        body="Kính gửi Sở TT&TT, đơn vị gửi báo cáo.",
        sent_at=datetime(2020, 8, 14, 8, 0, tzinfo=UTC),
        attachment_name="BC 14-8.xlsx",
        attachment=district_workbook("Huyện Nam Sách", 17356, date(2020, 8, 14), "Số lượng cài đặt Bluezone"),
    )
    deliver_to_maildir(path, raw, datetime(2020, 8, 14, 8, 0, tzinfo=UTC))


def outbox_states(url) -> list[str]:
    store = Store.open(url)
    try:
        return [mail.state for mail in store.mail()]
    finally:
        store.close()


def test_mail_left_sending_by_a_killed_poll_goes_out_with_the_next_run(store_url, tmp_path):
    handler = StallingHandler()
    controller = _start(handler)
    seed_inbox(tmp_path / "inbox")
    env = clean_env(
        MAILBOT_INBOX_URL=f"maildir://{tmp_path / 'inbox'}",
        MAILBOT_SMTP_URL=f"smtp://127.0.0.1:{controller.port}?timeout=120",
        MAILBOT_DB_URL=store_url,
    )
    try:
        first = subprocess.Popen(
            [sys.executable, "-m", "mailbot", "poll", "--once"],
            env=env,
            cwd=tmp_path,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_until(handler.stalled.is_set, 120, "the first poll hands its acknowledgement to SMTP")
        first.send_signal(signal.SIGKILL)  # killed in the middle of DATA
        first.wait(30)
        assert outbox_states(store_url) == ["sending"]

        again = mailbot("poll", "--once", env=env, cwd=tmp_path)
        assert again.returncode == 0, again.stderr
        assert "Thư đi: 1 đã gửi" in again.stdout
        assert outbox_states(store_url) == ["sent"]
        assert [m.rcpt_tos for m in handler.messages] == [("vanphong.namsach@haiduong.gov.vn",)]
    finally:
        handler.release.set()
        controller.stop()
