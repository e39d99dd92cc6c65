"""Both flows of the letter through one Dovecot mailbox (config/haiduong.toml), as real processes.

The districts' daily count before 16:00 and the departments' one report before 17/8/2020
arrive in the same INBOX; each report lands in its campaign, whose status, reminders and
report are its own; a mail whose campaign cannot be told waits for review and is settled
by assigning it a unit of a campaign.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from several import DEPLOYMENT, department_mail, deployment, district_mail, on
from several_mailboxes import unknown_campaign_mail

from mailbot.app import App
from mailbot.config import load_settings

ROOT = DEPLOYMENT.parents[1]


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
        command = [sys.executable, "-m", "mailbot", "--config", str(DEPLOYMENT), *args]
        result = subprocess.run(command, capture_output=True, text=True, env=env, cwd=ROOT, timeout=180)
        assert result.returncode == 0, result.stderr
        return result

    return run, imap_account, tmp_path, env


def json_lines(result) -> list[dict]:
    return [json.loads(line) for line in result.stdout.splitlines() if line.strip()]


def test_one_mailbox_receives_both_flows_and_each_campaign_is_right(world):
    run, account, folder, env = world
    districts, departments = deployment(), deployment("departments")
    for raw, at in (
        (district_mail(districts, "nam-sach", 17356, on(14, 15, 42)), on(14, 15, 42)),
        (district_mail(districts, "gia-loc", 9120, on(14, 16, 20)), on(14, 16, 20)),
        (department_mail(departments, "so-y-te", on(15, 10, 1)), on(15, 10, 1)),
        (department_mail(departments, "tinh-doan", on(17, 7, 30)), on(17, 7, 30)),
        (unknown_campaign_mail(on(15, 9)), on(15, 9)),
    ):
        account.append(raw, at)
    run("poll", "--once")
    assert len(list((folder / "outbox").glob("*-ack-*.eml"))) == 5

    # status: each campaign in turn, each naming itself
    both = json_lines(run("status", "--date", "2020-08-14", "--json"))
    assert [(s["campaign"], s["date"]) for s in both] == [("districts", "2020-08-14"), ("departments", "2020-08-16")]
    day = {u["unit"]: u for u in both[0]["units"]}
    assert day["nam-sach"]["state"] == "on_time" and day["nam-sach"]["figures"] == {"installs": 17356}
    assert day["gia-loc"]["state"] == "late" and day["hai-duong"]["state"] == "missing"
    assert both[0]["totals"]["installs"] == 17356 + 9120
    assert both[0]["totals"]["reported"] == 2 and both[0]["totals"]["expected"] == 12
    assert {u["campaign"] for u in both[0]["units"]} == {"districts"}
    (once,) = json_lines(run("status", "--campaign", "departments", "--date", "2020-08-16", "--json"))
    units = {u["unit"]: u for u in once["units"]}
    assert once["campaign"] == "departments" and len(once["units"]) == 24
    assert units["so-y-te"]["state"] == "on_time" and units["tinh-doan"]["state"] == "late"
    assert once["totals"]["reported"] == 2 and once["totals"]["expected"] == 24
    assert "so-y-te" not in day and "nam-sach" not in units

    # the mail whose campaign could not be told waits for review, for any campaign to settle
    (held,) = json_lines(run("--campaign", "districts", "review", "list", "--json"))
    assert held["unit"] is None and "unknown_campaign" in {p["code"] for p in held["problems"]}
    run("review", "assign", str(held["id"]), "Sở Nội vụ", "--by", "thu.nguyen", "--reason", "gọi điện xác nhận")
    assert json_lines(run("--campaign", "districts", "review", "list", "--json")) == []
    (moved,) = json_lines(run("--campaign", "departments", "review", "list", "--json"))
    assert moved["id"] == held["id"] and moved["unit"] == "so-noi-vu" and moved["period"] == "2020-08-16"
    assert moved["figures"] == {"installed_staff": 39}
    assert not {"unknown_campaign", "unknown_sender"} & {p["code"] for p in moved["problems"]}
    assert [x["id"] for x in json_lines(run("review", "list", "--json"))] == [held["id"]]  # every campaign's

    # reminders: each campaign reminds its own missing units only
    store_env = {**env}
    reminded_districts = App.open(load_settings(DEPLOYMENT, env=store_env), clock=lambda: on(14, 15, 50)).remind()
    assert set(reminded_districts) == {u.id for u in districts.units} - {"nam-sach"}
    chosen = load_settings(DEPLOYMENT, env=store_env, campaign="departments")
    reminded_departments = App.open(chosen, clock=lambda: on(16, 15)).remind()
    assert set(reminded_departments) == {u.id for u in departments.units} - {"so-y-te", "so-noi-vu"}
    reminders = [p.read_bytes() for p in (folder / "outbox").glob("*-reminder-*.eml")]
    assert len(reminders) == len(reminded_districts) + len(reminded_departments)
    assert not any(b"vanphong.namsach@" in r or b"vanphong.so-y-te@" in r for r in reminders)

    # the reports: each campaign's in its own folder, sent as two mails
    run("report", "--date", "2020-08-17", "--out", str(folder / "r17"))
    run("report", "--campaign", "districts", "--date", "2020-08-14", "--out", str(folder / "d14"), "--send")
    districts_html = next((folder / "d14").glob("*.html")).read_text(encoding="utf-8")
    departments_html = next((folder / "r17" / "departments").glob("*.html")).read_text(encoding="utf-8")
    assert list((folder / "r17" / "districts").glob("*.html"))
    assert "17.356" in districts_html and "Huyện Gia Lộc" in districts_html and "Sở Y tế" not in districts_html
    assert "Sở Y tế: 98,44%" in departments_html and "Tỉnh đoàn: 80,00%" in departments_html
    assert "2/24 đơn vị đã báo cáo" in departments_html and "Huyện Nam Sách" not in departments_html
    run("report", "--campaign", "departments", "--date", "2020-08-17", "--send")
    assert len(list((folder / "outbox").glob("*-report-*.eml"))) == 2
