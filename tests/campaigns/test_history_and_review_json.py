"""`mailbot history --campaign` and the campaign of each `review list --json` object (contract §9)."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys

import pytest
from several import DEPLOYMENT, DISTRICTS, department_mail, deployment, district_mail, on
from several_mailboxes import unknown_campaign_mail

from mailbot.inbox import deliver_to_maildir

ROOT = DEPLOYMENT.parents[1]


@pytest.fixture
def world(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAILBOT_")}
    env.update(
        MAILBOT_INBOX_URL=f"maildir://{tmp_path / 'inbox'}",
        MAILBOT_DB_URL=f"sqlite:///{tmp_path / 'mailbot.db'}",
        MAILBOT_SMTP_URL=f"file://{tmp_path / 'outbox'}",
    )
    districts, departments = deployment(), deployment("departments")
    for raw, at in (
        (district_mail(districts, "nam-sach", 17356, on(14, 15, 42)), on(14, 15, 42)),
        (department_mail(departments, "so-y-te", on(15, 10, 1)), on(15, 10, 1)),
        (unknown_campaign_mail(on(15, 9)), on(15, 9)),
        # a registered department's report with an unregistered address: it waits for review in its campaign
        (
            department_mail(departments, "tinh-doan", on(15, 11)).replace(b"vanphong.tinh-doan", b"canbo.tinhdoan"),
            on(15, 11),
        ),
    ):
        deliver_to_maildir(tmp_path / "inbox", raw, at)

    def run(*args: str, config=DEPLOYMENT, code: int = 0) -> subprocess.CompletedProcess:
        command = [sys.executable, "-m", "mailbot", "--config", str(config), *args]
        result = subprocess.run(command, capture_output=True, text=True, env=env, cwd=ROOT, timeout=180)
        assert result.returncode == code, result.stdout + result.stderr
        return result

    run("poll", "--once")
    return run


def lines(result) -> list[dict]:
    return [json.loads(line) for line in result.stdout.splitlines() if line.strip()]


def test_each_review_list_object_names_its_campaign_where_several_are_configured(world):
    waiting = lines(world("review", "list", "--json"))
    assert sorted((x["campaign"] or "-", x["unit"] or "-") for x in waiting) == [
        ("-", "-"),
        ("departments", "tinh-doan"),
    ]
    assert list(waiting[0])[0] == "campaign"


def test_a_single_campaigns_review_list_json_is_as_before(world):
    single = lines(world("review", "list", "--json", config=DISTRICTS))
    assert single and all("campaign" not in x for x in single)


def test_history_of_a_campaign_and_of_a_unit_in_its_own_campaign(world):
    rows = list(
        csv.reader(io.StringIO(world("history", "--campaign", "departments", "--to", "2020-08-16", "--csv").stdout))
    )
    assert "smartphone_staff" in rows[0] and "installs" not in rows[0]
    unit_rows = list(
        csv.reader(
            io.StringIO(
                world("history", "--unit", "Sở Y tế", "--from", "2020-08-14", "--to", "2020-08-16", "--csv").stdout
            )
        )
    )
    assert "smartphone_staff" in unit_rows[0]
    assert any(r[1] == "so-y-te" for r in unit_rows[1:])
    districts = list(
        csv.reader(io.StringIO(world("--campaign", "districts", "history", "--to", "2020-08-14", "--csv").stdout))
    )
    assert "installs" in districts[0] and "smartphone_staff" not in districts[0]
    assert districts[-1][0] == "2020-08-14" and "17356" in districts[-1]


def test_history_of_the_area_shows_each_campaign_in_turn_and_csv_asks_for_one(world):
    shown = world("history", "--to", "2020-08-16").stdout
    assert shown.index("(districts)") < shown.index("(departments)")
    refused = world("history", "--csv", code=2)
    message = refused.stdout + refused.stderr
    assert "--campaign" in message and "districts, departments" in message
