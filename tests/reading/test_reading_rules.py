"""Reading rules beyond the corpus: arrival time, oversized mail, robots, limits, text repair."""

import dataclasses
import struct
import threading
from datetime import UTC, datetime

import build_files as b
import pytest
from conftest import CORPUS

from mailbot.errors import SpreadsheetError
from mailbot.reading.legacy import repair
from mailbot.reading.message import read_message, read_spreadsheet
from mailbot.reading.unit import unit_named
from mailbot.sheets import read_tables
from mailbot.sheets.limits import within_time

NAM_SACH = (CORPUS / "xlsx_communes_total.xlsx").read_bytes()
NAM_SACH_MAIL = (CORPUS / "eml_registered_on_time.eml").read_bytes()


def test_server_arrival_time_wins_over_headers(shipped):
    arrival = datetime(2020, 8, 14, 9, 30, 5, tzinfo=UTC)  # 16:30:05 local
    reading = read_message(NAM_SACH_MAIL, shipped, received_at=arrival, path="imap://x/INBOX#1:7")
    assert reading.received_at.isoformat() == "2020-08-14T16:30:05+07:00"
    assert reading.late is True and reading.path == "imap://x/INBOX#1:7"
    assert reading.figures == {"installs": 17356}


def test_headers_only_message_is_too_large_without_figures(shipped):
    headers = NAM_SACH_MAIL.split(b"\n\n", 1)[0] + b"\n\n"
    reading = read_message(headers, shipped, headers_only=True, size=40 * 1024 * 1024)
    assert [p.code for p in reading.problems] == ["file_too_large"]
    assert reading.figures == {} and reading.unit == "nam-sach" and reading.status == "rejected"
    assert "40 MB" in reading.problems[0].message and reading.problems[0].message.startswith("Thư")


@pytest.mark.parametrize(
    "header",
    [
        ("Auto-Submitted", "auto-replied"),
        ("Precedence", "bulk"),
        ("Precedence", "junk"),
        ("Precedence", "list"),
    ],
)
def test_robots_get_no_reply(header, shipped):
    raw = b.mail(sender="vanphong.namsach@haiduong.gov.vn", subject="Tự động trả lời", headers=[header])
    assert read_message(raw, shipped).reply_to is None


@pytest.mark.parametrize(
    "sender",
    [
        "noreply@haiduong.gov.vn",
        "no-reply@gmail.com",
        "postmaster@haiduong.gov.vn",
        "baocao.stttt@haiduong.gov.vn",
    ],
)
def test_robot_senders_get_no_reply(sender, shipped):
    assert read_message(b.mail(sender=sender, subject="x"), shipped).reply_to is None


def test_auto_submitted_no_is_a_person(shipped):
    raw = b.mail(sender="vanphong.namsach@haiduong.gov.vn", subject="x", headers=[("Auto-Submitted", "no")])
    assert read_message(raw, shipped).reply_to == "vanphong.namsach@haiduong.gov.vn"


def test_english_messages(shipped):
    english = dataclasses.replace(shipped, language="en")
    reading = read_spreadsheet("bc.xlsx", (CORPUS / "xlsx_decimal_comma.xlsx").read_bytes(), english)
    assert reading.problems[0].message.startswith('The value "12,5" (file bc.xlsx, sheet "Báo cáo", cell C5)')


def test_size_limit_before_opening(shipped):
    small = dataclasses.replace(shipped, limits=dataclasses.replace(shipped.limits, max_attachment_bytes=1000))
    reading = read_spreadsheet("bc.xlsx", NAM_SACH, small)
    assert reading.problems[0].code == "file_too_large" and reading.figures == {}


def test_row_and_column_caps(shipped):
    capped = dataclasses.replace(shipped.limits, max_rows=5)
    with pytest.raises(SpreadsheetError) as caught:
        read_tables("bc.xlsx", NAM_SACH, capped)
    assert caught.value.code == "file_too_large"
    rows = [["x"] * 30]
    with pytest.raises(SpreadsheetError):
        read_tables("wide.csv", b.csv_text(rows, ",").encode(), dataclasses.replace(shipped.limits, max_columns=20))


def test_compression_ratio_limit(shipped):
    bomb = b.zip_bomb(8 * 1024 * 1024)  # 8 MB of padding: under the size limit, far over the ratio
    with pytest.raises(SpreadsheetError) as caught:
        read_tables("bc.xlsx", bomb, shipped.limits)
    assert caught.value.code == "file_too_large" and "expand" in caught.value.message


def test_time_limit_on_reading(shipped):
    rows = [[f"Xã {i}", i, i * 2, i * 3] for i in range(1500)]
    big = b.xlsx(rows)
    hurried = dataclasses.replace(shipped.limits, read_timeout_seconds=0.000001)
    with pytest.raises(SpreadsheetError) as caught:
        read_tables("big.xlsx", big, hurried)
    assert caught.value.code == "file_too_large" and "seconds" in caught.value.message


def lying_directory(data: bytes, member: str, announced: int) -> bytes:
    """The zip with `member`'s uncompressed size rewritten to `announced` in both headers."""
    out = bytearray(data)
    name = member.encode()
    for signature, size_at in ((b"PK\x01\x02", 24), (b"PK\x03\x04", 22)):
        start = 0
        while (start := out.find(signature, start)) >= 0:
            name_at = start + (46 if signature == b"PK\x01\x02" else 30)
            if out[name_at : name_at + len(name)] == name:
                out[start + size_at : start + size_at + 4] = struct.pack("<I", announced)
            start += 4
    return bytes(out)


def test_zip_directory_that_lies_about_sizes_is_caught_before_reading(shipped):
    forged = lying_directory(NAM_SACH, "xl/worksheets/sheet1.xml", 100)
    reading = read_spreadsheet("bc.xlsx", forged, shipped)
    assert [p.code for p in reading.problems][0] == "unreadable_file" and reading.figures == {}


def test_truncated_zip_is_unreadable(shipped):
    reading = read_spreadsheet("bc.xlsx", NAM_SACH[:-200], shipped)
    assert reading.problems[0].code == "unreadable_file" and reading.figures == {}


def test_stuck_reader_is_abandoned_at_the_time_limit():
    release = threading.Event()
    with pytest.raises(SpreadsheetError) as caught:
        within_time(lambda: release.wait(5), 0.05, expanded_bytes=50 * 1024 * 1024)
    release.set()
    assert caught.value.code == "file_too_large"
    assert within_time(lambda: 42, 5, expanded_bytes=50 * 1024 * 1024) == 42


@pytest.mark.parametrize(
    "legacy, unicode",
    [
        ("HuyÖn Nam S¸ch", "Huyện Nam Sách"),
        ("ThÞ x· Kinh M«n", "Thị xã Kinh Môn"),
        ("Tæng céng", "Tổng cộng"),
        ("Huyeän Nam Saùch", "Huyện Nam Sách"),
        ("Thò xaõ Kinh Moân", "Thị xã Kinh Môn"),
        ("Toång coäng", "Tổng cộng"),
        ("Sè l\xadîng cµi ®Æt", "Số lượng cài đặt"),
        ("Ñôn vò", "Đơn vị"),
        ("Báo cáo", "Báo cáo"),
        ("Hoà bình", "Hoà bình"),
        ("Huyện Nam Sách", "Huyện Nam Sách"),
    ],
)
def test_legacy_text_repaired_by_characters(legacy, unicode):
    assert repair(legacy) == unicode


def test_legacy_text_repaired_by_font():
    assert repair("huyÖn thanh miÖn", ".VnTimeH") == "HUYỆN THANH MIỆN"
    assert repair("Thaønh phoá", "VNI-Times") == "Thành phố"


def test_decomposed_text_is_normalised():
    assert repair("Huye\u0302\u0323n") == "Huyện"


@pytest.mark.parametrize(
    "texts, unit",
    [
        (["UBND TỈNH HẢI DƯƠNG"], None),
        (["Sở TT&TT tỉnh Hải Dương", "UBND THÀNH PHỐ HẢI DƯƠNG"], "hai-duong"),
        (["Báo cáo của TP. Hải Dương"], "hai-duong"),
        (["UBND THỊ XÃ CHÍ LINH"], "chi-linh"),
        (["Huyện Tứ Kì"], "tu-ky"),
        (["Huyện Nam Sách và Huyện Thanh Hà"], None),
    ],
)
def test_unit_named_by_words(texts, unit, shipped):
    found = unit_named([texts], shipped)
    assert (found.id if found else None) == unit


def test_subject_is_asked_before_cells(shipped):
    found = unit_named([["Báo cáo Huyện Gia Lộc"], ["UBND HUYỆN NAM SÁCH"]], shipped)
    assert found.id == "gia-loc"


def test_csv_delimiters_and_encodings_agree(shipped):
    rows = b.district_rows("UBND HUYỆN NAM SÁCH", ["10.000", "7.356"], "17.356")
    for delimiter in (",", ";", "\t"):
        text = b.csv_text(rows, delimiter)
        for data in (text.encode("utf-8"), b"\xef\xbb\xbf" + text.encode(), text.encode("utf-16"), b.to_cp1258(text)):
            reading = read_spreadsheet("bc.csv", data, shipped)
            assert reading.figures == {"installs": 17356} and reading.unit == "nam-sach", (delimiter, data[:4])


def test_total_row_labels_are_the_campaigns_words(shipped):
    """Another province's wording of the total row is configuration (campaign.total_labels), not code."""
    rows = b.district_rows("UBND HUYỆN NAM SÁCH", [10000, 7356], None) + [["", "Cộng chung", 17356]]
    data = b.csv_text(rows, ",").encode("utf-8")
    assert read_spreadsheet("bc.csv", data, shipped).figures == {"installs": 17356 * 2}  # "Cộng chung" is a row
    words = dataclasses.replace(shipped.campaign, total_labels=("Cộng chung",))
    own = dataclasses.replace(shipped, campaign=words)
    assert read_spreadsheet("bc.csv", data, own).figures == {"installs": 17356}
