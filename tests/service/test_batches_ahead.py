"""Batches read ahead (batches.read_ahead) are stored exactly as batches read one after the other are."""

from datetime import datetime

import pytest
from service.test_batches import mails, outcome, settings_of

from mailbot import batches
from mailbot.errors import SourceError
from mailbot.store import Store


@pytest.fixture
def two_stores(tmp_path):
    opened = [Store.open(f"sqlite:///{tmp_path / name}.db") for name in ("in_turn", "ahead")]
    yield opened
    for store in opened:
        store.close()


def ingest(settings, store: Store, source, now: datetime) -> list[bool]:
    answers = batches.Answers(store)
    stored = []
    for batch in batches.read_ahead(settings, store, source):
        stored += [new for _, new in batches.ingest_batch(settings, store, batch, now, answers)]
    return stored


def test_batches_read_ahead_store_and_answer_as_batches_read_in_turn(two_stores):
    settings = settings_of()
    in_turn, ahead = two_stores
    now = datetime(2020, 8, 14, 10, tzinfo=settings.campaign.tz)
    sent = mails(settings)
    answers = batches.Answers(in_turn)
    for start in range(0, len(sent), 2):
        batches.ingest_batch(settings, in_turn, sent[start : start + 2], now, answers)

    stored = ingest(settings, ahead, (sent[start : start + 2] for start in range(0, len(sent), 2)), now)

    assert stored == [True] * len(sent)
    assert outcome(ahead) == outcome(in_turn)


def test_a_batch_is_stored_before_the_failure_to_fetch_the_next_one_is_raised(two_stores):
    settings = settings_of()
    _, store = two_stores
    now = datetime(2020, 8, 14, 10, tzinfo=settings.campaign.tz)
    sent = mails(settings)

    def source():
        yield sent[:2]
        raise SourceError("the connection to the mailbox was lost", "poll again")

    with pytest.raises(SourceError):
        ingest(settings, store, source(), now)

    assert store.counts()["submissions"] == 2
