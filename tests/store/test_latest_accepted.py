"""Each unit's counted figure before a day, looked up in the last week first and further back only for the rest.

Given the units, Store.latest_accepted_before must answer what the search over the
whole history answers: a unit silent for weeks keeps its old figure, a unit that
never reported has none.
"""

from datetime import UTC, date, datetime, timedelta

from mailbot.models import InboundMessage, Problem, Reading
from mailbot.store.submissions import RECENT_DAYS

DAY = date(2020, 9, 30)


def add(store, key: str, unit: str, day: date, figure: int, problems=(), hour: int = 8) -> None:
    at = datetime(day.year, day.month, day.day, hour, tzinfo=UTC)
    message = InboundMessage(source="maildir:///t", key=key, raw=key.encode(), received_at=at, size=1)
    reading = Reading(None, f"<{key}>", None, at, day, False, unit, {"installs": figure}, tuple(problems))
    store.ingest(message, reading, [], None)


def figures(found) -> dict[str, int]:
    return {s.unit: s.figures["installs"] for s in found}


def test_units_given_find_what_the_whole_history_holds(store):
    add(store, "r1", "recent", DAY - timedelta(days=1), 500)
    add(store, "r2", "recent", DAY - timedelta(days=1), 510, hour=9)  # corrected the same day
    add(store, "o1", "old", DAY - timedelta(days=RECENT_DAYS + 20), 100)
    add(store, "o2", "old", DAY - timedelta(days=RECENT_DAYS + 1), 120)
    add(store, "o3", "old", DAY - timedelta(days=2), 999, [Problem("total_mismatch", "x")])  # waits: not counted
    add(store, "e1", "edge", DAY - timedelta(days=RECENT_DAYS), 70)
    add(store, "x1", "not-asked", DAY - timedelta(days=3), 1)
    whole = figures(store.latest_accepted_before(DAY))
    assert whole == {"recent": 510, "old": 120, "edge": 70, "not-asked": 1}
    asked = figures(store.latest_accepted_before(DAY, units=["recent", "old", "edge", "silent"]))
    assert asked == {"recent": 510, "old": 120, "edge": 70}
    by = datetime(2020, 9, 29, 8, 30, tzinfo=UTC)  # before the same-day correction arrived
    assert figures(store.latest_accepted_before(DAY, received_by=by, units=["recent", "old"])) == {
        "recent": 500,
        "old": 120,
    }
