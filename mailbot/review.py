"""Review decisions over the store: accept, reject, assign, correct.

Every decision is recorded with who made it, when and why, together with the
notices it implies, in one store transaction (`Store.record_decision`). Checking
the submission's current state and recording the decision happen under the
store's "review" lock, so two reviewers can never apply the same change twice:
repeating a decision already in force changes nothing, and overturning one
(accepting a rejected submission, or rejecting an accepted one) needs `force`.

Errors are said in settings.language where the settings are at hand, otherwise in
the store's language (the CLI opens the store with settings.language).
"""

from __future__ import annotations

import getpass
import logging
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from mailbot import i18n, validation
from mailbot.config import Settings, Unit
from mailbot.defaults import EARLIER_SUBMISSIONS_DAYS, REVIEW_LOCK_TIMEOUT_SECONDS
from mailbot.errors import MailbotError, NotFoundError, UsageError
from mailbot.models import (
    ACCEPTED,
    NEEDS_REVIEW,
    REJECTED,
    UNIT_MISMATCH,
    UNKNOWN_CAMPAIGN,
    UNKNOWN_SENDER,
    UNKNOWN_UNIT,
    Action,
    OutboundMail,
    Problem,
    Reading,
    ReviewDecision,
    Submission,
)
from mailbot.store import Store

log = logging.getLogger(__name__)

REVIEW_LOCK = "review"
ACCEPT, REJECT, ASSIGN, CORRECT = Action.ACCEPT, Action.REJECT, Action.ASSIGN, Action.CORRECT
# Naming the unit settles these; the history checks are made again for the unit named.
RESOLVED_BY_ASSIGN = frozenset(
    {UNKNOWN_SENDER, UNKNOWN_UNIT, UNIT_MISMATCH, UNKNOWN_CAMPAIGN, *validation.HISTORY_CODES}
)

# The notices a decision implies: a ready list, or a function of the submission as
# it was before the decision and of the decision itself.
Notices = Sequence[OutboundMail] | Callable[[Submission, ReviewDecision], Sequence[OutboundMail]]


@dataclass(frozen=True)
class ReviewOutcome:
    """The submission after the decision; `decision` is None when nothing changed."""

    submission: Submission
    decision: ReviewDecision | None

    @property
    def changed(self) -> bool:
        return self.decision is not None


@dataclass(frozen=True)
class Decider:
    """Who decides and why; `force` overturns a decision already in force (an accept or a reject).

    `address` is where they sit, for the audit trail (the console's client, "cli", or None).
    """

    by: str
    reason: str | None = None
    force: bool = False
    address: str | None = None


def reviewer(by: str | None = None, env: Mapping[str, str] | None = None) -> str:
    """Who decides: --by, else $MAILBOT_USER, else the operating-system user."""
    env = os.environ if env is None else env
    for candidate in (by, env.get("MAILBOT_USER")):
        if candidate and candidate.strip():
            return candidate.strip()
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no name for this uid (e.g. in a container)
        return f"uid:{os.getuid()}"


def pending(store: Store) -> list[Submission]:
    """Submissions waiting for a person, oldest first."""
    return store.pending_review()


def find(store: Store, submission_id: int) -> Submission:
    found = store.submission(submission_id)
    if found is None:
        raise i18n.error(NotFoundError, "errors.submission_not_found", store.language, id=submission_id)
    return found


# --- the four decisions --------------------------------------------------------------


def accept(store: Store, submission_id: int, decider: Decider, at: datetime, outgoing: Notices = ()) -> ReviewOutcome:
    """Count the submission's figures from now on."""

    def decide(sub: Submission) -> ReviewDecision | None:
        if sub.status == ACCEPTED:
            return None
        if sub.status == REJECTED and not decider.force:
            raise _overturn_error(sub, f"mailbot review accept {sub.id} --force", store.language)
        if sub.unit is None:
            raise i18n.error(UsageError, "errors.no_unit", store.language, id=sub.id)
        if not sub.figures:
            raise i18n.error(UsageError, "errors.no_figure", store.language, id=sub.id)
        return ReviewDecision(sub.id, ACCEPT, decider.by, at, reason=_clean(decider.reason))

    return _decide(store, submission_id, decide, outgoing)


def reject(store: Store, submission_id: int, decider: Decider, at: datetime, outgoing: Notices = ()) -> ReviewOutcome:
    """Never count the submission; the decider's reason is required (it tells the unit why)."""
    reason = _required_reason(decider.reason, REJECT, store.language)

    def decide(sub: Submission) -> ReviewDecision | None:
        if sub.status == REJECTED:
            return None
        if sub.status == ACCEPTED and not decider.force:
            raise _overturn_error(sub, f'mailbot review reject {sub.id} --reason "..." --force', store.language)
        return ReviewDecision(sub.id, REJECT, decider.by, at, reason=reason)

    return _decide(store, submission_id, decide, outgoing)


def assign(
    settings: Settings,
    store: Store,
    submission_id: int,
    unit_id: str,
    decider: Decider,
    at: datetime,
    outgoing: Notices = (),
    reread: Callable[[Submission], Reading] | None = None,
) -> ReviewOutcome:
    """Say which unit sent the submission (mail from an unknown sender, or of an unknown campaign).

    Where several campaigns share the mailbox and the unit is of another campaign than the
    submission's (or the submission's is not known), the submission moves to the unit's
    campaign, read again as its mail by `reread`.
    """
    unit = settings.unit(unit_id)
    if unit is None:
        raise unknown_unit(settings, unit_id)

    def moved(sub: Submission) -> Reading | None:
        if reread is None or not settings.several or sub.campaign == settings.campaign.id:
            return None
        return reread(sub)

    def decide(sub: Submission) -> ReviewDecision | None:
        if sub.unit == unit.id:
            return None
        if sub.status != NEEDS_REVIEW and sub.unit is not None and not decider.force:
            raise i18n.error(
                UsageError,
                "errors.assigned_elsewhere",
                settings.language,
                id=sub.id,
                unit=sub.unit,
                target=unit.id,
                state=i18n.state_name(sub.status, settings.language, in_force=True),
            )
        # Naming the unit settles who sent it: the sender and unit problems are resolved.
        reading = moved(sub)
        read = reading.problems if reading is not None else sub.problems
        kept = tuple(p for p in read if p.code not in RESOLVED_BY_ASSIGN)
        now_read = replace(sub, problems=kept)
        if reading is not None:
            now_read = replace(now_read, figures=dict(reading.figures), period=reading.period)
        problems = kept + tuple(_history_problems(settings, store, now_read, unit))
        campaign = settings.campaign.id if reading is not None else None
        return ReviewDecision(
            sub.id,
            ASSIGN,
            decider.by,
            at,
            reason=_clean(decider.reason),
            unit=unit.id,
            problems=problems,
            campaign=campaign,
            reading=reading,
        )

    return _decide(store, submission_id, decide, outgoing)


def correct(
    settings: Settings,
    store: Store,
    submission_id: int,
    figures: Mapping[str, int],
    decider: Decider,
    at: datetime,
    outgoing: Notices = (),
) -> ReviewOutcome:
    """Replace figures and count them from now on (docs/rules.md: a correction is a decision).

    The figures read from the file are kept beside them. Correcting a rejected
    submission overturns the rejection, so it needs `force`; the reason is required.
    """
    _check_figures(settings, figures)
    reason = _required_reason(decider.reason, CORRECT, settings.language)

    def decide(sub: Submission) -> ReviewDecision | None:
        merged = {**dict(sub.figures), **dict(figures)}
        if merged == dict(sub.figures) and sub.status == ACCEPTED:
            return None
        if sub.status == REJECTED and not decider.force:
            raise _overturn_error(
                sub, f'mailbot review correct {sub.id} VALUE --reason "..." --force', settings.language
            )
        if sub.unit is None:
            raise i18n.error(UsageError, "errors.no_unit", settings.language, id=sub.id)
        return ReviewDecision(sub.id, CORRECT, decider.by, at, reason=reason, figures=merged)

    return _decide(store, submission_id, decide, outgoing)


def _history_problems(settings: Settings, store: Store, sub: Submission, unit: Unit) -> list[Problem]:
    """The history checks of the unit the submission now belongs to."""
    if sub.period is None or not sub.figures:
        return []
    earlier = store.submissions_of_unit(unit.id, sub.period - timedelta(days=EARLIER_SUBMISSIONS_DAYS), sub.period)
    found = validation.history_problems(settings, unit, sub.period, sub.figures, earlier)
    already = {p.code for p in sub.problems}
    return [p for p in found if p.code not in already]


# --- shared machinery -----------------------------------------------------------------


def _decide(
    store: Store, submission_id: int, decide: Callable[[Submission], ReviewDecision | None], outgoing: Notices
) -> ReviewOutcome:
    """Under the review lock: read the submission, decide, record (or not, if nothing changes)."""
    with store.lock(REVIEW_LOCK, timeout=REVIEW_LOCK_TIMEOUT_SECONDS) as taken:
        if not taken:
            raise i18n.error(MailbotError, "errors.review_busy", store.language)
        before = find(store, submission_id)
        decision = decide(before)
        if decision is None:
            log.info("submission %s: the decision is already in force; nothing recorded", submission_id)
            return ReviewOutcome(before, None)
        mails = list(outgoing(before, decision) if callable(outgoing) else outgoing)
        after = store.record_decision(decision, mails)
    log.info("submission %s: %s by %s (%s)", decision.submission_id, decision.action, decision.by, decision.reason)
    return ReviewOutcome(after, decision)


def unknown_unit(settings: Settings, unit_id: str) -> UsageError:
    """The error for a unit id the configuration does not know, listing the ones it does."""
    known = ", ".join(u.id for campaign in settings.deployment for u in campaign.units)
    return i18n.error(UsageError, "errors.unknown_unit", settings.language, unit=unit_id, units=known)


def _check_figures(settings: Settings, figures: Mapping[str, int]) -> None:
    lang = settings.language
    known = {m.id for m in settings.campaign.metrics}
    if not figures:
        raise i18n.error(UsageError, "errors.no_figure_given", lang)
    for metric, value in figures.items():
        if metric not in known:
            raise i18n.error(UsageError, "errors.unknown_metric", lang, metric=metric, metrics=", ".join(sorted(known)))
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise i18n.error(UsageError, "errors.not_a_count", lang, value=value)


def _required_reason(reason: str | None, action: str, lang: str) -> str:
    cleaned = _clean(reason)
    if not cleaned:
        raise i18n.error(UsageError, f"errors.{action}_needs_reason", lang)
    return cleaned


def _clean(reason: str | None) -> str | None:
    return reason.strip() or None if reason else None


def _overturn_error(sub: Submission, command: str, lang: str) -> UsageError:
    """The submission was accepted or rejected before: say by whom and why, and how to overturn it."""
    by = i18n.text("errors.decided_by", lang, who=sub.decided_by) if sub.decided_by else ""
    note = i18n.text("errors.decided_note", lang, note=sub.decision_note) if sub.decision_note else ""
    return i18n.error(
        UsageError,
        "errors.already_decided",
        lang,
        id=sub.id,
        state=i18n.state_name(sub.status, lang, in_force=True),
        by=by,
        note=note,
        command=command,
    )
