"""The console's account records as the store returns them (mapped in rows.py)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class UserRow:
    id: int
    name: str
    role: str
    password_hash: str
    disabled: bool
    created_at: datetime


@dataclass(frozen=True)
class SessionRow:
    """A signed-in session: whose, its CSRF token, and when it ends."""

    user: UserRow
    csrf: str
    expires_at: datetime


@dataclass(frozen=True)
class AuditEntry:
    """One line of the audit trail: who did what (`action`), when, from where, to what, with what detail."""

    at: datetime
    who: str
    action: str
    address: str | None = None  # where they sat: the console's client, "cli", or None for mailbot itself
    target: str | None = None  # what it was done to: "user:lan", "report:2020-08-14", "submission:7"
    detail: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class AuditRow(AuditEntry):
    """An audit line as stored, with its number."""

    id: int
