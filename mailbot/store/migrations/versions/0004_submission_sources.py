"""Schema 4: each submission keeps where its figures were read (file, sheet, cell, line), or NULL if unknown."""

import sqlalchemy as sa

from mailbot.store.migrations.helpers import add_columns

revision = "0004"
down_revision = "0003"


def upgrade() -> None:
    add_columns("submissions", sa.Column("sources", sa.JSON))  # before Alembic, an ALTER TABLE of schema 3
