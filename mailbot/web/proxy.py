"""Who is really asking, behind a reverse proxy (docs/settings.md, [web]).

Only a peer in `web.trusted_proxies` may say, by `X-Forwarded-For` and
`X-Forwarded-Proto`, which client it forwards, and by `web.user_header` who that
client signed in as. The same header from any other address is a forgery: the
request is treated as signed out (its session cookie is not believed) and the log
says so.
"""

from __future__ import annotations

import ipaddress
import logging
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mailbot.config import WebOptions

log = logging.getLogger(__name__)

PROXY_USER = "proxy_user"  # scope["state"] keys the console's pages read
NEW_SESSION = "new_session"


class TrustedProxy:
    """ASGI middleware: the client's address and the proxy's user, believed only from trusted peers."""

    def __init__(self, app: ASGIApp, options: WebOptions, cookie_name: str, cookie_lifetime: int) -> None:
        self.app = app
        self.networks = [ipaddress.ip_network(value, strict=False) for value in options.trusted_proxies]
        self.header = options.user_header.lower().encode("latin-1") if options.user_header else None
        self.cookie_name = cookie_name
        self.cookie_lifetime = cookie_lifetime

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        scope = dict(scope)
        state = scope["state"] = dict(scope.get("state") or {})
        peer = scope["client"][0] if scope.get("client") else None
        trusted = self.trusted(peer)
        headers = {name.lower(): value for name, value in scope["headers"]}
        if trusted:
            self._forwarded(scope, headers)
        if self.header is not None and self.header in headers:
            named = headers[self.header].decode("latin-1").strip()
            if trusted and named:
                state[PROXY_USER] = named
            elif not trusted:
                log.warning("header %s from %s, which is not a trusted proxy: treated as signed out", self.header, peer)
                scope["headers"] = [(k, v) for k, v in scope["headers"] if k.lower() != b"cookie"]
        await self.app(scope, receive, self._sending(send, state, scope.get("scheme") == "https"))

    def trusted(self, peer: str | None) -> bool:
        try:
            address = ipaddress.ip_address(peer) if peer else None
        except ValueError:
            return False
        return address is not None and any(address in network for network in self.networks)

    @staticmethod
    def _forwarded(scope: Scope, headers: dict[bytes, bytes]) -> None:
        forwarded = headers.get(b"x-forwarded-for")
        if forwarded:
            client = forwarded.decode("latin-1").split(",")[-1].strip()  # the hop our own proxy added
            if client:
                scope["client"] = (client, 0)
        proto = headers.get(b"x-forwarded-proto")
        if proto and proto.decode("latin-1").strip().lower() in ("http", "https"):
            scope["scheme"] = proto.decode("latin-1").strip().lower()

    def _sending(self, send: Send, state: dict[str, Any], secure: bool) -> Send:
        """The response, with the cookie of a session opened for the proxy's user."""

        async def sending(message: Message) -> None:
            session = state.get(NEW_SESSION)
            if message["type"] == "http.response.start" and session is not None:
                cookie = f"{self.cookie_name}={session.token}; HttpOnly; Max-Age={self.cookie_lifetime}; Path=/"
                cookie += "; SameSite=strict" + ("; Secure" if secure else "")
                message = dict(message)
                header = cookie.encode("latin-1")
                message["headers"] = [*message.get("headers", []), (b"set-cookie", header)]
            await send(message)

        return sending
