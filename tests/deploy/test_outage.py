"""An IMAP outage is noticed while idling, shown by `status` as it happens, and told to monitoring."""

import pytest
from fixtures_dovecot import ImapAccount
from service_helpers import campaign_with, clean_env, mailbot, start_service, stop_service, wait_until


@pytest.fixture
def private_account(dovecot_factory):
    server = dovecot_factory()
    account = ImapAccount(server, "baocao.stttt@haiduong.gov.vn", "mật khẩu")
    server.add_user(account.user, account.password)
    yield account
    account.close()


def test_a_dovecot_killed_while_idling_is_noticed_and_shown_within_a_minute(private_account, tmp_path):
    # Long poll and IDLE renewal: only the keepalive between IDLEs can notice a dead connection in time.
    config = campaign_with(tmp_path, poll_every_seconds=900, idle_renew_seconds=540, heartbeat_stale_seconds=900)
    env = clean_env(
        MAILBOT_INBOX_URL=private_account.url(),
        MAILBOT_SMTP_URL=f"file://{tmp_path / 'outbox'}",
        MAILBOT_DB_URL=f"sqlite:///{tmp_path / 'mailbot.db'}",
    )
    service, log = start_service(config, env, tmp_path)
    try:

        def check(code: int):
            done = mailbot("status", "--check", "--config", str(config), env=env, cwd=tmp_path)
            return done if done.returncode == code else None

        healthy = wait_until(lambda: check(0), 90, "the service reads the inbox", log)
        assert healthy.stdout.startswith("OK: hộp thư imap://") and healthy.stdout.count("\n") == 1
        private_account.server.stop()  # Dovecot and its connections gone, mid-IDLE

        warned = wait_until(lambda: check(1), 60, "status --check shows the outage", log)
        assert warned.stdout.startswith("CẢNH BÁO: không đọc được hộp thư imap://baocao.stttt%40haiduong.gov.vn:***@")
        assert warned.stdout.count("\n") == 1 and "mật khẩu" not in warned.stdout
        shown = mailbot("status", "--config", str(config), env=env, cwd=tmp_path)
        assert "không đọc được hộp thư" in shown.stdout and " từ " in shown.stdout
        assert service.poll() is None  # still running, and trying again
        wait_until(lambda: "trying again in" in log.read_text(errors="replace"), 30, "a retry is announced", log)
        assert "Traceback" not in log.read_text(errors="replace")
    finally:
        stop_service(service)
