"""SMTP delivery (plain, STARTTLS, implicit TLS): the one module that speaks SMTP, over smtplib.

One connection serves a whole delivery run, opened at the first mail and re-opened
after a drop. Where the server offers PIPELINING (RFC 2920), a message's MAIL FROM,
RCPT TO and DATA go in one write and their replies are read after, and the next
message's commands go right behind the end of its data, in the same write (RFC 2920
allows them there), so a message costs one round trip instead of four; the replies
are then judged exactly as smtplib's sendmail judges them one by one (smtplib itself
does not pipeline, nor does any well-kept Python SMTP client that could stand in for
it in a thread).
A 4xx reply, a timeout or a dropped connection is a TemporaryFailure; a 5xx reply
or every recipient refused a PermanentFailure; a server that cannot be reached or
logged into a DeliveryError.
"""

from __future__ import annotations

import logging
import re
import smtplib
import ssl
from dataclasses import dataclass, field

from mailbot import i18n
from mailbot.config import redact_secret
from mailbot.errors import DeliveryError
from mailbot.models import QueuedMail

log = logging.getLogger(__name__)

DEFAULT_PORTS = {"smtp": 25, "smtp+starttls": 587, "smtps": 465}
ACCEPTED_RECIPIENT = (250, 251)
CLOSING = 421  # the server closes the connection after saying so
LEADING_DOT = re.compile(rb"(?m)^\.")


class TemporaryFailure(Exception):
    """Try the mail again later (4xx, timeout, dropped connection)."""


class PermanentFailure(Exception):
    """Hold the mail for a person (5xx, every recipient refused)."""


@dataclass(frozen=True)
class SmtpTarget:
    scheme: str
    host: str
    port: int
    user: str | None
    password: str | None = field(repr=False)
    timeout: float
    url: str  # redacted, for messages


class SmtpTransport:
    """One connection per delivery run, opened at the first mail, re-opened after a drop."""

    def __init__(self, target: SmtpTarget, envelope_from: str, language: str) -> None:
        self.target = target
        self.envelope_from = envelope_from
        self.language = language
        self.description = target.url
        self.connection: smtplib.SMTP | None = None
        self.primed: QueuedMail | None = None  # the mail whose commands went out behind the last mail's data

    def send(self, mail: QueuedMail, then: QueuedMail | None = None) -> None:
        """Hand `mail` over; `then`, the mail the caller sends next, has its commands written behind this one's
        data where the server pipelines (the caller sends `then` next, or closes the transport)."""
        if self.primed is not None and self.primed.id != mail.id:  # another mail's DATA is open: abandoned with it
            self._drop()
        primed, self.primed = self.primed is not None, None
        connection = self.connection or self._connect()
        pipelining = connection.has_extn("pipelining")
        following = commands_of(connection, self.envelope_from, then) if pipelining and then is not None else b""
        try:
            if pipelining:
                refused = send_pipelined(
                    connection,
                    self.envelope_from,
                    list(mail.recipients),
                    mail.raw,
                    commands_sent=primed,
                    following=following,
                )
                self.primed = then if following else None
            else:
                refused = connection.sendmail(self.envelope_from, list(mail.recipients), mail.raw)
        except smtplib.SMTPRecipientsRefused as exc:
            raise _refused(
                {r: (code, self._secret_free(reply)) for r, (code, reply) in exc.recipients.items()}
            ) from None
        except smtplib.SMTPResponseException as exc:
            if exc.smtp_code == CLOSING:
                self._drop()
            elif isinstance(exc, RefusedAtEnd):  # the server ended that transaction; the next mail's commands are out
                self.primed = then if following else None
            else:  # sendmail leaves the transaction open when the DATA command itself is refused
                _reset(connection)
            raise _by_code(exc.smtp_code, self._reply(exc.smtp_code, exc.smtp_error)) from None
        except (smtplib.SMTPServerDisconnected, OSError) as exc:  # timeouts are OSErrors
            self._drop()
            reason = self._secret_free(f"{type(exc).__name__}: {exc or 'timed out'}")
            raise TemporaryFailure(f"{self.target.url}: {reason}") from None
        if refused:
            log.warning(
                "mail %s was refused for %s; delivered to the others",
                mail.message_id,
                ", ".join(f"{r} ({self._reply(*v)})" for r, v in refused.items()),
            )

    def check(self) -> None:
        """Greet the server (EHLO, STARTTLS and login as configured), then say goodbye."""
        self._connect()
        self.close()

    def _connect(self) -> smtplib.SMTP:
        try:
            self.connection = _open_smtp(self.target)
        except smtplib.SMTPAuthenticationError as exc:
            raise self._error("smtp_login_refused", reply=self._reply(exc.smtp_code, exc.smtp_error)) from None
        except smtplib.SMTPNotSupportedError as exc:
            raise self._error("smtp_not_offered", reason=exc) from None
        except ssl.SSLError as exc:
            raise self._error("smtp_tls_failed", reason=exc.reason or exc) from None
        except (smtplib.SMTPException, OSError) as exc:
            raise self._error("smtp_unreachable", reason=f"{type(exc).__name__}: {exc or 'timed out'}") from None
        return self.connection

    def _error(self, key: str, **params: object) -> DeliveryError:
        shown = {name: self._secret_free(str(value)) for name, value in params.items()}
        return i18n.error(DeliveryError, f"errors.{key}", self.language, server=self.target.url, **shown)

    def _reply(self, code: int, message: bytes | str) -> str:
        return self._secret_free(_reply_text(code, message))

    def _secret_free(self, text: str | bytes) -> str:
        """A server may echo what it was sent: its words never carry the password on."""
        shown = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
        return redact_secret(shown, self.target.password, self.target.user)

    def _drop(self) -> None:
        self.primed = None
        if self.connection is not None:
            try:
                self.connection.close()
            finally:
                self.connection = None

    def close(self) -> None:
        if self.primed is not None:  # a mail's DATA is open: the server drops that mail with the connection
            self._drop()
        if self.connection is None:
            return
        try:
            self.connection.quit()
        except (smtplib.SMTPException, OSError):
            pass
        finally:
            self._drop()


def _open_smtp(target: SmtpTarget) -> smtplib.SMTP:
    connection: smtplib.SMTP
    if target.scheme == "smtps":
        connection = smtplib.SMTP_SSL(target.host, target.port, timeout=target.timeout, context=_tls_context())
    else:
        connection = smtplib.SMTP(target.host, target.port, timeout=target.timeout)
    try:
        connection.ehlo()
        if target.scheme == "smtp+starttls":
            if not connection.has_extn("starttls"):
                raise smtplib.SMTPNotSupportedError(f"{target.host} does not offer STARTTLS")
            connection.starttls(context=_tls_context())
            connection.ehlo()
        if target.user:
            connection.login(target.user, target.password or "")
    except BaseException:
        connection.close()
        raise
    return connection


def _tls_context() -> ssl.SSLContext:
    """Verifies the certificate and the host name; made only for a connection that uses TLS (loading the
    system's certificates costs a plain smtp:// connection tens of milliseconds for nothing)."""
    return ssl.create_default_context()


def _reply_text(code: int, message: bytes | str) -> str:
    shown = message.decode("utf-8", "replace") if isinstance(message, bytes) else str(message)
    return f"{code} {shown}".strip()


def _by_code(code: int, reply: str) -> Exception:
    return TemporaryFailure(reply) if 400 <= code < 500 else PermanentFailure(reply)


def _refused(recipients: dict) -> Exception:
    replies = "; ".join(f"{address}: {_reply_text(*reply)}" for address, reply in recipients.items())
    if all(400 <= code < 500 for code, _ in recipients.values()):
        return TemporaryFailure(replies)
    return PermanentFailure(replies)


# --- PIPELINING (RFC 2920) -----------------------------------------------------------------------

Reply = tuple[int, bytes]


class RefusedAtEnd(smtplib.SMTPDataError):
    """The server refused a mail at the end of its data: that transaction is over (and the next mail's
    commands may be out already)."""


def send_pipelined(
    connection: smtplib.SMTP,
    sender: str,
    recipients: list[str],
    raw: bytes,
    *,
    commands_sent: bool = False,
    following: bytes = b"",
) -> dict[str, Reply]:
    """SMTP.sendmail with MAIL FROM, every RCPT TO and DATA written at once, their replies read after.

    The same outcome as sendmail: the recipients refused while others took the mail,
    or the same exception (SMTPSenderRefused, SMTPRecipientsRefused, SMTPDataError,
    SMTPServerDisconnected), with the connection reset or closed as sendmail leaves it.
    `commands_sent`: this mail's commands went out behind the previous mail's data.
    `following`: the next mail's commands (commands_of), written right behind this
    mail's data in the same write, once this mail's envelope is taken; a refusal at the
    end of this mail's data (RefusedAtEnd) then sends no RSET, which would land inside
    the next mail's DATA.
    """
    if not commands_sent:
        connection.send(_commands(connection, sender, recipients, len(raw)))
    refused = _envelope_replies(connection, sender, recipients)
    connection.send(_dot_stuffed(raw) + following)
    code, reply = connection.getreply()
    if code != 250:
        if code == CLOSING:
            connection.close()
        elif not following:
            _reset(connection)
        raise RefusedAtEnd(code, reply)
    return refused


def commands_of(connection: smtplib.SMTP, sender: str, mail: QueuedMail) -> bytes:
    """A mail's commands, to go behind the data of the mail before it; none where they cannot be written
    (that mail's own send then says why, not the one before it)."""
    try:
        return _commands(connection, sender, list(mail.recipients), len(mail.raw))
    except (ValueError, UnicodeError):
        return b""


def _commands(connection: smtplib.SMTP, sender: str, recipients: list[str], size: int) -> bytes:
    """MAIL FROM, every RCPT TO and DATA of one mail, as one write."""
    declared = f" size={size}" if connection.has_extn("size") else ""
    commands = [f"mail FROM:{smtplib.quoteaddr(sender)}{declared}"]
    commands += [f"rcpt TO:{smtplib.quoteaddr(recipient)}" for recipient in recipients]
    if any("\r" in command or "\n" in command for command in commands):
        raise ValueError("command and arguments contain prohibited newline characters")
    return "".join(f"{command}\r\n" for command in [*commands, "data"]).encode(connection.command_encoding)


def _envelope_replies(connection: smtplib.SMTP, sender: str, recipients: list[str]) -> dict[str, Reply]:
    """The replies to one mail's MAIL FROM, RCPT TO and DATA, judged; the recipients refused while others took it."""
    mail_from = connection.getreply()  # every reply is read, whatever the first ones say
    replies = [connection.getreply() for _ in recipients]
    data = connection.getreply()
    refused = {r: reply for r, reply in zip(recipients, replies, strict=True) if reply[0] not in ACCEPTED_RECIPIENT}
    if data[0] == 354 and (mail_from[0] != 250 or len(refused) == len(recipients)):
        connection.send(".\r\n")  # a server that took DATA all the same gets an empty message, with no one to go to
        connection.getreply()
    _judge_envelope(connection, sender, mail_from, refused, len(recipients), data)
    return refused


def _judge_envelope(
    connection: smtplib.SMTP, sender: str, mail_from: Reply, refused: dict[str, Reply], wanted: int, data: Reply
) -> None:
    """The replies to the envelope, judged in the order sendmail judges them."""
    if mail_from[0] != 250:
        _end_transaction(connection, mail_from[0])
        raise smtplib.SMTPSenderRefused(mail_from[0], mail_from[1], sender)
    if any(code == CLOSING for code, _ in refused.values()):
        connection.close()
        raise smtplib.SMTPRecipientsRefused(refused)
    if len(refused) == wanted:
        _reset(connection)
        raise smtplib.SMTPRecipientsRefused(refused)
    if data[0] != 354:
        _end_transaction(connection, data[0])
        raise smtplib.SMTPDataError(data[0], data[1])


def _end_transaction(connection: smtplib.SMTP, code: int) -> None:
    if code == CLOSING:
        connection.close()
    else:
        _reset(connection)


def _reset(connection: smtplib.SMTP) -> None:
    """RSET, as sendmail sends it: a server that has gone meanwhile is found at the next mail."""
    try:
        connection.rset()
    except smtplib.SMTPServerDisconnected:
        pass


def _dot_stuffed(raw: bytes) -> bytes:
    """The message as DATA sends it: each line's leading dot doubled, then the line with one dot."""
    body = LEADING_DOT.sub(b"..", raw)
    if not body.endswith(b"\r\n"):
        body += b"\r\n"
    return body + b".\r\n"
