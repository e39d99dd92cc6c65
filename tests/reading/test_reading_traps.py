"""Reports that look fine and are not: every doubtful one waits for review, saying what and where.

The stored answers (codes, figures, sources) are in the corpus; these tests check what the
messages tell a person, and that `mailbot parse --json` carries it all.
"""

import json
import subprocess
import sys

import build_files as b
from conftest import CORPUS

from mailbot import i18n
from mailbot.models import Source
from mailbot.reading.message import read_message, read_path

NAM_SACH = "vanphong.namsach@haiduong.gov.vn"


def only_problem(name, shipped):
    reading = read_path(CORPUS / name, shipped)
    assert reading.status == "needs_review"
    return reading, reading.problems[0].message


def test_unit_mismatch_wins_over_a_subject_naming_the_own_unit(shipped):
    reading, message = only_problem("eml_unit_mismatch_own_unit_in_subject.eml", shipped)
    assert [p.code for p in reading.problems] == ["unit_mismatch"]
    assert "Huyện Nam Sách" in message and "Huyện Thanh Hà" in message
    assert "phần đầu bảng" in message and "BaoCao.xlsx" in message and '"Báo cáo"' in message


def test_unit_mismatch_named_by_the_attachment_name(shipped):
    reading, message = only_problem("eml_unit_mismatch_in_file_name.eml", shipped)
    assert [p.code for p in reading.problems] == ["unit_mismatch"]
    assert "Huyện Thanh Hà" in message and "tên tệp BC Bluezone Thanh Hà 14-8-2020.xlsx" in message


def test_a_commune_row_naming_the_own_unit_is_no_mismatch(shipped):
    raw = b.mail(
        sender="vanphong.gialoc@haiduong.gov.vn",
        subject="Báo cáo Bluezone ngày 14/8/2020",
        attachments=[("GiaLoc.xlsx", (CORPUS / "xlsx_merged_two_row_header.xlsx").read_bytes(), b.XLSX_TYPE)],
    )
    reading = read_message(raw, shipped)  # its rows include "Thị trấn Gia Lộc"
    assert reading.status == "accepted" and reading.figures == {"installs": 22660}


def test_a_compiled_table_names_its_units_and_gives_no_figure(shipped):
    reading, message = only_problem("eml_compiled_table_from_district.eml", shipped)
    assert reading.figures == {} and [p.code for p in reading.problems] == ["several_units"]
    assert "12 đơn vị" in message and "Thành phố Hải Dương" in message and "8 đơn vị khác" in message
    assert "Phu luc Bluezone.xlsx" in message and "bảng tổng hợp" in message


def test_two_units_in_one_table_are_several(shipped):
    rows = [["UBND HUYỆN NAM SÁCH"], [], ["STT", "Đơn vị", b.LABEL], [1, "Huyện Nam Sách", 17356]]
    rows += [[2, "Huyện Thanh Hà", 18731]]
    raw = b.mail(sender=NAM_SACH, subject="Báo cáo", attachments=[("bc.xlsx", b.xlsx(rows), b.XLSX_TYPE)])
    reading = read_message(raw, shipped)
    assert reading.figures == {} and [p.code for p in reading.problems] == ["several_units"]
    assert "Huyện Nam Sách, Huyện Thanh Hà" in reading.problems[0].message


def test_conflicting_figures_name_each_place(shipped):
    reading, message = only_problem("eml_two_attachments_disagree.eml", shipped)
    assert reading.figures == {} and [p.code for p in reading.problems] == ["conflicting_figures"]
    assert '17.356 (tệp BC_NamSach.xlsx, trang tính "Báo cáo", ô C11)' in message
    assert '17.456 (tệp BC_NamSach_sua.xlsx, trang tính "Báo cáo", ô C11)' in message


def test_conflicting_sheets_of_one_workbook(shipped):
    reading, message = only_problem("xlsx_two_sheets_differ.xlsx", shipped)
    assert '17.100 (tệp xlsx_two_sheets_differ.xlsx, trang tính "Số liệu cũ", ô C11)' in message
    assert '17.356 (tệp xlsx_two_sheets_differ.xlsx, trang tính "Báo cáo", ô C11)' in message


def test_where_a_figure_was_read_in_words():
    assert i18n.where_read(Source("BC.xlsx", "Báo cáo", "C24"), "vi") == 'ô C24, trang tính "Báo cáo", tệp BC.xlsx'
    assert i18n.where_read(Source("BC.xlsx", "Báo cáo", "C6:C9"), "vi").startswith("tổng các ô C6:C9")
    assert i18n.where_read(Source(None, None, None, 3), "vi") == "dòng 3 của nội dung thư"
    assert i18n.where_read(Source("BC.xlsx", "Báo cáo", "C24"), "en") == 'cell C24, sheet "Báo cáo", file BC.xlsx'


def test_parse_json_carries_sources_and_trap_problems():
    names = ["eml_two_attachments_agree.eml", "eml_compiled_table_from_district.eml", "xlsx_single_row.xlsx"]
    result = subprocess.run(
        [sys.executable, "-m", "mailbot", "parse", "--json", *(str(CORPUS / n) for n in names)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert lines[0]["figures"] == {"installs": 17356}
    assert lines[0]["sources"] == {
        "installs": {"file": "BC_NamSach.xlsx", "sheet": "Báo cáo", "cell": "C11", "line": None}
    }
    assert lines[1]["figures"] == {} and "sources" not in lines[1]
    assert [p["code"] for p in lines[1]["problems"]] == ["several_units"]
    assert lines[2]["sources"]["installs"]["cell"] == "C6"


def test_parse_shows_where_each_figure_was_read():
    result = subprocess.run(
        [sys.executable, "-m", "mailbot", "parse", str(CORPUS / "xlsx_single_row.xlsx")],
        capture_output=True,
        text=True,
        timeout=120,
        env={**__import__("os").environ, "COLUMNS": "400"},
    )
    assert result.returncode == 0, result.stderr
    assert 'ô C6, trang tính "Báo cáo", tệp xlsx_single_row.xlsx' in result.stdout


def test_undecided_columns_name_their_cells(shipped):
    reading, message = only_problem("xlsx_columns_undecided.xlsx", shipped)
    assert "C4, D4" in message and "Lũy kế" in message


def test_a_daily_column_alone_is_not_the_running_total(shipped):
    reading, message = only_problem("xlsx_daily_only.xlsx", shipped)
    assert '"Số cài đặt trong ngày"' in message and "ô C4" in message and "số lũy kế" in message


def test_day_columns_without_the_report_day_name_the_days(shipped):
    reading, message = only_problem("eml_day_columns_report_day_missing.eml", shipped)
    assert "12/8/2020, 13/8/2020, 14/8/2020" in message and "15/8/2020" in message


def test_a_formula_without_its_result_is_named_not_skipped(shipped):
    reading, message = only_problem("xlsx_formula_without_cached_value.xlsx", shipped)
    assert reading.figures == {} and '"=D8+E8"' in message and "ô C8" in message and "Excel" in message


def test_period_conflict_says_which_days(shipped):
    reading, message = only_problem("eml_reply_nothing_settles.eml", shipped)
    assert [p.code for p in reading.problems] == ["period_conflict"]
    assert "13/8/2020" in message and "14/8/2020" in message and reading.period.isoformat() == "2020-08-14"
