"""The store's tables, as the code reads and writes them.

A change here is a new Alembic revision in migrations/versions/ (see migrate.py);
a test checks that the migrated schema matches these tables on SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Dialect


class UtcDateTime(sa.types.TypeDecorator):
    """Aware datetimes in, aware UTC datetimes out; naive UTC in the database."""

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


metadata = sa.MetaData()


def numbered(name: str, *columns: sa.Column | sa.Index) -> sa.Table:
    """A table whose rows are numbered by an `id` the database gives."""
    return sa.Table(name, metadata, sa.Column("id", sa.Integer, primary_key=True, autoincrement=True), *columns)


meta_table = sa.Table(
    "meta",
    metadata,
    sa.Column("key", sa.String(200), primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
)
messages = numbered(
    "messages",
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
    "message_keys",
    metadata,
    sa.Column("source", sa.Text, primary_key=True),
    sa.Column("source_key", sa.String(400), primary_key=True),
    sa.Column("message_row", sa.Integer, sa.ForeignKey("messages.id"), nullable=False),
)
submissions = numbered(
    "submissions",
    sa.Column("message_row", sa.Integer, sa.ForeignKey("messages.id"), nullable=False, unique=True),
    sa.Column("unit", sa.String(100)),
    sa.Column("period", sa.Date, index=True),
    sa.Column("received_at", UtcDateTime, nullable=False),
    sa.Column("sender", sa.Text),
    sa.Column("subject", sa.Text),
    sa.Column("message_id", sa.Text),
    sa.Column("read_unit", sa.String(100)),
    sa.Column("read_figures", sa.JSON, nullable=False),
    sa.Column("sources", sa.JSON),  # metric id -> where its figure was read (schema 4)
    sa.Column("figures", sa.JSON, nullable=False),
    sa.Column("problems", sa.JSON, nullable=False),
    sa.Column("read_status", sa.String(20), nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("decided_by", sa.Text),
    sa.Column("decision_note", sa.Text),
    sa.Column("campaign", sa.String(100), index=True),  # schema 5; '' for a row from before campaigns
    # schema 6: each unit's latest accepted day from the index alone; a unit's days
    sa.Index("ix_submissions_status_period", "status", "period", "unit", "received_at"),
    sa.Index("ix_submissions_unit_period", "unit", "period"),
)
decisions = numbered(
    "decisions",
    sa.Column("submission_id", sa.Integer, sa.ForeignKey("submissions.id"), nullable=False, index=True),
    sa.Column("action", sa.String(20), nullable=False),
    sa.Column("decided_by", sa.Text, nullable=False),
    sa.Column("decided_at", UtcDateTime, nullable=False),
    sa.Column("reason", sa.Text),
    sa.Column("unit", sa.String(100)),
    sa.Column("figures", sa.JSON),
    sa.Column("os_login", sa.Text),  # the operating-system login of the process that recorded it (schema 3)
    sa.Column("campaign", sa.String(100)),  # the campaign an assignment moved the submission to (schema 5)
)
source_marks = sa.Table(
    "source_marks",
    metadata,
    sa.Column("source", sa.String(400), primary_key=True),
    sa.Column("uidvalidity", sa.BigInteger),
    sa.Column("last_uid", sa.BigInteger, nullable=False),
    sa.Column("heartbeat_at", UtcDateTime),
)
outbox = numbered(
    "outbox",
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
    sa.Column("campaign", sa.String(100)),  # schema 5; '' for mail queued before campaigns
)
locks = sa.Table(
    "locks",
    metadata,
    sa.Column("name", sa.String(200), primary_key=True),
    sa.Column("holder", sa.Text, nullable=False),
    sa.Column("expires_at", UtcDateTime, nullable=False),
)

# The console's people, their sign-ins and tokens, and the audit trail (schema 2).
users = numbered(
    "users",
    sa.Column("name", sa.String(100), nullable=False, unique=True),
    sa.Column("role", sa.String(20), nullable=False),
    sa.Column("password_hash", sa.Text, nullable=False),
    sa.Column("disabled", sa.Boolean, nullable=False, default=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
)
sessions = sa.Table(
    "sessions",
    metadata,
    sa.Column("token_hash", sa.String(64), primary_key=True),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False, index=True),
    sa.Column("csrf", sa.String(64), nullable=False),
    sa.Column("address", sa.Text),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("expires_at", UtcDateTime, nullable=False),
)
api_tokens = sa.Table(
    "api_tokens",
    metadata,
    sa.Column("token_hash", sa.String(64), primary_key=True),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False, index=True),
    sa.Column("created_at", UtcDateTime, nullable=False),
)
audit = numbered(
    "audit",
    sa.Column("at", UtcDateTime, nullable=False, index=True),
    sa.Column("who", sa.Text, nullable=False),
    sa.Column("address", sa.Text),
    sa.Column("action", sa.String(40), nullable=False, index=True),
    sa.Column("target", sa.Text),
    sa.Column("detail", sa.Text),
)


def set_meta(conn: Connection, key: str, value: str) -> None:
    updated = conn.execute(sa.update(meta_table).where(meta_table.c.key == key).values(value=value)).rowcount
    if not updated:
        conn.execute(sa.insert(meta_table).values(key=key, value=value))
