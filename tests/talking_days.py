"""Day ledgers built directly, as the report and the mails receive them.

The demo-like day: the twelve units of the shipped campaign with the appendix
figures of the letter; one late, one missing, one waiting for review.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, time, timedelta

from mailbot.config import Settings, load_settings
from mailbot.models import (
    ACCEPTED,
    LATE,
    MISSING,
    ON_TIME,
    DayLedger,
    LastCounted,
    Problem,
    Reading,
    Source,
    Submission,
    UnitDay,
)
from mailbot.samples import appendix_figures

DAY = date(2020, 8, 14)
APPENDIX = appendix_figures()  # the letter's appendix, as the demo day holds it
LATE_UNIT = "ninh-giang"
MISSING_UNIT = "thanh-mien"


def shipped_settings(**env) -> Settings:
    base = {"MAILBOT_SMTP_URL": "file:///nonexistent"}
    base.update(env)
    return load_settings(None, env=base)


def local(settings: Settings, day: date, hour: int, minute: int) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=settings.campaign.tz)


def unit_sender(unit: str) -> str:
    """The address a unit of the shipped campaign reports from."""
    return f"vanphong.{unit.replace('-', '')}@haiduong.gov.vn"


NAM_SACH_SENDER = unit_sender("nam-sach")


def day_reading(settings: Settings, unit: str, figure: int, **changes) -> Reading:
    """A unit's report of DAY as it is read: on time at 15:42, its figure of installs, a reply in a thread
    (`changes` replace fields)."""
    sender = unit_sender(unit)
    reading = Reading(
        path=None,
        message_id="<r1@haiduong.gov.vn>",
        sender=sender,
        received_at=local(settings, DAY, 15, 42),
        period=DAY,
        late=False,
        unit=unit,
        figures={"installs": figure},
        problems=(),
        subject="Báo cáo Bluezone ngày 14/8/2020",
        references=("<r0@haiduong.gov.vn>",),
        reply_to=sender,
    )
    return replace(reading, **changes)


def nam_sach_reading(settings: Settings, **changes) -> Reading:
    """Nam Sách's report of the day as it is read, on time, with its figure's cell (`changes` replace fields)."""
    return day_reading(
        settings, "nam-sach", 17356, sources={"installs": Source("BC.xlsx", "Báo cáo", "C24")}, **changes
    )


def demo_ledger(
    settings: Settings,
    day: date = DAY,
    missing: tuple[str, ...] = (MISSING_UNIT,),
    late: tuple[str, ...] = (LATE_UNIT,),
) -> DayLedger:
    """The appendix day; `missing` units sent nothing, `late` units came at 16:20.

    A missing unit's figure of the day before (95 % of its appendix figure) is
    carried into the estimate, as the ledger does.
    """
    rows = []
    for number, unit in enumerate(settings.units):
        figure = APPENDIX[unit.id]
        if unit.id in missing:
            rows.append(
                UnitDay(
                    unit=unit.id,
                    name=unit.name,
                    state=MISSING,
                    figures={},
                    received_at=None,
                    submissions=0,
                    problems=(),
                    population=unit.population,
                    last_counted=LastCounted(day - timedelta(days=1), {"installs": round(figure * 0.95)}),
                )
            )
            continue
        state = LATE if unit.id in late else ON_TIME
        at = (
            local(settings, day, 16, 20)
            if state == LATE
            else local(settings, day, 8, 30) + timedelta(minutes=37 * number)
        )
        coverage = figure * 100 / unit.population if unit.population else None
        rows.append(
            UnitDay(
                unit=unit.id,
                name=unit.name,
                state=state,
                figures={"installs": figure},
                received_at=at,
                submissions=1,
                problems=(),
                change={"installs": figure - round(figure * 0.95)},
                population=unit.population,
                coverage=coverage,
                rank=None,
                counted_submission=100 + number,
            )
        )
    ranked = sorted((r for r in rows if r.state in (ON_TIME, LATE)), key=lambda r: -r.figures["installs"])
    rank_of = {r.unit: position for position, r in enumerate(ranked, start=1)}
    rows = [UnitDay(**{**r.__dict__, "rank": rank_of.get(r.unit)}) for r in rows]
    total = sum(r.figures.get("installs", 0) for r in rows if r.state in (ON_TIME, LATE))
    change = sum(r.change["installs"] for r in rows if r.change.get("installs") is not None)
    estimate = total + sum(r.last_counted.figures["installs"] for r in rows if r.last_counted is not None)
    return DayLedger(
        day=day,
        deadline=settings.campaign.deadline_of(day),
        as_of=local(settings, day, 16, 30),
        reporting_day=True,
        units=tuple(rows),
        totals={"installs": total},
        reported=sum(r.state in (ON_TIME, LATE) for r in rows),
        expected=len(rows),
        population=settings.campaign.population,
        coverage=estimate * 100 / settings.campaign.population,
        goal_percent=settings.campaign.goal_percent,
        rank_by="figure",
        change={"installs": change},
        estimate={"installs": estimate},
    )


def demo_trend(settings: Settings, ledger: DayLedger, days: int = 7) -> list[tuple[date, dict | None]]:
    total = ledger.totals["installs"]
    return [
        (ledger.day - timedelta(days=n), {"installs": round(total * (1 - 0.05 * n))}) for n in range(days - 1, -1, -1)
    ]


def submission(
    settings: Settings,
    number: int,
    unit: str | None,
    figure: int | None,
    *,
    sender: str | None = None,
    subject: str | None = None,
    status: str = ACCEPTED,
    problems: tuple[Problem, ...] = (),
    at: datetime | None = None,
) -> Submission:
    known = settings.unit(unit) if unit else None
    return Submission(
        id=number,
        message_row=number,
        unit=unit,
        period=DAY,
        received_at=at or local(settings, DAY, 9, number),
        sender=sender or (known.senders[0] if known else None),
        figures={"installs": figure} if figure is not None else {},
        status=status,
        problems=problems,
        subject=subject or f"Báo cáo ngày 14/8/2020 - {known.name if known else '?'}",
        message_id=f"<m{number}@example.org>",
    )


def demo_submissions(settings: Settings) -> list[Submission]:
    subs = [submission(settings, n, u, APPENDIX[u]) for n, u in enumerate(APPENDIX, start=1) if u != MISSING_UNIT]
    return subs
