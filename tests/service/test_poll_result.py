"""A poll keeps the first readings for its table and counts the rest, so a backlog of any size costs no memory."""

from __future__ import annotations

from datetime import date

from mailbot.defaults import READINGS_KEPT
from mailbot.models import Problem, Reading
from mailbot.service import PollResult


def reading(number: int, problems: tuple[Problem, ...] = ()) -> Reading:
    return Reading(
        path=None,
        message_id=f"<{number}@x>",
        sender="vanphong.namsach@haiduong.gov.vn",
        received_at=None,
        period=date(2020, 8, 14),
        late=False,
        unit="nam-sach",
        figures={"installs": number},
        problems=problems,
    )


def test_a_backlog_keeps_the_first_readings_and_counts_every_one():
    result = PollResult("inbox")
    for number in range(20_000):
        result.add(reading(number, (Problem("unknown_unit", "?"),) if number % 4 == 0 else ()))
    assert [r.figures["installs"] for r in result.readings] == list(range(READINGS_KEPT))
    assert result.statuses == {"accepted": 15_000, "needs_review": 5_000}


def test_joined_polls_of_several_mailboxes_keep_the_same_bound():
    first, second, joined = PollResult("a"), PollResult("b"), PollResult("a, b")
    for number in range(READINGS_KEPT - 10):
        first.add(reading(number))
    for number in range(100, 130):
        second.add(reading(number))
    joined.join(first)
    joined.join(second)
    assert len(joined.readings) == READINGS_KEPT and joined.readings[-1].figures["installs"] == 109
    assert sum(joined.statuses.values()) == READINGS_KEPT - 10 + 30
