"""The command's tables at 80 columns: no line wider than the terminal, the key facts still there,
and no raw code or internal state in what a person reads."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from mailbot.i18n import format_count
from mailbot.inbox import deliver_to_maildir
from mailbot.samples import district_workbook, report_mail
from mailbot.store import Store

ROOT = Path(__file__).resolve().parents[2]
WIDTH = 80
OUTSIDER = "canbo.moi@example.org"
RAW_WORDS = ("needs_review", "on_time", "unknown_sender", "held", "pending", "report", "ack", "reminder")


def mailbot(*args, env, columns=WIDTH):
    return subprocess.run(
        [sys.executable, "-m", "mailbot", *args],
        capture_output=True,
        text=True,
        env={**env, "COLUMNS": str(columns)},
        cwd=ROOT,
        timeout=300,
    )


@pytest.fixture(scope="module")
def day(tmp_path_factory):
    """The demo's day, plus a report from an address no unit registered and one mail held back."""
    work = tmp_path_factory.mktemp("narrow")
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAILBOT_")}
    demo = mailbot("demo", "--dir", str(work / "day"), env=env)
    assert demo.returncode == 0, demo.stderr
    env.update(
        MAILBOT_DB_URL=f"sqlite:///{work / 'day' / 'mailbot.db'}",
        MAILBOT_INBOX_URL=f"maildir://{work / 'inbox'}",
        MAILBOT_SMTP_URL=f"file://{work / 'outbox'}",
    )
    now = datetime.now(UTC)
    raw = report_mail(
        sender=OUTSIDER,
        sender_name="Cán bộ mới",
        to="baocao.stttt@haiduong.gov.vn",
        subject="Báo cáo số lượng cài đặt Bluezone",
        body="Kính gửi Sở.",
        sent_at=now,
        attachment_name="bc.xlsx",
        attachment=district_workbook("Huyện Nam Sách", 17356, now.date(), "Số lượng cài đặt Bluezone"),
        domain="example.org",
    )
    deliver_to_maildir(work / "inbox", raw, now)
    polled = mailbot("poll", "--once", env=env)
    assert polled.returncode == 0, polled.stderr
    store = Store.open(env["MAILBOT_DB_URL"])
    try:
        report = next(m for m in store.mail() if m.kind == "report")
        store.mark_held(report.id, "550 5.1.1 <stttt@haiduong.gov.vn>: Recipient address rejected")
    finally:
        store.close()
    return env


def lines_of(result) -> list[str]:
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()


def assert_fits(lines: list[str]) -> None:
    wide = [line for line in lines if len(line) > WIDTH]
    assert wide == [], "\n".join(wide)


def assert_no_raw_words(lines: list[str]) -> None:
    words = {word.strip("(),.:;[]") for line in lines for word in line.split()}
    assert sorted(words & set(RAW_WORDS)) == []


def test_status_fits_80_columns_and_keeps_every_unit_its_figure_time_and_state(day):
    lines = lines_of(mailbot("status", "--date", "14/8/2020", env=day))
    assert_fits(lines)
    assert_no_raw_words(lines)
    text = "\n".join(lines)
    rows = {line.split("│")[2].strip(): line for line in lines if line.startswith("│") and line.split("│")[2].strip()}
    assert "Thành phố Hải Dương" in rows and "70.635" in rows["Thành phố Hải Dương"]
    assert "08:30" in rows["Thành phố Hải Dương"] and "Đúng hạn" in rows["Thành phố Hải Dương"]
    assert "16:20" in rows["Huyện Ninh Giang"] and "Muộn" in rows["Huyện Ninh Giang"]
    assert "Chưa báo cáo" in rows["Huyện Thanh Miện"]
    totals = json.loads(lines_of(mailbot("status", "--date", "14/8/2020", "--json", env=day))[0])["totals"]
    reported = format_count(totals["installs"], "vi")
    assert f"Tổng số liệu đã báo cáo: {reported}; {totals['reported']}/12 đơn vị đã báo cáo." in text
    assert "Vấn đề cần lưu ý:" in text  # the problems, below the table
    assert "Thư đi đang chờ: 0; bị giữ lại: 1." in text


def test_status_in_a_wide_terminal_keeps_the_source_column(day):
    lines = lines_of(mailbot("status", "--date", "14/8/2020", env=day, columns=220))
    assert any("Nơi đọc số liệu" in line for line in lines[:5])
    assert all(len(line) <= 220 for line in lines)


def test_review_list_fits_80_columns_and_names_the_outside_sender(day):
    lines = lines_of(mailbot("review", "list", env=day))
    assert_fits(lines)
    assert_no_raw_words(lines)
    text = "\n".join(lines)
    unit_cells = "".join(line.split("│")[3].strip() for line in lines if line.startswith("│"))
    assert f"Huyện Nam Sách{OUTSIDER}" in unit_cells  # the sender, folded under the unit
    assert "17.356" in text
    assert "mailbot review accept" in text


def test_history_fits_80_columns(day):
    lines = lines_of(mailbot("history", "--from", "8/8/2020", "--to", "14/8/2020", env=day))
    assert_fits(lines)
    totals = json.loads(lines_of(mailbot("status", "--date", "14/8/2020", "--json", env=day))[0])["totals"]
    last = next(line for line in lines if line.startswith("│ 14/8/2020"))
    assert format_count(totals["installs"], "vi") in last and f"{totals['reported']}/12" in last


def test_outbox_fits_80_columns_and_says_what_each_mail_is_in_words(day):
    lines = lines_of(mailbot("outbox", "list", env=day))
    assert_fits(lines)
    assert_no_raw_words(lines)
    cells = [[cell.strip() for cell in line.split("│")[1:-1]] for line in lines if line.startswith("│")]
    assert cells[0][1] == "Báo cáo tổng hợp" and cells[0][3] == "Bị giữ lại"
    assert "".join(row[2] for row in cells) == "stttt@haiduong.gov.vn"  # folded, never cut off
    assert "Recipient" in "".join(row[-1] for row in cells)


def test_parse_fits_80_columns_and_says_problems_without_their_codes(day, tmp_path):
    inbox = Path(day["MAILBOT_DB_URL"].removeprefix("sqlite:///")).parent / "inbox"
    mails = sorted(p for p in inbox.rglob("*") if p.is_file())[:4]
    broken = tmp_path / "hỏng.xlsx"
    broken.write_bytes(b"PK\x03\x04 not really a workbook")
    lines = lines_of(mailbot("parse", *map(str, mails), str(broken), env=day))
    assert_fits(lines)
    assert_no_raw_words(lines)
    text = "\n".join(lines)
    assert "unreadable_file" not in text and "Không hợp lệ" in text.replace("│", " ")
