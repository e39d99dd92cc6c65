"""SMTP delivery (plain, STARTTLS, implicit TLS): the one module that speaks SMTP, over smtplib.

A delivery run's connections are opened at its first mail and re-opened after a drop.
Where the server offers PIPELINING (RFC 2920), a message's MAIL FROM, RCPT TO and
DATA go in one write and their replies are read after, and the next message's
commands go right behind the end of its data, in the same write (RFC 2920 allows them
there), so a message costs one round trip instead of four; the replies are then
judged exactly as smtplib's sendmail judges them one by one (smtplib itself does not
pipeline, nor does any well-kept Python SMTP client that could stand in for it in a
thread).

Such a server is also sent to over several connections in turn (`connections` of
the URL, two by default): a message's data is written on one, the next message's on
the next, and only then are the first one's replies read, so the server takes one
message while mailbot writes the next one, instead of each waiting for the other. A
server that refuses the second connection (some limit them per client) is sent to
over the ones it took. Without PIPELINING, one connection and sendmail, message by
message.

A 4xx reply, a timeout or a dropped connection is a TemporaryFailure; a 5xx reply
or every recipient refused a PermanentFailure; a server that cannot be reached or
logged into a DeliveryError.
"""

from __future__ import annotations

import functools
import logging
import re
import smtplib
import ssl
from collections import deque
from collections.abc import Callable, Iterator, Sequence
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
FAILURES = (smtplib.SMTPRecipientsRefused, smtplib.SMTPResponseException, smtplib.SMTPServerDisconnected, OSError)


class TemporaryFailure(Exception):
    """Try the mail again later (4xx, timeout, dropped connection)."""


class PermanentFailure(Exception):
    """Hold the mail for a person (5xx, every recipient refused)."""


Outcome = tuple[QueuedMail, TemporaryFailure | PermanentFailure | None]  # None: the server took the mail
Refill = Callable[[], Sequence[QueuedMail]]  # the next mails to send; none: there are no more


@dataclass(frozen=True)
class SmtpTarget:
    scheme: str
    host: str
    port: int
    user: str | None
    password: str | None = field(repr=False)
    timeout: float
    url: str  # redacted, for messages
    connections: int = 1  # at most, used in turn where the server pipelines


class SmtpTransport:
    """The connections of a delivery run: the first opened at the first mail, the others (where the server
    pipelines) at their first turn; each re-opened after a drop."""

    def __init__(self, target: SmtpTarget, envelope_from: str, language: str) -> None:
        self.target = target
        self.envelope_from = envelope_from
        self.language = language
        self.description = target.url
        self.width = max(target.connections, 1)  # connections this run may use: fewer once the server refused one
        self.ways = [_Way(self)]

    @property
    def in_flight(self) -> int:
        """Mails whose data is out and whose reply is not read yet (the server may have taken them)."""
        return sum(way.in_flight is not None for way in self.ways)

    def send_all(self, mails: Sequence[QueuedMail], more: Refill | None = None) -> Iterator[Outcome]:
        """Hand `mails` over: each one's outcome once, as it becomes known, while the mail after it is on its
        way; `more` is asked for the next mails when these are all on their way (until it has none), so the
        connections do not go quiet between batches. A server out of reach (no connection open, none can be
        opened) raises DeliveryError once every mail handed over has its outcome; the mails without one were
        not sent."""
        pending = deque(mails)
        turn = 0
        while True:
            if len(pending) < 2 and more is not None:  # the last one goes with the next one's commands behind it
                fresh = more()
                pending.extend(fresh)
                more = more if fresh else None
            if not pending and not any(way.in_flight is not None or way.primed is not None for way in self.ways):
                return
            way = self.ways[turn % len(self.ways)]
            turn += 1
            outcomes = [self._finish(way, pending)] if way.in_flight is not None else []
            mail = way.primed or (pending.popleft() if pending else None)
            if mail is not None:
                try:
                    outcome = way.begin(mail, pending[0] if pending else None)
                except DeliveryError:
                    pending.appendleft(mail)
                    yield from outcomes
                    if not self._narrow(way):  # nothing is in flight on a connection that is not open
                        raise
                    continue
                if way.primed is not None:  # the next mail's commands are out on this connection: it goes here
                    pending.popleft()
                outcomes += [outcome] if outcome is not None else []
                self._widen(way)
            yield from outcomes

    def _finish(self, way: _Way, pending: deque[QueuedMail]) -> Outcome:
        primed = way.primed
        outcome = way.finish()
        if primed is not None and way.primed is None:  # the connection went, and that mail's commands with it
            pending.appendleft(primed)
        return outcome

    def _widen(self, way: _Way) -> None:
        """Where the server pipelines, the other connections take their turns (each opened at its first)."""
        if len(self.ways) < self.width and way.connection is not None and way.connection.has_extn("pipelining"):
            self.ways += [_Way(self) for _ in range(self.width - len(self.ways))]

    def _narrow(self, way: _Way) -> bool:
        """A connection that cannot be opened while another is: mail goes over the others for the rest of the
        run. False when none is open (the server is out of reach)."""
        if not any(other.connection is not None for other in self.ways if other is not way):
            return False
        self.ways.remove(way)
        self.width = len(self.ways)
        log.warning("%s took %s of its connections only; mail goes over those", self.description, self.width)
        return True

    def check(self) -> None:
        """Greet the server (EHLO, STARTTLS and login as configured), then say goodbye."""
        self.ways[0].connection = self.connect()
        self.close()

    def connect(self) -> smtplib.SMTP:
        try:
            return _open_smtp(self.target)
        except smtplib.SMTPAuthenticationError as exc:
            raise self._error("smtp_login_refused", reply=self.shown_reply(exc.smtp_code, exc.smtp_error)) from None
        except smtplib.SMTPNotSupportedError as exc:
            raise self._error("smtp_not_offered", reason=exc) from None
        except ssl.SSLError as exc:
            raise self._error("smtp_tls_failed", reason=exc.reason or exc) from None
        except (smtplib.SMTPException, OSError) as exc:
            raise self._error("smtp_unreachable", reason=f"{type(exc).__name__}: {exc or 'timed out'}") from None

    def _error(self, key: str, **params: object) -> DeliveryError:
        shown = {name: self.without_secret(str(value)) for name, value in params.items()}
        return i18n.error(DeliveryError, f"errors.{key}", self.language, server=self.target.url, **shown)

    def shown_reply(self, code: int, message: bytes | str) -> str:
        """A server's reply as a person reads it, without the password."""
        return self.without_secret(_reply_text(code, message))

    def without_secret(self, text: str | bytes) -> str:
        """A server may echo what it was sent: its words never carry the password on."""
        shown = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
        return redact_secret(shown, self.target.password, self.target.user)

    def close(self) -> None:
        for way in self.ways:
            way.close()


class _Way:
    """One connection of a transport and the mail on it: `in_flight`, whose data is out and its reply not read
    yet, and `primed`, whose commands went out behind that data (it is the next mail on this connection)."""

    def __init__(self, transport: SmtpTransport) -> None:
        self.transport = transport
        self.connection: smtplib.SMTP | None = None
        self.in_flight: QueuedMail | None = None
        self.refused: dict[str, Reply] = {}  # the in-flight mail's recipients refused while others took it
        self.primed: QueuedMail | None = None

    def begin(self, mail: QueuedMail, then: QueuedMail | None) -> Outcome | None:
        """Hand `mail` over up to the end of its data (None: its reply is read by `finish`), or all the way
        (its outcome). `then`, the mail the caller has next, has its commands written behind this one's data
        where the server pipelines (it is then `primed`: the next mail on this connection)."""
        primed, self.primed = self.primed is not None, None
        connection = self.connection or self._connect()
        pipelining = connection.has_extn("pipelining")
        sender = self.transport.envelope_from
        following = commands_of(connection, sender, then) if pipelining and then is not None else b""
        try:
            if not pipelining:
                return self._taken(mail, connection.sendmail(sender, list(mail.recipients), mail.raw))
            self.refused = begin_pipelined(
                connection, sender, list(mail.recipients), mail.raw, commands_sent=primed, following=following
            )
        except FAILURES as exc:  # timeouts are OSErrors
            return mail, self._failure(exc)
        self.in_flight = mail
        self.primed = then if following else None
        return None

    def finish(self) -> Outcome:
        """The outcome of the in-flight mail, from the reply to the end of its data."""
        mail, self.in_flight = self.in_flight, None
        assert mail is not None and self.connection is not None
        try:
            end_of_data(self.connection, following=self.primed is not None)
        except FAILURES as exc:
            return mail, self._failure(exc)
        return self._taken(mail, self.refused)

    def _taken(self, mail: QueuedMail, refused: dict[str, Reply]) -> Outcome:
        if refused:
            log.warning(
                "mail %s was refused for %s; delivered to the others",
                mail.message_id,
                ", ".join(f"{r} ({self.transport.shown_reply(*v)})" for r, v in refused.items()),
            )
        return mail, None

    def _failure(self, exc: Exception) -> TemporaryFailure | PermanentFailure:
        transport = self.transport
        if isinstance(exc, smtplib.SMTPRecipientsRefused):
            if any(code == CLOSING for code, _ in exc.recipients.values()):
                self._drop()  # smtplib has closed it: the next mail opens another
            return _refused({r: (code, transport.without_secret(reply)) for r, (code, reply) in exc.recipients.items()})
        if isinstance(exc, smtplib.SMTPResponseException):
            if exc.smtp_code == CLOSING:
                self._drop()
            elif not isinstance(exc, RefusedAtEnd) and self.connection is not None:
                _reset(self.connection)  # sendmail leaves the transaction open when the DATA command is refused
            # refused at the end of its data: that transaction is over, the next mail's commands (primed) stand
            return _by_code(exc.smtp_code, transport.shown_reply(exc.smtp_code, exc.smtp_error))
        self._drop()  # disconnected, or a timeout (an OSError)
        reason = transport.without_secret(f"{type(exc).__name__}: {exc or 'timed out'}")
        return TemporaryFailure(f"{transport.target.url}: {reason}")

    def _connect(self) -> smtplib.SMTP:
        self.connection = self.transport.connect()
        return self.connection

    def _drop(self) -> None:
        self.primed = None
        if self.connection is not None:
            try:
                self.connection.close()
            finally:
                self.connection = None

    def close(self) -> None:
        if self.in_flight is not None or self.primed is not None:  # a mail's data is unanswered or its DATA open:
            self.in_flight = None  # the server drops what it has not answered with the connection
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


def _by_code(code: int, reply: str) -> TemporaryFailure | PermanentFailure:
    return TemporaryFailure(reply) if 400 <= code < 500 else PermanentFailure(reply)


def _refused(recipients: dict) -> TemporaryFailure | PermanentFailure:
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
    refused = begin_pipelined(connection, sender, recipients, raw, commands_sent=commands_sent, following=following)
    end_of_data(connection, following=bool(following))
    return refused


def begin_pipelined(
    connection: smtplib.SMTP,
    sender: str,
    recipients: list[str],
    raw: bytes,
    *,
    commands_sent: bool = False,
    following: bytes = b"",
) -> dict[str, Reply]:
    """send_pipelined up to the end of the data: the envelope's replies judged, the data written (with
    `following` behind it); the reply to the data is left for end_of_data, to be read after other work."""
    if not commands_sent:
        connection.send(_commands(connection, sender, recipients, len(raw)))
    refused = _envelope_replies(connection, sender, recipients)
    connection.send(_dot_stuffed(raw) + following)
    return refused


def end_of_data(connection: smtplib.SMTP, *, following: bool) -> None:
    """The reply to the end of a mail's data; RefusedAtEnd if it is not 250 (`following`: the next mail's
    commands went behind the data, so no RSET)."""
    code, reply = connection.getreply()
    if code != 250:
        if code == CLOSING:
            connection.close()
        elif not following:
            _reset(connection)
        raise RefusedAtEnd(code, reply)


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
    commands = [f"mail FROM:{_quoted(sender)}{declared}"]
    commands += [f"rcpt TO:{_quoted(recipient)}" for recipient in recipients]
    if any("\r" in command or "\n" in command for command in commands):
        raise ValueError("command and arguments contain prohibited newline characters")
    return "".join(f"{command}\r\n" for command in [*commands, "data"]).encode(connection.command_encoding)


# a bare address of dot-atoms (RFC 5322 3.2.3), which smtplib.quoteaddr gives back as it is, in angle brackets
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_BARE_ADDRESS = re.compile(rf"{_ATOM}(?:\.{_ATOM})*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*")


@functools.lru_cache(maxsize=4096)
def _quoted(address: str) -> str:
    """smtplib.quoteaddr, once per address: it takes the address apart with the email package each time, which
    cost more than writing the rest of the mail (the sender is the same on every mail, the recipients repeat).
    A bare address (most of them: a unit's mailbox) comes back as it is, in angle brackets, without that."""
    if _BARE_ADDRESS.fullmatch(address):
        return f"<{address}>"
    return smtplib.quoteaddr(address)


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
