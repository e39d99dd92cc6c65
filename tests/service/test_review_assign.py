"""Assigning an unknown sender's report to a unit runs that unit's history checks."""

from datetime import UTC, date, datetime

from mailbot import i18n, review
from mailbot.config import load_settings
from mailbot.models import InboundMessage, Reading
from mailbot.review import Decider

UTC = UTC


def stored(store, key: str, unit, figure: int, day: date, sender: str, problems=()):
    at = datetime(day.year, day.month, day.day, 3, tzinfo=UTC)
    message = InboundMessage(source="maildir:///t", key=key, raw=key.encode(), received_at=at, size=3)
    reading = Reading(
        path=None,
        message_id=f"<{key}@t>",
        sender=sender,
        received_at=at,
        period=day,
        late=False,
        unit=unit,
        figures={"installs": figure},
        problems=tuple(problems),
    )
    return store.ingest(message, reading, [], None).submission_id


def test_assign_adds_the_history_problems_of_the_new_unit(store):
    settings = load_settings("config/mailbot.toml", env={})
    stored(store, "a", "nam-sach", 20000, date(2020, 8, 13), "vanphong.namsach@haiduong.gov.vn")
    unknown = i18n.problem("unknown_sender", "vi", sender="x@gmail.com")
    waiting = stored(store, "b", None, 15000, date(2020, 8, 14), "x@gmail.com", [unknown])
    outcome = review.assign(
        settings, store, waiting, "nam-sach", Decider("can.bo"), datetime(2020, 8, 14, 9, tzinfo=UTC)
    )
    codes = [p.code for p in outcome.submission.problems]
    assert codes == ["decreasing_figure"]  # the unknown sender is settled; the new unit's history is checked
    assert outcome.submission.unit == "nam-sach" and outcome.submission.status == "needs_review"
