"""Helpers for the inbox tests: settings for a given inbox URL, and report mails."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from mailbot.config import load_settings

VN = dt.timezone(dt.timedelta(hours=7))


def make_settings(inbox_url: str, password: str | None = None, language: str = "vi", **inbox):
    """The shipped campaign with the given inbox; `max_message_bytes` goes to limits, the rest to [inbox]."""
    env = {"MAILBOT_INBOX_URL": inbox_url}
    if password is not None:
        env["MAILBOT_INBOX_PASSWORD"] = password
    settings = load_settings(env=env)
    limits = settings.limits
    if "max_message_bytes" in inbox:
        limits = replace(limits, max_message_bytes=inbox.pop("max_message_bytes"))
    inbox.setdefault("timeout_seconds", 10.0)
    return replace(settings, limits=limits, inbox=replace(settings.inbox, **inbox), language=language)


def report_mail(
    subject: str,
    date: dt.datetime | None = None,
    body: str = "Số liệu kèm theo.",
    sender: str = "vanphong.namsach@haiduong.gov.vn",
) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "baocao.stttt@haiduong.gov.vn"
    message["Subject"] = subject
    message["Date"] = format_datetime(date or dt.datetime(2020, 8, 14, 15, 0, tzinfo=VN))
    message["Message-ID"] = make_msgid(domain="haiduong.gov.vn")
    message.set_content(body)
    return message.as_bytes(policy=message.policy.clone(linesep="\r\n"))


AT_1520 = dt.datetime(2020, 8, 14, 15, 20, tzinfo=VN)
