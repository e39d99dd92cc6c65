"""Each submission keeps where its figures were read (file, sheet, cell, line), or NULL if unknown.

Schema version 4 (before Alembic, an ALTER TABLE of schema 3).

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("submissions") as batch:
        batch.add_column(sa.Column("sources", sa.JSON))
