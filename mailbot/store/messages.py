"""Inbound messages: each kept once with its raw bytes, stored with its submission at once."""

from __future__ import annotations

import hashlib
import os
import signal
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from mailbot import i18n
from mailbot.clock import utcnow
from mailbot.errors import StoreError
from mailbot.models import InboundMessage, OutboundMail, Reading, SourceMark
from mailbot.store.base import StoreBase, insert_ignoring_duplicates
from mailbot.store.marks import save_mark
from mailbot.store.outbox import queue_mail
from mailbot.store.rows import message_key_values, message_values, submission_values
from mailbot.store.schema import message_keys, messages, outbox, submissions
from mailbot.store.state import end_attempts
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
        Each kind of row is written by one statement for the whole group (executemany),
        built once: the rows and their order are those of storing each message in turn.
        """
        digests = [sha256_of(message.raw) for message, _, _ in items]
        with self.engine.begin() as conn:
            results = _ingest_group(conn, items, digests)
            _fault_if_asked([message for message, _, _ in items], self.language)
            end_attempts(conn, digests)
            save_mark(conn, source, mark)
        return results

    def known_keys(self, source: str, keys: list[str]) -> set[str]:
        found: set[str] = set()
        with self.reader.connect() as conn:
            for start in range(0, len(keys), KEYS_PER_QUERY):
                chunk = keys[start : start + KEYS_PER_QUERY]
                query = sa.select(message_keys.c.source_key).where(
                    message_keys.c.source == source, message_keys.c.source_key.in_(chunk)
                )
                found.update(conn.execute(query).scalars())
        return found

    def raw_message(self, message_row: int) -> bytes:
        with self.reader.connect() as conn:
            raw = conn.execute(sa.select(messages.c.raw).where(messages.c.id == message_row)).scalar()
        if raw is None:
            raise i18n.error(StoreError, "errors.message_not_stored", self.language, id=message_row)
        return bytes(raw)

    def counts(self) -> dict[str, int]:
        with self.reader.connect() as conn:
            return {
                "messages": conn.execute(sa.select(sa.func.count()).select_from(messages)).scalar_one(),
                "submissions": conn.execute(sa.select(sa.func.count()).select_from(submissions)).scalar_one(),
                "outbox": conn.execute(sa.select(sa.func.count()).select_from(outbox)).scalar_one(),
            }


def _ingest_group(
    conn: Connection, items: list[tuple[InboundMessage, Reading, list[OutboundMail]]], digests: list[str]
) -> list[IngestResult]:
    """Within the caller's transaction: each message stored once, with its key, submission and outgoing mail.

    Each kind of row is inserted by one INSERT … VALUES of the whole group, which returns
    the rows' ids with their unique columns (their order is the database's).
    """
    rows = _stored_rows(conn, digests)
    new = _new_ones(digests, set(rows))
    values = [message_values(items[i][0], items[i][1], digests[i], stored_at=utcnow()) for i in new]
    rows.update(_insert_all(conn, messages, values, messages.c.sha256))
    keys = [message_key_values(message, rows[digest]) for (message, _, _), digest in zip(items, digests, strict=True)]
    insert_ignoring_duplicates(conn, message_keys, keys)
    new_rows = [rows[digests[i]] for i in new]
    subs = [
        submission_values(row, items[i][1], _received(items[i][0], items[i][1]))
        for i, row in zip(new, new_rows, strict=True)
    ]
    submission_of_row = _insert_all(conn, submissions, subs, submissions.c.message_row)
    queue_mail(conn, [mail for i in new for mail in items[i][2]])
    is_new = dict.fromkeys(new, True)
    return [
        IngestResult(rows[digest], submission_of_row[rows[digest]] if index in is_new else None, index not in is_new)
        for index, digest in enumerate(digests)
    ]


def _stored_rows(conn: Connection, digests: list[str]) -> dict[str, int]:
    """The row of each of these messages already stored, by digest."""
    found: dict[str, int] = {}
    unique = list(dict.fromkeys(digests))
    for start in range(0, len(unique), KEYS_PER_QUERY):
        chunk = unique[start : start + KEYS_PER_QUERY]
        query = sa.select(messages.c.sha256, messages.c.id).where(messages.c.sha256.in_(chunk))
        found.update((digest, row) for digest, row in conn.execute(query))
    return found


def _new_ones(digests: list[str], stored: set[str]) -> list[int]:
    """The index of each message not stored yet, the first of a repeated one only (the others are its duplicates)."""
    first = {digest: index for index, digest in reversed(list(enumerate(digests))) if digest not in stored}
    return sorted(first.values())


def _insert_all(conn: Connection, table: sa.Table, rows: list[dict], unique: sa.Column) -> dict[Any, int]:
    """Insert the rows by one statement; the id of each, by its value of the `unique` column.

    With RETURNING, SQLAlchemy sends the rows as one INSERT … VALUES (…), (…) (a
    PostgreSQL connection lost meanwhile is then told as the server tells it).
    """
    if not rows:
        return {}
    return {key: row for key, row in conn.execute(sa.insert(table).returning(unique, table.c.id), rows)}


def _received(message: InboundMessage, reading: Reading) -> datetime:
    return reading.received_at or message.received_at or utcnow()


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
