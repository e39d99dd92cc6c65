"""Real servers on loopback for the benchmarks.

Dovecot comes from the tests' harness (tests/fixtures_dovecot.py: installed when
missing, a private unprivileged instance); this module only adds what a benchmark
needs on top of it: fresh accounts, a fast bulk loader (MULTIAPPEND with
non-synchronising literals: one command, no round trip per message), and an SMTP
sink that notes when each message arrived.
"""

from __future__ import annotations

import imaplib
import itertools
import re
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from aiosmtpd.controller import Controller

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from fixtures_dovecot import CLIENT_TIMEOUT, DovecotServer, ImapAccount, free_port, start_dovecot  # noqa: E402

APPEND_CHUNK = 250  # messages per MULTIAPPEND command
_accounts = itertools.count(1)


def dovecot_version() -> str:
    binary = shutil.which("dovecot") or "/usr/sbin/dovecot"
    try:
        return subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=10).stdout.strip()
    except OSError:
        return "not installed"


def start_imap() -> DovecotServer:
    """A private Dovecot on loopback (installed first when missing and we are root)."""
    return start_dovecot()


def new_account(server: DovecotServer) -> ImapAccount:
    """A fresh user with an empty INBOX, so that every measurement starts clean."""
    number = next(_accounts)
    account = ImapAccount(server, f"baocao{number}@bench.example", f"bench-{number}")
    server.add_user(account.user, account.password)
    return account


def login(account: ImapAccount) -> imaplib.IMAP4:
    client = imaplib.IMAP4(account.server.host, account.server.port, timeout=CLIENT_TIMEOUT * 6)
    client.login(account.user, account.password)
    return client


def load_messages(account: ImapAccount, mails: list[tuple[bytes, datetime]]) -> None:
    """APPEND every mail with its INTERNALDATE over one connection, many per command."""
    client = login(account)
    try:
        names = b" ".join(client.capability()[1]).upper().split()
        if b"MULTIAPPEND" not in names or b"LITERAL+" not in names:
            raise RuntimeError("the IMAP server offers no MULTIAPPEND with LITERAL+")
        for start in range(0, len(mails), APPEND_CHUNK):
            _multiappend(client, mails[start : start + APPEND_CHUNK], f"BA{start}")
    finally:
        client.logout()


def _multiappend(client: imaplib.IMAP4, mails: list[tuple[bytes, datetime]], tag: str) -> None:
    parts = [f"{tag} APPEND INBOX".encode()]
    for raw, at in mails:
        parts.append(f" () {imaplib.Time2Internaldate(at)} {{{len(raw)}+}}\r\n".encode() + raw)
    client.send(b"".join(parts) + b"\r\n")
    while True:
        line = client.readline()
        if not line:
            raise RuntimeError("the IMAP server closed the connection during APPEND")
        if line.startswith(tag.encode() + b" "):
            if not line.split()[1] == b"OK":
                raise RuntimeError(f"APPEND refused: {line.decode(errors='replace').strip()}")
            return


def append_one(client: imaplib.IMAP4, raw: bytes, at: datetime) -> None:
    typ, data = client.append("INBOX", None, at, raw)
    if typ != "OK":
        raise RuntimeError(f"APPEND refused: {data}")


# --- SMTP sink -----------------------------------------------------------------------------------


@dataclass
class Arrival:
    at: float  # time.monotonic() when DATA was accepted
    in_reply_to: str
    recipients: tuple[str, ...]


@dataclass
class SinkHandler:
    """Accepts everything; remembers when each message arrived and what it answers. Offers PIPELINING, as the
    servers mail goes out through (Postfix, Exchange, Gmail) do."""

    arrivals: list[Arrival] = field(default_factory=list)
    changed: threading.Condition = field(default_factory=threading.Condition)

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname
        return [*responses[:-1], "250-PIPELINING", responses[-1]]

    async def handle_DATA(self, server, session, envelope):
        arrival = Arrival(time.monotonic(), in_reply_to_of(envelope.content), tuple(envelope.rcpt_tos))
        with self.changed:
            self.arrivals.append(arrival)
            self.changed.notify_all()
        return "250 2.0.0 Message accepted"

    def count(self) -> int:
        with self.changed:
            return len(self.arrivals)

    def wait_for_reply(self, message_id: str, timeout: float) -> float | None:
        """The arrival time of the first message answering `message_id`, or None after `timeout`."""
        deadline = time.monotonic() + timeout
        with self.changed:
            while True:
                found = next((a.at for a in self.arrivals if a.in_reply_to == message_id), None)
                left = deadline - time.monotonic()
                if found is not None or left <= 0:
                    return found
                self.changed.wait(left)

    def clear(self) -> None:
        with self.changed:
            self.arrivals.clear()


class SmtpSink:
    def __init__(self) -> None:
        self.handler = SinkHandler()
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=free_port(), ready_timeout=10)

    def __enter__(self) -> SmtpSink:
        self.controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self.controller.stop()

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.controller.port}?timeout=30"


IN_REPLY_TO = re.compile(rb"^In-Reply-To:\s*(<[^>]+>)", re.MULTILINE | re.IGNORECASE)


def in_reply_to_of(raw: bytes) -> str:
    """The message id a mail answers, from its header block (folded or not); "" if it answers none.

    One search in C: the sink runs in the bench's own process, on the cores the poll uses,
    and every acknowledgement waits for its reply. Taking the header apart with the email
    package's modern policy made the sink's CPU per mail 0.98 ms instead of 0.52 ms
    (bench/sink_cost.py), and a 1,000-mail poll 0.7 s slower (bench/RESULTS.md).
    """
    found = IN_REPLY_TO.search(raw.split(b"\r\n\r\n", 1)[0])
    return found.group(1).decode("ascii", "replace") if found else ""


def message_id_of(raw: bytes) -> str:
    found = re.search(rb"^Message-ID:\s*(<[^>]+>)", raw, re.MULTILINE | re.IGNORECASE)
    return found.group(1).decode() if found else ""
