"""Metrics derived from others: the departments' share installed, per unit and overall, against 100 %."""

from __future__ import annotations

import datetime as dt

import pytest
from departments import VN, departments, departments_text

from mailbot import ledger, report
from mailbot.config import load_settings
from mailbot.errors import ConfigError
from mailbot.models import Submission

PERIOD = dt.date(2020, 8, 16)
AS_OF = dt.datetime(2020, 8, 17, 12, 0, tzinfo=VN)


def sub(n, unit, smartphone, installed, day=15, status="accepted"):
    return Submission(
        id=n,
        message_row=n,
        unit=unit,
        period=PERIOD,
        received_at=dt.datetime(2020, 8, day, 10, 0, tzinfo=VN),
        sender=None,
        figures={"smartphone_staff": smartphone, "installed_staff": installed},
        status=status,
        problems=(),
    )


DAY = [sub(1, "so-y-te", 64, 63), sub(2, "so-noi-vu", 39, 39), sub(3, "tinh-doan", 25, 20, day=17)]


def test_the_share_is_derived_never_read():
    campaign = departments().campaign
    assert [m.id for m in campaign.metrics] == ["smartphone_staff", "installed_staff"]
    share = campaign.share
    assert (share.id, share.numerator, share.denominator, share.goal_percent) == (
        "installed_share",
        "installed_staff",
        "smartphone_staff",
        100.0,
    )
    assert share.of({"smartphone_staff": 64, "installed_staff": 63}) == pytest.approx(98.4375)
    assert share.of({"smartphone_staff": 0, "installed_staff": 0}) is None
    assert share.of({"installed_staff": 3}) is None


def test_each_unit_and_the_total_get_the_share_and_the_json_says_it():
    day = ledger.build_day(departments(), PERIOD, DAY, AS_OF)
    units = {u["unit"]: u for u in day.to_json()["units"]}
    assert units["so-y-te"]["derived"] == {"installed_share": pytest.approx(98.4375)}
    assert units["tinh-doan"]["derived"] == {"installed_share": 80.0} and units["tinh-doan"]["state"] == "late"
    assert units["so-tu-phap"]["derived"] == {"installed_share": None}
    totals = day.to_json()["totals"]
    assert totals["smartphone_staff"] == 128 and totals["installed_staff"] == 122
    assert totals["derived"]["installed_share"] == pytest.approx(122 * 100 / 128)
    assert day.goal_percent == 100.0 and day.rank_by == "coverage"
    assert [u.unit for u in day.units if u.rank == 1] == ["so-noi-vu"]


def test_a_campaign_without_shares_keeps_its_json_as_it_was():
    bluezone = load_settings("config/mailbot.toml", env={})
    day = ledger.build_day(bluezone, dt.date(2020, 8, 14), [], dt.datetime(2020, 8, 14, 17, 0, tzinfo=VN))
    as_json = day.to_json()
    assert "derived" not in as_json["totals"] and all("derived" not in u for u in as_json["units"])


def test_the_report_says_who_reported_the_share_per_unit_against_the_target_and_who_is_missing():
    settings = departments()
    day = ledger.build_day(settings, PERIOD, DAY, AS_OF)
    rendered = report.render(settings, day, [], DAY)
    plain = rendered.text
    assert "hạn trước ngày 17/8/2020" in rendered.subject
    assert "3/24 đơn vị đã báo cáo" in plain
    assert "tỷ lệ đã cài đặt đạt 95,31%" in plain
    assert "Chỉ tiêu: tỷ lệ đã cài đặt 100%. Đã đạt chỉ tiêu: 1/3 đơn vị đã báo cáo." in plain
    below = plain.split("chưa đạt chỉ tiêu 100%:")[1].split("\n\n")[0]
    assert "Sở Y tế: 98,44%" in below and "Tỉnh đoàn: 80,00%" in below and "Sở Nội vụ" not in below
    missing = plain.split("Đơn vị chưa báo cáo:")[1].split("\n\n")[0]
    assert missing.count("\n- ") == 21 and "Sở Tư pháp" in missing and "Sở Y tế" not in missing
    header = next(line for line in plain.splitlines() if line.startswith("STT"))
    assert "Dân số" not in header and "Tỷ lệ đã cài đặt" in header and "Tăng so với ngày trước" not in header
    row = next(line for line in plain.splitlines() if line.startswith("15 | Sở Y tế"))
    assert row.split(" | ")[2:5] == ["64", "63", "98,44%"]
    columns = rendered.html.count("<th ")
    rows = rendered.html.split("<tbody>")[1].split("</tbody>")[0].split("<tr")[1:]
    assert columns == len(header.split(" | ")) and len(rows) == 25
    assert all(r.count("<td ") == columns for r in rows)  # no cell lost or added in the HTML table


def test_the_workbook_has_the_share_as_a_percentage_beside_the_two_counts():
    import io

    from openpyxl import load_workbook

    settings = departments()
    day = ledger.build_day(settings, PERIOD, DAY, AS_OF)
    sheet = load_workbook(io.BytesIO(report.render(settings, day, [], DAY).xlsx)).worksheets[0]
    header = [c.value for c in sheet[4]]
    assert header[2:5] == ["Số người có điện thoại thông minh", "Số người đã cài đặt Bluezone", "Tỷ lệ đã cài đặt"]
    so_y_te = [c.value for c in sheet[4 + 15]]
    assert so_y_te[1] == "Sở Y tế" and so_y_te[2:5] == [64, 63, pytest.approx(0.984375)]
    assert sheet.cell(4 + 15, 5).number_format == "0.00%"


@pytest.mark.parametrize(
    "old, new, key, fix",
    [
        ('numerator = "installed_staff"', 'numerator = "installs"', "metrics[2].numerator", "smartphone_staff"),
        ('denominator = "smartphone_staff"', 'denominator = "installed_staff"', "metrics[2].denominator", "numerator"),
        ('id = "installed_share"', 'id = "installed_staff"', "metrics[2].id", "một lần"),
        ("goal_percent = 100\n", "goal_percent = 150\n", "metrics[2].goal_percent", "100"),
    ],
)
def test_a_wrong_share_is_one_line_naming_the_key_and_the_fix(tmp_path, old, new, key, fix):
    text = departments_text()
    assert old in text
    path = tmp_path / "campaign.toml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_settings(path, env={})
    said = str(caught.value)
    assert "\n" not in said and f"mục {key}:" in said and fix in said
