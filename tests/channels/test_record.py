"""`mailbot record`: a figure received by telephone, through the store, the ledger, the
acknowledgement and the report, as real processes on SQLite."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from email import message_from_bytes, policy
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def env(tmp_path):
    variables = {k: v for k, v in os.environ.items() if not k.startswith("MAILBOT_")}
    variables.update(
        MAILBOT_CONFIG=str(ROOT / "config" / "mailbot.toml"),
        MAILBOT_INBOX_URL=f"maildir://{tmp_path / 'inbox'}",
        MAILBOT_DB_URL=f"sqlite:///{tmp_path / 'mailbot.db'}",
        MAILBOT_SMTP_URL=f"file://{tmp_path / 'outbox'}",
    )
    return variables


def mailbot(env, *args):
    return subprocess.run(
        [sys.executable, "-m", "mailbot", *args], capture_output=True, text=True, env=env, cwd=ROOT, timeout=120
    )


def record(env, unit, figure, at, *extra):
    return mailbot(
        env,
        "record",
        unit,
        figure,
        "--date",
        "2020-08-14",
        "--by",
        "Nguyễn Văn An",
        "--note",
        f"gọi điện lúc {at}",
        "--at",
        at,
        *extra,
    )


def test_a_telephoned_figure_counts_with_the_time_given_and_is_acknowledged(env, tmp_path):
    on_time = record(env, "nam-sach", "17.356", "15:40")
    assert on_time.returncode == 0, on_time.stderr
    assert "17.356" in on_time.stdout and "vanphong.namsach@haiduong.gov.vn" in on_time.stdout
    late = record(env, "Huyện Tứ Kỳ", "20836", "16:20")
    assert late.returncode == 0, late.stderr
    status = json.loads(mailbot(env, "status", "--date", "2020-08-14", "--json").stdout)
    units = {u["unit"]: u for u in status["units"]}
    assert units["nam-sach"]["state"] == "on_time" and units["nam-sach"]["figures"] == {"installs": 17356}
    assert units["tu-ky"]["state"] == "late" and units["tu-ky"]["figures"] == {"installs": 20836}
    assert status["totals"]["installs"] == 17356 + 20836
    acks = [message_from_bytes(p.read_bytes(), policy=policy.default) for p in (tmp_path / "outbox").glob("*.eml")]
    assert sorted(str(a["To"]) for a in acks) == ["vanphong.namsach@haiduong.gov.vn", "vanphong.tuky@haiduong.gov.vn"]
    assert any("17.356" in a.get_body(("plain",)).get_content() for a in acks)
    with sqlite3.connect(tmp_path / "mailbot.db") as db:
        sources, raws = zip(*db.execute("SELECT source, raw FROM messages ORDER BY id").fetchall(), strict=True)
    assert sources == ("record", "record")
    kept = message_from_bytes(raws[0], policy=policy.default)
    assert kept["X-Mailbot-Recorded-By"] == "Nguyễn Văn An" and "gọi điện lúc 15:40" in kept.get_content()
    report = mailbot(env, "report", "--date", "2020-08-14", "--out", str(tmp_path / "report"))
    assert report.returncode == 0, report.stderr
    html = next((tmp_path / "report").glob("*.html")).read_text(encoding="utf-8")
    assert "17.356" in html and "20.836" in html


@pytest.mark.parametrize(
    "args, words",
    [
        (["nam-sach", "12,5", "--by", "An"], "12,5"),
        (["nam-sach", "17356", "--by", " "], "--by"),
        (["nam-sach", "17356", "--by", "An", "--at", "25:99"], "HH:MM"),
        (["nam-sach", "17356", "--by", "An", "--metric", "tests"], "installs"),
        (["khong-co", "17356", "--by", "An"], "khong-co"),
    ],
)
def test_a_wrong_record_is_a_usage_error_and_records_nothing(env, tmp_path, args, words):
    done = mailbot(env, "record", *args)
    assert done.returncode == 2, done.stdout + done.stderr
    assert words in done.stderr
    assert not (tmp_path / "outbox").exists() or not list((tmp_path / "outbox").glob("*.eml"))
