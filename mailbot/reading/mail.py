"""A raw message -> the facts reading needs: sender, times, attachments, robot signs.

Every header is read defensively: real mail has broken encodings, missing
headers and odd MIME, and none of that may stop the reading.
"""

from __future__ import annotations

import email
import email.policy
import logging
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from email.message import Message
from email.utils import getaddresses, parsedate_to_datetime

log = logging.getLogger(__name__)

MAX_DEPTH = 5
ROBOT_LOCALPARTS = re.compile(
    r"^(mailer-daemon|postmaster|no[-_.]?reply|do[-_.]?not[-_.]?reply|bounces?|mail-daemon|daemon)([-+_.].*)?$"
)
MESSAGE_ID = re.compile(r"<[^<>\s]+>")
ANGLE_ADDRESS = re.compile(r"<\s*([^<>@\s]+@[^<>@\s]+?)\s*>")
CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True)
class Attachment:
    name: str | None  # as sent, for people to read; never a path
    content_type: str
    data: bytes


@dataclass(frozen=True)
class MailFacts:
    message_id: str | None
    sender: str | None
    subject: str | None
    sent_at: datetime | None  # Date:
    stamped_at: datetime | None  # topmost Received:
    references: tuple[str, ...]
    auth_results: tuple[str, ...]
    robot: bool
    attachments: tuple[Attachment, ...]


def parse(raw: bytes, reporting_mailbox: str, with_body: bool = True) -> MailFacts:
    message = email.message_from_bytes(raw, policy=email.policy.default)
    sender = _sender(message)
    return MailFacts(
        message_id=_message_id(_header(message, "Message-ID")),
        sender=sender,
        subject=_clean(_header(message, "Subject")) or None,
        sent_at=_date(_header(message, "Date")),
        stamped_at=_received_date(_all(message, "Received")),
        references=_references(message),
        auth_results=tuple(_all(message, "Authentication-Results")),
        robot=_is_robot(message, sender, reporting_mailbox),
        attachments=tuple(attachments(message)) if with_body else (),
    )


def _header(message: Message, name: str) -> str:
    try:
        value = message.get(name)
    except Exception:  # the email package raises many things on broken headers
        log.debug("header %s could not be parsed", name, exc_info=True)
        return _raw_header(message, name)
    return str(value) if value is not None else ""


def _raw_header(message: Message, name: str) -> str:
    for key, value in message.raw_items():
        if key.lower() == name.lower():
            return str(value)
    return ""


def _all(message: Message, name: str) -> list[str]:
    try:
        return [str(v) for v in (message.get_all(name) or [])]
    except Exception:
        return [str(v) for k, v in message.raw_items() if k.lower() == name.lower()]


def _clean(text: str) -> str:
    return " ".join(CONTROL.sub(" ", text).split())


def _sender(message: Message) -> str | None:
    """The From address (the addr-spec, never the display name), lower-cased.

    An address in angle brackets wins: a display name that looks like an address
    ("vanphong.x@y.gov.vn <someone@gmail.com>", even unquoted) is never taken for one.
    """
    bracketed = ANGLE_ADDRESS.findall(_raw_header(message, "From"))
    if len(bracketed) == 1:
        return bracketed[0].strip().lower()
    try:
        addresses = [a.addr_spec for a in message["From"].addresses if "@" in a.addr_spec]
    except Exception:  # no From, or one the header parser cannot take apart
        addresses = []
    if not addresses:
        try:
            addresses = [addr for _, addr in getaddresses([_raw_header(message, "From")]) if "@" in addr]
        except Exception:
            addresses = []
    return addresses[0].strip().lower() if addresses else None


def _message_id(value: str) -> str | None:
    match = MESSAGE_ID.search(value or "")
    return match.group(0) if match else (value.strip() or None)


def _references(message: Message) -> tuple[str, ...]:
    found: list[str] = []
    for name in ("References", "In-Reply-To"):
        for mid in MESSAGE_ID.findall(_header(message, name)):
            if mid not in found:
                found.append(mid)
    return tuple(found)


def _date(value: str) -> datetime | None:
    if not value or not value.strip():
        return None
    try:
        parsed = parsedate_to_datetime(value.strip())
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def _received_date(values: list[str]) -> datetime | None:
    """The date of the topmost Received: header: the last server's stamp."""
    if not values:
        return None
    top = " ".join(values[0].split())
    return _date(top.rpartition(";")[2]) if ";" in top else None


def _is_robot(message: Message, sender: str | None, reporting_mailbox: str) -> bool:
    auto = _header(message, "Auto-Submitted").strip().lower()
    if auto and auto.split(";")[0].strip() != "no":
        return True
    if _header(message, "Precedence").strip().lower() in ("bulk", "junk", "list"):
        return True
    if _header(message, "X-Autoreply") or _header(message, "X-Autorespond") or _header(message, "List-Id"):
        return True
    if _header(message, "Return-Path").strip() == "<>":
        return True
    if not sender:
        return True
    return sender == reporting_mailbox.lower() or bool(ROBOT_LOCALPARTS.match(sender.split("@")[0]))


def attachments(message: Message, depth: int = 0) -> list[Attachment]:
    """Every named or spreadsheet-typed leaf part, forwarded messages included."""
    found: list[Attachment] = []
    for part in message.walk():
        if part.is_multipart():
            continue
        content_type = _content_type(part)
        if content_type == "message/rfc822" and depth < MAX_DEPTH:
            found.extend(_inner_message(part, depth))
            continue
        name = _file_name(part)
        if not name and not is_spreadsheet_type(content_type):
            continue
        found.append(Attachment(name=name, content_type=content_type, data=_payload(part)))
    return found


def _inner_message(part: Message, depth: int) -> list[Attachment]:
    """A message/rfc822 part the parser left encoded (e.g. base64)."""
    data = _payload(part)
    if not data:
        return []
    try:
        return attachments(email.message_from_bytes(data, policy=email.policy.default), depth + 1)
    except Exception:
        log.debug("a forwarded message could not be parsed", exc_info=True)
        return []


def _content_type(part: Message) -> str:
    try:
        return part.get_content_type()
    except Exception:
        return "application/octet-stream"


def _file_name(part: Message) -> str | None:
    """The name as sent (RFC 2231 or RFC 2047 decoded), cleaned of control characters."""
    name = None
    try:
        name = part.get_filename()
    except Exception:
        log.debug("attachment name could not be decoded", exc_info=True)
    if not name:
        try:
            name = part.get_param("name")
            name = email.utils.collapse_rfc2231_value(name) if isinstance(name, tuple) else name
        except Exception:
            name = None
    name = _clean(str(name)) if name else ""
    return name or None


def _payload(part: Message) -> bytes:
    try:
        data = part.get_payload(decode=True)
    except Exception:
        log.debug("a part could not be decoded", exc_info=True)
        return b""
    if isinstance(data, bytes):
        return data
    if isinstance(data, str):
        return data.encode("utf-8", errors="replace")
    return b""


SPREADSHEET_TYPES = frozenset({
    "application/vnd.ms-excel",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.template",
    "application/vnd.ms-excel.sheet.macroenabled.12",
    "application/vnd.ms-excel.sheet.binary.macroenabled.12",
    "application/vnd.oasis.opendocument.spreadsheet",
    "text/csv",
    "text/tab-separated-values",
    "application/csv",
    "application/x-csv",
})


def is_spreadsheet_type(content_type: str) -> bool:
    return content_type.lower() in SPREADSHEET_TYPES
