"""Inbound messages: each kept once with its raw bytes, stored with its submission at once."""

from __future__ import annotations

import hashlib
import os
import signal
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from mailbot import i18n
from mailbot.clock import utcnow
from mailbot.errors import StoreError
from mailbot.models import InboundMessage, OutboundMail, Reading, SourceMark
from mailbot.store.base import StoreBase, insert_ignoring_duplicates
from mailbot.store.marks import save_mark
from mailbot.store.outbox import queue_mail
from mailbot.store.rows import message_key_values, message_values
from mailbot.store.schema import message_keys, messages, outbox, submissions
from mailbot.store.state import end_attempt
from mailbot.store.submissions import insert_submission
from mailbot.workers import FAULT_PREFIX, FAULTS_VARIABLE

FAULT_ONCE_VARIABLE = "MAILBOT_FAULT_ONCE"  # tests: the file that says the store's fault happened
KEYS_PER_QUERY = 500  # mailbox keys looked up in one IN (…)


@dataclass(frozen=True)
class IngestResult:
    message_row: int
    submission_id: int | None
    duplicate: bool


def sha256_of(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


class Messages(StoreBase):
    def ingest(
        self,
        message: InboundMessage,
        reading: Reading,
        outgoing: list[OutboundMail],
        mark: SourceMark | None,
    ) -> IngestResult:
        """Store the message, its submission, its outgoing mail and the new mark at once; its attempt ends."""
        return self.ingest_many([(message, reading, outgoing)], message.source, mark)[0]

    def ingest_many(
        self, items: list[tuple[InboundMessage, Reading, list[OutboundMail]]], source: str, mark: SourceMark | None
    ) -> list[IngestResult]:
        """Store messages with their submissions and outgoing mail in one transaction, the mark last.

        Each message's attempt ends in the same transaction. A failure anywhere leaves
        all of it undone: no message, submission, mail or mark of the group is stored.
        """
        with self.engine.begin() as conn:
            results = [self._ingest_one(conn, *item) for item in items]
            _fault_if_asked([message for message, _, _ in items], self.language)
            for message, _, _ in items:
                end_attempt(conn, sha256_of(message.raw))
            save_mark(conn, source, mark)
        return results

    def _ingest_one(
        self, conn: Connection, message: InboundMessage, reading: Reading, outgoing: list[OutboundMail]
    ) -> IngestResult:
        digest = sha256_of(message.raw)
        existing = conn.execute(sa.select(messages.c.id).where(messages.c.sha256 == digest)).scalar()
        if existing is not None:
            _remember_key(conn, message, existing)
            return IngestResult(existing, None, True)
        values = message_values(message, reading, digest, stored_at=utcnow())
        row = conn.execute(sa.insert(messages).values(**values).returning(messages.c.id)).scalar_one()
        _remember_key(conn, message, row)
        received = reading.received_at or message.received_at or utcnow()
        submission_id = insert_submission(conn, row, reading, received)
        queue_mail(conn, outgoing)
        return IngestResult(row, submission_id, False)

    def known_keys(self, source: str, keys: list[str]) -> set[str]:
        found: set[str] = set()
        with self.engine.connect() as conn:
            for start in range(0, len(keys), KEYS_PER_QUERY):
                chunk = keys[start : start + KEYS_PER_QUERY]
                query = sa.select(message_keys.c.source_key).where(
                    message_keys.c.source == source, message_keys.c.source_key.in_(chunk)
                )
                found.update(conn.execute(query).scalars())
        return found

    def raw_message(self, message_row: int) -> bytes:
        with self.engine.connect() as conn:
            raw = conn.execute(sa.select(messages.c.raw).where(messages.c.id == message_row)).scalar()
        if raw is None:
            raise i18n.error(StoreError, "errors.message_not_stored", self.language, id=message_row)
        return bytes(raw)

    def counts(self) -> dict[str, int]:
        with self.engine.connect() as conn:
            return {
                "messages": conn.execute(sa.select(sa.func.count()).select_from(messages)).scalar_one(),
                "submissions": conn.execute(sa.select(sa.func.count()).select_from(submissions)).scalar_one(),
                "outbox": conn.execute(sa.select(sa.func.count()).select_from(outbox)).scalar_one(),
            }


def _remember_key(conn: Connection, message: InboundMessage, row: int) -> None:
    insert_ignoring_duplicates(conn, message_keys, [message_key_values(message, row)])


def _fault_if_asked(group: list[InboundMessage], lang: str) -> None:
    """Tests (MAILBOT_READER_FAULTS=1): a failure inside the ingest transaction, once.

    b"MAILBOT-FAULT:store-die" in a message's first 64 KiB kills the process with the
    transaction open; b"MAILBOT-FAULT:store-error" fails the store as a full disk does.
    Either happens only while the file MAILBOT_FAULT_ONCE names does not exist, and
    makes it, so that the next poll goes through.
    """
    once = os.environ.get(FAULT_ONCE_VARIABLE)
    if os.environ.get(FAULTS_VARIABLE) != "1" or not once or os.path.exists(once):
        return
    heads = [message.raw[:65536] for message in group]
    kind = next((k for k in (b"store-die", b"store-error") for head in heads if FAULT_PREFIX + k in head), None)
    if kind is None:
        return
    with open(once, "x"):
        pass
    if kind == b"store-die":
        os.kill(os.getpid(), signal.SIGKILL)
    raise i18n.error(StoreError, "errors.store_write_failed", lang, url="(test)", reason="injected disk I/O error")
