"""(Re)build the stored-answer corpus: tests/reading/corpus/<case>.<ext> and <case>.json.

    .venv/bin/python tests/reading/make_corpus.py [--rebuild]

Files already in the corpus are left as they are (mail boundaries and workbook
metadata vary between library versions); --rebuild writes every file again.

Every expected answer below is written by hand: it says what a careful person
reading the file would record, not what the code printed. The JSON has the shape of
`read_path(...).to_json()` (docs/json.md#parse); for problems it holds the codes
in order (the messages are checked by tests/reading/test_reading_corpus.py for what they
must mention).
"""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path

import build_files as b  # the script's own folder is on sys.path

CORPUS = Path(__file__).resolve().parent / "corpus"
XLSX = b.XLSX_TYPE
XLS_TYPE = ("application", "vnd.ms-excel")
CSV_TYPE = ("text", "csv")
ODS_TYPE = ("application", "vnd.oasis.opendocument.spreadsheet")
ON_TIME = "2020-08-14T15:42:10+07:00"
CASES: list[tuple[str, bytes, dict]] = []


def case(name: str, data: bytes, **expected) -> None:
    CASES.append((name, data, expected))


def bare(unit, figures, problems=(), status=None, period="2020-08-14"):
    """The answer for a file read alone: no mail around it, so no sender, time or lateness."""
    status = status or ("accepted" if not problems else None)
    return expected_answer(
        unit, figures, problems, status, period, message_id=None, sender=None, received_at=None, late=None
    )


def mailed(
    unit,
    figures,
    problems=(),
    status=None,
    sender=None,
    message_id="<report@haiduong.gov.vn>",
    received_at=ON_TIME,
    period="2020-08-14",
    late=False,
):
    """The answer for a report mail: on time from the unit's office unless said otherwise."""
    status = status or "accepted"
    return expected_answer(
        unit,
        figures,
        problems,
        status,
        period,
        message_id=message_id,
        sender=sender,
        received_at=received_at,
        late=late,
    )


def expected_answer(unit, figures, problems, status, period, message_id, sender, received_at, late):
    """The JSON of `read_path(...).to_json()`, its keys in that order."""
    return dict(
        message_id=message_id,
        sender=sender,
        received_at=received_at,
        period=period,
        late=late,
        unit=unit,
        figures=figures,
        problems=list(problems),
        status=status,
    )


# --- the workbooks ------------------------------------------------------------------

NAM_SACH = b.xlsx(b.district_rows("UBND HUYỆN NAM SÁCH", [4487, 2978, 3942, 3020, 2929], 17356))
KINH_MON_SINGLE = b.xlsx(
    [
        ["UBND THỊ XÃ KINH MÔN"],
        ["BÁO CÁO SỐ LƯỢNG CÀI ĐẶT BLUEZONE"],
        ["Tính đến ngày 14 tháng 8 năm 2020"],
        [],
        ["STT", "Đơn vị", "Số lượng cài đặt Bluezone"],
        [1, "Thị xã Kinh Môn", 23004],
    ]
)
GIA_LOC_TWO_ROW = b.xlsx(
    [
        ["UBND HUYỆN GIA LỘC"],
        ["BÁO CÁO KẾT QUẢ CÀI ĐẶT ỨNG DỤNG BLUEZONE"],
        ["Ngày 14/08/2020"],
        [],
        ["STT", "Đơn vị", "Số lượng cài đặt Bluezone", None],
        [None, None, "Trong ngày", "Lũy kế"],
        [1, "Thị trấn Gia Lộc", 310, 6120],
        [2, "Xã Gia Tân", 205, 5540],
        [3, "Xã Gia Khánh", 198, 5300],
        [4, "Xã Yết Kiêu", 187, 5700],
        [None, "Tổng cộng", 900, 22660],
    ],
    merges=("A5:A6", "B5:B6", "C5:D5", "A1:D1", "A2:D2", "A3:D3"),
)
TU_KY_MISMATCH = b.xlsx(b.district_rows("UBND HUYỆN TỨ KỲ", [5200, 5100, 5300, 5200], 20836))
HAI_DUONG_TEXT = b.xlsx(b.district_rows("UBND THÀNH PHỐ HẢI DƯƠNG", ["30.000", "20 635", "20,000"], "70.635"))
CAM_GIANG_FORMULA = b.with_cached_formula(
    b.xlsx(b.district_rows("UBND HUYỆN CẨM GIÀNG", [8000, 9000, 8805], 0)), "C9", "SUM(C6:C8)", 25805
)
DECIMAL_COMMA = b.xlsx(
    [
        ["UBND HUYỆN KIM THÀNH"],
        ["ngày 14/8/2020"],
        [],
        ["STT", "Đơn vị", "Số lượng cài đặt"],
        [1, "Huyện Kim Thành", "12,5"],
    ]
)
FOUR_DECIMALS = b.xlsx(b.district_rows("UBND HUYỆN THANH HÀ", [10000, 8731], "1.2345"))
BINH_GIANG_NUMBERED = b.xlsx(
    [
        ["UBND HUYỆN BÌNH GIANG"],
        ["BÁO CÁO SỐ LƯỢNG CÀI ĐẶT BLUEZONE ngày 14-8-2020"],
        [],
        ["STT", "Tên đơn vị", "Số người cài đặt", "Ghi chú"],
        ["(1)", "(2)", "(3)", "(4)"],
        [1, "Xã Thái Học", 5706, None],
        [2, "Xã Vĩnh Hồng", 5000, None],
        [3, "Thị trấn Kẻ Sặt", 5000, None],
        ["", "Tổng số", 15706, None],
    ]
)
NO_METRIC = b.xlsx(
    [
        ["UBND HUYỆN THANH HÀ"],
        ["BÁO CÁO CÔNG TÁC PHÒNG CHỐNG DỊCH ngày 14/8/2020"],
        [],
        ["STT", "Đơn vị", "Số người cách ly", "Số mẫu xét nghiệm"],
        [1, "Xã Thanh Sơn", 12, 30],
    ]
)
THANH_MIEN_SECOND_SHEET = b.xlsx(
    b.district_rows("UBND HUYỆN THANH MIỆN", [6000, 6174], 12174),
    extra_sheets=(("Hướng dẫn", [["Nhập số liệu vào trang tính Báo cáo"], ["Gửi trước 16h00 hằng ngày"]]),),
)
NINH_GIANG_PROVINCE_TITLE = b.xlsx(
    [
        ["UBND TỈNH HẢI DƯƠNG"],
        ["UBND HUYỆN NINH GIANG"],
        ["BÁO CÁO ngày 14/8/2020"],
        [],
        ["STT", "Đơn vị", "Số lượng cài đặt Bluezone"],
        [1, "Huyện Ninh Giang", 15164],
    ]
)
PROVINCE_ONLY = b.xlsx(
    [
        ["SỞ THÔNG TIN VÀ TRUYỀN THÔNG TỈNH HẢI DƯƠNG"],
        ["BÁO CÁO ngày 14/8/2020"],
        [],
        ["STT", "Đơn vị", "Số lượng cài đặt Bluezone"],
        [1, "Khối cơ quan", 5000],
        [2, "Khối doanh nghiệp", 3000],
    ]
)
THANH_HA_WORKBOOK = b.xlsx(b.district_rows("UBND HUYỆN THANH HÀ", [10000, 8731], 18731))
KIM_THANH_XLSM = b.as_xlsm(b.xlsx(b.district_rows("UBND HUYỆN KIM THÀNH", [10000, 9203], 19203)))
CHI_LINH_XLS = b.xls(b.district_rows("UBND THÀNH PHỐ CHÍ LINH", [12000, 11954], 23954))
THANH_MIEN_TCVN3_XLS = b.xls(
    [
        ["UBND huyÖn thanh miÖn"],
        ["B¸o c¸o sè l\xadîng cµi ®Æt Bluezone ngµy 14/8/2020"],
        [],
        ["STT", "§¬n vÞ", "Sè l\xadîng cµi ®Æt Bluezone"],
        [1, "ThÞ trÊn Thanh MiÖn", 6000],
        [2, "X· Ng« QuyÒn", 6174],
        ["", "Tæng céng", 12174],
    ],
    font_by_row={0: ".VnTimeH", 1: ".VnTime", 3: ".VnTime", 4: ".VnTime", 5: ".VnTime", 6: ".VnTime"},
)
THANH_HA_VNI = b.xlsx(
    [
        ["UBND HUYEÄN THANH HAØ"],
        ["Baùo caùo soá löôïng caøi ñaët Bluezone ngaøy 14/8/2020"],
        [],
        ["STT", "Ñôn vò", "Soá löôïng caøi ñaët Bluezone"],
        [1, "Thò traán Thanh Haø", 9000],
        [2, "Xaõ Thanh Sôn", 9731],
        ["", "Toång coäng", 18731],
    ],
    font_name="VNI-Times",
)
TU_KY_TCVN3_NO_FONT = b.xlsx(
    [
        ["UBND HUYÖN Tø Kú"],
        ["B¸o c¸o ngµy 14/8/2020"],
        [],
        ["STT", "§¬n vÞ", "Sè l\xadîng cµi ®Æt Bluezone"],
        [1, "X· Hµ Kú", 10000],
        [2, "X· T©n Kú", 10836],
        ["", "Tæng céng", 20836],
    ],
)
CAM_GIANG_ODS = b.ods(b.district_rows("UBND HUYỆN CẨM GIÀNG", [13000, 12805], 25805))
HAI_DUONG_CSV_ROWS = b.district_rows("UBND THÀNH PHỐ HẢI DƯƠNG", ["40,000", "30,635"], "70,635")
CSV_UTF8 = b.csv_text(HAI_DUONG_CSV_ROWS, ",").encode("utf-8")
CSV_UTF8_BOM = b"\xef\xbb\xbf" + b.csv_text(
    b.district_rows("UBND HUYỆN NAM SÁCH", ["10.000", "7.356"], "17.356"), ";"
).encode("utf-8")
CSV_UTF16_TAB = b.csv_text(b.district_rows("UBND THỊ XÃ KINH MÔN", ["13 004", "10 000"], "23 004"), "\t").encode(
    "utf-16"
)
CSV_CP1258 = b.to_cp1258(b.csv_text(b.district_rows("UBND HUYỆN GIA LỘC", [12660, 10000], 22660), ";"))
HTML_XLS = b.html_table(b.district_rows("UBND HUYỆN BÌNH GIANG", ["8.000", "7.706"], "15.706"))
ENCRYPTED_XLSX = b.encrypted(NAM_SACH)
TRUNCATED_XLSX = NAM_SACH[: len(NAM_SACH) // 2]
APPENDIX = [
    ("Thành phố Hải Dương", 70635),
    ("Thành phố Chí Linh", 23954),
    ("Thị xã Kinh Môn", 23004),
    ("Huyện Nam Sách", 17356),
    ("Huyện Kim Thành", 19203),
    ("Huyện Thanh Hà", 18731),
    ("Huyện Cẩm Giàng", 25805),
    ("Huyện Bình Giang", 15706),
    ("Huyện Gia Lộc", 22660),
    ("Huyện Tứ Kỳ", 20836),
    ("Huyện Ninh Giang", 15164),
    ("Huyện Thanh Miện", 12174),
]
# The province's compiled table (the letter's appendix), as a district might send it back.
PROVINCE_APPENDIX = b.xlsx(
    [
        ["PHỤ LỤC"],
        ["Số lượng cài đặt Bluezone trên địa bàn tỉnh Hải Dương"],
        ["(Kèm theo Công văn số 2953/UBND-VP ngày 14/8/2020 của UBND tỉnh)"],
        [],
        ["STT", "Đơn vị", "Số lượng cài đặt Bluezone có số điện thoại liên hệ"],
        *([i, name, figure] for i, (name, figure) in enumerate(APPENDIX, start=1)),
        ["", "Toàn tỉnh", sum(f for _, f in APPENDIX)],
    ]
)
# A table with no unit in its title rows: only its file name says whose it is.
UNTITLED_REPORT = b.xlsx(b.district_rows("BÁO CÁO NHANH", [10000, 8731], 18731))
NAM_SACH_CORRECTED = b.xlsx(b.district_rows("UBND HUYỆN NAM SÁCH", [4487, 2978, 3942, 3020, 3029], 17456))
NAM_SACH_TWO_SHEETS_DIFFER = b.xlsx(
    b.district_rows("UBND HUYỆN NAM SÁCH", [4487, 2978, 3942, 3020, 2929], 17356),
    extra_sheets=(("Số liệu cũ", b.district_rows("UBND HUYỆN NAM SÁCH", [4400, 2900, 3900, 3000, 2900], 17100)),),
)
NAM_SACH_TWO_SHEETS_AGREE = b.xlsx(
    b.district_rows("UBND HUYỆN NAM SÁCH", [4487, 2978, 3942, 3020, 2929], 17356),
    extra_sheets=(("Bản sao", b.district_rows("UBND HUYỆN NAM SÁCH", [17356], None)),),
)
STALE_NAM_SACH = b.district_rows("UBND HUYỆN NAM SÁCH", [4400, 2900, 3900, 3000, 2900], 17100, "ngày 13/8/2020")
HIDDEN_STALE_SHEETS = b.xlsx(
    b.district_rows("UBND HUYỆN NAM SÁCH", [4487, 2978, 3942, 3020, 2929], 17356),
    extra_sheets=(("Ngày 13", STALE_NAM_SACH, "hidden"), ("Mẫu", STALE_NAM_SACH, "veryHidden")),
)
XLS_HIDDEN_SHEET = b.xls(
    b.district_rows("UBND THÀNH PHỐ CHÍ LINH", [12000, 11954], 23954),
    hidden_sheets=(("Cu", b.district_rows("UBND THÀNH PHỐ CHÍ LINH", [12000, 11000], 23000)),),
)
ODS_HIDDEN_SHEET = b.ods(
    b.district_rows("UBND HUYỆN CẨM GIÀNG", [13000, 12805], 25805),
    hidden_sheets=(("Cũ", b.district_rows("UBND HUYỆN CẨM GIÀNG", [13000, 12000], 25000)),),
)


def columns_table(title: str, headers: list, rows: list[list], sub: list | None = None, merges=()) -> bytes:
    """A district table whose header names the metric in more than one column."""
    head = [["STT", "Đơn vị", *headers]] + ([[None, None, *sub]] if sub else [])
    body = [[i, name, *values] for i, (name, *values) in enumerate(rows, start=1)]
    return b.xlsx([[title], ["BÁO CÁO SỐ LƯỢNG CÀI ĐẶT BLUEZONE ngày 14/8/2020"], [], *head, *body], merges=merges)


DAILY_BESIDE_CUMULATIVE = columns_table(
    "UBND HUYỆN KIM THÀNH",
    ["Số lượng cài đặt Bluezone mới trong ngày", "Lũy kế số cài đặt"],
    [["Thị trấn Phú Thái", 120, 10000], ["Xã Kim Anh", 95, 9203], ["Tổng cộng", 215, 19203]],
)
DAILY_BESIDE_BARE_CUMULATIVE = columns_table(
    "UBND HUYỆN KIM THÀNH",
    ["Số cài đặt tăng thêm", "Lũy kế"],
    [["Thị trấn Phú Thái", 120, 10000], ["Xã Kim Anh", 95, 9203], ["Tổng cộng", 215, 19203]],
)
DAILY_ONLY = columns_table(
    "UBND HUYỆN KIM THÀNH",
    ["Số cài đặt trong ngày"],
    [["Thị trấn Phú Thái", 120], ["Xã Kim Anh", 95], ["Tổng cộng", 215]],
)
COLUMNS_UNDECIDED = columns_table(
    "UBND HUYỆN KIM THÀNH",
    ["Số lượng cài đặt Bluezone", None],
    [["Thị trấn Phú Thái", 6000, 4000], ["Xã Kim Anh", 5203, 4000], ["Tổng cộng", 11203, 8000]],
    sub=["Điện thoại Android", "Điện thoại iPhone"],
    merges=("C4:D4", "A4:A5", "B4:B5"),
)
NO_DATE_ROWS = b.district_rows("UBND HUYỆN NAM SÁCH", [4487, 2978, 3942, 3020, 2929], 17356)
NO_DATE_ROWS[2] = []  # no report day in the title rows
NAM_SACH_NO_DATE = b.xlsx(NO_DATE_ROWS)
DAY_ROWS = [["Thị trấn Nam Sách", 9800, 9950, 10100, 10250, 10336], ["Xã Nam Hưng", 6900, 6950, 6980, 7000, 7020]]
DAY_COLUMNS_MERGED = b.xlsx(
    [
        ["UBND HUYỆN NAM SÁCH"],
        ["BÁO CÁO SỐ LƯỢNG CÀI ĐẶT BLUEZONE ngày 14/8/2020"],
        [],
        ["STT", "Đơn vị", "Số lượng cài đặt Bluezone", None, None, None, None],
        [None, None, *(datetime(2020, 8, d) for d in range(10, 15))],
        *([i, *row] for i, row in enumerate(DAY_ROWS, start=1)),
        ["", "Tổng cộng", 16700, 16900, 17080, 17250, 17356],
    ],
    merges=("C4:G4", "A4:A5", "B4:B5"),
)
DAY_COLUMNS_NO_YEAR = b.xlsx(
    [
        ["UBND HUYỆN NAM SÁCH"],
        ["SỐ LƯỢNG CÀI ĐẶT BLUEZONE LŨY KẾ THEO NGÀY"],
        [],
        ["STT", "Đơn vị", "12/8", "13/8", "14/8"],
        *([i, row[0], *row[3:]] for i, row in enumerate(DAY_ROWS, start=1)),
        ["", "Tổng cộng", 17080, 17250, 17356],
    ]
)
LONGER_TOTAL_LABEL = b.xlsx(
    [
        ["UBND HUYỆN NAM SÁCH"],
        ["BÁO CÁO SỐ LƯỢNG CÀI ĐẶT BLUEZONE ngày 14/8/2020"],
        [],
        ["STT", "Đơn vị", b.LABEL],
        [1, "Cộng đồng dân cư thôn Đông", 10000],  # starts like "Cộng" and is no total
        [2, "Xã Nam Hưng", 7356],
        ["", "Tổng cộng toàn huyện", 17356],
        ["", "Ghi chú: số liệu lũy kế", 99999],  # below the total row: never counted
    ]
)
MIXED_SEPARATORS = b.xlsx(b.district_rows("UBND HUYỆN NAM SÁCH", ["1.234,567", "16.122"], None))
FORMULA_PREFIXES = b.xlsx(b.district_rows("UBND HUYỆN NAM SÁCH", ["+10000", "\t7356\r"], "@17356"))
# Written by a program, never opened in Excel: formulas without cached values (openpyxl saves none).
UNCACHED_FORMULA = b.xlsx(b.district_rows("UBND HUYỆN NAM SÁCH", [4487, 2978, "=D8+E8", 3020, 2929], None))
PDF_BYTES = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG_BYTES = (
    b"\x89PNG\r\n\x1a\n"
    + b"\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00\x90wS\xde"
    + b"\x00" * 20
)


# Where each figure is read (docs/json.md#parse, `sources`): by hand, from the rows each
# workbook above is built of (title rows, header, one row per commune, the total row).
S, B = "Báo cáo", "Bao cao"
SOURCES: dict[str, tuple[str | None, str, str]] = {
    "xlsx_communes_total.xlsx": (None, S, "C11"),
    "xlsx_single_row.xlsx": (None, S, "C6"),
    "xlsx_merged_two_row_header.xlsx": (None, S, "D11"),
    "xlsx_total_mismatch.xlsx": (None, S, "C10"),
    "xlsx_text_numbers.xlsx": (None, S, "C9"),
    "xlsx_formula_cached.xlsx": (None, S, "C9"),
    "xlsx_numbering_row.xlsx": (None, S, "C9"),
    "xlsx_second_sheet.xlsx": (None, S, "C8"),
    "xlsx_province_and_district_title.xlsx": (None, S, "C6"),
    "xlsx_province_title_only.xlsx": (None, S, "C5:C6"),  # no total row: the sum of the rows
    "xlsm_macro_workbook.xlsm": (None, S, "C8"),
    "xls_biff8.xls": (None, B, "C8"),
    "xls_tcvn3_fonts.xls": (None, B, "C7"),
    "xlsx_vni_font.xlsx": (None, S, "C7"),
    "xlsx_tcvn3_without_font.xlsx": (None, S, "C7"),
    "ods_calc.ods": (None, S, "C8"),
    "csv_utf8_comma.csv": (None, "CSV", "C8"),
    "csv_utf8_bom_semicolon.csv": (None, "CSV", "C8"),
    "csv_utf16_tab.csv": (None, "CSV", "C8"),
    "csv_windows1258_semicolon.csv": (None, "CSV", "C8"),
    "html_saved_as.xls": (None, "Sheet1", "C8"),
    "eml_registered_on_time.eml": ("BC_Bluezone_NamSach.xlsx", S, "C11"),
    "eml_late_one_second.eml": ("bluezone.xlsx", S, "C9"),
    "eml_exactly_at_deadline.eml": ("chilinh.xls", B, "C8"),
    "eml_forwarded_rfc822.eml": ("KinhMon.xlsx", S, "C6"),
    "eml_rfc2231_name.eml": ("Báo cáo Bluezone Gia Lộc 13-8-2020.xlsx", S, "D11"),
    "eml_rfc2047_name.eml": ("Báo cáo Bình Giang.xlsx", S, "C9"),
    "eml_spoofed_display_name.eml": ("NamSach.xlsx", S, "C11"),
    "eml_forged_auth_results.eml": ("GiaLoc.xlsx", S, "D11"),
    "eml_other_server_auth_ignored.eml": ("TuKy.xlsx", S, "C7"),
    "eml_dkim_and_spf_fail.eml": ("NinhGiang.xlsx", S, "C6"),
    "eml_authenticated_pass.eml": ("ThanhMien.xls", B, "C7"),
    "eml_unit_mismatch.eml": ("BaoCao.xlsx", S, "C8"),
    "eml_unknown_sender_no_unit.eml": ("so_lieu.xlsx", S, "C5:C6"),
    "eml_csv_windows1258.eml": ("GiaLoc.csv", "CSV", "C8"),
    "eml_period_in_subject.eml": ("CamGiang.ods", S, "C8"),
    "eml_date_header_only.eml": ("TuKy.xlsx", S, "C10"),
    "eml_pdf_and_workbook.eml": ("KimThanh.xlsm", S, "C8"),
    "eml_html_xls_attachment.eml": ("BinhGiang.xls", "Sheet1", "C8"),
    "eml_unit_mismatch_own_unit_in_subject.eml": ("BaoCao.xlsx", S, "C8"),
    "eml_unit_mismatch_in_file_name.eml": ("BC Bluezone Thanh Hà 14-8-2020.xlsx", S, "C8"),
    "eml_two_attachments_agree.eml": ("BC_NamSach.xlsx", S, "C11"),
    "xlsx_two_sheets_agree.xlsx": (None, "Bản sao", "C6"),  # the first sheet giving it
    "xlsx_hidden_stale_sheets.xlsx": (None, S, "C11"),
    "xls_hidden_sheet.xls": (None, B, "C8"),
    "ods_hidden_sheet.ods": (None, S, "C8"),
    "xlsx_daily_beside_cumulative.xlsx": (None, S, "D7"),
    "xlsx_daily_beside_bare_cumulative.xlsx": (None, S, "D7"),
    "eml_daily_beside_cumulative.eml": ("KimThanh.xlsx", S, "D7"),
    "eml_reply_quoting_yesterday.eml": ("BC_NamSach.xlsx", S, "C11"),
    "eml_reply_nothing_settles.eml": ("BaoCao.xlsx", S, "C11"),
    "eml_forward_vietnamese_prefix.eml": ("BC 14-8.xlsx", S, "C11"),
    "eml_subject_day_without_year.eml": ("BaoCao.xlsx", S, "C11"),
    "eml_subject_numeric_day_without_year.eml": ("BaoCao.xlsx", S, "C11"),
    "eml_subject_two_digit_year.eml": ("BaoCao.xlsx", S, "C11"),
    "eml_subject_times_are_not_dates.eml": ("BaoCao.xlsx", S, "C11"),
    "xlsx_day_columns_merged_header.xlsx": (None, S, "G8"),
    "xlsx_total_label_longer.xlsx": (None, S, "C7"),
    "eml_dkim_fail_spf_pass.eml": ("NamSach.xlsx", S, "C11"),
    "eml_spf_fail_dkim_pass.eml": ("NamSach.xlsx", S, "C11"),
    "eml_several_received_topmost_wins.eml": ("NamSach.xlsx", S, "C11"),
    "eml_day_columns_without_year.eml": ("BC_NamSach.xlsx", S, "E7"),
}


def sources_of(name: str, expected: dict) -> dict:
    """The `sources` answer: every figure of these cases is the first metric's, read from a table."""
    file, sheet, cell = expected.get("sources") or SOURCES[name]
    return {"installs": {"file": file or name, "sheet": sheet, "cell": cell, "line": None}}


def build_bare_files() -> None:
    case("xlsx_communes_total.xlsx", NAM_SACH, **bare("nam-sach", {"installs": 17356}))
    case("xlsx_single_row.xlsx", KINH_MON_SINGLE, **bare("kinh-mon", {"installs": 23004}))
    case("xlsx_merged_two_row_header.xlsx", GIA_LOC_TWO_ROW, **bare("gia-loc", {"installs": 22660}))
    case(
        "xlsx_total_mismatch.xlsx",
        TU_KY_MISMATCH,
        **bare("tu-ky", {"installs": 20836}, ["total_mismatch"], "needs_review"),
    )
    case("xlsx_text_numbers.xlsx", HAI_DUONG_TEXT, **bare("hai-duong", {"installs": 70635}))
    case("xlsx_formula_cached.xlsx", CAM_GIANG_FORMULA, **bare("cam-giang", {"installs": 25805}))
    case("xlsx_decimal_comma.xlsx", DECIMAL_COMMA, **bare("kim-thanh", {}, ["ambiguous_number"], "needs_review"))
    case("xlsx_four_decimals_total.xlsx", FOUR_DECIMALS, **bare("thanh-ha", {}, ["ambiguous_number"], "needs_review"))
    case("xlsx_numbering_row.xlsx", BINH_GIANG_NUMBERED, **bare("binh-giang", {"installs": 15706}))
    case("xlsx_no_metric.xlsx", NO_METRIC, **bare("thanh-ha", {}, ["no_figure"], "rejected"))
    case("xlsx_second_sheet.xlsx", THANH_MIEN_SECOND_SHEET, **bare("thanh-mien", {"installs": 12174}))
    case("xlsx_province_and_district_title.xlsx", NINH_GIANG_PROVINCE_TITLE, **bare("ninh-giang", {"installs": 15164}))
    case(
        "xlsx_province_title_only.xlsx",
        PROVINCE_ONLY,
        **bare(None, {"installs": 8000}, ["unknown_unit"], "needs_review"),
    )
    case("xlsm_macro_workbook.xlsm", KIM_THANH_XLSM, **bare("kim-thanh", {"installs": 19203}))
    case("xls_biff8.xls", CHI_LINH_XLS, **bare("chi-linh", {"installs": 23954}))
    case("xls_tcvn3_fonts.xls", THANH_MIEN_TCVN3_XLS, **bare("thanh-mien", {"installs": 12174}))
    case("xlsx_vni_font.xlsx", THANH_HA_VNI, **bare("thanh-ha", {"installs": 18731}))
    case("xlsx_tcvn3_without_font.xlsx", TU_KY_TCVN3_NO_FONT, **bare("tu-ky", {"installs": 20836}))
    case("ods_calc.ods", CAM_GIANG_ODS, **bare("cam-giang", {"installs": 25805}))
    case("csv_utf8_comma.csv", CSV_UTF8, **bare("hai-duong", {"installs": 70635}))
    case("csv_utf8_bom_semicolon.csv", CSV_UTF8_BOM, **bare("nam-sach", {"installs": 17356}))
    case("csv_utf16_tab.csv", CSV_UTF16_TAB, **bare("kinh-mon", {"installs": 23004}))
    case("csv_windows1258_semicolon.csv", CSV_CP1258, **bare("gia-loc", {"installs": 22660}))
    case("html_saved_as.xls", HTML_XLS, **bare("binh-giang", {"installs": 15706}))
    case(
        "encrypted_workbook.xlsx",
        ENCRYPTED_XLSX,
        **bare(None, {}, ["encrypted_file", "unknown_unit"], "rejected", None),
    )
    case(
        "truncated_workbook.xlsx",
        TRUNCATED_XLSX,
        **bare(None, {}, ["unreadable_file", "unknown_unit"], "rejected", None),
    )
    case("pdf_named_xlsx.xlsx", PDF_BYTES, **bare(None, {}, ["unreadable_file", "unknown_unit"], "rejected", None))
    case(
        "xlsx_compiled_province_table.xlsx",
        PROVINCE_APPENDIX,
        **bare(None, {}, ["several_units", "unknown_unit"], "needs_review"),
    )
    case(
        "xlsx_two_sheets_differ.xlsx",
        NAM_SACH_TWO_SHEETS_DIFFER,
        **bare("nam-sach", {}, ["conflicting_figures"], "needs_review"),
    )
    case("xlsx_two_sheets_agree.xlsx", NAM_SACH_TWO_SHEETS_AGREE, **bare("nam-sach", {"installs": 17356}))
    case("xlsx_hidden_stale_sheets.xlsx", HIDDEN_STALE_SHEETS, **bare("nam-sach", {"installs": 17356}))
    case("xls_hidden_sheet.xls", XLS_HIDDEN_SHEET, **bare("chi-linh", {"installs": 23954}))
    case("ods_hidden_sheet.ods", ODS_HIDDEN_SHEET, **bare("cam-giang", {"installs": 25805}))
    case("xlsx_daily_beside_cumulative.xlsx", DAILY_BESIDE_CUMULATIVE, **bare("kim-thanh", {"installs": 19203}))
    case(
        "xlsx_daily_beside_bare_cumulative.xlsx",
        DAILY_BESIDE_BARE_CUMULATIVE,
        **bare("kim-thanh", {"installs": 19203}),
    )
    case("xlsx_daily_only.xlsx", DAILY_ONLY, **bare("kim-thanh", {}, ["ambiguous_number"], "needs_review"))
    case(
        "xlsx_columns_undecided.xlsx",
        COLUMNS_UNDECIDED,
        **bare("kim-thanh", {}, ["ambiguous_number"], "needs_review"),
    )
    case("xlsx_day_columns_merged_header.xlsx", DAY_COLUMNS_MERGED, **bare("nam-sach", {"installs": 17356}))
    case("xlsx_total_label_longer.xlsx", LONGER_TOTAL_LABEL, **bare("nam-sach", {"installs": 17356}))
    case(
        "xlsx_mixed_separators.xlsx",
        MIXED_SEPARATORS,
        **bare("nam-sach", {}, ["ambiguous_number"], "needs_review"),
    )
    case(
        "xlsx_formula_prefixes.xlsx",
        FORMULA_PREFIXES,
        **bare("nam-sach", {}, ["ambiguous_number", "ambiguous_number"], "needs_review"),
    )
    case(
        "xlsx_formula_without_cached_value.xlsx",
        UNCACHED_FORMULA,
        **bare("nam-sach", {}, ["ambiguous_number"], "needs_review"),
    )
    case(
        "zip_bomb.xlsx",
        b.zip_bomb(1100 * 1024 * 1024),
        **bare(None, {}, ["file_too_large", "unknown_unit"], "rejected", None),
    )


def report(name: str, data: bytes, kind=XLSX):
    return [(name, data, kind)]


def build_mails() -> None:
    case(
        "eml_registered_on_time.eml",
        b.mail(
            sender="vanphong.namsach@haiduong.gov.vn",
            subject="Báo cáo số lượng cài đặt Bluezone ngày 14/8/2020",
            attachments=report("BC_Bluezone_NamSach.xlsx", NAM_SACH),
        ),
        **mailed("nam-sach", {"installs": 17356}, sender="vanphong.namsach@haiduong.gov.vn"),
    )
    case(
        "eml_late_one_second.eml",
        b.mail(
            sender="vanphong.haiduong@haiduong.gov.vn",
            subject="Báo cáo Bluezone TP Hải Dương",
            received="Fri, 14 Aug 2020 16:00:01 +0700",
            date="Fri, 14 Aug 2020 15:59:00 +0700",
            attachments=report("bluezone.xlsx", HAI_DUONG_TEXT),
        ),
        **mailed(
            "hai-duong",
            {"installs": 70635},
            sender="vanphong.haiduong@haiduong.gov.vn",
            received_at="2020-08-14T16:00:01+07:00",
            late=True,
        ),
    )
    case(
        "eml_exactly_at_deadline.eml",
        b.mail(
            sender="vanphong.chilinh@haiduong.gov.vn",
            subject="Báo cáo Bluezone",
            received="Fri, 14 Aug 2020 09:00:00 +0000",
            attachments=report("chilinh.xls", CHI_LINH_XLS, XLS_TYPE),
        ),
        **mailed(
            "chi-linh",
            {"installs": 23954},
            sender="vanphong.chilinh@haiduong.gov.vn",
            received_at="2020-08-14T16:00:00+07:00",
        ),
    )
    inner = b.mail(
        sender="thongke.kinhmon@gmail.com",
        subject="BC Bluezone Kinh Môn 14/8/2020",
        attachments=report("KinhMon.xlsx", KINH_MON_SINGLE),
        message_id="<inner@gmail.com>",
        received=None,
        date="Fri, 14 Aug 2020 10:30:00 +0700",
    )
    case(
        "eml_forwarded_rfc822.eml",
        b.forwarded(
            "vanphong.kinhmon@haiduong.gov.vn", inner, "Fwd: BC Bluezone Kinh Môn 14/8/2020", "<fwd@haiduong.gov.vn>"
        ),
        **mailed(
            "kinh-mon",
            {"installs": 23004},
            sender="vanphong.kinhmon@haiduong.gov.vn",
            message_id="<fwd@haiduong.gov.vn>",
            received_at="2020-08-14T11:05:00+07:00",
        ),
    )
    case(
        "eml_rfc2231_name.eml",
        b.mail(
            sender="vanphong.gialoc@haiduong.gov.vn",
            subject="Báo cáo",
            attachments=report("Báo cáo Bluezone Gia Lộc 13-8-2020.xlsx", GIA_LOC_TWO_ROW),
        ),
        **mailed(
            "gia-loc", {"installs": 22660}, sender="vanphong.gialoc@haiduong.gov.vn", period="2020-08-13", late=True
        ),
    )
    case(
        "eml_rfc2047_name.eml",
        _rfc2047_mail(),
        **mailed("binh-giang", {"installs": 15706}, sender="vanphong.binhgiang@haiduong.gov.vn"),
    )
    case(
        "eml_spoofed_display_name.eml",
        b.mail(
            sender="baocao.namsach.2020@gmail.com",
            sender_name="vanphong.namsach@haiduong.gov.vn",
            subject="Báo cáo Bluezone Huyện Nam Sách ngày 14/8/2020",
            attachments=report("NamSach.xlsx", NAM_SACH),
        ),
        **mailed(
            "nam-sach", {"installs": 17356}, ["unknown_sender"], "needs_review", sender="baocao.namsach.2020@gmail.com"
        ),
    )
    case(
        "eml_forged_auth_results.eml",
        b.mail(
            sender="vanphong.gialoc@haiduong.gov.vn",
            subject="Báo cáo Bluezone ngày 14/8/2020",
            attachments=report("GiaLoc.xlsx", GIA_LOC_TWO_ROW),
            headers=[
                (
                    "Authentication-Results",
                    "mx.haiduong.gov.vn; spf=fail smtp.mailfrom=vanphong.gialoc@haiduong.gov.vn; "
                    "dkim=none; dmarc=fail (p=quarantine) header.from=haiduong.gov.vn",
                ),
                (
                    "Authentication-Results",
                    "mail.attacker.example; spf=pass smtp.mailfrom=vanphong.gialoc@haiduong.gov.vn; "
                    "dkim=pass header.d=haiduong.gov.vn; dmarc=pass header.from=haiduong.gov.vn",
                ),
            ],
        ),
        **mailed(
            "gia-loc",
            {"installs": 22660},
            ["sender_not_authenticated"],
            "rejected",
            sender="vanphong.gialoc@haiduong.gov.vn",
        ),
    )
    case(
        "eml_other_server_auth_ignored.eml",
        b.mail(
            sender="vanphong.tuky@haiduong.gov.vn",
            subject="Báo cáo Bluezone ngày 14/8/2020",
            attachments=report("TuKy.xlsx", TU_KY_TCVN3_NO_FONT),
            headers=[
                (
                    "Authentication-Results",
                    "mx.haiduong.gov.vn.attacker.example; dkim=fail header.d=haiduong.gov.vn; "
                    "spf=fail smtp.mailfrom=vanphong.tuky@haiduong.gov.vn; dmarc=fail header.from=haiduong.gov.vn",
                ),
            ],
        ),
        **mailed("tu-ky", {"installs": 20836}, sender="vanphong.tuky@haiduong.gov.vn"),
    )
    case(
        "eml_dkim_and_spf_fail.eml",
        b.mail(
            sender="vanphong.ninhgiang@haiduong.gov.vn",
            subject="Báo cáo Bluezone ngày 14/8/2020",
            attachments=report("NinhGiang.xlsx", NINH_GIANG_PROVINCE_TITLE),
            headers=[
                (
                    "Authentication-Results",
                    "mx.haiduong.gov.vn; dkim=fail (bad signature) header.d=haiduong.gov.vn; "
                    "spf=fail smtp.mailfrom=vanphong.ninhgiang@haiduong.gov.vn",
                ),
            ],
        ),
        **mailed(
            "ninh-giang",
            {"installs": 15164},
            ["sender_not_authenticated"],
            "rejected",
            sender="vanphong.ninhgiang@haiduong.gov.vn",
        ),
    )
    case(
        "eml_authenticated_pass.eml",
        b.mail(
            sender="vanphong.thanhmien@haiduong.gov.vn",
            subject="Báo cáo Bluezone ngày 14/8/2020",
            attachments=report("ThanhMien.xls", THANH_MIEN_TCVN3_XLS, XLS_TYPE),
            headers=[
                (
                    "Authentication-Results",
                    "mx.haiduong.gov.vn; dkim=pass header.d=haiduong.gov.vn; "
                    "spf=pass smtp.mailfrom=vanphong.thanhmien@haiduong.gov.vn; dmarc=pass header.from=haiduong.gov.vn",
                ),
            ],
        ),
        **mailed("thanh-mien", {"installs": 12174}, sender="vanphong.thanhmien@haiduong.gov.vn"),
    )
    case(
        "eml_image_only.eml",
        b.mail(
            sender="vanphong.thanhha@haiduong.gov.vn",
            subject="Báo cáo Bluezone ngày 14/8/2020",
            attachments=[("bang_bao_cao.png", PNG_BYTES, ("image", "png"))],
        ),
        **mailed("thanh-ha", {}, ["no_spreadsheet"], "rejected", sender="vanphong.thanhha@haiduong.gov.vn"),
    )
    case(
        "eml_pdf_only.eml",
        b.mail(
            sender="vanphong.kimthanh@haiduong.gov.vn",
            subject="Báo cáo Bluezone ngày 14/8/2020",
            attachments=[("BaoCao.pdf", PDF_BYTES, ("application", "pdf"))],
        ),
        **mailed("kim-thanh", {}, ["unreadable_file"], "rejected", sender="vanphong.kimthanh@haiduong.gov.vn"),
    )
    case(
        "eml_unit_mismatch.eml",
        b.mail(
            sender="vanphong.namsach@haiduong.gov.vn",
            subject="Báo cáo Bluezone ngày 14/8/2020",
            attachments=report("BaoCao.xlsx", THANH_HA_WORKBOOK),
        ),
        **mailed(
            "nam-sach",
            {"installs": 18731},
            ["unit_mismatch"],
            "needs_review",
            sender="vanphong.namsach@haiduong.gov.vn",
        ),
    )
    case(
        "eml_unknown_sender_no_unit.eml",
        b.mail(
            sender="nguyenvana1985@yahoo.com", subject="Gửi số liệu", attachments=report("so_lieu.xlsx", PROVINCE_ONLY)
        ),
        **mailed(
            None,
            {"installs": 8000},
            ["unknown_sender", "unknown_unit"],
            "needs_review",
            sender="nguyenvana1985@yahoo.com",
        ),
    )
    case(
        "eml_csv_windows1258.eml",
        b.mail(
            sender="vanphong.gialoc@haiduong.gov.vn",
            subject="Bao cao Bluezone 14/8/2020",
            attachments=report("GiaLoc.csv", CSV_CP1258, CSV_TYPE),
        ),
        **mailed("gia-loc", {"installs": 22660}, sender="vanphong.gialoc@haiduong.gov.vn"),
    )
    case(
        "eml_period_in_subject.eml",
        b.mail(
            sender="vanphong.camgiang@haiduong.gov.vn",
            subject="Báo cáo Bluezone ngày 13 tháng 8 năm 2020 (gửi bổ sung)",
            received="Fri, 14 Aug 2020 09:00:00 +0700",
            attachments=report("CamGiang.ods", CAM_GIANG_ODS, ODS_TYPE),
        ),
        **mailed(
            "cam-giang",
            {"installs": 25805},
            sender="vanphong.camgiang@haiduong.gov.vn",
            received_at="2020-08-14T09:00:00+07:00",
            period="2020-08-13",
            late=True,
        ),
    )
    case(
        "eml_date_header_only.eml",
        b.mail(
            sender="vanphong.tuky@haiduong.gov.vn",
            subject="Báo cáo Bluezone",
            received=None,
            date="Fri, 14 Aug 2020 08:15:00 +0000",
            attachments=report("TuKy.xlsx", TU_KY_MISMATCH),
        ),
        **mailed(
            "tu-ky",
            {"installs": 20836},
            ["total_mismatch"],
            "needs_review",
            sender="vanphong.tuky@haiduong.gov.vn",
            received_at="2020-08-14T15:15:00+07:00",
        ),
    )
    case(
        "eml_encrypted_attachment.eml",
        b.mail(
            sender="vanphong.namsach@haiduong.gov.vn",
            subject="Báo cáo Bluezone ngày 14/8/2020",
            attachments=report("BaoCao.xlsx", ENCRYPTED_XLSX),
        ),
        **mailed("nam-sach", {}, ["encrypted_file"], "rejected", sender="vanphong.namsach@haiduong.gov.vn"),
    )
    case(
        "eml_pdf_and_workbook.eml",
        b.mail(
            sender="vanphong.kimthanh@haiduong.gov.vn",
            subject="Báo cáo Bluezone ngày 14/8/2020",
            attachments=[
                ("CongVan.pdf", PDF_BYTES, ("application", "pdf")),
                ("KimThanh.xlsm", KIM_THANH_XLSM, ("application", "vnd.ms-excel.sheet.macroEnabled.12")),
            ],
        ),
        **mailed("kim-thanh", {"installs": 19203}, sender="vanphong.kimthanh@haiduong.gov.vn"),
    )
    case(
        "eml_html_xls_attachment.eml",
        b.mail(
            sender="vanphong.binhgiang@haiduong.gov.vn",
            subject="Báo cáo Bluezone ngày 14/8/2020",
            attachments=report("BinhGiang.xls", HTML_XLS, XLS_TYPE),
        ),
        **mailed("binh-giang", {"installs": 15706}, sender="vanphong.binhgiang@haiduong.gov.vn"),
    )
    case(
        "eml_bounce_from_mailer_daemon.eml",
        b.mail(
            sender="MAILER-DAEMON@mx.haiduong.gov.vn",
            sender_name="Mail Delivery System",
            subject="Undelivered Mail Returned to Sender",
            message_id="<bounce@mx.haiduong.gov.vn>",
            headers=[("Auto-Submitted", "auto-replied")],
            body="This is the mail system at host mx.haiduong.gov.vn.\n",
        ),
        **mailed(
            None,
            {},
            ["no_spreadsheet", "unknown_sender", "unknown_unit"],
            "rejected",
            sender="mailer-daemon@mx.haiduong.gov.vn",
            message_id="<bounce@mx.haiduong.gov.vn>",
        ),
    )
    case(
        "eml_zip_bomb_attachment.eml",
        b.mail(
            sender="vanphong.thanhha@haiduong.gov.vn",
            subject="Báo cáo Bluezone ngày 14/8/2020",
            attachments=report("ThanhHa.xlsx", b.zip_bomb(200 * 1024 * 1024)),
        ),
        **mailed("thanh-ha", {}, ["file_too_large"], "rejected", sender="vanphong.thanhha@haiduong.gov.vn"),
    )


def build_trap_mails() -> None:
    """Mail that looks fine and is not: another unit's report, a compiled table, figures that disagree."""
    nam_sach = "vanphong.namsach@haiduong.gov.vn"
    case(
        "eml_unit_mismatch_own_unit_in_subject.eml",
        b.mail(
            sender=nam_sach,
            subject="Báo cáo Bluezone Huyện Nam Sách ngày 14/8/2020",
            attachments=report("BaoCao.xlsx", THANH_HA_WORKBOOK),
        ),
        **mailed("nam-sach", {"installs": 18731}, ["unit_mismatch"], "needs_review", sender=nam_sach),
    )
    case(
        "eml_unit_mismatch_in_file_name.eml",
        b.mail(
            sender=nam_sach,
            subject="Báo cáo Bluezone Huyện Nam Sách ngày 14/8/2020",
            attachments=report("BC Bluezone Thanh Hà 14-8-2020.xlsx", UNTITLED_REPORT),
        ),
        **mailed("nam-sach", {"installs": 18731}, ["unit_mismatch"], "needs_review", sender=nam_sach),
    )
    case(
        "eml_compiled_table_from_district.eml",
        b.mail(
            sender=nam_sach,
            subject="Báo cáo Bluezone Huyện Nam Sách ngày 14/8/2020",
            attachments=report("Phu luc Bluezone.xlsx", PROVINCE_APPENDIX),
        ),
        **mailed("nam-sach", {}, ["several_units"], "needs_review", sender=nam_sach),
    )
    case(
        "eml_two_attachments_agree.eml",
        b.mail(
            sender=nam_sach,
            subject="Báo cáo Bluezone Huyện Nam Sách ngày 14/8/2020",
            attachments=report("BC_NamSach.xlsx", NAM_SACH) + report("BC_NamSach.csv", CSV_UTF8_BOM, CSV_TYPE),
        ),
        **mailed("nam-sach", {"installs": 17356}, sender=nam_sach),
    )
    case(
        "eml_two_attachments_disagree.eml",
        b.mail(
            sender=nam_sach,
            subject="Báo cáo Bluezone Huyện Nam Sách ngày 14/8/2020",
            attachments=report("BC_NamSach.xlsx", NAM_SACH) + report("BC_NamSach_sua.xlsx", NAM_SACH_CORRECTED),
        ),
        **mailed("nam-sach", {}, ["conflicting_figures"], "needs_review", sender=nam_sach),
    )


def build_column_mails() -> None:
    kim_thanh = "vanphong.kimthanh@haiduong.gov.vn"
    case(
        "eml_daily_beside_cumulative.eml",
        b.mail(
            sender=kim_thanh,
            subject="Báo cáo Bluezone ngày 14/8/2020",
            attachments=report("KimThanh.xlsx", DAILY_BESIDE_CUMULATIVE),
        ),
        **mailed("kim-thanh", {"installs": 19203}, sender=kim_thanh),
    )


def build_day_mails() -> None:
    """The report day: replies quoting an older day, days without a year, two-digit years, times."""
    nam_sach = "vanphong.namsach@haiduong.gov.vn"

    def day_case(name, subject, attachment, period, late=False, problems=(), received=ON_TIME, stamp=None):
        case(
            name,
            b.mail(sender=nam_sach, subject=subject, attachments=attachment, **({"received": stamp} if stamp else {})),
            **mailed(
                "nam-sach",
                {"installs": 17356},
                list(problems),
                "needs_review" if problems else None,
                sender=nam_sach,
                period=period,
                late=late,
                received_at=received,
            ),
        )

    day_case(
        "eml_reply_quoting_yesterday.eml",
        "Re: Báo cáo Bluezone ngày 13/8/2020",
        report("BC_NamSach.xlsx", NAM_SACH),  # its title rows: ngày 14/8/2020
        "2020-08-14",
    )
    day_case(
        "eml_reply_nothing_settles.eml",
        "TL: Báo cáo Bluezone ngày 13/8/2020",
        report("BaoCao.xlsx", NAM_SACH_NO_DATE),
        "2020-08-14",
        problems=["period_conflict"],
    )
    day_case(
        "eml_forward_vietnamese_prefix.eml",
        "Chuyển tiếp: Báo cáo Bluezone ngày 13/8/2020",
        report("BC 14-8.xlsx", NAM_SACH_NO_DATE),
        "2020-08-14",
    )
    day_case(
        "eml_subject_day_without_year.eml",
        "Báo cáo Bluezone ngày 14 tháng 8",
        report("BaoCao.xlsx", NAM_SACH_NO_DATE),
        "2020-08-14",
        late=True,
        received="2020-08-15T08:10:00+07:00",
        stamp="Sat, 15 Aug 2020 08:10:00 +0700",
    )
    day_case(
        "eml_subject_numeric_day_without_year.eml",
        "BC Bluezone ngày 13/8 (gửi bổ sung)",
        report("BaoCao.xlsx", NAM_SACH_NO_DATE),
        "2020-08-13",
        late=True,
    )
    day_case(
        "eml_subject_two_digit_year.eml",
        "BC Bluezone 13/8/20",
        report("BaoCao.xlsx", NAM_SACH_NO_DATE),
        "2020-08-13",
        late=True,
    )
    day_case(
        "eml_subject_times_are_not_dates.eml",
        "Báo cáo Bluezone (số liệu từ 8h30-9h30, gửi trước 16h, cập nhật lúc 15h30', 15h00)",
        report("BaoCao.xlsx", NAM_SACH_NO_DATE),
        "2020-08-14",
    )


def build_day_column_mails() -> None:
    """A sheet with one column per day: the report day's column, or review when there is none."""
    nam_sach = "vanphong.namsach@haiduong.gov.vn"
    case(
        "eml_day_columns_without_year.eml",
        b.mail(sender=nam_sach, subject="Báo cáo Bluezone", attachments=report("BC_NamSach.xlsx", DAY_COLUMNS_NO_YEAR)),
        **mailed("nam-sach", {"installs": 17356}, sender=nam_sach),
    )
    case(
        "eml_day_columns_report_day_missing.eml",
        b.mail(
            sender=nam_sach,
            subject="Báo cáo Bluezone",
            received="Sat, 15 Aug 2020 10:00:00 +0700",
            attachments=report("BC_NamSach.xlsx", DAY_COLUMNS_NO_YEAR),
        ),
        **mailed(
            "nam-sach",
            {},
            ["ambiguous_number"],
            "needs_review",
            sender=nam_sach,
            received_at="2020-08-15T10:00:00+07:00",
            period="2020-08-15",
        ),
    )


def build_header_mails() -> None:
    """Authentication verdicts and arrival stamps the contract fixes."""
    nam_sach = "vanphong.namsach@haiduong.gov.vn"
    subject = "Báo cáo Bluezone ngày 14/8/2020"
    for name, results in (
        ("eml_dkim_fail_spf_pass.eml", "dkim=fail (bad signature) header.d=haiduong.gov.vn; spf=pass"),
        ("eml_spf_fail_dkim_pass.eml", "dkim=pass header.d=haiduong.gov.vn; spf=fail"),
    ):
        header = f"mx.haiduong.gov.vn; {results} smtp.mailfrom={nam_sach}"
        case(
            name,  # only DMARC failing, or DKIM and SPF both failing, rejects
            b.mail(
                sender=nam_sach,
                subject=subject,
                attachments=report("NamSach.xlsx", NAM_SACH),
                headers=[("Authentication-Results", header)],
            ),
            **mailed("nam-sach", {"installs": 17356}, sender=nam_sach),
        )
    case(
        "eml_several_received_topmost_wins.eml",
        b.mail(
            sender=nam_sach,
            subject=subject,
            attachments=report("NamSach.xlsx", NAM_SACH),
            received="Fri, 14 Aug 2020 16:05:00 +0700",  # the department's server: after the deadline
            relayed=["Fri, 14 Aug 2020 15:50:00 +0700"],  # the district's own server, before it
            date="Fri, 14 Aug 2020 15:49:30 +0700",
        ),
        **mailed("nam-sach", {"installs": 17356}, sender=nam_sach, received_at="2020-08-14T16:05:00+07:00", late=True),
    )


def _rfc2047_mail() -> bytes:
    """An attachment name sent as an RFC 2047 encoded word, as some webmail clients do."""
    raw = b.mail(
        sender="vanphong.binhgiang@haiduong.gov.vn",
        subject="Báo cáo Bluezone ngày 14/8/2020",
        attachments=report("PLACEHOLDER.xlsx", BINH_GIANG_NUMBERED),
    )
    encoded = b"=?UTF-8?B?" + __import__("base64").b64encode("Báo cáo Bình Giang.xlsx".encode()) + b"?="
    return raw.replace(b'filename="PLACEHOLDER.xlsx"', b'filename="' + encoded + b'"')


def main() -> None:
    build_bare_files()
    build_mails()
    build_trap_mails()
    build_column_mails()
    build_day_mails()
    build_day_column_mails()
    build_header_mails()
    CORPUS.mkdir(exist_ok=True)
    rebuild = "--rebuild" in sys.argv
    for name, data, expected in CASES:
        if rebuild or not (CORPUS / name).exists():
            (CORPUS / name).write_bytes(data)
        answer = {
            "path": name,
            "message_id": expected["message_id"],
            "from": expected["sender"],
            "received_at": expected["received_at"],
            "period": expected["period"],
            "late": expected["late"],
            "unit": expected["unit"],
            "figures": expected["figures"],
            **({"sources": sources_of(name, expected)} if expected["figures"] else {}),
            "status": expected["status"],
            "problems": [{"code": code} for code in expected["problems"]],
        }
        (CORPUS / (name + ".json")).write_text(
            json.dumps(answer, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
        )
    print(f"{len(CASES)} files written to {CORPUS}")


if __name__ == "__main__":
    main()
