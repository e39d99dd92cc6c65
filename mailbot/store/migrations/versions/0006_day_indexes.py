"""Indexes for a national campaign's day: each unit's latest counted day, and a unit's days.

Schema version 6. Each unit's latest accepted day before a day is found from the index
alone (status, period, unit and arrival), and a unit's submissions of some days by
(unit, period); the two indexes of one column they begin with go. Both steps are
skipped where already done (a store brought back to an earlier revision by hand).

Revision ID: 0006
Revises: 0005
"""

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_submissions_status_period", "submissions", ["status", "period", "unit", "received_at"], if_not_exists=True
    )
    op.create_index("ix_submissions_unit_period", "submissions", ["unit", "period"], if_not_exists=True)
    op.drop_index("ix_submissions_status", "submissions", if_exists=True)
    op.drop_index("ix_submissions_unit", "submissions", if_exists=True)
