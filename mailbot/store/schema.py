"""The store's tables, as the code reads and writes them.

A change here is a new Alembic revision in migrations/versions/ (see migrate.py);
a test checks that the migrated schema matches these tables on SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

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


def held_by_user(name: str, *columns: sa.Column) -> sa.Table:
    """A table of secrets a console user holds (sessions, API tokens), kept by their hash only."""
    return sa.Table(
        name,
        metadata,
        sa.Column("token_hash", sa.String(64), primary_key=True),
        reference("user_id", "users", index=True),
        *columns,
    )


def required(name: str, *kind: Any, **options: Any) -> sa.Column:
    """A column every row fills (NOT NULL): its type, and a foreign key if any, as sa.Column takes them."""
    return sa.Column(name, *kind, nullable=False, **options)


def reference(name: str, table: str, **options: Any) -> sa.Column:
    """A required column naming a row of `table` by its id."""
    return required(name, sa.Integer, sa.ForeignKey(f"{table}.id"), **options)


meta_table = sa.Table(
    "meta",
    metadata,
    sa.Column("key", sa.String(200), primary_key=True),
    required("value", sa.Text),
)
messages = numbered(
    "messages",
    required("sha256", sa.String(64), unique=True),
    sa.Column("message_id", sa.Text),
    required("source", sa.Text),
    required("source_key", sa.Text),
    sa.Column("received_at", UtcDateTime),
    required("stored_at", UtcDateTime),
    required("size", sa.BigInteger),
    required("headers_only", sa.Boolean),
    sa.Column("sender", sa.Text),
    sa.Column("subject", sa.Text),
    required("raw", sa.LargeBinary),
)
message_keys = sa.Table(
    "message_keys",
    metadata,
    sa.Column("source", sa.Text, primary_key=True),
    sa.Column("source_key", sa.String(400), primary_key=True),
    reference("message_row", "messages"),
)
submissions = numbered(
    "submissions",
    reference("message_row", "messages", unique=True),
    sa.Column("unit", sa.String(100)),
    sa.Column("period", sa.Date, index=True),
    required("received_at", UtcDateTime),
    sa.Column("sender", sa.Text),
    sa.Column("subject", sa.Text),
    sa.Column("message_id", sa.Text),
    sa.Column("read_unit", sa.String(100)),
    required("read_figures", sa.JSON),
    sa.Column("sources", sa.JSON),  # metric id -> where its figure was read (schema 4)
    required("figures", sa.JSON),
    required("problems", sa.JSON),
    required("read_status", sa.String(20)),
    required("status", sa.String(20)),
    sa.Column("decided_by", sa.Text),
    sa.Column("decision_note", sa.Text),
    sa.Column("campaign", sa.String(100), index=True),  # schema 5; '' for a row from before campaigns
    # schema 6: each unit's latest accepted day from the index alone; a unit's days
    sa.Index("ix_submissions_status_period", "status", "period", "unit", "received_at"),
    sa.Index("ix_submissions_unit_period", "unit", "period"),
)
decisions = numbered(
    "decisions",
    reference("submission_id", "submissions", index=True),
    required("action", sa.String(20)),
    required("decided_by", sa.Text),
    required("decided_at", UtcDateTime),
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
    required("last_uid", sa.BigInteger),
    sa.Column("heartbeat_at", UtcDateTime),
)
outbox = numbered(
    "outbox",
    required("key", sa.String(400), unique=True),
    required("kind", sa.String(40)),
    required("recipients", sa.JSON),
    required("message_id", sa.Text),
    required("raw", sa.LargeBinary),
    required("state", sa.String(20), index=True),
    required("attempts", sa.Integer, default=0),
    required("next_attempt_at", UtcDateTime),
    sa.Column("claimed_at", UtcDateTime),
    required("created_at", UtcDateTime),
    sa.Column("sent_at", UtcDateTime),
    sa.Column("last_error", sa.Text),
    sa.Column("campaign", sa.String(100)),  # schema 5; '' for mail queued before campaigns
)
locks = sa.Table(
    "locks",
    metadata,
    sa.Column("name", sa.String(200), primary_key=True),
    required("holder", sa.Text),
    required("expires_at", UtcDateTime),
)

# The console's people, their sign-ins and tokens, and the audit trail (schema 2).
users = numbered(
    "users",
    required("name", sa.String(100), unique=True),
    required("role", sa.String(20)),
    required("password_hash", sa.Text),
    required("disabled", sa.Boolean, default=False),
    required("created_at", UtcDateTime),
)
sessions = held_by_user(
    "sessions",
    required("csrf", sa.String(64)),
    sa.Column("address", sa.Text),
    required("created_at", UtcDateTime),
    required("expires_at", UtcDateTime),
)
api_tokens = held_by_user(
    "api_tokens",
    required("created_at", UtcDateTime),
)
audit = numbered(
    "audit",
    required("at", UtcDateTime, index=True),
    required("who", sa.Text),
    sa.Column("address", sa.Text),
    required("action", sa.String(40), index=True),
    sa.Column("target", sa.Text),
    sa.Column("detail", sa.Text),
)


def set_meta(conn: Connection, key: str, value: str) -> None:
    updated = conn.execute(sa.update(meta_table).where(meta_table.c.key == key).values(value=value)).rowcount
    if not updated:
        conn.execute(sa.insert(meta_table).values(key=key, value=value))
