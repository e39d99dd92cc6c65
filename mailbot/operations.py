"""Use cases of putting mailbot into service: init, backup, connection checks, the health check.

Part of the application layer (mailbot.app re-exports them): the command line
calls these and prints what they return.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from mailbot import i18n
from mailbot.config import DEFAULT_LANGUAGE, Settings, redact_url
from mailbot.errors import MailbotError, StoreError
from mailbot.health import CRITICAL, Health, assess
from mailbot.resources import starter_campaign
from mailbot.store import Store

CAMPAIGN_FILE = "mailbot.toml"


def write_starter_campaign(directory: Path, force: bool = False) -> Path:
    """Copy the commented starter campaign into `directory`; never overwrite unless `force`."""
    target = directory / CAMPAIGN_FILE
    if target.exists() and not force:
        raise i18n.error(MailbotError, "errors.init_exists", DEFAULT_LANGUAGE, path=target)
    try:
        directory.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(starter_campaign(), target)
    except OSError as exc:
        raise i18n.error(
            MailbotError, "errors.init_unwritable", DEFAULT_LANGUAGE, path=target, reason=exc.strerror
        ) from None
    return target


def backup_store(settings: Settings, target: Path) -> dict[str, int]:
    """A consistent copy of the SQLite store in `target`; what it holds. PostgreSQL: use pg_dump."""
    url = settings.connections.db_url
    if not url.startswith("sqlite:"):  # said before connecting: nothing here can copy a PostgreSQL store
        raise i18n.error(StoreError, "errors.backup_postgres", settings.language, url=redact_url(url))
    store = Store.open(url, settings.language)
    try:
        store.backup(target)
        return store.counts()
    finally:
        store.close()


@dataclass(frozen=True)
class ConnectionCheck:
    part: str  # "inbox", "smtp" or "store"
    target: str  # the URL, without its password
    error: MailbotError | None


def check_connections(settings: Settings) -> list[ConnectionCheck]:
    """Log into the inbox (each mailbox of the deployment), greet the SMTP server and open the store; each one's outcome."""
    conn = settings.connections
    inboxes = [
        ConnectionCheck("inbox", redact_url(m.connections.inbox_url), _failure(_check_inbox, m))
        for m in settings.mailboxes
    ]
    return [
        *inboxes,
        ConnectionCheck("smtp", redact_url(conn.smtp_url), _failure(_check_smtp, settings)),
        ConnectionCheck("store", redact_url(conn.db_url), _failure(_check_store, settings)),
    ]


def _failure(check: Callable[[Settings], object], settings: Settings) -> MailbotError | None:
    try:
        check(settings)
    except MailbotError as exc:
        return exc
    return None


def _check_inbox(settings: Settings) -> None:
    from mailbot.inbox import open_source

    open_source(settings).close()


def _check_smtp(settings: Settings) -> None:
    from mailbot.outbox import open_transport

    open_transport(settings).check()


def _check_store(settings: Settings) -> None:
    store = Store.open(settings.connections.db_url, settings.language)
    try:
        store.counts()
    finally:
        store.close()


def health_check(settings: Settings, now: datetime) -> Health:
    """`mailbot status --check`: one line and its level; a store that cannot be opened is critical."""
    try:
        store = Store.open(settings.connections.db_url, settings.language)
    except MailbotError as exc:
        return Health(CRITICAL, i18n.text("health.store_unopenable", settings.language, error=exc))
    try:
        return assess(settings, store, now)
    except Exception as exc:  # a store that opened but cannot answer is as bad as one that cannot open
        reason = " ".join(str(exc).split())[:300]
        return Health(CRITICAL, i18n.text("health.store_unopenable", settings.language, error=reason))
    finally:
        store.close()
