"""`mailbot web`: the console for ICT staff, and its JSON API (docs/commands.md#web-console).

A Starlette application over the application layer (`mailbot.app.App`), served
by uvicorn. The only room that knows Starlette and uvicorn.
"""

from __future__ import annotations

import logging
import signal
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

from mailbot import i18n
from mailbot.app import SESSION_LIFETIME, App, opened
from mailbot.config import Settings
from mailbot.errors import ConfigError
from mailbot.web import api, images, pages, record_page  # noqa: F401  (their handlers declare the routes)
from mailbot.web.handlers import ROUTES
from mailbot.web.proxy import TrustedProxy
from mailbot.web.security import SESSION_COOKIE

if TYPE_CHECKING:
    import uvicorn

log = logging.getLogger(__name__)

STATIC = Path(__file__).resolve().parent / "static"
DEFAULT_HOST, DEFAULT_PORT = "127.0.0.1", 8080
REFRESH_SECONDS = 30
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; frame-ancestors 'self'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "SAMEORIGIN",
    "Cache-Control": "no-store",
}


class SecurityHeaders(BaseHTTPMiddleware):
    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        response = await call_next(request)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response


def create_app(app: App, refresh_seconds: int = REFRESH_SECONDS) -> Starlette:
    """The console over `app`; the board asks for fresh figures every `refresh_seconds`.

    A reverse proxy is believed only from `web.trusted_proxies` (mailbot.web.proxy).
    """
    routes = [*ROUTES, Mount("/static", StaticFiles(directory=STATIC), name="static")]
    lifetime = int(SESSION_LIFETIME.total_seconds())
    proxy = Middleware(TrustedProxy, options=app.settings.web, cookie_name=SESSION_COOKIE, cookie_lifetime=lifetime)
    web = Starlette(routes=routes, middleware=[proxy, Middleware(SecurityHeaders)])
    web.state.mailbot = app
    web.state.refresh_seconds = refresh_seconds
    return web


def _config(app: App, host: str, port: int) -> uvicorn.Config:
    import uvicorn

    return uvicorn.Config(
        create_app(app), host=host, port=port, log_level="info", proxy_headers=False, server_header=False
    )


def serve(app: App, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT) -> None:
    """Serve the console until SIGINT or SIGTERM (uvicorn stops in order on both)."""
    import uvicorn

    config = _config(app, host, port)
    stopped = []
    # uvicorn stops in order on SIGINT/SIGTERM, then raises the signal again for the handler it
    # found; this one notes it, so that an orderly stop ends the command with status 0.
    previous = {sig: signal.signal(sig, lambda signum, _frame: stopped.append(signum)) for sig in STOP_SIGNALS}
    try:
        log.info("the console listens on http://%s:%s/", host, port)
        uvicorn.Server(config).run()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    log.info("the console stopped (signal %s)", stopped[0] if stopped else "none")


@contextmanager
def alongside(settings: Settings) -> Iterator[None]:
    """With `[web] enabled`, the console served in this process while the block runs (`mailbot run`).

    The port is taken before anything else starts, so a port in use stops the
    service at once with a clear message; the console stops when the block ends.
    """
    if not settings.web.enabled:
        yield
        return
    import uvicorn

    host, port = settings.web.host, settings.web.port
    try:
        listening = socket.create_server((host, port), family=_family(host), reuse_port=False)
    except OSError as exc:
        raise i18n.error(
            ConfigError, "errors.web_cannot_listen", settings.language, host=host, port=port, reason=exc.strerror or exc
        ) from None
    with opened(settings) as app:
        server = uvicorn.Server(_config(app, host, port))
        thread = threading.Thread(target=server.run, kwargs={"sockets": [listening]}, name="console", daemon=True)
        thread.start()
        log.info("the console listens on http://%s:%s/ inside the service", host, port)
        try:
            yield
        finally:
            server.should_exit = True
            thread.join(timeout=30)
            listening.close()
            log.info("the console stopped")


def _family(host: str) -> socket.AddressFamily:
    return socket.AF_INET6 if ":" in host else socket.AF_INET
