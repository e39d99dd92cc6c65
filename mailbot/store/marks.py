"""How far each mailbox has been read (UIDVALIDITY + UID), and the watcher's heartbeat."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from mailbot.models import SourceMark
from mailbot.store.base import StoreBase
from mailbot.store.rows import mark_of, mark_values
from mailbot.store.schema import source_marks


def save_mark(conn: Connection, source: str, mark: SourceMark | None) -> None:
    """Within the caller's transaction: the source has been read up to `mark` (None: unchanged)."""
    if mark is None:
        return
    values = mark_values(mark)
    updated = conn.execute(sa.update(source_marks).where(source_marks.c.source == source).values(**values)).rowcount
    if not updated:
        conn.execute(sa.insert(source_marks).values(source=source, **values))


class Marks(StoreBase):
    def source_mark(self, source: str) -> SourceMark | None:
        with self.reader.connect() as conn:
            row = conn.execute(sa.select(source_marks).where(source_marks.c.source == source)).first()
        return mark_of(row) if row else None

    def save_mark(self, source: str, mark: SourceMark) -> None:
        with self.engine.begin() as conn:
            save_mark(conn, source, mark)

    def record_heartbeat(self, source: str, at: datetime) -> None:
        with self.engine.begin() as conn:
            updated = conn.execute(
                sa.update(source_marks).where(source_marks.c.source == source).values(heartbeat_at=at)
            ).rowcount
            if not updated:
                conn.execute(
                    sa.insert(source_marks).values(source=source, uidvalidity=None, last_uid=0, heartbeat_at=at)
                )

    def heartbeat(self) -> tuple[str, datetime] | None:
        query = (
            sa.select(source_marks.c.source, source_marks.c.heartbeat_at)
            .where(source_marks.c.heartbeat_at.is_not(None))
            .order_by(source_marks.c.heartbeat_at.desc())
        )
        with self.reader.connect() as conn:
            row = conn.execute(query).first()
        return (row.source, row.heartbeat_at) if row else None

    def heartbeat_of(self, source: str) -> datetime | None:
        """When mailbox `source` (a source's identity) was last polled successfully, or None."""
        query = sa.select(source_marks.c.heartbeat_at).where(source_marks.c.source == source)
        with self.reader.connect() as conn:
            return conn.execute(query).scalar()
