"""`mailbot template`: the campaign's blank report workbook, which reads back exactly once filled in."""

from __future__ import annotations

import datetime as dt
import io
import os
import subprocess
import sys
from email import message_from_bytes

import pytest
from departments import DEPARTMENTS, ROOT, VN, departments
from openpyxl import load_workbook

from mailbot import compose
from mailbot.config import load_settings
from mailbot.reading.message import read_path, read_spreadsheet

SHIPPED = ROOT / "config" / "mailbot.toml"


def mailbot(*args: str, cwd=ROOT) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAILBOT_")}
    env["PYTHONPATH"] = str(ROOT)
    return subprocess.run(
        [sys.executable, "-m", "mailbot", *args], capture_output=True, text=True, env=env, cwd=cwd, timeout=180
    )


TOTAL_ROW = 17  # the form's total row: ten rows for offices or communes from row 7


def fill(data: bytes, rows: list[tuple]) -> bytes:
    """A unit's office fills the form in and saves it, its spreadsheet program writing the totals.

    openpyxl keeps no formula results, so the totals are written as the values a
    spreadsheet program would have stored for them (a formula saved without its
    result is held for review, as the reading tests pin).
    """
    book = load_workbook(io.BytesIO(data))
    sheet = book.active
    for offset, row in enumerate(rows):
        for column, value in enumerate(row, start=2):
            sheet.cell(7 + offset, column, value)
    for cell in sheet[TOTAL_ROW]:
        if isinstance(cell.value, str) and cell.value.startswith("=IF(COUNT("):
            counts = [sheet.cell(7 + offset, cell.column).value for offset in range(len(rows))]
            cell.value = sum(int(str(v).replace(".", "")) for v in counts if v is not None)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_the_form_has_the_unit_the_date_row_and_one_column_per_metric(tmp_path):
    result = mailbot("--config", str(DEPARTMENTS), "template", "--unit", "so-y-te", "--out", str(tmp_path / "f.xlsx"))
    assert result.returncode == 0, result.stderr
    sheet = load_workbook(tmp_path / "f.xlsx").active
    assert sheet["A1"].value == "Đơn vị báo cáo: Sở Y tế"
    assert sheet["A2"].value.startswith("BÁO CÁO KẾT QUẢ CÀI ĐẶT BLUEZONE")
    assert sheet["A3"].value == "(Báo cáo gửi trước ngày 17/8/2020)"
    assert [c.value for c in sheet[6]] == [
        "STT",
        "Phòng, đơn vị trực thuộc / xã, phường",
        "Số người có điện thoại thông minh",
        "Số người đã cài đặt Bluezone",
        "Tỷ lệ đã cài đặt (%)",
    ]
    assert sheet["B17"].value == "Tổng cộng" and sheet["C17"].value.startswith("=IF(COUNT(C7:C16)=0")

    daily = mailbot("template", "--date", "14/8/2020", cwd=tmp_path)
    assert daily.returncode == 0, daily.stderr
    sheet = load_workbook(tmp_path / "bieu-mau-bao-cao.xlsx").active
    assert sheet["A3"].value == "(Tính đến ngày 14/8/2020)" and sheet["C6"].value == "Số lượng cài đặt Bluezone"
    assert sheet["A1"].value.startswith("Đơn vị báo cáo: ....")


def test_a_filled_form_reads_back_exactly_and_a_blank_one_is_never_a_zero():
    from mailbot import app

    settings = departments()
    name, blank = app.blank_form(settings, "so-y-te")
    empty = read_spreadsheet(name, blank, settings)
    # an empty stored result cannot be told from none, so the blank total is named and never counted
    assert empty.status != "accepted" and empty.figures == {}
    filled = read_spreadsheet(name, fill(blank, [("Văn phòng", 38, 38), ("Thanh tra", 12, 11)]), settings)
    assert filled.status == "accepted" and filled.unit == "so-y-te"
    assert dict(filled.figures) == {"smartphone_staff": 50, "installed_staff": 49}

    bluezone = load_settings(SHIPPED, env={})
    name, blank = app.blank_form(bluezone, "nam-sach", dt.date(2020, 8, 14))
    filled = read_spreadsheet(name, fill(blank, [("Xã An Lâm", 1200), ("Xã Nam Hưng", "2.345")]), bluezone)
    assert (filled.unit, filled.period, dict(filled.figures)) == ("nam-sach", dt.date(2020, 8, 14), {"installs": 3545})


def test_reminders_attach_the_unit_s_form_where_the_campaign_says_so(tmp_path):
    settings = departments()
    now = dt.datetime(2020, 8, 15, 9, 0, tzinfo=VN)
    mail = message_from_bytes(compose.reminder(settings, settings.unit("tinh-doan"), dt.date(2020, 8, 15), now).raw)
    parts = [p for p in mail.walk() if p.get_filename()]
    assert [p.get_filename() for p in parts] == ["bieu-mau-bao-cao.xlsx"]
    path = tmp_path / "bieu-mau-bao-cao.xlsx"
    path.write_bytes(fill(parts[0].get_payload(decode=True), [("Văn phòng", 25, 20)]))
    reading = read_path(path, settings)
    assert reading.unit == "tinh-doan" and dict(reading.figures) == {"smartphone_staff": 25, "installed_staff": 20}
    again = compose.reminder(settings, settings.unit("tinh-doan"), dt.date(2020, 8, 15), now)
    assert again.raw == compose.reminder(settings, settings.unit("tinh-doan"), dt.date(2020, 8, 15), now).raw


@pytest.mark.parametrize("config", [SHIPPED])
def test_the_shipped_daily_campaign_s_reminders_attach_nothing(config):
    settings = load_settings(config, env={})
    assert settings.campaign.form_in_reminders is False
    now = dt.datetime(2020, 8, 14, 15, 0, tzinfo=VN)
    mail = message_from_bytes(compose.reminder(settings, settings.unit("nam-sach"), dt.date(2020, 8, 14), now).raw)
    assert not mail.is_multipart()
