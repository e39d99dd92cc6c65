"""Engines for the store URLs: SQLite in WAL mode, PostgreSQL through psycopg."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine, ExceptionContext

from mailbot import i18n
from mailbot.config import redact_url
from mailbot.errors import ConfigError, StoreError

# Failures of the place the store lives in, not of mailbot: each becomes one StoreError line. The
# transaction is rolled back, so nothing is half-written, and the work can be run again once fixed.
ENVIRONMENT_FAILURES = (
    "database or disk is full",
    "no space left on device",
    "disk i/o error",
    "readonly database",
    "read-only",
    "unable to open database file",
    "server closed the connection",
    "terminating connection",
    "could not extend file",
)

# A connection with this execution option only reads: on SQLite its transaction is a plain
# (deferred) BEGIN, a snapshot that never waits for a writer, where every other one is
# BEGIN IMMEDIATE. `reader(engine)` gives such connections.
READS_ONLY = "mailbot_reads_only"
# Each SQLite connection's own page cache (SQLite's default is 2,000 KiB). The system's page
# cache holds the file already; a cache per pooled connection grew a 20,000-mail poll by some
# 2 MB and made no query measured faster (bench/national.py, bench/ingest.py).
PAGE_CACHE_KIB = 512


def create_engine(url: str, lang: str) -> Engine:
    """The engine for `url`; a URL or folder that cannot be used is a StoreError in `lang`."""
    if url.startswith("sqlite:"):
        return _one_line_failures(sqlite_engine(url, lang), url, lang)
    given = url  # messages name the URL as the administrator wrote it
    if url.startswith(("postgresql:", "postgres:")):
        url = "postgresql+psycopg:" + url.split(":", 1)[1]
    try:
        return _one_line_failures(sa.create_engine(url, pool_pre_ping=True), given, lang)
    except ImportError as exc:  # the postgres extra is not installed
        raise i18n.error(
            ConfigError, "errors.store_driver_missing", lang, url=redact_url(given), module=exc.name
        ) from None
    except sa.exc.ArgumentError as exc:
        raise i18n.error(StoreError, "errors.store_url_unusable", lang, url=redact_url(given), reason=exc) from None


def reader(engine: Engine) -> Engine:
    """The same engine and pool, for connections that only read (see READS_ONLY)."""
    return engine.execution_options(**{READS_ONLY: True})


def private_file(path: Path) -> None:
    """Create the store's folder (0700) and file (0600) if missing: it holds every raw mail.

    SQLite gives its -wal and -shm files the database file's mode. An existing
    folder or file keeps the mode its administrator chose.
    """
    if not path.parent.exists():
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    if not path.exists():
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))


def sqlite_engine(url: str, lang: str) -> Engine:
    path = url.split("sqlite:///", 1)[-1] if url.startswith("sqlite:///") else ""
    if path and path != ":memory:":
        try:
            private_file(Path(path))
        except OSError as exc:
            raise i18n.error(StoreError, "errors.store_folder", lang, path=path, reason=exc.strerror) from None
    engine = sa.create_engine(url, connect_args={"timeout": 60})

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")  # WAL: durable across crashes, one fsync per checkpoint
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=60000")
        cursor.execute(f"PRAGMA cache_size=-{PAGE_CACHE_KIB}")
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        if conn.get_execution_options().get(READS_ONLY):
            conn.exec_driver_sql("BEGIN")  # a WAL snapshot: readers go on beside a writer
        else:
            conn.exec_driver_sql("BEGIN IMMEDIATE")  # writers queue up instead of failing to upgrade

    return engine


def _one_line_failures(engine: Engine, url: str, lang: str) -> Engine:
    """A full disk, a read-only store or a lost connection is a StoreError saying so, from any query."""

    @sa.event.listens_for(engine, "handle_error")
    def _translate(context: ExceptionContext) -> None:
        if context.connection is None or getattr(context, "is_pre_ping", False):
            return  # failing to connect is Store.open's to say; a failed pre-ping just reconnects
        reason = str(getattr(context.original_exception, "args", [""])[0] or context.original_exception)
        if context.is_disconnect or any(words in reason.lower() for words in ENVIRONMENT_FAILURES):
            shown = " ".join(reason.split())[:300]
            raise i18n.error(StoreError, "errors.store_write_failed", lang, url=redact_url(url), reason=shown)

    return engine
