"""Recognise a file's format by its bytes, never by its name."""

from __future__ import annotations

import io
import re
import threading
import zipfile

# Formats mailbot reads.
XLSX = "xlsx"  # also .xlsm: values only, macros are never run or read
XLSB = "xlsb"
XLS = "xls"
ODS = "ods"
CSV = "csv"
HTML = "html"
# Documents, archives and wrappers that may hold a report (mailbot/sheets/document.py).
DOCX = "docx"
DOC = "doc"  # Word 97-2003: read through a converter when one is installed
SEVEN_ZIP = "7z"
TNEF = "tnef"  # Outlook's winmail.dat
# Things that are certainly not a spreadsheet.
IMAGE = "image"
PDF = "pdf"
# Containers that may hold a workbook but do not hold one mailbot can read.
OLE_OTHER = "ole"  # an OLE2 file with no workbook stream (.doc, .msg, ...)
ZIP_OTHER = "zip"  # a zip that is not a workbook (.docx, .pptx, an archive)
ENCRYPTED = "encrypted"  # an OLE2 container holding an encrypted OOXML package
BINARY = "binary"  # anything else that is not text

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
IMAGE_MAGICS = (
    b"\x89PNG\r\n\x1a\n",
    b"\xff\xd8\xff",
    b"GIF87a",
    b"GIF89a",
    b"BM",
    b"II*\x00",
    b"MM\x00*",
    b"RIFF",
)
SEVEN_ZIP_MAGIC = b"7z\xbc\xaf\x27\x1c"
TNEF_MAGIC = b"\x78\x9f\x3e\x22"
BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")
HTML_START = re.compile(rb"^\s*(<!doctype html|<html|<table|<\?xml[^>]*>\s*<html|<meta|<head|<body)", re.I)
ODS_MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"


# the file this thread sniffed and opened last, by identity: it is asked about again at once
_recent = threading.local()


def sniff(data: bytes, archive: zipfile.ZipFile | None = None) -> str:
    """The format of `data`, one of the constants above. `archive`: `data` already opened as a zip.

    The same bytes asked about again (whether a file is a candidate, a picture, a
    document…) are answered from the last answer, without opening the zip again.
    """
    last = getattr(_recent, "sniffed", None)
    if last is not None and last[0] is data:
        return last[1]
    kind = _sniff(data, archive)
    if isinstance(data, bytes):  # never changes: the answer holds
        _recent.sniffed = (data, kind)
    return kind


def _sniff(data: bytes, archive: zipfile.ZipFile | None) -> str:
    head = data[:8]
    if head.startswith(OLE_MAGIC):
        return _sniff_ole(data)
    if head.startswith(ZIP_MAGICS):
        archive = archive or open_zip(data)
        return _sniff_zip(archive) if archive else XLSX  # a damaged zip: the reader says it is unreadable
    if head.startswith(b"%PDF"):
        return PDF
    if head.startswith(SEVEN_ZIP_MAGIC):
        return SEVEN_ZIP
    if head.startswith(TNEF_MAGIC):
        return TNEF
    if head.startswith(IMAGE_MAGICS) and not _looks_like_text(data):
        return IMAGE
    if _looks_like_html(data):
        return HTML
    if _looks_like_text(data):
        return CSV
    return BINARY


def open_zip(data: bytes) -> zipfile.ZipFile | None:
    """`data` as a zip (its central directory read, nothing expanded), or None if it is not one.

    The same bytes opened again (sniffed, then read) give the same ZipFile, without
    reading the central directory again; nothing here closes it.
    """
    last = getattr(_recent, "opened", None)
    if last is not None and last[0] is data:
        return last[1]
    archive = _open_zip(data)
    if isinstance(data, bytes):  # never changes: the directory read holds
        _recent.opened = (data, archive)
    return archive


def _open_zip(data: bytes) -> zipfile.ZipFile | None:
    if not data[:4].startswith(ZIP_MAGICS):
        return None
    try:
        return zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, NotImplementedError, ValueError):
        return None


def _sniff_zip(archive: zipfile.ZipFile) -> str:
    try:
        names = set(archive.namelist())
        if "xl/workbook.xml" in names:
            return XLSX
        if "xl/workbook.bin" in names:
            return XLSB
        if "word/document.xml" in names:
            return DOCX
        if "mimetype" in names and archive.getinfo("mimetype").file_size < 256:
            if archive.read("mimetype").strip() == ODS_MIMETYPE:
                return ODS
    except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError, ValueError, RuntimeError):
        return XLSX  # a damaged zip: let the reader say it is unreadable
    return ZIP_OTHER


def _sniff_ole(data: bytes) -> str:
    import olefile  # comes with msoffcrypto-tool

    try:
        with olefile.OleFileIO(io.BytesIO(data)) as ole:
            streams = {"/".join(entry).lower() for entry in ole.listdir()}
    except (OSError, ValueError, IndexError, TypeError):
        return XLS  # a damaged compound file: let the reader say it is unreadable
    if "encryptedpackage" in streams and "encryptioninfo" in streams:
        return ENCRYPTED
    if "workbook" in streams or "book" in streams:
        return XLS
    if "worddocument" in streams:
        return DOC
    return OLE_OTHER


def _looks_like_html(data: bytes) -> bool:
    head = data[:4096]
    for bom in BOMS:
        if head.startswith(bom):
            head = head[len(bom) :]
            break
    if head[:2] in (b"<\x00", b"\x00<") or b"\x00" in head[:64]:
        head = head.replace(b"\x00", b"")
    return bool(HTML_START.match(head)) and b"<table" in data[:1_000_000].lower().replace(b"\x00", b"")


def _looks_like_text(data: bytes) -> bool:
    sample = data[:8192]
    if not sample:
        return False
    if sample.startswith(BOMS):
        return True
    if sample.count(b"\x00") > len(sample) // 4:  # UTF-16 without a BOM
        return sample.count(b"\x00") < len(sample) * 3 // 4
    controls = sum(1 for b in sample if b < 9 or 13 < b < 32)
    return controls == 0
