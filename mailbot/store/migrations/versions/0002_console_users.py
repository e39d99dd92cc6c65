"""The console's people, their sign-ins and API tokens, and the audit trail.

Schema version 2 (before Alembic, a store at this version was made by create_all).
"""

import sqlalchemy as sa

from mailbot.store.migrations.helpers import create_held_by_user, create_numbered

revision = "0002"
down_revision = "0001"


def upgrade() -> None:
    create_numbered(
        "users",
        sa.Column("name", sa.String(100), nullable=False, unique=True),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("password_hash", sa.Text, nullable=False),
        sa.Column("disabled", sa.Boolean, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    create_held_by_user(
        "sessions",
        sa.Column("csrf", sa.String(64), nullable=False),
        sa.Column("address", sa.Text),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("expires_at", sa.DateTime, nullable=False),
    )
    create_held_by_user(
        "api_tokens",
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    create_numbered(
        "audit",
        sa.Column("at", sa.DateTime, nullable=False, index=True),
        sa.Column("who", sa.Text, nullable=False),
        sa.Column("address", sa.Text),
        sa.Column("action", sa.String(40), nullable=False, index=True),
        sa.Column("target", sa.Text),
        sa.Column("detail", sa.Text),
    )
