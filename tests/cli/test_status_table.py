"""`mailbot status` of a day with many units: a plain aligned table, every unit on its line.

Drawing thousands of rows as a rich table takes seconds, so a day of more than
STATUS_ROWS_DRAWN units is written as plain aligned text; it must say the same.
"""

import io
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

from rich.console import Console

from mailbot import ledger
from mailbot.app import DayStatus
from mailbot.cli import views
from mailbot.config import load_settings
from mailbot.config.settings import Unit
from mailbot.models import Problem, Status, Submission

ROOT = Path(__file__).resolve().parents[2]


def many_units(count: int):
    settings = load_settings(ROOT / "config" / "mailbot.toml", env={})
    units = tuple(Unit(f"x{n:04d}", f"Xã Đông Hưng {n}", (f"xa{n}@example.vn",)) for n in range(1, count + 1))
    return replace(settings, units=units)


def printed(settings, submissions, day, now) -> str:
    day_state = ledger.build_day(settings, day, submissions, now)
    status = DayStatus(ledger=day_state, heartbeat=None, waiting=0, outbox={}, held=[], now=now)
    out = Console(file=io.StringIO(), width=100)
    views.print_status(out, status, settings)
    return out.file.getvalue()


def submission(number: int, unit: str, day, at, status=Status.ACCEPTED, problems=()) -> Submission:
    return Submission(number, number, unit, day, at, None, {"installs": 1000 + number}, status, problems)


def test_a_day_of_many_units_lists_every_unit_with_its_state_on_one_line():
    settings = many_units(views.STATUS_ROWS_DRAWN + 50)
    day = datetime(2020, 8, 14).date()
    morning = datetime(2020, 8, 14, 9, tzinfo=settings.campaign.tz)
    doubt = (Problem("outlier_jump", "Số liệu tăng bất thường."), Problem("total_mismatch", "Tổng không khớp."))
    subs = [submission(n, u.id, day, morning + timedelta(minutes=n)) for n, u in enumerate(settings.units[:-2])]
    subs.append(submission(9999, settings.units[-2].id, day, morning, Status.NEEDS_REVIEW, doubt))
    text = printed(settings, subs, day, morning + timedelta(hours=8))
    lines = text.splitlines()
    for number, unit in enumerate(settings.units, start=1):
        (line,) = [line for line in lines if f" {unit.name} " in f" {line} "]
        assert line.split()[0] == str(number)
    (missing,) = [line for line in lines if settings.units[-1].name in line]
    assert "chưa báo cáo" in missing.lower()
    (held,) = [line for line in lines if settings.units[-2].name in line]
    assert "Số liệu tăng bất thường.; Tổng không khớp." in held
    (first,) = [line for line in lines if f"{settings.units[0].name} " in line]
    assert "1.000" in first and "đúng hạn" in first.lower()
    assert "[" not in text and "┃" not in text  # no markup left, nothing drawn


def test_columns_line_up_whatever_the_names():
    settings = many_units(views.STATUS_ROWS_DRAWN + 1)
    day = datetime(2020, 8, 14).date()
    morning = datetime(2020, 8, 14, 9, tzinfo=settings.campaign.tz)
    subs = [submission(n, u.id, day, morning) for n, u in enumerate(settings.units)]
    lines = printed(settings, subs, day, morning).splitlines()
    rows = [line for line in lines if "Xã Đông Hưng" in line]
    starts = {line.index("1.") for line in rows}  # every figure starts in the same column
    assert len(rows) == len(settings.units) and len(starts) == 1


def test_a_small_day_is_still_drawn_as_a_table():
    settings = many_units(3)
    day = datetime(2020, 8, 14).date()
    morning = datetime(2020, 8, 14, 9, tzinfo=settings.campaign.tz)
    assert "┃" in printed(settings, [], day, morning)
