"""The stored-answer corpus: every file beside the answer a careful person would give."""

import json

import pytest
from conftest import CORPUS

from mailbot.reading.message import read_path

CASES = sorted(p.with_suffix("") for p in CORPUS.glob("*.json"))


def test_corpus_is_large_and_varied():
    suffixes = {p.suffix for p in CASES}
    assert len(CASES) >= 40
    assert {".eml", ".xlsx", ".xlsm", ".xls", ".ods", ".csv"} <= suffixes


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.name)
def test_reading_matches_stored_answer(path, shipped):
    expected = json.loads(path.with_name(path.name + ".json").read_text(encoding="utf-8"))
    reading = read_path(path, shipped)
    got = reading.to_json()
    assert got["path"] == str(path)
    got["path"] = path.name
    messages = [p["message"] for p in got["problems"]]
    got["problems"] = [{"code": p["code"]} for p in got["problems"]]
    assert got == expected
    for message in messages:
        assert message.strip() and "{" not in message and "}" not in message


@pytest.mark.parametrize(
    "name, cell",
    [
        ("xlsx_total_mismatch.xlsx", "ô C10"),
        ("xlsx_decimal_comma.xlsx", "ô C5"),
        ("xlsx_four_decimals_total.xlsx", "ô C8"),
    ],
)
def test_cell_problems_say_where(name, cell, shipped):
    reading = read_path(CORPUS / name, shipped)
    message = reading.problems[0].message
    assert name in message and cell in message and "Báo cáo" in message


def test_file_problems_name_the_file_and_the_fix(shipped):
    reading = read_path(CORPUS / "truncated_workbook.xlsx", shipped)
    assert "truncated_workbook.xlsx" in reading.problems[0].message
    assert ".xlsx" in reading.problems[0].message and "gửi lại" in reading.problems[0].message


def test_mail_lists_attachment_names_as_sent(shipped):
    reading = read_path(CORPUS / "eml_rfc2231_name.eml", shipped)
    assert reading.attachments == ("Báo cáo Bluezone Gia Lộc 13-8-2020.xlsx",)
    reading = read_path(CORPUS / "eml_rfc2047_name.eml", shipped)
    assert reading.attachments == ("Báo cáo Bình Giang.xlsx",)


def test_reply_to_is_the_sender_for_people_and_none_for_robots(shipped):
    assert read_path(CORPUS / "eml_registered_on_time.eml", shipped).reply_to == "vanphong.namsach@haiduong.gov.vn"
    assert read_path(CORPUS / "eml_bounce_from_mailer_daemon.eml", shipped).reply_to is None
