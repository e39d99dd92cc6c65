"""Connecting to an IMAP server with imap-tools, and turning failures into one clear line.

URLs (docs/settings.md): imap:// (plain, port 143), imap+starttls:// (port 143,
STARTTLS required), imaps:// (TLS, port 993); user and password percent-encoded;
the path is the folder (INBOX when empty). Certificates are verified unless
settings.inbox.verify_tls is false. Every network call has the timeout
settings.inbox.timeout_seconds. No message or log line ever contains the password.
"""

from __future__ import annotations

import imaplib
import logging
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from urllib.parse import quote, unquote, urlsplit

from imap_tools import BaseMailBox, MailBox, MailBoxStartTls, MailBoxUnencrypted
from imap_tools.errors import (
    ImapToolsError,
    MailboxFolderSelectError,
    MailboxLoginError,
    MailboxStarttlsError,
    UnexpectedCommandStatusError,
)
from imap_tools.utils import check_command_status

from mailbot.config import Settings, redact_secret, redact_url
from mailbot.errors import SourceError
from mailbot.inbox.base import source_error

log = logging.getLogger(__name__)

DEFAULT_PORTS = {"imap": 143, "imap+starttls": 143, "imaps": 993}


@dataclass(frozen=True)
class ImapAddress:
    scheme: str
    host: str
    port: int
    user: str
    folder: str
    password: str = field(default="", repr=False)  # parse_address refuses an address without one

    @property
    def server(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"

    @property
    def identity(self) -> str:
        """'imap://baocao%40haiduong.gov.vn@mail.example:143/INBOX': account and folder, no secret."""
        return f"{self.scheme}://{quote(self.user, safe='')}@{self.server}/{quote(self.folder, safe='')}"


def parse_address(settings: Settings) -> ImapAddress:
    address = address_of(settings)
    if not address.password:
        raise source_error(settings.language, "no_password", server=address.identity)
    return address


def address_of(settings: Settings) -> ImapAddress:
    """The account and folder of the inbox URL, its password possibly empty; a malformed URL is a SourceError."""
    url, lang = settings.connections.inbox_url, settings.language
    try:
        parts = urlsplit(url)
        port = parts.port or DEFAULT_PORTS[parts.scheme.lower()]
    except (ValueError, KeyError):
        raise source_error(lang, "bad_url", url=redact_url(url)) from None
    if not parts.hostname:
        raise source_error(lang, "bad_url", url=redact_url(url))
    address = ImapAddress(
        scheme=parts.scheme.lower(),
        host=parts.hostname,
        port=port,
        user=unquote(parts.username or ""),
        folder=unquote(parts.path.lstrip("/")) or "INBOX",
        password=settings.connections.inbox_password or "",
    )
    if not address.user:
        raise source_error(lang, "no_user", server=address.server)
    return address


def tls_context(verify: bool) -> ssl.SSLContext:
    context = ssl.create_default_context()
    if not verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


def open_mailbox(address: ImapAddress, settings: Settings) -> BaseMailBox:
    """A logged-in imap-tools mailbox (no folder selected yet)."""
    timeout = settings.inbox.timeout_seconds
    if address.scheme != "imap" and not settings.inbox.verify_tls:
        log.warning("certificate verification for %s is off (inbox.verify_tls = false)", address.server)
    mailbox: BaseMailBox
    with translated(address, settings.language, "CONNECT"):
        if address.scheme == "imaps":
            mailbox = MailBox(
                address.host, address.port, timeout=timeout, ssl_context=tls_context(settings.inbox.verify_tls)
            )
        elif address.scheme == "imap+starttls":
            mailbox = MailBoxStartTls(
                address.host, address.port, timeout=timeout, ssl_context=tls_context(settings.inbox.verify_tls)
            )
        else:
            mailbox = MailBoxUnencrypted(address.host, address.port, timeout=timeout)
    try:
        with translated(address, settings.language, "LOGIN"):
            _login(mailbox, address, settings.inbox.auth)
    except BaseException:
        _drop(mailbox)
        raise
    return mailbox


def _login(mailbox: BaseMailBox, address: ImapAddress, auth: str) -> None:
    if auth == "xoauth2":
        _login_xoauth2(mailbox, address)
    elif (address.user + address.password).isascii():
        mailbox.login(address.user, address.password, initial_folder=None)
    else:  # LOGIN cannot carry UTF-8; AUTHENTICATE PLAIN can
        mailbox.login_utf8(address.user, address.password, initial_folder=None)


def _login_xoauth2(mailbox: BaseMailBox, address: ImapAddress) -> None:
    """SASL XOAUTH2 with the access token in address.password.

    imap-tools' own MailBox.xoauth2 answers the server's error challenge (a JSON
    status) with the token again, where the mechanism wants an empty response, and
    lets imaplib raise a bare IMAP4.error on NO, so a refused token looked like a
    refused command instead of a refused login.
    """
    responses = iter([f"user={address.user}\x01auth=Bearer {address.password}\x01\x01".encode()])
    try:
        result = mailbox.client.authenticate("XOAUTH2", lambda challenge: next(responses, b""))
    except imaplib.IMAP4.abort:
        raise
    except imaplib.IMAP4.error as exc:  # imaplib raises on NO and BAD itself
        raise MailboxLoginError(("NO", [str(exc).encode()]), "OK") from None
    check_command_status(result, MailboxLoginError)
    mailbox.login_result = result  # type: ignore[assignment]  # imap-tools declares it None until its own login


def capabilities(mailbox: BaseMailBox) -> frozenset[str]:
    """The capabilities after login (servers announce more than before it, e.g. MOVE)."""
    typ, data = mailbox.client.capability()
    names = frozenset(word.upper() for line in data if isinstance(line, bytes) for word in line.decode().split())
    mailbox.client.capabilities = tuple(sorted(names))  # imap-tools decides MOVE from these
    return names


def _drop(mailbox: BaseMailBox) -> None:
    try:
        mailbox.client.shutdown()
    except Exception:
        pass


def close_mailbox(mailbox: BaseMailBox) -> None:
    try:
        mailbox.logout()
    except Exception:  # the server may be gone already; nothing is left to do
        _drop(mailbox)


@contextmanager
def translated(address: ImapAddress, lang: str, command: str, folder: str | None = None) -> Iterator[None]:
    """Turn any library or socket failure inside the block into one SourceError."""
    try:
        yield
    except SourceError:
        raise
    except (OSError, imaplib.IMAP4.error, ImapToolsError) as exc:
        reason = _reason(exc, address)
        key = _error_key(exc, command)
        raise source_error(
            lang,
            key,
            server=address.server,
            user=address.user,
            folder=folder or address.folder,
            command=command,
            reason=reason,
        ) from None


def _error_key(exc: BaseException, command: str) -> str:
    if isinstance(exc, MailboxLoginError):
        return "login_failed"
    if isinstance(exc, MailboxFolderSelectError):
        return "no_folder"
    if isinstance(exc, (ssl.SSLError, MailboxStarttlsError)) or "TLS" in str(exc):
        return "tls_failed"
    if isinstance(exc, OSError):
        return "unreachable" if command == "CONNECT" else "dropped"
    if isinstance(exc, imaplib.IMAP4.abort):
        return "dropped"
    return "refused"


def _reason(exc: BaseException, address: ImapAddress) -> str:
    """A short, secret-free description of what went wrong."""
    if isinstance(exc, UnexpectedCommandStatusError) and exc.command_result:
        data = exc.command_result[1]
        text = " ".join(_text(d) for d in (data if isinstance(data, list) else [data]) if d)
    elif isinstance(exc, ssl.SSLCertVerificationError):
        text = exc.verify_message or str(exc)
    elif isinstance(exc, OSError) and not isinstance(exc, ssl.SSLError):
        text = exc.strerror or (type(exc).__name__ if not str(exc) else str(exc))
        if isinstance(exc, TimeoutError):
            text = "timed out"
    else:
        text = str(exc) or type(exc).__name__
    text = redact_secret(" ".join(text.split()), address.password, address.user)  # a server may echo it
    return text[:300]


def _text(value: object) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, tuple):
        return " ".join(_text(v) for v in value)
    return str(value)
