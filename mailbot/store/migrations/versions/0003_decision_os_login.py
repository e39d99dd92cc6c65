"""Review decisions record the operating-system login beside the name given (--by, MAILBOT_USER).

Schema version 3 (before Alembic, an ALTER TABLE of schema 2).

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("decisions") as batch:
        batch.add_column(sa.Column("os_login", sa.Text))
