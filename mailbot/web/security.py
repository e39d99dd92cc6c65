"""Who is asking: the session cookie, the CSRF token of every form, roles, the client's address."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response

from mailbot.app import App, Session
from mailbot.web.proxy import NEW_SESSION, PROXY_USER

SESSION_COOKIE = "mb_session"
SIGNIN_COOKIE = "mb_signin"  # the sign-in form's own CSRF token, before there is a session
CSRF_FIELD = "csrf"


@dataclass(frozen=True)
class Visitor:
    session: Session | None
    address: str | None

    @property
    def name(self) -> str:
        """The signed-in user's name ("" for nobody: every caller has checked the session)."""
        return self.session.user.name if self.session else ""

    def may(self, role: str) -> bool:
        return self.session is not None and self.session.user.may(role)


def address_of(request: Request) -> str | None:
    """The client's address (uvicorn puts a trusted proxy's X-Forwarded-For here)."""
    return request.client.host if request.client else None


def visitor(app: App, request: Request) -> Visitor:
    """The signed-in user: the session cookie's, or the trusted proxy's user (mailbot.web.proxy)."""
    now = app.clock()
    session = app.accounts.session(request.cookies.get(SESSION_COOKIE), now)
    named = request.scope.get("state", {}).get(PROXY_USER)
    if named and (session is None or session.user.name != named):
        session = app.accounts.proxy_session(named, address_of(request), now)
        request.scope["state"][NEW_SESSION] = session
    return Visitor(session, address_of(request))


def csrf_ok(expected: str | None, given: str | None) -> bool:
    if not expected or not given:
        return False
    return secrets.compare_digest(expected.encode(), given.encode())


def set_cookie(request: Request, response: Response, name: str, value: str, max_age: int | None = None) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/",
    )


def new_token() -> str:
    return secrets.token_urlsafe(32)
