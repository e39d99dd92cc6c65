"""Reports put straight into a store, as a poll would have stored them: for tests of what is built from it."""

from __future__ import annotations

from datetime import datetime

from talking_days import DAY

from mailbot.config import Settings
from mailbot.models import InboundMessage, Problem, Reading
from mailbot.store import Store

SOURCE = "maildir:///stored"


def mail_of(
    settings: Settings, unit_id: str, figure: int | None, at: datetime, problems: tuple[Problem, ...] | list = ()
) -> tuple[InboundMessage, Reading, list]:
    """A unit's report of DAY (its figure of installs, or none) that arrived at `at`, with its reading."""
    unit = settings.unit(unit_id)
    key = f"{unit_id}-{at.isoformat()}"
    raw = f"Message-ID: <{key}@stored.test>\r\nFrom: {unit.senders[0]}\r\n\r\nreport\r\n".encode()
    message = InboundMessage(source=SOURCE, key=key, raw=raw, received_at=at, size=len(raw))
    reading = Reading(
        path=None,
        message_id=f"<{key}@stored.test>",
        sender=unit.senders[0],
        received_at=at,
        period=DAY,
        late=at > settings.campaign.deadline_of(DAY),
        unit=unit_id,
        figures={} if figure is None else {"installs": figure},
        problems=tuple(problems),
    )
    return message, reading, []


def ingest(
    store: Store, settings: Settings, unit_id: str, figure: int | None, at: datetime, problems: tuple | list = ()
) -> None:
    store.ingest_many([mail_of(settings, unit_id, figure, at, problems)], SOURCE, None)
