"""Several campaigns in one store: a view of one campaign's submissions, and rows from before campaigns.

A deployment of one campaign reads every row as its own, as before campaigns: its store
is not scoped. A deployment of several gives each campaign a view (`scoped`) whose day
and review queries see that campaign's submissions only; what is per unit (a unit's
history) needs no scope, unit ids being unique across the deployment. Writing always
names the campaign (the reading's, the mail's).
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Mapping, Sequence
from typing import Self

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from mailbot.store.base import StoreBase
from mailbot.store.schema import meta_table, outbox, submissions

log = logging.getLogger(__name__)

BEFORE_CAMPAIGNS = ""  # the campaign of a row written before campaigns (revision 0005)
STATE_PREFIX = "state:"
REPORT_STATE = "report:"  # report:<day>:version and :fingerprint, per campaign where there are several


class Campaigns(StoreBase):
    campaign: str | None = None  # the campaign this view shows; None: every row (a deployment of one)

    def scoped(self, campaign: str | None) -> Self:
        """The same store, whose day and review queries see campaign `campaign`'s submissions only."""
        view = copy.copy(self)
        view.campaign = campaign
        return view

    def in_campaign(self) -> list[sa.ColumnElement[bool]]:
        """The condition of this view on the submissions table (none for a deployment of one campaign)."""
        return [] if self.campaign is None else [submissions.c.campaign == self.campaign]

    def adopt_unassigned(self, units: Mapping[str, Sequence[str]], first: str) -> int:
        """Give the rows from before campaigns to the deployment's campaigns; how many submissions moved.

        Each such submission goes to the campaign of its unit (`units`: campaign id ->
        its unit ids), one without a unit to `first`; so do the mail queued before
        campaigns and the state of the reports sent then (keys given `first`'s id).
        Run by a deployment of several campaigns when it opens the store; a second run
        finds nothing left.
        """
        with self.engine.begin() as conn:
            legacy = submissions.c.campaign == BEFORE_CAMPAIGNS
            moved = 0
            for campaign, unit_ids in units.items():
                where = sa.and_(legacy, submissions.c.unit.in_(list(unit_ids)))
                moved += conn.execute(sa.update(submissions).where(where).values(campaign=campaign)).rowcount
            moved += conn.execute(sa.update(submissions).where(legacy).values(campaign=first)).rowcount
            conn.execute(sa.update(outbox).where(outbox.c.campaign == BEFORE_CAMPAIGNS).values(campaign=first))
            _scope_report_state(conn, first)
        if moved:
            log.info("%s submission(s) from before campaigns given to their campaigns (the rest to %s)", moved, first)
        return moved


def _scope_report_state(conn: Connection, first: str) -> None:
    """state:report:<day>:… (one campaign's) becomes state:<first>:report:<day>:…, unless that exists already."""
    unscoped = f"{STATE_PREFIX}{REPORT_STATE}"
    rows = conn.execute(sa.select(meta_table.c.key).where(meta_table.c.key.like(f"{unscoped}%"))).scalars().all()
    for key in rows:
        scoped = f"{STATE_PREFIX}{first}:{key[len(STATE_PREFIX) :]}"
        exists = conn.execute(sa.select(meta_table.c.key).where(meta_table.c.key == scoped)).scalar()
        if exists is None:
            conn.execute(sa.update(meta_table).where(meta_table.c.key == key).values(key=scoped))
        else:
            conn.execute(sa.delete(meta_table).where(meta_table.c.key == key))
