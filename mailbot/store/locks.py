"""Named locks: PostgreSQL advisory locks, or leases in the `locks` table on SQLite."""

from __future__ import annotations

import hashlib
import os
import socket
import threading
import time as clock
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from mailbot.clock import utcnow
from mailbot.defaults import LOCK_LEASE
from mailbot.store.base import StoreBase
from mailbot.store.schema import locks


def holder_alive(holder: str) -> bool:
    """A lock holder on this host whose process is gone has released its lock."""
    host, _, rest = holder.partition(":")
    if host != socket.gethostname():
        return True
    pid = int(rest.partition(":")[0] or 0)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class Locks(StoreBase):
    @contextmanager
    def lock(self, name: str, wait: bool = True, timeout: float = 600) -> Iterator[bool]:
        """Hold the named lock while the block runs; yields False if not taken."""
        if self.is_postgres:
            with self._advisory_lock(name, wait, timeout) as taken:
                yield taken
            return
        holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex}"
        deadline = clock.monotonic() + timeout
        while not self._try_lease(name, holder):
            if not wait or clock.monotonic() > deadline:
                yield False
                return
            clock.sleep(0.2)
        try:
            yield True
        finally:
            with self.engine.begin() as conn:
                conn.execute(sa.delete(locks).where(locks.c.name == name, locks.c.holder == holder))

    def _try_lease(self, name: str, holder: str) -> bool:
        now = utcnow()
        with self.engine.begin() as conn:
            row = conn.execute(sa.select(locks).where(locks.c.name == name)).first()
            if row is not None and row.expires_at > now and holder_alive(row.holder):
                return False
            if row is not None:
                conn.execute(sa.delete(locks).where(locks.c.name == name))
            conn.execute(sa.insert(locks).values(name=name, holder=holder, expires_at=now + LOCK_LEASE))
            return True

    @contextmanager
    def lease(
        self, name: str, retry_seconds: float, stop: threading.Event, on_wait: Callable[[], None] = lambda: None
    ) -> Iterator[Callable[[], bool] | None]:
        """Wait until the named lease is this process's, and hold it while the block runs.

        Yields `held()`, true while the lease still is this process's. On PostgreSQL it is
        an advisory lock on a connection of its own, which the server releases the moment
        the process dies (a kill -9 included), so another instance takes over at its next
        try, `retry_seconds` later at most. On SQLite (one machine) it is a row of the
        locks table naming this process, taken over once that process is gone. Yields None
        when `stop` is set while waiting.
        """
        if self.is_postgres:
            with self._advisory_lease(name, retry_seconds, stop, on_wait) as held:
                yield held
            return
        holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex}"
        if not _taken_in_time(lambda: self._try_lease(name, holder), retry_seconds, stop, on_wait):
            yield None
            return
        try:
            yield lambda: self._holds(name, holder)
        finally:
            with self.engine.begin() as conn:
                conn.execute(sa.delete(locks).where(locks.c.name == name, locks.c.holder == holder))

    def _holds(self, name: str, holder: str) -> bool:
        try:
            with self.reader.connect() as conn:
                found = conn.execute(sa.select(locks.c.holder).where(locks.c.name == name)).scalar()
        except sa.exc.SQLAlchemyError:
            return False
        return found == holder

    @contextmanager
    def _advisory_lease(
        self, name: str, retry_seconds: float, stop: threading.Event, on_wait: Callable[[], None]
    ) -> Iterator[Callable[[], bool] | None]:
        key, conn = advisory_key(name), self.engine.connect()

        def try_lock() -> bool:
            taken = conn.execute(sa.text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar()
            conn.commit()
            return bool(taken)

        try:
            if not _taken_in_time(try_lock, retry_seconds, stop, on_wait):
                yield None
                return
            yield lambda: _answers(conn)
        finally:
            try:
                conn.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": key})
                conn.commit()
            except sa.exc.SQLAlchemyError:  # the connection is gone, and the lock with it
                pass
            conn.close()

    @contextmanager
    def _advisory_lock(self, name: str, wait: bool, timeout: float) -> Iterator[bool]:
        key = advisory_key(name)
        with self.engine.connect() as conn:
            deadline = clock.monotonic() + timeout
            taken = conn.execute(sa.text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar()
            while not taken and wait and clock.monotonic() < deadline:
                clock.sleep(0.2)
                taken = conn.execute(sa.text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar()
            conn.commit()
            try:
                yield bool(taken)
            finally:
                if taken:
                    conn.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": key})
                    conn.commit()


def advisory_key(name: str) -> int:
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


def _answers(conn: Connection) -> bool:
    """True while the lease's connection (and with it the advisory lock) is alive."""
    try:
        alive = conn.execute(sa.text("SELECT 1")).scalar() == 1
        conn.commit()
        return alive
    except sa.exc.SQLAlchemyError:
        return False


def _taken_in_time(
    take: Callable[[], bool], retry_seconds: float, stop: threading.Event, on_wait: Callable[[], None]
) -> bool:
    """Try `take` every `retry_seconds` until it succeeds (True) or `stop` is set (False); `on_wait` once."""
    waited = False
    while not take():
        if not waited:
            on_wait()
            waited = True
        if stop.wait(retry_seconds):
            return False
    return True
