"""`mailbot run` over the mailboxes of a deployment: a lease, a watcher and campaign jobs per mailbox.

Each mailbox (config/mailboxes.py; a deployment of one has one) is served by one instance at
a time under a lease of its own (store/locks.py). A thread per mailbox waits for its lease,
then runs the mailbox's inbox watcher and its campaigns' reminders and reports while the
lease holds. Instances on one PostgreSQL store share the mailboxes out between them, and each
mailbox fails over on its own. Delivery (one outbox for the deployment) and the console start
once this instance serves a mailbox.

A mailbox whose watcher stopped, or whose lease this instance lost, stops mailbot (exit 1):
it never keeps running with a dead inbox watcher, and its supervisor starts it again.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager, ExitStack, nullcontext

from mailbot import schedule
from mailbot.config import Settings, redact_url
from mailbot.defaults import LEASE_CHECK_SECONDS, LEASE_RETRY_SECONDS
from mailbot.store import Store

log = logging.getLogger(__name__)

WATCHER_STOPPED, LEASE_LOST, CRASHED = "watcher", "lease", "crashed"


class MailboxService:
    """One mailbox of the deployment, served by this instance while it holds the mailbox's lease."""

    def __init__(self, settings: Settings, store: Store, stop: threading.Event) -> None:
        self.settings = settings  # the first campaign reading from the mailbox (Settings.mailboxes)
        self.store = store
        self.stop = stop
        self.shown = redact_url(settings.connections.inbox_url)
        self.serving = threading.Event()
        self.failure: str | None = None  # why it stopped serving while mailbot runs
        self.thread = threading.Thread(target=self._run, name=f"mailbox {self.shown}", daemon=True)

    def _run(self) -> None:
        try:
            self._serve()
        except BaseException:  # whatever stops a mailbox's service stops mailbot (never silently one mailbox less)
            log.exception("serving the mailbox %s failed", self.shown)
            self.failure = CRASHED

    def _serve(self) -> None:
        def standing_by() -> None:
            log.info("the mailbox %s is served by another instance; this one stands by", self.shown)

        with self.store.lease(f"mailbox:{self.shown}", LEASE_RETRY_SECONDS, self.stop, on_wait=standing_by) as held:
            if held is None:
                return
            log.info("this instance serves the mailbox %s", self.shown)
            scheduler = schedule.build_scheduler(self.settings, self.store, self.settings.mailbox_campaigns, False)
            scheduler.start()
            watcher = schedule.Watcher(self.settings, self.store, self.stop)
            thread = threading.Thread(target=watcher.run, name=f"inbox-watcher {self.shown}", daemon=True)
            thread.start()
            self.serving.set()
            try:
                self.failure = self._watch(thread, held)
            finally:
                scheduler.shutdown(wait=True)
                thread.join(timeout=self.settings.inbox.timeout_seconds + 5)

    def _watch(self, watcher: threading.Thread, held: Callable[[], bool]) -> str | None:
        """Until mailbot stops (None), the watcher dies or the lease is lost (why)."""
        checked = time.monotonic()
        while not self.stop.is_set():
            if not watcher.is_alive():
                return WATCHER_STOPPED
            if time.monotonic() - checked >= LEASE_CHECK_SECONDS:
                checked = time.monotonic()
                if not held():
                    return LEASE_LOST
            self.stop.wait(1.0)
        return None


def serve(
    settings: Settings,
    store: Store,
    stop: threading.Event,
    alongside: Callable[[Settings], AbstractContextManager[None]] | None = None,
) -> None:
    """Serve every mailbox of the deployment whose lease this instance gets, until `stop` (SIGINT, SIGTERM)."""
    services = [MailboxService(mailbox, store, stop) for mailbox in settings.mailboxes]
    for service in services:
        service.thread.start()
    failed: list[MailboxService] = []
    with ExitStack() as running:
        started = False
        while not stop.is_set() and not failed:
            if not started and any(s.serving.is_set() for s in services):
                running.enter_context(alongside(settings) if alongside else nullcontext())
                delivery = schedule.build_scheduler(settings, store, (), True)
                delivery.start()
                running.callback(delivery.shutdown, wait=True)
                started = True
                log.info("mailbot is running")
            stop.wait(1.0)
            failed = [s for s in services if s.failure]
        for service in failed:
            _say_why(service)
        stop.set()
        for service in services:
            service.thread.join(timeout=service.settings.inbox.timeout_seconds + 10)
    if failed:
        raise SystemExit(1)
    log.info("mailbot stopped")


def _say_why(service: MailboxService) -> None:
    if service.failure == WATCHER_STOPPED:
        log.critical(
            "the inbox watcher of the mailbox %s stopped; mailbot exits so that its supervisor starts it again",
            service.shown,
        )
    elif service.failure == LEASE_LOST:
        log.critical(
            "the mailbox %s is no longer this instance's (its store connection was lost); mailbot exits", service.shown
        )
    else:
        log.critical(
            "serving the mailbox %s failed; mailbot exits so that its supervisor starts it again", service.shown
        )
