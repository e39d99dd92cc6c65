"""Review decisions: each kept, and applied to its submission with its notices queued at once."""

from __future__ import annotations

import os

import sqlalchemy as sa

from mailbot import i18n
from mailbot.errors import StoreError
from mailbot.models import OutboundMail, ReviewDecision, Submission
from mailbot.store.outbox import queue_mail
from mailbot.store.rows import decision_changes, decision_of, decision_values
from mailbot.store.schema import decisions, submissions
from mailbot.store.submissions import Submissions


def os_login() -> str | None:
    """The operating-system login of this process, whatever name a person gave."""
    import getpass

    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry and no login variable
        return str(os.getuid())


class Decisions(Submissions):
    """Decisions answer with the submission as decided, so they stand on the submissions' part."""

    def record_decision(self, decision: ReviewDecision, outgoing: list[OutboundMail]) -> Submission:
        """Apply a review decision and queue its notices in one transaction."""
        changes = decision_changes(decision)
        with self.engine.begin() as conn:
            conn.execute(sa.insert(decisions).values(**decision_values(decision, os_login())))
            updated = conn.execute(
                sa.update(submissions).where(submissions.c.id == decision.submission_id).values(**changes)
            ).rowcount
            if not updated:
                raise i18n.error(StoreError, "errors.submission_not_stored", self.language, id=decision.submission_id)
            queue_mail(conn, outgoing)
        return self._stored_submission(decision.submission_id)

    def decisions_made(self) -> int:
        """How many review decisions the store holds: it grows with each one, and nothing takes one away."""
        with self.reader.connect() as conn:
            return int(conn.execute(sa.select(sa.func.count()).select_from(decisions)).scalar_one())

    def decisions_of(self, submission_id: int) -> list[ReviewDecision]:
        query = sa.select(decisions).where(decisions.c.submission_id == submission_id).order_by(decisions.c.id)
        with self.reader.connect() as conn:
            return [decision_of(row) for row in conn.execute(query)]
