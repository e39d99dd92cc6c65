"""The outbox delivers over a real SMTP server on loopback, and loses nothing."""

from __future__ import annotations

import base64
import logging
import os
import re
import subprocess
import sys
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from urllib.parse import quote

import pytest
from fixtures_smtp import SMTP_PASSWORD, SMTP_USER, STALL, counting_server, free_port
from talking_days import DAY, day_reading, local, shipped_settings, unit_sender

from mailbot import compose, i18n, outbox, report
from mailbot.errors import DeliveryError
from mailbot.models import Reading
from mailbot.store import Store


def settings_for(url: str):
    settings = shipped_settings()
    return replace(settings, connections=replace(settings.connections, smtp_url=url))


def reminder_for(settings, unit_id: str):
    return compose.reminder(settings, settings.unit(unit_id), DAY, local(settings, DAY, 15, 0))


def utcnow() -> datetime:
    return datetime.now(UTC)


@pytest.fixture
def store(sqlite_url):
    opened = Store.open(sqlite_url)
    yield opened
    opened.close()


@pytest.fixture(params=["plain", "pipelining"])
def smtp_server(request):
    """Every delivery test here runs against a server without PIPELINING and one with it: the same replies are
    judged alike either way. The first reads one command at a time, the second each envelope in one read."""
    controller, server = counting_server(pipelining=request.param == "pipelining")
    try:
        yield server
    finally:
        controller.stop()
    assert all(server.envelopes()) if request.param == "pipelining" else not any(server.envelopes())


def test_a_server_that_offers_pipelining_reads_each_envelope_in_one_write(store, smtp_pipelining_server):
    """MAIL FROM, RCPT TO and DATA of each message arrive together, and right behind the end of the message
    before: one round trip a message instead of four (over the one connection ?connections=1 allows)."""
    settings = settings_for(f"{smtp_pipelining_server.url}&connections=1")
    mails = [reminder_for(settings, unit) for unit in ("thanh-mien", "gia-loc", "tu-ky")]
    store.queue(mails)

    assert outbox.deliver_due(store, settings, utcnow()).sent == 3

    assert smtp_pipelining_server.envelopes() == [True, True, True]
    assert smtp_pipelining_server.behind_data() == [False, True, True]
    assert smtp_pipelining_server.handler.connections == 1
    received = {m.message["Message-ID"]: m for m in smtp_pipelining_server.messages}
    assert set(received) == {m.message_id for m in mails}
    assert received[mails[0].message_id].data.rstrip(b"\r\n") == mails[0].raw.rstrip(b"\r\n")


def test_a_pipelined_message_keeps_its_leading_dots(store, smtp_pipelining_server):
    """DATA doubles a line's leading dot and the server takes it off again: the mail arrives as it was queued."""
    settings = settings_for(smtp_pipelining_server.url)
    mail = reminder_for(settings, "thanh-mien")
    dotted = replace(mail, raw=mail.raw.rstrip(b"\r\n") + b"\r\n.\r\n..two\r\n.end")
    store.queue([dotted])

    assert outbox.deliver_due(store, settings, utcnow()).sent == 1
    [arrived] = smtp_pipelining_server.messages
    assert arrived.data.rstrip(b"\r\n") == dotted.raw


def test_queued_mail_is_delivered_once_over_one_connection(store, smtp_server):
    settings = settings_for(smtp_server.url)
    mails = [reminder_for(settings, "thanh-mien"), reminder_for(settings, "gia-loc")]
    store.queue(mails)

    result = outbox.deliver_due(store, settings, utcnow())

    assert (result.sent, result.retried, result.held) == (2, 0, 0)
    assert smtp_server.handler.connections == 1
    received = {m.message["Message-ID"]: m for m in smtp_server.messages}
    assert set(received) == {m.message_id for m in mails}
    assert received[mails[0].message_id].rcpt_tos == ("vanphong.thanhmien@haiduong.gov.vn",)
    assert received[mails[0].message_id].mail_from == "baocao.stttt@haiduong.gov.vn"
    assert store.outbox_counts()["sent"] == 2
    assert outbox.deliver_due(store, settings, utcnow()).sent == 0
    assert len(smtp_server.messages) == 2


def test_a_451_is_retried_later_with_the_same_bytes(store, smtp_server):
    settings = settings_for(smtp_server.url)
    mail = reminder_for(settings, "thanh-mien")
    store.queue([mail])
    smtp_server.handler.answer_next("451 4.3.0 try again later")

    first = outbox.deliver_due(store, settings, utcnow())
    assert (first.sent, first.retried) == (0, 1)
    pending = store.mail("pending")
    assert len(pending) == 1 and "451" in pending[0].last_error
    assert outbox.deliver_due(store, settings, utcnow()).sent == 0  # backing off

    second = outbox.deliver_due(store, settings, utcnow() + timedelta(minutes=2))
    assert second.sent == 1
    [arrived] = smtp_server.messages
    assert arrived.message["Message-ID"] == mail.message_id
    assert arrived.data.rstrip(b"\r\n") == mail.raw.rstrip(b"\r\n")


def test_a_550_is_held_until_someone_releases_it(store, smtp_server):
    settings = settings_for(smtp_server.url)
    store.queue([reminder_for(settings, "thanh-mien")])
    smtp_server.handler.answer_next("550 5.7.1 message refused")

    result = outbox.deliver_due(store, settings, utcnow())
    assert (result.sent, result.held) == (0, 1)
    [held] = store.held_mail()
    assert "550" in held.last_error
    assert outbox.deliver_due(store, settings, utcnow() + timedelta(days=1)).sent == 0

    assert store.release_held([held.id]) == 1
    assert outbox.deliver_due(store, settings, utcnow()).sent == 1
    assert [m.message["Message-ID"] for m in smtp_server.messages] == [held.message_id]


@pytest.mark.parametrize(
    "reply, state, connections",
    [
        ("451 4.3.0 not now", "pending", 1),
        ("550 5.7.1 message refused", "held", 1),
        ("421 4.3.2 closing", "pending", 2),
    ],
)
def test_a_mail_refused_at_the_end_of_its_data_leaves_the_next_ones_whole(
    store, smtp_server, reply, state, connections
):
    """The server refuses the first mail once it has its data, when the next mail's commands may be out
    already: the first waits or is held, the others arrive byte for byte (nothing of a reset in them), on
    the same connections unless the server closed one (a pipelining server gets a second one for its turn)."""
    settings = settings_for(smtp_server.url)
    mails = [reminder_for(settings, unit) for unit in ("thanh-mien", "gia-loc", "tu-ky")]
    store.queue(mails)
    smtp_server.handler.answer_next(reply)

    result = outbox.deliver_due(store, settings, utcnow())

    assert result.sent == 2 and (result.retried, result.held) == ((1, 0) if state == "pending" else (0, 1))
    [refused] = store.mail(state)
    assert refused.message_id == mails[0].message_id and reply.split()[0] in refused.last_error
    arrived = {m.message["Message-ID"]: m.data.rstrip(b"\r\n") for m in smtp_server.messages}
    assert arrived == {m.message_id: m.raw.rstrip(b"\r\n") for m in mails[1:]}
    assert smtp_server.handler.connections == connections + smtp_server.pipelining


def test_a_refused_recipient_is_held_and_others_still_go(store, smtp_server):
    settings = settings_for(smtp_server.url)
    store.queue([reminder_for(settings, "thanh-mien"), reminder_for(settings, "gia-loc")])
    smtp_server.handler.refused["vanphong.thanhmien@haiduong.gov.vn"] = "550 5.1.1 no such mailbox"

    result = outbox.deliver_due(store, settings, utcnow())

    assert (result.sent, result.held) == (1, 1)
    [held] = store.held_mail()
    assert held.recipients == ("vanphong.thanhmien@haiduong.gov.vn",) and "no such mailbox" in held.last_error
    assert [m.rcpt_tos for m in smtp_server.messages] == [("vanphong.gialoc@haiduong.gov.vn",)]


def test_a_refused_data_command_is_retried_and_the_next_mail_still_goes(store, smtp_server):
    """The DATA command itself refused (before any content): that mail waits, the next one goes on the same
    connection, its replies read in step."""
    settings = settings_for(smtp_server.url)
    first, second = reminder_for(settings, "thanh-mien"), reminder_for(settings, "gia-loc")
    store.queue([first, second])
    smtp_server.handler.data_command_replies.append("451 4.3.0 not now")

    result = outbox.deliver_due(store, settings, utcnow())

    assert (result.sent, result.retried) == (1, 1)
    [waiting] = store.mail("pending")
    assert waiting.message_id == first.message_id and "451 4.3.0 not now" in waiting.last_error
    assert [m.message["Message-ID"] for m in smtp_server.messages] == [second.message_id]
    assert smtp_server.handler.connections == 1 + smtp_server.pipelining  # the second one takes its turn


@pytest.mark.parametrize("reply, waits", [("451 4.3.2 not now", True), ("553 5.7.1 sender not allowed", False)])
def test_a_refused_sender_leaves_that_mail_to_wait_or_be_held_and_the_next_mail_still_goes(
    store, smtp_server, reply, waits
):
    """MAIL FROM refused: that mail is retried (4xx) or held for a person (5xx), none of its content reaches the
    server (pipelined, RCPT TO and DATA were sent with it and are refused too), and the next mail goes on the same
    connection."""
    settings = settings_for(smtp_server.url)
    first, second = reminder_for(settings, "thanh-mien"), reminder_for(settings, "gia-loc")
    store.queue([first, second])
    smtp_server.handler.sender_replies.append(reply)

    result = outbox.deliver_due(store, settings, utcnow())

    assert (result.sent, result.retried, result.held) == ((1, 1, 0) if waits else (1, 0, 1))
    [left] = store.mail("pending") if waits else store.held_mail()
    assert left.message_id == first.message_id and reply in left.last_error
    assert [m.message["Message-ID"] for m in smtp_server.messages] == [second.message_id]
    assert smtp_server.handler.connections == 1 + smtp_server.pipelining  # the second one takes its turn


def two_recipients(settings):
    """One mail for two units' offices, as the consolidated report goes to several people."""
    return replace(
        reminder_for(settings, "thanh-mien"),
        recipients=("vanphong.thanhmien@haiduong.gov.vn", "vanphong.gialoc@haiduong.gov.vn"),
    )


def test_every_recipient_refused_for_now_is_retried_later(store, smtp_server):
    settings = settings_for(smtp_server.url)
    store.queue([two_recipients(settings)])
    smtp_server.handler.refused["vanphong.thanhmien@haiduong.gov.vn"] = "451 4.2.1 mailbox busy"
    smtp_server.handler.refused["vanphong.gialoc@haiduong.gov.vn"] = "452 4.2.2 over quota for now"

    first = outbox.deliver_due(store, settings, utcnow())
    assert (first.sent, first.retried, first.held) == (0, 1, 0)
    [waiting] = store.mail("pending")
    assert "451 4.2.1" in waiting.last_error and "452 4.2.2" in waiting.last_error

    smtp_server.handler.refused.clear()
    second = outbox.deliver_due(store, settings, utcnow() + timedelta(minutes=2))
    assert second.sent == 1
    assert [sorted(m.rcpt_tos) for m in smtp_server.messages] == [
        ["vanphong.gialoc@haiduong.gov.vn", "vanphong.thanhmien@haiduong.gov.vn"]
    ]


def test_every_recipient_refused_with_mixed_4xx_and_5xx_is_held_naming_each_reply(store, smtp_server):
    """A permanent refusal needs a person (a wrong address); retrying the whole mail would never fix it."""
    settings = settings_for(smtp_server.url)
    store.queue([two_recipients(settings)])
    smtp_server.handler.refused["vanphong.thanhmien@haiduong.gov.vn"] = "451 4.2.1 mailbox busy"
    smtp_server.handler.refused["vanphong.gialoc@haiduong.gov.vn"] = "550 5.1.1 no such mailbox"

    result = outbox.deliver_due(store, settings, utcnow())

    assert (result.sent, result.retried, result.held) == (0, 0, 1)
    assert store.mail("pending") == [] and smtp_server.messages == []
    [held] = store.held_mail()
    assert "vanphong.thanhmien@haiduong.gov.vn: 451 4.2.1 mailbox busy" in held.last_error
    assert "vanphong.gialoc@haiduong.gov.vn: 550 5.1.1 no such mailbox" in held.last_error
    assert outbox.deliver_due(store, settings, utcnow() + timedelta(hours=2)).handled == 0  # held, not retried


WRONG_PASSWORD = "Sen-h0ng/14#8"  # needs percent-encoding in a URL, like a real one


def secret_forms(password: str, user: str) -> list[str]:
    """The password as typed, as a URL carries it, and as AUTH LOGIN / AUTH PLAIN send it."""
    return [
        password,
        quote(password, safe=""),
        base64.b64encode(password.encode()).decode(),
        base64.b64encode(f"\0{user}\0{password}".encode()).decode(),
    ]


def test_a_server_reply_that_echoes_the_password_never_carries_it_on(
    store, sqlite_url, smtp_echoing_server, caplog, tmp_path
):
    url = f"smtp://{quote(SMTP_USER, safe='')}:{quote(WRONG_PASSWORD, safe='')}@127.0.0.1:{smtp_echoing_server.port}"
    settings = settings_for(f"{url}?timeout=2")
    store.queue([reminder_for(settings, "thanh-mien")])

    with caplog.at_level(logging.DEBUG), pytest.raises(DeliveryError) as caught:
        outbox.deliver_due(store, settings, utcnow())

    echoed = " ".join(smtp_echoing_server.handler.echoed)
    assert all(form in echoed for form in secret_forms(WRONG_PASSWORD, SMTP_USER)[::3])  # it did echo it
    [waiting] = store.mail("pending")
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAILBOT_")} | {
        "MAILBOT_SMTP_URL": f"{url}?timeout=2",
        "MAILBOT_INBOX_URL": f"maildir://{tmp_path / 'inbox'}",
        "MAILBOT_DB_URL": sqlite_url,
    }
    for sub in ("new", "cur", "tmp"):
        (tmp_path / "inbox" / sub).mkdir(parents=True)

    def mailbot(*args):
        return subprocess.run(
            [sys.executable, "-m", "mailbot", *args], capture_output=True, text=True, env=env, cwd=tmp_path
        )

    checked, listed, status = mailbot("check-config", "--connect"), mailbot("outbox", "list"), mailbot("status")
    [smtp_line] = [line for line in checked.stdout.splitlines() if line.startswith("Máy chủ gửi thư smtp://")]
    assert checked.returncode == 1 and "KHÔNG kết nối được" in smtp_line and "535" in smtp_line
    assert listed.returncode == 0 and status.returncode == 0, listed.stderr + status.stderr
    said = {
        "the error": f"{caught.value.message} {caught.value.hint}",
        "the outbox row": waiting.last_error,
        "mailbot's log": "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("mailbot")),
        "check-config --connect": checked.stdout + checked.stderr,
        "mailbot outbox list": listed.stdout + listed.stderr,
        "mailbot status": status.stdout + status.stderr,
    }
    for where, words in said.items():
        assert "535" in words or where == "mailbot status", where
        for form in secret_forms(WRONG_PASSWORD, SMTP_USER):
            assert form not in words, f"{where} shows the password as {form!r}"


def test_a_timeout_is_retried_and_the_mail_arrives_once(store, smtp_server):
    settings = settings_for(smtp_server.url)
    mail = reminder_for(settings, "thanh-mien")
    store.queue([mail])
    smtp_server.handler.answer_next(STALL)

    first = outbox.deliver_due(store, settings, utcnow())
    assert (first.sent, first.retried) == (0, 1)
    assert smtp_server.messages == []

    second = outbox.deliver_due(store, settings, utcnow() + timedelta(minutes=2))
    assert second.sent == 1
    assert [m.message["Message-ID"] for m in smtp_server.messages] == [mail.message_id]


def test_a_crash_between_queueing_and_sending_loses_and_doubles_nothing(sqlite_url, smtp_server):
    settings = settings_for(smtp_server.url)
    before_crash = Store.open(sqlite_url)
    before_crash.queue([reminder_for(settings, "thanh-mien")])
    before_crash.queue([reminder_for(settings, "thanh-mien")])  # the same event again: idempotent
    del before_crash  # the process dies without closing anything

    for _ in range(2):  # the restarted service delivers, and later delivers again
        after = Store.open(sqlite_url)
        outbox.deliver_due(after, settings, utcnow())
        after.close()

    assert len(smtp_server.messages) == 1


def test_a_mail_claimed_by_a_crashed_sender_goes_out_after_its_lease(sqlite_url, smtp_server):
    settings = settings_for(smtp_server.url)
    crashed = Store.open(sqlite_url)
    crashed.queue([reminder_for(settings, "thanh-mien")])
    assert len(crashed.claim_due(utcnow())) == 1  # claimed, then the process died before sending

    restarted = Store.open(sqlite_url)
    assert outbox.deliver_due(restarted, settings, utcnow()).sent == 0  # another sender may still be at it
    assert outbox.deliver_due(restarted, settings, utcnow() + timedelta(minutes=30)).sent == 1
    restarted.close()
    assert len(smtp_server.messages) == 1


def test_an_unreachable_server_is_one_clear_error_and_the_mail_waits(store):
    port = free_port()
    settings = settings_for(f"smtp://127.0.0.1:{port}?timeout=1")
    store.queue([reminder_for(settings, "thanh-mien")])

    with pytest.raises(DeliveryError) as caught:
        outbox.deliver_due(store, settings, utcnow())

    said = f"Không kết nối được tới máy chủ thư smtp://127.0.0.1:{port}?timeout=1: "
    assert caught.value.message.startswith(said) and "\n" not in str(caught.value)
    assert "MAILBOT_SMTP_URL" in caught.value.hint
    [waiting] = store.mail("pending")
    assert waiting.attempts == 1 and waiting.last_error.startswith(said)


def test_delivery_errors_follow_the_language_setting(store):
    port = free_port()
    settings = replace(settings_for(f"smtp://127.0.0.1:{port}?timeout=1"), language="en")
    store.queue([reminder_for(settings, "thanh-mien")])

    with pytest.raises(DeliveryError) as caught:
        outbox.deliver_due(store, settings, utcnow())

    assert caught.value.message.startswith(f"the mail server smtp://127.0.0.1:{port}?timeout=1 cannot be reached: ")
    assert caught.value.hint.startswith("check MAILBOT_SMTP_URL and that the server is running")


def test_tls_checks_the_certificate_and_delivers(store, smtp_tls_server, monkeypatch):
    monkeypatch.setenv("SSL_CERT_FILE", str(smtp_tls_server.ca_file))  # the test authority is trusted
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    secret = f"{quote(SMTP_USER, safe='')}:{quote(SMTP_PASSWORD, safe='')}"
    settings = settings_for(f"{smtp_tls_server.scheme}://{secret}@127.0.0.1:{smtp_tls_server.port}?timeout=2")
    store.queue([reminder_for(settings, "thanh-mien")])

    assert outbox.deliver_due(store, settings, utcnow()).sent == 1
    assert smtp_tls_server.handler.logins == [SMTP_USER]
    assert len(smtp_tls_server.messages) == 1


def test_tls_refuses_an_untrusted_certificate(store, smtp_tls_server, monkeypatch):
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    settings = settings_for(f"{smtp_tls_server.scheme}://127.0.0.1:{smtp_tls_server.port}?timeout=2")
    store.queue([reminder_for(settings, "thanh-mien")])

    with pytest.raises(DeliveryError) as caught:
        outbox.deliver_due(store, settings, utcnow())

    assert "TLS" in caught.value.message and "CERTIFICATE_VERIFY_FAILED" in caught.value.message
    assert smtp_tls_server.messages == []
    assert store.outbox_counts()["pending"] == 1


def test_a_login_the_server_does_not_offer_is_one_clear_error(store, smtp_server):
    secret = f"{quote(SMTP_USER, safe='')}:{quote(SMTP_PASSWORD, safe='')}"
    settings = settings_for(f"smtp://{secret}@127.0.0.1:{smtp_server.port}?timeout=2")
    store.queue([reminder_for(settings, "thanh-mien")])

    with pytest.raises(DeliveryError) as caught:
        outbox.deliver_due(store, settings, utcnow())

    assert caught.value.message.startswith(
        f"Máy chủ thư smtp://{quote(SMTP_USER, safe='')}:***@127.0.0.1:{smtp_server.port}"
    )
    assert "không hỗ trợ chức năng mà mailbot cần" in caught.value.message and SMTP_PASSWORD not in str(caught.value)
    assert smtp_server.messages == [] and store.outbox_counts()["pending"] == 1


def test_file_delivery_writes_one_eml_per_message(store, tmp_path):
    folder = tmp_path / "outbox"
    settings = settings_for(f"file://{folder}")
    mails = [reminder_for(settings, "thanh-mien"), reminder_for(settings, "gia-loc")]
    store.queue(mails)

    assert outbox.deliver_due(store, settings, utcnow()).sent == 2

    files = sorted(folder.iterdir())
    assert [f.suffix for f in files] == [".eml", ".eml"]
    ids = {str(message_from_bytes(f.read_bytes(), policy=policy.default)["Message-ID"]) for f in files}
    assert ids == {m.message_id for m in mails}
    assert {f.read_bytes() for f in files} == {m.raw for m in mails}


def test_the_file_url_forms(tmp_path):
    assert outbox.file_url_path("file:///var/outbox").as_posix() == "/var/outbox"
    assert outbox.file_url_path("file://./var/outbox").as_posix() == "var/outbox"
    assert outbox.file_url_path("file://localhost/srv/out%20box").as_posix() == "/srv/out box"


def test_backoff_doubles_up_to_an_hour():
    start = datetime(2020, 8, 14, 9, 0, tzinfo=UTC)
    delays = [outbox.next_attempt(n, start) - start for n in (1, 2, 3, 4, 10)]
    assert delays == [
        timedelta(minutes=1),
        timedelta(minutes=2),
        timedelta(minutes=4),
        timedelta(minutes=8),
        timedelta(hours=1),
    ]


LONG_SUBJECT = (
    "Báo cáo số lượng cài đặt ứng dụng Bluezone trên địa bàn huyện ngày 14/8/2020 "
    "(kèm theo bảng tổng hợp của các xã, thị trấn; số liệu đã được Ủy ban nhân dân huyện kiểm tra)"
)


THANH_HA_SENDER = unit_sender("thanh-ha")


def thanh_ha_reading(settings, message_id: str, subject: str) -> Reading:
    """Thanh Hà's accepted report of DAY, received at 09:15, under `subject`."""
    return day_reading(
        settings,
        "thanh-ha",
        18731,
        message_id=message_id,
        received_at=local(settings, DAY, 9, 15),
        subject=subject,
        references=(),
    )


def test_a_long_vietnamese_subject_arrives_exactly_and_the_mail_is_well_formed(store, smtp_server):
    settings = settings_for(smtp_server.url)
    reading = thanh_ha_reading(settings, "<long@haiduong.gov.vn>", LONG_SUBJECT)
    mail = compose.acknowledgement(settings, reading, replaced=None, now=local(settings, DAY, 9, 16))
    store.queue([mail])

    assert outbox.deliver_due(store, settings, utcnow()).sent == 1

    [arrived] = smtp_server.messages
    message = arrived.message
    assert message["Subject"] == f"Re: {LONG_SUBJECT}"
    assert message["From"].addresses[0].display_name == i18n.text("mail.from_name", "vi")
    assert message["From"].addresses[0].addr_spec == "baocao.stttt@haiduong.gov.vn"
    expected_body = report.render_template("ack.txt.j2", "vi", **compose.ack_context(settings, reading, None))
    assert message.get_body(("plain",)).get_content() == expected_body
    header_block = arrived.data.split(b"\r\n\r\n", 1)[0]
    assert max(len(line) for line in header_block.split(b"\r\n")) <= 78  # folded as RFC 5322 asks
    assert header_block.isascii()  # non-ASCII text only as RFC 2047 encoded words
    assert all(len(word) <= 75 for word in re.findall(rb"=\?utf-8\?[bq]\?[^?]*\?=", header_block, re.IGNORECASE))


def test_text_from_a_sender_cannot_add_headers(store, smtp_server):
    settings = settings_for(smtp_server.url)
    reading = thanh_ha_reading(settings, "<inject@haiduong.gov.vn>", "Báo cáo\r\nBcc: x@example.org")
    store.queue([compose.acknowledgement(settings, reading, replaced=None, now=local(settings, DAY, 9, 16))])

    assert outbox.deliver_due(store, settings, utcnow()).sent == 1
    [arrived] = smtp_server.messages
    assert arrived.message["Bcc"] is None and arrived.rcpt_tos == (THANH_HA_SENDER,)
    assert arrived.message["Subject"] == "Re: Báo cáo Bcc: x@example[.]org"  # and no link made of it
