"""The departments' campaign (config/departments.toml) as real processes against Dovecot and SQLite."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys

import pytest
from departments import DEPARTMENTS, ROOT, VN, department_mail, departments, totals


@pytest.fixture
def world(tmp_path, imap_account):
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAILBOT_")}
    env.update(
        MAILBOT_INBOX_URL=imap_account.url(with_password=False),
        MAILBOT_INBOX_PASSWORD=imap_account.password,
        MAILBOT_DB_URL=f"sqlite:///{tmp_path / 'mailbot.db'}",
        MAILBOT_SMTP_URL=f"file://{tmp_path / 'outbox'}",
    )

    def run(*args: str) -> subprocess.CompletedProcess:
        command = [sys.executable, "-m", "mailbot", "--config", str(DEPARTMENTS), *args]
        return subprocess.run(command, capture_output=True, text=True, env=env, cwd=ROOT, timeout=180)

    return run, imap_account, tmp_path


def test_check_config_accepts_the_shipped_departments_campaign(world):
    run, _, _ = world
    result = run("check-config")
    assert result.returncode == 0, result.stderr
    assert "24 đơn vị" in result.stdout and "trước ngày 17/8/2020" in result.stdout


def test_parse_reads_both_counts_of_a_department_report(world, tmp_path):
    run, _, _ = world
    settings = departments()
    path = tmp_path / "so-y-te.eml"
    path.write_bytes(department_mail(settings, "so-y-te", dt.datetime(2020, 8, 15, 10, 1, tzinfo=VN)))
    result = run("parse", str(path), "--json")
    assert result.returncode == 0, result.stderr
    reading = json.loads(result.stdout)
    smartphone, installed = totals("so-y-te")
    assert reading["unit"] == "so-y-te" and reading["status"] == "accepted"
    assert reading["figures"] == {"smartphone_staff": smartphone, "installed_staff": installed}
    assert reading["period"] == "2020-08-16" and reading["late"] is False


def test_poll_on_dovecot_then_status_and_the_report(world):
    run, account, folder = world
    settings = departments()
    on_time = dt.datetime(2020, 8, 15, 10, 1, tzinfo=VN)
    late = dt.datetime(2020, 8, 17, 7, 30, tzinfo=VN)
    account.append(department_mail(settings, "so-y-te", on_time), on_time)
    account.append(department_mail(settings, "tinh-doan", late), late)
    polled = run("poll", "--once")
    assert polled.returncode == 0, polled.stderr
    assert len(list((folder / "outbox").glob("*-ack-*.eml"))) == 2

    status = run("status", "--date", "2020-08-16", "--json")
    assert status.returncode == 0, status.stderr
    state = json.loads(status.stdout)
    assert state["date"] == "2020-08-16" and state["deadline"] == "2020-08-16T23:59:59+07:00"
    units = {u["unit"]: u for u in state["units"]}
    assert [u["unit"] for u in state["units"]] == [u.id for u in settings.units]
    assert units["so-y-te"]["state"] == "on_time" and units["tinh-doan"]["state"] == "late"
    assert units["so-noi-vu"]["state"] == "missing" and units["so-noi-vu"]["figures"] == {}
    smartphone, installed = totals("so-y-te")
    assert units["so-y-te"]["figures"] == {"smartphone_staff": smartphone, "installed_staff": installed}
    assert state["totals"]["reported"] == 2 and state["totals"]["expected"] == 24
    assert units["so-y-te"]["derived"]["installed_share"] == installed * 100 / smartphone
    assert units["so-noi-vu"]["derived"] == {"installed_share": None}

    report = run("report", "--date", "2020-08-17", "--out", str(folder / "report"))
    assert report.returncode == 0, report.stderr
    html = next((folder / "report").glob("*.html")).read_text(encoding="utf-8")
    assert "Sở Nội vụ" in html and "Sở Y tế" in html and "Tỉnh đoàn" in html
    assert "chưa đạt chỉ tiêu 100%" in html and "Sở Y tế: 98,44%" in html and "Tỉnh đoàn: 80,00%" in html
    assert "2/24 đơn vị đã báo cáo" in html and "hạn báo cáo trước ngày 17/8/2020" in html
