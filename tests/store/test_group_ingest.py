"""A group of messages is stored by a few statements for the whole group, with the rows of storing each in turn."""

from dataclasses import replace
from datetime import UTC, date, datetime

import sqlalchemy as sa

from mailbot.models import InboundMessage, OutboundMail, Reading, SourceMark
from mailbot.store import sha256_of
from mailbot.store.schema import message_keys, meta_table, outbox, submissions

ARRIVED = datetime(2020, 8, 14, 8, 42, tzinfo=UTC)
SOURCE = "imap://baocao@127.0.0.1:1143/INBOX"


def message(number: int, raw: bytes | None = None) -> InboundMessage:
    raw = raw or f"Subject: {number}\r\n\r\nbody {number}".encode()
    return InboundMessage(SOURCE, f"1:{number}", raw, ARRIVED, len(raw), uid=number, uidvalidity=1)


def reading(number: int) -> Reading:
    return Reading(
        path=None,
        message_id=f"<m{number}@haiduong.gov.vn>",
        sender="vanphong.namsach@haiduong.gov.vn",
        received_at=ARRIVED,
        period=date(2020, 8, 14),
        late=False,
        unit=f"unit-{number}",
        figures={"installs": 1000 + number},
        problems=(),
    )


def ack(key: str) -> OutboundMail:
    return OutboundMail(key, "ack", ("vanphong.namsach@haiduong.gov.vn",), f"<{key}@mailbot>", b"Subject: Re\r\n\r\nok")


def item(number: int, raw: bytes | None = None, mails: tuple[str, ...] | None = None):
    keys = (f"ack:{number}",) if mails is None else mails
    return message(number, raw), reading(number), [ack(key) for key in keys]


def table(store, query) -> list[tuple]:
    with store.engine.connect() as conn:
        return [tuple(row) for row in conn.execute(query)]


def test_a_group_stores_each_message_once_with_its_key_submission_and_mail_in_order(store):
    [first] = store.ingest_many([item(1)], SOURCE, SourceMark(1, 1))
    group = [
        item(2),
        item(3, raw=item(1)[0].raw),  # the first message again, under another key: a duplicate
        item(4, mails=("ack:4", "ack:1")),  # a mail whose key is queued already is not queued twice
        item(5, raw=item(2)[0].raw),  # a repeat within the group: the first of the two is stored
        item(6, mails=()),
    ]
    store.begin_together([sha256_of(m.raw) for m, _, _ in group])
    results = store.ingest_many(group, SOURCE, SourceMark(1, 6))

    assert [r.duplicate for r in results] == [False, True, False, True, False]
    rows = [r.message_row for r in results]
    assert rows[1] == first.message_row and rows[3] == rows[0]
    assert rows[0] < rows[2] < rows[4]  # numbered in the mailbox's order
    subs = table(store, sa.select(submissions.c.id, submissions.c.message_row, submissions.c.unit).order_by("id"))
    assert subs[1:] == [
        (results[0].submission_id, rows[0], "unit-2"),
        (results[2].submission_id, rows[2], "unit-4"),
        (results[4].submission_id, rows[4], "unit-6"),
    ]
    assert results[1].submission_id is None and results[3].submission_id is None
    keys = table(store, sa.select(message_keys.c.source_key, message_keys.c.message_row))
    assert sorted(keys) == sorted(
        [("1:1", first.message_row)] + [(f"1:{n}", row) for n, row in zip(range(2, 7), rows, strict=True)]
    )
    assert table(store, sa.select(outbox.c.key).order_by(outbox.c.id)) == [("ack:1",), ("ack:2",), ("ack:4",)]
    assert table(store, sa.select(meta_table.c.key).where(meta_table.c.key.like("state:attempt:%"))) == []
    assert store.source_mark(SOURCE) == SourceMark(1, 6)


def test_a_group_is_written_by_the_same_few_statements_whatever_its_size(store):
    """Per message, nothing is built or sent to the database: a group of 50 costs the statements of a group of 5."""
    statements: list[str] = []
    sa.event.listen(store.engine, "before_cursor_execute", lambda *args: statements.append(args[2]))

    def count(numbers: range) -> int:
        statements.clear()
        group = [item(n) for n in numbers]
        store.begin_together([sha256_of(m.raw) for m, _, _ in group])
        store.ingest_many(group, SOURCE, SourceMark(1, numbers[-1]))
        return len(statements)

    count(range(1, 2))  # the mailbox's first mark is inserted, the others update it
    small, large = count(range(2, 7)), count(range(7, 57))
    assert large == small, f"{small} statements for 5 messages, {large} for 50"
    assert store.counts() == {"messages": 56, "submissions": 56, "outbox": 56}


def test_messages_worked_on_together_are_marked_and_unmarked_at_once(store):
    digests = [sha256_of(item(n)[0].raw) for n in range(1, 4)]
    store.begin_attempt(digests[0])  # an earlier attempt's mark is written over: together counts none
    store.begin_together(digests)
    assert store.marked(digests + ["other"]) == [True, True, True, False]
    assert store.begin_attempt(digests[0]) == 1
    store.ingest_many([item(n) for n in range(1, 4)], SOURCE, None)
    assert store.marked(digests) == [False, False, False]


def test_queueing_counts_only_the_mail_not_queued_yet(store):
    assert store.queue([ack("a"), ack("b"), ack("c")]) == 3
    assert store.queue([ack("b"), ack("d"), ack("a"), replace(ack("e"), kind="reminder")]) == 2
