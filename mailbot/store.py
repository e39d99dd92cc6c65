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
import time as clock
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Iterator

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine

from mailbot.config import redact_url
from mailbot.errors import StoreError
from mailbot.models import (
    InboundMessage,
    OutboundMail,
    Problem,
    QueuedMail,
    Reading,
    ReviewDecision,
    SourceMark,
    Submission,
)

log = logging.getLogger(__name__)

SCHEMA_VERSION = 1
SENDING_LEASE = timedelta(minutes=10)  # a claimed mail not confirmed by then is tried again
LOCK_LEASE = timedelta(hours=1)  # a lock whose holder vanished without a trace expires
DUE_AT_ONCE = datetime(1970, 1, 1, tzinfo=timezone.utc)  # next attempt of newly queued mail


class UtcDateTime(sa.types.TypeDecorator):
    """Aware datetimes in, aware UTC datetimes out; naive UTC in the database."""

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store")
        return value.astimezone(timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        return None if value is None else value.replace(tzinfo=timezone.utc)


metadata = sa.MetaData()

meta_table = sa.Table(
    "meta", metadata,
    sa.Column("key", sa.String(200), primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
)
messages = sa.Table(
    "messages", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("sha256", sa.String(64), nullable=False, unique=True),
    sa.Column("message_id", sa.Text),
    sa.Column("source", sa.Text, nullable=False),
    sa.Column("source_key", sa.Text, nullable=False),
    sa.Column("received_at", UtcDateTime),
    sa.Column("stored_at", UtcDateTime, nullable=False),
    sa.Column("size", sa.BigInteger, nullable=False),
    sa.Column("headers_only", sa.Boolean, nullable=False),
    sa.Column("sender", sa.Text),
    sa.Column("subject", sa.Text),
    sa.Column("raw", sa.LargeBinary, nullable=False),
)
message_keys = sa.Table(
    "message_keys", metadata,
    sa.Column("source", sa.Text, primary_key=True),
    sa.Column("source_key", sa.String(400), primary_key=True),
    sa.Column("message_row", sa.Integer, sa.ForeignKey("messages.id"), nullable=False),
)
submissions = sa.Table(
    "submissions", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("message_row", sa.Integer, sa.ForeignKey("messages.id"), nullable=False, unique=True),
    sa.Column("unit", sa.String(100), index=True),
    sa.Column("period", sa.Date, index=True),
    sa.Column("received_at", UtcDateTime, nullable=False),
    sa.Column("sender", sa.Text),
    sa.Column("subject", sa.Text),
    sa.Column("message_id", sa.Text),
    sa.Column("read_unit", sa.String(100)),
    sa.Column("read_figures", sa.JSON, nullable=False),
    sa.Column("figures", sa.JSON, nullable=False),
    sa.Column("problems", sa.JSON, nullable=False),
    sa.Column("read_status", sa.String(20), nullable=False),
    sa.Column("status", sa.String(20), nullable=False, index=True),
    sa.Column("decided_by", sa.Text),
    sa.Column("decision_note", sa.Text),
)
decisions = sa.Table(
    "decisions", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("submission_id", sa.Integer, sa.ForeignKey("submissions.id"), nullable=False, index=True),
    sa.Column("action", sa.String(20), nullable=False),
    sa.Column("decided_by", sa.Text, nullable=False),
    sa.Column("decided_at", UtcDateTime, nullable=False),
    sa.Column("reason", sa.Text),
    sa.Column("unit", sa.String(100)),
    sa.Column("figures", sa.JSON),
)
source_marks = sa.Table(
    "source_marks", metadata,
    sa.Column("source", sa.String(400), primary_key=True),
    sa.Column("uidvalidity", sa.BigInteger),
    sa.Column("last_uid", sa.BigInteger, nullable=False),
    sa.Column("heartbeat_at", UtcDateTime),
)
outbox = sa.Table(
    "outbox", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("key", sa.String(400), nullable=False, unique=True),
    sa.Column("kind", sa.String(40), nullable=False),
    sa.Column("recipients", sa.JSON, nullable=False),
    sa.Column("message_id", sa.Text, nullable=False),
    sa.Column("raw", sa.LargeBinary, nullable=False),
    sa.Column("state", sa.String(20), nullable=False, index=True),
    sa.Column("attempts", sa.Integer, nullable=False, default=0),
    sa.Column("next_attempt_at", UtcDateTime, nullable=False),
    sa.Column("claimed_at", UtcDateTime),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("sent_at", UtcDateTime),
    sa.Column("last_error", sa.Text),
)
locks = sa.Table(
    "locks", metadata,
    sa.Column("name", sa.String(200), primary_key=True),
    sa.Column("holder", sa.Text, nullable=False),
    sa.Column("expires_at", UtcDateTime, nullable=False),
)


@dataclass(frozen=True)
class IngestResult:
    message_row: int
    submission_id: int | None
    duplicate: bool


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def sha256_of(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


class Store:
    """All persistence. Open with Store.open(url); migrations run by themselves."""

    def __init__(self, engine: Engine, url: str) -> None:
        self.engine = engine
        self.url = url
        self.is_postgres = engine.dialect.name == "postgresql"

    # -- opening ---------------------------------------------------------------

    @classmethod
    def open(cls, url: str) -> "Store":
        engine = _create_engine(url)
        store = cls(engine, url)
        try:
            store._migrate()
        except sa.exc.SQLAlchemyError as exc:
            engine.dispose()
            raise StoreError(
                f"the store {redact_url(url)} cannot be opened: {_first_line(exc)}",
                "check MAILBOT_DB_URL, that the database exists and that mailbot may write to it",
            ) from None
        return store

    def close(self) -> None:
        self.engine.dispose()

    def _migrate(self) -> None:
        with self.engine.begin() as conn:
            metadata.create_all(conn, tables=[meta_table])
            version = _schema_version(conn)
            if version > SCHEMA_VERSION:
                raise StoreError(
                    f"the store has schema version {version}, newer than this mailbot ({SCHEMA_VERSION})",
                    "upgrade mailbot before using this store",
                )
            for target in range(version + 1, SCHEMA_VERSION + 1):
                MIGRATIONS[target](conn)
                _set_meta(conn, "schema_version", str(target))
                log.info("store migrated to schema version %s", target)

    @property
    def schema_version(self) -> int:
        with self.engine.connect() as conn:
            return _schema_version(conn)

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
            if row is not None and row.expires_at > now and _holder_alive(row.holder):
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
                conn.execute(sa.insert(source_marks).values(source=source, uidvalidity=None, last_uid=0, heartbeat_at=at))

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
            figures=dict(reading.figures),
            problems=[_problem_json(p) for p in reading.problems],
            read_status=reading.status,
            status=reading.status,
        )
        return conn.execute(sa.insert(submissions).values(**values).returning(submissions.c.id)).scalar_one()

    def _save_mark(self, conn: Connection, source: str, mark: SourceMark | None) -> None:
        if mark is None:
            return
        values = dict(uidvalidity=mark.uidvalidity, last_uid=mark.last_uid)
        updated = conn.execute(
            sa.update(source_marks).where(source_marks.c.source == source).values(**values)
        ).rowcount
        if not updated:
            conn.execute(sa.insert(source_marks).values(source=source, **values))

    # -- queries -----------------------------------------------------------------

    def submissions_between(self, first: date, last: date) -> list[Submission]:
        query = sa.select(submissions).where(submissions.c.period.between(first, last))
        return self._submissions(query)

    def submissions_of_unit(self, unit: str, first: date, last: date) -> list[Submission]:
        query = sa.select(submissions).where(
            submissions.c.unit == unit, submissions.c.period.between(first, last)
        )
        return self._submissions(query)

    def submission(self, submission_id: int) -> Submission | None:
        found = self._submissions(sa.select(submissions).where(submissions.c.id == submission_id))
        return found[0] if found else None

    def pending_review(self) -> list[Submission]:
        return self._submissions(sa.select(submissions).where(submissions.c.status == "needs_review"))

    def submission_of_message(self, message_row: int) -> Submission | None:
        found = self._submissions(sa.select(submissions).where(submissions.c.message_row == message_row))
        return found[0] if found else None

    def _submissions(self, query) -> list[Submission]:
        query = query.order_by(submissions.c.received_at, submissions.c.id)
        with self.engine.connect() as conn:
            return [_submission_of(row) for row in conn.execute(query)]

    def raw_message(self, message_row: int) -> bytes:
        with self.engine.connect() as conn:
            raw = conn.execute(sa.select(messages.c.raw).where(messages.c.id == message_row)).scalar()
        if raw is None:
            raise StoreError(f"message {message_row} is not in the store", "list messages with `mailbot status`")
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
        changes = _decision_changes(decision)
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
                )
            )
            updated = conn.execute(
                sa.update(submissions).where(submissions.c.id == decision.submission_id).values(**changes)
            ).rowcount
            if not updated:
                raise StoreError(f"submission {decision.submission_id} does not exist", "list them with `mailbot review`")
            self._queue(conn, outgoing)
        return self.submission(decision.submission_id)

    def decisions_of(self, submission_id: int) -> list[ReviewDecision]:
        query = sa.select(decisions).where(decisions.c.submission_id == submission_id).order_by(decisions.c.id)
        with self.engine.connect() as conn:
            return [
                ReviewDecision(
                    submission_id=row.submission_id, action=row.action, by=row.decided_by, at=row.decided_at,
                    reason=row.reason, unit=row.unit, figures=row.figures,
                )
                for row in conn.execute(query)
            ]

    # -- outbox --------------------------------------------------------------------

    def queue(self, mails: list[OutboundMail], state: dict[str, str] | None = None) -> int:
        """Queue mail (idempotent on its key), and set `state` keys in the same transaction."""
        with self.engine.begin() as conn:
            added = self._queue(conn, mails)
            for key, value in (state or {}).items():
                _set_meta(conn, f"state:{key}", value)
            return added

    def _queue(self, conn: Connection, mails: list[OutboundMail]) -> int:
        now = utcnow()
        rows = [
            dict(
                key=m.key, kind=m.kind, recipients=list(m.recipients), message_id=m.message_id, raw=m.raw,
                state="pending", attempts=0, next_attempt_at=DUE_AT_ONCE, created_at=now,
            )
            for m in mails
        ]
        return self._insert_ignoring_duplicates(conn, outbox, rows)

    def is_queued(self, key: str) -> bool:
        with self.engine.connect() as conn:
            return conn.execute(sa.select(outbox.c.id).where(outbox.c.key == key)).first() is not None

    def claim_due(self, now: datetime, limit: int = 50) -> list[QueuedMail]:
        due = sa.or_(
            sa.and_(outbox.c.state == "pending", outbox.c.next_attempt_at <= now),
            sa.and_(outbox.c.state == "sending", outbox.c.claimed_at <= now - SENDING_LEASE),
        )
        query = sa.select(outbox).where(due).order_by(outbox.c.id).limit(limit).with_for_update(skip_locked=True)
        with self.engine.begin() as conn:
            rows = conn.execute(query).all()
            if rows:
                conn.execute(
                    sa.update(outbox)
                    .where(outbox.c.id.in_([r.id for r in rows]))
                    .values(state="sending", attempts=outbox.c.attempts + 1, claimed_at=now)
                )
        return [_queued_of(r, state="sending", attempts=r.attempts + 1) for r in rows]

    def mark_sent(self, mail_id: int, at: datetime) -> None:
        self._set_mail(mail_id, state="sent", sent_at=at, last_error=None)

    def mark_retry(self, mail_id: int, next_attempt_at: datetime, error: str) -> None:
        self._set_mail(mail_id, state="pending", next_attempt_at=next_attempt_at, last_error=error)

    def mark_held(self, mail_id: int, error: str) -> None:
        self._set_mail(mail_id, state="held", last_error=error)

    def _set_mail(self, mail_id: int, **values) -> None:
        with self.engine.begin() as conn:
            conn.execute(sa.update(outbox).where(outbox.c.id == mail_id).values(**values))

    def held_mail(self) -> list[QueuedMail]:
        return self._mail_in_state("held")

    def mail(self, state: str | None = None) -> list[QueuedMail]:
        return self._mail_in_state(state)

    def _mail_in_state(self, state: str | None) -> list[QueuedMail]:
        query = sa.select(outbox).order_by(outbox.c.id)
        if state is not None:
            query = query.where(outbox.c.state == state)
        with self.engine.connect() as conn:
            return [_queued_of(r) for r in conn.execute(query)]

    def release_held(self, mail_ids: list[int] | None = None) -> int:
        query = sa.update(outbox).where(outbox.c.state == "held")
        if mail_ids is not None:
            query = query.where(outbox.c.id.in_(mail_ids))
        with self.engine.begin() as conn:
            return conn.execute(query.values(state="pending", next_attempt_at=DUE_AT_ONCE)).rowcount

    def outbox_counts(self) -> dict[str, int]:
        counts = {"pending": 0, "sending": 0, "sent": 0, "held": 0}
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
            _set_meta(conn, f"state:{key}", value)

    # -- helpers -----------------------------------------------------------------

    def _insert_ignoring_duplicates(self, conn: Connection, table: sa.Table, rows: list[dict]) -> int:
        if not rows:
            return 0
        statement = (postgresql.insert if self.is_postgres else sqlite.insert)(table).on_conflict_do_nothing()
        return sum(max(conn.execute(statement, row).rowcount, 0) for row in rows)


# --- engine ----------------------------------------------------------------------


def _create_engine(url: str) -> Engine:
    if url.startswith("sqlite:"):
        return _sqlite_engine(url)
    if url.startswith(("postgresql:", "postgres:")):
        url = "postgresql+psycopg:" + url.split(":", 1)[1]
    try:
        return sa.create_engine(url, pool_pre_ping=True)
    except (sa.exc.ArgumentError, ImportError) as exc:
        raise StoreError(f"the store URL {redact_url(url)} cannot be used: {exc}", "use sqlite:///path or postgresql://user@host/db") from None


def _sqlite_engine(url: str) -> Engine:
    path = url.split("sqlite:///", 1)[-1] if url.startswith("sqlite:///") else ""
    if path and path != ":memory:":
        try:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"the store folder for {path} cannot be created: {exc.strerror}", "choose a writable path in MAILBOT_DB_URL") from None
    engine = sa.create_engine(url, connect_args={"timeout": 60})

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")  # WAL: durable across crashes, one fsync per checkpoint
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=60000")
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(conn):
        conn.exec_driver_sql("BEGIN IMMEDIATE")  # writers queue up instead of failing to upgrade

    return engine


def _migration_1(conn: Connection) -> None:
    metadata.create_all(conn)


MIGRATIONS = {1: _migration_1}


def _schema_version(conn: Connection) -> int:
    value = conn.execute(sa.select(meta_table.c.value).where(meta_table.c.key == "schema_version")).scalar()
    return int(value) if value else 0


def _set_meta(conn: Connection, key: str, value: str) -> None:
    updated = conn.execute(sa.update(meta_table).where(meta_table.c.key == key).values(value=value)).rowcount
    if not updated:
        conn.execute(sa.insert(meta_table).values(key=key, value=value))


def _holder_alive(holder: str) -> bool:
    """A lock holder on this host whose process is gone has released its lock."""
    host, _, rest = holder.partition(":")
    if host != socket.gethostname():
        return True
    pid = int(rest.partition(":")[0] or 0)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _first_line(exc: Exception) -> str:
    return str(getattr(exc, "orig", None) or exc).splitlines()[0]


def _problem_json(problem: Problem) -> dict:
    return {"code": problem.code, "message": problem.message, "where": problem.where}


def _decision_changes(decision: ReviewDecision) -> dict:
    changes: dict = {"decided_by": decision.by, "decision_note": decision.reason}
    if decision.action == "accept":
        changes["status"] = "accepted"
    elif decision.action == "reject":
        changes["status"] = "rejected"
    elif decision.action == "assign":
        changes["unit"] = decision.unit
    elif decision.action == "correct":
        changes["figures"] = dict(decision.figures or {})
    else:
        raise ValueError(f"unknown review action {decision.action!r}")
    return changes


def _submission_of(row) -> Submission:
    return Submission(
        id=row.id,
        message_row=row.message_row,
        unit=row.unit,
        period=row.period,
        received_at=row.received_at,
        sender=row.sender,
        figures=dict(row.figures),
        status=row.status,
        problems=tuple(Problem(p["code"], p["message"], p.get("where")) for p in row.problems),
        read_figures=dict(row.read_figures),
        subject=row.subject,
        message_id=row.message_id,
        decided_by=row.decided_by,
        decision_note=row.decision_note,
    )


def _queued_of(row, state: str | None = None, attempts: int | None = None) -> QueuedMail:
    return QueuedMail(
        id=row.id, key=row.key, kind=row.kind, recipients=tuple(row.recipients), message_id=row.message_id,
        raw=bytes(row.raw), attempts=row.attempts if attempts is None else attempts,
        state=row.state if state is None else state, last_error=row.last_error,
    )
