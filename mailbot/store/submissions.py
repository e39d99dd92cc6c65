"""Submissions: what was read from each message, with the review decisions applied."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta

import sqlalchemy as sa

from mailbot import i18n
from mailbot.errors import StoreError
from mailbot.models import Counted, Status, Submission
from mailbot.store.campaigns import Campaigns
from mailbot.store.rows import HISTORY_COLUMNS, SUBMISSION_COLUMNS, decoded, history_of, json_text, submission_of
from mailbot.store.schema import submissions

UNITS_PER_QUERY = 500  # units named in one IN (…)
RECENT_DAYS = 7  # each unit's latest accepted submission is looked for in these days first


class Submissions(Campaigns):
    def submissions_between(self, first: date, last: date) -> list[Submission]:
        return self._submissions(submissions.c.period.between(first, last), *self.in_campaign())

    def submissions_of_unit(self, unit: str, first: date, last: date) -> list[Submission]:
        return self._submissions(submissions.c.unit == unit, submissions.c.period.between(first, last))

    def submissions_of_units(self, units: list[str], first: date, last: date) -> list[Submission]:
        """The submissions of these units for `first`..`last`, in arrival order (one query for a batch)."""
        return self._submissions_in(submissions.c.unit, units, submissions.c.period.between(first, last))

    def submission_ids_of_units(self, units: list[str], first: date, last: date) -> list[int]:
        """The ids of what submissions_of_units answers, read from the index alone."""
        found: list[int] = []
        with self.reader.connect() as conn:
            for start in range(0, len(units), UNITS_PER_QUERY):
                chunk = units[start : start + UNITS_PER_QUERY]
                query = sa.select(submissions.c.id).where(
                    submissions.c.unit.in_(chunk), submissions.c.period.between(first, last)
                )
                found += conn.execute(query).scalars()
        return found

    def submissions_with_ids(self, ids: list[int]) -> list[Submission]:
        """These submissions, in arrival order."""
        return self._submissions_in(submissions.c.id, ids)

    def history_with_ids(self, ids: list[int]) -> list[Submission]:
        """These submissions as the history checks see them (rows.history_of), in arrival order."""
        found: list[Submission] = []
        with self.reader.connect() as conn:
            for start in range(0, len(ids), UNITS_PER_QUERY):
                query = sa.select(*HISTORY_COLUMNS).where(submissions.c.id.in_(ids[start : start + UNITS_PER_QUERY]))
                found += map(history_of, conn.execute(query))
        return sorted(found, key=lambda s: (s.received_at, s.id))

    def counted_between(
        self, first: date, last: date, received_by: datetime | None = None, metrics: Sequence[str] | None = None
    ) -> list[Counted]:
        """The accepted submissions of `first`..`last` (received by `received_by`), in arrival order, as they count.

        Given `metrics`, only those figures are read, each taken from the row's JSON by
        the database: a trend sums them without decoding every row's figures, problems,
        sources and read figures into a Submission.
        """
        return self._counted(
            received_by, submissions.c.period.between(first, last), *self.in_campaign(), metrics=metrics
        )

    def latest_accepted_before(
        self, before: date, received_by: datetime | None = None, units: list[str] | None = None
    ) -> list[Counted]:
        """What last counted for each unit (of `units`, when given) on a day before `before`.

        Each unit's last accepted day comes from the index alone (a GROUP BY); then the
        rows of those days are read, one query a day. Given the units, the last
        RECENT_DAYS are searched first, and further back only for the units not found
        there: a national campaign's 90 days are not grouped to find what last week holds.
        """
        if units is None:
            return self._latest_on(self._last_accepted_days(before, received_by), received_by)
        wanted = dict.fromkeys(units)
        since = before - timedelta(days=RECENT_DAYS)
        recent = self._last_accepted_days(before, received_by, submissions.c.period >= since)
        last_days = {unit: day for unit, day in recent.items() if unit in wanted}
        missing = [unit for unit in wanted if unit not in last_days]
        for start in range(0, len(missing), UNITS_PER_QUERY):
            chunk = missing[start : start + UNITS_PER_QUERY]
            last_days.update(self._last_accepted_days(since, received_by, submissions.c.unit.in_(chunk)))
        return self._latest_on(last_days, received_by)

    def _last_accepted_days(
        self, before: date, received_by: datetime | None, *conditions: sa.ColumnElement[bool]
    ) -> dict[str, date]:
        """Unit -> its last day with an accepted submission before `before` (from ix_submissions_status_period)."""
        where = [*conditions, *self._accepted(received_by), submissions.c.period < before]
        query = (
            sa.select(submissions.c.unit, sa.func.max(submissions.c.period)).where(*where).group_by(submissions.c.unit)
        )
        with self.reader.connect() as conn:
            return {unit: day for unit, day in conn.execute(query)}

    def _latest_on(self, last_days: dict[str, date], received_by: datetime | None) -> list[Counted]:
        """For each unit, the last to arrive of its accepted submissions of the day given."""
        units_of_day: dict[date, list[str]] = {}
        for unit, day in last_days.items():
            units_of_day.setdefault(day, []).append(unit)
        latest: dict[str, Counted] = {}
        for day, units in units_of_day.items():
            if len(units) > UNITS_PER_QUERY:  # most of the day's units: read the day, keep theirs
                of_units = set(units)
                found = [s for s in self._counted(received_by, submissions.c.period == day) if s.unit in of_units]
            else:
                found = self._counted(received_by, submissions.c.period == day, submissions.c.unit.in_(units))
            latest.update((s.unit, s) for s in found)  # in arrival order: the last one stays
        return list(latest.values())

    def _accepted(self, received_by: datetime | None) -> list[sa.ColumnElement[bool]]:
        accepted = [submissions.c.status == Status.ACCEPTED, submissions.c.unit.is_not(None)]
        if received_by is not None:
            accepted.append(submissions.c.received_at <= received_by)
        return accepted

    def _counted(
        self, received_by: datetime | None, *conditions: sa.ColumnElement[bool], metrics: Sequence[str] | None = None
    ) -> list[Counted]:
        """The accepted submissions of these conditions, in arrival order: unit, day and figures (or these metrics')."""
        where = [*conditions, *self._accepted(received_by), submissions.c.period.is_not(None)]
        figures = (
            [json_text(submissions.c.figures)]
            if metrics is None
            else [submissions.c.figures[m].as_integer() for m in metrics]
        )
        query = sa.select(submissions.c.unit, submissions.c.period, *figures).where(*where)
        with self.reader.connect() as conn:
            rows = conn.execute(query.order_by(submissions.c.received_at, submissions.c.id))
            if metrics is None:
                return [Counted(unit, period, decoded(figures)) for unit, period, figures in rows]
            if len(metrics) == 1:  # most campaigns: one figure a row, no pairing of names and values
                (metric,) = metrics
                return [Counted(unit, period, {} if v is None else {metric: v}) for unit, period, v in rows]
            return [
                Counted(row[0], row[1], {m: v for m, v in zip(metrics, row[2:], strict=True) if v is not None})
                for row in rows
            ]

    def submission(self, submission_id: int) -> Submission | None:
        found = self._submissions(submissions.c.id == submission_id)
        return found[0] if found else None

    def submission_of_message(self, message_row: int) -> Submission | None:
        found = self._submissions(submissions.c.message_row == message_row)
        return found[0] if found else None

    def pending_review_count(self) -> int:
        query = sa.select(sa.func.count()).select_from(submissions).where(submissions.c.status == Status.NEEDS_REVIEW)
        with self.reader.connect() as conn:
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

    def _submissions_in(
        self, column: sa.Column, values: Sequence[object], *conditions: sa.ColumnElement[bool]
    ) -> list[Submission]:
        """The submissions whose `column` is one of `values`, in arrival order: UNITS_PER_QUERY values a query."""
        found: list[Submission] = []
        for start in range(0, len(values), UNITS_PER_QUERY):
            found += self._submissions(column.in_(values[start : start + UNITS_PER_QUERY]), *conditions)
        return sorted(found, key=lambda s: (s.received_at, s.id)) if len(values) > UNITS_PER_QUERY else found

    def _submissions(self, *conditions: sa.ColumnElement[bool]) -> list[Submission]:
        return self._ordered(sa.select(*SUBMISSION_COLUMNS).where(*conditions))

    def _ordered(self, query: sa.Select) -> list[Submission]:
        query = query.order_by(submissions.c.received_at, submissions.c.id)
        with self.reader.connect() as conn:
            return [submission_of(row) for row in conn.execute(query)]
