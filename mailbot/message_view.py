"""A stored message as a person checks it: headers, text, attachments, tables as read.

Part of the application layer (the console's submission page). Everything here
is the sender's own words: the caller shows them escaped, never as markup.
"""

from __future__ import annotations

import email
import email.policy
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.message import EmailMessage, Message

from mailbot.config import Settings
from mailbot.errors import MailbotError
from mailbot.models import READ_FROM_IMAGE, Source, Submission, Table
from mailbot.reading import mail
from mailbot.reading.message import read_message
from mailbot.sheets import is_spreadsheet_name, read_tables

log = logging.getLogger(__name__)

SHOWN_HEADERS = ("From", "To", "Cc", "Subject", "Date", "Message-ID")
TEXT_LIMIT = 20_000  # characters of the mail's text shown
ROWS_SHOWN = 200
COLUMNS_SHOWN = 30


@dataclass(frozen=True)
class AttachmentView:
    number: int
    name: str
    content_type: str
    size: int
    tables: tuple[Table, ...]
    problem: str | None  # why its tables cannot be shown


@dataclass(frozen=True)
class FigureImage:
    """An attachment a figure was read from by text recognition, for a person to compare."""

    number: int  # the attachment's number, from 1
    name: str
    media_type: str | None  # the picture's type by its own bytes; None for what a browser does not show (a scanned PDF)
    sources: Mapping[str, Source]  # the figures read from it and where


@dataclass(frozen=True)
class MessageView:
    headers: tuple[tuple[str, str], ...]
    received: str | None  # the topmost Received: line
    text: str
    attachments: tuple[AttachmentView, ...]
    sources: Mapping[str, Source] = field(default_factory=dict)  # where each figure was read


def view(raw: bytes, settings: Settings, sources: Mapping[str, Source] | None = None) -> MessageView:
    """The message as a person checks it; `sources` as stored, else found by reading the message again."""
    message = email.message_from_bytes(raw, policy=email.policy.default)
    headers = tuple((name, _header(message, name)) for name in SHOWN_HEADERS if message.get(name) is not None)
    received = message.get_all("Received") or []
    found = mail.parse(raw, settings.campaign.reporting_mailbox).attachments
    return MessageView(
        headers=headers,
        received=" ".join(str(received[0]).split()) if received else None,
        text=_text(message)[:TEXT_LIMIT],
        attachments=tuple(_attachment(n, a, settings) for n, a in enumerate(found, start=1)),
        sources=dict(sources) if sources else _sources(raw, settings),
    )


def _sources(raw: bytes, settings: Settings) -> dict[str, Source]:
    try:
        return dict(read_message(raw, settings).sources)
    except Exception:  # the page still shows the mail when reading it again fails
        log.info("the stored message could not be read again for its sources", exc_info=True)
        return {}


# A picture is served to the browser only as one of these types, decided by its first
# bytes and never by what the sender declared; anything else (SVG, HTML named .png) is not a picture.
PICTURE_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)


def picture_type(data: bytes) -> str | None:
    """The image type of `data` by its magic bytes (PNG, JPEG, GIF, WebP), else None."""
    for magic, kind in PICTURE_MAGIC:
        if data.startswith(magic):
            return kind
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def figure_images(raw: bytes, sub: Submission, settings: Settings) -> list[FigureImage]:
    """The attachments the submission's figures were read from by text recognition (read_from_image)."""
    named = {p.where for p in sub.problems if p.code == READ_FROM_IMAGE and p.where}
    if not named:
        return []
    found = mail.parse(raw, settings.campaign.reporting_mailbox).attachments
    images = []
    for number, attached in enumerate(found, start=1):
        if attached.name not in named:
            continue
        read_here = {metric: s for metric, s in sub.sources.items() if s.file == attached.name}
        images.append(FigureImage(number, attached.name, picture_type(attached.data), read_here))
    return images


def attachment(raw: bytes, number: int, settings: Settings) -> mail.Attachment | None:
    found = mail.parse(raw, settings.campaign.reporting_mailbox).attachments
    return found[number - 1] if 0 < number <= len(found) else None


def _header(message: Message, name: str) -> str:
    try:
        return " ".join(str(message.get(name)).split())
    except Exception:  # a header that cannot be decoded is shown as it came
        return " ".join(str(message.get(name, failobj="")).split())


def _text(message: EmailMessage) -> str:
    try:
        body = message.get_body(preferencelist=("plain", "html"))
        return body.get_content() if body is not None else ""
    except Exception:  # an undecodable body is shown as nothing rather than failing the page
        log.info("the text of a stored message could not be decoded", exc_info=True)
        return ""


def _attachment(number: int, found: mail.Attachment, settings: Settings) -> AttachmentView:
    name = found.name or f"#{number}"
    tables: tuple[Table, ...] = ()
    problem = None
    if is_spreadsheet_name(found.name) or mail.is_spreadsheet_type(found.content_type):
        try:
            tables = tuple(read_tables(name, found.data, settings.limits))
        except MailbotError as exc:
            problem = exc.message
        except Exception as exc:  # whatever a reader does, the page still shows the rest
            problem = type(exc).__name__
    return AttachmentView(number, name, found.content_type, len(found.data), tables, problem)
