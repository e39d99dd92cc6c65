"""The service's health: the inbox outage as it happens, and the monitoring check.

The watcher records an outage (since when, the last error) in the store's state
when it cannot read the inbox, and clears it at the next good poll; `mailbot
status` shows it at once, and `mailbot status --check` turns everything into one
line and an exit code for monitoring (0 well, 1 warning, 2 critical).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Protocol

from mailbot import i18n
from mailbot.config import Settings
from mailbot.errors import MailbotError
from mailbot.models import Submission

OUTAGE_KEY = "inbox_outage"
HELD_REPORT_SUFFIX = ":held"  # state report:<day>:held (prefixed by the campaign where there are several)
REVIEW_WAIT_WARNING = timedelta(hours=2)
CRITICAL_STALE_FACTOR = 3
OK, WARNING, CRITICAL = 0, 1, 2


class StateKept(Protocol):
    """Where the outage is kept (mailbot.store.Store is one)."""

    def get_state(self, key: str) -> str | None: ...

    def set_state(self, key: str, value: str) -> None: ...

    def states_ending(self, suffix: str) -> dict[str, str]: ...


class HealthSigns(StateKept, Protocol):
    """What the monitoring check reads of the store (mailbot.store.Store is one)."""

    def heartbeat(self) -> tuple[str, datetime] | None: ...

    def heartbeat_of(self, source: str) -> datetime | None: ...

    def outbox_counts(self) -> dict[str, int]: ...

    def pending_review(self) -> list[Submission]: ...


@dataclass(frozen=True)
class Outage:
    """The inbox cannot be read: which, since when, and the last error."""

    source: str
    since: datetime
    error: str


@dataclass(frozen=True)
class Health:
    level: int  # OK, WARNING or CRITICAL: the exit status of `status --check`
    line: str


def outage_key(mailbox: str | None) -> str:
    """Where a mailbox's outage is kept: the environment's mailbox as always, another by its id."""
    return OUTAGE_KEY if mailbox is None else f"{OUTAGE_KEY}:{mailbox}"


def record_outage(store: StateKept, source: str, error: str, now: datetime, mailbox: str | None = None) -> Outage:
    """Note that the inbox (of mailbox `mailbox`) cannot be read; the first failure's time is kept as `since`."""
    known = _outage(store, mailbox)
    since = known.since if known is not None else now
    store.set_state(outage_key(mailbox), json.dumps({"source": source, "since": since.isoformat(), "error": error}))
    return Outage(source, since, error)


def clear_outage(store: StateKept, mailbox: str | None = None) -> Outage | None:
    """The inbox (of mailbox `mailbox`) answers again; the outage that ended, if there was one."""
    known = _outage(store, mailbox)
    if known is not None:
        store.set_state(outage_key(mailbox), "")
    return known


def current_outage(store: StateKept, settings: Settings | None = None) -> Outage | None:
    """The outage of the deployment's mailboxes (the first of them that cannot be read), or None."""
    mailboxes = [m.inbox.mailbox for m in settings.mailboxes] if settings is not None else [None]
    return next((o for o in (_outage(store, m) for m in mailboxes) if o is not None), None)


def _outage(store: StateKept, mailbox: str | None) -> Outage | None:
    value = store.get_state(outage_key(mailbox))
    if not value:
        return None
    data = json.loads(value)
    return Outage(data["source"], datetime.fromisoformat(data["since"]), data["error"])


def held_report_key(day: date) -> str:
    """The state key that says since when the day's scheduled report waits for approval."""
    return f"report:{day.isoformat()}{HELD_REPORT_SUFFIX}"


def held_report_times(store: StateKept) -> list[datetime]:
    """Since when each scheduled report still held for approval waits, of every campaign."""
    return [datetime.fromisoformat(value) for value in store.states_ending(HELD_REPORT_SUFFIX).values() if value]


def assess(settings: Settings, store: HealthSigns, now: datetime) -> Health:
    """The service's state in one line, worst first."""
    lang = settings.language
    stale = timedelta(seconds=settings.schedule.heartbeat_stale_seconds)
    beat = stalest_heartbeat(settings, store)
    outage = current_outage(store, settings)
    if beat is None:
        return Health(CRITICAL, i18n.text("health.never_read", lang))
    source, at = beat
    shown = _local(at, settings)
    if now - at > CRITICAL_STALE_FACTOR * stale:
        return Health(CRITICAL, i18n.text("health.not_read", lang, source=source, at=shown) + _why(outage, settings))
    warnings = []
    if outage is not None:
        warnings.append(
            i18n.text(
                "health.outage", lang, source=outage.source, since=_local(outage.since, settings), error=outage.error
            )
        )
    elif now - at > stale:
        warnings.append(i18n.text("health.stale", lang, source=source, at=shown))
    held = store.outbox_counts().get("held", 0)
    if held:
        warnings.append(i18n.text("health.held", lang, count=held))
    waiting = [s for s in store.pending_review() if now - s.received_at > REVIEW_WAIT_WARNING]
    if waiting:
        warnings.append(i18n.text("health.review_waiting", lang, count=len(waiting)))
    held_reports = [since for since in held_report_times(store) if now - since > REVIEW_WAIT_WARNING]
    if held_reports:
        warnings.append(i18n.text("health.report_held", lang, count=len(held_reports)))
    if warnings:
        return Health(WARNING, i18n.text("health.warning", lang, what="; ".join(warnings)))
    return Health(OK, i18n.text("health.ok", lang, source=source, at=shown))


def stalest_heartbeat(settings: Settings, store: HealthSigns) -> tuple[str, datetime] | None:
    """The heartbeat that says most about a dead watcher: with one mailbox, its latest poll; with
    several, the mailbox polled longest ago (None if one was never polled), so that no mailbox's
    watcher stops unseen behind another's fresh heartbeat."""
    mailboxes = settings.mailboxes
    if len(mailboxes) == 1:
        return store.heartbeat()
    from mailbot.inbox import source_identity

    beats = []
    for mailbox in mailboxes:
        try:
            source = source_identity(mailbox)
        except MailbotError:  # an address that cannot be read is never polled: as good as never read
            return None
        at = store.heartbeat_of(source)
        if at is None:
            return None
        beats.append((source, at))
    return min(beats, key=lambda beat: beat[1])


def _why(outage: Outage | None, settings: Settings) -> str:
    if outage is None:
        return ""
    return " " + i18n.text("health.last_error", settings.language, error=outage.error)


def _local(moment: datetime, settings: Settings) -> str:
    return i18n.format_time(moment.astimezone(settings.campaign.tz), settings.language)
