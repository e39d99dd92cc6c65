"""Each mail is the bytes the standard compat32 serializer makes of it, though its headers are folded once.

compose folds a header line once (the day's subject, From, To), writes a line that
needs no folding as it is, and folds the rest as compat32 does; its encoded words
break where the standard charset's break, and a mail of one text part is written
without an email.mime tree: a test compares each way with the standard library's own
on the same mails, header values and strings.
"""

from __future__ import annotations

import random
from dataclasses import replace
from email.charset import Charset
from email.header import Header
from email.mime.text import MIMEText
from email.policy import Compat32

import pytest
from talking_days import DAY, NAM_SACH_SENDER, local, nam_sach_reading, shipped_settings

from mailbot import compose, mail_bytes
from mailbot.models import OUTLIER_JUMP, Problem, Reading

STANDARD = Compat32(linesep="\r\n", max_line_length=76)

VALUES = [
    "",
    "x",
    "<1f2e3d4c5b6a79880a1b2c3d.ack@haiduong.gov.vn>",
    "<" + "a" * 70 + "@haiduong.gov.vn>",  # longer than a line, without a space to fold at
    "a" * 60,
    "a" * 61,
    "b" * 62,
    "=?utf-8?b?VsSDbiBwaMOybmc=?=",
    "one two  three\tfour",
    " leading space",
    "<r0@haiduong.gov.vn> <r1@haiduong.gov.vn> <r2@haiduong.gov.vn> <r3@haiduong.gov.vn>",
    "Re: Báo cáo Bluezone ngày 14/8/2020",
    "Mon, 14 Aug 2020 15:43:00 +0700",
    "vanphong.namsach@haiduong.gov.vn",
    'text/plain; charset="utf-8"',
    "tab\there",
    "Văn.Phòng@haiduong.gov.vn",
]


@pytest.mark.parametrize("name", ["To", "Message-ID", "References", "X-Auto-Response-Suppress"])
def test_each_header_value_is_folded_as_compat32_folds_it(name):
    for value in VALUES + [v * 3 for v in VALUES]:
        for _ in range(2):  # the second time from the cache
            assert compose.SMTP_POLICY.fold_binary(name, value) == STANDARD.fold_binary(name, value), value
            made = compose.header_text(value, name)
            standard = made if isinstance(made, str) else Header(made.text, "utf-8", header_name=name)
            assert compose.SMTP_POLICY.fold_binary(name, made) == STANDARD.fold_binary(name, standard), value


def readings(settings) -> list[Reading]:
    base = nam_sach_reading(settings)
    long_subject = "Báo cáo số liệu cài đặt Bluezone của các xã, phường, thị trấn trên địa bàn huyện " * 3
    return [
        base,
        replace(base, subject="Bao cao ngay 14/8/2020", references=()),
        replace(base, subject=long_subject, late=True, message_id="<" + "m" * 80 + "@haiduong.gov.vn>"),
        replace(base, subject=None, references=tuple(f"<r{n}@haiduong.gov.vn>" for n in range(30))),
        replace(base, problems=(Problem(OUTLIER_JUMP, "Số liệu tăng gấp 10 lần so với hôm trước"),)),
        replace(base, unit=None, figures={}, subject="  Re:  Fwd: báo cáo\r\nBcc: x@y.vn "),
    ]


def test_every_acknowledgement_is_the_bytes_the_standard_serializer_makes(monkeypatch):
    settings = shipped_settings()
    now = local(settings, DAY, 15, 43)

    def composed() -> list[bytes]:
        mails = [
            compose.acknowledgement(settings, r, replaced=None, now=now, key_basis=f"{n:064x}")
            for n, r in enumerate(readings(settings))
        ]
        return [mail.raw for mail in mails if mail is not None]

    ours = composed() + composed()  # the second time, every header from the cache
    monkeypatch.setattr(compose, "SMTP_POLICY", STANDARD)
    monkeypatch.setattr(compose, "header_text", standard_header_text)
    monkeypatch.setattr(compose, "text_outbound", standard_text_outbound)
    standard = composed()
    assert len(standard) == 6 and ours == standard + standard


def standard_header_text(value: str, name: str) -> str | Header:
    value = compose.one_line(value)
    return value if value.isascii() else Header(value, "utf-8", header_name=name)


def standard_text_outbound(key, kind, recipients, headers, body, campaign):
    """The mail as an email.mime text part with the headers, serialized by the standard generator."""
    message = MIMEText(body, "plain", "utf-8")
    for name, value in headers:
        message[name] = value
    return compose.outbound(key, kind, recipients, message, campaign)


WORDS = "Báo cáo số liệu cài đặt Bluezone huyện Nam Sách ngày 14/8/2020 Hải Dương Đông Thị xã 📊 Re: a b".split()


def strings(count: int) -> list[str]:
    """Header texts of every kind: Vietnamese, mostly ASCII, characters outside the BMP, long and short."""
    rng = random.Random(2047)
    made = ["", "x", "đ", "📊" * 40, "a" * 200 + "đ", "Re: Bao cao ngay 14/8/2020 - đã sửa"]
    for _ in range(count):
        made.append(" ".join(rng.choice(WORDS) for _ in range(rng.randrange(1, 40))))
    return made


def test_encoded_words_break_where_the_standard_charsets_break():
    standard = Charset("utf-8")
    for text in strings(400):
        for first in (1, 5, 20, 40, 64, 70, 76, 120):
            for rest in (20, 70, 76):

                def lengths(first=first, rest=rest):
                    yield first
                    while True:
                        yield rest

                expected = standard.header_encode_lines(text, lengths())
                assert mail_bytes.UTF8_WORDS.header_encode_lines(text, lengths()) == expected, (text, first, rest)


@pytest.mark.parametrize("name", ["Subject", "From", "X-A-Rather-Long-Header-Name-Indeed"])
def test_a_header_text_folds_as_the_standard_header_folds(name):
    for text in strings(150):
        assert mail_bytes.folded_text(compose.SMTP_POLICY, name, text) == STANDARD.fold_binary(
            name,
            Header(text, "utf-8", header_name=name),  # type: ignore[arg-type]
        ), text


def test_a_text_mail_is_the_bytes_the_standard_generator_makes_of_its_mime_part():
    rng = random.Random(822)
    bodies = ["", "x", "Kính gửi: UBND huyện Nam Sách\n", "đ" * 5000, "dòng\r\ndòng\rdòng\n\n", "a" * 57, "b" * 58]
    bodies += [" ".join(rng.choice(WORDS) for _ in range(rng.randrange(1, 600))) for _ in range(30)]
    for number, body in enumerate(bodies):
        headers: compose.Headers = [
            ("To", NAM_SACH_SENDER),
            ("Subject", compose.header_text(" ".join(WORDS[:number]), "Subject")),
        ]
        headers += [("References", " ".join(f"<r{n}@haiduong.gov.vn>" for n in range(number))), ("X-Empty", "")]
        for subtype in ("plain", "html"):
            message = MIMEText(body, subtype, "utf-8")
            for name, value in headers:
                message[name] = value  # type: ignore[assignment]
            expected = message.as_bytes(policy=STANDARD)
            assert mail_bytes.text_mail(compose.SMTP_POLICY, headers, body, subtype) == expected, body


def test_the_days_subject_is_folded_once_for_every_acknowledgement():
    settings = shipped_settings()
    now = local(settings, DAY, 15, 43)
    mail_bytes.folded_text.cache_clear()
    for number, reading in enumerate(readings(settings)[:1] * 5):
        compose.acknowledgement(settings, reading, replaced=None, now=now, key_basis=f"{number:064x}")
    info = mail_bytes.folded_text.cache_info()
    assert (info.misses, info.hits) == (1, 4)
