"""The console's account records as the store returns them (mapped in rows.py)."""

from __future__ import annotations

from dataclasses import dataclass
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
    user: UserRow
    csrf: str
    expires_at: datetime


@dataclass(frozen=True)
class AuditRow:
    id: int
    at: datetime
    who: str
    address: str | None
    action: str
    target: str | None
    detail: dict
