"""`mailbot units import`: a table of units into a campaign file, shown first, written only when asked."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from departments import ROOT
from openpyxl import Workbook

from mailbot.config import load_settings

SHIPPED = ROOT / "config" / "mailbot.toml"
VI_HEADER = ["STT", "Mã đơn vị", "Tên đơn vị", "Địa chỉ thư điện tử", "Dân số", "Tên khác", "Hoạt động từ ngày"]


def communes(count: int = 200) -> list[list]:
    rows = []
    for n in range(1, count + 1):
        senders = f"ubnd.xa{n}@haiduong.gov.vn" + (f", vanthu.xa{n}@haiduong.gov.vn" if n % 7 == 0 else "")
        population = f"{8000 + n * 13:,}".replace(",", ".") if n % 2 else 8000 + n * 13  # as text and as numbers
        aliases = f"Xã số {n}; X. {n}" if n % 3 == 0 else None
        since = "1/1/2020" if n == 200 else None
        rows.append([n, f"xa-{n:03d}", f"Xã Thử Nghiệm {n}", senders, population, aliases, since])
    return rows


def xlsx(path: Path, header: list, rows: list[list]) -> Path:
    book = Workbook()
    sheet = book.active
    sheet.append(["DANH SÁCH ĐƠN VỊ BÁO CÁO"])
    sheet.append([])
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def write_csv(path: Path, header: list, rows: list[list]) -> Path:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    path.write_text(buffer.getvalue(), encoding="utf-8")
    return path


def mailbot(*args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAILBOT_")}
    return subprocess.run(
        [sys.executable, "-m", "mailbot", *args], capture_output=True, text=True, env=env, cwd=ROOT, timeout=180
    )


@pytest.fixture
def campaign(tmp_path) -> Path:
    path = tmp_path / "xa.toml"
    path.write_text(SHIPPED.read_text(encoding="utf-8"), encoding="utf-8")
    return path


def test_a_200_commune_spreadsheet_gives_a_campaign_that_check_config_accepts(tmp_path, campaign):
    table = xlsx(tmp_path / "communes.xlsx", VI_HEADER, communes())
    before = campaign.read_text(encoding="utf-8")
    shown = mailbot("units", "import", str(table), "--into", str(campaign))
    assert shown.returncode == 0, shown.stderr
    assert "Thêm 200 đơn vị: xa-001" in shown.stdout and "Bỏ 12 đơn vị" in shown.stdout
    assert "Chưa ghi gì" in shown.stdout and campaign.read_text(encoding="utf-8") == before  # shown, not written

    written = mailbot("units", "import", str(table), "--into", str(campaign), "--yes")
    assert written.returncode == 0, written.stderr
    checked = mailbot("check-config", "--config", str(campaign))
    assert checked.returncode == 0, checked.stderr
    assert "200 đơn vị" in checked.stdout
    settings = load_settings(campaign, env={})
    assert [u.id for u in settings.units][:3] == ["xa-001", "xa-002", "xa-003"] and len(settings.units) == 200
    assert settings.unit("xa-001").population == 8013 and settings.unit("xa-002").population == 8026
    assert settings.unit("xa-007").senders == ("ubnd.xa7@haiduong.gov.vn", "vanthu.xa7@haiduong.gov.vn")
    assert settings.unit("xa-003").aliases == ("Xã số 3", "X. 3") and settings.unit("xa-001").aliases == ()
    assert settings.unit("xa-200").active_from.isoformat() == "2020-01-01"
    assert settings.unit_of_sender("VanThu.Xa7@haiduong.gov.vn").id == "xa-007"
    text = campaign.read_text(encoding="utf-8")
    after_units = text.split("[schedule]")[1]
    assert after_units == before.split("[schedule]")[1]  # the file's other tables and comments kept
    assert "# Only Authentication-Results headers added by this server are trusted." in text
    assert settings.campaign == load_settings(SHIPPED, env={}).campaign

    again = mailbot("units", "import", str(table), "--into", str(campaign))
    assert again.returncode == 0 and "không thay đổi" in again.stdout


def test_english_headers_and_ids_made_from_names_update_units_in_place_keeping_their_comments(tmp_path, campaign):
    settings = load_settings(SHIPPED, env={})
    rows = [[u.name, ", ".join(u.senders)] for u in settings.units]
    rows[3][1] = "vanphong.namsach@haiduong.gov.vn, lanhdao.namsach@haiduong.gov.vn"  # Huyện Nam Sách
    table = write_csv(tmp_path / "units.csv", ["Name", "Senders"], rows)
    result = mailbot("--config", str(campaign), "units", "import", str(table), "--yes")
    assert result.returncode == 0, result.stderr
    # ids made from the names are new ids: the shipped ids are replaced, which the output says
    assert "Thêm 12 đơn vị: thanh-pho-hai-duong" in result.stdout and "Bỏ 12 đơn vị" in result.stdout

    campaign.write_text(SHIPPED.read_text(encoding="utf-8"), encoding="utf-8")
    rows = [[u.id, ", ".join(u.senders)] for u in settings.units]
    rows[3][1] += ", lanhdao.namsach@haiduong.gov.vn"
    table = write_csv(tmp_path / "ids.csv", ["id", "email"], rows)
    result = mailbot("units", "import", str(table), "--into", str(campaign), "--yes")
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stdout.splitlines() if line.startswith("Sửa")]
    assert lines == [
        "Sửa nam-sach: senders vanphong.namsach@haiduong.gov.vn → "
        "vanphong.namsach@haiduong.gov.vn, lanhdao.namsach@haiduong.gov.vn"
    ]
    text = campaign.read_text(encoding="utf-8")
    assert "# A thị xã until 1 March 2019 (Resolution 623/NQ-UBTVQH14)." in text  # comments inside units kept
    assert 'population = 299638  # danso.asia, "dân số Hải Dương" (2019 census)' in text
    assert load_settings(campaign, env={}).unit("nam-sach").senders[1] == "lanhdao.namsach@haiduong.gov.vn"


@pytest.mark.parametrize(
    "change, said",
    [
        (lambda h, r: ([c for c in h if c != "Địa chỉ thư điện tử"], [x[:3] + x[4:] for x in r]), "không tìm thấy cột"),
        (
            lambda h, r: (h, r[:5] + [[6, "xa-006", "Xã 6", "ubnd.xa2@haiduong.gov.vn", 100, None, None]] + r[6:]),
            "dòng 9",
        ),
        (
            lambda h, r: (
                h,
                r[:9] + [[10, "xa-010", "Xã 10", "ubnd.xa10@haiduong.gov.vn", "khoảng 9 nghìn", None, None]],
            ),
            "dòng 13",
        ),
        (lambda h, r: (h, r[:9] + [[10, "xa-002", "Xã 10", "ubnd.xa10@haiduong.gov.vn", 900, None, None]]), "dòng 13"),
        (lambda h, r: (h, r[:9] + [[10, "xa-010", "Xã 10", "ubnd.xa10@", 900, None, None]]), "dòng 13"),
        (
            lambda h, r: (h, r[:9] + [[10, "xa-010", "Xã 10", "ubnd.xa10@haiduong.gov.vn", 900, None, "32/13/2020"]]),
            "dòng 13",
        ),
    ],
    ids=[
        "missing-senders-column",
        "duplicate-sender",
        "population-not-a-number",
        "id-used-twice",
        "bad-address",
        "bad-date",
    ],
)
def test_bad_input_is_one_line_naming_the_file_row_and_fix_and_nothing_is_written(tmp_path, campaign, change, said):
    header, rows = change(VI_HEADER, communes(20))
    table = xlsx(tmp_path / "bad.xlsx", header, rows)
    before = campaign.read_bytes()
    result = mailbot("units", "import", str(table), "--into", str(campaign), "--yes")
    assert result.returncode == 1
    message = result.stderr.strip()
    assert message.count("\n") == 0 and "bad.xlsx" in message and said in message
    assert "(" in message and message.endswith(")")  # the fix, as every mailbot error gives it
    assert campaign.read_bytes() == before
    assert sorted(p.name for p in campaign.parent.iterdir()) == sorted(["bad.xlsx", campaign.name])


def test_a_failure_while_writing_leaves_the_old_file_whole(tmp_path, campaign, monkeypatch):
    from mailbot import units

    plan = units.plan_units_import(xlsx(tmp_path / "c.xlsx", VI_HEADER, communes(5)), campaign, "vi")
    before = campaign.read_bytes()

    def crash(*_args):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError):
        units.write_plan(plan)
    assert campaign.read_bytes() == before
    assert sorted(p.name for p in campaign.parent.iterdir()) == sorted(["c.xlsx", campaign.name])
    monkeypatch.undo()
    units.write_plan(plan)
    assert len(load_settings(campaign, env={}).units) == 5


def test_an_import_that_would_make_the_campaign_invalid_writes_nothing(tmp_path, campaign):
    text = campaign.read_text(encoding="utf-8").replace('time_zone = "Asia/Ho_Chi_Minh"', 'time_zone = "Mars/Olympus"')
    campaign.write_text(text, encoding="utf-8")
    result = mailbot(
        "units", "import", str(xlsx(tmp_path / "c.xlsx", VI_HEADER, communes(3))), "--into", str(campaign), "--yes"
    )
    assert result.returncode == 1 and "campaign.time_zone" in result.stderr and result.stderr.count("\n") == 1
    assert campaign.read_text(encoding="utf-8") == text
