"""A real SMTP server on loopback (aiosmtpd), scriptable from a test.

`smtp_server` is a plain server; `smtp_tls_server` runs once with STARTTLS and once
with implicit TLS (smtps), with a certificate for 127.0.0.1 signed by a throw-away
test authority (its file is `ca_file`). The handler records every accepted message and can be told to answer
the next DATA commands (or a given recipient's) with a given reply ("451 ...", "550 ...") or to stall
(sleep past the client's timeout) or drop the connection, and to refuse given recipients.
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import ipaddress
import ssl
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult
from local_servers import free_port

from mailbot.config import load_settings
from mailbot.models import OutboundMail

SMTP_USER = "baocao.stttt@haiduong.gov.vn"
SMTP_PASSWORD = "p@ss:w/rd"  # needs percent-encoding in a URL

STALL = "stall"
DROP = "drop"
STALL_SECONDS = 3.0
CLIENT_TIMEOUT = 1.0  # seconds: the ?timeout= of the URLs below, well under STALL_SECONDS


@dataclass(frozen=True)
class Received:
    mail_from: str
    rcpt_tos: tuple[str, ...]
    data: bytes
    peer: object = None  # the client's end of the connection it came over

    @property
    def message(self):
        return message_from_bytes(self.data, policy=policy.default)


@dataclass
class ScriptedHandler:
    messages: list[Received] = field(default_factory=list)
    data_replies: list[str] = field(default_factory=list)  # consumed one per DATA
    replies_to: dict[str, str] = field(default_factory=dict)  # recipient -> the reply to its mail's data, once
    refused: dict[str, str] = field(default_factory=dict)  # recipient -> reply
    data_command_replies: list[str] = field(default_factory=list)  # the DATA command itself refused (counting_server)
    sender_replies: list[str] = field(default_factory=list)  # consumed one per MAIL FROM: that sender refused
    connections: int = 0
    logins: list[str] = field(default_factory=list)
    echo_credentials: bool = False  # a refused login is answered with what the client sent, as some servers do
    echoed: list[str] = field(default_factory=list)

    def answer_next(self, *replies: str) -> None:
        self.data_replies.extend(replies)

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        self.connections += 1
        session.host_name = hostname
        return responses

    def authenticate(self, server, session, envelope, mechanism, auth_data):
        login, password = auth_data.login.decode(), auth_data.password.decode()
        if (login, password) != (SMTP_USER, SMTP_PASSWORD):
            if self.echo_credentials:
                blob = base64.b64encode(f"\0{login}\0{password}".encode()).decode()
                reply = f"535 5.7.8 authentication failed for {login} with password {password} ({blob})"
                self.echoed.append(reply)
                return AuthResult(success=False, handled=False, message=reply)
            return AuthResult(success=False, handled=False)
        self.logins.append(login)
        return AuthResult(success=True)

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        if self.sender_replies:
            return self.sender_replies.pop(0)
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower() in self.refused:
            return self.refused[address.lower()]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        reply = next((self.replies_to.pop(r.lower()) for r in envelope.rcpt_tos if r.lower() in self.replies_to), None)
        if reply is None and self.data_replies:
            reply = self.data_replies.pop(0)
        if reply == STALL:
            await asyncio.sleep(STALL_SECONDS)
            return "451 4.4.2 too slow"
        if reply == DROP:  # the connection goes before any answer to the data
            server.transport.abort()
            return "451 4.4.2 gone"
        if reply is not None:
            return reply
        self.messages.append(Received(envelope.mail_from, tuple(envelope.rcpt_tos), envelope.content, session.peer))
        return "250 2.0.0 Message accepted"


@dataclass
class SmtpServer:
    handler: ScriptedHandler
    host: str
    port: int
    scheme: str = "smtp"
    ca_file: Path | None = None
    reads: list[bytes] | None = None  # what the server read, read by read (counting_server)

    @property
    def url(self) -> str:
        return f"{self.scheme}://{self.host}:{self.port}?timeout={CLIENT_TIMEOUT}"

    @property
    def messages(self) -> list[Received]:
        return self.handler.messages

    @property
    def pipelining(self) -> bool:
        return isinstance(self.handler, PipeliningHandler)

    def envelopes(self) -> list[bool]:
        """For each MAIL FROM the server read: whether its RCPT TO and DATA came in the same read."""
        return envelopes_read(self.reads or [])

    def behind_data(self) -> list[bool]:
        """For each MAIL FROM the server read: whether it came right behind the end of a mail's data."""
        return behind_data(self.reads or [])


def _start(handler: ScriptedHandler, **kwargs) -> Controller:
    controller = Controller(handler, hostname="127.0.0.1", port=free_port(), ready_timeout=10, **kwargs)
    controller.start()
    return controller


@pytest.fixture
def smtp_server():
    handler = ScriptedHandler()
    controller = _start(handler)
    try:
        yield SmtpServer(handler, "127.0.0.1", controller.port)
    finally:
        controller.stop()


@pytest.fixture
def smtp_echoing_server():
    """A plain server that wants a login and echoes the credentials of a refused one in its reply."""
    handler = ScriptedHandler(echo_credentials=True)
    controller = _start(handler, authenticator=handler.authenticate, auth_require_tls=False)
    try:
        yield SmtpServer(handler, "127.0.0.1", controller.port)
    finally:
        controller.stop()


class PipeliningHandler(ScriptedHandler):
    """A ScriptedHandler whose server offers PIPELINING (RFC 2920), as Postfix, Exchange and Gmail do."""

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        responses = await super().handle_EHLO(server, session, envelope, hostname, responses)
        return [*responses[:-1], "250-PIPELINING", responses[-1]]


class ReadsKept(SMTP):
    """aiosmtpd's server, keeping each read of the client's bytes as it came off the connection."""

    def __init__(self, handler, *, reads: list[bytes], **kwargs) -> None:
        super().__init__(handler, **kwargs)
        self.reads = reads

    def data_received(self, data: bytes) -> None:
        self.reads.append(data)
        super().data_received(data)

    async def smtp_DATA(self, arg: str) -> None:
        if self.event_handler.data_command_replies and self.envelope and self.envelope.rcpt_tos:
            await self.push(self.event_handler.data_command_replies.pop(0))  # refused before any content
            return
        await super().smtp_DATA(arg)


class ReadsKeptController(Controller):
    def __init__(self, handler, reads: list[bytes], **kwargs) -> None:
        super().__init__(handler, **kwargs)
        self.reads = reads

    def factory(self):
        return ReadsKept(self.handler, reads=self.reads, **self.SMTP_kwargs)


def envelopes_read(reads: list[bytes]) -> list[bool]:
    """For each MAIL FROM the server read: whether its RCPT TO and DATA came in the same read."""
    upper = [read.upper() for read in reads]
    return [b"RCPT TO:" in read and b"DATA\r\n" in read for read in upper if b"MAIL FROM:" in read]


def behind_data(reads: list[bytes]) -> list[bool]:
    """For each MAIL FROM the server read: whether it came in the same read as the end of a mail's data."""
    return [b"\r\n.\r\n" in read.upper().split(b"MAIL FROM:")[0] for read in reads if b"MAIL FROM:" in read.upper()]


def counting_server(pipelining: bool) -> tuple[Controller, SmtpServer]:
    """A plain server that keeps what it reads; with `pipelining`, it offers PIPELINING."""
    handler = PipeliningHandler() if pipelining else ScriptedHandler()
    reads: list[bytes] = []
    controller = ReadsKeptController(handler, reads, hostname="127.0.0.1", port=free_port(), ready_timeout=10)
    controller.start()
    return controller, SmtpServer(handler, "127.0.0.1", controller.port, reads=reads)


@pytest.fixture
def smtp_pipelining_server():
    """A plain server that offers PIPELINING; every envelope it reads came in one write (checked after the test)."""
    controller, server = counting_server(pipelining=True)
    try:
        yield server
    finally:
        controller.stop()
    assert all(server.envelopes()), "the client waited for a reply in the middle of a pipelined envelope"


@pytest.fixture(scope="session")
def test_authority(tmp_path_factory):
    """A test CA and a certificate for 127.0.0.1 signed by it: (ca_file, cert_file, key_file)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    folder = tmp_path_factory.mktemp("tls")
    now = dt.datetime.now(dt.UTC)
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "mailbot test authority")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=2))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    ca_file, cert_file, key_file = folder / "ca.pem", folder / "cert.pem", folder / "key.pem"
    ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return ca_file, cert_file, key_file


def _tls_server(test_authority, scheme: str):
    """smtp+starttls: STARTTLS required before anything else; smtps: TLS from the first byte."""
    ca_file, cert_file, key_file = test_authority
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_file, key_file)
    handler = ScriptedHandler()
    if scheme == "smtps":
        # the whole connection is TLS; aiosmtpd only counts STARTTLS as TLS for AUTH, so it is told
        options = dict(ssl_context=context, auth_require_tls=False)
    else:
        options = dict(tls_context=context, require_starttls=True)
    controller = _start(handler, authenticator=handler.authenticate, **options)
    return controller, SmtpServer(handler, "127.0.0.1", controller.port, scheme=scheme, ca_file=ca_file)


@pytest.fixture(params=["smtp+starttls", "smtps"])
def smtp_tls_server(request, test_authority):
    """Each TLS flavour in turn: STARTTLS and implicit TLS."""
    controller, server = _tls_server(test_authority, request.param)
    try:
        yield server
    finally:
        controller.stop()


def queued_acks(count: int, body: str = "ok") -> list[OutboundMail]:
    """`count` small acknowledgements to queue, each to its own unit; `body` may name the mail's number as {n}."""
    return [
        OutboundMail(
            key=f"ack:{n}",
            kind="ack",
            recipients=(f"unit{n}@haiduong.gov.vn",),
            message_id=f"<{n}@mailbot.test>",
            raw=f"Message-ID: <{n}@mailbot.test>\r\nSubject: {n}\r\n\r\n{body.format(n=n)}\r\n".encode(),
        )
        for n in range(count)
    ]


def settings_for(smtp_url: str, db_url: str):
    """The shipped settings, sending to `smtp_url` from the store at `db_url`."""
    return load_settings(None, env={"MAILBOT_SMTP_URL": smtp_url, "MAILBOT_DB_URL": db_url})
