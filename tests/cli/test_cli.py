"""The command: help for every command, one clear line and the right exit status on bad input."""

import json
import subprocess
import sys
from datetime import UTC
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
COMMANDS = [
    ["demo"],
    ["run"],
    ["poll"],
    ["parse"],
    ["status"],
    ["report"],
    ["check-config"],
    ["review"],
    ["history"],
    ["outbox"],
    ["outbox", "list"],
    ["outbox", "retry"],
]


def mailbot(*args, env=None, cwd=None):
    return subprocess.run(
        [sys.executable, "-m", "mailbot", *args], capture_output=True, text=True, env=env, cwd=cwd or ROOT, timeout=120
    )


def clean_env(tmp_path, **extra):
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith("MAILBOT_")}
    env.update(
        MAILBOT_DB_URL=f"sqlite:///{tmp_path}/mailbot.db",
        MAILBOT_INBOX_URL=f"maildir://{tmp_path}/inbox",
        MAILBOT_SMTP_URL=f"file://{tmp_path}/outbox",
    )
    env.update(extra)
    return env


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_every_command_has_help(command):
    result = mailbot(*command, "--help")
    assert result.returncode == 0, result.stderr
    assert "Usage:" in result.stdout
    if command[0] not in ("outbox", "review") or len(command) > 1:
        assert "--config" in result.stdout


def test_top_level_help_lists_the_contract_commands():
    result = mailbot("--help")
    for name in ("demo", "run", "poll", "parse", "status", "report", "check-config", "review", "history", "outbox"):
        assert name in result.stdout


def test_check_config_on_the_shipped_campaign(tmp_path):
    result = mailbot("check-config", env=clean_env(tmp_path))
    assert result.returncode == 0, result.stderr
    assert "Cấu hình hợp lệ" in result.stdout and "16:00:00" in result.stdout


def test_a_missing_config_is_one_line_and_status_2(tmp_path):
    missing = tmp_path / "none.toml"
    result = mailbot("check-config", "--config", str(missing), env=clean_env(tmp_path))
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert result.stderr.startswith(f"mailbot: Không tìm thấy tệp cấu hình {missing} (") and "--config" in result.stderr


def test_an_unknown_key_is_one_line_and_status_2(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text((ROOT / "config/mailbot.toml").read_text(encoding="utf-8") + "\n[extra]\nx = 1\n", encoding="utf-8")
    result = mailbot("status", "--config", str(bad), env=clean_env(tmp_path))
    assert result.returncode == 2
    assert result.stderr.startswith(f"mailbot: Tệp cấu hình {bad}, mục extra: tên mục không hợp lệ (")
    assert "campaign, inbox, language" in result.stderr and result.stderr.count("\n") == 1


def test_secrets_never_reach_the_output(tmp_path):
    env = clean_env(tmp_path, MAILBOT_INBOX_URL="imap://baocao:Sup3rSecret@127.0.0.1:1/INBOX")
    result = mailbot("check-config", env=env)
    assert result.returncode == 0
    assert "Sup3rSecret" not in result.stdout + result.stderr and "***" in result.stdout


def test_a_bad_date_is_a_usage_error(tmp_path):
    result = mailbot("status", "--date", "31/02/2020", env=clean_env(tmp_path))
    assert result.returncode == 2 and "ngày/tháng/năm" in result.stderr
    assert result.stderr.startswith("mailbot: --date '31/02/2020' không phải là ngày hợp lệ (")


def test_dates_are_taken_as_staff_write_them(tmp_path):
    """14/8/2020 and 2020-08-14 name the same day."""
    env = clean_env(tmp_path)
    by_iso = json.loads(mailbot("status", "--date", "2020-08-14", "--json", env=env).stdout)
    by_dmy = mailbot("status", "--date", "14/8/2020", "--json", env=env)
    assert by_dmy.returncode == 0 and json.loads(by_dmy.stdout)["date"] == by_iso["date"] == "2020-08-14"


def test_poll_without_once_says_what_to_do(tmp_path):
    result = mailbot("poll", env=clean_env(tmp_path))
    assert result.returncode == 2 and "--once" in result.stderr
    assert result.stderr.startswith("mailbot: Lệnh poll chỉ chạy một lần") and result.stderr.count("\n") == 1


def test_an_english_configuration_gives_english_errors(tmp_path):
    english = tmp_path / "english.toml"
    english.write_text(
        (ROOT / "config/mailbot.toml").read_text(encoding="utf-8").replace('language = "vi"', 'language = "en"', 1),
        encoding="utf-8",
    )
    result = mailbot("report", "--date", "2020-08-14", "--config", str(english), env=clean_env(tmp_path))
    assert result.returncode == 2
    assert result.stderr == (
        "mailbot: nothing to do (give --out DIR to write the report, --pdf FILE to write it as a PDF, --send to send it,"
        " or several of these)\n"
    )
    blocker = tmp_path / "blocker"
    blocker.write_text("x")
    env = clean_env(tmp_path, MAILBOT_DB_URL=f"sqlite:///{blocker}/db/mailbot.db")
    result = mailbot("status", "--config", str(english), env=env)
    assert result.returncode == 1 and result.stderr.count("\n") == 1
    assert result.stderr.startswith(f"mailbot: the store folder for {blocker}/db/mailbot.db cannot be created: ")


def test_report_without_out_or_send_is_a_usage_error(tmp_path):
    result = mailbot("report", "--date", "2020-08-14", env=clean_env(tmp_path))
    assert (
        result.returncode == 2 and "--out" in result.stderr and "--send" in result.stderr and "--pdf" in result.stderr
    )
    assert result.stderr.startswith("mailbot: Chưa chỉ rõ việc cần làm (") and result.stderr.count("\n") == 1


def test_a_store_that_cannot_be_opened_is_status_1_and_one_line(tmp_path):
    blocker = tmp_path / "blocker"
    blocker.write_text("x")
    result = mailbot("status", env=clean_env(tmp_path, MAILBOT_DB_URL=f"sqlite:///{blocker}/db/mailbot.db"))
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and "MAILBOT_DB_URL" in result.stderr
    assert result.stderr.startswith(f"mailbot: Không tạo được thư mục chứa cơ sở dữ liệu {blocker}/db/mailbot.db: ")


def test_an_unreadable_maildir_is_status_1_and_nothing_half_written(tmp_path):
    missing = tmp_path / "no-such-maildir"
    result = mailbot("poll", "--once", env=clean_env(tmp_path, MAILBOT_INBOX_URL=f"maildir://{missing}"))
    assert result.returncode == 1
    assert str(missing) in result.stderr and result.stderr.count("\n") == 1
    assert not (tmp_path / "outbox").exists()


def test_parse_a_file_that_does_not_exist(tmp_path):
    result = mailbot("parse", str(tmp_path / "none.eml"), env=clean_env(tmp_path))
    assert result.returncode == 2 and result.stderr.startswith(f"mailbot: Không đọc được tệp {tmp_path / 'none.eml'} (")


def test_poll_once_sums_up_a_backlog_instead_of_drawing_every_row(tmp_path):
    from datetime import datetime, timedelta

    from mailbot.inbox import deliver_to_maildir
    from mailbot.samples import district_workbook, report_mail

    inbox = tmp_path / "inbox"
    for sub in ("new", "cur", "tmp"):
        (inbox / sub).mkdir(parents=True)
    start = datetime(2020, 8, 1, 2, tzinfo=UTC)
    book = district_workbook("Huyện Nam Sách", 17356, start.date(), "Số lượng cài đặt Bluezone")
    for n in range(55):
        raw = report_mail(
            sender="vanphong.namsach@haiduong.gov.vn",
            sender_name="VP",
            to="baocao.stttt@haiduong.gov.vn",
            subject=f"Báo cáo lần {n}",
            body=".",
            sent_at=start,
            attachment_name="bc.xlsx",
            attachment=book,
        )
        deliver_to_maildir(inbox, raw, start + timedelta(minutes=n))
    result = mailbot("poll", "--once", env=clean_env(tmp_path))
    assert result.returncode == 0, result.stderr
    assert "55 thư mới" in result.stdout and "Đã hiển thị 20/55 thư, ưu tiên thư cần xem xét" in result.stdout
