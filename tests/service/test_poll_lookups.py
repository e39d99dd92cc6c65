"""What a poll looks up for every message is worked out once: a campaign's settings, a sender's unit, the answers.

A poll asks, for each message, which campaign its unit reports in, which unit its
sender is, and how many answers the sender had today. Each answer is made once per
poll (the same settings object, whose units by id are then indexed once) and is the
answer a search from the start would give.
"""

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from test_batches import settings_of

from mailbot import batches
from mailbot.models import OutboundMail
from mailbot.store import Store


def test_the_campaign_of_a_unit_is_the_same_settings_for_every_message():
    settings = settings_of()
    unit = settings.units[0].id
    first = settings.campaign_of_unit(unit)
    assert first is not None and first is settings.campaign_of_unit(unit)
    assert settings.with_campaign(settings.campaign.id) is first
    assert first.campaign == settings.campaign and first.units == settings.units
    assert first.unit(unit) is settings.unit(unit)


def test_a_senders_unit_is_the_first_unit_with_that_address():
    settings = settings_of()
    one, two = settings.units[0], settings.units[1]
    shared = "van.thu@haiduong.gov.vn"
    units = (replace(one, senders=(*one.senders, shared)), replace(two, senders=(shared, *two.senders)))
    settings = replace(settings, units=units + settings.units[2:])
    assert settings.unit_of_sender(" Van.Thu@HaiDuong.gov.vn ") == units[0]
    assert settings.unit_of_sender(two.senders[0].upper()) == units[1]
    assert settings.unit_of_sender("nobody@haiduong.gov.vn") is None and settings.unit_of_sender("") is None


def test_answers_queued_in_a_poll_count_in_every_window_asked_about(tmp_path):
    store = Store.open(f"sqlite:///{tmp_path / 'store.db'}")
    try:
        now = datetime(2020, 8, 14, 10, tzinfo=UTC)
        store.queue([OutboundMail("ack:0", "ack", ("a@haiduong.gov.vn",), "<0@x>", b"x")])
        answers = batches.Answers(store)
        day, hour = now - timedelta(hours=24), now - timedelta(hours=1)
        assert (answers.replies_since("A@haiduong.gov.vn", day), answers.replies_since("a@haiduong.gov.vn", hour)) == (
            1,
            1,
        )
        answers.queued(
            [
                OutboundMail(f"ack:{n}", "ack", ("a@haiduong.gov.vn", "b@haiduong.gov.vn"), f"<{n}@x>", b"x")
                for n in (1, 2)
            ]
        )
        answers.queued([OutboundMail("reminder:1", "reminder", ("a@haiduong.gov.vn",), "<r@x>", b"x")])  # not an answer
        assert (
            answers.replies_since("a@haiduong.gov.vn", day) == 3
            and answers.replies_since("a@haiduong.gov.vn", hour) == 3
        )
        assert answers.replies_since("b@haiduong.gov.vn", day) == 2  # asked first after they were queued
        assert answers.replies_since("c@haiduong.gov.vn", day) == 0
    finally:
        store.close()
