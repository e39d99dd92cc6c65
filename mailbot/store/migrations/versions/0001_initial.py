"""The first schema: messages, submissions, decisions, marks, outbox, locks and meta.

Frozen as it was when stores were created by `create_all` (schema version 1); a
store from that time is recognised by its meta row and stamped with this revision.
Times are kept as naive UTC (mailbot.store.schema.sa.DateTime reads and writes them).
"""

import sqlalchemy as sa
from alembic import op

from mailbot.store.migrations.helpers import create_numbered, reference

revision = "0001"
down_revision = None


def upgrade() -> None:
    op.create_table(
        "meta",
        sa.Column("key", sa.String(200), primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
    )
    create_numbered(
        "messages",
        sa.Column("sha256", sa.String(64), nullable=False, unique=True),
        sa.Column("message_id", sa.Text),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("source_key", sa.Text, nullable=False),
        sa.Column("received_at", sa.DateTime),
        sa.Column("stored_at", sa.DateTime, nullable=False),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("headers_only", sa.Boolean, nullable=False),
        sa.Column("sender", sa.Text),
        sa.Column("subject", sa.Text),
        sa.Column("raw", sa.LargeBinary, nullable=False),
    )
    op.create_table(
        "message_keys",
        sa.Column("source", sa.Text, primary_key=True),
        sa.Column("source_key", sa.String(400), primary_key=True),
        reference("message_row", "messages"),
    )
    _submissions_and_decisions()
    _marks_outbox_locks()


def _submissions_and_decisions() -> None:
    create_numbered(
        "submissions",
        reference("message_row", "messages", unique=True),
        sa.Column("unit", sa.String(100), index=True),
        sa.Column("period", sa.Date, index=True),
        sa.Column("received_at", sa.DateTime, nullable=False),
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
    create_numbered(
        "decisions",
        reference("submission_id", "submissions", index=True),
        sa.Column("action", sa.String(20), nullable=False),
        sa.Column("decided_by", sa.Text, nullable=False),
        sa.Column("decided_at", sa.DateTime, nullable=False),
        sa.Column("reason", sa.Text),
        sa.Column("unit", sa.String(100)),
        sa.Column("figures", sa.JSON),
    )


def _marks_outbox_locks() -> None:
    op.create_table(
        "source_marks",
        sa.Column("source", sa.String(400), primary_key=True),
        sa.Column("uidvalidity", sa.BigInteger),
        sa.Column("last_uid", sa.BigInteger, nullable=False),
        sa.Column("heartbeat_at", sa.DateTime),
    )
    create_numbered(
        "outbox",
        sa.Column("key", sa.String(400), nullable=False, unique=True),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("recipients", sa.JSON, nullable=False),
        sa.Column("message_id", sa.Text, nullable=False),
        sa.Column("raw", sa.LargeBinary, nullable=False),
        sa.Column("state", sa.String(20), nullable=False, index=True),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_attempt_at", sa.DateTime, nullable=False),
        sa.Column("claimed_at", sa.DateTime),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("sent_at", sa.DateTime),
        sa.Column("last_error", sa.Text),
    )
    op.create_table(
        "locks",
        sa.Column("name", sa.String(200), primary_key=True),
        sa.Column("holder", sa.Text, nullable=False),
        sa.Column("expires_at", sa.DateTime, nullable=False),
    )
