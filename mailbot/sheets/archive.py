"""Archives and wrappers -> their members: .zip, .7z (py7zr) and Outlook's winmail.dat (tnefparse).

    members(name, data, kind, limits) -> [(member name, bytes)]

Nothing expands before the archive's own directory says it fits: the total
expanded size within `max_uncompressed_bytes`, each member within
`max_attachment_bytes` and the compression ratio limit (mailbot/sheets/limits.py).
A zip's members are then streamed through their CRC check, so a directory that
lies is caught too. Folders, hidden files and macOS resource forks are skipped.
"""

from __future__ import annotations

import io
import logging
import zipfile
from typing import Any  # tnefparse has no types

from mailbot.config import Limits
from mailbot.models import ENCRYPTED_FILE, FILE_TOO_LARGE, UNREADABLE_FILE
from mailbot.sheets import formats
from mailbot.sheets.limits import HINT, SheetError, check_zip, damaged, mib, too_large, within_time

log = logging.getLogger(__name__)
MAX_MEMBERS = 50
SKIPPED = ("__MACOSX/", ".", "~$")


def members(name: str, data: bytes, kind: str, limits: Limits) -> list[tuple[str, bytes]]:
    if kind == formats.SEVEN_ZIP:
        found = within_time(lambda: _seven_zip(data, limits), limits.read_timeout_seconds, len(data) * 10)
    elif kind == formats.TNEF:
        found = _tnef(data, limits)
    else:
        found = _zip(data, limits)
    return [(f"{name}/{member}", content) for member, content in found]


def _zip(data: bytes, limits: Limits) -> list[tuple[str, bytes]]:
    archive = formats.open_zip(data)
    if archive is None:
        raise damaged("the zip directory cannot be read")
    infos = [i for i in archive.infolist() if not i.is_dir() and not _skipped(i.filename)]
    if "[Content_Types].xml" in archive.namelist():  # an Office file other than a workbook or .docx
        raise SheetError(UNREADABLE_FILE, "unknown_format", "it is an Office file mailbot does not read", kind="pptx")
    if any(i.flag_bits & 0x1 for i in infos):
        raise SheetError(ENCRYPTED_FILE, "encrypted", "the archive is password-protected")
    _check_count(len(infos))
    check_zip(data, archive, limits)
    for info in infos:
        _check_member(info.filename, info.file_size, limits)
    try:
        return [(i.filename, archive.read(i)) for i in infos]
    except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError, RuntimeError, ValueError) as exc:
        raise damaged(exc) from None


def _seven_zip(data: bytes, limits: Limits) -> list[tuple[str, bytes]]:
    import py7zr
    from py7zr.io import BytesIOFactory

    try:
        with py7zr.SevenZipFile(io.BytesIO(data)) as archive:
            if archive.needs_password():
                raise SheetError(ENCRYPTED_FILE, "encrypted", "the archive is password-protected")
            infos = [i for i in archive.list() if not i.is_directory and not _skipped(i.filename)]
            _check_count(len(infos))
            total = sum(i.uncompressed for i in infos)
            _check_total(total, limits)
            for info in infos:
                _check_member(info.filename, info.uncompressed, limits)
            factory = BytesIOFactory(limits.max_attachment_bytes + 1)
            archive.extract(targets=[i.filename for i in infos], factory=factory)
            found = []
            for info in infos:
                product = factory.products.get(info.filename)
                if product is not None:
                    product.seek(0)
                    found.append((info.filename, product.read()))
            return found
    except SheetError:
        raise
    except Exception as exc:  # py7zr and its codecs raise many kinds on a damaged archive
        raise damaged(exc) from None


def _tnef(data: bytes, limits: Limits) -> list[tuple[str, bytes]]:
    from tnefparse import TNEF

    try:
        wrapper = TNEF(data)
    except Exception as exc:  # tnefparse raises ValueError, struct.error, IndexError...
        raise damaged(exc) from None
    found = []
    for attachment in wrapper.attachments[:MAX_MEMBERS]:
        member = _tnef_name(attachment)
        content = attachment.data or b""
        _check_member(member, len(content), limits)
        found.append((member, content))
    _check_total(sum(len(c) for _, c in found), limits)
    if wrapper.body:
        body = wrapper.body if isinstance(wrapper.body, bytes) else str(wrapper.body).encode("utf-8")
        found.append(("body.txt", body))
    return found


def _tnef_name(attachment: Any) -> str:
    for read in (attachment.long_filename, lambda: attachment.name):
        try:
            value = read()
        except Exception:
            continue
        if isinstance(value, bytes):
            value = value.decode("utf-8", "replace")
        if value:
            return " ".join(str(value).replace("\x00", "").split())
    return "attachment"


def _skipped(member: str) -> bool:
    base = member.rsplit("/", 1)[-1]
    return member.startswith(SKIPPED[0]) or base.startswith(SKIPPED[1:]) or not base


def _check_count(count: int) -> None:
    if count > MAX_MEMBERS:
        raise SheetError(
            FILE_TOO_LARGE, "members", f"the archive holds {count} files", HINT, count=count, limit=MAX_MEMBERS
        )


def _check_total(total: int, limits: Limits) -> None:
    if total > limits.max_uncompressed_bytes:
        raise too_large("expands", f"it would expand to {mib(total)} when opened", total, limits.max_uncompressed_bytes)


def _check_member(member: str, size: int, limits: Limits) -> None:
    if size > limits.max_attachment_bytes:
        raise too_large("too_large", f"{member} is {mib(size)}", size, limits.max_attachment_bytes)


def too_deep(levels: int) -> SheetError:
    return SheetError(FILE_TOO_LARGE, "nesting", f"archives nested more than {levels} deep", HINT, levels=levels)


def nothing_readable(kind: str) -> SheetError:
    return SheetError(UNREADABLE_FILE, "empty_archive", "the archive holds no file mailbot reads", kind=kind)
