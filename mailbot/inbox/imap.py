"""An IMAP folder as an inbox.

What is new is decided by UID alone: UIDs above the stored mark while the folder's
UIDVALIDITY is unchanged, everything when it changed (the store recognises what it
already holds). Nothing relies on \\Seen and nothing is marked: the folder is opened
read-only (EXAMINE) unless inbox.move_to is set, and bodies are fetched with
BODY.PEEK. Sizes are checked before download; a message over
limits.max_message_bytes is fetched as headers alone.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager

from imap_tools.errors import UnexpectedCommandStatusError

from mailbot.config import Settings
from mailbot.defaults import IDLE_MAX_SECONDS
from mailbot.inbox.base import KnownKeys, chunked, source_error
from mailbot.inbox.imap_connect import (
    ImapAddress,
    capabilities,
    close_mailbox,
    open_mailbox,
    parse_address,
    translated,
)
from mailbot.inbox.imap_fetch import Announced, parse_announced, parse_bodies, uid_set
from mailbot.models import InboundMessage, SourceMark

log = logging.getLogger(__name__)

BATCH_BYTES = 64 * 1024 * 1024  # a batch stops growing past this many announced bytes
IDLE_STEP_SECONDS = 1.0  # how often a waiting IDLE looks at the stop signal
# IDLE is interrupted this often for a NOOP: a connection the server dropped is noticed
# within this time plus the timeout, where a bare IDLE would wait for its renewal
# (imap-tools reads an end of file during IDLE as "nothing happened").
KEEPALIVE_SECONDS = 25.0


class ImapSource:
    def __init__(self, settings: Settings, address: ImapAddress | None = None) -> None:
        self.settings = settings
        self.address = address or parse_address(settings)
        self.identity = self.address.identity
        self.lang = settings.language
        self.move_to = settings.inbox.move_to
        self.idle_renew = min(settings.schedule.idle_renew_seconds, IDLE_MAX_SECONDS)
        self.uidvalidity: int | None = None
        self.top: int | None = None  # the highest UID searched for so far (arrivals are above it)
        self.mailbox = open_mailbox(self.address, settings)
        try:
            self.capabilities = capabilities(self.mailbox)
            self._prepare_move_folder()
            self._select()
        except BaseException:
            close_mailbox(self.mailbox)
            raise

    # -- the folder ------------------------------------------------------------------

    def _command(self, command: str, folder: str | None = None) -> AbstractContextManager[None]:
        return translated(self.address, self.lang, command, folder)

    def _select(self) -> None:
        """(Re)open the folder: read-only unless mail is to be moved out of it."""
        with self._command("SELECT"):
            self.mailbox.folder.set(self.address.folder, readonly=self.move_to is None)
            responses = self.mailbox.client.untagged_responses
            found = responses.get("UIDVALIDITY")
            if found and isinstance(found[-1], bytes):
                self.uidvalidity = int(found[-1])
            else:
                self.uidvalidity = self.mailbox.folder.status(self.address.folder, ["UIDVALIDITY"])["UIDVALIDITY"]
            responses.pop("EXISTS", None)  # from now on, an EXISTS means mail arrived

    def _prepare_move_folder(self) -> None:
        if not self.move_to:
            return
        with self._command("CREATE", self.move_to):
            if not self.mailbox.folder.exists(self.move_to):
                self.mailbox.folder.create(self.move_to)
                log.info("created the folder %s on %s for ingested mail", self.move_to, self.address.server)

    # -- new messages ------------------------------------------------------------------

    def batches(self, mark: SourceMark | None, known: KnownKeys) -> Iterator[list[InboundMessage]]:
        self._select()
        uids = self._new_uids(mark)
        if mark and mark.uidvalidity is not None and mark.uidvalidity != self.uidvalidity:
            log.warning(
                "UIDVALIDITY of %s changed (%s -> %s): rescanning %s message(s); stored ones are recognised",
                self.identity,
                mark.uidvalidity,
                self.uidvalidity,
                len(uids),
            )
        yield from self._batches_of(uids, known)

    def arrivals(self, known: KnownKeys) -> list[list[InboundMessage]]:
        """The mail that arrived since the last search (UIDs above every one seen), oldest first, downloaded."""
        if self.top is None:
            return []
        with self._command("NOOP"):  # the server adds what arrived to this session's view of the folder
            self.mailbox.client.noop()
        with self._command("UID SEARCH"):
            found = self.mailbox.uids(f"UID {self.top + 1}:*", charset=None)
        uids = sorted(uid for uid in map(int, found) if uid > self.top)
        if not uids:
            return []
        self.top = uids[-1]
        return list(self._batches_of(uids, known))

    def _batches_of(self, uids: list[int], known: KnownKeys) -> Iterator[list[InboundMessage]]:
        for chunk in chunked(uids, self.settings.inbox.batch_size):
            done = known([self._key(uid) for uid in chunk])
            wanted = [uid for uid in chunk if self._key(uid) not in done]
            if not wanted:
                continue
            for part in _by_bytes(self._announced(wanted)):
                batch = self._download(part)
                if batch:
                    yield batch

    def _key(self, uid: int) -> str:
        return f"{self.uidvalidity}:{uid}"

    def _new_uids(self, mark: SourceMark | None) -> list[int]:
        after = mark.last_uid if mark and mark.uidvalidity == self.uidvalidity else 0
        with self._command("UID SEARCH"):
            found = self.mailbox.uids(f"UID {after + 1}:*", charset=None)
        # "n:*" always matches the highest UID, even one below n
        uids = sorted(uid for uid in map(int, found) if uid > after)
        self.top = max([after, *uids])
        return uids

    def _announced(self, uids: list[int]) -> list[Announced]:
        with self._command("UID FETCH"):
            typ, data = self.mailbox.client.uid("FETCH", uid_set(uids), "(UID RFC822.SIZE INTERNALDATE)")
        if typ != "OK":
            raise source_error(
                self.lang, "refused", server=self.address.server, command="UID FETCH", reason=_text(data)
            )
        found = parse_announced(data)
        return [found[uid] for uid in uids if uid in found]  # an expunged message is simply gone

    def _download(self, announced: list[Announced]) -> list[InboundMessage]:
        limit = self.settings.limits.max_message_bytes
        whole = self._bodies([a.uid for a in announced if a.size <= limit], "BODY.PEEK[]")
        # at most the header limit and a byte: more headers than that are refused unread anyway
        head = f"BODY.PEEK[HEADER]<0.{self.settings.limits.max_header_bytes + 1}>"
        headers = self._bodies([a.uid for a in announced if a.size > limit], head)
        messages = []
        for item in announced:
            raw = headers.get(item.uid) if item.size > limit else whole.get(item.uid)
            if raw is None:
                continue  # expunged by someone else between the two commands
            messages.append(self._message(item, raw, headers_only=item.size > limit))
        return messages

    def _bodies(self, uids: list[int], part: str) -> dict[int, bytes]:
        if not uids:
            return {}
        with self._command("UID FETCH"):
            typ, data = self.mailbox.client.uid("FETCH", uid_set(uids), f"(UID {part})")
        if typ != "OK":
            raise source_error(
                self.lang, "refused", server=self.address.server, command="UID FETCH", reason=_text(data)
            )
        return parse_bodies(data)

    def _message(self, item: Announced, raw: bytes, headers_only: bool) -> InboundMessage:
        if headers_only:
            log.warning(
                "message UID %s in %s is %s bytes, over the limit of %s: only its headers are fetched",
                item.uid,
                self.identity,
                item.size,
                self.settings.limits.max_message_bytes,
            )
        return InboundMessage(
            source=self.identity,
            key=self._key(item.uid),
            raw=raw,
            received_at=item.internaldate,
            size=item.size if headers_only else len(raw),
            headers_only=headers_only,
            uid=item.uid,
            uidvalidity=self.uidvalidity,
        )

    # -- after the store committed ---------------------------------------------------------

    def after_commit(self, messages: list[InboundMessage]) -> None:
        """Move the committed messages to inbox.move_to, touching no other message."""
        move_to = self.move_to
        if not move_to:
            return
        uids = [m.uid for m in messages if m.uid is not None and m.uidvalidity == self.uidvalidity]
        if not uids:
            return
        with self._command("MOVE", move_to):
            if "MOVE" in self.capabilities:
                self.mailbox.move([str(u) for u in uids], move_to)
            else:
                self._copy_and_expunge(uids, move_to)
        log.info("moved %s message(s) from %s to %s", len(uids), self.identity, move_to)

    def _copy_and_expunge(self, uids: list[int], move_to: str) -> None:
        """COPY, then \\Deleted and UID EXPUNGE of exactly these UIDs; never a bare EXPUNGE."""
        client = self.mailbox.client
        self.mailbox.copy([str(u) for u in uids], move_to)
        _ok(client.uid("STORE", uid_set(uids), "+FLAGS.SILENT", r"(\Deleted)"), "UID STORE")
        if "UIDPLUS" in self.capabilities:
            _ok(client.uid("EXPUNGE", uid_set(uids)), "UID EXPUNGE")
        else:
            log.warning(
                "%s offers neither MOVE nor UID EXPUNGE: ingested mail was copied to %s and left marked "
                "\\Deleted in the folder (a bare EXPUNGE would also remove other people's deleted mail)",
                self.address.server,
                self.move_to,
            )

    # -- waiting -------------------------------------------------------------------------

    def wait_for_change(self, seconds: float, stop: threading.Event | None = None) -> bool:
        """IDLE until new mail, `seconds` pass or `stop` is set; a plain wait where IDLE is not offered.

        IDLE is re-issued every schedule.idle_renew_seconds (at most 9 minutes). True
        only when the server reported new mail: it is a wake-up signal, nothing more.
        """
        stop = stop or threading.Event()
        if "IDLE" not in self.capabilities:
            stop.wait(max(0.0, seconds))
            return False
        deadline = time.monotonic() + seconds
        if self._keepalive():
            return True  # mail arrived after the last search
        while not stop.is_set() and (left := deadline - time.monotonic()) > 0:
            with self._command("IDLE"):
                if self._idle(min(left, self.idle_renew, KEEPALIVE_SECONDS), stop):
                    return True
            if self._keepalive():
                return True
        return False

    def _keepalive(self) -> bool:
        """A NOOP between two IDLEs: raises SourceError if the connection is gone; True if mail arrived."""
        with self._command("NOOP"):
            self.mailbox.client.noop()
        return bool(self.mailbox.client.untagged_responses.pop("EXISTS", None))

    def _idle(self, seconds: float, stop: threading.Event) -> bool:
        """One IDLE command, watched in short steps so that `stop` is noticed."""
        until = time.monotonic() + seconds
        with self.mailbox.idle as idle:
            while not stop.is_set() and (left := until - time.monotonic()) > 0:
                lines = idle.poll(timeout=min(left, IDLE_STEP_SECONDS))
                if any(line.upper().endswith(b"EXISTS") for line in lines):
                    return True
        return False

    def close(self) -> None:
        close_mailbox(self.mailbox)


def _by_bytes(announced: list[Announced]) -> Iterator[list[Announced]]:
    """Split so that a batch's announced size stays near BATCH_BYTES (at least one message each)."""
    part: list[Announced] = []
    total = 0
    for item in announced:
        if part and total + item.size > BATCH_BYTES:
            yield part
            part, total = [], 0
        part.append(item)
        total += item.size
    if part:
        yield part


def _ok(result: tuple, command: str) -> None:
    if result[0] != "OK":
        raise UnexpectedCommandStatusError(result, "OK")


def _text(data: Iterable[object] | None) -> str:
    return " ".join(d.decode("utf-8", "replace") if isinstance(d, bytes) else str(d) for d in data or [] if d)
