"""A 30-day synthetic reporting history for the shipped campaign (August 2020).

Every unit reports once a day at 08:00 + 10 minutes x its position, except for
the events listed in SPECIAL. Ingestion is simulated the way the service does
it: the history checks run against what is stored at that moment, and review
decisions happen between submissions, in time order. The same events feed the
pure ledger (as Submission records) and the real SQLite store (through
Store.ingest and mailbot.review).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from mailbot import review, validation
from mailbot.config import Settings, load_settings
from mailbot.models import (
    ENCRYPTED_FILE,
    NO_SPREADSHEET,
    UNKNOWN_SENDER,
    InboundMessage,
    Problem,
    Reading,
    Submission,
    status_of,
)
from mailbot.review import Decider
from mailbot.samples import appendix_figures

ROOT = Path(__file__).resolve().parents[2]
TZ = ZoneInfo("Asia/Ho_Chi_Minh")
FIRST_DAY = date(2020, 8, 1)
DAYS = 30
HOLIDAY = date(2020, 8, 10)
MERGED_UNIT = "kim-thanh"
MERGED_UNTIL = date(2020, 8, 15)
REVIEWER = "ktv.nguyen"

# The letter's appendix figures, as the units' figures before day 1.
BASE = appendix_figures()
UNITS = list(BASE)
JUMP_UNIT, JUMP_DAY, JUMP = "binh-giang", 22, 5000


def day_of(n: int) -> date:
    return FIRST_DAY + timedelta(days=n - 1)


def at(n: int, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day_of(n), time(hour, minute), tzinfo=TZ)


def figure(unit: str, n: int) -> int:
    """The unit's true cumulative figure on day n (binh-giang's real push on day 22)."""
    i = UNITS.index(unit)
    wobble = (n * 7 + i * 3) % 5 - 2
    value = BASE[unit] + (100 + 20 * i) * n + wobble
    return value + (JUMP if unit == JUMP_UNIT and n >= JUMP_DAY else 0)


def campaign_settings() -> Settings:
    settings = load_settings(ROOT / "config" / "mailbot.toml", env={})
    units = tuple(replace(u, active_until=MERGED_UNTIL) if u.id == MERGED_UNIT else u for u in settings.units)
    return replace(settings, campaign=replace(settings.campaign, holidays=(HOLIDAY,)), units=units)


@dataclass(frozen=True)
class Event:
    """Something that happens in the synthetic month: `label` names its submission, `at` is when."""

    label: str
    at: datetime


@dataclass(frozen=True)
class Submit(Event):
    unit: str | None
    n: int
    figures: dict
    sender: str
    problems: tuple[Problem, ...] = ()


@dataclass(frozen=True)
class Decide(Event):
    action: str
    reason: str | None = None
    unit: str | None = None
    figures: dict | None = None


def _submit(
    unit: str,
    n: int,
    hour: int,
    minute: int = 0,
    value: int | None = None,
    tag: str = "",
    problems: tuple = (),
    sender: str | None = None,
    read_unit: str | None = "same",
) -> Submit:
    figures = {} if value == -1 else {"installs": figure(unit, n) if value is None else value}
    return Submit(
        label=f"{unit}/{n}{tag}",
        at=at(n, hour, minute),
        unit=unit if read_unit == "same" else read_unit,
        n=n,
        figures=figures,
        sender=sender or f"vanphong.{unit.replace('-', '')}@haiduong.gov.vn",
        problems=problems,
    )


def _p(code: str) -> Problem:
    return Problem(code, f"test: {code}")


SPECIAL = {
    ("thanh-mien", 5): [_submit("thanh-mien", 5, 17, 30)],
    ("chi-linh", 6): [
        _submit("chi-linh", 6, 10, value=figure("chi-linh", 6) - 5, tag="a"),
        _submit("chi-linh", 6, 14, tag="b"),
    ],
    ("kinh-mon", 7): [
        _submit("kinh-mon", 7, 10, value=figure("kinh-mon", 7) + 30, tag="a"),
        _submit("kinh-mon", 7, 18, tag="b"),
    ],
    ("nam-sach", 8): [
        _submit("nam-sach", 8, 10, value=-1, tag="a", problems=(_p(NO_SPREADSHEET),)),
        _submit("nam-sach", 8, 17, tag="b"),
    ],
    ("thanh-ha", 9): [_submit("thanh-ha", 9, 11, value=-1, problems=(_p(ENCRYPTED_FILE),))],
    ("gia-loc", 11): [],
    ("tu-ky", 18): [_submit("tu-ky", 18, 9, value=figure("tu-ky", 17) - 500)],
    ("binh-giang", 22): [
        _submit("binh-giang", 22, 9),
        Decide("binh-giang/22", at(22, 11), "accept", reason="Đã xác minh: đợt ra quân cài đặt"),
    ],
    ("gia-loc", 25): [
        _submit("gia-loc", 25, 9, value=200000, tag="a"),
        Decide("gia-loc/25a", at(25, 11), "reject", reason="Số liệu nhầm, đơn vị sẽ gửi lại"),
        _submit("gia-loc", 25, 17, tag="b"),
    ],
    ("cam-giang", 27): [
        _submit("cam-giang", 27, 9, sender="canbo.camgiang@gmail.com", read_unit=None, problems=(_p(UNKNOWN_SENDER),)),
        Decide("cam-giang/27", at(27, 13), "assign", unit="cam-giang"),
        Decide("cam-giang/27", at(27, 13, 5), "accept"),
    ],
}


def events(settings: Settings) -> list:
    found = []
    for n in range(1, DAYS + 1):
        day = day_of(n)
        if day == HOLIDAY:
            continue
        for i, unit in enumerate(UNITS):
            if not settings.unit(unit).active_on(day):
                continue
            found.extend(SPECIAL.get((unit, n), [_submit(unit, n, 8 + i // 6, (i % 6) * 10)]))
    return sorted(found, key=lambda e: e.at)


def history_checked(settings: Settings, event: Submit, previous: list[Submission]) -> tuple[Problem, ...]:
    """The problems the service stores: the reading's, plus the history checks."""
    if status_of(event.problems) == "rejected" or event.unit is None or not event.figures:
        return event.problems
    extra = validation.history_problems(settings, settings.unit(event.unit), day_of(event.n), event.figures, previous)
    return event.problems + tuple(extra)


# --- pure: events -> Submission records ------------------------------------------------


@dataclass
class PureHistory:
    submissions: list[Submission] = field(default_factory=list)
    labels: dict[str, int] = field(default_factory=dict)

    def by_label(self, label: str) -> Submission:
        return self.submissions[self.labels[label] - 1]


def simulate(settings: Settings) -> PureHistory:
    history = PureHistory()
    for event in events(settings):
        if isinstance(event, Submit):
            previous = [s for s in history.submissions if s.unit == event.unit]
            problems = history_checked(settings, event, previous)
            sub_id = len(history.submissions) + 1
            history.submissions.append(
                Submission(
                    id=sub_id,
                    message_row=sub_id,
                    unit=event.unit,
                    period=day_of(event.n),
                    received_at=event.at,
                    sender=event.sender,
                    figures=dict(event.figures),
                    status=status_of(problems),
                    problems=problems,
                    read_figures=dict(event.figures),
                )
            )
            history.labels[event.label] = sub_id
        else:
            sub = history.by_label(event.label)
            history.submissions[sub.id - 1] = _decided(sub, event)
    return history


def _decided(sub: Submission, event: Decide) -> Submission:
    changes: dict = {"decided_by": REVIEWER, "decision_note": event.reason}
    if event.action in ("accept", "reject"):
        changes["status"] = {"accept": "accepted", "reject": "rejected"}[event.action]
    elif event.action == "assign":  # naming the unit settles the sender and unit problems
        changes["unit"] = event.unit
        changes["problems"] = tuple(p for p in sub.problems if p.code not in review.RESOLVED_BY_ASSIGN)
    else:  # a correction is a decision: the corrected figures count
        changes["figures"] = event.figures
        changes["status"] = "accepted"
    return replace(sub, **changes)


# --- the real store: events -> Store.ingest and mailbot.review ---------------------------


def load_store(settings: Settings, store) -> dict[str, int]:
    """Ingest every event into the store; returns label -> submission id."""
    labels: dict[str, int] = {}
    for event in events(settings):
        if isinstance(event, Submit):
            labels[event.label] = _ingest(settings, store, event)
        elif event.action == "accept":
            review.accept(store, labels[event.label], Decider(REVIEWER, event.reason), event.at)
        elif event.action == "reject":
            review.reject(store, labels[event.label], Decider(REVIEWER, event.reason), event.at)
        elif event.action == "assign":
            review.assign(settings, store, labels[event.label], event.unit, Decider(REVIEWER, event.reason), event.at)
    return labels


def _ingest(settings: Settings, store, event: Submit) -> int:
    period = day_of(event.n)
    previous = store.submissions_of_unit(event.unit, period - timedelta(days=60), period) if event.unit else []
    problems = history_checked(settings, event, previous)
    raw = f"Message-ID: <{event.label}@synthetic.test>\r\nFrom: {event.sender}\r\n\r\nreport\r\n".encode()
    message = InboundMessage(
        source="maildir:///synthetic", key=event.label, raw=raw, received_at=event.at, size=len(raw)
    )
    reading = Reading(
        path=None,
        message_id=f"<{event.label}@synthetic.test>",
        sender=event.sender,
        received_at=event.at,
        period=period,
        late=event.at > settings.campaign.deadline_of(period),
        unit=event.unit,
        figures=dict(event.figures),
        problems=problems,
    )
    return store.ingest(message, reading, [], None).submission_id
