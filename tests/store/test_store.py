"""The store keeps every message once, with its raw bytes, on SQLite and PostgreSQL."""

import multiprocessing
import os
import sqlite3
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from mailbot.errors import StoreError
from mailbot.models import InboundMessage, OutboundMail, Problem, Reading, ReviewDecision, Source, SourceMark
from mailbot.store import SCHEMA_VERSION, Store

UTC = UTC
ARRIVED = datetime(2020, 8, 14, 8, 42, tzinfo=UTC)


def message(raw: bytes = b"Subject: x\r\n\r\nbody", key: str = "1:1", uid: int | None = 1) -> InboundMessage:
    return InboundMessage(
        source="imap://baocao@127.0.0.1:1143/INBOX",
        key=key,
        raw=raw,
        received_at=ARRIVED,
        size=len(raw),
        uid=uid,
        uidvalidity=1 if uid else None,
    )


def reading(figure: int = 17356, problems=()) -> Reading:
    return Reading(
        path=None,
        message_id="<m1@haiduong.gov.vn>",
        sender="vanphong.namsach@haiduong.gov.vn",
        received_at=ARRIVED,
        period=date(2020, 8, 14),
        late=False,
        unit="nam-sach",
        figures={"installs": figure},
        problems=tuple(problems),
        subject="Báo cáo",
    )


def ack(key: str = "ack:1") -> OutboundMail:
    return OutboundMail(
        key=key,
        kind="ack",
        recipients=("vanphong.namsach@haiduong.gov.vn",),
        message_id="<a1@mailbot>",
        raw=b"Subject: Re\r\n\r\nok",
    )


def test_ingest_keeps_raw_bytes_submission_mail_and_mark_together(store):
    result = store.ingest(message(), reading(), [ack()], SourceMark(1, 1))
    assert not result.duplicate
    assert store.raw_message(result.message_row) == b"Subject: x\r\n\r\nbody"
    [sub] = store.submissions_between(date(2020, 8, 14), date(2020, 8, 14))
    assert sub.unit == "nam-sach" and sub.figures == {"installs": 17356} and sub.status == "accepted"
    assert sub.received_at == ARRIVED
    assert store.source_mark("imap://baocao@127.0.0.1:1143/INBOX") == SourceMark(1, 1)
    assert store.outbox_counts()["pending"] == 1


def test_the_same_message_is_never_stored_twice(store):
    store.ingest(message(), reading(), [ack()], SourceMark(1, 1))
    again = store.ingest(message(key="2:7", uid=7), reading(), [ack()], SourceMark(2, 7))
    assert again.duplicate
    assert store.counts() == {"messages": 1, "submissions": 1, "outbox": 1}
    assert store.known_keys("imap://baocao@127.0.0.1:1143/INBOX", ["1:1", "2:7", "2:8"]) == {"1:1", "2:7"}
    assert store.source_mark("imap://baocao@127.0.0.1:1143/INBOX") == SourceMark(2, 7)


def test_problems_and_review_decisions_round_trip(store):
    problem = Problem("total_mismatch", "Dòng tổng cộng khác", "a.xlsx, Sheet1, C9")
    result = store.ingest(message(), reading(problems=[problem]), [], None)
    [waiting] = store.pending_review()
    assert waiting.problems == (problem,) and waiting.status == "needs_review"
    at = datetime(2020, 8, 14, 10, tzinfo=UTC)
    store.record_decision(
        ReviewDecision(result.submission_id, "correct", "can.bo", at, "gõ nhầm", figures={"installs": 17365}), []
    )
    decided = store.record_decision(
        ReviewDecision(result.submission_id, "accept", "can.bo", at, "đã gọi điện"), [ack("notice:1")]
    )
    assert decided.status == "accepted" and decided.figures == {"installs": 17365}
    assert decided.read_figures == {"installs": 17356} and decided.decided_by == "can.bo"
    assert [d.action for d in store.decisions_of(result.submission_id)] == ["correct", "accept"]
    assert store.pending_review() == [] and store.is_queued("notice:1")


def test_what_repeats_from_one_stored_submission_to_the_next_is_held_once(store):
    """A poll keeps thousands of submissions read (batches.Known) and a national ledger reads them all: the
    figures read and the figures that count are one mapping until someone corrects them, and the same problems
    are one tuple."""
    problem = Problem("total_mismatch", "Dòng tổng cộng khác", "a.xlsx, Sheet1, C9")
    placed = replace(reading(problems=[problem]), sources={"installs": Source(file="bc.xlsx", sheet="S", cell="C9")})
    first = store.ingest(message(), placed, [], None)
    other = message(b"Subject: y\r\n\r\nbody", key="1:2", uid=2)
    store.ingest(other, replace(placed, message_id="<m2@haiduong.gov.vn>"), [], None)
    one, two = store.submissions_between(date(2020, 8, 14), date(2020, 8, 14))
    assert one.read_figures is one.figures and one.problems is two.problems and one.problems == (problem,)
    assert one.sources == {"installs": Source(file="bc.xlsx", sheet="S", cell="C9")}
    at = datetime(2020, 8, 14, 10, tzinfo=UTC)
    store.record_decision(
        ReviewDecision(first.submission_id, "correct", "can.bo", at, "gõ nhầm", figures={"installs": 17365}), []
    )
    [corrected] = [s for s in store.submissions_between(date(2020, 8, 14), date(2020, 8, 14)) if s.id == one.id]
    assert corrected.figures == {"installs": 17365} and corrected.read_figures == {"installs": 17356}


def test_outbox_claim_retry_hold_release(store):
    store.queue([ack("ack:1"), ack("ack:2")])
    assert store.queue([ack("ack:1")]) == 0  # idempotent on the key
    now = datetime.now(UTC)
    first, second = store.claim_due(now)
    assert store.claim_due(now) == []  # claimed mail is not handed out twice
    store.mark_retry(first.id, now + timedelta(minutes=1), "451 try later")
    store.mark_held(second.id, "550 no such user")
    assert store.claim_due(now) == []
    assert [m.attempts for m in store.claim_due(now + timedelta(minutes=2))] == [2]
    assert [m.id for m in store.held_mail()] == [second.id]
    assert store.release_held() == 1
    assert store.outbox_counts()["pending"] == 1


def test_a_claim_abandoned_by_a_crash_is_tried_again_later(store):
    store.queue([ack()])
    now = datetime.now(UTC)
    [claimed] = store.claim_due(now)
    assert store.claim_due(now + timedelta(minutes=1)) == []
    assert [m.id for m in store.claim_due(now + timedelta(minutes=11))] == [claimed.id]


def test_lock_is_exclusive_and_released(store):
    with store.lock("poll") as taken:
        assert taken
        with store.lock("poll", wait=False) as second:
            assert not second
    with store.lock("poll", wait=False) as again:
        assert again


def _hold_lock_and_die(url):
    store = Store.open(url)
    with store.lock("poll"):
        os._exit(9)  # dies holding the lock, like kill -9


def test_a_lock_held_by_a_dead_process_is_released(store, store_url):
    worker = multiprocessing.get_context("spawn").Process(target=_hold_lock_and_die, args=(store_url,))
    worker.start()
    worker.join(60)
    with store.lock("poll", wait=True, timeout=20) as taken:
        assert taken


def test_schema_version_and_wal(sqlite_url):
    store = Store.open(sqlite_url)
    assert store.schema_version == SCHEMA_VERSION
    store.close()
    path = sqlite_url.removeprefix("sqlite:///")
    assert sqlite3.connect(path).execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    reopened = Store.open(sqlite_url)  # migrations are idempotent
    assert reopened.schema_version == SCHEMA_VERSION


def test_each_sqlite_connection_keeps_a_small_page_cache_of_its_own(sqlite_url):
    """The system caches the file; a pooled connection keeps 512 KiB of pages, not SQLite's 2,000."""
    store = Store.open(sqlite_url)
    try:
        with store.reader.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA cache_size").scalar() == -512
    finally:
        store.close()


def test_a_newer_schema_is_refused(sqlite_url):
    Store.open(sqlite_url).close()
    path = sqlite_url.removeprefix("sqlite:///")
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '0099'")
    with pytest.raises(StoreError) as caught:
        Store.open(sqlite_url)
    assert (
        caught.value.message
        == f"Cơ sở dữ liệu có cấu trúc phiên bản 99, mới hơn phiên bản mà mailbot này hỗ trợ ({SCHEMA_VERSION})"
    )
    with pytest.raises(StoreError) as caught:
        Store.open(sqlite_url, "en")
    assert caught.value.message == f"the store has schema version 99, newer than this mailbot ({SCHEMA_VERSION})"


def test_an_unwritable_store_is_one_clear_error(tmp_path):
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    with pytest.raises(StoreError) as caught:
        Store.open(f"sqlite:///{blocked}/sub/mailbot.db")
    assert "MAILBOT_DB_URL" in str(caught.value)


def test_a_corrupt_store_is_one_clear_error(tmp_path):
    path = tmp_path / "mailbot.db"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(StoreError) as caught:
        Store.open(f"sqlite:///{path}")
    assert caught.value.message.startswith(f"Không mở được cơ sở dữ liệu sqlite:///{path}: ")


def test_a_postgres_server_that_is_down_is_one_clear_error():
    url = "postgresql://nobody:secret@127.0.0.1:1/none"
    with pytest.raises(StoreError) as caught:
        Store.open(url)
    assert caught.value.message.startswith("Không mở được cơ sở dữ liệu postgresql://nobody:***@127.0.0.1:1/none: ")
    assert "secret" not in str(caught.value) and "MAILBOT_DB_URL" in caught.value.hint
    with pytest.raises(StoreError) as caught:
        Store.open(url, "en")
    assert caught.value.message.startswith("the store postgresql://nobody:***@127.0.0.1:1/none cannot be opened: ")


def test_latest_accepted_before_gives_each_units_counted_figure(store):
    def add(key, unit, day, figure, status_problems=(), hour=8):
        at = datetime(2020, 8, day, hour, tzinfo=UTC)
        msg = InboundMessage(source="maildir:///t", key=key, raw=key.encode(), received_at=at, size=1)
        rd = Reading(
            path=None,
            message_id=f"<{key}>",
            sender=None,
            received_at=at,
            period=date(2020, 8, day),
            late=False,
            unit=unit,
            figures={"installs": figure},
            problems=tuple(status_problems),
        )
        store.ingest(msg, rd, [], None)

    doubtful = Problem("total_mismatch", "x")
    add("a1", "nam-sach", 1, 100)
    add("a2", "nam-sach", 3, 300)
    add("a3", "nam-sach", 3, 310, hour=9)  # a correction the same day
    add("a4", "nam-sach", 4, 999, [doubtful])  # waits for review: not counted
    add("a5", "nam-sach", 10, 1000)  # not before the day asked
    add("b1", "tu-ky", 2, 50)
    latest = {s.unit: s.figures["installs"] for s in store.latest_accepted_before(date(2020, 8, 10))}
    assert latest == {"nam-sach": 310, "tu-ky": 50}
    early = store.latest_accepted_before(date(2020, 8, 10), received_by=datetime(2020, 8, 3, 8, 30, tzinfo=UTC))
    assert {s.unit: s.figures["installs"] for s in early} == {"nam-sach": 300, "tu-ky": 50}


def test_where_each_figure_was_read_is_stored_and_loaded(store):
    place = Source(file="BC 14-8.xlsx", sheet="Báo cáo", cell="C24")
    done = store.ingest(message(), replace(reading(), sources={"installs": place}), [], None)
    assert store.submission(done.submission_id).sources == {"installs": place}
    bare = store.ingest(message(b"Subject: y\r\n\r\nother", key="1:2", uid=2), reading(), [], None)
    assert store.submission(bare.submission_id).sources == {}


def test_a_store_of_schema_3_gains_the_sources_column(sqlite_url):
    Store.open(sqlite_url).close()
    path = sqlite_url.removeprefix("sqlite:///")
    with sqlite3.connect(path) as conn:
        conn.execute("ALTER TABLE submissions DROP COLUMN sources")
        conn.execute("DROP INDEX ix_submissions_campaign")  # and without schema 5's campaigns
        for table in ("submissions", "decisions", "outbox"):
            conn.execute(f"ALTER TABLE {table} DROP COLUMN campaign")
        conn.execute("UPDATE alembic_version SET version_num = '0003'")  # the store as schema 3 left it
    store = Store.open(sqlite_url)
    try:
        assert store.schema_version == SCHEMA_VERSION == 6
        done = store.ingest(message(), replace(reading(), sources={"installs": Source(cell="C6")}), [], None)
        assert store.submission(done.submission_id).sources["installs"].cell == "C6"
    finally:
        store.close()


def test_a_figure_beyond_64_bits_reads_back_as_stored(store):
    """A figure is never silently rounded by the store's JSON columns (a faster parser that reads
    integers beyond 64 bits as floats would make this one 1.1806e21)."""
    huge = 2**70 + 3
    store.ingest(message(), reading(figure=huge), [], None)
    [sub] = store.submissions_between(date(2020, 8, 14), date(2020, 8, 14))
    assert sub.figures == {"installs": huge} and sub.read_figures == {"installs": huge}
