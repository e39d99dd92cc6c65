"""A real OAuth2 token introspection endpoint (RFC 7662) on loopback, and a Dovecot that asks it.

`introspection_server` (function) is a small HTTP server in a thread. Dovecot POSTs
`token=...` to it; it answers `{"active": true, "username": ...}` for the tokens it
issued and `{"active": false}` for any other, which is all an authorisation server
says about an expired or revoked token. It remembers every token it was asked about.

`oauth2_account` is a fresh user on its own Dovecot instance whose XOAUTH2 logins are
checked by that endpoint, with one valid access token. The user's password still
works for LOGIN, so the ImapAccount helpers (append, listing, ...) fill the mailbox
as another mail client would.
"""

from __future__ import annotations

import json
import secrets
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import pytest
from fixtures_dovecot import ImapAccount


class IntrospectionServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), IntrospectionHandler)
        self.owners: dict[str, str] = {}  # valid access token -> user name
        self.asked: list[str] = []  # every token Dovecot asked about, in order

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/introspect"

    def issue(self, user: str) -> str:
        """A new valid access token for `user`."""
        token = f"ya29.{secrets.token_urlsafe(24)}"
        self.owners[token] = user
        return token

    def answer(self, token: str) -> dict:
        self.asked.append(token)
        if token in self.owners:
            return {"active": True, "username": self.owners[token], "scope": "mail"}
        return {"active": False}


class IntrospectionHandler(BaseHTTPRequestHandler):
    server: IntrospectionServer

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        form = parse_qs(self.rfile.read(length).decode("ascii"))
        body = json.dumps(self.server.answer(form.get("token", [""])[0])).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args) -> None:  # keep test output clean
        pass


@dataclass
class OAuth2Account:
    account: ImapAccount  # its password is for the helpers, never for mailbot
    token: str  # a valid access token for account.user
    introspection: IntrospectionServer


@pytest.fixture
def introspection_server():
    server = IntrospectionServer()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture
def oauth2_account(dovecot_factory, introspection_server):
    server = dovecot_factory(introspection_url=introspection_server.url)
    account = ImapAccount(server, "baocao.stttt@haiduong.gov.vn", "M@tKhau:chi-cho-webmail")
    server.add_user(account.user, account.password)
    try:
        yield OAuth2Account(account, introspection_server.issue(account.user), introspection_server)
    finally:
        account.close()
