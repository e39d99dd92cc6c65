"""A local Maildir as an inbox: read-only, never deletes or moves anything.

A message's key is its Maildir key (the file name before the ':' info part), so a
message that a mail reader moves from new/ to cur/ keeps its key. Its arrival time
is the file's modification time, which the delivering agent sets when it writes it.
"""

from __future__ import annotations

import logging
import mailbox
import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from mailbot.config import Settings
from mailbot.inbox.base import KnownKeys, chunked, source_error
from mailbot.models import InboundMessage, SourceMark

log = logging.getLogger(__name__)

SUBDIRS = ("new", "cur")
WATCH_STEP_SECONDS = 0.5
HEADER_READ_LIMIT = 256 * 1024  # the most read from an oversized file for its headers


@dataclass(frozen=True)
class _Entry:
    key: str
    path: Path
    mtime: float
    size: int


class MaildirSource:
    def __init__(self, path: Path, settings: Settings) -> None:
        self.path = path.absolute()
        self.identity = f"maildir://{self.path}"
        self.lang = settings.language
        self.batch_size = settings.inbox.batch_size
        self.max_bytes = settings.limits.max_message_bytes
        self._check()

    def _check(self) -> None:
        if not os.path.lexists(self.path):
            raise source_error(self.lang, "maildir_missing", path=self.path)
        missing = [sub for sub in SUBDIRS if not (self.path / sub).is_dir()]
        if not self.path.is_dir() or missing:
            raise source_error(self.lang, "not_a_maildir", path=self.path, missing="/".join(missing or SUBDIRS))
        self._scan()  # raises when a folder cannot be listed

    # -- reading -------------------------------------------------------------------

    def batches(self, mark: SourceMark | None, known: KnownKeys) -> Iterator[list[InboundMessage]]:
        for chunk in chunked(self._scan(), self.batch_size):
            done = known([e.key for e in chunk])
            batch = [m for m in (self._read(e) for e in chunk if e.key not in done) if m is not None]
            if batch:
                yield batch

    def _scan(self) -> list[_Entry]:
        """Every message file in new/ and cur/, oldest delivery first."""
        entries: list[_Entry | None] = []
        for sub in SUBDIRS:
            try:
                with os.scandir(self.path / sub) as listing:
                    entries.extend(self._entry(item) for item in listing if _is_message(item))
            except OSError as exc:
                raise source_error(self.lang, "maildir_unreadable", path=self.path / sub, reason=_reason(exc)) from None
        return sorted((e for e in entries if e is not None), key=lambda e: (e.mtime, e.key))

    def _entry(self, item: os.DirEntry) -> _Entry | None:
        try:
            stat = item.stat()
        except FileNotFoundError:  # moved by a mail reader meanwhile; found again next time
            return None
        return _Entry(item.name.split(":", 1)[0], Path(item.path), stat.st_mtime, stat.st_size)

    def _read(self, entry: _Entry) -> InboundMessage | None:
        path = entry.path if entry.path.exists() else self._moved(entry.key)
        if path is None:
            log.info("Maildir message %s disappeared before it was read; looked for again next time", entry.key)
            return None
        headers_only = entry.size > self.max_bytes
        try:
            raw = _headers_of(path) if headers_only else path.read_bytes()
        except OSError as exc:
            raise source_error(self.lang, "maildir_unreadable", path=path, reason=_reason(exc)) from None
        return InboundMessage(
            source=self.identity,
            key=entry.key,
            raw=raw,
            received_at=datetime.fromtimestamp(entry.mtime, UTC),
            size=entry.size if headers_only else len(raw),
            headers_only=headers_only,
        )

    def _moved(self, key: str) -> Path | None:
        """The file of `key` after a mail reader moved it to cur/ (adding an info part)."""
        found = sorted((self.path / "cur").glob(f"{key}:*"))
        return found[0] if found else None

    # -- the rest of the interface --------------------------------------------------

    def arrivals(self, known: KnownKeys) -> list[list[InboundMessage]]:
        return []  # a poll takes every file there is when it begins; later ones wait for the next poll

    def after_commit(self, messages: list[InboundMessage]) -> None:
        """A Maildir is never changed: inbox.move_to applies to IMAP only."""

    def wait_for_change(self, seconds: float, stop: threading.Event | None = None) -> bool:
        """Watch new/ and cur/ for a change of their modification time (or until `stop`)."""
        stop = stop or threading.Event()
        deadline = time.monotonic() + seconds
        before = self._stamps()
        while (left := deadline - time.monotonic()) > 0:
            if stop.wait(min(WATCH_STEP_SECONDS, left)):
                return False
            if self._stamps() != before:
                return True
        return False

    def _stamps(self) -> tuple:
        try:
            return tuple(os.stat(self.path / sub).st_mtime_ns for sub in SUBDIRS)
        except OSError:
            return ()

    def close(self) -> None:
        pass


def _is_message(item: os.DirEntry) -> bool:
    return not item.name.startswith(".") and item.is_file()


def _headers_of(path: Path) -> bytes:
    """The header block of a message file, read without loading the body."""
    lines = []
    with open(path, "rb") as handle:
        read = 0
        while read <= HEADER_READ_LIMIT:
            line = handle.readline(HEADER_READ_LIMIT + 1 - read)  # never more than the limit, even on one line
            if not line:
                break
            lines.append(line)
            read += len(line)
            if line in (b"\r\n", b"\n"):
                break
    return b"".join(lines)


def _reason(exc: OSError) -> str:
    return exc.strerror or type(exc).__name__


def deliver_to_maildir(path: str | os.PathLike, raw: bytes, delivered_at: datetime) -> str:
    """Write `raw` into the Maildir at `path` (created if needed) as a new message.

    The file's modification time is set to `delivered_at`, which the Maildir source
    reads back as the message's arrival time. Returns the message's Maildir key.
    """
    folder = mailbox.Maildir(os.fspath(path), factory=None, create=True)
    key = folder.add(raw)
    stamp = delivered_at.timestamp()
    os.utime(Path(path) / "new" / key, (stamp, stamp))
    return key
