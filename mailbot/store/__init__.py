"""The store: SQLAlchemy Core over SQLite (embedded default) or PostgreSQL.

The only module that speaks SQL. Every inbound message is kept with its raw
bytes forever; a submission is linked to its message; the outbox holds mail
still to send. Times are stored in UTC and returned as aware UTC datetimes.
"""

from __future__ import annotations

import hashlib
import logging
import os
import socket
import sqlite3
import time as clock
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine

from mailbot import i18n
from mailbot.clock import utcnow
from mailbot.config import DEFAULT_LANGUAGE, redact_url
from mailbot.defaults import LOCK_LEASE, SENDING_LEASE
from mailbot.errors import StoreError
from mailbot.models import (
    InboundMessage,
    MailState,
    OutboundMail,
    QueuedMail,
    Reading,
    ReviewDecision,
    SourceMark,
    Status,
    Submission,
)
from mailbot.store import migrate
from mailbot.store.backup import backup_sqlite
from mailbot.store.engine import create_engine
from mailbot.store.rows import (
    decision_changes,
    first_line,
    holder_alive,
    problem_json,
    queued_of,
    submission_of,
)
from mailbot.store.schema import (
    decisions,
    locks,
    message_keys,
    messages,
    meta_table,
    outbox,
    set_meta,
    source_marks,
    submissions,
)

log = logging.getLogger(__name__)

SCHEMA_VERSION = migrate.schema_version(migrate.head_revision())

DUE_AT_ONCE = datetime(1970, 1, 1, tzinfo=UTC)  # next attempt of newly queued mail


@dataclass(frozen=True)
class IngestResult:
    message_row: int
    submission_id: int | None
    duplicate: bool


def os_login() -> str | None:
    """The operating-system login of this process, whatever name a person gave."""
    import getpass

    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry and no login variable
        return str(os.getuid())


def sha256_of(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


class Store:
    """All persistence. Open with Store.open(url, language); migrations run by themselves.

    `language` is the one a person reads the store's errors in (settings.language).
    """

    def __init__(self, engine: Engine, url: str, language: str = DEFAULT_LANGUAGE) -> None:
        self.engine = engine
        self.url = url
        self.language = language
        self.is_postgres = engine.dialect.name == "postgresql"

    # -- opening ---------------------------------------------------------------

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
        with self.engine.connect() as conn:
            return migrate.schema_version(migrate.current_revision(conn))

    # -- locks -----------------------------------------------------------------

    @contextmanager
    def lock(self, name: str, wait: bool = True, timeout: float = 600) -> Iterator[bool]:
        """Hold the named lock while the block runs; yields False if not taken."""
        if self.is_postgres:
            with self._advisory_lock(name, wait, timeout) as taken:
                yield taken
            return
        holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex}"
        deadline = clock.monotonic() + timeout
        while not self._try_lease(name, holder):
            if not wait or clock.monotonic() > deadline:
                yield False
                return
            clock.sleep(0.2)
        try:
            yield True
        finally:
            with self.engine.begin() as conn:
                conn.execute(sa.delete(locks).where(locks.c.name == name, locks.c.holder == holder))

    def _try_lease(self, name: str, holder: str) -> bool:
        now = utcnow()
        with self.engine.begin() as conn:
            row = conn.execute(sa.select(locks).where(locks.c.name == name)).first()
            if row is not None and row.expires_at > now and holder_alive(row.holder):
                return False
            if row is not None:
                conn.execute(sa.delete(locks).where(locks.c.name == name))
            conn.execute(sa.insert(locks).values(name=name, holder=holder, expires_at=now + LOCK_LEASE))
            return True

    @contextmanager
    def _advisory_lock(self, name: str, wait: bool, timeout: float) -> Iterator[bool]:
        key = int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)
        with self.engine.connect() as conn:
            deadline = clock.monotonic() + timeout
            taken = conn.execute(sa.text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar()
            while not taken and wait and clock.monotonic() < deadline:
                clock.sleep(0.2)
                taken = conn.execute(sa.text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar()
            conn.commit()
            try:
                yield bool(taken)
            finally:
                if taken:
                    conn.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": key})
                    conn.commit()

    # -- inbox state -----------------------------------------------------------

    def source_mark(self, source: str) -> SourceMark | None:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(source_marks).where(source_marks.c.source == source)).first()
        return SourceMark(row.uidvalidity, row.last_uid) if row else None

    def known_keys(self, source: str, keys: list[str]) -> set[str]:
        found: set[str] = set()
        with self.engine.connect() as conn:
            for start in range(0, len(keys), 500):
                chunk = keys[start : start + 500]
                query = sa.select(message_keys.c.source_key).where(
                    message_keys.c.source == source, message_keys.c.source_key.in_(chunk)
                )
                found.update(conn.execute(query).scalars())
        return found

    def record_heartbeat(self, source: str, at: datetime) -> None:
        with self.engine.begin() as conn:
            updated = conn.execute(
                sa.update(source_marks).where(source_marks.c.source == source).values(heartbeat_at=at)
            ).rowcount
            if not updated:
                conn.execute(
                    sa.insert(source_marks).values(source=source, uidvalidity=None, last_uid=0, heartbeat_at=at)
                )

    def heartbeat(self) -> tuple[str, datetime] | None:
        query = (
            sa.select(source_marks.c.source, source_marks.c.heartbeat_at)
            .where(source_marks.c.heartbeat_at.is_not(None))
            .order_by(source_marks.c.heartbeat_at.desc())
        )
        with self.engine.connect() as conn:
            row = conn.execute(query).first()
        return (row.source, row.heartbeat_at) if row else None

    # -- ingestion ---------------------------------------------------------------

    def ingest(
        self,
        message: InboundMessage,
        reading: Reading,
        outgoing: list[OutboundMail],
        mark: SourceMark | None,
    ) -> IngestResult:
        """Store the message, its submission, its outgoing mail and the new mark at once."""
        digest = sha256_of(message.raw)
        with self.engine.begin() as conn:
            existing = conn.execute(sa.select(messages.c.id).where(messages.c.sha256 == digest)).scalar()
            if existing is not None:
                self._remember_key(conn, message, existing)
                self._save_mark(conn, message.source, mark)
                return IngestResult(existing, None, True)
            row = self._insert_message(conn, message, reading, digest)
            self._remember_key(conn, message, row)
            submission_id = self._insert_submission(conn, row, message, reading)
            self._queue(conn, outgoing)
            self._save_mark(conn, message.source, mark)
        return IngestResult(row, submission_id, False)

    def begin_attempt(self, digest: str) -> int:
        """Mark the message with this digest as being worked on; which attempt this is (1 = first).

        The mark outlives a crash: a message during which the process died is found
        marked when the service comes back.
        """
        key = f"state:attempt:{digest}"
        with self.engine.begin() as conn:
            found = conn.execute(sa.select(meta_table.c.value).where(meta_table.c.key == key)).scalar()
            attempt = int(found or 0) + 1
            set_meta(conn, key, str(attempt))
        return attempt

    def end_attempt(self, digest: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(sa.delete(meta_table).where(meta_table.c.key == f"state:attempt:{digest}"))

    def save_mark(self, source: str, mark: SourceMark) -> None:
        with self.engine.begin() as conn:
            self._save_mark(conn, source, mark)

    def _insert_message(self, conn: Connection, message: InboundMessage, reading: Reading, digest: str) -> int:
        values = dict(
            sha256=digest,
            message_id=reading.message_id,
            source=message.source,
            source_key=message.key,
            received_at=message.received_at,
            stored_at=utcnow(),
            size=message.size,
            headers_only=message.headers_only,
            sender=reading.sender,
            subject=reading.subject,
            raw=message.raw,
        )
        return conn.execute(sa.insert(messages).values(**values).returning(messages.c.id)).scalar_one()

    def _remember_key(self, conn: Connection, message: InboundMessage, row: int) -> None:
        self._insert_ignoring_duplicates(
            conn, message_keys, [dict(source=message.source, source_key=message.key, message_row=row)]
        )

    def _insert_submission(self, conn: Connection, row: int, message: InboundMessage, reading: Reading) -> int:
        received = reading.received_at or message.received_at or utcnow()
        values = dict(
            message_row=row,
            unit=reading.unit,
            period=reading.period,
            received_at=received,
            sender=reading.sender,
            subject=reading.subject,
            message_id=reading.message_id,
            read_unit=reading.unit,
            read_figures=dict(reading.figures),
            sources={metric: place.to_json() for metric, place in reading.sources.items()} or None,
            figures=dict(reading.figures),
            problems=[problem_json(p) for p in reading.problems],
            read_status=reading.status,
            status=reading.status,
        )
        return conn.execute(sa.insert(submissions).values(**values).returning(submissions.c.id)).scalar_one()

    def _save_mark(self, conn: Connection, source: str, mark: SourceMark | None) -> None:
        if mark is None:
            return
        values = dict(uidvalidity=mark.uidvalidity, last_uid=mark.last_uid)
        updated = conn.execute(sa.update(source_marks).where(source_marks.c.source == source).values(**values)).rowcount
        if not updated:
            conn.execute(sa.insert(source_marks).values(source=source, **values))

    # -- queries -----------------------------------------------------------------

    def submissions_between(self, first: date, last: date) -> list[Submission]:
        query = sa.select(submissions).where(submissions.c.period.between(first, last))
        return self._submissions(query)

    def submissions_of_unit(self, unit: str, first: date, last: date) -> list[Submission]:
        query = sa.select(submissions).where(submissions.c.unit == unit, submissions.c.period.between(first, last))
        return self._submissions(query)

    def latest_accepted_before(self, before: date, received_by: datetime | None = None) -> list[Submission]:
        """Each unit's latest accepted submission for a day before `before`.

        The unit's last accepted day comes from a GROUP BY (an index search, where a
        window over every accepted row had to sort them all); the latest of that day's
        accepted submissions is picked here.
        """
        conditions = [
            submissions.c.status == Status.ACCEPTED,
            submissions.c.period < before,
            submissions.c.unit.is_not(None),
        ]
        if received_by is not None:
            conditions.append(submissions.c.received_at <= received_by)
        last_day = (
            sa.select(submissions.c.unit, sa.func.max(submissions.c.period).label("period"))
            .where(*conditions)
            .group_by(submissions.c.unit)
            .subquery()
        )
        query = (
            sa.select(submissions)
            .join(last_day, sa.and_(submissions.c.unit == last_day.c.unit, submissions.c.period == last_day.c.period))
            .where(*conditions)
        )
        latest = {sub.unit: sub for sub in self._submissions(query)}  # in arrival order: the last one stays
        return list(latest.values())

    def submission(self, submission_id: int) -> Submission | None:
        found = self._submissions(sa.select(submissions).where(submissions.c.id == submission_id))
        return found[0] if found else None

    def _stored_submission(self, submission_id: int) -> Submission:
        found = self.submission(submission_id)
        if found is None:
            raise i18n.error(StoreError, "errors.submission_not_stored", self.language, id=submission_id)
        return found

    def pending_review(self) -> list[Submission]:
        return self._submissions(sa.select(submissions).where(submissions.c.status == Status.NEEDS_REVIEW))

    def submission_of_message(self, message_row: int) -> Submission | None:
        found = self._submissions(sa.select(submissions).where(submissions.c.message_row == message_row))
        return found[0] if found else None

    def _submissions(self, query) -> list[Submission]:
        query = query.order_by(submissions.c.received_at, submissions.c.id)
        with self.engine.connect() as conn:
            return [submission_of(row) for row in conn.execute(query)]

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

    # -- review --------------------------------------------------------------------

    def record_decision(self, decision: ReviewDecision, outgoing: list[OutboundMail]) -> Submission:
        """Apply a review decision and queue its notices in one transaction."""
        changes = decision_changes(decision)
        with self.engine.begin() as conn:
            conn.execute(
                sa.insert(decisions).values(
                    submission_id=decision.submission_id,
                    action=decision.action,
                    decided_by=decision.by,
                    decided_at=decision.at,
                    reason=decision.reason,
                    unit=decision.unit,
                    figures=dict(decision.figures) if decision.figures is not None else None,
                    os_login=os_login(),
                )
            )
            updated = conn.execute(
                sa.update(submissions).where(submissions.c.id == decision.submission_id).values(**changes)
            ).rowcount
            if not updated:
                raise i18n.error(StoreError, "errors.submission_not_stored", self.language, id=decision.submission_id)
            self._queue(conn, outgoing)
        return self._stored_submission(decision.submission_id)

    def decisions_of(self, submission_id: int) -> list[ReviewDecision]:
        query = sa.select(decisions).where(decisions.c.submission_id == submission_id).order_by(decisions.c.id)
        with self.engine.connect() as conn:
            return [
                ReviewDecision(
                    submission_id=row.submission_id,
                    action=row.action,
                    by=row.decided_by,
                    at=row.decided_at,
                    reason=row.reason,
                    unit=row.unit,
                    figures=row.figures,
                    login=row.os_login,
                )
                for row in conn.execute(query)
            ]

    # -- outbox --------------------------------------------------------------------

    def queue(self, mails: list[OutboundMail], state: dict[str, str] | None = None) -> int:
        """Queue mail (idempotent on its key), and set `state` keys in the same transaction."""
        with self.engine.begin() as conn:
            added = self._queue(conn, mails)
            for key, value in (state or {}).items():
                set_meta(conn, f"state:{key}", value)
            return added

    def _queue(self, conn: Connection, mails: list[OutboundMail]) -> int:
        now = utcnow()
        rows = [
            dict(
                key=m.key,
                kind=m.kind,
                recipients=list(m.recipients),
                message_id=m.message_id,
                raw=m.raw,
                state=MailState.PENDING,
                attempts=0,
                next_attempt_at=DUE_AT_ONCE,
                created_at=now,
            )
            for m in mails
        ]
        return self._insert_ignoring_duplicates(conn, outbox, rows)

    def replies_since(self, address: str, since: datetime) -> int:
        """How many answers (acknowledgements, review notices) were queued to `address` since then."""
        query = sa.select(outbox.c.recipients).where(outbox.c.kind.in_(("ack", "review")), outbox.c.created_at >= since)
        wanted = address.strip().lower()
        with self.engine.connect() as conn:
            return sum(1 for (recipients,) in conn.execute(query) if wanted in (r.lower() for r in recipients))

    def is_queued(self, key: str) -> bool:
        with self.engine.connect() as conn:
            return conn.execute(sa.select(outbox.c.id).where(outbox.c.key == key)).first() is not None

    def claim_due(self, now: datetime, limit: int = 50) -> list[QueuedMail]:
        due = sa.or_(
            sa.and_(outbox.c.state == MailState.PENDING, outbox.c.next_attempt_at <= now),
            sa.and_(outbox.c.state == MailState.SENDING, outbox.c.claimed_at <= now - SENDING_LEASE),
        )
        query = sa.select(outbox).where(due).order_by(outbox.c.id).limit(limit).with_for_update(skip_locked=True)
        with self.engine.begin() as conn:
            rows = conn.execute(query).all()
            if rows:
                conn.execute(
                    sa.update(outbox)
                    .where(outbox.c.id.in_([r.id for r in rows]))
                    .values(state=MailState.SENDING, attempts=outbox.c.attempts + 1, claimed_at=now)
                )
        return [queued_of(r, state=MailState.SENDING, attempts=r.attempts + 1) for r in rows]

    def release_sending(self) -> int:
        """Put mail left `sending` back in the queue, due at once; for the holder of the delivery lock only.

        Mail is claimed only under that lock, so whoever left it `sending` no longer
        holds the lock: it stopped (crashed, was killed) between claiming and confirming.
        """
        query = sa.update(outbox).where(outbox.c.state == MailState.SENDING)
        with self.engine.begin() as conn:
            return conn.execute(query.values(state=MailState.PENDING, next_attempt_at=DUE_AT_ONCE)).rowcount

    def mark_sent(self, mail_id: int, at: datetime) -> None:
        self._set_mail(mail_id, state=MailState.SENT, sent_at=at, last_error=None)

    def mark_retry(self, mail_id: int, next_attempt_at: datetime, error: str) -> None:
        self._set_mail(mail_id, state=MailState.PENDING, next_attempt_at=next_attempt_at, last_error=error)

    def mark_held(self, mail_id: int, error: str) -> None:
        self._set_mail(mail_id, state=MailState.HELD, last_error=error)

    def _set_mail(self, mail_id: int, **values) -> None:
        with self.engine.begin() as conn:
            conn.execute(sa.update(outbox).where(outbox.c.id == mail_id).values(**values))

    def held_mail(self) -> list[QueuedMail]:
        return self._mail_in_state(MailState.HELD)

    def mail(self, state: str | None = None) -> list[QueuedMail]:
        return self._mail_in_state(state)

    def _mail_in_state(self, state: str | None) -> list[QueuedMail]:
        query = sa.select(outbox).order_by(outbox.c.id)
        if state is not None:
            query = query.where(outbox.c.state == state)
        with self.engine.connect() as conn:
            return [queued_of(r) for r in conn.execute(query)]

    def release_held(self, mail_ids: list[int] | None = None) -> int:
        query = sa.update(outbox).where(outbox.c.state == MailState.HELD)
        if mail_ids is not None:
            query = query.where(outbox.c.id.in_(mail_ids))
        with self.engine.begin() as conn:
            return conn.execute(query.values(state=MailState.PENDING, next_attempt_at=DUE_AT_ONCE)).rowcount

    def outbox_counts(self) -> dict[str, int]:
        counts: dict[str, int] = {state.value: 0 for state in MailState}
        query = sa.select(outbox.c.state, sa.func.count()).group_by(outbox.c.state)
        with self.engine.connect() as conn:
            counts.update({state: n for state, n in conn.execute(query)})
        return counts

    # -- key/value state -------------------------------------------------------

    def get_state(self, key: str) -> str | None:
        with self.engine.connect() as conn:
            return conn.execute(sa.select(meta_table.c.value).where(meta_table.c.key == f"state:{key}")).scalar()

    def set_state(self, key: str, value: str) -> None:
        with self.engine.begin() as conn:
            set_meta(conn, f"state:{key}", value)

    # -- helpers -----------------------------------------------------------------

    def _insert_ignoring_duplicates(self, conn: Connection, table: sa.Table, rows: list[dict]) -> int:
        if not rows:
            return 0
        statement = (postgresql.insert if self.is_postgres else sqlite.insert)(table).on_conflict_do_nothing()
        return sum(max(conn.execute(statement, row).rowcount, 0) for row in rows)
