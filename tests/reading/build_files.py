"""Builders of real-looking district files: workbooks in every format mailbot reads,
and the report mails that carry them. Used by make_corpus.py and the tests."""

from __future__ import annotations

import io
import unicodedata
import zipfile
from datetime import datetime
from email.message import EmailMessage

from openpyxl import Workbook
from openpyxl.styles import Font

XLSX_TYPE = ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet")
FIXED_TIME = datetime(2020, 8, 14, 8, 0, 0)
LABEL = "Số lượng cài đặt Bluezone"


def stable_zip(data: bytes) -> bytes:
    """The same zip with fixed timestamps, so that rebuilding gives the same bytes."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = info.external_attr
            dst.writestr(fixed, src.read(info.filename))
    return out.getvalue()


def xlsx(
    rows: list[list],
    *,
    sheet: str = "Báo cáo",
    fonts: dict | None = None,
    merges: tuple = (),
    extra_sheets: tuple = (),
    font_name: str = "Times New Roman",
) -> bytes:
    """A workbook whose last sheet holds `rows`; `fonts` maps row index -> font name.

    `extra_sheets` come first: (title, rows) or (title, rows, "hidden" | "veryHidden").
    """
    book = Workbook()
    book.properties.created = book.properties.modified = FIXED_TIME
    target = None
    for index, (title, sheet_rows, *state) in enumerate((*extra_sheets, (sheet, rows))):
        target = book.active if index == 0 else book.create_sheet()
        target.title = title
        target.sheet_state = state[0] if state else "visible"
        for r, row in enumerate(sheet_rows):
            target.append(row)
            name = (fonts or {}).get(r, font_name) if sheet_rows is rows else font_name
            for cell in target[r + 1]:
                cell.font = Font(name=name)
    for merge in merges:
        target.merge_cells(merge)
    buffer = io.BytesIO()
    book.save(buffer)
    return stable_zip(buffer.getvalue())


def district_rows(
    unit_title: str, parts: list, total, day_text: str = "ngày 14/8/2020", label: str = LABEL
) -> list[list]:
    rows = [
        [unit_title],
        ["BÁO CÁO SỐ LƯỢNG CÀI ĐẶT BLUEZONE"],
        [f"({day_text})"],
        [],
        ["STT", "Đơn vị (xã/thị trấn)", label],
    ]
    for number, part in enumerate(parts, start=1):
        rows.append([number, f"Xã số {number}", part])
    if total is not None:
        rows.append(["", "Tổng cộng", total])
    return rows


def with_cached_formula(data: bytes, cell: str, formula: str, cached: int) -> bytes:
    """Put a formula with its cached value into `cell` of the first sheet, as Excel saves it."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                text = body.decode("utf-8")
                start = text.index(f'<c r="{cell}"')
                end = text.index("</c>", start) + 4
                style = text[start:end].split(">", 1)[0].replace(' t="n"', "")
                text = text[:start] + f"{style}><f>{formula}</f><v>{cached}</v></c>" + text[end:]
                body = text.encode("utf-8")
            dst.writestr(info, body)
    return out.getvalue()


def as_xlsm(data: bytes) -> bytes:
    """The workbook as a macro-enabled .xlsm with a (dummy) VBA project part."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename == "[Content_Types].xml":
                body = body.replace(
                    b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
                    b"application/vnd.ms-excel.sheet.macroEnabled.main+xml",
                ).replace(
                    b"</Types>",
                    b'<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/></Types>',
                )
            dst.writestr(info, body)
        dst.writestr(zipfile.ZipInfo("xl/vbaProject.bin", (1980, 1, 1, 0, 0, 0)), b"\xd0\xcf\x11\xe0" + b"\x00" * 508)
    return out.getvalue()


def xls(
    rows: list[list], *, font_by_row: dict | None = None, sheet: str = "Bao cao", hidden_sheets: tuple = ()
) -> bytes:
    """A real BIFF8 .xls (Excel 97-2003), as old office machines still save; `hidden_sheets` come first."""
    import xlwt

    book = xlwt.Workbook(encoding="utf-8")
    for title, hidden_rows in hidden_sheets:
        hidden = book.add_sheet(title)
        hidden.visibility = 1
        for r, row in enumerate(hidden_rows):
            for c, value in enumerate(row):
                if value != "" and value is not None:
                    hidden.write(r, c, value)
    target = book.add_sheet(sheet)
    target.set_selected(True)
    book.active_sheet = len(hidden_sheets)
    styles = {}
    for r, row in enumerate(rows):
        name = (font_by_row or {}).get(r, "Times New Roman")
        if name not in styles:
            style = xlwt.XFStyle()
            style.font = xlwt.Font()
            style.font.name = name
            styles[name] = style
        for c, value in enumerate(row):
            if value != "" and value is not None:
                target.write(r, c, value, styles[name])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def ods(rows: list[list], hidden_sheets: tuple = ()) -> bytes:
    """An OpenDocument spreadsheet; `hidden_sheets` ((title, rows), ...) come first, hidden."""
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.style import Style, TableProperties

    document = OpenDocumentSpreadsheet()
    hidden = Style(name="hidden", family="table")
    hidden.addElement(TableProperties(display="false"))
    if hidden_sheets:
        document.automaticstyles.addElement(hidden)
    for title, hidden_rows in hidden_sheets:
        document.spreadsheet.addElement(_ods_table(title, hidden_rows, hidden))
    document.spreadsheet.addElement(_ods_table("Báo cáo", rows))
    buffer = io.BytesIO()
    document.write(buffer)
    return stable_zip(buffer.getvalue())


def _ods_table(name: str, rows: list[list], style=None):
    from odf.table import Table, TableCell, TableRow
    from odf.text import P

    table = Table(name=name, stylename=style) if style is not None else Table(name=name)
    for row in rows:
        table_row = TableRow()
        for value in row:
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                cell = TableCell(valuetype="float", value=value)
                cell.addElement(P(text=str(value)))
            else:
                cell = TableCell(valuetype="string") if value not in ("", None) else TableCell()
                if value not in ("", None):
                    cell.addElement(P(text=str(value)))
            table_row.addElement(cell)
        table.addElement(table_row)
    return table


def csv_text(rows: list[list], delimiter: str) -> str:
    import csv

    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    for row in rows:
        writer.writerow(["" if v is None else v for v in row])
    return buffer.getvalue()


def to_cp1258(text: str) -> bytes:
    """Text as Outlook on Windows writes it in windows-1258: tone marks as combining characters."""
    out = bytearray()
    for ch in text:
        try:
            out += ch.encode("cp1258")
        except UnicodeEncodeError:
            decomposed = unicodedata.normalize("NFD", ch)
            tones = "".join(m for m in decomposed if m in "\u0300\u0301\u0303\u0309\u0323")
            base = unicodedata.normalize("NFC", "".join(m for m in decomposed if m not in tones))
            out += base.encode("cp1258") + tones.encode("cp1258")
    return bytes(out)


def html_table(rows: list[list], charset: str = "utf-8") -> bytes:
    head = (
        '<html xmlns:o="urn:schemas-microsoft-com:office:office" xmlns:x="urn:schemas-microsoft-com:office:excel">\n'
        f'<head><meta http-equiv="Content-Type" content="text/html; charset={charset}"></head>\n<body>\n<table border=1>\n'
    )
    lines = []
    for row in rows:
        if len(row) == 1:
            lines.append(f"<tr><td colspan=3 align=center><b>{row[0]}</b></td></tr>")
            continue
        cells = "".join(f"<td>{'' if v is None else v}</td>" for v in row)
        lines.append(f"<tr>{cells}</tr>")
    return (head + "\n".join(lines) + "\n</table>\n</body>\n</html>\n").encode(charset)


def encrypted(data: bytes, password: str = "Bluezone@2020") -> bytes:
    from msoffcrypto.format.ooxml import OOXMLFile

    out = io.BytesIO()
    OOXMLFile(io.BytesIO(data)).encrypt(password, out)
    return out.getvalue()


def zip_bomb(expanded_bytes: int) -> bytes:
    """An .xlsx-shaped zip whose sheet part expands to `expanded_bytes` of XML padding."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, body in (
            (
                "[Content_Types].xml",
                b'<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>',
            ),
            ("xl/workbook.xml", b'<?xml version="1.0"?><workbook/>'),
        ):
            archive.writestr(zipfile.ZipInfo(name, (1980, 1, 1, 0, 0, 0)), body)
        info = zipfile.ZipInfo("xl/worksheets/sheet1.xml", (1980, 1, 1, 0, 0, 0))
        info.compress_type = zipfile.ZIP_DEFLATED
        chunk = b" " * (1 << 20)
        with archive.open(info, "w", force_zip64=True) as member:
            for _ in range(expanded_bytes // len(chunk)):
                member.write(chunk)
    return out.getvalue()


def mail(
    *,
    sender: str,
    subject: str,
    attachments: list[tuple[str, bytes, tuple[str, str]]] = (),
    received: str | None = "Fri, 14 Aug 2020 15:42:10 +0700",
    date: str = "Fri, 14 Aug 2020 15:41:55 +0700",
    message_id: str = "<report@haiduong.gov.vn>",
    body: str = "Kính gửi Sở TT&TT,\n\nĐơn vị gửi báo cáo số liệu.\n",
    headers: list[tuple[str, str]] = (),
    sender_name: str = "Văn phòng",
    relayed: list[str] = (),
) -> bytes:
    """A report mail; `received` is the last server's stamp, `relayed` earlier servers' stamps (topmost first)."""
    message = EmailMessage()
    for name, value in headers:
        message[name] = value
    if received:
        message["Received"] = (
            "from mail.haiduong.gov.vn (mail.haiduong.gov.vn [203.162.0.10]) by mx.haiduong.gov.vn "
            f"with ESMTPS id 4BSc2k; {received}"
        )
    for stamp in relayed:
        message["Received"] = f"from [10.0.0.5] by mail.haiduong.gov.vn with ESMTPSA id 77Qa; {stamp}"
    message["From"] = f"{sender_name} <{sender}>" if sender_name else sender
    message["To"] = "baocao.stttt@haiduong.gov.vn"
    message["Subject"] = subject
    message["Date"] = date
    message["Message-ID"] = message_id
    message.set_content(body)
    for name, data, (maintype, subtype) in attachments:
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return message.as_bytes()


def forwarded(outer_sender: str, inner: bytes, subject: str, message_id: str) -> bytes:
    from email import message_from_bytes, policy

    message = EmailMessage()
    message["Received"] = (
        "from mail.haiduong.gov.vn by mx.haiduong.gov.vn with ESMTPS id 9XyZ; Fri, 14 Aug 2020 11:05:00 +0700"
    )
    message["From"] = f"Văn phòng <{outer_sender}>"
    message["To"] = "baocao.stttt@haiduong.gov.vn"
    message["Subject"] = subject
    message["Date"] = "Fri, 14 Aug 2020 11:04:40 +0700"
    message["Message-ID"] = message_id
    message.set_content("Chuyển tiếp báo cáo của đơn vị.\n")
    message.add_attachment(message_from_bytes(inner, policy=policy.default))
    return message.as_bytes()
