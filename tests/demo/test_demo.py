"""`mailbot demo` runs the real service end to end on the embedded defaults."""

import json
import os
import subprocess
import sys
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from openpyxl import load_workbook

ROOT = Path(__file__).resolve().parents[2]
APPENDIX = {
    "hai-duong": 70635,
    "chi-linh": 23954,
    "kinh-mon": 23004,
    "nam-sach": 17356,
    "kim-thanh": 19203,
    "thanh-ha": 18731,
    "cam-giang": 25805,
    "binh-giang": 15706,
    "gia-loc": 22660,
    "tu-ky": 20836,
    "ninh-giang": 15164,
    "thanh-mien": 12174,
}


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    work = tmp_path_factory.mktemp("demo")
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAILBOT_")}
    result = subprocess.run(
        [sys.executable, "-m", "mailbot", "demo", "--dir", str(work / "day")],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    return work / "day", result.stdout


def test_the_demo_says_how_status_reads_its_day(demo_run):
    day, stdout = demo_run
    line = next(line for line in stdout.splitlines() if "mailbot status --date 2020-08-14" in line)
    url = line.split("MAILBOT_DB_URL=", 1)[1].split()[0]
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAILBOT_")}
    shown = subprocess.run(
        [sys.executable, "-m", "mailbot", "status", "--date", "2020-08-14", "--json"],
        capture_output=True,
        text=True,
        env={**env, "MAILBOT_DB_URL": url},
        cwd=ROOT,
        timeout=120,
    )
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout)["totals"]["reported"] == 11


def test_the_day_ledger_has_the_real_figures_and_states(demo_run):
    day, _ = demo_run
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAILBOT_")}
    env["MAILBOT_DB_URL"] = f"sqlite:///{day / 'mailbot.db'}"
    result = subprocess.run(
        [sys.executable, "-m", "mailbot", "status", "--date", "2020-08-14", "--json"],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    import json

    ledger = json.loads(result.stdout)
    states = {u["unit"]: u["state"] for u in ledger["units"]}
    assert states.pop("ninh-giang") == "late"
    assert states.pop("thanh-mien") == "missing"
    assert set(states.values()) == {"on_time"}
    figures = {u["unit"]: u["figures"].get("installs") for u in ledger["units"]}
    assert figures == {**APPENDIX, "thanh-mien": None}
    assert ledger["totals"] == {
        "installs": sum(APPENDIX.values()) - APPENDIX["thanh-mien"],
        "reported": 11,
        "expected": 12,
        "estimate": {"installs": sum(APPENDIX.values()) - APPENDIX["thanh-mien"]},
    }
    gia_loc = next(u for u in ledger["units"] if u["unit"] == "gia-loc")
    assert gia_loc["submissions"] == 2  # the broken file, then the good one
    assert ledger["deadline"] == "2020-08-14T16:00:00+07:00"


def test_acknowledgements_and_the_error_reply_were_written(demo_run):
    day, stdout = demo_run
    mails = [message_from_bytes(p.read_bytes(), policy=policy.default) for p in sorted((day / "outbox").glob("*.eml"))]
    to_units = [m for m in mails if str(m["To"]).endswith("@haiduong.gov.vn") and "stttt@" not in str(m["To"])]
    # two earlier days of 11 units, 11 reports on the day, and the broken file
    assert len(to_units) == 34
    assert all(m["In-Reply-To"] and str(m["Subject"]).startswith("Re:") for m in to_units)
    broken = [
        m
        for m in to_units
        if "vanphong.gialoc" in str(m["To"])
        and "không" in m.get_body(("plain",)).get_content().lower()
        and "ghi nhận" in m.get_body(("plain",)).get_content()
    ]
    assert broken, "the broken attachment gets a reply saying nothing was recorded"
    assert "gialoc" in stdout.replace(".", "") or "Gia Lộc" in stdout


def test_the_consolidated_report_files(demo_run):
    day, stdout = demo_run
    report = day / "report"
    html = next(report.glob("*.html")).read_text(encoding="utf-8")
    assert "Huyện Ninh Giang" in html and "70.635" in html
    png = next(report.glob("*.png")).read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    book = load_workbook(next(report.glob("*.xlsx")))
    values = [c for row in book.worksheets[0].iter_rows(values_only=True) for c in row]
    assert 70635 in values and sum(APPENDIX.values()) - APPENDIX["thanh-mien"] in values
    report_mails = [
        p for p in (day / "outbox").glob("*.eml") if "stttt@haiduong.gov.vn" in p.read_text(errors="replace")
    ]
    assert report_mails
    for needle in ("inbox", "outbox", ".html", ".xlsx", ".png"):
        assert needle in stdout


def test_running_the_demo_again_starts_fresh(demo_run, tmp_path):
    day, _ = demo_run
    stranger = tmp_path / "not-a-demo"
    stranger.mkdir()
    (stranger / "precious.txt").write_text("keep me")
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAILBOT_")}
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
