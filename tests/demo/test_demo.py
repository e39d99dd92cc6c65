"""`mailbot demo` runs the real service end to end on the embedded defaults."""

import json
import os
import subprocess
import sys
from datetime import datetime, timedelta
from email import message_from_bytes, policy
from email.utils import parsedate_to_datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook

from mailbot.samples import appendix_figures

ROOT = Path(__file__).resolve().parents[2]
APPENDIX = appendix_figures()
DAY = "2020-08-14"
TZ = ZoneInfo("Asia/Ho_Chi_Minh")
MISSING, LATE, HELD, BROKEN = "thanh-mien", "ninh-giang", "kim-thanh", "gia-loc"
DAY_BEFORE_FACTOR = 0.95  # config/demo.toml: the day before, each unit reported 95 % of its appendix figure


def clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("MAILBOT_")}


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    work = tmp_path_factory.mktemp("demo")
    result = subprocess.run(
        [sys.executable, "-m", "mailbot", "demo", "--dir", str(work / "day")],
        capture_output=True,
        text=True,
        env=clean_env(),
        cwd=ROOT,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    return work / "day", result.stdout


def mails_in(folder: Path) -> list:
    return [message_from_bytes(p.read_bytes(), policy=policy.default) for p in sorted(folder.glob("*.eml"))]


def maildir_mails(inbox: Path) -> list:
    return [message_from_bytes(p.read_bytes(), policy=policy.default) for p in sorted(inbox.glob("*/*")) if p.is_file()]


def printed_command(stdout: str, command: str) -> str:
    """A command line the demo printed, exactly as a person would paste it into a shell."""
    return next(
        line.strip() for line in stdout.splitlines() if line.strip().startswith("MAILBOT_DB_URL=") and command in line
    )


def run_printed(line: str) -> subprocess.CompletedProcess:
    env = clean_env()
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"  # where `mailbot` is installed
    return subprocess.run(["sh", "-c", line], capture_output=True, text=True, env=env, cwd=ROOT, timeout=120)


def test_the_status_command_the_demo_prints_reads_the_demos_day(demo_run):
    _, stdout = demo_run
    assert "MAILBOT_DB_URL" in next(
        line for line in stdout.splitlines() if "mailbot" in line and "MAILBOT_DB_URL=" in line
    )
    shown = run_printed(printed_command(stdout, f"mailbot status --date {DAY}") + " --json")
    assert shown.returncode == 0, shown.stderr
    ledger = json.loads(shown.stdout)
    assert ledger["date"] == DAY and ledger["totals"]["reported"] == 10


def test_the_review_command_the_demo_prints_shows_the_held_report(demo_run):
    _, stdout = demo_run
    shown = run_printed(printed_command(stdout, "mailbot review show"))
    assert shown.returncode == 0, shown.stderr
    assert "BC_Bluezone_kim-thanh_14082020.xlsx" in shown.stdout and "19.203" in shown.stdout


def test_the_day_ledger_has_the_real_figures_and_states(demo_run):
    day, _ = demo_run
    env = clean_env() | {"MAILBOT_DB_URL": f"sqlite:///{day / 'mailbot.db'}"}
    result = subprocess.run(
        [sys.executable, "-m", "mailbot", "status", "--date", DAY, "--json"],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    ledger = json.loads(result.stdout)
    units = {u["unit"]: u for u in ledger["units"]}
    states = {unit: u["state"] for unit, u in units.items()}
    assert states.pop(LATE) == "late"
    assert states.pop(MISSING) == "missing"
    assert states.pop(HELD) == "needs_review"
    assert set(states.values()) == {"on_time"}
    assert [p["code"] for p in units[HELD]["problems"]] == ["total_mismatch"]
    counted = {unit: u["figures"].get("installs") for unit, u in units.items()}
    assert counted == {**APPENDIX, MISSING: None, HELD: None}
    carried = {unit: round(APPENDIX[unit] * DAY_BEFORE_FACTOR) for unit in (MISSING, HELD)}
    for unit, figure in carried.items():
        assert units[unit]["last_counted"] == {"date": "2020-08-13", "figures": {"installs": figure}}
    reported = sum(APPENDIX.values()) - APPENDIX[MISSING] - APPENDIX[HELD]
    assert ledger["totals"] == {
        "installs": reported,
        "reported": 10,
        "expected": 12,
        "estimate": {"installs": reported + sum(carried.values())},
    }
    assert units[BROKEN]["submissions"] == 2  # the broken file, then the good one
    assert ledger["deadline"] == "2020-08-14T16:00:00+07:00"


def test_acknowledgements_and_the_error_reply_were_written(demo_run):
    day, stdout = demo_run
    acks = [m for m in mails_in(day / "outbox") if m["In-Reply-To"]]
    # every unit on two earlier days, 11 reports on the day, and the broken file
    assert len(acks) == 36
    assert all(str(m["Subject"]).startswith("Re:") for m in acks)
    broken = [
        m
        for m in acks
        if "vanphong.gialoc" in str(m["To"]) and "chưa được ghi nhận" in m.get_body(("plain",)).get_content()
    ]
    assert broken, "the broken attachment gets a reply saying nothing was recorded"
    assert "Thư báo lỗi gửi Huyện Gia Lộc" in stdout


def test_each_acknowledgement_is_stamped_a_minute_after_its_mail_arrived(demo_run):
    day, _ = demo_run
    arrived = {str(m["Message-ID"]): m["Received"].split(";")[-1].strip() for m in maildir_mails(day / "inbox")}
    acks = [m for m in mails_in(day / "outbox") if m["In-Reply-To"]]
    for ack in acks:
        received = parsedate_to_datetime(arrived[str(ack["In-Reply-To"])])
        assert ack["Date"].datetime - received == timedelta(minutes=1), ack["To"]
    assert len({ack["Date"].datetime for ack in acks}) == len(acks)


def test_the_reminder_goes_at_three_to_the_units_still_missing(demo_run):
    day, stdout = demo_run
    reminders = [m for m in mails_in(day / "outbox") if not m["In-Reply-To"] and "stttt@" not in str(m["To"])]
    assert sorted(str(m["To"]) for m in reminders) == [
        "vanphong.ninhgiang@haiduong.gov.vn",
        "vanphong.thanhmien@haiduong.gov.vn",
    ]
    for reminder in reminders:
        assert reminder["Date"].datetime == datetime(2020, 8, 14, 15, 0, tzinfo=TZ)
        assert "chưa nhận được báo cáo" in reminder.get_body(("plain",)).get_content()
    assert "Thư nhắc báo cáo gửi Huyện Thanh Miện lúc 15:00 14/8/2020" in stdout


def test_one_report_is_held_for_review_and_its_sender_is_told(demo_run):
    day, stdout = demo_run
    [ack] = [
        m
        for m in mails_in(day / "outbox")
        if "vanphong.kimthanh" in str(m["To"]) and "14/8/2020" in m.get_body(("plain",)).get_content()
    ]
    body = ack.get_body(("plain",)).get_content()
    assert "đang được cán bộ của Sở kiểm tra" in body and "ô C18" in body
    assert "Báo cáo chờ cán bộ Sở xem xét: Huyện Kim Thành" in stdout


def test_the_demo_speaks_official_vietnamese_by_default(demo_run):
    _, stdout = demo_run
    assert stdout.startswith("Mô phỏng ngày báo cáo 14/8/2020:")
    assert "Tình hình lúc 16:30 14/8/2020" in stdout
    assert "14/08/2020" not in stdout
    assert "Ước tính toàn địa bàn" in stdout and "Huyện Thanh Miện (13/8/2020)" in stdout


def test_the_consolidated_report_files(demo_run):
    day, stdout = demo_run
    report = day / "report"
    html = next(report.glob("*.html")).read_text(encoding="utf-8")
    assert "Huyện Ninh Giang" in html and "70.635" in html
    png = next(report.glob("*.png")).read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    book = load_workbook(next(report.glob("*.xlsx")))
    values = [c for row in book.worksheets[0].iter_rows(values_only=True) for c in row]
    assert 70635 in values and sum(APPENDIX.values()) - APPENDIX[MISSING] - APPENDIX[HELD] in values
    [report_mail] = [m for m in mails_in(day / "outbox") if str(m["To"]) == "stttt@haiduong.gov.vn"]
    assert report_mail["Date"].datetime == datetime(2020, 8, 14, 16, 30, tzinfo=TZ)  # the configured report time
    for needle in ("inbox", "outbox", ".html", ".xlsx", ".png"):
        assert needle in stdout


def test_running_the_demo_again_starts_fresh(demo_run, tmp_path):
    day, _ = demo_run
    stranger = tmp_path / "not-a-demo"
    stranger.mkdir()
    (stranger / "precious.txt").write_text("keep me")
    env = clean_env()
    result = subprocess.run(
        [sys.executable, "-m", "mailbot", "demo", "--dir", str(stranger)],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=120,
    )
    assert result.returncode == 2 and result.stderr.count("\n") == 1
    assert (
        f"Thư mục {stranger} đã có sẵn và không do `mailbot demo` tạo ra" in result.stderr and "--dir" in result.stderr
    )
    assert (stranger / "precious.txt").exists()
