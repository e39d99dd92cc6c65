"""`mailbot poll --once` with `[inbox] auth = "xoauth2"` against a real Dovecot.

The Dovecot instance checks each access token with a real token introspection
endpoint on loopback (fixtures_oauth2.py); the token is given as
MAILBOT_INBOX_PASSWORD (docs/settings.md), the configuration says it is one.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from fixtures_oauth2 import OAuth2Account
from inbox_helpers import VN

from mailbot.config import load_settings
from mailbot.samples import district_workbook, report_mail

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = load_settings(ROOT / "config/mailbot.toml", env={})
EXPIRED_TOKEN = "ya29.het-han-roi-0123456789"


def xoauth2_config(folder: Path) -> Path:
    """The shipped configuration with the inbox login switched to XOAUTH2."""
    text = (ROOT / "config/mailbot.toml").read_text(encoding="utf-8")
    assert 'auth = "password"' in text
    path = folder / "mailbot.toml"
    path.write_text(text.replace('auth = "password"', 'auth = "xoauth2"'), encoding="utf-8")
    return path


@pytest.fixture
def deployment(tmp_path, oauth2_account: OAuth2Account) -> dict:
    """The environment of a deployment that logs in with the account's valid access token."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAILBOT_")}
    env.update(
        MAILBOT_CONFIG=str(xoauth2_config(tmp_path)),
        MAILBOT_INBOX_URL=oauth2_account.account.url(with_password=False),
        MAILBOT_INBOX_PASSWORD=oauth2_account.token,
        MAILBOT_DB_URL=f"sqlite:///{tmp_path / 'mailbot.db'}",
        MAILBOT_SMTP_URL=f"file://{tmp_path / 'outbox'}",
    )
    return env


def mailbot(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "mailbot", *args], capture_output=True, text=True, env=env, cwd=ROOT, timeout=180
    )


def stored_messages(env: dict) -> int:
    path = env["MAILBOT_DB_URL"].removeprefix("sqlite:///")
    if not Path(path).exists():
        return 0
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
        return conn.execute("SELECT count(*) FROM messages").fetchone()[0]


def append_nam_sach_report(oauth2_account: OAuth2Account, figure: int) -> None:
    unit = SHIPPED.unit("nam-sach")
    arrived = dt.datetime(2020, 8, 14, 15, 42, tzinfo=VN)
    raw = report_mail(
        sender=unit.senders[0],
        sender_name=f"Văn phòng {unit.name}",
        to=SHIPPED.campaign.reporting_mailbox,
        subject=f"Báo cáo Bluezone ngày 14/8/2020 - {unit.name}",
        body="Kính gửi Sở TT&TT.",
        sent_at=arrived,
        attachment_name="baocao.xlsx",
        attachment=district_workbook(unit.name, figure, arrived.date(), SHIPPED.campaign.metrics[0].label),
    )
    oauth2_account.account.append(raw, arrived)


def test_a_valid_access_token_logs_in_and_the_report_is_ingested(deployment, oauth2_account):
    append_nam_sach_report(oauth2_account, 17356)

    result = mailbot(deployment, "poll", "--once")

    assert result.returncode == 0, result.stderr
    assert oauth2_account.introspection.asked == [oauth2_account.token]  # Dovecot checked this very token
    assert stored_messages(deployment) == 1
    status = mailbot(deployment, "status", "--date", "2020-08-14", "--json")
    units = {u["unit"]: u for u in json.loads(status.stdout)["units"]}
    assert units["nam-sach"]["state"] == "on_time" and units["nam-sach"]["figures"] == {"installs": 17356}


def test_an_expired_access_token_is_exit_status_1_and_one_clear_line(deployment, oauth2_account):
    append_nam_sach_report(oauth2_account, 17356)
    deployment["MAILBOT_INBOX_PASSWORD"] = EXPIRED_TOKEN

    result = mailbot(deployment, "poll", "--once")

    assert result.returncode == 1
    assert oauth2_account.introspection.asked == [EXPIRED_TOKEN]  # refused by the token check, not before it
    assert result.stderr.count("\n") == 1 and result.stderr.endswith("\n")
    line = result.stderr
    assert f"127.0.0.1:{oauth2_account.account.server.port}" in line and oauth2_account.account.user in line
    assert "từ chối đăng nhập" in line and "xoauth2" in line  # the login was refused: renew the token
    assert EXPIRED_TOKEN not in result.stdout + line and oauth2_account.token not in result.stdout + line
    assert stored_messages(deployment) == 0
