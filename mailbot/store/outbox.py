"""The outbox: mail queued by whoever caused it, claimed, sent, retried or held."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from mailbot.clock import utcnow
from mailbot.defaults import SENDING_LEASE
from mailbot.models import MailKind, MailState, OutboundMail, QueuedMail
from mailbot.store.base import StoreBase, insert_ignoring_duplicates
from mailbot.store.rows import mail_values, queued_of
from mailbot.store.schema import outbox
from mailbot.store.state import set_state

DUE_AT_ONCE = datetime(1970, 1, 1, tzinfo=UTC)  # next attempt of newly queued mail
ANSWERS = (MailKind.ACK, MailKind.REVIEW)  # what counts against a sender's replies per day


def queue_mail(conn: Connection, mails: list[OutboundMail]) -> int:
    """Within the caller's transaction: queue the mail not queued yet (by key); how many were new."""
    now = utcnow()
    return insert_ignoring_duplicates(conn, outbox, [mail_values(m, now, DUE_AT_ONCE) for m in mails])


def _may_list(wanted: str) -> sa.ColumnElement[bool]:
    """A condition true of every outbox row whose recipients may include `wanted` (ASCII, lower case).

    The JSON text of the recipients holds an ASCII address as written, and any
    other address with \\u escapes; rows with neither are left out in SQL, so that
    only the few candidates are decoded and compared exactly.
    """
    text = sa.cast(outbox.c.recipients, sa.Text)
    return sa.or_(sa.func.lower(text).contains(wanted, autoescape=True), text.contains("\\u", autoescape=True))


class Outbox(StoreBase):
    def queue(self, mails: list[OutboundMail], state: dict[str, str] | None = None) -> int:
        """Queue mail (idempotent on its key), and set `state` keys in the same transaction."""
        with self.engine.begin() as conn:
            added = queue_mail(conn, mails)
            for key, value in (state or {}).items():
                set_state(conn, key, value)
            return added

    def replies_since(self, address: str, since: datetime) -> int:
        """How many answers (acknowledgements, review notices) were queued to `address` since then."""
        query = sa.select(outbox.c.recipients).where(outbox.c.kind.in_(ANSWERS), outbox.c.created_at >= since)
        wanted = address.strip().lower()
        if wanted.isascii() and wanted.isprintable() and '"' not in wanted and "\\" not in wanted:
            query = query.where(_may_list(wanted))
        with self.reader.connect() as conn:
            return sum(1 for (recipients,) in conn.execute(query) if wanted in (r.lower() for r in recipients))

    def answers_since(self, since: datetime) -> Counter[str]:
        """replies_since for every address at once: the answers queued since then, by lower-case address."""
        query = sa.select(outbox.c.recipients).where(outbox.c.kind.in_(ANSWERS), outbox.c.created_at >= since)
        counted: Counter[str] = Counter()
        with self.reader.connect() as conn:
            for (recipients,) in conn.execute(query):
                counted.update({r.lower() for r in recipients})
        return counted

    def is_queued(self, key: str) -> bool:
        with self.reader.connect() as conn:
            return conn.execute(sa.select(outbox.c.id).where(outbox.c.key == key)).first() is not None

    def claim_due(self, now: datetime, limit: int = 50) -> list[QueuedMail]:
        due = sa.or_(
            sa.and_(outbox.c.state == MailState.PENDING, outbox.c.next_attempt_at <= now),
            sa.and_(outbox.c.state == MailState.SENDING, outbox.c.claimed_at <= now - SENDING_LEASE),
        )
        return self._claim(sa.select(outbox).where(due).order_by(outbox.c.id).limit(limit), now)

    def claim_keys(self, keys: list[str], now: datetime) -> list[QueuedMail]:
        """claim_due for the pending mail of these keys alone (mail that is to go before the rest)."""
        due = sa.and_(outbox.c.key.in_(keys), outbox.c.state == MailState.PENDING, outbox.c.next_attempt_at <= now)
        return self._claim(sa.select(outbox).where(due).order_by(outbox.c.id), now)

    def _claim(self, query: sa.Select, now: datetime) -> list[QueuedMail]:
        """The mail `query` selects, marked `sending` (one more attempt) in the same transaction.

        Rows another deliverer holds locked are skipped (FOR UPDATE SKIP LOCKED where the database has it).
        """
        with self.engine.begin() as conn:
            rows = conn.execute(query.with_for_update(skip_locked=True)).all()
            if rows:
                conn.execute(
                    sa.update(outbox)
                    .where(outbox.c.id.in_([r.id for r in rows]))
                    .values(state=MailState.SENDING, attempts=outbox.c.attempts + 1, claimed_at=now)
                )
        return [queued_of(r, state=MailState.SENDING, attempts=r.attempts + 1) for r in rows]

    def release_sending(self) -> int:
        """Put mail left `sending` back in the queue, due at once; for the holder of the delivery lock only.

        Mail is claimed only under that lock, so whoever left it `sending` no longer
        holds the lock: it stopped (crashed, was killed) between claiming and confirming.
        """
        query = sa.update(outbox).where(outbox.c.state == MailState.SENDING)
        with self.engine.begin() as conn:
            return conn.execute(query.values(state=MailState.PENDING, next_attempt_at=DUE_AT_ONCE)).rowcount

    def mark_sent(self, mail_ids: list[int], at: datetime) -> None:
        """Confirm mail the server took, in one write however many."""
        if mail_ids:
            with self.engine.begin() as conn:
                conn.execute(
                    sa.update(outbox)
                    .where(outbox.c.id.in_(mail_ids))
                    .values(state=MailState.SENT, sent_at=at, last_error=None)
                )

    def mark_retry(self, mail_id: int, next_attempt_at: datetime, error: str) -> None:
        self._set_mail(mail_id, state=MailState.PENDING, next_attempt_at=next_attempt_at, last_error=error)

    def mark_held(self, mail_id: int, error: str) -> None:
        self._set_mail(mail_id, state=MailState.HELD, last_error=error)

    def _set_mail(self, mail_id: int, **values: Any) -> None:
        with self.engine.begin() as conn:
            conn.execute(sa.update(outbox).where(outbox.c.id == mail_id).values(**values))

    def held_mail(self) -> list[QueuedMail]:
        return self.mail(MailState.HELD)

    def mail(self, state: str | None = None) -> list[QueuedMail]:
        query = sa.select(outbox).order_by(outbox.c.id)
        if state is not None:
            query = query.where(outbox.c.state == state)
        with self.reader.connect() as conn:
            return [queued_of(r) for r in conn.execute(query)]

    def release_held(self, mail_ids: list[int] | None = None) -> int:
        query = sa.update(outbox).where(outbox.c.state == MailState.HELD)
        if mail_ids is not None:
            query = query.where(outbox.c.id.in_(mail_ids))
        with self.engine.begin() as conn:
            return conn.execute(query.values(state=MailState.PENDING, next_attempt_at=DUE_AT_ONCE)).rowcount

    def outbox_counts(self) -> dict[str, int]:
        counts: dict[str, int] = {state.value: 0 for state in MailState}
        query = sa.select(outbox.c.state, sa.func.count()).group_by(outbox.c.state)
        with self.reader.connect() as conn:
            counts.update({state: n for state, n in conn.execute(query)})
        return counts
