"""Limits checked before anything expands, and the time limit on reading."""

from __future__ import annotations

import io
import threading
import zipfile
from typing import Callable, TypeVar

from mailbot.config import Limits
from mailbot.errors import SpreadsheetError
from mailbot.models import FILE_TOO_LARGE, UNREADABLE_FILE

T = TypeVar("T")
CHUNK = 1 << 16
HINT = "send only the report table, saved as a small .xlsx file"


class SheetError(SpreadsheetError):
    """A SpreadsheetError that also names its reason, so the reader can say it in any language.

    `reason` is one of: too_large, expands, ratio, shape, slow, damaged,
    not_spreadsheet, encrypted, no_table; `params` fill the reason's message.
    """

    def __init__(self, code: str, reason: str, message: str, hint: str | None = None, **params) -> None:
        super().__init__(code, message, hint)
        self.reason = reason
        self.params = params


def damaged(exc: BaseException | str) -> SheetError:
    text = str(exc).strip().splitlines()[0][:160] if str(exc).strip() else type(exc).__name__
    return SheetError(UNREADABLE_FILE, "damaged", f"the file is damaged or not a workbook ({text})", "save it again")


def mib(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"


def check_size(data: bytes, limits: Limits) -> None:
    if len(data) > limits.max_attachment_bytes:
        raise SheetError(
            FILE_TOO_LARGE, "too_large",
            f"{mib(len(data))}, above the limit of {mib(limits.max_attachment_bytes)}", HINT,
            size=mib(len(data)), limit=mib(limits.max_attachment_bytes),
        )


def check_zip(data: bytes, limits: Limits) -> None:
    """Reject a zip whose central directory announces too much, then verify it honestly.

    The central directory is read first: nothing expands before the total size and
    every member's compression ratio are known to be within the limits. Then each
    member is streamed through its CRC check in small chunks, so a directory that
    lies about sizes is caught without ever holding more than one chunk.
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise damaged(exc) from None
    with archive:
        infos = archive.infolist()
        _check_announced(infos, limits)
        for info in infos:
            _stream_member(archive, info)


def _check_announced(infos: list[zipfile.ZipInfo], limits: Limits) -> None:
    total = sum(info.file_size for info in infos)
    if total > limits.max_uncompressed_bytes:
        raise SheetError(
            FILE_TOO_LARGE, "expands",
            f"it would expand to {mib(total)} when opened, above the limit of {mib(limits.max_uncompressed_bytes)}",
            HINT, size=mib(total), limit=mib(limits.max_uncompressed_bytes),
        )
    for info in infos:
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > CHUNK and ratio > limits.max_compression_ratio:
            raise SheetError(
                FILE_TOO_LARGE, "ratio",
                f"part {info.filename} would expand {ratio:.0f} times when opened, above the limit of "
                f"{limits.max_compression_ratio}",
                HINT, part=info.filename, ratio=f"{ratio:.0f}", limit=limits.max_compression_ratio,
            )


def _stream_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> None:
    try:
        with archive.open(info) as member:
            while member.read(CHUNK):
                pass
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError, RuntimeError) as exc:
        raise damaged(exc) from None


def check_shape(rows: int, columns: int, sheet: str, limits: Limits) -> None:
    if rows > limits.max_rows or columns > limits.max_columns:
        raise SheetError(
            FILE_TOO_LARGE, "shape",
            f"sheet {sheet} has {rows} rows and {columns} columns, above the limit of "
            f"{limits.max_rows} rows and {limits.max_columns} columns",
            HINT, sheet=sheet, rows=rows, columns=columns, max_rows=limits.max_rows, max_columns=limits.max_columns,
        )


def within_time(work: Callable[[], T], seconds: float) -> T:
    """`work()`, or file_too_large if it runs longer than `seconds`.

    The work runs in a daemon thread: a reader stuck in native code cannot be
    interrupted, but it is abandoned and the caller goes on.
    """
    outcome: list = []

    def run() -> None:
        try:
            outcome.append((True, work()))
        except BaseException as exc:  # handed back to the caller below
            outcome.append((False, exc))

    worker = threading.Thread(target=run, name="sheet-reader", daemon=True)
    worker.start()
    worker.join(seconds)
    if not outcome:
        raise SheetError(
            FILE_TOO_LARGE, "slow", f"reading it took longer than {seconds:g} seconds", HINT, seconds=f"{seconds:g}"
        )
    ok, value = outcome[0]
    if not ok:
        raise value
    return value
