"""`mailbot demo`: a realistic reporting day, run through the service's own code.

The day comes from config/demo.toml (the appendix figures of the letter): the units
mail their workbooks into a fresh local Maildir, one late, one missing, one with a
broken attachment that it sends again. Then one full cycle runs at the configured
local time, exactly as `mailbot run` would: poll, acknowledge, report, deliver.
"""

from __future__ import annotations

import shutil
import tomllib
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from email import message_from_bytes, policy
from pathlib import Path

from mailbot import i18n
from mailbot.app import opened
from mailbot.config import Connections, Settings, Unit
from mailbot.errors import ConfigError, UsageError
from mailbot.inbox import deliver_to_maildir
from mailbot.models import DayLedger
from mailbot.resources import shipped_demo_day
from mailbot.samples import district_workbook, report_mail

MARKER = ".mailbot-demo"
COMMUNE_ROWS = 12  # units after the first few send a row per commune and a total row


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
    mails, broken_id = seed_inbox(settings, scenario, inbox)
    now = datetime.combine(scenario.day, scenario.run_at, tzinfo=settings.campaign.tz)
    with opened(settings, clock=lambda: now) as app:
        app.cycle()
        app.send_report(scenario.day)
        report_files = app.write_report(scenario.day, directory / "report")
        ledger = app.day(scenario.day)
    return summarize(settings, scenario, now, ledger, (inbox, outbox, db), mails, broken_id, report_files)


# --- seeding --------------------------------------------------------------------------


def seed_inbox(settings: Settings, scenario: Scenario, inbox: Path) -> tuple[dict[str, str], str]:
    """Deliver every mail of the scenario.

    Returns the unit id of each Message-ID, and the Message-ID of the broken mail.
    """
    for sub in ("new", "cur", "tmp"):
        (inbox / sub).mkdir(parents=True, exist_ok=True)
    sent: dict[str, str] = {}
    for day, factor in sorted(scenario.history.items()):
        for number, unit in enumerate(reporting_units(settings, scenario)):
            figure = round(scenario.figures[unit.id] * factor)
            at = datetime.combine(day, time(9, 0), tzinfo=settings.campaign.tz) + timedelta(minutes=17 * number)
            _deliver(settings, inbox, sent, unit, figure, day, at, attachment=None)
    for number, unit in enumerate(reporting_units(settings, scenario)):
        at = _arrival(settings, scenario, unit, number)
        if unit.id == scenario.broken_unit:
            broken_at = datetime.combine(scenario.day, scenario.broken_at, tzinfo=settings.campaign.tz)
            good = _workbook(settings, unit, scenario.figures[unit.id], scenario.day, number)
            broken_id = _deliver(settings, inbox, sent, unit, None, scenario.day, broken_at, good[: len(good) // 3])
        _deliver(settings, inbox, sent, unit, scenario.figures[unit.id], scenario.day, at, attachment=None)
    return sent, broken_id


def reporting_units(settings: Settings, scenario: Scenario) -> list[Unit]:
    return [u for u in settings.units_on(scenario.day) if u.id != scenario.missing_unit and u.id in scenario.figures]


def _arrival(settings: Settings, scenario: Scenario, unit: Unit, number: int) -> datetime:
    tz = settings.campaign.tz
    if unit.id == scenario.late_unit:
        return datetime.combine(scenario.day, scenario.late_at, tzinfo=tz)
    if unit.id == scenario.broken_unit:
        return datetime.combine(scenario.day, scenario.resent_at, tzinfo=tz)
    return datetime.combine(scenario.day, time(8, 30), tzinfo=tz) + timedelta(minutes=37 * number)


def _workbook(settings: Settings, unit: Unit, figure: int, day: date, number: int) -> bytes:
    label = settings.campaign.metrics[0].label
    return district_workbook(unit.name, figure, day, label, communes=COMMUNE_ROWS if number % 3 == 1 else 0)


def _deliver(settings, inbox, sent, unit: Unit, figure, day: date, at: datetime, attachment) -> str:
    if attachment is None:
        attachment = _workbook(settings, unit, figure, day, len(sent))
    stamp = f"{day.day:02d}{day.month:02d}{day.year}"
    raw = report_mail(
        sender=unit.senders[0],
        sender_name=f"Văn phòng {unit.name}",
        to=settings.campaign.reporting_mailbox,
        subject=f"Báo cáo số lượng cài đặt Bluezone ngày {day.day}/{day.month}/{day.year} - {unit.name}",
        body=f"Kính gửi Sở Thông tin và Truyền thông,\n\n{unit.name} gửi báo cáo số lượng cài đặt Bluezone "
        f"ngày {day.day}/{day.month}/{day.year} (tệp đính kèm).\n\nTrân trọng.",
        sent_at=at - timedelta(minutes=1),
        attachment_name=f"BC_Bluezone_{unit.id}_{stamp}.xlsx",
        attachment=attachment,
        received_at=at,
    )
    deliver_to_maildir(inbox, raw, at)
    message_id = str(message_from_bytes(raw, policy=policy.default)["Message-ID"])
    sent[message_id] = unit.id
    return message_id


# --- summary -----------------------------------------------------------------------------


def summarize(settings, scenario, now, ledger, places, mails, broken_id, report_files) -> DemoOutcome:
    inbox, outbox, db = places
    acknowledgements, error_replies, report_path = [], [], None
    for path in sorted(outbox.glob("*.eml")):
        message = message_from_bytes(path.read_bytes(), policy=policy.default)
        answered = str(message.get("In-Reply-To", "")).strip()
        if answered in mails:
            acknowledgements.append(path)
            if answered == broken_id:
                error_replies.append((settings.known_unit(scenario.broken_unit).name, path))
        elif set(settings.report_recipients) & {a.strip().lower() for a in str(message.get("To", "")).split(",")}:
            report_path = path
    return DemoOutcome(
        now=now,
        ledger=ledger,
        inbox=inbox,
        seeded=len(mails),
        outbox=outbox,
        store=db,
        acknowledgements=acknowledgements,
        error_replies=error_replies,
        report_files=report_files,
        report_mail=report_path,
    )
