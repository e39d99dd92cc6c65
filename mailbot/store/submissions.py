"""Submissions: what was read from each message, with the review decisions applied."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from mailbot import i18n
from mailbot.errors import StoreError
from mailbot.models import Reading, Status, Submission
from mailbot.store.base import StoreBase
from mailbot.store.rows import submission_of, submission_values
from mailbot.store.schema import submissions


def insert_submission(conn: Connection, message_row: int, reading: Reading, received_at: datetime) -> int:
    """Within the caller's transaction: the submission read from a stored message; its id."""
    values = submission_values(message_row, reading, received_at)
    return conn.execute(sa.insert(submissions).values(**values).returning(submissions.c.id)).scalar_one()


class Submissions(StoreBase):
    def submissions_between(self, first: date, last: date) -> list[Submission]:
        return self._submissions(submissions.c.period.between(first, last))

    def submissions_of_unit(self, unit: str, first: date, last: date) -> list[Submission]:
        return self._submissions(submissions.c.unit == unit, submissions.c.period.between(first, last))

    def latest_accepted_before(self, before: date, received_by: datetime | None = None) -> list[Submission]:
        """Each unit's latest accepted submission for a day before `before`.

        The unit's last accepted day comes from a GROUP BY (an index search, where a
        window over every accepted row had to sort them all); the latest of that day's
        accepted submissions is picked here.
        """
        conditions = [
            submissions.c.status == Status.ACCEPTED,
            submissions.c.period < before,
            submissions.c.unit.is_not(None),
        ]
        if received_by is not None:
            conditions.append(submissions.c.received_at <= received_by)
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

    def pending_review(self) -> list[Submission]:
        return self._submissions(submissions.c.status == Status.NEEDS_REVIEW)

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
