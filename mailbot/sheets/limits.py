"""Limits checked before anything expands, and the time limit on reading."""

from __future__ import annotations

import struct
import threading
import time
import zipfile
import zlib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import TypeVar

from mailbot.config import Limits
from mailbot.errors import SpreadsheetError
from mailbot.models import FILE_TOO_LARGE, UNREADABLE_FILE

T = TypeVar("T")
CHUNK = 1 << 16
INLINE_BYTES = 1 << 20  # inputs that expand to less are read in the caller's thread
# Parts no reader here ever opens (themes, pictures, document properties, macros):
# they count in the announced size and ratio, but need no honesty check.
NEVER_READ = (
    "xl/theme/",
    "docProps/",
    "xl/media/",
    "xl/printerSettings/",
    "xl/drawings/",
    "xl/vbaProject.bin",
    "customXml/",
    "Thumbnails/",
    "Pictures/",
    "Configurations2/",
    "meta.xml",
    "settings.xml",
)
HINT = "send only the report table, saved as a small .xlsx file"


class SheetError(SpreadsheetError):
    """A SpreadsheetError that also names its reason, so the reader can say it in any language.

    `reason` is one of: too_large, expands, ratio, shape, slow, damaged,
    not_spreadsheet, encrypted, no_table; `params` fill the reason's message.
    """

    def __init__(self, code: str, reason: str, message: str, hint: str | None = None, **params: object) -> None:
        super().__init__(code, message, hint)
        self.reason = reason
        self.params = params


def damaged(exc: BaseException | str) -> SheetError:
    text = str(exc).strip().splitlines()[0][:160] if str(exc).strip() else type(exc).__name__
    return SheetError(UNREADABLE_FILE, "damaged", f"the file is damaged or not a workbook ({text})", "save it again")


def mib(size: int) -> str:
    return f"{max(1, round(size / (1024 * 1024)))} MB"


def too_large(reason: str, message: str, size: int, limit: int) -> SheetError:
    """A file, a part or what an archive expands to, above its limit (`size` and `limit` in bytes)."""
    return SheetError(FILE_TOO_LARGE, reason, message, HINT, size=mib(size), limit=mib(limit))


def check_size(data: bytes, limits: Limits) -> None:
    size, limit = len(data), limits.max_attachment_bytes
    if size > limit:
        raise too_large("too_large", f"{mib(size)}, above the limit of {mib(limit)}", size, limit)


def check_zip(data: bytes, archive: zipfile.ZipFile | None, limits: Limits) -> int:
    """Reject a zip whose central directory announces too much, then verify it honestly.

    The central directory is read first: nothing expands before the total size and
    every member's compression ratio are known to be within the limits. Then each
    member is streamed through its CRC check in small chunks, so a directory that
    lies about sizes is caught without ever holding more than one chunk.
    Returns the size the members expand to.
    """
    return expand_zip(data, archive, limits)[0]


def expand_zip(data: bytes, archive: zipfile.ZipFile | None, limits: Limits) -> tuple[int, dict[str, bytes]]:
    """check_zip, and the members it expanded: (expanded size, {member name: its verified bytes}).

    The bytes are kept only when the whole package expands to at most INLINE_BYTES
    (a district's report: a few kilobytes), so that the checks after this one read
    each member without expanding it again; a larger package gives {} and its
    members are streamed again where they are read, as is a name the zip holds twice.
    """
    if archive is None:
        raise damaged("the zip directory cannot be read")
    infos = archive.infolist()
    _check_announced(infos, limits)
    expanded = sum(info.file_size for info in infos)
    keep = expanded <= INLINE_BYTES
    parts, named_twice = {}, set()
    for info in infos:
        if not info.filename.startswith(NEVER_READ):
            member = _stream_member(data, info, keep)
            if info.filename in parts:
                named_twice.add(info.filename)
            if keep:
                parts[info.filename] = member
    for name in named_twice:  # which of them a reader opens is its own choice: each is streamed where read
        del parts[name]
    return expanded, parts


def _check_announced(infos: list[zipfile.ZipInfo], limits: Limits) -> None:
    total = sum(info.file_size for info in infos)
    limit = limits.max_uncompressed_bytes
    if total > limit:
        raise too_large(
            "expands", f"it would expand to {mib(total)} when opened, above the limit of {mib(limit)}", total, limit
        )
    for info in infos:
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > CHUNK and ratio > limits.max_compression_ratio:
            raise SheetError(
                FILE_TOO_LARGE,
                "ratio",
                f"part {info.filename} would expand {ratio:.0f} times when opened, above the limit of "
                f"{limits.max_compression_ratio}",
                HINT,
                part=info.filename,
                ratio=f"{ratio:.0f}",
                limit=limits.max_compression_ratio,
            )


def _stream_member(data: bytes, info: zipfile.ZipInfo, keep: bool = False) -> bytes:
    """Expand one member in chunks straight from its compressed bytes, checking its size and CRC.

    A member that yields more than its announced size is a bomb with a lying
    directory; one that yields less, or a wrong CRC, is damaged. With `keep`, the
    expanded bytes are returned (else b"").
    """
    start = _data_offset(data, info)
    if info.compress_type == zipfile.ZIP_STORED:
        produced = data[start : start + info.compress_size]
        if len(produced) != info.file_size or zlib.crc32(produced) != info.CRC:
            raise damaged(f"part {info.filename} is damaged")
        return produced if keep else b""
    if info.compress_type != zipfile.ZIP_DEFLATED:
        raise damaged(f"part {info.filename} uses an unsupported compression")
    inflater = zlib.decompressobj(-15)
    pending: bytes | memoryview = memoryview(data)[start : start + info.compress_size]
    size, crc = 0, 0
    kept: list[bytes] = []
    try:
        while True:
            chunk = inflater.decompress(pending, CHUNK)
            pending = inflater.unconsumed_tail
            size, crc = size + len(chunk), zlib.crc32(chunk, crc)
            if keep:
                kept.append(chunk)
            if size > info.file_size:
                raise damaged(f"part {info.filename} expands beyond its announced size")
            if inflater.eof or (not chunk and not pending):
                break
    except zlib.error as exc:
        raise damaged(exc) from None
    if size != info.file_size or crc != info.CRC:
        raise damaged(f"part {info.filename} is damaged or cut short")
    return b"".join(kept)


def _data_offset(data: bytes, info: zipfile.ZipInfo) -> int:
    header = data[info.header_offset : info.header_offset + 30]
    if len(header) < 30 or header[:4] != b"PK\x03\x04":
        raise damaged(f"part {info.filename} is missing")
    name_length, extra_length = struct.unpack("<HH", header[26:30])
    return info.header_offset + 30 + name_length + extra_length


def check_shape(rows: int, columns: int, sheet: str, limits: Limits) -> None:
    if rows > limits.max_rows or columns > limits.max_columns:
        raise SheetError(
            FILE_TOO_LARGE,
            "shape",
            f"sheet {sheet} has {rows} rows and {columns} columns, above the limit of "
            f"{limits.max_rows} rows and {limits.max_columns} columns",
            HINT,
            sheet=sheet,
            rows=rows,
            columns=columns,
            max_rows=limits.max_rows,
            max_columns=limits.max_columns,
        )


_pool_lock = threading.Lock()
_pool: ThreadPoolExecutor | None = None


def _reader_pool() -> ThreadPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="sheet-reader")
        return _pool


def _abandon_pool(pool: ThreadPoolExecutor) -> None:
    """Leave a pool whose worker is stuck; the next read gets a fresh one."""
    global _pool
    with _pool_lock:
        if _pool is pool:
            _pool = None
    pool.shutdown(wait=False, cancel_futures=True)


def within_time(work: Callable[[], T], seconds: float, expanded_bytes: int) -> T:
    """`work()`, or file_too_large if it runs longer than `seconds`.

    Large inputs are read in a worker thread: a reader stuck in native code cannot
    be interrupted, so its worker is abandoned and the caller goes on. Small inputs
    (most district reports: a few kilobytes) cannot take long with linear readers;
    they are read in the caller's thread, which saves the hand-over, and the limit
    is still applied to the time they took.
    """
    if expanded_bytes <= INLINE_BYTES:
        started = time.monotonic()
        result = work()
        if time.monotonic() - started > seconds:
            raise _too_slow(seconds)
        return result
    pool = _reader_pool()
    future = pool.submit(work)
    try:
        return future.result(timeout=seconds)
    except FutureTimeout:
        _abandon_pool(pool)
        raise _too_slow(seconds) from None


def _too_slow(seconds: float) -> SheetError:
    return SheetError(
        FILE_TOO_LARGE, "slow", f"reading it took longer than {seconds:g} seconds", HINT, seconds=f"{seconds:g}"
    )
