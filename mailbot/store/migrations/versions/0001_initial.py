"""The first schema: messages, submissions, decisions, marks, outbox, locks and meta.

Frozen as it was when stores were created by `create_all` (schema version 1); a
store from that time is recognised by its meta row and stamped with this revision.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

from mailbot.store.schema import UtcDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "meta",
        sa.Column("key", sa.String(200), primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
    )
    op.create_table(
        "messages",
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
    op.create_table(
        "message_keys",
        sa.Column("source", sa.Text, primary_key=True),
        sa.Column("source_key", sa.String(400), primary_key=True),
        sa.Column("message_row", sa.Integer, sa.ForeignKey("messages.id"), nullable=False),
    )
    _submissions_and_decisions()
    _marks_outbox_locks()


def _submissions_and_decisions() -> None:
    op.create_table(
        "submissions",
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
    op.create_table(
        "decisions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("submission_id", sa.Integer, sa.ForeignKey("submissions.id"), nullable=False, index=True),
        sa.Column("action", sa.String(20), nullable=False),
        sa.Column("decided_by", sa.Text, nullable=False),
        sa.Column("decided_at", UtcDateTime, nullable=False),
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
        sa.Column("heartbeat_at", UtcDateTime),
    )
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("key", sa.String(400), nullable=False, unique=True),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("recipients", sa.JSON, nullable=False),
        sa.Column("message_id", sa.Text, nullable=False),
        sa.Column("raw", sa.LargeBinary, nullable=False),
        sa.Column("state", sa.String(20), nullable=False, index=True),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_attempt_at", UtcDateTime, nullable=False),
        sa.Column("claimed_at", UtcDateTime),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("sent_at", UtcDateTime),
        sa.Column("last_error", sa.Text),
    )
    op.create_table(
        "locks",
        sa.Column("name", sa.String(200), primary_key=True),
        sa.Column("holder", sa.Text, nullable=False),
        sa.Column("expires_at", UtcDateTime, nullable=False),
    )
