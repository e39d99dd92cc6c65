"""Multipart delimiter lines matched without compiling a pattern per boundary.

email.feedparser compiles a regular expression for each multipart boundary it
meets. Every message has boundaries of its own, so each message paid for a
compilation (about 0.2 ms, more than the rest of its header work) and pushed the
patterns of every other user of `re` (the header parsers, Authentication-Results)
out of `re`'s cache, so that they were compiled again and again.

`install()` gives the feedparser a `re` of its own that answers the boundary's
pattern with `Delimiter`: the line must start with the separator, and one pattern
compiled once matches the rest as the feedparser's own pattern would. Any other
pattern, and a boundary pattern of another shape (another Python's feedparser),
is compiled by `re` as before.
"""

from __future__ import annotations

import email.feedparser
import re
from types import ModuleType
from typing import Any

# The feedparser's pattern is _HEAD + re.escape("--" + boundary) + _TAIL (Lib/email/feedparser.py).
_HEAD = "(?P<sep>"
_TAIL = r")(?P<end>--)?(?P<ws>[ \t]*)(?P<linesep>\r\n|\r|\n)?$"
REST = re.compile(_TAIL[1:])
ESCAPED = re.compile(r"\\(.)", re.DOTALL)


class Delimiter:
    """The feedparser's boundary pattern for one separator: `match(line)` as the compiled pattern's match."""

    __slots__ = ("separator",)

    def __init__(self, separator: str) -> None:
        self.separator = separator

    def match(self, line: str) -> re.Match[str] | None:
        if not line.startswith(self.separator):
            return None
        return REST.match(line, len(self.separator))


def separator_of(pattern: str) -> str | None:
    """The separator of a feedparser boundary pattern, or None if `pattern` is not one."""
    if not (pattern.startswith(_HEAD) and pattern.endswith(_TAIL)):
        return None
    escaped = pattern[len(_HEAD) : -len(_TAIL)]
    separator = ESCAPED.sub(r"\1", escaped)
    return separator if re.escape(separator) == escaped else None


class _FeedParserRe(ModuleType):
    """What email.feedparser calls `re`: the module itself, with boundary patterns answered by Delimiter."""

    def __getattr__(self, name: str) -> Any:
        return getattr(re, name)

    @staticmethod
    def compile(pattern: Any, flags: int = 0) -> Any:
        separator = separator_of(pattern) if isinstance(pattern, str) and not flags else None
        return Delimiter(separator) if separator is not None else re.compile(pattern, flags)


def install() -> None:
    """Once per process (mailbot.reading.mail does it on import)."""
    if not isinstance(getattr(email.feedparser, "re", None), _FeedParserRe):
        setattr(email.feedparser, "re", _FeedParserRe("re"))  # noqa: B010 - the module's own global, not exported
