"""Realistic district report mails, as the demo, the tests and the benchmarks use them.

A district office answers the reporting mailbox with a short Vietnamese mail and
an .xlsx workbook: title rows, a header, one row per commune and a "Tổng cộng"
row, as offices have always made them.
"""

from __future__ import annotations

import io
import random
import tomllib
from datetime import date, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from mailbot.resources import shipped_demo_day

XLSX_TYPE = ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet")


def appendix_figures() -> dict[str, int]:
    """The letter's appendix: each unit's cumulative installs on 14/8/2020, in the appendix's order.

    They are the demo day's figures (config/demo.toml), so the demo, the tests and
    the benchmarks share one copy of them.
    """
    data = tomllib.loads(shipped_demo_day().read_text(encoding="utf-8"))
    return {unit: int(figure) for unit, figure in data["figures"].items()}


def split_into_communes(total: int, count: int, seed: str) -> list[int]:
    """`count` positive parts that add up to `total`, the same for the same seed."""
    rng = random.Random(seed)
    weights = [rng.uniform(0.5, 1.5) for _ in range(count)]
    scale = total / sum(weights)
    parts = [max(1, int(w * scale)) for w in weights]
    parts[-1] += total - sum(parts)
    return parts


def district_workbook(
    unit_name: str, figure: int, day: date, metric_label: str, communes: int = 0, miscount: int = 0
) -> bytes:
    """An .xlsx report as a district office makes it.

    With `communes`, one row per commune and a "Tổng cộng" row stating `figure`;
    without, a single row with the unit's figure. With `miscount`, the commune rows
    add up to that much less than the total row says (a slip made by hand).
    """
    book = Workbook()
    sheet = book.active
    sheet.title = "Báo cáo"
    bold = Font(name="Times New Roman", bold=True)
    sheet.append([f"UBND {unit_name.upper()}"])
    sheet.append([f"BÁO CÁO {metric_label.upper()}"])
    sheet.append([f"(Tính đến ngày {day.day}/{day.month}/{day.year})"])
    sheet.append([])
    sheet.append(["STT", "Đơn vị", metric_label])
    for cell in sheet[5]:
        cell.font = bold
        cell.alignment = Alignment(horizontal="center", wrap_text=True)
    if communes:
        parts = split_into_communes(figure - miscount, communes, f"{unit_name}{day}")
        for number, part in enumerate(parts, start=1):
            sheet.append([number, f"Xã số {number}", part])
        sheet.append(["", "Tổng cộng", figure])
    else:
        sheet.append([1, unit_name, figure])
    sheet.column_dimensions["B"].width = 28
    sheet.column_dimensions["C"].width = 22
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def report_mail(
    *,
    sender: str,
    sender_name: str,
    to: str,
    subject: str,
    body: str,
    sent_at: datetime,
    attachment_name: str | None = None,
    attachment: bytes | None = None,
    attachment_type: tuple[str, str] = XLSX_TYPE,
    domain: str = "haiduong.gov.vn",
    extra_headers: dict[str, str] | None = None,
    received_at: datetime | None = None,
    receiving_server: str = "mx.haiduong.gov.vn",
) -> bytes:
    """A report mail as an office mail client sends it.

    With `received_at`, the mail carries the receiving server's `Received:` stamp,
    as it does once it sits in the reporting mailbox.
    """
    message = EmailMessage()
    if received_at is not None:
        message["Received"] = f"from mail.{domain} by {receiving_server} with ESMTPS; {format_datetime(received_at)}"
    message["From"] = f"{sender_name} <{sender}>"
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = format_datetime(sent_at)
    message["Message-ID"] = make_msgid(domain=domain)
    for name, value in (extra_headers or {}).items():
        message[name] = value
    message.set_content(body)
    if attachment is not None:
        maintype, subtype = attachment_type
        message.add_attachment(attachment, maintype=maintype, subtype=subtype, filename=attachment_name)
    return message.as_bytes()


def district_report_mail(
    *,
    sender: str,
    office: str,
    unit: str,
    unit_id: str,
    to: str,
    day: date,
    sent_at: datetime,
    attachment: bytes,
    **more: Any,
) -> bytes:
    """A district office's daily report mail: the subject, greeting and file name as offices write them.

    `office` is who signs (the unit's name, or "UBND " and the name); `more` goes to report_mail.
    """
    stamp = f"{day.day}/{day.month}/{day.year}"
    return report_mail(
        sender=sender,
        sender_name=f"Văn phòng {office}",
        to=to,
        subject=f"Báo cáo số lượng cài đặt Bluezone ngày {stamp} - {unit}",
        body=f"Kính gửi Sở Thông tin và Truyền thông,\n\n{office} gửi báo cáo số lượng cài đặt Bluezone "
        f"ngày {stamp} (tệp đính kèm).\n\nTrân trọng.",
        sent_at=sent_at,
        attachment_name=f"BC_Bluezone_{unit_id}_{day:%d%m%Y}.xlsx",
        attachment=attachment,
        **more,
    )


def department_workbook(unit_name: str, day: date, offices: list[tuple[str, int, int, int]]) -> bytes:
    """An .xlsx report of a department: one row per office (staff, with a smartphone, installed)."""
    book = Workbook()
    sheet = book.active
    sheet.title = "Báo cáo"
    bold = Font(name="Times New Roman", bold=True)
    sheet.append([unit_name.upper()])
    sheet.append(["BÁO CÁO KẾT QUẢ CÀI ĐẶT ỨNG DỤNG BLUEZONE"])
    sheet.append([f"(Tính đến ngày {day.day}/{day.month}/{day.year})"])
    sheet.append([])
    sheet.append(
        [
            "STT",
            "Phòng, đơn vị",
            "Tổng số CBCCVC và người lao động",
            "Số người có điện thoại thông minh",
            "Số người đã cài đặt Bluezone",
            "Tỷ lệ (%)",
        ]
    )
    for cell in sheet[5]:
        cell.font = bold
        cell.alignment = Alignment(horizontal="center", wrap_text=True)
    for number, (office, staff, smartphone, installed) in enumerate(offices, start=1):
        sheet.append([number, office, staff, smartphone, installed, round(installed * 100 / smartphone, 2)])
    totals = [sum(o[1] for o in offices), sum(o[2] for o in offices), sum(o[3] for o in offices)]
    sheet.append(["", "Tổng cộng", *totals, round(totals[2] * 100 / totals[1], 2)])
    for column, width in zip("BCDEF", (30, 18, 18, 18, 10), strict=True):
        sheet.column_dimensions[column].width = width
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
