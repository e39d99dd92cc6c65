"""Delivery of the outbox: SMTP (plain, STARTTLS, implicit TLS; mailbot.smtp) or a folder of .eml files.

Mail is queued in the store by whoever caused it; this module only hands the
stored bytes over, so a mail keeps its Message-ID on every attempt. The SMTP
connections of a run serve all of it (mailbot.smtp: two in turn where the server
pipelines, `?connections=1` for one). A 4xx reply or a timeout is retried later
with exponential backoff; a 5xx reply or refused recipients hold the mail for a
person (`mailbot outbox retry` releases it). A server that cannot be reached at
all raises DeliveryError after putting the claimed mail back in the queue.
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Protocol
from urllib.parse import unquote, urlsplit

from mailbot import i18n
from mailbot.clock import utcnow
from mailbot.config import Settings, redact_url, smtp_connections, smtp_timeout
from mailbot.defaults import FIRST_RETRY, LONGEST_RETRY, MAX_ATTEMPTS
from mailbot.errors import DeliveryError
from mailbot.files import write_atomically
from mailbot.models import QueuedMail
from mailbot.smtp import (
    DEFAULT_PORTS,
    Outcome,
    PermanentFailure,
    Refill,
    SmtpTarget,
    SmtpTransport,
    TemporaryFailure,
)

log = logging.getLogger(__name__)

BATCH_SIZE = 50
MARK_GROUP = 10  # mails taken and not confirmed at most (a crash sends those again); confirmed in one store write


@dataclass
class DeliveryResult:
    sent: int = 0
    retried: int = 0
    held: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def handled(self) -> int:
        return self.sent + self.retried + self.held


class MailQueue(Protocol):
    """What delivery needs of the store (mailbot.store.Store is one): claim, confirm, retry, hold."""

    def claim_due(self, now: datetime, limit: int = 50) -> list[QueuedMail]: ...

    def claim_keys(self, keys: list[str], now: datetime) -> list[QueuedMail]: ...

    def release_sending(self) -> int: ...

    def mark_sent(self, mail_ids: list[int], at: datetime) -> None: ...

    def mark_retry(self, mail_id: int, next_attempt_at: datetime, error: str) -> None: ...

    def mark_held(self, mail_id: int, error: str) -> None: ...


class Transport(Protocol):
    """Hands mail over; a DeliveryError it raises is said in `language`, for the person who reads it."""

    description: str
    language: str

    @property
    def in_flight(self) -> int:
        """Mails handed over whose outcome is not known yet (the server may have taken them)."""
        ...

    def send_all(self, mails: Sequence[QueuedMail], more: Refill | None = None) -> Iterator[Outcome]:
        """Hand `mails` over, then what `more` gives until it gives none: each one's outcome once, as it is
        known (None: taken); a DeliveryError once every mail handed over has its outcome (the ones without
        were not sent)."""
        ...

    def check(self) -> None: ...

    def close(self) -> None: ...


# --- transports ------------------------------------------------------------------------------


class FileTransport:
    """file:///path: each message written atomically as one .eml file (named after its row)."""

    def __init__(self, directory: Path, language: str) -> None:
        self.directory = directory
        self.language = language
        self.description = f"file://{directory}"

    in_flight = 0  # each file is written before the next one

    def send_all(self, mails: Sequence[QueuedMail], more: Refill | None = None) -> Iterator[Outcome]:
        while mails:
            for mail in mails:
                self.send(mail)
                yield mail, None
            mails = more() if more is not None else []

    def send(self, mail: QueuedMail) -> None:
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            write_atomically(self.directory / eml_name(mail), mail.raw)
        except OSError as exc:
            raise i18n.error(
                DeliveryError, "errors.outbox_folder", self.language, folder=self.directory, reason=exc.strerror or exc
            ) from None

    def check(self) -> None:
        """The folder exists (or can be made) and can be written."""
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            probe = self.directory / f".check-{os.getpid()}"
            probe.write_bytes(b"")
            probe.unlink()
        except OSError as exc:
            raise i18n.error(
                DeliveryError, "errors.outbox_folder", self.language, folder=self.directory, reason=exc.strerror or exc
            ) from None

    def close(self) -> None:
        pass


def eml_name(mail: QueuedMail) -> str:
    digest = hashlib.sha256(mail.message_id.encode("utf-8")).hexdigest()[:10]
    return f"{mail.id:06d}-{mail.kind}-{digest}.eml"


# --- opening ------------------------------------------------------------------------------------


def open_transport(settings: Settings) -> Transport:
    """The transport MAILBOT_SMTP_URL names; nothing is connected until the first mail."""
    url = settings.connections.smtp_url
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    lang = settings.language
    if scheme == "file":
        return FileTransport(file_url_path(url), lang)
    if scheme not in DEFAULT_PORTS or not parts.hostname:
        raise i18n.error(DeliveryError, "errors.smtp_bad_url", lang, url=redact_url(url))
    timeout = smtp_timeout(url, lang)
    target = SmtpTarget(
        scheme=scheme,
        host=parts.hostname,
        port=parts.port or DEFAULT_PORTS[scheme],
        user=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password is not None else None,
        timeout=timeout,
        url=redact_url(url),
        connections=smtp_connections(url, lang),
    )
    return SmtpTransport(target, settings.campaign.reporting_mailbox, lang)


def file_url_path(url: str) -> Path:
    """file:///abs/path, file://./relative/path and file://localhost/abs/path."""
    parts = urlsplit(url)
    if parts.netloc in ("", "localhost"):
        return Path(unquote(parts.path))
    return Path(unquote(parts.netloc + parts.path))


# --- the run ---------------------------------------------------------------------------------------


def deliver_as_lock_holder(store: MailQueue, settings: Settings, now: datetime) -> DeliveryResult:
    """Deliver for the holder of the delivery lock: first take back what a stopped deliverer left `sending`."""
    release_left_sending(store)
    return deliver_due(store, settings, now)


def release_left_sending(store: MailQueue) -> int:
    """For the holder of the delivery lock: what a stopped deliverer left `sending` is due at once.

    Without this, such mail waited for its claim's lease (ten minutes). A mail that was
    handed to the server just before the crash goes out once more: the one duplicate
    that cannot be avoided, since the server's acceptance was never recorded.
    """
    released = store.release_sending()
    if released:
        log.warning("%s mails left half-sent by a process that stopped are sent again", released)
    return released


def deliver_due(store: MailQueue, settings: Settings, now: datetime, limit: int | None = None) -> DeliveryResult:
    """Send what is due; per-mail failures are recorded in the store, never raised.

    Delivery happens now: a `now` in the past (a replayed day) is taken as the
    present, so queued mail is never left waiting for a day that has gone by.
    """
    moment = max(now, utcnow())
    result = DeliveryResult()
    transport = open_transport(settings)
    try:
        while limit is None or result.handled < limit:
            room = BATCH_SIZE if limit is None else min(BATCH_SIZE, limit - result.handled)
            batch = store.claim_due(moment, room)
            if not batch:
                break
            more = (lambda: store.claim_due(moment, BATCH_SIZE)) if limit is None else None
            deliver_batch(store, transport, batch, moment, result, more)
    finally:
        transport.close()
    log_result(transport, result)
    return result


def log_result(transport: Transport, result: DeliveryResult) -> None:
    if result.handled:
        log.info(
            "delivery via %s: %s sent, %s to retry, %s held",
            transport.description,
            result.sent,
            result.retried,
            result.held,
        )


def deliver_first(store: MailQueue, settings: Settings, now: datetime, keys: list[str]) -> DeliveryResult:
    """Send the queued mail of these keys now, before the rest of the queue; for the delivery lock's holder."""
    moment = max(now, utcnow())
    result = DeliveryResult()
    batch = store.claim_keys(keys, moment) if keys else []
    if not batch:
        return result
    transport = open_transport(settings)
    try:
        deliver_batch(store, transport, batch, moment, result)
    finally:
        transport.close()
    return result


def deliver_batch(
    store: MailQueue,
    transport: Transport,
    batch: list[QueuedMail],
    moment: datetime,
    result: DeliveryResult,
    more: Refill | None = None,
) -> None:
    """Send claimed mail, and what `more` claims once that is on its way (until it claims none), recording
    each one's outcome; a server out of reach raises DeliveryError once every mail claimed and not sent
    has its retry.

    Mail the server took is confirmed in groups, one store write each, and whatever
    happens before the batch is over: a group is written before the mail taken and not
    confirmed, with the ones whose reply is still to come (the transport's in flight),
    would be more than MARK_GROUP. Until then it stays `sending`: a process killed in
    the middle of a group leaves that group's mail to the next lock holder, which sends
    it again (the ones the server had taken go out twice, at most MARK_GROUP).
    """
    sent: list[QueuedMail] = []
    untold = {mail.id: mail for mail in batch}  # claimed, outcome not known yet (a long session keeps no more)

    def refill() -> list[QueuedMail]:
        fresh = list(more()) if more is not None else []
        untold.update((mail.id, mail) for mail in fresh)
        return fresh

    try:
        for mail, failure in transport.send_all(batch, refill if more is not None else None):
            untold.pop(mail.id, None)
            _record(store, mail, failure, moment, result, sent)
            if len(sent) + transport.in_flight >= MARK_GROUP:
                _confirm(store, sent, moment)
    except DeliveryError as exc:  # the server is out of reach: every claimed mail not sent waits
        for waiting in untold.values():
            _retry_or_give_up(store, waiting, moment, exc.message, result)
        raise
    finally:
        _confirm(store, sent, moment)


def _record(
    store: MailQueue,
    mail: QueuedMail,
    failure: Exception | None,
    moment: datetime,
    result: DeliveryResult,
    sent: list[QueuedMail],
) -> None:
    if isinstance(failure, TemporaryFailure):
        _retry_or_give_up(store, mail, moment, str(failure), result)
    elif isinstance(failure, PermanentFailure):
        hold(store, mail, str(failure), result)
    else:
        sent.append(mail)
        result.sent += 1
        log.info("sent %s %s to %s", mail.kind, mail.message_id, ", ".join(mail.recipients))


def _confirm(store: MailQueue, sent: list[QueuedMail], moment: datetime) -> None:
    if sent:
        store.mark_sent([mail.id for mail in sent], moment)
        sent.clear()


def next_attempt(attempts: int, moment: datetime) -> datetime:
    """1, 2, 4, 8 ... minutes after the failed attempt, at most an hour."""
    delay = FIRST_RETRY * (2 ** max(attempts - 1, 0))
    return moment + min(delay, LONGEST_RETRY)


def _retry_or_give_up(store: MailQueue, mail: QueuedMail, moment: datetime, error: str, result: DeliveryResult) -> None:
    if mail.attempts >= MAX_ATTEMPTS:
        hold(store, mail, f"gave up after {mail.attempts} attempts: {error}", result)
        return
    store.mark_retry(mail.id, next_attempt(mail.attempts, moment), error)
    result.retried += 1
    result.errors.append(error)
    log.warning("mail %s (%s) will be retried: %s", mail.id, mail.kind, error)


def hold(store: MailQueue, mail: QueuedMail, error: str, result: DeliveryResult) -> None:
    store.mark_held(mail.id, error)
    result.held += 1
    result.errors.append(error)
    log.error("mail %s (%s) to %s is held: %s", mail.id, mail.kind, ", ".join(mail.recipients), error)
