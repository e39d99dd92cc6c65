"""Key/value state (`state:<key>` rows of the meta table), and the marks of messages being worked on."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from mailbot.store.base import StoreBase, insert_ignoring_duplicates
from mailbot.store.schema import meta_table, set_meta


def set_state(conn: Connection, key: str, value: str) -> None:
    """Within the caller's transaction: the state `key` is now `value`."""
    set_meta(conn, f"state:{key}", value)


KEYS_PER_STATEMENT = 500  # attempt marks named in one IN (…)


def end_attempt(conn: Connection, digest: str) -> None:
    """Within the caller's transaction: the message with this digest is no longer being worked on."""
    end_attempts(conn, [digest])


def end_attempts(conn: Connection, digests: list[str]) -> None:
    """Within the caller's transaction: none of these messages is being worked on any longer."""
    keys = [_attempt_key(digest) for digest in digests]
    for start in range(0, len(keys), KEYS_PER_STATEMENT):
        conn.execute(sa.delete(meta_table).where(meta_table.c.key.in_(keys[start : start + KEYS_PER_STATEMENT])))


def _attempt_key(digest: str) -> str:
    return f"state:attempt:{digest}"


class State(StoreBase):
    def get_state(self, key: str) -> str | None:
        with self.reader.connect() as conn:
            return conn.execute(sa.select(meta_table.c.value).where(meta_table.c.key == f"state:{key}")).scalar()

    def set_state(self, key: str, value: str) -> None:
        with self.engine.begin() as conn:
            set_state(conn, key, value)

    def states_ending(self, suffix: str) -> dict[str, str]:
        """Every state whose key ends with `suffix`, by key (of every campaign)."""
        pattern = f"state:%{suffix}"
        with self.reader.connect() as conn:
            rows = conn.execute(sa.select(meta_table.c.key, meta_table.c.value).where(meta_table.c.key.like(pattern)))
            return {key[len("state:") :]: value for key, value in rows if key.endswith(suffix)}

    def begin_attempt(self, digest: str) -> int:
        """Mark the message with this digest as being worked on; which attempt this is (1 = first).

        The mark outlives a crash: a message during which the process died is found
        marked when the service comes back.
        """
        key = f"attempt:{digest}"
        with self.engine.begin() as conn:
            found = conn.execute(sa.select(meta_table.c.value).where(meta_table.c.key == f"state:{key}")).scalar()
            attempt = int(found or 0) + 1
            set_state(conn, key, str(attempt))
        return attempt

    def marked(self, digests: list[str]) -> list[bool]:
        """Whether each message is marked as being worked on (by an attempt that never ended), read without a mark."""
        keys = [_attempt_key(digest) for digest in digests]
        with self.reader.connect() as conn:
            found = set(conn.execute(sa.select(meta_table.c.key).where(meta_table.c.key.in_(keys))).scalars())
        return [key in found for key in keys]

    def begin_together(self, digests: list[str]) -> None:
        """Mark messages that are read at the same time as being worked on, in one transaction.

        Such a mark counts no attempt of the message's own ("0"): had the process died,
        any of them may have been the cause, so each is then worked on alone and its
        attempts are counted from there (begin_attempt).
        """
        with self.engine.begin() as conn:
            end_attempts(conn, digests)  # then each mark written anew, by one statement
            insert_ignoring_duplicates(
                conn, meta_table, [{"key": _attempt_key(d), "value": "0"} for d in dict.fromkeys(digests)]
            )

    def end_attempt(self, digest: str) -> None:
        with self.engine.begin() as conn:
            end_attempt(conn, digest)
