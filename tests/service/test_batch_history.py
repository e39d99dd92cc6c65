"""The history a batch's checks see, kept in memory as the batch is checked, is what the store answers.

Each message's checks (the jump against the day before, which report a correction
replaces) look at the unit's submissions of the days before. A batch loads them once
(batches.BatchHistory) and adds each message it checks; this must equal what the
store answers when each message is stored before the next is read
(service.unit_submissions): with two or more mails of one unit in one batch, reports
of the day before in the same batch, and corrections.
"""

from datetime import datetime, timedelta

from test_batches import DAY, mails, settings_of

from mailbot import batches, service
from mailbot.models import ReviewDecision
from mailbot.store import Store


def seen(subs) -> list[tuple]:
    """What the checks read of each submission (its ids are the store's own)."""
    return [(s.unit, s.period, s.status, dict(s.figures), s.received_at, s.sender) for s in subs]


def kept_as_stored(kept, stored) -> bool:
    """The poll keeps what the checks read of each stored submission, under the store's ids."""
    return [(s.id, *row) for s, row in zip(kept, seen(kept), strict=True)] == [
        (s.id, *row) for s, row in zip(stored, seen(stored), strict=True)
    ]


def counted(subs, reading) -> list[tuple] | None:
    found = service.counted_submission(subs, reading.period)
    return seen([found]) if found is not None else None


def test_the_batchs_history_in_memory_is_what_the_store_answers(tmp_path):
    settings = settings_of()
    now = datetime(2020, 8, 14, 10, tzinfo=settings.campaign.tz)
    alone = Store.open(f"sqlite:///{tmp_path / 'alone.db'}")
    together = Store.open(f"sqlite:///{tmp_path / 'together.db'}")
    try:
        sent = mails(settings)
        service.ingest_message(settings, together, sent[0], now)  # history stored before the batch
        service.ingest_message(settings, alone, sent[0], now)
        readings = [service.safe_read(settings, message) for message in sent[1:]]
        history = batches.BatchHistory(batches.Known(together), readings)
        compared = 0
        for message, reading in zip(sent[1:], readings, strict=True):
            from_store = service.unit_submissions(alone, reading)
            in_memory = history.of(reading)
            assert seen(in_memory) == seen(from_store)
            assert counted(in_memory, reading) == counted(from_store, reading)  # what a correction replaces
            checked = service.with_history_problems(settings, reading, in_memory)
            assert checked.problems == service.with_history_problems(settings, reading, from_store).problems
            compared += len(from_store)
            history.add(checked, message)
            service.ingest_message(settings, alone, message, now)
        assert compared >= 6  # Nam Sách's reports of the day before and its corrections were compared
    finally:
        alone.close()
        together.close()


def test_what_a_poll_keeps_across_batches_is_what_the_store_answers_after_anyone_writes(tmp_path, monkeypatch):
    """A poll keeps the stored submissions it read (batches.Known); each batch must still see what others stored
    meanwhile, and a review decision made meanwhile."""
    settings = settings_of()
    now = datetime(2020, 8, 14, 10, tzinfo=settings.campaign.tz)
    store = Store.open(f"sqlite:///{tmp_path / 'store.db'}")
    units, first, last = ["gia-loc", "nam-sach"], DAY - timedelta(days=60), DAY
    try:
        sent = mails(settings)
        known = batches.Known(store)
        for message in sent[:2]:
            service.ingest_message(settings, store, message, now)
        assert kept_as_stored(
            known.submissions_of_units(units, first, last), store.submissions_of_units(units, first, last)
        )

        service.ingest_message(settings, store, sent[2], now)  # stored by anyone but the poll's batches
        kept = known.submissions_of_units(units, first, last)
        assert len(kept) == 3 and kept_as_stored(kept, store.submissions_of_units(units, first, last))

        decided = ReviewDecision(kept[0].id, "reject", "can.bo", now, "gửi nhầm")
        store.record_decision(decided, [])
        kept = known.submissions_of_units(units, first, last)
        assert kept[0].status == "rejected" and kept_as_stored(kept, store.submissions_of_units(units, first, last))

        monkeypatch.setattr(batches, "KNOWN_MOST", 1)  # more than the poll keeps: the others are read again
        service.ingest_message(settings, store, sent[3], now)
        assert kept_as_stored(
            known.submissions_of_units(units, first, last), store.submissions_of_units(units, first, last)
        )
        assert len(known.by_id) == 1
    finally:
        store.close()
