"""The console's people in the store: users, sessions, API tokens and the audit trail.

Secrets never reach the store in clear: passwords arrive already hashed (argon2id,
by the caller), session and API tokens are kept as their SHA-256 digests.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from mailbot.store.engine import reader
from mailbot.store.records import AuditEntry, AuditRow, SessionRow, UserRow
from mailbot.store.rows import audit_of, audit_values, session_of, user_of
from mailbot.store.schema import api_tokens, audit, sessions, users


class AccountStore:
    """Users, sessions, tokens and audit over the store's engine."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.reader = reader(engine)

    # -- users ---------------------------------------------------------------------

    def add_user(self, name: str, role: str, password_hash: str, at: datetime) -> UserRow | None:
        """The new user, or None when the name is taken."""
        with self.engine.begin() as conn:
            if conn.execute(sa.select(users.c.id).where(users.c.name == name)).first():
                return None
            conn.execute(
                sa.insert(users).values(
                    name=name, role=role, password_hash=password_hash, disabled=False, created_at=at
                )
            )
        return self.user(name)

    def user(self, name: str) -> UserRow | None:
        with self.reader.connect() as conn:
            row = conn.execute(sa.select(users).where(users.c.name == name)).first()
        return user_of(row) if row else None

    def users(self) -> list[UserRow]:
        with self.reader.connect() as conn:
            return [user_of(r) for r in conn.execute(sa.select(users).order_by(users.c.name))]

    def update_user(self, user_id: int, **values: Any) -> None:
        with self.engine.begin() as conn:
            conn.execute(sa.update(users).where(users.c.id == user_id).values(**values))

    def end_sessions(self, user_id: int) -> None:
        with self.engine.begin() as conn:
            conn.execute(sa.delete(sessions).where(sessions.c.user_id == user_id))

    # -- sessions and tokens -------------------------------------------------------

    def add_session(
        self, digest: str, user_id: int, csrf: str, address: str | None, at: datetime, expires_at: datetime
    ) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                sa.insert(sessions).values(
                    token_hash=digest, user_id=user_id, csrf=csrf, address=address, created_at=at, expires_at=expires_at
                )
            )

    def session(self, digest: str, now: datetime) -> SessionRow | None:
        query = (
            sa.select(sessions.c.csrf, sessions.c.expires_at, users)
            .join(users, users.c.id == sessions.c.user_id)
            .where(sessions.c.token_hash == digest, sessions.c.expires_at > now)
        )
        with self.reader.connect() as conn:
            row = conn.execute(query).first()
        return session_of(row) if row else None

    def drop_session(self, digest: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(sa.delete(sessions).where(sessions.c.token_hash == digest))

    def add_token(self, digest: str, user_id: int, at: datetime) -> None:
        with self.engine.begin() as conn:
            conn.execute(sa.insert(api_tokens).values(token_hash=digest, user_id=user_id, created_at=at))

    def token_user(self, digest: str) -> UserRow | None:
        query = sa.select(users).join(api_tokens, api_tokens.c.user_id == users.c.id)
        with self.reader.connect() as conn:
            row = conn.execute(query.where(api_tokens.c.token_hash == digest)).first()
        return user_of(row) if row else None

    # -- the audit trail -----------------------------------------------------------

    def record(self, entry: AuditEntry) -> None:
        values = audit_values(entry)
        with self.engine.begin() as conn:
            conn.execute(sa.insert(audit).values(**values))

    def count(self, action: str, since: datetime, who: str | None = None, address: str | None = None) -> int:
        query = sa.select(sa.func.count()).select_from(audit).where(audit.c.action == action, audit.c.at >= since)
        if who is not None:
            query = query.where(audit.c.who == who)
        if address is not None:
            query = query.where(audit.c.address == address)
        with self.reader.connect() as conn:
            return conn.execute(query).scalar_one()

    def trail(self, limit: int = 200, target: str | None = None) -> list[AuditRow]:
        query = sa.select(audit).order_by(audit.c.id.desc()).limit(limit)
        if target is not None:
            query = query.where(audit.c.target == target)
        with self.reader.connect() as conn:
            return [audit_of(r) for r in conn.execute(query)]
