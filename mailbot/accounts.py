"""Who may use the console: users, roles, sign-in, sessions, API tokens, the audit trail.

Part of the application layer: the command line's `mailbot user …` and the web
console call these, never the store. The only module that imports argon2-cffi.
Passwords are hashed with argon2id; session and API tokens are random and kept
only as SHA-256 digests, so a copy of the store gives no way in.
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from mailbot import i18n
from mailbot.errors import MailbotError, NotFoundError, UsageError
from mailbot.store import Store
from mailbot.store.accounts import AccountStore
from mailbot.store.records import AuditEntry, AuditRow, UserRow

log = logging.getLogger(__name__)

ROLES = ("viewer", "reviewer", "admin")  # each may do what the ones before it may
MIN_PASSWORD_LENGTH = 10
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,99}$")
SESSION_LIFETIME = timedelta(hours=12)
SIGN_IN_WINDOW = timedelta(minutes=15)
SIGN_IN_ATTEMPTS = 5  # failures per name, or per address, within the window before sign-in pauses
TOKEN_PREFIX = "mbt_"

SIGN_IN, SIGN_IN_FAILED, SIGN_OUT = "sign_in", "sign_in_failed", "sign_out"

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters


class AccessError(MailbotError):
    """Sign-in refused, a session ended, or a role too low for the action."""

    exit_code = 1


@dataclass(frozen=True)
class User:
    name: str
    role: str
    disabled: bool
    created_at: datetime

    def may(self, role: str) -> bool:
        return not self.disabled and ROLES.index(self.role) >= ROLES.index(role)


@dataclass(frozen=True)
class Session:
    token: str  # what the browser keeps; never stored
    user: User
    csrf: str
    expires_at: datetime


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _public(row: UserRow) -> User:
    return User(row.name, row.role, row.disabled, row.created_at)


class Accounts:
    """The use cases about people; `lang` is the language their errors are said in."""

    def __init__(self, store: Store, lang: str) -> None:
        self.rows = AccountStore(store.engine)
        self.lang = lang

    # -- managing users (mailbot user …) ---------------------------------------------

    def add(self, name: str, role: str, password: str, at: datetime, by: str, address: str | None = None) -> User:
        name = name.strip()
        if not NAME_RE.match(name):
            raise i18n.error(UsageError, "users.bad_name", self.lang, name=name)
        self._check_role(role)
        self._check_password(password)
        row = self.rows.add_user(name, role, _hasher.hash(password), at)
        if row is None:
            raise i18n.error(UsageError, "users.name_taken", self.lang, name=name)
        self.rows.record(AuditEntry(at, by, "user_add", address, target=f"user:{name}", detail={"role": role}))
        return _public(row)

    def users(self) -> list[User]:
        return [_public(r) for r in self.rows.users()]

    def disable(self, name: str, at: datetime, by: str, address: str | None = None) -> User:
        row = self._row(name)
        self.rows.update_user(row.id, disabled=True)
        self.rows.end_sessions(row.id)
        self.rows.record(AuditEntry(at, by, "user_disable", address, target=f"user:{name}"))
        return _public(self._row(name))

    def set_password(self, name: str, password: str, at: datetime, by: str, address: str | None = None) -> User:
        row = self._row(name)
        self._check_password(password)
        self.rows.update_user(row.id, password_hash=_hasher.hash(password))
        self.rows.end_sessions(row.id)
        self.rows.record(AuditEntry(at, by, "user_passwd", address, target=f"user:{name}"))
        return _public(row)

    def new_token(self, name: str, at: datetime, by: str, address: str | None = None) -> str:
        row = self._row(name)
        if row.disabled:
            raise i18n.error(UsageError, "users.disabled", self.lang, name=name)
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        self.rows.add_token(digest(token), row.id, at)
        self.rows.record(AuditEntry(at, by, "user_token", address, target=f"user:{name}"))
        return token

    # -- signing in -------------------------------------------------------------------

    def sign_in(self, name: str, password: str, address: str | None, now: datetime) -> Session:
        """A new session, or AccessError: a wrong name or password, a disabled user, too many tries."""
        name = name.strip()
        since = now - SIGN_IN_WINDOW
        if (
            self.rows.count(SIGN_IN_FAILED, since, who=name) >= SIGN_IN_ATTEMPTS
            or self.rows.count(SIGN_IN_FAILED, since, address=address) >= SIGN_IN_ATTEMPTS
        ):
            self.rows.record(AuditEntry(now, name, SIGN_IN_FAILED, address, detail={"why": "throttled"}))
            raise i18n.error(
                AccessError, "users.throttled", self.lang, minutes=int(SIGN_IN_WINDOW.total_seconds() // 60)
            )
        row = self.rows.user(name)
        if not _verify(row.password_hash if row else _no_user_hash(), password) or row is None or row.disabled:
            self.rows.record(AuditEntry(now, name or "?", SIGN_IN_FAILED, address))
            raise i18n.error(AccessError, "users.wrong_password", self.lang)
        if _hasher.check_needs_rehash(row.password_hash):
            self.rows.update_user(row.id, password_hash=_hasher.hash(password))
        token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        expires = now + SESSION_LIFETIME
        self.rows.add_session(digest(token), row.id, csrf, address, now, expires)
        self.rows.record(AuditEntry(now, name, SIGN_IN, address))
        return Session(token, _public(row), csrf, expires)

    def proxy_session(self, name: str, address: str | None, now: datetime) -> Session | None:
        """A session for the user a trusted reverse proxy names (it has checked who they are), or None
        when mailbot has no such active user: the role is always mailbot's own."""
        row = self.rows.user(name.strip())
        if row is None or row.disabled:
            log.warning("the proxy names %r, who is not an active user of mailbot; signed out", name)
            return None
        token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        expires = now + SESSION_LIFETIME
        self.rows.add_session(digest(token), row.id, csrf, address, now, expires)
        self.rows.record(AuditEntry(now, row.name, SIGN_IN, address, detail={"via": "proxy"}))
        return Session(token, _public(row), csrf, expires)

    def session(self, token: str | None, now: datetime) -> Session | None:
        if not token:
            return None
        found = self.rows.session(digest(token), now)
        if found is None or found.user.disabled:
            return None
        return Session(token, _public(found.user), found.csrf, found.expires_at)

    def sign_out(self, session: Session, address: str | None, now: datetime) -> None:
        self.rows.drop_session(digest(session.token))
        self.rows.record(AuditEntry(now, session.user.name, SIGN_OUT, address))

    def token_user(self, token: str | None) -> User | None:
        if not token:
            return None
        row = self.rows.token_user(digest(token))
        return _public(row) if row and not row.disabled else None

    # -- the audit trail --------------------------------------------------------------

    def record(self, entry: AuditEntry) -> None:
        self.rows.record(entry)

    def trail(self, limit: int = 200, target: str | None = None) -> list[AuditRow]:
        return self.rows.trail(limit, target)

    # -- checks -----------------------------------------------------------------------

    def _row(self, name: str) -> UserRow:
        row = self.rows.user(name.strip())
        if row is None:
            known = ", ".join(u.name for u in self.rows.users()) or "–"
            raise i18n.error(NotFoundError, "users.not_found", self.lang, name=name, known=known)
        return row

    def _check_role(self, role: str) -> None:
        if role not in ROLES:
            raise i18n.error(UsageError, "users.bad_role", self.lang, role=role, roles=", ".join(ROLES))

    def _check_password(self, password: str) -> None:
        if len(password) < MIN_PASSWORD_LENGTH:
            raise i18n.error(UsageError, "users.short_password", self.lang, length=MIN_PASSWORD_LENGTH)


@cache
def _no_user_hash() -> str:
    """What a missing name's password is verified against, so that it takes as long; made on first sign-in."""
    return _hasher.hash(secrets.token_urlsafe(16))


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
