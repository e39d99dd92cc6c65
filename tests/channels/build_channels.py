"""Builders of reports as districts really send them: typed into the mail, pasted as
a table, in Word, in PDF (text or scan), in archives, in winmail.dat, as a photo.

Every file is built the way the office software builds it (python-docx for Word,
matplotlib's PDF and PNG writers for printed pages), with fixed dates, so that
rebuilding gives the same bytes.
"""

from __future__ import annotations

import io
import struct
import zipfile
from email.message import EmailMessage

from reading import build_files as b

NAM_SACH = "vanphong.namsach@haiduong.gov.vn"
SUBJECT = "Báo cáo Bluezone ngày 14/8/2020"
RECEIVED = "Fri, 14 Aug 2020 15:42:10 +0700"
SENTENCE = "UBND huyện Nam Sách báo cáo số lượng cài đặt Bluezone tính đến 15h00 ngày 14/8/2020 là 17.356 lượt."
COMMUNES = [["Xã An Lâm", 4487], ["Xã Nam Hồng", 2978], ["Xã Nam Hưng", 3942], ["Xã Nam Tân", 3020]]
DISTRICT_ROWS = [
    ["STT", "Đơn vị", "Số lượng cài đặt Bluezone"],
    *[[str(i + 1), name, f"{n:,}".replace(",", ".")] for i, (name, n) in enumerate(COMMUNES)],
    ["", "Tổng cộng", "14.427"],
]
DOCX_TYPE = ("application", "vnd.openxmlformats-officedocument.wordprocessingml.document")


# --- mails -------------------------------------------------------------------------


def mail(
    *,
    plain: str | None = None,
    html: str | None = None,
    attachments=(),
    sender: str = NAM_SACH,
    subject: str = SUBJECT,
    message_id: str = "<report@haiduong.gov.vn>",
) -> bytes:
    """A report mail: plain text, HTML, or both (multipart/alternative), with attachments."""
    message = EmailMessage()
    message["Received"] = f"from mail.haiduong.gov.vn by mx.haiduong.gov.vn with ESMTPS id 4BSc2k; {RECEIVED}"
    message["From"] = f"Văn phòng <{sender}>"
    message["To"] = "baocao.stttt@haiduong.gov.vn"
    message["Subject"] = subject
    message["Date"] = "Fri, 14 Aug 2020 15:41:55 +0700"
    message["Message-ID"] = message_id
    if plain is not None:
        message.set_content(plain)
        if html is not None:
            message.add_alternative(html, subtype="html")
    elif html is not None:
        message.set_content(html, subtype="html")
    for name, data, (maintype, subtype) in attachments:
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    for number, part in enumerate(p for p in message.walk() if p.is_multipart()):
        part.set_boundary(f"==boundary-{number}==")  # fixed, so that rebuilding gives the same bytes
    return message.as_bytes()


def outlook_table(rows_html: str) -> str:
    """An Outlook HTML body holding a table pasted from Excel."""
    return (
        '<html xmlns:o="urn:schemas-microsoft-com:office:office" xmlns:w="urn:schemas-microsoft-com:office:word">'
        '<head><meta http-equiv="Content-Type" content="text/html; charset=utf-8"><style><!-- p.MsoNormal '
        "{margin:0cm;} --></style></head><body lang=VI><div class=WordSection1>"
        "<p class=MsoNormal>Kính gửi Sở TT&amp;TT,<o:p></o:p></p>"
        "<p class=MsoNormal>UBND huyện Nam Sách báo cáo như sau:<o:p></o:p></p>"
        '<table class=MsoTableGrid border=1 cellspacing=0 cellpadding=0 style="border-collapse:collapse">'
        f"{rows_html}</table><p class=MsoNormal>Trân trọng.<o:p></o:p></p></div></body></html>"
    )


def mso_cell(text: str, **span) -> str:
    attrs = "".join(f" {k}={v}" for k, v in span.items())
    return (
        f'<td{attrs} valign=top style="border:solid windowtext 1.0pt"><p class=MsoNormal><span>{text}</span></p></td>'
    )


# --- Word ---------------------------------------------------------------------------


def docx(paragraphs_before=(), table_rows=None, paragraphs_after=(), merges=(), nested=False) -> bytes:
    """A .docx as Word saves it; `merges` are ((row, col), (row, col)) corners to merge."""
    import docx as python_docx

    document = python_docx.Document()
    document.core_properties.created = b.FIXED_TIME
    document.core_properties.modified = b.FIXED_TIME
    for text in paragraphs_before:
        document.add_paragraph(text)
    if table_rows is not None:
        host = document
        if nested:  # the report's table inside a one-cell layout table
            outer = document.add_table(rows=1, cols=1)
            host = outer.cell(0, 0)
            host.paragraphs[0].text = "Biểu số liệu kèm theo"
        width = max(len(r) for r in table_rows)
        table = host.add_table(rows=len(table_rows), cols=width)
        for r, row in enumerate(table_rows):
            for c, value in enumerate(row):
                if value is not None:
                    table.cell(r, c).text = str(value)
        for (r1, c1), (r2, c2) in merges:
            keep = table.cell(r1, c1).text
            merged = table.cell(r1, c1).merge(table.cell(r2, c2))
            merged.text = keep
    for text in paragraphs_after:
        document.add_paragraph(text)
    out = io.BytesIO()
    document.save(out)
    return b.stable_zip(out.getvalue())


def docx_bomb(expanded_bytes: int) -> bytes:
    """A .docx whose document.xml expands to `expanded_bytes` of padding."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr(zipfile.ZipInfo("[Content_Types].xml", (1980, 1, 1, 0, 0, 0)), b"<Types/>")
        info = zipfile.ZipInfo("word/document.xml", (1980, 1, 1, 0, 0, 0))
        info.compress_type = zipfile.ZIP_DEFLATED
        chunk = b" " * (1 << 20)
        with archive.open(info, "w", force_zip64=True) as member:
            for _ in range(expanded_bytes // len(chunk)):
                member.write(chunk)
    return out.getvalue()


def old_word() -> bytes:
    """A Word 97-2003 compound file: an OLE2 container whose stream is named WordDocument."""
    data = bytearray(b.xls([["Báo cáo"], ["Số lượng cài đặt Bluezone", 17356]]))
    old, new = "Workbook".encode("utf-16-le"), "WordDocument".encode("utf-16-le")
    at = data.find(old + b"\x00\x00")
    data[at : at + 64] = (new + b"\x00\x00").ljust(64, b"\x00")
    data[at + 64 : at + 66] = struct.pack("<H", len(new) + 2)
    return bytes(data)


# --- printed pages: PDF and pictures -----------------------------------------------------


def _page(lines=(), rows=None, size=(8.27, 11.69), font=11):
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    figure = Figure(figsize=size)
    axes = figure.add_axes([0, 0, 1, 1])
    axes.set_xlim(0, 100)
    axes.set_ylim(0, 140)
    axes.axis("off")
    y = 132
    for line in lines:
        axes.text(5, y, line, fontsize=font)
        y -= 6
    if rows:
        xs, top, height = [5, 15, 55, 95], y - 4, 6
        for i, row in enumerate(rows):
            for j, value in enumerate(row):
                axes.text(xs[j] + 1, top - (i + 1) * height + 2, value, fontsize=font - 1)
        for i in range(len(rows) + 1):
            axes.plot([xs[0], xs[-1]], [top - i * height] * 2, color="black", lw=0.8)
        for x in xs:
            axes.plot([x, x], [top, top - len(rows) * height], color="black", lw=0.8)
    return figure


def pdf(lines=(), rows=None) -> bytes:
    """A PDF with text, as Word or Excel exports it (fonts embedded)."""
    import matplotlib

    matplotlib.rcParams["pdf.fonttype"] = 42
    out = io.BytesIO()
    _page(lines, rows).savefig(out, format="pdf", metadata={"CreationDate": None, "Producer": None})
    return out.getvalue()


def png(lines=(), rows=None, size=(8.27, 4.0), dpi=200) -> bytes:
    """A photo-like picture of a printed page."""
    out = io.BytesIO()
    _page(lines, rows, size=size, font=14).savefig(out, format="png", dpi=dpi, metadata={"Software": None})
    return out.getvalue()


def communes_page() -> bytes:
    """A picture of a district's printed table: three communes and the total row (17.356 in C8)."""
    return png(
        ["UBND HUYỆN NAM SÁCH", "BÁO CÁO SỐ LƯỢNG CÀI ĐẶT BLUEZONE", "(Tính đến ngày 14/8/2020)"],
        rows=[
            ["STT", "Xã, thị trấn", "Số lượng cài đặt Bluezone"],
            ["1", "Xã An Lâm", "5.120"],
            ["2", "Xã Nam Hưng", "6.004"],
            ["3", "Thị trấn Nam Sách", "6.232"],
            ["", "Tổng cộng", "17.356"],
        ],
        size=(8.27, 5.0),
    )


def photo(picture: bytes, turned: float = 0.0, orientation: int | None = None) -> bytes:
    """`picture` as a phone would store it: a JPEG turned `turned` degrees counter-clockwise,
    with an EXIF orientation tag (6: the viewer turns it a quarter clockwise) where given."""
    from PIL import Image

    page = Image.open(io.BytesIO(picture)).convert("RGB")
    if turned:
        page = page.rotate(turned, resample=Image.Resampling.BICUBIC, expand=True, fillcolor="white")
    exif = Image.Exif()
    if orientation is not None:
        exif[0x0112] = orientation
    out = io.BytesIO()
    page.save(out, format="JPEG", quality=90, exif=exif)
    return out.getvalue()


def scanned_pdf(picture: bytes) -> bytes:
    """A PDF holding only a scanned picture of the page, no text."""
    from PIL import Image

    out = io.BytesIO()
    Image.open(io.BytesIO(picture)).convert("RGB").save(out, format="PDF", resolution=200.0)
    return out.getvalue()


def pdf_many_objects(count: int) -> bytes:
    """A valid one-page PDF that declares `count` more objects, packed in a compressed object stream.

    A few megabytes that a careless reader would expand into `count` objects and a
    cross-reference table as long.
    """
    import zlib

    parts = [b"%PDF-1.5\n"]
    offsets = {}

    def add(number: int, body: bytes) -> None:
        offsets[number] = sum(len(p) for p in parts)
        parts.append(f"{number} 0 obj\n".encode() + body + b"\nendobj\n")

    add(1, b"<< /Type /Catalog /Pages 2 0 R >>")
    add(2, b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>")
    add(3, b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>")
    first = 5
    header = " ".join(f"{first + i} {5 * i}" for i in range(count)).encode() + b" "
    packed = zlib.compress(header + b"null " * count, 6)
    add(
        4,
        f"<< /Type /ObjStm /N {count} /First {len(header)} /Filter /FlateDecode /Length {len(packed)} >>\nstream\n".encode()
        + packed
        + b"\nendstream",
    )
    xref_number = first + count
    offsets[xref_number] = sum(len(p) for p in parts)
    rows = [struct.pack(">BII", 0, 0, 65535)]
    rows += [struct.pack(">BII", 1, offsets[n], 0) for n in (1, 2, 3, 4)]
    rows += [struct.pack(">BII", 2, 4, i) for i in range(count)]
    rows.append(struct.pack(">BII", 1, offsets[xref_number], 0))
    table = zlib.compress(b"".join(rows), 6)
    size = xref_number + 1
    parts.append(
        f"{xref_number} 0 obj\n<< /Type /XRef /Size {size} /W [1 4 4] /Root 1 0 R /Filter /FlateDecode "
        f"/Length {len(table)} >>\nstream\n".encode()
        + table
        + f"\nendstream\nendobj\nstartxref\n{offsets[xref_number]}\n%%EOF\n".encode()
    )
    return b"".join(parts)


# --- archives and wrappers --------------------------------------------------------------


def zipped(members: list[tuple[str, bytes]]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members:
            archive.writestr(zipfile.ZipInfo(name, (2020, 8, 14, 15, 0, 0)), data)
    return out.getvalue()


def seven_zip(members: list[tuple[str, bytes]]) -> bytes:
    import py7zr

    out = io.BytesIO()
    with py7zr.SevenZipFile(out, "w") as archive:
        for name, data in members:
            archive.writestr(data, name)
    return out.getvalue()


def winmail(members: list[tuple[str, bytes]]) -> bytes:
    """Outlook's winmail.dat (TNEF) carrying the attachments."""

    def attribute(level: int, name: int, kind: int, data: bytes) -> bytes:
        checksum = sum(data) & 0xFFFF
        return struct.pack("<BHHI", level, name, kind, len(data)) + data + struct.pack("<H", checksum)

    out = struct.pack("<IH", 0x223E9F78, 0x0001)
    out += attribute(1, 0x9006, 0x0008, struct.pack("<I", 0x00010000))
    out += attribute(1, 0x9007, 0x0006, struct.pack("<II", 1252, 0))
    for name, data in members:
        out += attribute(2, 0x9002, 0x0006, b"\x01\x00" + b"\xff" * 4 + b"\x00" * 8)
        out += attribute(2, 0x8010, 0x0001, name.encode("cp1252", "replace") + b"\x00")
        out += attribute(2, 0x800F, 0x0006, data)
    return out


def district_xlsx(unit_title: str = "UBND HUYỆN NAM SÁCH", total: int = 17356) -> bytes:
    return b.xlsx(b.district_rows(unit_title, [4487, 2978, 3942, 3020, 2929], total))
