"""(Re)build the stored-answer cases of every channel: tests/channels/corpus/<case>.eml and .json.

    PYTHONPATH=tests .venv/bin/python tests/channels/make_channels.py

Each answer is written by hand: what a careful person reading the mail would
record. The JSON holds figures, sources (where the figure was read), status and
the problem codes in order; the messages are checked by test_channels.py.
"""

from __future__ import annotations

import json
from pathlib import Path

from channels import build_channels as c

CORPUS = Path(__file__).resolve().parent / "corpus"
XLSX = c.b.XLSX_TYPE
CASES: list[tuple[str, bytes, dict]] = []


def case(name, data, figures=None, sources=None, problems=(), status=None, unit="nam-sach", ocr=False):
    status = status or ("accepted" if not problems else "needs_review")
    answer = {"figures": figures or {}, "sources": sources or {}, "status": status, "problems": list(problems)}
    CASES.append((name + ".eml", data, {**answer, "unit": unit, "ocr": ocr}))


def line(n: int, file: str | None = None) -> dict:
    return {"installs": {"file": file, "sheet": None, "cell": None, "line": n}}


def cell(file: str, sheet: str, at: str) -> dict:
    return {"installs": {"file": file, "sheet": sheet, "cell": at, "line": None}}


FIGURE = {"installs": 17356}
TOTAL = {"installs": 14427}


def text_cases() -> None:
    case(
        "text_sentence",
        c.mail(plain=f"Kính gửi Sở TT&TT,\n\n{c.SENTENCE}\n\nTrân trọng.\n"),
        FIGURE,
        line(3),
    )
    case(
        "text_document_number_phone_percent",
        c.mail(
            plain="Kính gửi: Sở Thông tin và Truyền thông\n\n"
            "Thực hiện Công văn số 2953/UBND-VP ngày 14/8/2020 của UBND tỉnh, số lượng cài đặt Bluezone trên "
            "địa bàn huyện tính đến 15h00 ngày 14/8/2020 là 17.356 lượt (đạt 16,5% dân số).\n\n"
            "Người báo cáo: Nguyễn Văn An, điện thoại 0220.3852.123 - 0912 345 678\n"
        ),
        FIGURE,
        line(3),
    )
    case(
        "text_wrapped_lines",
        c.mail(
            plain="Kính gửi Sở TT&TT,\n\nUBND huyện Nam Sách báo cáo số lượng cài đặt Bluezone tính đến 15h00 ngày\n"
            "14/8/2020 là 17.356 lượt.\n"
        ),
        FIGURE,
        line(4),
    )
    case(
        "text_two_counts",
        c.mail(plain="Số lượng cài đặt Bluezone trong ngày là 500 lượt, lũy kế là 17.356 lượt.\n"),
        problems=["ambiguous_number"],
    )
    case(
        "text_count_far_from_metric",
        c.mail(plain="Kính gửi Sở TT&TT,\nSố lượng cài đặt Bluezone của huyện:\n\n17.356\n"),
        problems=["ambiguous_number"],
    )
    case(
        "text_not_whole",
        c.mail(plain="Số lượng cài đặt Bluezone tính đến ngày 14/8/2020 là 17,5 nghìn lượt.\n"),
        problems=["ambiguous_number"],
    )
    case(
        "text_gmail_reply_quotes_older_figure",
        c.mail(
            plain="Đơn vị xin gửi lại sau.\n\nVào Th 5, 13 thg 8, 2020 vào lúc 16:05 Văn phòng "
            "<vanphong.namsach@haiduong.gov.vn> đã viết:\n> Số lượng cài đặt Bluezone là 12.174 lượt.\n",
            subject="Re: Báo cáo Bluezone ngày 14/8/2020",
        ),
        problems=["no_spreadsheet"],
        status="rejected",
    )
    case(
        "text_outlook_reply_new_figure_above_quote",
        c.mail(
            plain=f"{c.SENTENCE}\n\n________________________________\nFrom: Sở TT&TT <baocao.stttt@haiduong.gov.vn>\n"
            "Sent: Thursday, August 13, 2020 4:05 PM\nTo: Văn phòng\nSubject: Báo cáo\n\n"
            "Số lượng cài đặt Bluezone hôm qua là 12.174 lượt.\n",
        ),
        FIGURE,
        line(1),
    )
    case(
        "text_names_metric_without_figure",
        c.mail(plain="Kính gửi Sở TT&TT,\nĐơn vị gửi báo cáo số lượng cài đặt Bluezone ngày 14/8/2020.\n"),
        problems=["no_spreadsheet"],
        status="rejected",
    )
    case(
        "html_only_text",
        c.mail(
            html=f"<html><body><div>Kính gửi Sở TT&amp;TT,</div><div><br></div><div>{c.SENTENCE}</div>"
            '<div class="gmail_quote">Vào Th 5 ... đã viết:<blockquote>Số lượng cài đặt Bluezone là 12.174'
            "</blockquote></div></body></html>"
        ),
        FIGURE,
        line(2),
    )
    case(
        "text_conflicts_with_attachment",
        c.mail(
            plain="Số lượng cài đặt Bluezone tính đến 15h00 ngày 14/8/2020 là 17.500 lượt.\n",
            attachments=[("BC Nam Sach.xlsx", c.district_xlsx(), XLSX)],
        ),
        problems=["conflicting_figures"],
    )
    case(
        "text_agrees_with_attachment",
        c.mail(
            plain="Số lượng cài đặt Bluezone là 17.356 lượt (chi tiết trong tệp).\n",
            attachments=[("BC Nam Sach.xlsx", c.district_xlsx(), XLSX)],
        ),
        FIGURE,
        cell("BC Nam Sach.xlsx", "Báo cáo", "C11"),
    )


def html_table_cases() -> None:
    header = (
        "<tr>"
        + c.mso_cell("STT", rowspan=2)
        + c.mso_cell("Đơn vị", rowspan=2)
        + c.mso_cell("Số lượng cài đặt Bluezone", colspan=2)
        + "</tr><tr>"
        + c.mso_cell("Trong ngày")
        + c.mso_cell("Lũy kế")
        + "</tr>"
    )
    body = "".join(
        f"<tr>{c.mso_cell(str(i + 1))}{c.mso_cell(name)}{c.mso_cell('100')}{c.mso_cell(f'{n:,}'.replace(',', '.'))}</tr>"
        for i, (name, n) in enumerate(c.COMMUNES)
    )
    total = f"<tr>{c.mso_cell('')}{c.mso_cell('Tổng cộng')}{c.mso_cell('400')}{c.mso_cell('14.427')}</tr>"
    plain = "Kính gửi Sở TT&TT,\nUBND huyện Nam Sách báo cáo như sau:\nSTT\tĐơn vị\tSố lượng cài đặt Bluezone\n"
    case(
        "html_table_outlook",
        c.mail(plain=plain, html=c.outlook_table(header + body + total)),
        TOTAL,
        cell("nội dung thư", "Bảng 1", "D7"),
    )
    rows = "".join(
        "<tr>" + "".join(f'<td style="padding:0 5px">{v}</td>' for v in row) + "</tr>" for row in c.DISTRICT_ROWS
    )
    older = rows.replace("14.427", "12.000")
    case(
        "html_table_gmail",
        c.mail(
            html=f'<div dir="ltr"><div>Gửi Sở số liệu hôm nay:</div><table border="1" cellspacing="0">{rows}</table>'
            f'</div><br><div class="gmail_quote"><div dir="ltr" class="gmail_attr">Vào Th 5 … đã viết:</div>'
            f'<blockquote class="gmail_quote"><table>{older}</table></blockquote></div>'
        ),
        TOTAL,
        cell("nội dung thư", "Bảng 1", "C6"),
    )
    case(
        "html_table_thunderbird",
        c.mail(
            plain="Số liệu trong bảng dưới đây.\n",
            html='<html><head><meta http-equiv="content-type" content="text/html; charset=UTF-8"></head><body>'
            f'<p>Số liệu trong bảng dưới đây.</p><table border="1" cellpadding="2" cellspacing="2" width="100%">'
            f'<tbody>{rows}</tbody></table><div class="moz-signature">-- <br>Văn phòng</div></body></html>',
        ),
        TOTAL,
        cell("nội dung thư", "Bảng 1", "C6"),
    )


def word_cases() -> None:
    heading = ["UBND HUYỆN NAM SÁCH", "BÁO CÁO SỐ LƯỢNG CÀI ĐẶT BLUEZONE", "ngày 14 tháng 8 năm 2020"]
    merged_rows = [
        ["STT", "Đơn vị", "Số lượng cài đặt Bluezone", None],
        [None, None, "Trong ngày", "Lũy kế"],
        *[[str(i + 1), name, "100", f"{n:,}".replace(",", ".")] for i, (name, n) in enumerate(c.COMMUNES)],
        [None, "Tổng cộng", "400", "14.427"],
    ]
    merges = [((0, 0), (1, 0)), ((0, 1), (1, 1)), ((0, 2), (0, 3))]
    report = c.docx(heading, merged_rows, ["Nơi nhận: Sở TT&TT"], merges=merges)
    case(
        "docx_merged_cells",
        c.mail(plain="Gửi báo cáo.\n", attachments=[("BC Nam Sach 14-8.docx", report, c.DOCX_TYPE)]),
        TOTAL,
        cell("BC Nam Sach 14-8.docx", "Bảng 1", "D7"),
    )
    nested = c.docx(heading, c.DISTRICT_ROWS, nested=True)
    case(
        "docx_nested_table",
        c.mail(plain="Gửi báo cáo.\n", attachments=[("BaoCao.docx", nested, c.DOCX_TYPE)]),
        TOTAL,
        cell("BaoCao.docx", "Bảng 1", "C6"),
    )
    letter = c.docx(["UBND HUYỆN NAM SÁCH", "Kính gửi: Sở Thông tin và Truyền thông", c.SENTENCE, "Trân trọng."])
    case(
        "docx_text_only",
        c.mail(plain="Gửi công văn.\n", attachments=[("CongVan.docx", letter, c.DOCX_TYPE)]),
        FIGURE,
        line(3, "CongVan.docx"),
    )


def pdf_cases() -> None:
    heading = ["UBND HUYỆN NAM SÁCH", "Báo cáo số lượng cài đặt Bluezone ngày 14/8/2020"]
    case(
        "pdf_table",
        c.mail(
            plain="Gửi báo cáo.\n",
            attachments=[("BaoCao.pdf", c.pdf(heading, c.DISTRICT_ROWS), ("application", "pdf"))],
        ),
        TOTAL,
        cell("BaoCao.pdf", "Trang 1", "C6"),
    )
    case(
        "pdf_text",
        c.mail(
            plain="Gửi công văn.\n",
            attachments=[
                ("CV.pdf", c.pdf(["UBND HUYỆN NAM SÁCH", "Kính gửi: Sở TT&TT", c.SENTENCE]), ("application", "pdf"))
            ],
        ),
        FIGURE,
        line(3, "CV.pdf"),
    )


def archive_cases() -> None:
    book = c.district_xlsx()
    zip_type = ("application", "zip")
    case(
        "zip_xlsx",
        c.mail(plain="Gửi báo cáo.\n", attachments=[("BaoCao.zip", c.zipped([("BC Nam Sach.xlsx", book)]), zip_type)]),
        FIGURE,
        cell("BaoCao.zip/BC Nam Sach.xlsx", "Báo cáo", "C11"),
    )
    inner = c.zipped([("BC Nam Sach.xlsx", book)])
    case(
        "zip_in_zip",
        c.mail(plain="Gửi báo cáo.\n", attachments=[("BaoCao.zip", c.zipped([("trong.zip", inner)]), zip_type)]),
        FIGURE,
        cell("BaoCao.zip/trong.zip/BC Nam Sach.xlsx", "Báo cáo", "C11"),
    )
    deep = c.zipped([("ngoai.zip", c.zipped([("giua.zip", inner)]))])
    case(
        "zip_in_zip_in_zip",
        c.mail(plain="Gửi báo cáo.\n", attachments=[("BaoCao.zip", deep, zip_type)]),
        problems=["file_too_large"],
        status="rejected",
    )
    case(
        "seven_zip_xlsx",
        c.mail(
            plain="Gửi báo cáo.\n",
            attachments=[("BaoCao.7z", c.seven_zip([("BC Nam Sach.xlsx", book)]), ("application", "x-7z-compressed"))],
        ),
        FIGURE,
        cell("BaoCao.7z/BC Nam Sach.xlsx", "Báo cáo", "C11"),
    )
    case(
        "winmail_dat",
        c.mail(
            plain="Gửi báo cáo.\n",
            attachments=[("winmail.dat", c.winmail([("BC Nam Sach.xlsx", book)]), ("application", "ms-tnef"))],
        ),
        FIGURE,
        cell("winmail.dat/BC Nam Sach.xlsx", "Báo cáo", "C11"),
    )
    case(
        "old_word_without_converter",
        c.mail(plain="Gửi báo cáo.\n", attachments=[("BaoCao.doc", c.old_word(), ("application", "msword"))]),
        problems=["unreadable_file"],
        status="rejected",
    )


def picture_cases() -> None:
    sentence = ["Số lượng cài đặt Bluezone tính đến", "15h00 ngày 14/8/2020 là 17.356 lượt."]
    photo = c.png(["UBND HUYỆN NAM SÁCH", "Số lượng cài đặt Bluezone là 17.356 lượt."])
    case(
        "image_png",
        c.mail(plain="Gửi ảnh báo cáo.\n", attachments=[("anh.png", photo, ("image", "png"))]),
        FIGURE,
        line(2, "anh.png"),
        problems=["read_from_image"],
        ocr=True,
    )
    appendix_row = c.png(
        ["UBND HUYỆN NAM SÁCH", "BÁO CÁO SỐ LƯỢNG CÀI ĐẶT BLUEZONE", "(Tính đến ngày 14/8/2020)"],
        rows=[["STT", "Đơn vị", "Số lượng cài đặt Bluezone"], ["1", "Huyện Nam Sách", "17.356"]],
    )
    case(
        "image_table_appendix_row",
        c.mail(plain="Gửi ảnh bảng báo cáo.\n", attachments=[("bang.png", appendix_row, ("image", "png"))]),
        FIGURE,
        cell("bang.png", "Ảnh", "C5"),
        problems=["read_from_image"],
        ocr=True,
    )
    communes = c.communes_page()
    case(
        "image_table_communes_total",
        c.mail(plain="Gửi ảnh bảng báo cáo.\n", attachments=[("bang_xa.png", communes, ("image", "png"))]),
        FIGURE,
        cell("bang_xa.png", "Ảnh", "C8"),
        problems=["read_from_image"],
        ocr=True,
    )
    for name, stored, file in (  # phone photos of the same page: askew, on their side, upside down
        ("image_photo_askew", c.photo(communes, turned=4.0), "anh_nghieng.jpg"),
        ("image_photo_sideways_exif", c.photo(communes, turned=90.0, orientation=6), "anh_xoay.jpg"),
        ("image_photo_upside_down", c.photo(communes, turned=180.0), "anh_nguoc.jpg"),
    ):
        case(
            name,
            c.mail(plain="Gửi ảnh chụp bảng báo cáo.\n", attachments=[(file, stored, ("image", "jpeg"))]),
            FIGURE,
            cell(file, "Ảnh", "C8"),
            problems=["read_from_image"],
            ocr=True,
        )
    case(  # a scanned page's table is a picture's table too: it always waits for review
        "pdf_scan_table",
        c.mail(
            plain="Gửi bản quét.\n",
            attachments=[("scan_bang.pdf", c.scanned_pdf(appendix_row), ("application", "pdf"))],
        ),
        FIGURE,
        cell("scan_bang.pdf", "Trang 1", "C5"),  # named by its page, as a PDF's tables are
        problems=["read_from_image"],
        ocr=True,
    )
    scan = c.scanned_pdf(c.png(["UBND HUYỆN NAM SÁCH", " ".join(sentence)]))
    case(
        "pdf_scan",
        c.mail(plain="Gửi bản quét.\n", attachments=[("scan.pdf", scan, ("application", "pdf"))]),
        FIGURE,
        line(2, "scan.pdf"),
        problems=["read_from_image"],
        ocr=True,
    )


def main() -> None:
    for build in (text_cases, html_table_cases, word_cases, pdf_cases, archive_cases, picture_cases):
        build()
    CORPUS.mkdir(exist_ok=True)
    for name, data, answer in CASES:
        (CORPUS / name).write_bytes(data)
        (CORPUS / (name + ".json")).write_text(json.dumps(answer, ensure_ascii=False, indent=1) + "\n", "utf-8")
    print(f"{len(CASES)} cases written to {CORPUS}")


if __name__ == "__main__":
    main()
