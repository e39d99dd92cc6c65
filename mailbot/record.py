"""A figure a person received another way than by mail (the telephone, a paper
note), recorded as a submission of its own kind.

    record_figure(settings, store, unit_id, figures, day, by, note, at, now) -> Recorded

The submission is stored like a report: a message row whose raw bytes are a
small synthetic mail describing the call (source "record", who recorded it, when,
the note), so the audit keeps it forever; its timeliness is the time given
(`at`); it counts like an accepted report unless the history checks (a figure
going down, above the population) hold it for review; and the acknowledgement
goes to the unit's registered address, so the unit sees what was written down.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from mailbot import compose, i18n
from mailbot.config import Settings
from mailbot.models import InboundMessage, Reading
from mailbot.store import Store

log = logging.getLogger(__name__)
SOURCE = "record"


@dataclass(frozen=True)
class Recorded:
    submission_id: int | None
    reading: Reading
    duplicate: bool


def record_figure(
    settings: Settings,
    store: Store,
    unit_id: str,
    figures: dict[str, int],
    day: date,
    by: str,
    note: str | None,
    at: datetime,
    now: datetime,
) -> Recorded:
    """Store the recorded figure with its audit and queue the acknowledgement to the unit."""
    from mailbot import service

    unit = settings.unit(unit_id)
    if unit is None:
        raise LookupError(unit_id)  # the application layer resolves the unit first
    lang = settings.language
    subject = i18n.text("channels.record_subject", lang, unit=unit.name, day=i18n.format_day(day, lang))
    raw = _describing_mail(settings, unit.id, figures, day, by, note, at, now, subject)
    message_id = _message_id(raw)
    reading = Reading(
        path=None,
        message_id=message_id,
        sender=None,
        received_at=at.astimezone(settings.campaign.tz),
        period=day,
        late=at > settings.campaign.deadline_of(day),
        unit=unit.id,
        figures=dict(figures),
        problems=(),
        subject=subject,
        reply_to=unit.senders[0] if unit.senders else None,
        campaign=settings.campaign.id,
    )
    earlier = service.unit_submissions(store, reading)
    reading = service.with_history_problems(settings, reading, earlier)
    replaced = service.counted_submission(earlier, day)
    ack = compose.acknowledgement(settings, reading, replaced=replaced, now=now, key_basis=_digest(raw))
    message = InboundMessage(source=SOURCE, key=_digest(raw), raw=raw, received_at=at, size=len(raw))
    result = store.ingest(message, reading, [ack] if ack else [], None)
    log.info("recorded %s for %s on %s by %s", figures, unit.id, day, by)
    return Recorded(result.submission_id, reading, result.duplicate)


def _describing_mail(
    settings: Settings,
    unit_id: str,
    figures: Mapping[str, int],
    day: date,
    by: str,
    note: str | None,
    at: datetime,
    now: datetime,
    subject: str,
) -> bytes:
    """The raw bytes kept for the recorded figure: who took it, when, from whom, and the note."""
    message = EmailMessage()
    message["From"] = settings.campaign.reporting_mailbox
    message["To"] = settings.campaign.reporting_mailbox
    message["Subject"] = subject
    message["Date"] = format_datetime(now)
    message["Message-ID"] = make_msgid("record", domain=settings.campaign.reporting_mailbox.rsplit("@", 1)[-1])
    message["X-Mailbot-Channel"] = "record"
    message["X-Mailbot-Unit"] = unit_id
    message["X-Mailbot-Recorded-By"] = by
    message["X-Mailbot-Received-At"] = at.isoformat()
    lines = [f"unit: {unit_id}", f"day: {day.isoformat()}", f"received at: {at.isoformat()}", f"recorded by: {by}"]
    lines += [f"recorded at: {now.isoformat()}", *(f"{k}: {v}" for k, v in figures.items()), f"note: {note or ''}"]
    message.set_content("\n".join(lines) + "\n")
    return message.as_bytes()


def _message_id(raw: bytes) -> str:
    for line in raw.split(b"\n"):
        if line.lower().startswith(b"message-id:"):
            return line.split(b":", 1)[1].strip().decode("ascii")
    return f"<{_digest(raw)[:32]}@record>"


def _digest(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()
