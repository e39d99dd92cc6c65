"""How `mailbot run` starts: it says what it uses, stops at once on a setup that cannot work,
and waits with backoff for a server that is down, saying so once per attempt.

A setup that cannot work (exit 2, and systemd does not restart it): a malformed URL,
a missing Maildir, a refused login, a folder that does not exist, a missing
driver. A server that is down (connection refused or timed out) is waited for.
"""

from __future__ import annotations

import logging
import threading

from mailbot import i18n
from mailbot.config import Settings, redact_url
from mailbot.errors import ConfigError, SourceError, StoreError
from mailbot.inbox import Backoff, open_source
from mailbot.store import Store

log = logging.getLogger(__name__)

PASSING_INBOX_ERRORS = ("unreachable", "dropped")  # the server is down or went away: wait for it


def announce(settings: Settings, given: bool) -> None:
    """Which configuration is used, and which servers; said once, at start."""
    conn = settings.connections
    log.info(
        "configuration %s%s; inbox %s, outgoing mail %s, store %s",
        settings.config_path,
        "" if given else " (no --config or MAILBOT_CONFIG given)",
        ", ".join(redact_url(m.connections.inbox_url) for m in settings.mailboxes),
        redact_url(conn.smtp_url),
        redact_url(conn.db_url),
    )


def open_store(settings: Settings, stop: threading.Event) -> Store | None:
    """The store, once it can be opened; None if `stop` was set while waiting for the server."""
    backoff = Backoff()
    url = settings.connections.db_url
    while not stop.is_set():
        try:
            return Store.open(url, settings.language)
        except StoreError as exc:
            if not url.startswith(("postgresql", "postgres")) or not store_server_down(exc):
                raise setup_error(settings, exc) from None
            delay = backoff.next_delay()
            log.warning("store: %s; trying again in %.0f s", exc.message, delay)
            stop.wait(delay)
    return None


def store_server_down(exc: StoreError) -> bool:
    reason = str(exc).lower()
    return any(
        word in reason
        for word in (
            "connection refused",
            "timeout",
            "timed out",
            "could not connect",
            "the database system is starting up",
            "no route",
            "connection failed",
        )
    )


def check_inbox(settings: Settings) -> None:
    """Log into the inbox once: a setup error stops mailbot; a server that is down is the watcher's to wait for."""
    try:
        open_source(settings).close()
    except SourceError as exc:
        if exc.key not in PASSING_INBOX_ERRORS:
            raise setup_error(settings, exc) from None
        log.warning("inbox: %s; the watcher keeps trying", exc)


def setup_error(settings: Settings, exc: Exception) -> ConfigError:
    return i18n.error(ConfigError, "errors.setup_cannot_work", settings.language, error=exc)
