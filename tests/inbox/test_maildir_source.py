"""The Maildir source on real folders, and the small pure pieces of the inbox."""

from __future__ import annotations

import datetime as dt
import os
import threading

import pytest
from inbox_helpers import AT_1520, VN, make_settings, report_mail

from mailbot.errors import SourceError
from mailbot.inbox import Backoff, deliver_to_maildir, open_source
from mailbot.inbox.imap_fetch import parse_announced, parse_bodies, parse_internaldate, uid_set

NOTHING_KNOWN = lambda keys: set()  # noqa: E731


def everything(source, known=NOTHING_KNOWN):
    return [m for batch in source.batches(None, known) for m in batch]


def snapshot(folder):
    return sorted(
        (str(p.relative_to(folder)), p.stat().st_mtime_ns, p.read_bytes()) for p in folder.rglob("*") if p.is_file()
    )


@pytest.fixture
def maildir(tmp_path):
    return tmp_path / "inbox"


def open_maildir(folder, **options):
    return open_source(make_settings(f"maildir://{folder}", **options))


def test_new_and_cur_are_read_oldest_first_with_the_delivery_time(maildir):
    late = report_mail("Báo cáo muộn", date=dt.datetime(2020, 8, 14, 15, 0, tzinfo=VN))
    early = report_mail("Báo cáo sớm")
    late_key = deliver_to_maildir(maildir, late, dt.datetime(2020, 8, 14, 16, 20, tzinfo=VN))
    early_key = deliver_to_maildir(maildir, early, AT_1520)
    os.rename(maildir / "new" / early_key, maildir / "cur" / f"{early_key}:2,S")  # read in a mail client

    messages = everything(open_maildir(maildir))
    assert [(m.key, m.raw) for m in messages] == [(early_key, early), (late_key, late)]
    assert messages[1].received_at == dt.datetime(2020, 8, 14, 16, 20, tzinfo=VN)
    assert messages[0].source == f"maildir://{maildir}" and messages[0].uid is None


def test_known_keys_are_skipped_and_nothing_is_changed(maildir):
    keys = [
        deliver_to_maildir(maildir, report_mail(f"Báo cáo {n}"), AT_1520 + dt.timedelta(minutes=n)) for n in range(3)
    ]
    before = snapshot(maildir)
    source = open_maildir(maildir, batch_size=2, move_to="Da xu ly")
    asked = []

    def known(batch_keys):
        asked.append(list(batch_keys))
        return {keys[0]} & set(batch_keys)

    batches = list(source.batches(None, known))
    for batch in batches:
        source.after_commit(batch)
    assert [[m.key for m in b] for b in batches] == [[keys[1]], [keys[2]]]
    assert asked == [keys[:2], keys[2:]]
    assert snapshot(maildir) == before


def test_a_relative_maildir_url_gets_an_absolute_identity(maildir, monkeypatch):
    deliver_to_maildir(maildir, report_mail("Báo cáo"), AT_1520)
    monkeypatch.chdir(maildir.parent)
    source = open_source(make_settings("maildir://./inbox"))
    assert source.identity == f"maildir://{maildir}"


def test_an_oversized_file_is_read_as_headers_only(maildir):
    deliver_to_maildir(maildir, report_mail("Quá lớn", body="y" * 30_000 + "\nEND-OF-BODY\n"), AT_1520)
    [message] = everything(open_maildir(maildir, max_message_bytes=10_000))
    assert message.headers_only and message.size > 30_000
    assert b"Subject:" in message.raw and b"END-OF-BODY" not in message.raw


@pytest.mark.parametrize("problem", ["missing", "a file", "no cur"])
def test_an_unreadable_maildir_is_a_source_error_naming_it(problem, maildir):
    if problem == "a file":
        maildir.write_text("not a folder")
    elif problem == "no cur":
        (maildir / "new").mkdir(parents=True)
    with pytest.raises(SourceError) as raised:
        open_maildir(maildir)
    assert str(maildir) in str(raised.value) and "\n" not in str(raised.value)


def test_an_unlistable_maildir_is_a_source_error(maildir):
    deliver_to_maildir(maildir, report_mail("Báo cáo"), AT_1520)
    source = open_maildir(maildir)
    os.rename(maildir / "cur", maildir / "cur.gone")
    (maildir / "cur").write_text("")  # cur/ replaced by a file: listing it fails, even for root
    with pytest.raises(SourceError, match="Không đọc được hộp thư Maildir"):
        everything(source)


def test_wait_for_change_wakes_on_delivery(maildir):
    deliver_to_maildir(maildir, report_mail("Báo cáo"), AT_1520)
    source = open_maildir(maildir)
    delivery = threading.Timer(0.3, deliver_to_maildir, args=(maildir, report_mail("Thư mới"), AT_1520))
    delivery.start()
    try:
        assert source.wait_for_change(30) is True
    finally:
        delivery.join()
    assert source.wait_for_change(0.6) is False


# --- pure pieces ------------------------------------------------------------------------


def test_backoff_grows_with_jitter_and_resets():
    backoff = Backoff(first=2, ceiling=10, rand=lambda: 1.0)
    assert [backoff.next_delay() for _ in range(5)] == [2, 4, 8, 10, 10]
    backoff.reset()
    assert backoff.next_delay() == 2
    jittered = Backoff(first=2, ceiling=10)
    assert all(0 <= jittered.next_delay() <= 10 for _ in range(20))


def test_internaldate_parsing():
    assert parse_internaldate(" 4-Aug-2020 16:20:00 +0700") == dt.datetime(2020, 8, 4, 16, 20, tzinfo=VN)
    assert parse_internaldate("14-Aug-2020 09:20:00 +0000") == dt.datetime(2020, 8, 14, 16, 20, tzinfo=VN)
    with pytest.raises(ValueError):
        parse_internaldate("2020-08-14 16:20")


def test_fetch_answers_are_read_whatever_the_item_order():
    announced = parse_announced(
        [
            b'1 (UID 7 RFC822.SIZE 120 INTERNALDATE "14-Aug-2020 16:20:00 +0700")',
            b"2 (FLAGS (\\Seen) UID 8)",  # an unsolicited flag change: ignored
        ]
    )
    assert list(announced) == [7] and announced[7].size == 120
    bodies = parse_bodies([(b"1 (UID 7 BODY[] {3}", b"abc"), b")", (b"2 (BODY[] {2}", b"de"), b" UID 9)"])
    assert bodies == {7: b"abc", 9: b"de"}
    assert uid_set([9, 1, 2, 3, 7, 8]) == "1:3,7:9"
