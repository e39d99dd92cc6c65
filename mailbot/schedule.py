"""`mailbot run`: APScheduler jobs over the application layer, plus the inbox watcher.

The watcher polls, then waits on the inbox (IMAP IDLE where offered, a sleep
otherwise) and polls again; IDLE is only a wake-up signal. Reminders, the daily
report, report updates and delivery are cron and interval jobs in the campaign's
time zone. SIGINT and SIGTERM stop everything in order; mailbot.serving runs a watcher and
the campaign jobs per mailbox.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable, Iterable
from datetime import timedelta
from types import FrameType

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from mailbot import health
from mailbot.app import App
from mailbot.clock import utcnow
from mailbot.config import Settings, redact_url
from mailbot.defaults import DELIVERY_EVERY_SECONDS
from mailbot.errors import MailbotError
from mailbot.inbox import Backoff, open_source, source_identity
from mailbot.store import Store

log = logging.getLogger(__name__)


class Watcher:
    """Polls the inbox whenever it may have changed, reconnecting after failures."""

    def __init__(self, settings: Settings, store: Store, stop: threading.Event) -> None:
        self.settings = settings
        self.store = store
        self.stop = stop

    def run(self) -> None:
        backoff = Backoff()
        while not self.stop.is_set():
            try:
                self._watch(backoff)
                continue
            except MailbotError as exc:
                error = str(exc)
            except (KeyboardInterrupt, SystemExit):
                raise
            except BaseException as exc:  # the watcher never dies of one bad cycle (a native panic is a BaseException)
                log.exception("inbox watcher failed")
                error = " ".join(f"{type(exc).__name__}: {exc}".split())[:300]
            delay = backoff.next_delay()
            self._note_outage(error)
            log.warning("inbox: %s; trying again in %.0f s", error, delay)
            self._warn_if_stale()
            self.stop.wait(delay)

    def _note_outage(self, error: str) -> None:
        """`mailbot status` shows the outage as it happens; a store that is down too only gets a log line."""
        try:
            source = redact_url(self.settings.connections.inbox_url)
            health.record_outage(self.store, source, error, utcnow(), self.settings.inbox.mailbox)
        except Exception as exc:
            log.warning("the inbox outage could not be recorded in the store: %s", " ".join(str(exc).split())[:300])

    def _note_recovery(self) -> None:
        ended = health.clear_outage(self.store, self.settings.inbox.mailbox)
        if ended is not None:
            log.info("inbox %s can be read again (it could not since %s)", ended.source, ended.since.isoformat())

    def _watch(self, backoff: Backoff) -> None:
        source = open_source(self.settings)
        try:
            while not self.stop.is_set():
                App(self.settings, self.store).cycle(source=source)
                backoff.reset()
                self._note_recovery()
                wait = min(self.settings.schedule.poll_every_seconds, self.settings.schedule.idle_renew_seconds)
                source.wait_for_change(wait, self.stop)
        finally:
            source.close()

    def _warn_if_stale(self) -> None:
        """Say when this watcher's own mailbox was last polled, if that is long ago (another's heartbeat is not its)."""
        try:
            source = source_identity(self.settings)
        except MailbotError:
            return
        at = self.store.heartbeat_of(source)
        limit = timedelta(seconds=self.settings.schedule.heartbeat_stale_seconds)
        if at and utcnow() - at > limit:
            log.warning("the inbox %s has not been polled successfully since %s", source, at)


def build_scheduler(
    settings: Settings, store: Store, campaigns: Iterable[Settings] | None = None, delivery: bool = True
) -> BackgroundScheduler:
    """Reminders and the report for each of `campaigns` (default: the deployment's), at its times in its
    time zone; with `delivery`, the deployment's delivery too (mailbot.serving runs one per mailbox served)."""
    tz = settings.campaign.tz
    scheduler = BackgroundScheduler(
        timezone=tz, job_defaults={"max_instances": 1, "coalesce": True, "misfire_grace_time": 3600}
    )
    for campaign in settings.deployment if campaigns is None else campaigns:
        _campaign_jobs(scheduler, campaign, store)
    if delivery:
        scheduler.add_job(
            _guarded(deliver_now, settings, store),
            IntervalTrigger(seconds=DELIVERY_EVERY_SECONDS, timezone=tz),
            id="deliver",
            name="delivery",
        )
    return scheduler


def _campaign_jobs(scheduler: BackgroundScheduler, settings: Settings, store: Store) -> None:
    tz, suffix = settings.campaign.tz, f":{settings.campaign.id}" if settings.several else ""
    reminder, report = settings.schedule.reminder_at, settings.schedule.report_at
    scheduler.add_job(
        _guarded(remind_today, settings, store),
        CronTrigger(hour=reminder.hour, minute=reminder.minute, timezone=tz),
        id=f"reminders{suffix}",
        name=f"reminders{suffix}",
    )
    scheduler.add_job(
        _guarded(report_today, settings, store),
        CronTrigger(hour=report.hour, minute=report.minute, timezone=tz),
        id=f"report{suffix}",
        name=f"daily report{suffix}",
    )


def remind_today(settings: Settings, store: Store) -> None:
    App(settings, store).remind()


def report_today(settings: Settings, store: Store) -> None:
    App(settings, store).report_due()


def deliver_now(settings: Settings, store: Store) -> None:
    App(settings, store).deliver()


def _guarded(job: Callable[[Settings, Store], object], settings: Settings, store: Store) -> Callable[[], None]:
    def run_job() -> None:
        try:
            job(settings, store)
        except Exception:
            log.exception("job %s failed; it runs again at its next time", job.__name__)

    run_job.__name__ = job.__name__
    return run_job


def stop_on_signals() -> threading.Event:
    """An event that SIGINT and SIGTERM set: the orderly stop of `mailbot run`, standing by or serving."""
    stop = threading.Event()

    def request_stop(signum: int, _frame: FrameType | None) -> None:
        log.info("signal %s received; stopping", signum)
        stop.set()

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    return stop
