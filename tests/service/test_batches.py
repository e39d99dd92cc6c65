"""A batch stored in one transaction says and stores exactly what storing each message alone does.

Its history checks and the reply limit come from memory during the poll: a correction
later in the same batch must replace the report before it, and the answers queued
earlier in the batch must count against the sender's daily limit, exactly as when
every message is committed before the next is read (service.ingest_message).
"""

import email
from dataclasses import replace
from datetime import date, datetime, timedelta
from email import policy
from pathlib import Path

import pytest

from mailbot import batches, service
from mailbot.config import load_settings
from mailbot.models import InboundMessage
from mailbot.samples import district_workbook, report_mail
from mailbot.store import Store

ROOT = Path(__file__).resolve().parents[2]
DAY = date(2020, 8, 14)
METRIC = "Số lượng cài đặt Bluezone"
NAM_SACH = ("vanphong.namsach@haiduong.gov.vn", "Huyện Nam Sách")
GIA_LOC = ("vanphong.gialoc@haiduong.gov.vn", "Huyện Gia Lộc")


def settings_of():
    settings = load_settings(ROOT / "config" / "mailbot.toml", env={})
    return replace(settings, limits=replace(settings.limits, replies_per_day=3))


def mails(settings) -> list[InboundMessage]:
    """Nam Sách reports the day before and today, corrects (its fourth answer is over the limit), then falls."""
    sent = [(NAM_SACH, 17_000, 1), (GIA_LOC, 22_000, 0), (NAM_SACH, 17_100, 0), (NAM_SACH, 17_200, 0)]
    sent.append((NAM_SACH, 5_000, 0))
    out = []
    for number, ((address, unit), figure, before) in enumerate(sent):
        day = DAY - timedelta(days=before)
        at = datetime(day.year, day.month, day.day, 9, tzinfo=settings.campaign.tz) + timedelta(minutes=10 * number)
        raw = report_mail(
            sender=address,
            sender_name=f"Văn phòng {unit}",
            to=settings.campaign.reporting_mailbox,
            subject=f"Báo cáo ngày {day.day}/{day.month}/{day.year}",
            body="Kính gửi Sở.",
            sent_at=at,
            attachment_name="bc.xlsx",
            attachment=district_workbook(unit, figure, day, METRIC),
            received_at=at,
        )
        out.append(InboundMessage(source="test", key=str(number), raw=raw, received_at=at, size=len(raw)))
    return out


def outcome(store: Store) -> tuple[list, list]:
    rows = [
        (s.unit, s.period, s.status, dict(s.figures), [p.code for p in s.problems])
        for s in store.submissions_between(DAY - timedelta(days=1), DAY)
    ]
    answers = []
    for mail in store.mail():
        text = email.message_from_bytes(mail.raw, policy=policy.default).get_body(("plain",)).get_content()
        answers.append((mail.kind, mail.recipients, text))
    return rows, answers


@pytest.fixture
def two_stores(tmp_path):
    opened = [Store.open(f"sqlite:///{tmp_path / name}.db") for name in ("alone", "batch")]
    yield opened
    for store in opened:
        store.close()


def test_a_batch_stores_and_answers_as_each_message_alone_does(two_stores):
    settings = settings_of()
    alone, together = two_stores
    now = datetime(2020, 8, 14, 10, tzinfo=settings.campaign.tz)
    for message in mails(settings):
        service.ingest_message(settings, alone, message, now)
    results = batches.ingest_batch(settings, together, mails(settings), now, batches.Answers(together))
    assert [stored for _, stored in results] == [True] * 5
    expected = outcome(alone)
    assert outcome(together) == expected
    rows, answers = expected
    assert [r[2] for r in rows] == ["accepted", "accepted", "accepted", "accepted", "needs_review"]
    assert rows[-1][4]  # the fall against the day before, found in the batch's own history
    assert len([a for a in answers if NAM_SACH[0] in a[1]]) == 3  # the limit of 3 answers a day held
    assert "17.100" in answers[3][2] and "17.200" in answers[3][2]  # the correction names what it replaces


def test_a_message_already_stored_is_a_duplicate_in_a_batch_too(two_stores):
    settings = settings_of()
    _, store = two_stores
    now = datetime(2020, 8, 14, 10, tzinfo=settings.campaign.tz)
    sent = mails(settings)
    batches.ingest_batch(settings, store, sent[:2], now, batches.Answers(store))
    again = batches.ingest_batch(settings, store, sent[:3], now, batches.Answers(store))
    assert [stored for _, stored in again] == [False, False, True]
    assert store.counts()["submissions"] == 3 and store.counts()["outbox"] == 3
