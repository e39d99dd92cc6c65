"""What every inbox source offers, and the errors it raises."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Protocol, TypeVar

from mailbot import i18n
from mailbot.errors import SourceError
from mailbot.models import InboundMessage, SourceMark

T = TypeVar("T")

KnownKeys = Callable[[list[str]], set[str]]


class Source(Protocol):
    """A mailbox that hands over new messages, oldest first, in bounded batches."""

    identity: str  # stable account + folder id without secrets

    def batches(self, mark: SourceMark | None, known: KnownKeys) -> Iterator[list[InboundMessage]]:
        """New messages only: after `mark` (IMAP) and whose keys `known` does not report."""
        ...

    def arrivals(self, known: KnownKeys) -> list[list[InboundMessage]]:
        """During a poll: the mail that arrived since it began (IMAP), to be handled before the rest; or none."""
        ...

    def after_commit(self, messages: list[InboundMessage]) -> None:
        """Called once the store has committed `messages` (moves them if configured)."""
        ...

    def wait_for_change(self, seconds: float, stop: threading.Event | None = None) -> bool:
        """Wait up to `seconds` (less once `stop` is set); True when the mailbox signalled new mail."""
        ...

    def close(self) -> None: ...


def source_error(lang: str, key: str, **params: object) -> SourceError:
    """A SourceError in the configured language: `inbox.<key>` and its `<key>_hint`."""
    error = SourceError(i18n.text(f"inbox.{key}", lang, **params), i18n.text(f"inbox.{key}_hint", lang))
    error.key = key
    return error


def chunked(items: Iterable[T], size: int) -> Iterator[list[T]]:
    chunk: list[T] = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
