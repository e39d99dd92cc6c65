"""A poll keeps a screenful of readings for its table, those a person must look at first, and counts the rest, so
a backlog of any size costs no memory."""

from __future__ import annotations

from datetime import date

from mailbot.defaults import READINGS_SHOWN
from mailbot.models import Problem, Reading
from mailbot.service import PollResult

DOUBTFUL = (Problem("unknown_unit", "?"),)
REFUSED = (Problem("no_spreadsheet", "?"),)


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


def figures(result: PollResult) -> list[int]:
    return [r.figures["installs"] for r in result.readings]


def test_a_backlog_of_accepted_readings_keeps_the_first_and_counts_every_one():
    result = PollResult("inbox")
    for number in range(20_000):
        result.add(reading(number))
    assert figures(result) == list(range(READINGS_SHOWN))
    assert result.statuses == {"accepted": 20_000}


def test_the_readings_that_need_a_look_come_first_in_the_order_they_arrived():
    result = PollResult("inbox")
    for number in range(20_000):
        problems = DOUBTFUL if number % 2000 == 1999 else REFUSED if number == 5 else ()
        result.add(reading(number, problems))
    needing_a_look = [5, *range(1999, 20_000, 2000)]
    accepted_first = [0, 1, 2, 3, 4, 6, 7, 8, 9]  # to fill the screen, as they arrived
    assert figures(result) == needing_a_look + accepted_first
    assert result.statuses == {"accepted": 19_989, "needs_review": 10, "rejected": 1}


def test_when_more_need_a_look_than_are_shown_the_first_of_them_are_kept():
    result = PollResult("inbox")
    for number in range(1000):
        result.add(reading(number, DOUBTFUL if number % 2 else ()))
    assert figures(result) == list(range(1, 2 * READINGS_SHOWN, 2))


def test_joined_polls_of_several_mailboxes_keep_the_same_bound_and_order():
    first, second, joined = PollResult("a"), PollResult("b"), PollResult("a, b")
    for number in range(READINGS_SHOWN - 5):
        first.add(reading(number))
    for number in range(100, 130):
        second.add(reading(number, DOUBTFUL if number == 120 else ()))
    joined.join(first)
    joined.join(second)
    assert figures(joined) == [120, *range(READINGS_SHOWN - 5), *range(100, 104)]
    assert sum(joined.statuses.values()) == READINGS_SHOWN - 5 + 30
