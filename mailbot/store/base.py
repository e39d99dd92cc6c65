"""What every part of the store stands on: the engine, the language errors are said in."""

from __future__ import annotations

import importlib

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from mailbot.config import DEFAULT_LANGUAGE
from mailbot.store.engine import reader
from mailbot.store.rows import Values


class StoreBase:
    """The state the store's parts share; each part (locks.py, outbox.py, …) extends it.

    `language` is the one a person reads the store's errors in (settings.language).
    """

    def __init__(self, engine: Engine, url: str, language: str = DEFAULT_LANGUAGE) -> None:
        self.engine = engine
        self.reader = reader(engine)  # for reads: on SQLite they never wait for a writer
        self.url = url
        self.language = language
        self.is_postgres = engine.dialect.name == "postgresql"


def insert_ignoring_duplicates(conn: Connection, table: sa.Table, rows: list[Values]) -> int:
    """Insert the rows that do not clash with a unique key; how many were new."""
    if not rows:
        return 0
    dialect = importlib.import_module(f"sqlalchemy.dialects.{conn.dialect.name}")  # the engine's own, loaded
    statement = dialect.insert(table).on_conflict_do_nothing()
    if len(rows) == 1:
        return max(conn.execute(statement, rows[0]).rowcount, 0)
    # All of them by one statement; counted by what it returns (a row count of many is not reliable everywhere).
    first_key = next(iter(table.primary_key.columns))
    return len(conn.execute(statement.returning(first_key), rows).all())


def first_line(exc: Exception) -> str:
    return str(getattr(exc, "orig", None) or exc).splitlines()[0]
