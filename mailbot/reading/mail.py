"""A raw message -> the facts reading needs: sender, times, attachments, robot signs.

Every header is read defensively: real mail has broken encodings, missing
headers and odd MIME, and none of that may stop the reading.

The message is split into parts by the email package's fast compat32 parser; a
header is decoded (RFC 2047 words, addresses, dates) by the modern header
registry only when it is read, and only the headers reading needs are read.
Header values and MIME parameters that are plain ASCII, where both parsers
agree by construction, take a shortcut (tests/reading/test_reading_fast_paths.py
checks that they agree).
"""

from __future__ import annotations

import email
import email._encoded_words
import email.feedparser
import email.policy
import logging
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email.headerregistry import BaseHeader, HeaderRegistry, UnstructuredHeader
from email.message import Message
from email.utils import getaddresses, parsedate_to_datetime
from functools import lru_cache

from mailbot import workers
from mailbot.config import Limits
from mailbot.reading import boundaries, splitting

log = logging.getLogger(__name__)
boundaries.install()  # no pattern compiled per message's boundary

MAX_DEPTH = 5
FEED_BYTES = 64 * 1024  # the parser is fed this much at a time
MAX_NAME = 200  # characters of an attachment's name kept
# Local parts of addresses that are machines: no mail from them is a report, none is answered.
ROBOT_LOCAL_PARTS = re.compile(
    r"^(mailer-daemon|mail-daemon|postmaster|no[-_.]?reply|do[-_.]?not[-_.]?reply|bounces?|auto[-_.]?reply|daemon"
    r"|listserv|majordomo)([-+_.].*)?$",
    re.IGNORECASE,
)
MESSAGE_ID = re.compile(r"<[^<>\s]+>")
ANGLE_ADDRESS = re.compile(r"<\s*([^<>@\s]+@[^<>@\s]+?)\s*>")
CONTROL = re.compile(r"[\x00-\x1f\x7f]")
SURROGATES = re.compile(r"[\ud800-\udfff]")
UNREADABLE = "\ufffd"
# An address mailbot may write to: plain ASCII, no space, quote, bracket or control character.
PLAIN_ADDRESS = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$")
SPLITTING = email.policy.compat32  # splits the message into parts, decodes nothing
# ASCII text, folded or not: with no RFC 2047 encoded word ("=?") in it, decoding leaves it as it is.
PRINTABLE = re.compile(r"[\t\r\n\x20-\x7e]*")
# Unfolded ASCII text of words between spaces and tabs, the only whitespace the registry splits at.
WORDS = re.compile(r"[\t\x20-\x7e]*")
SPACES = re.compile(r"([ \t]+)")
# An encoded word as the registry takes one whole from its "=?" to its own "?=": no "?" or space in its
# text, which starts with no "=" unless two hex digits follow (the registry looks past that "?=" then).
ENCODED_WORD = re.compile(r"=\?[^?\s]+\?[bBqQ]\?(?:(?:[^?\s=]|=[0-9A-Fa-f]{2})[^?\s]*)?\?=")
_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_DOT_ATOM = rf"{_ATEXT}(?:\.{_ATEXT})*"
# A Message-ID of dot-atoms, as the registry gives it back.
PLAIN_MESSAGE_ID = re.compile(rf"<{_DOT_ATOM}@{_DOT_ATOM}>")
# MIME headers that both parsers read alike: tokens and plain quoted values, no RFC 2231,
# RFC 2047, comments, escapes or non-ASCII.
_TOKEN = r"[!#$&+\-.0-9A-Z^_`a-z{|}~]+"
_QUOTED = r'"(?:(?!=\?)[ !#-\[\]-~])+"'
_SPACE = r"[ \t]*(?:\r?\n[ \t]+)?"
_PARAMS = rf"(?:{_SPACE};{_SPACE}{_TOKEN}=(?:{_TOKEN}|{_QUOTED}))*"
PLAIN_MIME = {
    "content-type": re.compile(rf"{_TOKEN}/{_TOKEN}{_PARAMS}"),
    "content-disposition": re.compile(rf"{_TOKEN}{_PARAMS}"),
    "content-transfer-encoding": re.compile(_TOKEN),
}


@dataclass(frozen=True)
class Attachment:
    name: str | None  # as sent, for people to read; never a path
    content_type: str
    data: bytes


@dataclass(frozen=True)
class Body:
    """The mail's own text: its plain part and its HTML part, decoded (forwarded mail excluded)."""

    plain: str | None = None
    html: str | None = None


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
    body: Body = Body()


def split(raw: bytes) -> Message:
    """The message taken apart, fed to the parser in small pieces.

    Given whole, the email package holds every line of the message at once (a 21 MB
    message cost 164 MB); fed in pieces it holds about one part's lines. A message of
    the plain shapes (mailbot.reading.splitting) is taken apart into the same tree
    without a step per line.
    """
    plain = splitting.split_plain(raw)
    if plain is not None:
        return plain
    parser = email.feedparser.BytesFeedParser(policy=SPLITTING)
    view = memoryview(raw)
    for start in range(0, len(raw), FEED_BYTES):
        parser.feed(bytes(view[start : start + FEED_BYTES]))
    return parser.close()


def parse(raw: bytes, reporting_mailbox: str, with_body: bool = True, max_references: int = 20) -> MailFacts:
    workers.fault_if_asked(raw)  # tests: a message starting with b"MAILBOT-FAULT:<kind>" breaks its parser
    message = split(raw)
    headers = Headers(message)
    sender = _sender(headers)
    names: dict[int, str | None] = {}  # each leaf part's name, read once for its attachment and the body
    found = tuple(attachments(message, names=names)) if with_body else ()
    return MailFacts(
        message_id=_message_id(headers.first("Message-ID")),
        sender=sender,
        subject=_clean(headers.first("Subject")) or None,
        sent_at=headers.date("Date"),
        stamped_at=_received_date(headers.all("Received")),
        references=_references(headers)[-max_references:],
        auth_results=tuple(headers.all("Authentication-Results")),
        robot=_is_robot(headers, sender, reporting_mailbox),
        attachments=found,
        body=body_of(message, names) if with_body else Body(),
    )


@dataclass(frozen=True)
class Excess:
    """What makes a message too big to take apart: a limit's name and the words' parameters."""

    reason: str  # headers | line | parts | depth
    params: dict


EMPTY_LINE = re.compile(rb"\n\r?\n")  # found by its first LF, which the search skips to
CR = ord("\r")


def excess(raw: bytes, limits: Limits) -> Excess | None:
    """The first `[limits]` the raw message is over, found before anything is parsed; None if within."""
    head_end = _header_end(raw, limits.max_header_bytes)
    if head_end is None:
        return Excess("headers", {"limit": _kib(limits.max_header_bytes)})
    over = _line_over(raw, limits.max_line_bytes)
    if over is not None:
        return Excess("line", {"size": _kib(over), "limit": _kib(limits.max_line_bytes)})
    parts, depth = _structure(raw, limits.max_parts)
    if parts > limits.max_parts:
        return Excess("parts", {"count": parts, "limit": limits.max_parts})
    if depth > limits.max_depth:
        return Excess("depth", {"depth": depth, "limit": limits.max_depth})
    return None


def _kib(size: int) -> str:
    return f"{max(1, round(size / 1024))} KB"


def _header_end(raw: bytes, limit: int) -> int | None:
    """Where the header block ends (LF LF or CRLF CRLF), if it ends within `limit` bytes (a message of headers
    alone ends with it)."""
    at = 0
    while (found := EMPTY_LINE.search(raw, at, limit + 4)) is not None and found.start() <= limit + 1:
        start = found.start()
        if found.end() - start == 2:  # LF LF
            return start if start <= limit else None
        if start > 0 and raw[start - 1] == CR:  # CR LF CR LF
            return start - 1
        at = start + 1  # LF CR LF after some other byte: its last LF may start an LF LF
    return len(raw) if len(raw) <= limit else None


def _line_over(raw: bytes, limit: int) -> int | None:
    """The length of the first line (up to LF) over `limit` bytes; None if every line is within it.

    Each step looks for the last LF within the next `limit` + 1 bytes: every line before
    it is within the limit, and where there is none, the line there is over it. Two
    steps move on by at least `limit` bytes, so a message of short lines costs a few
    searches in C, not a step per line.
    """
    start, size = 0, len(raw)
    while size - start > limit:
        newline = raw.rfind(b"\n", start, start + limit + 1)
        if newline < 0:
            end = raw.find(b"\n", start)
            return (size if end < 0 else end) - start
        start = newline + 1
    return None


BOUNDARY = re.compile(rb'boundary\s*=\s*(?:"([^"\r\n]{1,200})"|([^\s;"]{1,200}))', re.IGNORECASE)
BOUNDARY_WORD = b"boundary"
DELIMITER = re.compile(rb"^--([^\r\n]{1,202}?)[ \t]*\r?$", re.MULTILINE)
# A delimiter line after the first: found by its line break (a literal the search skips to), not by ^.
NEXT_DELIMITER = re.compile(rb"\n--([^\r\n]{1,202}?)[ \t]*\r?$", re.MULTILINE)
SCAN_BYTES = 64 * 1024  # the raw message is lower-cased this much at a time to find its boundaries


def _boundaries(raw: bytes, piece_bytes: int = SCAN_BYTES) -> list[tuple[int, bytes]]:
    """(offset, boundary) of each `boundary=` parameter, as BOUNDARY.finditer finds them.

    A case-insensitive pattern is tried at every offset; the word is found far faster
    in a lower-cased copy, a piece at a time (never the whole message copied), and
    the pattern is tried only where the word starts.
    """
    found: list[tuple[int, bytes]] = []
    matched_to = 0
    for piece in range(0, len(raw), piece_bytes):
        lowered = raw[piece : piece + piece_bytes + len(BOUNDARY_WORD) - 1].lower()
        at = lowered.find(BOUNDARY_WORD)
        while 0 <= at < piece_bytes:
            match = BOUNDARY.match(raw, piece + at) if piece + at >= matched_to else None
            if match is not None:
                found.append((match.start(), match.group(1) or match.group(2)))
                matched_to = match.end()
            at = lowered.find(BOUNDARY_WORD, at + 1)
    return found


def _delimiters(raw: bytes) -> list[tuple[int, bytes]]:
    """(offset, text after "--") of each delimiter-shaped line, as DELIMITER.finditer finds them."""
    first = DELIMITER.match(raw)
    found = [(first.start(), first.group(1))] if first is not None else []
    found.extend((m.start() + 1, m.group(1)) for m in NEXT_DELIMITER.finditer(raw))
    return found


def _structure(raw: bytes, max_parts: int) -> tuple[int, int]:
    """Upper bounds of the number of parts and the nesting depth, from boundaries and delimiter lines.

    Every declared boundary opens a level until its closing delimiter; each
    opening delimiter of a declared boundary starts a part. Counting stops once
    the parts are over `max_parts`.
    """
    events = [(start, 0, boundary) for start, boundary in _boundaries(raw)]
    if not events:
        return 1, 0
    declared = {boundary for _, _, boundary in events}
    if len(declared) > max_parts:
        return len(declared), len(declared)
    for start, line in _delimiters(raw):
        if line.endswith(b"--") and line[:-2] in declared:
            events.append((start, 2, line[:-2]))
        elif line in declared:
            events.append((start, 1, line))
    stack: list[bytes] = []
    parts = depth = 0
    for _, kind, boundary in sorted(events, key=lambda e: (e[0], e[1])):
        if kind == 0:
            stack.append(boundary)
            depth = max(depth, len(stack))
        elif kind == 1:
            parts += 1
            if parts > max_parts:
                break
        elif boundary in stack:
            del stack[stack.index(boundary) :]
    return max(parts, 1), depth


def safe_facts(raw: bytes, reporting_mailbox: str, limit: int = 65536) -> MailFacts | None:
    """The header facts of a message that cannot be read whole: from its first `limit` header bytes, or None."""
    end = _header_end(raw, limit)
    head = raw[: end if end is not None else limit]
    try:
        return parse(head.rsplit(b"\n", 1)[0] if end is None else head, reporting_mailbox, with_body=False)
    except Exception:  # RecursionError included
        log.debug("not even the headers of a message could be read", exc_info=True)
        return None


class Headers:
    """A message's header fields as sent, each decoded when it is read."""

    def __init__(self, message: Message) -> None:
        self._fields: dict[str, list[str]] = {}
        for name, value in message.raw_items():
            self._fields.setdefault(name.lower(), []).append(str(value))

    def raw(self, name: str) -> str:
        """The first field of that name as sent (folded, encoded words left as they are)."""
        values = self._fields.get(name.lower())
        return values[0] if values else ""

    def first(self, name: str) -> str:
        """The first field of that name, decoded; the raw text if it cannot be decoded."""
        values = self._fields.get(name.lower())
        if not values:
            return ""
        try:
            return decoded(name, values[0])
        except Exception:  # the email package raises many things on broken headers
            log.debug("header %s could not be parsed", name, exc_info=True)
            return values[0]

    def all(self, name: str) -> list[str]:
        values = self._fields.get(name.lower(), [])
        try:
            return [decoded(name, v) for v in values]
        except Exception:
            return list(values)

    def date(self, name: str) -> datetime | None:
        """The first field of that name read as a date (what decoding it and reading it back gives)."""
        values = self._fields.get(name.lower())
        return _date(unfolded(values[0])) if values else None

    def addresses(self, name: str) -> list[str]:
        """The addr-specs of the first field, as the header registry takes them apart."""
        values = self._fields.get(name.lower())
        if not values:
            raise LookupError(name)
        return [a.addr_spec for a in DECODING.header_fetch_parse(name, values[0]).addresses]


def unfolded(value: str) -> str:
    """The value with its line breaks (CR, LF) taken out, as the registry reads it."""
    if "\r" in value:
        value = value.replace("\r", "")
    return value.replace("\n", "") if "\n" in value else value


def decoded(name: str, value: str) -> str:
    """The header value as the modern header registry gives it as text."""
    key = name.lower()
    if _unstructured(key):
        if "=?" not in value and PRINTABLE.fullmatch(value):
            return unfolded(value)
        text = _encoded_words(unfolded(value))
        if text is not None:
            return text
    elif key == "message-id" and PLAIN_MESSAGE_ID.fullmatch(value):
        return value
    return str(DECODING.header_fetch_parse(name, value))


def _encoded_words(value: str) -> str | None:
    """An unstructured value of plain words and whole encoded words, decoded as the registry decodes it
    (each word by the email package's own decoder, the space between two encoded words dropped); None for
    any other value, and where a word decodes to bytes that are no text (left to the registry)."""
    if not WORDS.fullmatch(value):
        return None
    pieces = SPACES.split(value)  # word, space, word, ... (the first and the last word may be empty)
    text: list[str] = []
    after_encoded = False
    for at in range(0, len(pieces), 2):
        word = pieces[at]
        encoded = "=?" in word
        if encoded:
            if not ENCODED_WORD.fullmatch(word):
                return None
            try:
                word = email._encoded_words.decode(word)[0]
            except Exception:  # the registry reads it as plain text: left to the registry
                return None
        if at > 0 and not (encoded and after_encoded):
            text.append(pieces[at - 1])
        text.append(word)
        after_encoded = encoded
    joined = "".join(text)
    return None if SURROGATES.search(joined) else joined


class _Registry(HeaderRegistry):
    """The header registry, with each header's class made once (the registry makes a class per header read)."""

    def __init__(self) -> None:
        super().__init__()
        self._made: dict[str, type[BaseHeader]] = {}

    def __getitem__(self, name: str) -> type[BaseHeader]:
        key = name.lower()
        made = self._made.get(key)
        if made is None:
            made = super().__getitem__(name)
            if key in self.registry:  # any other name has the default class: one kept for all of them
                self._made[key] = made
            else:
                made = self._made.setdefault("", made)
        return made


DECODING = email.policy.default.clone(header_factory=_Registry())  # decodes the header values that are read


@lru_cache(maxsize=256)
def _unstructured(name: str) -> bool:
    return issubclass(HeaderRegistry()[name], UnstructuredHeader)


def _clean(text: str) -> str:
    return " ".join(CONTROL.sub(" ", unsurrogated(text)).split())


def unsurrogated(text: str) -> str:
    """Text with the raw 8-bit bytes of a header (kept as surrogates) read as UTF-8, else U+FFFD."""
    if not SURROGATES.search(text):
        return text
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def _sender(headers: Headers) -> str | None:
    """The From address (the addr-spec, never the display name), lower-cased.

    An address in angle brackets wins: a display name that looks like an address
    ("vanphong.x@y.gov.vn <someone@gmail.com>", even unquoted) is never taken for one.
    """
    bracketed = ANGLE_ADDRESS.findall(headers.raw("From"))
    if len(bracketed) == 1:
        return _address(bracketed[0])
    try:
        addresses = [a for a in headers.addresses("From") if "@" in a]
    except Exception:  # no From, or one the header parser cannot take apart
        addresses = []
    if not addresses:
        try:
            addresses = [addr for _, addr in getaddresses([headers.raw("From")]) if "@" in addr]
        except Exception:
            addresses = []
    return _address(addresses[0]) if addresses else None


def _address(value: str) -> str | None:
    """An address as text that can be stored and shown (a control character shown as U+FFFD); None if empty."""
    value = CONTROL.sub(UNREADABLE, unsurrogated(value))
    return "".join(value.split()).lower() or None


def is_unreadable_address(address: str | None) -> bool:
    """True for a From address with bytes that are no text (not UTF-8) or control characters (NUL)."""
    return address is not None and UNREADABLE in address


def is_plain_address(address: str | None) -> bool:
    """True for an address that can be written into a mail header as it is."""
    return address is not None and bool(PLAIN_ADDRESS.match(address))


def _message_id(value: str) -> str | None:
    value = _clean(value or "")
    match = MESSAGE_ID.search(value)
    return match.group(0) if match else (value.strip()[:200] or None)


def _references(headers: Headers) -> tuple[str, ...]:
    found: dict[str, None] = {}  # in order, each once
    for name in ("References", "In-Reply-To"):
        for mid in MESSAGE_ID.findall(_clean(headers.first(name))):
            found.setdefault(mid)
    return tuple(found)


def _date(value: str) -> datetime | None:
    if not value or not value.strip():
        return None
    try:
        parsed = parsedate_to_datetime(value.strip())
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _received_date(values: list[str]) -> datetime | None:
    """The date of the topmost Received: header: the last server's stamp."""
    if not values:
        return None
    top = " ".join(values[0].split())
    return _date(top.rpartition(";")[2]) if ";" in top else None


def _is_robot(headers: Headers, sender: str | None, reporting_mailbox: str) -> bool:
    auto = headers.first("Auto-Submitted").strip().lower()
    if auto and auto.split(";")[0].strip() != "no":
        return True
    if headers.first("Precedence").strip().lower() in ("bulk", "junk", "list"):
        return True
    if headers.first("X-Autoreply") or headers.first("X-Autorespond") or headers.first("List-Id"):
        return True
    if headers.first("Return-Path").strip() == "<>":
        return True
    if not sender:
        return True
    return sender == reporting_mailbox.lower() or is_robot_local_part(sender.split("@")[0])


def is_robot_local_part(local_part: str) -> bool:
    return bool(ROBOT_LOCAL_PARTS.match(local_part))


def attachments(message: Message, depth: int = 0, names: dict[int, str | None] | None = None) -> list[Attachment]:
    """Every named or spreadsheet-typed leaf part, forwarded messages included.

    `names`: where the name of each leaf part of `message` itself is kept (by the part's id), for body_of.
    """
    found: list[Attachment] = []
    for part in message.walk():
        if part.is_multipart():
            continue
        if not has_plain_mime_headers(part):
            part.policy = DECODING  # RFC 2231/2047 names, comments, 8-bit: the header registry decodes them
        content_type = _content_type(part)
        if content_type == "message/rfc822" and depth < MAX_DEPTH:
            found.extend(_inner_message(part, depth))
            continue
        name = _file_name(part)
        if names is not None:
            names[id(part)] = name
        if not name and not is_spreadsheet_type(content_type):
            continue
        found.append(Attachment(name=name, content_type=content_type, data=_payload(part)))
    return found


def body_of(message: Message, names: dict[int, str | None] | None = None) -> Body:
    """The first plain and the first HTML part that are neither attachments nor inside a forwarded message.

    `names`: the leaf parts' names as `attachments` read them, where it was given them.
    """
    found: dict[str, str] = {}
    pending = [message]
    while pending and len(found) < 2:
        part = pending.pop(0)
        content_type = _content_type(part)
        if part.is_multipart():
            if content_type != "message/rfc822":
                pending[:0] = [p for p in part.get_payload() if isinstance(p, Message)]
            continue
        maintype, _, subtype = content_type.partition("/")
        if maintype == "text" and subtype in ("plain", "html") and subtype not in found:
            name = names[id(part)] if names is not None and id(part) in names else _file_name(part)
            if not _is_attached(part, name):
                found[subtype] = _text_of(part)
    return Body(plain=found.get("plain"), html=found.get("html"))


def _is_attached(part: Message, name: str | None) -> bool:
    disposition = str(part.get("Content-Disposition", "")).split(";")[0].strip().lower()
    return disposition == "attachment" or bool(name)


def _text_of(part: Message) -> str:
    from mailbot.sheets import decode_text

    try:
        charset = part.get_content_charset()
    except Exception:
        charset = None
    return decode_text(_payload(part), charset)


def has_plain_mime_headers(part: Message) -> bool:
    """True if the part's MIME headers are plain enough that compat32 reads them as the registry does."""
    seen = set()
    for name, value in part.raw_items():
        key = name.lower()
        pattern = PLAIN_MIME.get(key)
        if pattern is None:
            continue
        if key in seen or not isinstance(value, str) or not pattern.fullmatch(value):
            return False
        seen.add(key)
    return True


def _inner_message(part: Message, depth: int) -> list[Attachment]:
    """A message/rfc822 part the parser left encoded (e.g. base64)."""
    data = _payload(part)
    if not data:
        return []
    try:
        return attachments(split(data), depth + 1)
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
        name = ""
    if name == "":  # None: neither a filename nor a name parameter, which is all that is looked for again
        try:
            param = part.get_param("name")
            name = email.utils.collapse_rfc2231_value(param) if isinstance(param, tuple) else param
        except Exception:
            name = None
    name = _clean(str(name))[:MAX_NAME] if name else ""
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


SPREADSHEET_TYPES = frozenset(
    {
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
    }
)


def is_spreadsheet_type(content_type: str) -> bool:
    return content_type.lower() in SPREADSHEET_TYPES
