"""Schema 3: a review decision keeps the operating-system login beside the name given (--by, MAILBOT_USER)."""

import sqlalchemy as sa

from mailbot.store.migrations.helpers import add_columns

revision = "0003"
down_revision = "0002"


def upgrade() -> None:
    add_columns("decisions", sa.Column("os_login", sa.Text))  # before Alembic, an ALTER TABLE of schema 2
