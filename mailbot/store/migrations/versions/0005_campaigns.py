"""Several campaigns in one store: each submission, decision and outgoing mail names its campaign.

Schema version 5. A row from before campaigns gets the campaign '' ("the one campaign
there was"); the first deployment of several campaigns to open the store gives each
such submission the campaign of its unit (unit ids are unique across a deployment),
and the rest to its first campaign (`Store.adopt_unassigned`). A deployment of one
campaign reads every row as its own, as before.
"""

import sqlalchemy as sa
from alembic import op

from mailbot.store.migrations.helpers import add_columns

revision = "0005"
down_revision = "0004"

BEFORE_CAMPAIGNS = ""


def upgrade() -> None:
    with op.batch_alter_table("submissions") as batch:
        batch.add_column(sa.Column("campaign", sa.String(100)))
        batch.create_index("ix_submissions_campaign", ["campaign"])
    add_columns("decisions", sa.Column("campaign", sa.String(100)))
    add_columns("outbox", sa.Column("campaign", sa.String(100)))
    for table in ("submissions", "outbox"):
        op.execute(sa.text(f"UPDATE {table} SET campaign = :before").bindparams(before=BEFORE_CAMPAIGNS))
