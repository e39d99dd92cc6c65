"""Submissions: what was read from each message, with the review decisions applied."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from mailbot import i18n
from mailbot.errors import StoreError
from mailbot.models import Reading, Status, Submission
from mailbot.store.campaigns import Campaigns
from mailbot.store.rows import submission_of, submission_values
from mailbot.store.schema import submissions


def insert_submission(conn: Connection, message_row: int, reading: Reading, received_at: datetime) -> int:
    """Within the caller's transaction: the submission read from a stored message; its id."""
    values = submission_values(message_row, reading, received_at)
    return conn.execute(sa.insert(submissions).values(**values).returning(submissions.c.id)).scalar_one()


UNITS_PER_QUERY = 500  # units named in one IN (…)
RECENT_DAYS = 7  # each unit's latest accepted submission is looked for in these days first


class Submissions(Campaigns):
    def submissions_between(self, first: date, last: date) -> list[Submission]:
        return self._submissions(submissions.c.period.between(first, last), *self.in_campaign())

    def submissions_of_unit(self, unit: str, first: date, last: date) -> list[Submission]:
        return self._submissions(submissions.c.unit == unit, submissions.c.period.between(first, last))

    def submissions_of_units(self, units: list[str], first: date, last: date) -> list[Submission]:
        """The submissions of these units for `first`..`last`, in arrival order (one query for a batch)."""
        found: list[Submission] = []
        for start in range(0, len(units), UNITS_PER_QUERY):
            chunk = units[start : start + UNITS_PER_QUERY]
            found += self._submissions(submissions.c.unit.in_(chunk), submissions.c.period.between(first, last))
        return sorted(found, key=lambda s: (s.received_at, s.id)) if len(units) > UNITS_PER_QUERY else found

    def latest_accepted_before(
        self, before: date, received_by: datetime | None = None, units: list[str] | None = None
    ) -> list[Submission]:
        """Each unit's latest accepted submission for a day before `before` (of `units`, when given).

        The unit's last accepted day comes from a GROUP BY (an index search, where a
        window over every accepted row had to sort them all); the latest of that day's
        accepted submissions is picked here. Given the units, the last RECENT_DAYS are
        searched first, and further back only for the units not found there: a
        national campaign's 90 days are not grouped to find what last week holds.
        """
        if units is None:
            return self._latest_accepted(before, received_by)
        wanted = dict.fromkeys(units)
        recent = self._latest_accepted(before, received_by, since=before - timedelta(days=RECENT_DAYS))
        recent = [sub for sub in recent if sub.unit in wanted]
        found = {sub.unit for sub in recent}
        missing = [unit for unit in wanted if unit not in found]
        older: list[Submission] = []
        for start in range(0, len(missing), UNITS_PER_QUERY):
            chunk = missing[start : start + UNITS_PER_QUERY]
            older += self._latest_accepted(before - timedelta(days=RECENT_DAYS), received_by, units=chunk)
        return sorted(recent + older, key=lambda s: (s.received_at, s.id)) if older else recent

    def _latest_accepted(
        self,
        before: date,
        received_by: datetime | None,
        since: date | None = None,
        units: list[str] | None = None,
    ) -> list[Submission]:
        conditions = [
            submissions.c.status == Status.ACCEPTED,
            submissions.c.period < before,
            submissions.c.unit.is_not(None),
        ]
        if received_by is not None:
            conditions.append(submissions.c.received_at <= received_by)
        if since is not None:
            conditions.append(submissions.c.period >= since)
        if units is not None:
            conditions.append(submissions.c.unit.in_(units))
        last_day = (
            sa.select(submissions.c.unit, sa.func.max(submissions.c.period).label("period"))
            .where(*conditions)
            .group_by(submissions.c.unit)
            .subquery()
        )
        query = (
            sa.select(submissions)
            .join(last_day, sa.and_(submissions.c.unit == last_day.c.unit, submissions.c.period == last_day.c.period))
            .where(*conditions)
        )
        latest = {sub.unit: sub for sub in self._ordered(query)}  # in arrival order: the last one stays
        return list(latest.values())

    def submission(self, submission_id: int) -> Submission | None:
        found = self._submissions(submissions.c.id == submission_id)
        return found[0] if found else None

    def submission_of_message(self, message_row: int) -> Submission | None:
        found = self._submissions(submissions.c.message_row == message_row)
        return found[0] if found else None

    def pending_review_count(self) -> int:
        query = sa.select(sa.func.count()).select_from(submissions).where(submissions.c.status == Status.NEEDS_REVIEW)
        with self.engine.connect() as conn:
            return conn.execute(query).scalar_one()

    def pending_review(self) -> list[Submission]:
        """What waits for a person: this campaign's, and the mail whose campaign is not known (any campaign's to settle)."""
        waiting = submissions.c.status == Status.NEEDS_REVIEW
        if self.campaign is None:
            return self._submissions(waiting)
        return self._submissions(waiting, sa.or_(*self.in_campaign(), submissions.c.campaign.is_(None)))

    def _stored_submission(self, submission_id: int) -> Submission:
        found = self.submission(submission_id)
        if found is None:
            raise i18n.error(StoreError, "errors.submission_not_stored", self.language, id=submission_id)
        return found

    def _submissions(self, *conditions: sa.ColumnElement[bool]) -> list[Submission]:
        return self._ordered(sa.select(submissions).where(*conditions))

    def _ordered(self, query: sa.Select) -> list[Submission]:
        query = query.order_by(submissions.c.received_at, submissions.c.id)
        with self.engine.connect() as conn:
            return [submission_of(row) for row in conn.execute(query)]
