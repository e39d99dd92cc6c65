"""Mail as bytes: header lines folded as compat32 folds them, and a one-part text mail written as the
standard generator writes it, without the cost that repeats from one mail to the next.

compat32 folds each header line once here: a mail's headers are mostly the same from
one mail to the next (From, the MIME headers, the day's subject), and folding them
was most of each mail's cost. A line that needs no folding (ASCII without spaces
that fits: a Message-ID, an address) is written as it is, which is what compat32
makes of it, without filling the cache with values seen once.

Non-ASCII header text becomes RFC 2047 encoded words through email.header.Header,
with one change of speed, not of result: the utf-8 charset's header_encode_lines
finds each line's end by a binary search, where the standard one encodes the whole
line again for every character it adds (tests/compose/test_same_bytes.py compares
the two on many strings).

An acknowledgement or a review notice is one text/plain part in UTF-8 and base64.
Its bytes are what BytesGenerator makes of such a part (the header lines, a blank
line, the base64 lines), written here from the same folding and
email.base64mime.body_encode, without building an email.mime tree first.
"""

from __future__ import annotations

import email.base64mime
import email.quoprimime
from bisect import bisect_right
from collections.abc import Iterator, Sequence
from email.charset import RFC2047_CHROME_LEN, Charset
from email.header import Header
from email.policy import Compat32
from functools import lru_cache
from types import ModuleType

TEXT_PART_HEADERS = (  # what email.mime.text.MIMEText(body, subtype, "utf-8") starts with, in its order
    ("Content-Type", 'text/{subtype}; charset="utf-8"'),
    ("MIME-Version", "1.0"),
    ("Content-Transfer-Encoding", "base64"),
)


class Utf8Words(Charset):
    """The utf-8 charset, whose encoded words break where the standard charset's break, found by halving.

    The standard header_encode_lines adds one character at a time and encodes the whole
    line again each time, until it no longer fits. The encoded length only grows as the
    line does, so the same end of each line is found by a binary search over the same
    encoded lengths; as there, a line other than the first takes at least one character.
    A quoted-printable length is that of the encoded word less its chrome: quoprimime's
    header_encode works in C, where its header_length counts byte by byte in Python.
    """

    def header_encode_lines(self, string: str, maxlengths: Iterator[int]) -> list[str | None]:
        codec = self.output_codec or "us-ascii"
        module = _shorter(string.encode(codec), codec)
        extra = len(self.get_output_charset() or "") + RFC2047_CHROME_LEN
        lines: list[str | None] = []
        start, size = 0, len(string)
        maxlen = next(maxlengths) - extra
        while True:
            end = _fitting(module, string, codec, start, maxlen)
            if lines or start:
                end = max(end, start + 1)
            if end >= size:
                break
            lines.append(module.header_encode(string[start:end].encode(codec), codec) if end > start else None)
            start = end
            maxlen = next(maxlengths) - extra
        lines.append(module.header_encode(string[start:].encode(codec), codec))
        return lines


def _shorter(octets: bytes, codec: str) -> ModuleType:
    """base64 or quoted-printable, whichever encodes `octets` shorter (quoted-printable at a tie): the choice
    Charset._get_encoder makes for the utf-8 charset (SHORTEST)."""
    if email.base64mime.header_length(octets) < _quoted_length(octets, codec):
        return email.base64mime
    return email.quoprimime


def _quoted_length(octets: bytes, codec: str) -> int:
    """quoprimime.header_length(octets), from the encoded word."""
    return len(email.quoprimime.header_encode(octets, codec)) - len(codec) - RFC2047_CHROME_LEN if octets else 0


def _fitting(module: ModuleType, string: str, codec: str, start: int, maxlen: int) -> int:
    """The end of the longest line from character `start` whose encoded length fits `maxlen`."""
    if module is email.quoprimime:
        length = lambda end: _quoted_length(string[start:end].encode(codec), codec)  # noqa: E731
    else:
        length = lambda end: module.header_length(string[start:end].encode(codec))  # noqa: E731
    return start + bisect_right(range(start + 1, len(string) + 1), maxlen, key=length)


UTF8_WORDS = Utf8Words("utf-8")


class FoldOnce(Compat32):
    """compat32, which folds each header line once (see the module's docstring). Same bytes."""

    def fold_binary(self, name: str, value: str | Header) -> bytes:  # compat32 is handed Header objects too
        if isinstance(value, str):
            if as_it_is(self, name, value):
                return f"{name}: {value}{self.linesep}".encode("ascii")
            return folded(self, name, value)
        if isinstance(value, TextHeader):
            return folded_text(self, name, value.text)
        return super().fold_binary(name, value)  # type: ignore[arg-type]  # another Header: folded each time


class TextHeader(Header):
    """Header text as RFC 2047 encoded words (UTF-8) that folds the same each time: what header_text makes."""

    def __init__(self, text: str, name: str) -> None:
        super().__init__(text, UTF8_WORDS, header_name=name)
        self.text = text


def as_it_is(policy: Compat32, name: str, value: str) -> bool:
    limit = policy.max_line_length or 0
    return value.isascii() and value.isprintable() and " " not in value and len(name) + 2 + len(value) <= limit


@lru_cache(maxsize=4096)
def folded(policy: Compat32, name: str, value: str) -> bytes:
    return Compat32.fold_binary(policy, name, value)


@lru_cache(maxsize=1024)
def folded_text(policy: Compat32, name: str, text: str) -> bytes:
    return Compat32.fold_binary(policy, name, Header(text, UTF8_WORDS, header_name=name))  # type: ignore[arg-type]


def text_mail(
    policy: Compat32, headers: Sequence[tuple[str, str | Header]], body: str, subtype: str = "plain"
) -> bytes:
    """The bytes of a MIMEText(body, subtype, "utf-8") with `headers` added after its own, as
    message.as_bytes(policy=policy) writes them."""
    lines = [_part_headers(policy, subtype)]
    # compat32 folds a Header as RFC 2047 words; typeshed types header values as str only
    lines += [policy.fold_binary(name, value) for name, value in headers]  # type: ignore[arg-type]
    lines.append(policy.linesep.encode("ascii"))
    lines.append(email.base64mime.body_encode(body.encode("utf-8"), eol=policy.linesep).encode("ascii"))
    return b"".join(lines)


@lru_cache(maxsize=16)
def _part_headers(policy: Compat32, subtype: str) -> bytes:
    return b"".join(policy.fold_binary(name, value.format(subtype=subtype)) for name, value in TEXT_PART_HEADERS)
