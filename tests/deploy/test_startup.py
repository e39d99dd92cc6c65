"""Start-up tells the truth: check-config --connect tries every server, and `run` stops at once on a setup
that cannot work but waits, saying so, for a server that is down."""

import socket

from fixtures_store import free_port
from service_helpers import SHIPPED, clean_env, mailbot, start_service, stop_service, wait_until


def closed_port() -> int:
    port = free_port()
    with socket.socket() as probe:  # nothing listens there
        assert probe.connect_ex(("127.0.0.1", port)) != 0
    return port


def test_connect_logs_into_the_inbox_greets_smtp_and_opens_the_store(imap_account, smtp_server, tmp_path):
    env = clean_env(
        MAILBOT_INBOX_URL=imap_account.url(),
        MAILBOT_SMTP_URL=smtp_server.url,
        MAILBOT_DB_URL=f"sqlite:///{tmp_path / 'mailbot.db'}",
    )
    done = mailbot("check-config", "--connect", env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.count(": kết nối được") == 3
    assert smtp_server.handler.connections == 1  # it really said EHLO


def test_connect_says_which_part_failed_and_why(imap_account, tmp_path):
    env = clean_env(
        MAILBOT_INBOX_URL=imap_account.url().replace("%25", "%25wrong"),  # a wrong password
        MAILBOT_SMTP_URL=f"smtp://127.0.0.1:{closed_port()}",
        MAILBOT_DB_URL=f"sqlite:///{tmp_path / 'mailbot.db'}",
    )
    done = mailbot("check-config", "--connect", env=env, cwd=tmp_path)
    assert done.returncode == 1
    lines = done.stdout.splitlines()
    inbox = next(line for line in lines if line.startswith("Hộp thư imap://"))
    smtp = next(line for line in lines if line.startswith("Máy chủ gửi thư smtp://"))
    store = next(line for line in lines if line.startswith("Cơ sở dữ liệu sqlite://"))
    assert "KHÔNG kết nối được" in inbox and "đăng nhập" in inbox.lower()
    assert "KHÔNG kết nối được" in smtp and "Connection refused" in smtp
    assert store.endswith("kết nối được") and "KHÔNG" not in store
    assert (
        done.stderr
        == "mailbot: Không kết nối được: Hộp thư, Máy chủ gửi thư (sửa các lỗi nêu ở trên rồi chạy lại mailbot check-config --connect)\n"
    )
    assert imap_account.password not in done.stdout + done.stderr


def test_a_one_slash_url_is_refused_by_check_config_and_run(tmp_path):
    env = clean_env(MAILBOT_INBOX_URL="imaps:/mail.haiduong.gov.vn/INBOX")
    for command in (["check-config"], ["run"]):
        done = mailbot(*command, env=env, cwd=tmp_path, timeout=60)
        assert done.returncode == 2, done.stderr
        assert "MAILBOT_INBOX_URL=imaps:/mail.haiduong.gov.vn/INBOX không phải là một địa chỉ dùng được" in done.stderr


def test_run_stops_at_once_on_a_missing_maildir(tmp_path):
    env = clean_env(
        MAILBOT_INBOX_URL=f"maildir://{tmp_path / 'nowhere'}", MAILBOT_DB_URL=f"sqlite:///{tmp_path / 'm.db'}"
    )
    done = mailbot("run", env=env, cwd=tmp_path, timeout=60)
    assert done.returncode == 2
    assert (
        f"mailbot: mailbot không thể chạy với thiết lập này: Không có hộp thư Maildir {tmp_path / 'nowhere'}"
        in done.stderr
    )
    assert "(no --config or MAILBOT_CONFIG given)" in done.stderr  # it said which configuration it used
    assert "Traceback" not in done.stderr


def test_run_stops_at_once_on_a_refused_login(imap_account, tmp_path):
    env = clean_env(
        MAILBOT_INBOX_URL=imap_account.url().replace("%25", "%25wrong"), MAILBOT_DB_URL=f"sqlite:///{tmp_path / 'm.db'}"
    )
    done = mailbot("run", env=env, cwd=tmp_path, timeout=60)
    assert done.returncode == 2 and "không thể chạy với thiết lập này" in done.stderr


def test_run_waits_for_a_postgresql_server_that_is_down_saying_so_once_per_attempt(tmp_path):
    url = f"postgresql://mailbot@127.0.0.1:{closed_port()}/mailbot"
    env = clean_env(MAILBOT_DB_URL=url, MAILBOT_INBOX_URL=f"maildir://{tmp_path / 'inbox'}")
    service, log = start_service(SHIPPED, env, tmp_path)
    try:

        def retries():
            return [line for line in log.read_text().splitlines() if "trying again in" in line]

        found = wait_until(lambda: len(retries()) >= 3 and retries(), 90, "three announced attempts", log)
        assert service.poll() is None  # waiting, not dead
        assert all("store: Không mở được cơ sở dữ liệu postgresql://mailbot@127.0.0.1:" in line for line in found)
        assert "Traceback" not in log.read_text()
    finally:
        stop_service(service)
