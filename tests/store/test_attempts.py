"""Storing a message ends its attempt in the same transaction; a crash before that leaves it marked."""

from datetime import UTC, date, datetime

from mailbot.models import InboundMessage, Reading, SourceMark
from mailbot.store import sha256_of

ARRIVED = datetime(2020, 8, 14, 8, 42, tzinfo=UTC)
RAW = b"Subject: x\r\n\r\nbody"


def message() -> InboundMessage:
    return InboundMessage("imap://baocao@127.0.0.1:1143/INBOX", "1:1", RAW, ARRIVED, len(RAW), uid=1, uidvalidity=1)


def reading() -> Reading:
    sender = "vanphong.namsach@haiduong.gov.vn"
    return Reading(
        None, "<m1@haiduong.gov.vn>", sender, ARRIVED, date(2020, 8, 14), False, "nam-sach", {"installs": 1}, ()
    )


def test_storing_a_message_ends_its_attempt(store):
    digest = sha256_of(RAW)
    assert store.begin_attempt(digest) == 1
    assert store.begin_attempt(digest) == 2  # the process died once while working on it
    store.ingest(message(), reading(), [], SourceMark(1, 1))
    assert store.begin_attempt(digest) == 1


def test_a_message_stored_again_ends_its_attempt_too(store):
    digest = sha256_of(RAW)
    store.ingest(message(), reading(), [], SourceMark(1, 1))
    store.begin_attempt(digest)
    assert store.ingest(message(), reading(), [], SourceMark(1, 1)).duplicate
    assert store.begin_attempt(digest) == 1
