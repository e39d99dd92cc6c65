"""A consistent copy of a SQLite store while the service runs: SQLite's online backup API.

A store in WAL mode is not safely copied by `cp` (the last commits may sit in the
-wal file); the backup API copies a consistent snapshot page by page. The copy is
written beside the target and renamed into place once checked, so a failure (a
full disk, say) leaves no half-written file behind.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from sqlalchemy.engine import Engine

PAGES_PER_STEP = 1024  # copy in steps, so writers are not held up for the whole copy


def backup_sqlite(engine: Engine, target: Path) -> None:
    """Copy the store behind `engine` to `target`; raises OSError or sqlite3.Error."""
    target = target.resolve()
    partial = target.with_name(f".{target.name}.partial")
    partial.unlink(missing_ok=True)
    try:
        raw = engine.raw_connection()
        try:
            source = raw.driver_connection
            if source is None:
                raise sqlite3.OperationalError("the store's connection is closed")
            with sqlite3.connect(partial) as copy:
                source.backup(copy, pages=PAGES_PER_STEP)
                copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
                check = copy.execute("PRAGMA quick_check").fetchone()[0]
            copy.close()
        finally:
            raw.close()
        if check != "ok":
            raise sqlite3.DatabaseError(f"the copy failed its check: {check}")
        with open(partial, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
