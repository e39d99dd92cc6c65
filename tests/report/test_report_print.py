"""The report as people print and forward it: the workbook's page setup and what it says."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook
from talking_days import demo_ledger, demo_submissions, demo_trend, shipped_settings

from mailbot import report


@pytest.fixture(scope="module")
def settings():
    return shipped_settings()


@pytest.fixture(scope="module")
def summary(settings):
    ledger = demo_ledger(settings)
    rendered = report.render(settings, ledger, demo_trend(settings, ledger), demo_submissions(settings))
    return load_workbook(io.BytesIO(rendered.xlsx)).worksheets[0]


def texts(sheet) -> list[str]:
    return [c for row in sheet.iter_rows(values_only=True) for c in row if isinstance(c, str)]


def test_the_summary_prints_on_a4_landscape_one_page_wide(summary):
    setup = summary.page_setup
    assert setup.orientation == "landscape"
    assert setup.paperSize == int(summary.PAPERSIZE_A4)
    assert summary.sheet_properties.pageSetUpPr.fitToPage
    assert setup.fitToWidth in (None, 1) and setup.fitToHeight == 0  # one page wide, as many pages tall as needed


def test_the_tables_header_row_is_printed_on_every_page(summary):
    assert summary.print_title_rows == "$4:$4"
    assert summary.cell(4, 1).value == "STT" and summary.cell(4, 2).value == "Đơn vị"
    assert summary.oddFooter.center.text == "Trang &P/&N"


def test_the_print_area_holds_the_table_and_the_lists_below_it(summary):
    last_row = max(row for row in range(1, summary.max_row + 1) if summary.cell(row, 1).value is not None)
    assert summary.print_area == f"'{summary.title}'!$A$1:$I${last_row}"


def test_the_agency_named_in_the_configuration_heads_the_sheet(settings, summary):
    assert settings.campaign.department == "Sở Thông tin và Truyền thông"
    assert summary["A1"].value == "Sở Thông tin và Truyền thông tỉnh Hải Dương" and summary["A1"].font.b
    assert summary["A2"].value == "Số lượng cài đặt Bluezone trên địa bàn tỉnh Hải Dương"


def test_the_late_and_missing_lists_and_the_goal_are_below_the_table(summary):
    said = texts(summary)
    late, missing = said.index("Đơn vị báo cáo muộn"), said.index("Đơn vị chưa báo cáo")
    assert said[late + 1] == "– Huyện Ninh Giang: nhận lúc 16:20"
    assert said[missing + 1] == "– Huyện Thanh Miện"
    goal = next(s for s in said if s.startswith("Mục tiêu"))
    assert goal.startswith(
        "Mục tiêu đến ngày 20/8/2020: 60% người dùng điện thoại thông minh hoặc tối thiểu xếp thứ 10/63"
    )
    assert any("ước tính là 284.619" in s for s in said)


def test_the_agency_line_speaks_english_by_setting(settings):
    from dataclasses import replace

    english = replace(settings, language="en")
    ledger = demo_ledger(english)
    sheet = load_workbook(io.BytesIO(report.render(english, ledger, [], []).xlsx)).worksheets[0]
    assert sheet["A1"].value == "Sở Thông tin và Truyền thông, tỉnh Hải Dương"
    assert "Units that reported late" in texts(sheet) and sheet.oddFooter.center.text == "Page &P of &N"
