"""A message taken apart as email.feedparser takes it apart, with the delimiter lines found by a search in C.

    split_plain(raw) -> Message | None

The feedparser looks at every line of a message in Python: whether it ends the
headers, whether it is a delimiter of one of the open multiparts; a report mail
spends most of that on the base64 lines of its attachment. For the shapes nearly
all mail has (headers ending in an empty line; multiparts whose parts are
delimited and closed as RFC 2046 says; leaf parts), `split_plain` builds the
same tree with the same calls (`Message(policy=compat32)`, `set_raw` of what
`header_source_parse` gives, `get_boundary`, `attach`, `set_payload`, the same
preamble, epilogue and line endings kept or dropped) and finds the delimiter
lines of each multipart by searching the text for its separator. Anything else
(a lone CR, a header line the feedparser would read as a defect or an envelope
From line, a message/* part, a digest, a multipart without its boundary, its
first or its closing delimiter, a part without an empty line after its headers
(two delimiter lines in a row make such a part: the feedparser skips them), a multipart whose
transfer encoding is not 7bit/8bit/binary, a big message) gives None, and the
feedparser reads it (tests/reading/test_reading_split_fast_path.py checks the
trees are the same).
"""

from __future__ import annotations

import email.policy
import re
from email.message import Message

from mailbot.reading.boundaries import Delimiter

SPLITTING = email.policy.compat32
MAX_BYTES = 4 * 1024 * 1024  # a bigger message is fed to the feedparser in pieces (it never holds it whole)
# Header fields as the feedparser reads them up to the empty line: a name of the characters its
# header pattern allows and a colon, then continuation lines; an envelope "From " line, a line starting
# with a colon or a continuation first (each a defect) end the run, and the feedparser reads that message.
HEADER_FIELD = re.compile(r"[\041-\071\073-\176]+:[^\n]*\n(?:[\t ][^\n]*\n)*")
HEADER_FIELDS = re.compile(r"(?:[\041-\071\073-\176]+:[^\n]*\n(?:[\t ][^\n]*\n)*)*")
LINE = re.compile(r"[^\n]*\n")
PLAIN_MULTIPART_ENCODINGS = ("7bit", "8bit", "binary")


class _NotPlain(Exception):
    """The message has a shape left to the feedparser."""


def split_plain(raw: bytes) -> Message | None:
    """The message as email.feedparser.BytesFeedParser(policy=compat32) gives it, or None for a shape left to it."""
    if len(raw) > MAX_BYTES:
        return None
    text = raw.decode("ascii", "surrogateescape")
    if "\r" in text and text.count("\r") != text.count("\r\n"):
        return None  # a lone CR ends a line for the feedparser
    message = Message(policy=SPLITTING)
    try:
        _part(message, text, 0, len(text))
    except _NotPlain:
        return None
    return message


def _part(message: Message, text: str, start: int, end: int, nested: bool = False) -> None:
    """`message` read from text[start:end], which ends at a line start (or the end of the text); `nested`: a part
    of a multipart, whose last line break belongs to the delimiter after it."""
    body = _headers(message, text, start, end)
    content_type = message.get_content_type()
    maintype = content_type.split("/")[0]  # as get_content_maintype() takes it from get_content_type()
    if maintype == "message":  # message/rfc822, message/delivery-status: left to the feedparser
        raise _NotPlain
    if maintype != "multipart":
        message.set_payload(_without_line_break(text[body:end]) if nested else text[body:end])
        return
    epilogue = _multipart(message, content_type, text, body, end)
    if nested:  # the line break before the next delimiter is the delimiter's; an epilogue left empty is none
        message.epilogue = _without_line_break(epilogue) if epilogue else None
    else:
        message.epilogue = epilogue


def _headers(message: Message, text: str, start: int, end: int) -> int:
    """The header fields set on `message` as the feedparser sets them; where the body starts."""
    fields = HEADER_FIELDS.match(text, start, end)
    after = fields.end()  # type: ignore[union-attr]  # the pattern matches the empty string
    if text.startswith("\n", after, end):
        body = after + 1
    elif text.startswith("\r\n", after, end):
        body = after + 2
    else:
        raise _NotPlain  # no empty line after the fields: a defect, a From line, or the end of the part
    policy = message.policy
    for field in HEADER_FIELD.finditer(text, start, after):
        value = field.group()
        lines = [value] if value.count("\n") == 1 else LINE.findall(value)
        message.set_raw(*policy.header_source_parse(lines))
    return body


def _multipart(message: Message, content_type: str, text: str, start: int, end: int) -> str:
    """The parts of a multipart whose body is text[start:end], each between two of its delimiter lines, attached
    to `message` (of `content_type`); its epilogue (what follows the closing delimiter)."""
    if content_type == "multipart/digest":  # its parts default to message/rfc822
        raise _NotPlain
    boundary = message.get_boundary()
    if boundary is None or "\n" in boundary or "\r" in boundary:
        raise _NotPlain
    if str(message.get("content-transfer-encoding", "8bit")).lower() not in PLAIN_MULTIPART_ENCODINGS:
        raise _NotPlain
    delimiters = _delimiter_lines(text, start, end, "--" + boundary)
    closing = next((at for at, (_, _, closes) in enumerate(delimiters) if closes), 0)
    if closing == 0:
        raise _NotPlain  # no closing delimiter, or no first delimiter before it
    if delimiters[0][0] > start:  # the preamble, without the line break that belongs to the delimiter
        message.preamble = _without_line_break(text[start : delimiters[0][0]])
    for (_, after, _), (following, _, _) in zip(delimiters[:closing], delimiters[1 : closing + 1], strict=True):
        part = Message(policy=SPLITTING)
        message.attach(part)
        _part(part, text, after, following, nested=True)
    return text[delimiters[closing][1] : end]


def _delimiter_lines(text: str, start: int, end: int, separator: str) -> list[tuple[int, int, bool]]:
    """(line start, line end, closing) of each line of text[start:end] that the feedparser takes for a
    delimiter of `separator` (by the same Delimiter match); the lines that start with it are found by a search."""
    match = Delimiter(separator).match
    found: list[tuple[int, int, bool]] = []
    at = start if text.startswith(separator, start, end) else _next_line_with(text, separator, start, end)
    while at >= 0:
        line_end = text.find("\n", at, end) + 1 or end
        delimiter = match(text[at:line_end])
        if delimiter is not None:
            found.append((at, line_end, bool(delimiter.group("end"))))
        at = _next_line_with(text, separator, line_end - 1, end)
    return found


def _next_line_with(text: str, separator: str, start: int, end: int) -> int:
    """The start of the first line after text[start] (a line break's place) that starts with `separator`; -1."""
    found = text.find("\n" + separator, start, end)
    return found + 1 if found >= 0 else -1


def _without_line_break(text: str) -> str:
    """The text without its last line break (the feedparser's NLCRE_eol)."""
    if text.endswith("\r\n"):
        return text[:-2]
    if text.endswith(("\n", "\r")):
        return text[:-1]
    return text
