"""Where reports arrive: an IMAP folder or a local Maildir, behind one small interface.

    source = open_source(settings)
    for batch in source.batches(store.source_mark(source.identity), known):
        ...store each message...
        source.after_commit(batch)
    source.wait_for_change(seconds)   # IMAP IDLE where offered; only a wake-up signal
    source.close()

imap-tools is used here and nowhere else; no imap-tools object leaves this package.
Every failure is a SourceError with one line naming the server or path and a hint.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlsplit

from mailbot.config import Settings, redact_url
from mailbot.inbox.backoff import Backoff
from mailbot.inbox.base import Source, source_error
from mailbot.inbox.maildir import MaildirSource, deliver_to_maildir

__all__ = ["Backoff", "Source", "deliver_to_maildir", "maildir_path", "open_source", "source_identity"]


def open_source(settings: Settings) -> Source:
    """The inbox of settings.connections.inbox_url, connected and ready."""
    url = settings.connections.inbox_url
    scheme = urlsplit(url).scheme.lower()
    if scheme == "maildir":
        return MaildirSource(maildir_path(url), settings)
    if scheme in ("imap", "imap+starttls", "imaps"):
        from mailbot.inbox.imap import ImapSource

        return ImapSource(settings)
    raise source_error(settings.language, "bad_url", url=redact_url(url))


def source_identity(settings: Settings) -> str:
    """The identity the source of settings.connections.inbox_url has (its mark and heartbeat), without connecting."""
    url = settings.connections.inbox_url
    if urlsplit(url).scheme.lower() == "maildir":
        return f"maildir://{maildir_path(url).absolute()}"
    from mailbot.inbox.imap_connect import address_of

    return address_of(settings).identity


def maildir_path(url: str) -> Path:
    """'maildir:///var/inbox' -> /var/inbox; 'maildir://./var/inbox' -> ./var/inbox (relative)."""
    rest = url.split("://", 1)[1] if "://" in url else url
    return Path(unquote(rest.split("?", 1)[0]))
