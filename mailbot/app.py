"""The application layer: every use case of mailbot as one call.

The command line, the scheduler, the demo and the web console are adapters over
`App`: they parse what a person typed or clicked, call one method, and show what
comes back. None of them reaches the store, the ledger or the review rules itself.
The clock is injected (`clock`), so a use case can be asked "as of" any moment.
"""

from __future__ import annotations

import importlib
import logging
import re
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mailbot import i18n, ledger, review, service, workers
from mailbot.clock import utcnow
from mailbot.config import Settings
from mailbot.defaults import HISTORY_DAYS, HISTORY_LOOKBACK_DAYS
from mailbot.errors import UsageError
from mailbot.health import Outage, current_outage, held_report_key, stalest_heartbeat
from mailbot.inbox.base import Source
from mailbot.lane import DeliveryLane
from mailbot.models import (
    NEEDS_REVIEW,
    DayLedger,
    MailState,
    OutboundMail,
    QueuedMail,
    Reading,
    RenderedReport,
    ReviewDecision,
    Submission,
    UnitDay,
)
from mailbot.operations import (  # the use cases of deploying, part of this layer
    ConnectionCheck,
    backup_store,
    check_connections,
    health_check,
    write_starter_campaign,
)
from mailbot.outbox import DeliveryResult
from mailbot.review import Decider, ReviewOutcome
from mailbot.service import PollResult
from mailbot.store import Store
from mailbot.store.records import AuditEntry, AuditRow

if TYPE_CHECKING:  # imported where used: the commands that do not need them start faster
    from mailbot import message_view
    from mailbot.accounts import ROLES, SESSION_LIFETIME, AccessError, Accounts, Session, User
    from mailbot.demo import DemoOutcome
    from mailbot.message_view import AttachmentView, FigureImage
    from mailbot.reading.mail import Attachment as Attached
    from mailbot.units.toml_file import Plan as UnitsPlan

# Names the adapters take from this layer whose modules only some commands need: the console's accounts (argon2)
# and a message as a person checks it (the readers). They are imported when first asked for (module __getattr__),
# so that a poll or a status loads neither (tests/cli/test_start_up.py).
_LOADED_WHEN_ASKED = {
    "ROLES": ("mailbot.accounts", "ROLES"),
    "SESSION_LIFETIME": ("mailbot.accounts", "SESSION_LIFETIME"),
    "AccessError": ("mailbot.accounts", "AccessError"),
    "Session": ("mailbot.accounts", "Session"),
    "User": ("mailbot.accounts", "User"),
    "AttachmentView": ("mailbot.message_view", "AttachmentView"),
    "FigureImage": ("mailbot.message_view", "FigureImage"),
    "Attached": ("mailbot.reading.mail", "Attachment"),
}


def __getattr__(name: str) -> Any:
    if name not in _LOADED_WHEN_ASKED:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module, attribute = _LOADED_WHEN_ASKED[name]
    value = getattr(importlib.import_module(module), attribute)
    globals()[name] = value
    return value


log = logging.getLogger(__name__)

# mailbot.reading.whole.READER, named here: a poll that finds nothing new does not load the readers
WHOLE_READER = "mailbot.reading.arrived:read_here"

__all__ = [
    "ROLES",
    "SESSION_LIFETIME",
    "AccessError",
    "App",
    "Attached",
    "AttachmentView",
    "AuditRow",
    "ConnectionCheck",
    "DemoOutcome",
    "DeliveryResult",
    "Decider",
    "FigureImage",
    "PollResult",
    "ReviewOutcome",
    "Session",
    "UnitsPlan",
    "User",
    "backup_store",
    "check_connections",
    "health_check",
    "opened",
    "utcnow",
    "write_starter_campaign",
]

COUNT_RE = re.compile(r"^(\d+|\d{1,3}([.,\s]\d{3})+)$")
DMY_RE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")


@dataclass(frozen=True)
class PollOutcome:
    """What `poll` ingested, and what the delivery after it sent (None: another process delivers)."""

    result: PollResult
    delivery: DeliveryResult | None


@dataclass(frozen=True)
class DayStatus:
    """The day's ledger with the health of the service around it."""

    ledger: DayLedger
    heartbeat: tuple[str, datetime] | None
    waiting: int  # submissions waiting for review, any day
    outbox: dict[str, int]
    held: list[QueuedMail]
    now: datetime
    outage: Outage | None = None  # the inbox cannot be read right now: since when, the last error
    report_held_since: datetime | None = None  # the day's scheduled report waits for approval (schedule.hold_report)

    stale_after: timedelta = timedelta(minutes=30)

    @property
    def heartbeat_stale(self) -> bool:
        return self.heartbeat is None or self.now - self.heartbeat[1] > self.stale_after


@dataclass(frozen=True)
class SubmissionDetail:
    submission: Submission
    decisions: list[ReviewDecision]


@dataclass(frozen=True)
class UnitHistory:
    unit: str
    rows: list[tuple[date, UnitDay | None, str | None]]


@dataclass(frozen=True)
class ProvinceHistory:
    days: list[DayLedger]


@dataclass(frozen=True)
class SentReport:
    """The report mail queued, and what the delivery after it sent."""

    mail: OutboundMail
    delivery: DeliveryResult | None


@dataclass(frozen=True)
class RecordOutcome:
    submission_id: int | None
    reading: Reading
    duplicate: bool
    delivery: DeliveryResult | None


@dataclass(frozen=True)
class Retried:
    released: int
    delivery: DeliveryResult | None


class App:
    """mailbot's use cases over one store. Open with `App.open(settings)` or `opened(settings)`."""

    def __init__(self, settings: Settings, store: Store, clock: Callable[[], datetime] = utcnow) -> None:
        self.settings = settings
        # Where several campaigns share the store, this campaign's view of it (its days, its review queue).
        self.store = store.scoped(settings.campaign.id) if settings.several else store
        self.clock = clock

    @classmethod
    def open(cls, settings: Settings, clock: Callable[[], datetime] = utcnow) -> App:
        store = Store.open(settings.connections.db_url, settings.language)
        adopt_unassigned(settings, store)
        return cls(settings, store, clock)

    def close(self) -> None:
        self.store.close()

    @property
    def whole_store(self) -> Store:
        """The store as the deployment sees it (every campaign's rows)."""
        return self.store.scoped(None) if self.settings.several else self.store

    def for_campaign(self, campaign: str | None) -> App:
        """The same use cases for campaign `campaign` of the deployment (None: this one), over the same store."""
        if campaign is None:
            return self
        from mailbot.config import chosen_campaign

        return App(chosen_campaign(self.settings, campaign), self.store, self.clock)

    def for_unit_or_campaign(self, unit: str | None, campaign: str | None) -> App:
        """The campaign a question is about: the one named, else the unit's own, else this one."""
        if campaign is not None or unit is None or not self.settings.several:
            return self.for_campaign(campaign)
        owner, _ = find_unit_anywhere(self.settings, unit)
        return self.for_campaign(owner.campaign.id)

    def campaign_apps(self) -> list[App]:
        """One App per campaign of the deployment, in configuration order (this one alone where there is one)."""
        return [App(c, self.store, self.clock) for c in self.settings.deployment]

    @property
    def accounts(self) -> Accounts:
        """Users, sign-in, sessions, tokens and the audit trail."""
        from mailbot.accounts import Accounts

        return Accounts(self.store, self.lang)

    @property
    def lang(self) -> str:
        return self.settings.language

    def today(self) -> date:
        return service.local_today(self.settings, self.clock())

    # -- the inbox ------------------------------------------------------------------

    def poll(
        self, source: Source | None = None, *, on_stored: Callable[[PollResult], None] | None = None
    ) -> PollOutcome:
        """Ingest what is new (in every mailbox of the deployment, unless `source` is given),
        send updated reports and the acknowledgements.

        `on_stored` is called with what was stored as soon as it is, while the last acknowledgements are still
        on their way (a command shows the readings meanwhile); the outcome comes once they have all gone. Where
        `on_stored` fails, the acknowledgements still all go, and its error is raised after them."""
        now = self.clock()
        shown: Exception | None = None
        with DeliveryLane(self.settings, self.store, now) as lane:  # sends while the poll stores
            if source is None:
                result = service.poll_mailboxes(self.settings, self.store, now, lane)
            else:
                result = service.poll_once(self.settings, self.store, now, source=source, lane=lane)
            service.send_updates_everywhere(self.settings, self.store, now)
            if on_stored is not None:
                try:
                    on_stored(result)
                except Exception as exc:  # showing it failed (output to a closed pipe): the answers still all go
                    shown = exc
        if shown is not None:
            raise shown
        return PollOutcome(result, lane.result)

    def cycle(self, source: Source | None = None) -> PollResult:
        """One poll with everything after it; delivery failures wait in the outbox."""
        return service.run_cycle(self.settings, self.store, self.clock(), source=source)

    def heartbeat(self) -> tuple[str, datetime] | None:
        """The latest poll (with several mailboxes, of the mailbox polled longest ago)."""
        return stalest_heartbeat(self.settings, self.store)

    # -- the day --------------------------------------------------------------------

    def day(self, day: date | None = None) -> DayLedger:
        return service.day_ledger(self.settings, self.store, day or self.today(), self.clock())

    def status(self, day: date | None = None) -> DayStatus:
        now = self.clock()
        wanted = day or self.today()
        return DayStatus(
            ledger=service.day_ledger(self.settings, self.store, wanted, now),
            heartbeat=stalest_heartbeat(self.settings, self.store),
            waiting=self.store.pending_review_count(),
            outbox=self.store.outbox_counts(),
            held=self.store.held_mail(),
            now=now,
            outage=current_outage(self.store, self.settings),
            report_held_since=self.report_waiting(wanted),
            stale_after=timedelta(seconds=self.settings.schedule.heartbeat_stale_seconds),
        )

    def status_json(self, day: date | None = None) -> dict:
        """What `mailbot status --json` prints and `/api/status` answers (docs/json.md#status)."""
        return status_json(self.day(day), self.settings)

    def remind(self, day: date | None = None) -> list[str]:
        now = self.clock()
        units = service.send_reminders(self.settings, self.store, day or self.today(), now)
        service.deliver(self.settings, self.store, now)
        return units

    # -- submissions and review -------------------------------------------------------

    def waiting(self) -> list[Submission]:
        return review.pending(self.store)

    def waiting_everywhere(self) -> list[Submission]:
        """What waits for review in every campaign of the deployment (and of none yet), oldest first."""
        return waiting_in(self.campaign_apps())

    def waiting_json(self, sub: Submission) -> dict:
        """One line of `mailbot review list --json`; with several campaigns it names the campaign (null: not known)."""
        line = submission_json(sub)
        return {"campaign": sub.campaign, **line} if self.settings.several else line

    def submission(self, submission_id: int) -> SubmissionDetail:
        sub = review.find(self.store, submission_id)
        return SubmissionDetail(sub, self.store.decisions_of(submission_id))

    def submissions_of(self, unit_id: str, day: date) -> list[Submission]:
        return self.store.submissions_of_unit(self.unit(unit_id), day, day)

    def raw_message(self, submission_id: int) -> bytes:
        return self.store.raw_message(review.find(self.store, submission_id).message_row)

    def message(self, submission_id: int) -> message_view.MessageView:
        """The submission's mail as a person checks it: headers, text, attachments and their tables."""
        from mailbot import message_view

        sub = review.find(self.store, submission_id)
        return message_view.view(self.store.raw_message(sub.message_row), self.settings, sub.sources)

    def attachment(self, submission_id: int, number: int) -> Attached | None:
        """The submission's attachment `number` (from 1) as sent, or None."""
        from mailbot import message_view

        return message_view.attachment(self.raw_message(submission_id), number, self.settings)

    def figure_images(self, submission_id: int) -> list[message_view.FigureImage]:
        """The pictures (or scans) the submission's figures were read from by text recognition."""
        from mailbot import message_view

        sub = review.find(self.store, submission_id)
        return message_view.figure_images(self.store.raw_message(sub.message_row), sub, self.settings)

    def picture(self, submission_id: int, number: int) -> tuple[bytes, str, str] | None:
        """Attachment `number` when its own bytes are a picture a browser shows: (bytes, type, name)."""
        from mailbot import message_view

        found = self.attachment(submission_id, number)
        kind = message_view.picture_type(found.data) if found is not None else None
        if found is None or kind is None:
            return None
        return found.data, kind, found.name or f"attachment-{number}"

    def accept(self, submission_id: int, decider: Decider) -> ReviewOutcome:
        return self._decide(
            lambda now, notices: review.accept(self.store, submission_id, decider, now, outgoing=notices),
            decider.address,
        )

    def reject(self, submission_id: int, decider: Decider) -> ReviewOutcome:
        return self._decide(
            lambda now, notices: review.reject(self.store, submission_id, decider, now, outgoing=notices),
            decider.address,
        )

    def assign(self, submission_id: int, unit: str, decider: Decider, then_accept: bool = False) -> ReviewOutcome:
        """Say which unit sent the submission; with `then_accept`, count it too (both recorded).

        The unit may be one of another campaign of the deployment: the submission then moves
        there, read again as that campaign's mail (how a mail held with unknown_campaign is settled).
        """
        owner, unit_id = find_unit_anywhere(self.settings, unit)
        target = self if owner.campaign.id == self.settings.campaign.id else App(owner, self.store, self.clock)

        def reread(sub: Submission) -> Reading:
            return service.read_stored(owner, target.store, sub)

        outcome = target._decide(
            lambda now, notices: review.assign(
                owner, target.store, submission_id, unit_id, decider, now, outgoing=notices, reread=reread
            ),
            decider.address,
        )
        if then_accept and outcome.submission.status == NEEDS_REVIEW:
            accepted = target.accept(submission_id, replace(decider, force=False))
            return review.ReviewOutcome(accepted.submission, accepted.decision or outcome.decision)
        return outcome

    def correct(self, submission_id: int, figures: Mapping[str, int], decider: Decider) -> ReviewOutcome:
        """Correct figures: the corrected figures count from then on and the sender is told them."""
        return self._decide(
            lambda now, notices: review.correct(
                self.settings, self.store, submission_id, figures, decider, now, outgoing=notices
            ),
            decider.address,
        )

    def correct_first(
        self,
        submission_id: int,
        value: int,
        decider: Decider,
        metric: str | None = None,
        then_accept: bool = False,
    ) -> ReviewOutcome:
        """Correct one figure (`metric`, else the campaign's first); it counts from then on.

        `then_accept` is kept for callers that asked for it: a correction already counts.
        """
        chosen = metric or self.settings.campaign.metrics[0].id
        outcome = self.correct(submission_id, {chosen: value}, decider)
        if then_accept and outcome.submission.status == NEEDS_REVIEW:
            accepted = self.accept(submission_id, replace(decider, force=False))
            return review.ReviewOutcome(accepted.submission, outcome.decision or accepted.decision)
        return outcome

    def _decide(
        self, decide: Callable[[datetime, review.Notices], ReviewOutcome], address: str | None
    ) -> ReviewOutcome:
        now = self.clock()
        notices = lambda sub, decision: service.review_notices(self.settings, sub, decision)  # noqa: E731
        outcome = decide(now, notices)
        d = outcome.decision
        if d is not None:  # it changed something
            figures = dict(d.figures) if d.figures else None
            detail = {"reason": d.reason, "unit": d.unit, "figures": figures}
            target = f"submission:{d.submission_id}"
            self.accounts.record(AuditEntry(now, d.by, f"review_{d.action}", address, target, detail))
            service.after_review(self.settings, self.store, now)
        return outcome

    # -- figures received another way ------------------------------------------------

    def record(
        self,
        unit: str,
        figure: str,
        by: str,
        note: str | None = None,
        day: date | None = None,
        metric: str | None = None,
        at: str | None = None,
        address: str | None = None,
    ) -> RecordOutcome:
        """A figure a person received (by telephone): stored with its audit, acknowledged to the unit.

        The unit may be one of another campaign of the deployment: it is recorded there.
        `address` is where the person recording it sits (the console's client); the
        audit trail keeps who, when, from where, the figure, the time given and the note.
        """
        owner, _ = find_unit_anywhere(self.settings, unit)
        if owner.campaign.id != self.settings.campaign.id:
            return App(owner, self.store, self.clock).record(unit, figure, by, note, day, metric, at, address)
        from mailbot import record as recording
        from mailbot.reading.numbers import read_count_text

        now = self.clock()
        if not by or not by.strip():
            raise i18n.error(UsageError, "errors.record_by_needed", self.lang)
        chosen = metric or self.settings.campaign.metrics[0].id
        known = [m.id for m in self.settings.campaign.metrics]
        if chosen not in known:
            raise i18n.error(
                UsageError, "errors.record_unknown_metric", self.lang, value=chosen, known=", ".join(known)
            )
        number = read_count_text(figure)
        if number.value is None:
            raise i18n.error(UsageError, "errors.record_bad_figure", self.lang, value=figure)
        report_day = day or self.today()
        moment = self._record_time(at, report_day, now)
        unit_id = self.unit(unit)
        figures = {chosen: number.value}
        recorded = recording.record_figure(
            self.settings, self.store, unit_id, figures, report_day, by.strip(), note, moment, now
        )
        if not recorded.duplicate:
            detail = {
                "unit": unit_id,
                "day": report_day.isoformat(),
                "figures": figures,
                "received_at": moment.isoformat(),
                "note": note,
            }
            target = f"submission:{recorded.submission_id}"
            self.accounts.record(AuditEntry(now, by.strip(), "record", address, target, detail))
        return RecordOutcome(recorded.submission_id, recorded.reading, recorded.duplicate, self.deliver())

    def _record_time(self, at: str | None, day: date, now: datetime) -> datetime:
        if at is None:
            return now
        try:
            clock = time.fromisoformat(at.strip().replace("h", ":"))
        except ValueError:
            raise i18n.error(UsageError, "errors.record_bad_time", self.lang, value=at) from None
        return datetime.combine(day, clock, tzinfo=self.settings.campaign.tz)

    # -- history ----------------------------------------------------------------------

    def history(
        self, unit: str | None, first: date | None = None, last: date | None = None
    ) -> UnitHistory | ProvinceHistory:
        """A unit's (or, without one, the area's) daily series from `first` to `last`."""
        now = self.clock()
        unit_id = self.unit(unit) if unit is not None else None
        last_day = last or self.today()
        first_day = first or last_day - timedelta(days=HISTORY_DAYS - 1)
        if first_day > last_day:
            raise i18n.error(UsageError, "errors.from_after_to", self.lang, first=first_day, last=last_day)
        since = first_day - timedelta(days=HISTORY_LOOKBACK_DAYS)
        if unit_id:
            subs = self.store.submissions_of_unit(unit_id, since, last_day)
            return UnitHistory(unit_id, ledger.unit_history(self.settings, unit_id, first_day, last_day, subs, now))
        subs = self.store.submissions_between(since, last_day)
        return ProvinceHistory(
            [ledger.build_day(self.settings, d, subs, now) for d in ledger.days_between(first_day, last_day)]
        )

    def unit(self, wanted: str) -> str:
        return find_unit(self.settings, wanted)

    # -- the report -------------------------------------------------------------------

    def report(self, day: date | None = None) -> RenderedReport:
        return service.build_report(self.settings, self.store, day or self.today(), self.clock())

    def report_html(self, day: date | None = None) -> str:
        """The day's report's HTML, as the whole report has it; the rest of the report not made."""
        return service.report_html(self.settings, self.store, day or self.today(), self.clock())

    def report_chart(self, day: date | None = None) -> bytes:
        return service.report_chart(self.settings, self.store, day or self.today(), self.clock())

    def report_workbook(self, day: date | None = None) -> bytes:
        return service.report_workbook(self.settings, self.store, day or self.today(), self.clock())

    def report_file_stem(self, day: date | None = None) -> str:
        from mailbot.report import file_stem

        return file_stem(self.settings, self.settings.campaign.period_of(day or self.today()))

    def report_preview(self, html: str, chart_url: str) -> str:
        """The report's HTML with its chart taken from `chart_url` instead of the mail's inline part."""
        from mailbot.report import CHART_SRC

        return html.replace(f'src="{CHART_SRC}"', f'src="{chart_url}"')

    def print_report(self, rendered: RenderedReport) -> bytes:
        """The report printed as a PDF (the `pdf` extra; else a MailbotError naming what to install)."""
        from mailbot.report import report_pdf

        return report_pdf(rendered, self.settings.language)

    def write_report_pdf(self, day: date | None, path: Path) -> Path:
        """The day's report printed to a PDF file at `path`."""
        from mailbot.files import write_atomically

        printed = self.print_report(self.report(day))
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(path, printed)
        return path

    def write_report(self, day: date | None, out_dir: Path) -> list[Path]:
        return service.write_report(self.settings, self.store, day or self.today(), self.clock(), out_dir)

    def send_report(self, day: date | None = None, by: str | None = None, address: str | None = None) -> SentReport:
        now = self.clock()
        wanted = day or self.today()
        mail = service.send_report(self.settings, self.store, wanted, now)
        if self.report_waiting(wanted) is not None:  # any sending of the day's report ends its wait
            self.store.set_state(self._held_key(wanted), "")
        if by is not None:
            self.accounts.record(AuditEntry(now, by, "report_send", address, target=f"report:{wanted.isoformat()}"))
        return SentReport(mail, service.deliver(self.settings, self.store, now))

    def report_due(self) -> SentReport | None:
        """The scheduled report of today: the day's on a reporting day; a campaign with one report
        sends its final report on the day after its deadline."""
        day = self.settings.campaign.report_for(self.today())
        if day is None:
            return None
        if self.settings.schedule.hold_report:
            self.hold_report(day)
            return None
        return self.send_report(day)

    def hold_report(self, day: date) -> None:
        """Keep the day's scheduled report back until a reviewer approves it (`schedule.hold_report`)."""
        if self.report_waiting(day) is not None:
            return
        now = self.clock()
        self.store.set_state(self._held_key(day), now.isoformat())
        self.accounts.record(AuditEntry(now, "mailbot", "report_held", target=f"report:{day.isoformat()}"))
        log.info("the report for %s waits for a reviewer's approval in the console", day)

    def report_waiting(self, day: date) -> datetime | None:
        """Since when the day's scheduled report waits for approval, or None."""
        held = self.store.get_state(self._held_key(day))
        return datetime.fromisoformat(held) if held else None

    def _held_key(self, day: date) -> str:
        """The state key of the day's held report, this campaign's own where there are several."""
        return self.settings.scoped(held_report_key(day))

    def approve_report(self, day: date, by: str, address: str | None = None) -> SentReport:
        """A reviewer approves the held report of `day`: it is sent now, and the approval audited."""
        waiting = self.report_waiting(day)
        if waiting is None:
            raise i18n.error(UsageError, "errors.report_not_waiting", self.lang, day=i18n.format_day(day, self.lang))
        now = self.clock()
        detail = {"held_since": waiting.isoformat()}
        self.accounts.record(AuditEntry(now, by, "report_approve", address, f"report:{day.isoformat()}", detail))
        return self.send_report(day)

    # -- the outbox -------------------------------------------------------------------

    def outbox(self) -> list[QueuedMail]:
        """Mail waiting to go or held back."""
        return self.store.mail(MailState.PENDING) + self.store.mail(MailState.SENDING) + self.store.held_mail()

    def held(self) -> list[QueuedMail]:
        return self.store.held_mail()

    def retry(self, mail_ids: list[int] | None = None, by: str | None = None, address: str | None = None) -> Retried:
        released = self.store.release_held(mail_ids or None)
        if by is not None:
            detail = {"ids": mail_ids, "released": released}
            self.accounts.record(AuditEntry(self.clock(), by, "outbox_retry", address, detail=detail))
        return Retried(released, service.deliver(self.settings, self.store, self.clock()))

    def deliver(self) -> DeliveryResult | None:
        return service.deliver(self.settings, self.store, self.clock())

    def readable(self) -> bool:
        """True while the store answers a query (the health check)."""
        try:
            self.store.counts()
        except Exception:  # any failure to read is "not healthy", never a crash of the check
            log.warning("the store cannot be read", exc_info=True)
            return False
        return True


def adopt_unassigned(settings: Settings, store: Store) -> None:
    """A deployment of several campaigns takes over the rows of a store from before campaigns (store/campaigns.py)."""
    if settings.several:
        units = {c.campaign.id: [u.id for u in c.units] for c in settings.deployment}
        store.adopt_unassigned(units, settings.deployment[0].campaign.id)


@contextmanager
def opened(settings: Settings, clock: Callable[[], datetime] = utcnow, *, to_read_mail: bool = False) -> Iterator[App]:
    """The application over the configured store; `to_read_mail` (a poll): the reading workers start first, and
    are ready by the time the store and the mailbox are open."""
    if to_read_mail:  # they end by themselves when this process has gone, as the ones a first read starts
        workers.start_ahead(WHOLE_READER, limits=settings.limits)
    app = App.open(settings, clock)
    try:
        yield app
    finally:
        app.close()


def find_unit(settings: Settings, wanted: str) -> str:
    """A unit's id from its id, its name or one of its aliases (without case or diacritics)."""
    from mailbot.reading.text import fold

    key = fold(wanted)
    for unit in settings.units:
        if key in {fold(name) for name in (unit.id, unit.name, *unit.aliases)}:
            return unit.id
    raise review.unknown_unit(settings, wanted)


def waiting_in(apps: list[App]) -> list[Submission]:
    """What waits for review in the campaigns of `apps` (and of none yet), each once, oldest first."""
    found = {sub.id: sub for each in apps for sub in each.waiting()}
    return sorted(found.values(), key=lambda sub: (sub.received_at, sub.id))


def find_unit_anywhere(settings: Settings, wanted: str) -> tuple[Settings, str]:
    """The campaign (of the whole deployment) and id of a unit given by id, name or alias."""
    for campaign in settings.deployment:
        try:
            return campaign, find_unit(campaign, wanted)
        except UsageError:
            continue
    raise review.unknown_unit(settings, wanted)


def parse_date(value: str, lang: str, option: str = "--date") -> date:
    """A day as staff type it: 14/8/2020, 14/08/2020 or 2020-08-14."""
    cleaned = value.strip()
    found = DMY_RE.match(cleaned)
    try:
        if found:
            day, month, year = (int(part) for part in found.groups())
            return date(year, month, day)
        return date.fromisoformat(cleaned)
    except ValueError:
        raise i18n.error(UsageError, "errors.option_not_date", lang, option=option, value=value) from None


def parse_count(value: str, lang: str) -> int:
    """A whole number as staff type it: 17356, 17.356, 17,356 or 17 356."""
    cleaned = value.strip()
    if COUNT_RE.match(cleaned):
        return int(re.sub(r"[.,\s]", "", cleaned))
    raise i18n.error(UsageError, "errors.not_whole_number", lang, value=value)


def read_files(settings: Settings, paths: list[Path], routed: bool = True) -> Iterator[Reading]:
    """What mailbot would record from each .eml or spreadsheet file, one at a time; stores nothing.

    Every path gives its reading, or one problem if it cannot be read: no input
    ends the reading early. A path that is not a file is then said once more, as
    the usage error it is.
    """
    from mailbot import workers

    missing = [path for path in paths if not path.is_file()]
    try:
        for path in paths:
            yield service.read_file(settings, path, routed=routed)
    finally:
        workers.shutdown()
    if missing:
        raise i18n.error(UsageError, "errors.not_a_file", settings.language, path=missing[0])


def run_demo(settings: Settings, directory: Path) -> DemoOutcome:
    """The demo day in a fresh folder (mailbot.demo)."""
    from mailbot import demo

    return demo.run(settings, directory)


def run_service(
    settings: Settings,
    config_given: bool = True,
    alongside: Callable[[Settings], AbstractContextManager[None]] | None = None,
) -> None:
    """The long-running service until SIGINT or SIGTERM; a setup that cannot work stops it at once (exit 2).

    `alongside(settings)`, a context manager, runs beside the service once its setup
    checks passed (the command line passes the web console's, for `[web] enabled`).
    """
    from mailbot import schedule, serving, startup

    startup.announce(settings, config_given)
    store = startup.open_store(settings, threading.Event())
    if store is None:
        return
    try:
        adopt_unassigned(settings, store)
        for mailbox in settings.mailboxes:
            startup.check_inbox(mailbox)
        serving.serve(settings, store, schedule.stop_on_signals(), alongside)
    finally:
        store.close()


def reviewer(by: str | None = None) -> str:
    """Who decides at a terminal: --by, else $MAILBOT_USER, else the operating-system user."""
    return review.reviewer(by)


def status_json(day_state: DayLedger, settings: Settings | None = None) -> dict:
    """docs/json.md#status; where several campaigns share the mailbox, it and each unit name the campaign."""
    data = day_state.to_json()
    if not day_state.reporting_day:
        data["reporting_day"] = False
        data["reason"] = day_state.no_reporting_reason
    if settings is not None and settings.several:
        campaign = settings.campaign.id
        data = {"campaign": campaign, **data, "units": [{"campaign": campaign, **u} for u in data["units"]]}
    return data


def reading_json(reading: Reading, settings: Settings) -> dict:
    """docs/json.md#parse; where several campaigns share the mailbox, with the campaign it reports for (or null)."""
    data = reading.to_json()
    return {"campaign": reading.campaign, **data} if settings.several else data


def submission_json(sub: Submission) -> dict:
    return {
        "id": sub.id,
        "unit": sub.unit,
        "period": sub.period.isoformat() if sub.period else None,
        "received_at": sub.received_at.isoformat(),
        "from": sub.sender,
        "subject": sub.subject,
        "status": sub.status,
        "figures": dict(sub.figures),
        "read_figures": dict(sub.read_figures),
        "problems": [p.to_json() for p in sub.problems],
        "decided_by": sub.decided_by,
    }


# --- campaign files: units from a spreadsheet, the blank report form -------------------


def units_language(campaign: Path) -> str:
    """The language a campaign file states (read before it is valid: it may have no units yet)."""
    import tomllib

    from mailbot.config.settings import DEFAULT_LANGUAGE, stated_language

    try:
        return stated_language(tomllib.loads(Path(campaign).read_text(encoding="utf-8")))
    except (OSError, ValueError):
        return DEFAULT_LANGUAGE


def plan_units_import(table: Path, campaign: Path, lang: str) -> UnitsPlan:
    """What `mailbot units import` would change in the campaign file; writes nothing."""
    from mailbot import units

    return units.plan_units_import(table, campaign, lang)


def write_units_plan(plan: UnitsPlan) -> None:
    from mailbot import units

    units.write_plan(plan)


def blank_form(settings: Settings, unit: str | None = None, day: date | None = None) -> tuple[str, bytes]:
    """The campaign's blank report workbook (`mailbot template`): its file name and bytes.

    With a unit (id, name or alias) its name is written in; with a day, the report day.
    """
    from mailbot.report.form import form_bytes, form_file_name

    chosen = settings.unit(find_unit(settings, unit)) if unit else None
    return form_file_name(settings), form_bytes(settings, chosen, day)


def write_file_atomically(path: Path, data: bytes) -> None:
    """Replace `path` by `data` at once (a temporary file beside it, then a rename)."""
    import os
    import tempfile

    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
