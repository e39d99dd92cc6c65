"""Who mailbot answers, and what of a sender's own words an answer may repeat.

An acknowledgement is a mail from the province's official mailbox to whatever
address a message claims to come from: answered blindly, that is a relay for
anyone who forges a sender. So mailbot answers

- never a robot, a bounce or itself, nor an address it cannot write as it is;
- never a message the trusted server failed (sender_not_authenticated);
- a registered sender always; an unregistered one only when the trusted server
  authenticated its domain or the domain is one of `campaign.reply_domains` (the
  reporting mailbox's own by default);
- at most `limits.replies_per_day` times in 24 hours one address.

Whatever a reply quotes of the sender (the subject, file names) is shortened and
written so that no mail program makes a link of it (`quoted`).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Protocol

from mailbot.config import Settings
from mailbot.models import SENDER_NOT_AUTHENTICATED, Problem, Reading
from mailbot.reading.mail import is_plain_address, is_robot_local_part

log = logging.getLogger(__name__)

REPLY_WINDOW = timedelta(hours=24)
QUOTE_LENGTH = 200  # characters of a sender's subject a reply repeats
# What a mail program turns into a link: a scheme, "www.", or a dotted host name.
SCHEME = re.compile(r"(?i)\b([a-z][a-z0-9+.-]{1,15}://|(?:mailto|javascript|data|tel|sms|file):)")
# A dot between a name and a word of letters ("evil.com"; not "17.356", not a spreadsheet's extension).
DOTTED = re.compile(r"(?i)(?<=[a-z0-9])\.(?!(?:xlsx|xlsm|xlsb|xls|ods|csv|pdf|docx|doc)\b)(?=[a-z][a-z0-9-]+\b)")


class AnswersSent(Protocol):
    """What the limit on answers needs of the store (mailbot.store.Store is one)."""

    def replies_since(self, address: str, since: datetime) -> int: ...


def may_answer(settings: Settings, reading: Reading, store: AnswersSent, now: datetime) -> bool:
    """Whether this reading's sender gets an acknowledgement (see the module's docstring)."""
    reason = refusal(settings, reading)
    to = reading.reply_to  # never None when there is no refusal
    if (
        reason is None
        and to is not None
        and store.replies_since(to, now - REPLY_WINDOW) >= settings.limits.replies_per_day
    ):
        reason = f"already answered {settings.limits.replies_per_day} times in 24 hours"
    if reason is not None:
        log.info("no acknowledgement for %s to %s: %s", reading.message_id, reading.reply_to, reason)
        return False
    return True


def notice_refusal(settings: Settings, to: str | None, problems: Iterable[Problem]) -> str | None:
    """Why an address is never written to (a person's decision may still be told to anyone else)."""
    if not to or not is_plain_address(to):
        return "no address that can be answered"
    local = to.lower().partition("@")[0]
    if to.lower() in {settings.campaign.reporting_mailbox, *settings.campaign.report_to} or is_robot_local_part(local):
        return "a robot or mailbot itself"
    if any(p.code == SENDER_NOT_AUTHENTICATED for p in problems):
        return "the trusted server failed the sender"
    return None


def refusal(settings: Settings, reading: Reading) -> str | None:
    """Why the sender of `reading` is not answered, or None if it may be."""
    to = reading.reply_to
    never = notice_refusal(settings, to, reading.problems)
    if never is not None or to is None:
        return never
    domain = to.lower().partition("@")[2]
    if settings.unit_of_sender(to) is not None:
        return None
    if reading.sender_verified or domain in settings.campaign.reply_domains:
        return None
    return "an unregistered sender neither authenticated nor of a configured domain"


def quoted(text: str | None, length: int = QUOTE_LENGTH) -> str:
    """A sender's words as a reply may repeat them: shortened, and no link for a mail program to make."""
    if not text:
        return ""
    text = " ".join(text.split())
    if len(text) > length:
        text = text[: length - 1].rstrip() + "…"
    return defanged(text)


def defanged(text: str) -> str:
    """`text` with every scheme and dotted host name broken up ("http[:]//evil[.]com").

    Each pattern is searched only where its character occurs: most subjects and problems have none."""
    if ":" in text:
        text = SCHEME.sub(lambda m: m.group(1).replace(":", "[:]", 1), text)
    return DOTTED.sub("[.]", text) if "." in text else text
