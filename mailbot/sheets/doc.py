"""Word 97-2003 .doc -> tables and text, through a converter when one is installed.

LibreOffice (`soffice --headless --convert-to docx`) turns the file into .docx,
which is then read as any .docx; else antiword gives its text, tables drawn with
"|" between cells. With neither, the sender is asked for .docx or .xlsx. Both run
as programs in a private temporary folder, with the reading time limit.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from mailbot.config import Limits
from mailbot.models import UNREADABLE_FILE, Table
from mailbot.sheets.document import Document, Text
from mailbot.sheets.limits import SheetError, check_shape, damaged

log = logging.getLogger(__name__)


def read_doc(name: str, data: bytes, limits: Limits) -> Document:
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice:
        return _through_libreoffice(soffice, name, data, limits)
    antiword = shutil.which("antiword")
    if antiword:
        return _through_antiword(antiword, name, data, limits)
    log.warning("Word 97-2003 file %s not read: install LibreOffice or antiword to read .doc", name)
    raise SheetError(
        UNREADABLE_FILE, "old_word", "it is an old Word file (.doc)", "save it as .docx or send the table as .xlsx"
    )


def _run(command: list[str], limits: Limits, **options: Any) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(command, capture_output=True, timeout=limits.read_timeout_seconds, **options)
    except subprocess.TimeoutExpired:
        raise SheetError(
            UNREADABLE_FILE, "slow", "converting it took too long", seconds=f"{limits.read_timeout_seconds:g}"
        ) from None


def _through_libreoffice(soffice: str, name: str, data: bytes, limits: Limits) -> Document:
    from mailbot.sheets.docx import read_docx

    with tempfile.TemporaryDirectory(prefix="mailbot-doc-") as folder:
        source = Path(folder) / "report.doc"
        source.write_bytes(data)
        profile = Path(folder, "profile").as_uri()
        command = [soffice, f"-env:UserInstallation={profile}", "--headless", "--convert-to", "docx"]
        _run([*command, "--outdir", folder, str(source)], limits)
        converted = Path(folder) / "report.docx"
        if not converted.exists():
            raise damaged("the Word file could not be converted")
        return read_docx(name, converted.read_bytes(), limits)


def _through_antiword(antiword: str, name: str, data: bytes, limits: Limits) -> Document:
    with tempfile.TemporaryDirectory(prefix="mailbot-doc-") as folder:
        source = Path(folder) / "report.doc"
        source.write_bytes(data)
        done = _run([antiword, "-m", "UTF-8.txt", "-w", "0", str(source)], limits)
    if done.returncode != 0:
        raise damaged(done.stderr.decode("utf-8", "replace") or "antiword failed")
    lines = done.stdout.decode("utf-8", "replace").splitlines()
    rows = [[c.strip() or None for c in line.strip().strip("|").split("|")] for line in lines if line.count("|") >= 2]
    texts = tuple(line for line in lines if line.count("|") < 2)
    tables: tuple[Table, ...] = ()
    if rows:
        width = max(len(r) for r in rows)
        check_shape(len(rows), width, "table 1", limits)
        tables = (
            Table(file_name=name, sheet="Bảng 1", cells=tuple(tuple(r) + (None,) * (width - len(r)) for r in rows)),
        )
    heading = tuple(line for line in texts if line.strip())[:8]
    return Document(tables=tables, texts=(Text(name, texts, heading=heading),) if texts else ())
