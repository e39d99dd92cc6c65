"""Delivery of the outbox: SMTP (plain, STARTTLS, implicit TLS; mailbot.smtp) or a folder of .eml files.

Mail is queued in the store by whoever caused it; this module only hands the
stored bytes over, so a mail keeps its Message-ID on every attempt. One SMTP
connection serves a whole delivery run. A 4xx reply or a timeout is retried later
with exponential backoff; a 5xx reply or refused recipients hold the mail for a
person (`mailbot outbox retry` releases it). A server that cannot be reached at
all raises DeliveryError after putting the claimed mail back in the queue.
"""

from __future__ import annotations

import hashlib
import logging
import os
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Protocol
from urllib.parse import parse_qs, unquote, urlsplit

from mailbot import i18n
from mailbot.clock import utcnow
from mailbot.config import Settings, redact_url
from mailbot.defaults import FIRST_RETRY, LONGEST_RETRY, MAX_ATTEMPTS, SMTP_TIMEOUT_SECONDS
from mailbot.errors import DeliveryError
from mailbot.files import write_atomically
from mailbot.models import QueuedMail
from mailbot.smtp import DEFAULT_PORTS, PermanentFailure, SmtpTarget, SmtpTransport, TemporaryFailure

log = logging.getLogger(__name__)

BATCH_SIZE = 50
MARK_GROUP = 10  # mails confirmed sent in one store write (a crash may send the unconfirmed ones of a group again)


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

    def send(self, mail: QueuedMail, then: QueuedMail | None = None) -> None:
        """Hand `mail` over; `then` is the mail the caller sends next, if any (a transport may start on it)."""
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

    def send(self, mail: QueuedMail, then: QueuedMail | None = None) -> None:
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
    timeout = float(parse_qs(parts.query).get("timeout", [SMTP_TIMEOUT_SECONDS])[0])
    target = SmtpTarget(
        scheme=scheme,
        host=parts.hostname,
        port=parts.port or DEFAULT_PORTS[scheme],
        user=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password is not None else None,
        timeout=timeout,
        url=redact_url(url),
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
            deliver_batch(store, transport, batch, moment, result)
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
    store: MailQueue, transport: Transport, batch: list[QueuedMail], moment: datetime, result: DeliveryResult
) -> None:
    """Send claimed mail, recording each one's outcome; a server out of reach raises DeliveryError
    once every mail of the batch not sent has its retry.

    Mail the server took is confirmed in groups of MARK_GROUP, one store write each, and
    whatever happens before the batch is over. Until then it stays `sending`: a process
    killed in the middle of a group leaves that group's mail to the next lock holder,
    which sends it again (the ones the server had taken go out twice, at most a group).
    """
    sent: list[QueuedMail] = []
    try:
        for index, mail in enumerate(batch):
            if len(sent) >= MARK_GROUP:
                _confirm(store, sent, moment)
            try:
                transport.send(mail, then=batch[index + 1] if index + 1 < len(batch) else None)
            except TemporaryFailure as exc:
                _retry_or_give_up(store, mail, moment, str(exc), result)
            except PermanentFailure as exc:
                hold(store, mail, str(exc), result)
            except DeliveryError as exc:  # the server is out of reach: every claimed mail waits
                for waiting in batch[index:]:
                    _retry_or_give_up(store, waiting, moment, exc.message, result)
                raise
            else:
                sent.append(mail)
                result.sent += 1
                log.info("sent %s %s to %s", mail.kind, mail.message_id, ", ".join(mail.recipients))
    finally:
        _confirm(store, sent, moment)


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
