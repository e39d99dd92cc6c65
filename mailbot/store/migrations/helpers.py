"""What the revisions share, frozen like them.

A revision is history: what it does must never change. These helpers are part of that
history, so none is edited once a revision calls it (a new need is a new helper), and
they never import the code's schema (mailbot.store.schema), which goes on changing.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op


def create_numbered(name: str, *columns: sa.Column) -> None:
    """A table whose rows are numbered by an `id` the database gives."""
    op.create_table(name, sa.Column("id", sa.Integer, primary_key=True, autoincrement=True), *columns)


def reference(name: str, table: str, **options: Any) -> sa.Column:
    """A required column naming a row of `table` by its id."""
    return sa.Column(name, sa.Integer, sa.ForeignKey(f"{table}.id"), nullable=False, **options)


def add_columns(table: str, *columns: sa.Column) -> None:
    """New columns at the end of `table` (SQLite too: Alembic's batch mode)."""
    with op.batch_alter_table(table) as batch:
        for column in columns:
            batch.add_column(column)


def create_held_by_user(name: str, *columns: sa.Column) -> None:
    """A table of secrets a console user holds (sessions, API tokens), kept by their hash only."""
    op.create_table(
        name,
        sa.Column("token_hash", sa.String(64), primary_key=True),
        reference("user_id", "users", index=True),
        *columns,
    )
