"""`mailbot demo`: a realistic reporting day, run through the service's own code.

The day comes from config/demo.toml (the appendix figures of the letter): on two
earlier days every unit reports; on the demo day the units mail their workbooks
into a fresh local Maildir from the morning on, one late, one not at all, one with
a broken attachment that it sends again, one with a total row that does not add up
(held for review). The service's clock walks through the day as `mailbot run`
would live it: each mail is read and answered a minute after it arrives, the
reminders go out at the configured time, the consolidated report at its time.
"""

from __future__ import annotations

import shutil
import tomllib
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta, tzinfo
from email import message_from_bytes, policy
from pathlib import Path

from mailbot import i18n
from mailbot.app import App, opened
from mailbot.config import Connections, Settings, Unit
from mailbot.errors import ConfigError, UsageError
from mailbot.inbox import deliver_to_maildir
from mailbot.models import DayLedger, MailKind, Submission
from mailbot.resources import shipped_demo_day
from mailbot.samples import district_report_mail, district_workbook

MARKER = ".mailbot-demo"
COMMUNE_ROWS = 12  # every third unit sends a row per commune and a total row
POLL_AFTER = timedelta(minutes=1)  # the watcher reads a new mail within about a minute
MISCOUNT = 250  # the held unit's commune rows add up to this much less than its total row


@dataclass(frozen=True)
class Scenario:
    day: date
    run_at: time
    figures: dict[str, int]
    history: dict[date, float]
    late_unit: str
    late_at: time
    missing_unit: str
    broken_unit: str
    broken_at: time
    resent_at: time
    review_unit: str


@dataclass(frozen=True)
class Arrival:
    """One mail of the scenario: when it reaches the mailbox, from which unit, its bytes."""

    at: datetime
    unit: Unit
    raw: bytes

    @property
    def message_id(self) -> str:
        return str(message_from_bytes(self.raw, policy=policy.default)["Message-ID"])


@dataclass(frozen=True)
class DemoOutcome:
    now: datetime
    ledger: DayLedger
    inbox: Path
    seeded: int
    outbox: Path
    store: Path
    acknowledgements: list[Path]
    error_replies: list[tuple[str, Path]]
    reminders: list[tuple[str, datetime, Path]]
    held: list[Submission]
    report_files: list[Path]
    report_mail: Path | None


def load_scenario(settings: Settings) -> Scenario:
    beside = settings.config_path.parent / "demo.toml" if settings.config_path else None
    path = beside if beside is not None and beside.exists() else shipped_demo_day()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        scenario = data["scenario"]
        return Scenario(
            day=date.fromisoformat(data["day"]),
            run_at=time.fromisoformat(data["run_at"]),
            figures={k: int(v) for k, v in data["figures"].items()},
            history={date.fromisoformat(k): float(v) for k, v in data.get("history", {}).items()},
            late_unit=scenario["late_unit"],
            late_at=time.fromisoformat(scenario["late_at"]),
            missing_unit=scenario["missing_unit"],
            broken_unit=scenario["broken_unit"],
            broken_at=time.fromisoformat(scenario["broken_at"]),
            resent_at=time.fromisoformat(scenario["resent_at"]),
            review_unit=scenario.get("review_unit", ""),
        )
    except (OSError, KeyError, ValueError, tomllib.TOMLDecodeError) as exc:
        raise i18n.error(
            ConfigError, "errors.demo_day_unusable", settings.language, path=path, reason=repr(exc)
        ) from None


def fresh_directory(directory: Path, lang: str) -> None:
    """Start from nothing, but never wipe a folder the demo did not make (that is a UsageError in `lang`)."""
    if directory.exists():
        if not (directory / MARKER).exists():
            raise i18n.error(UsageError, "errors.demo_dir_not_ours", lang, path=directory)
        shutil.rmtree(directory)
    directory.mkdir(parents=True)
    (directory / MARKER).write_text("made by mailbot demo; removed by the next demo run\n", encoding="utf-8")


def run(settings: Settings, directory: Path) -> DemoOutcome:
    scenario = load_scenario(settings)
    directory = directory.resolve()
    fresh_directory(directory, settings.language)
    inbox, outbox, db = directory / "inbox", directory / "outbox", directory / "mailbot.db"
    settings = replace(
        settings,
        connections=Connections(inbox_url=f"maildir://{inbox}", smtp_url=f"file://{outbox}", db_url=f"sqlite:///{db}"),
    )
    for sub in ("new", "cur", "tmp"):
        (inbox / sub).mkdir(parents=True, exist_ok=True)
    clock = Clock(datetime.combine(min([scenario.day, *scenario.history]), time(0, 0), tzinfo=settings.campaign.tz))
    arrivals: list[Arrival] = []
    with opened(settings, clock=clock) as app:
        for day, factor in sorted(scenario.history.items()):
            arrivals += play_day(app, clock, inbox, history_mails(settings, scenario, day, factor), report=False)
        arrivals += play_day(app, clock, inbox, demo_day_mails(settings, scenario), report=True)
        clock.now = max(clock.now, datetime.combine(scenario.day, scenario.run_at, tzinfo=settings.campaign.tz))
        report_files = app.write_report(scenario.day, directory / "report")
        ledger = app.day(scenario.day)
        held = [s for s in app.waiting() if s.period == scenario.day]
    return summarize(settings, scenario, clock.now, ledger, (inbox, outbox, db), arrivals, held, report_files)


class Clock:
    """The demo's time: moved forward through the day, read by the service as its `now`."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


# --- the day, event by event -----------------------------------------------------------


def play_day(app: App, clock: Clock, inbox: Path, mails: list[Arrival], report: bool) -> list[Arrival]:
    """Each mail arrives and is answered a minute later; reminders and the report at their times."""
    settings, day = app.settings, mails[0].at.date()
    tz = settings.campaign.tz
    events: list[tuple[datetime, int, Arrival | None]] = [(m.at, 0, m) for m in mails]
    events.append((datetime.combine(day, settings.schedule.reminder_at, tzinfo=tz), 1, None))
    if report:
        events.append((datetime.combine(day, settings.schedule.report_at, tzinfo=tz), 2, None))
    for at, kind, mail in sorted(events, key=lambda e: (e[0], e[1])):
        if mail is not None:
            deliver_to_maildir(inbox, mail.raw, mail.at)
            clock.now = max(clock.now, at + POLL_AFTER)
            app.cycle()
            continue
        clock.now = max(clock.now, at)
        if kind == 1:
            app.remind(day)
        else:
            app.send_report(day)
    return mails


def history_mails(settings: Settings, scenario: Scenario, day: date, factor: float) -> list[Arrival]:
    """An earlier day on which every unit reports in the morning."""
    start = datetime.combine(day, time(9, 0), tzinfo=settings.campaign.tz)
    units = [u for u in settings.units_on(day) if u.id in scenario.figures]
    return [
        arrival(settings, unit, day, start + timedelta(minutes=17 * n), _workbook(settings, unit, figure, day, n))
        for n, unit in enumerate(units)
        for figure in [round(scenario.figures[unit.id] * factor)]
    ]


def demo_day_mails(settings: Settings, scenario: Scenario) -> list[Arrival]:
    tz, day, mails = settings.campaign.tz, scenario.day, []
    units = [u for u in settings.units_on(day) if u.id != scenario.missing_unit and u.id in scenario.figures]
    for number, unit in enumerate(units):
        figure = scenario.figures[unit.id]
        if unit.id == scenario.broken_unit:
            good = _workbook(settings, unit, figure, day, 0)
            broken_at = datetime.combine(day, scenario.broken_at, tzinfo=tz)
            mails.append(arrival(settings, unit, day, broken_at, good[: len(good) // 3]))
        if unit.id == scenario.review_unit:
            label = settings.campaign.metrics[0].label
            workbook = district_workbook(unit.name, figure, day, label, communes=COMMUNE_ROWS, miscount=MISCOUNT)
        else:
            workbook = _workbook(settings, unit, figure, day, number)
        mails.append(arrival(settings, unit, day, _arrival_time(scenario, unit, number, tz), workbook))
    return sorted(mails, key=lambda m: m.at)


def _arrival_time(scenario: Scenario, unit: Unit, number: int, tz: tzinfo) -> datetime:
    if unit.id == scenario.late_unit:
        return datetime.combine(scenario.day, scenario.late_at, tzinfo=tz)
    if unit.id == scenario.broken_unit:
        return datetime.combine(scenario.day, scenario.resent_at, tzinfo=tz)
    return datetime.combine(scenario.day, time(8, 30), tzinfo=tz) + timedelta(minutes=37 * number)


def _workbook(settings: Settings, unit: Unit, figure: int, day: date, number: int) -> bytes:
    label = settings.campaign.metrics[0].label
    return district_workbook(unit.name, figure, day, label, communes=COMMUNE_ROWS if number % 3 == 0 else 0)


def arrival(settings: Settings, unit: Unit, day: date, at: datetime, attachment: bytes) -> Arrival:
    raw = district_report_mail(
        sender=unit.senders[0],
        office=unit.name,
        unit=unit.name,
        unit_id=unit.id,
        to=settings.campaign.reporting_mailbox,
        day=day,
        sent_at=at - timedelta(minutes=1),
        attachment=attachment,
        received_at=at,
    )
    return Arrival(at, unit, raw)


# --- summary -----------------------------------------------------------------------------


def summarize(
    settings: Settings,
    scenario: Scenario,
    now: datetime,
    ledger: DayLedger,
    places: tuple[Path, Path, Path],
    arrivals: list[Arrival],
    held: list[Submission],
    report_files: list[Path],
) -> DemoOutcome:
    inbox, outbox, db = places
    units = {a.message_id: a.unit for a in arrivals}
    broken = [a.message_id for a in arrivals if a.unit.id == scenario.broken_unit and a.at.date() == scenario.day]
    acknowledgements, error_replies, reminders, report_path = [], [], [], None
    for path in sorted(outbox.glob("*.eml")):
        message = message_from_bytes(path.read_bytes(), policy=policy.default)
        answered = str(message.get("In-Reply-To", "")).strip()
        kind = path.stem.split("-")[1]
        if answered in units:
            acknowledgements.append(path)
            if broken and answered == broken[0]:
                error_replies.append((units[answered].name, path))
        elif kind == MailKind.REMINDER:
            sent = message["Date"].datetime.astimezone(settings.campaign.tz)
            reminders.append((_addressee(settings, str(message["To"])), sent, path))
        elif kind == MailKind.REPORT:
            report_path = path
    return DemoOutcome(
        now=now,
        ledger=ledger,
        inbox=inbox,
        seeded=len(arrivals),
        outbox=outbox,
        store=db,
        acknowledgements=acknowledgements,
        error_replies=error_replies,
        reminders=reminders,
        held=held,
        report_files=report_files,
        report_mail=report_path,
    )


def _addressee(settings: Settings, to: str) -> str:
    address = to.rsplit("<", 1)[-1].rstrip(">").strip().lower()
    unit = next((u for u in settings.units if address in (s.lower() for s in u.senders)), None)
    return unit.name if unit is not None else address
