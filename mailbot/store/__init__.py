"""The store: SQLAlchemy Core over SQLite (embedded default) or PostgreSQL.

The only package that speaks SQL. Every inbound message is kept with its raw
bytes forever; a submission is linked to its message; the outbox holds mail
still to send. Times are stored in UTC and returned as aware UTC datetimes.

`Store` is a small facade over one part per concern, each in its own module:
locks.py, marks.py (how far each mailbox was read), messages.py, submissions.py,
decisions.py, outbox.py, state.py (key/value state); accounts.py holds the
console's people. rows.py is the one mapping between rows and records.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import sqlalchemy as sa

from mailbot import i18n
from mailbot.config import DEFAULT_LANGUAGE, redact_url
from mailbot.errors import StoreError
from mailbot.store import migrate
from mailbot.store.backup import backup_sqlite
from mailbot.store.base import first_line
from mailbot.store.decisions import Decisions
from mailbot.store.engine import create_engine
from mailbot.store.locks import Locks
from mailbot.store.marks import Marks
from mailbot.store.messages import IngestResult, Messages, sha256_of
from mailbot.store.outbox import Outbox
from mailbot.store.state import State

__all__ = ["SCHEMA_VERSION", "IngestResult", "Store", "sha256_of"]

SCHEMA_VERSION = migrate.schema_version(migrate.head_revision())


class Store(Locks, Marks, Messages, Decisions, Outbox, State):
    """All persistence. Open with Store.open(url, language); migrations run by themselves."""

    @classmethod
    def open(cls, url: str, language: str = DEFAULT_LANGUAGE) -> Store:
        engine = create_engine(url, language)
        store = cls(engine, url, language)
        try:
            store._migrate()
        except sa.exc.SQLAlchemyError as exc:
            engine.dispose()
            raise i18n.error(
                StoreError, "errors.store_unopenable", language, url=redact_url(url), reason=first_line(exc)
            ) from None
        return store

    def close(self) -> None:
        self.engine.dispose()

    def backup(self, target: Path) -> None:
        """A consistent copy of a SQLite store in `target`, while others keep writing."""
        if self.is_postgres:
            raise i18n.error(StoreError, "errors.backup_postgres", self.language, url=redact_url(self.url))
        try:
            backup_sqlite(self.engine, target)
        except (OSError, sqlite3.Error) as exc:
            reason = getattr(exc, "strerror", None) or first_line(exc)
            raise i18n.error(StoreError, "errors.backup_failed", self.language, path=target, reason=reason) from None

    def _migrate(self) -> None:
        migrate.upgrade(self.engine, self.language)

    @property
    def schema_version(self) -> int:
        with self.reader.connect() as conn:
            return migrate.schema_version(migrate.current_revision(conn))
