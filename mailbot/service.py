"""The orchestration: poll once, ingest, acknowledge, remind, report, deliver.

Each step takes the settings, the store and the time as arguments; the clock and
the network are touched only by the caller (cli, schedule) and by the inbox and
outbox edges.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

# What only reading, answering or reporting needs (the readers, compose, report, the checks) is imported in the
# function that needs it: a poll that finds nothing new, or a status, never loads it (tests/cli/test_start_up.py).
from mailbot import batches, i18n, ledger, outbox, workers
from mailbot.config import Settings
from mailbot.defaults import EARLIER_SUBMISSIONS_DAYS, READINGS_SHOWN, TREND_DAYS, UPDATE_WATCH_DAYS
from mailbot.errors import DeliveryError, StoreError
from mailbot.inbox import Source, open_source
from mailbot.lane import DELIVERY_LOCK, DeliveryLane
from mailbot.memory import collector_paused
from mailbot.models import (
    ACCEPTED,
    REJECTED,
    UNREADABLE_FILE,
    DayLedger,
    InboundMessage,
    OutboundMail,
    Problem,
    Reading,
    RenderedReport,
    ReviewDecision,
    SourceMark,
    State,
    Submission,
)
from mailbot.store import Store, sha256_of

if TYPE_CHECKING:
    from mailbot import replies

log = logging.getLogger(__name__)

POLL_LOCK = "poll"
MAX_ATTEMPTS = 2  # a message during which the process died, worked on alone, is tried once more, then stored unread


@dataclass
class PollResult:
    """What a poll did. Of the readings stored, READINGS_SHOWN are kept for the table printed after the poll: the
    ones a person must look at (needing review, rejected) first, then accepted ones, each group in the order they
    arrived. The others are counted by status, so a backlog of any size costs no memory."""

    source: str
    fetched: int = 0
    stored: int = 0
    duplicates: int = 0
    readings: list[Reading] = field(default_factory=list)
    statuses: Counter[str] = field(default_factory=Counter)  # of every reading stored

    def add(self, reading: Reading) -> None:
        self.statuses[reading.status] += 1
        self._keep([reading])

    def join(self, other: PollResult) -> None:
        self.fetched += other.fetched
        self.stored += other.stored
        self.duplicates += other.duplicates
        self.statuses += other.statuses
        self._keep(other.readings)

    def _keep(self, more: list[Reading]) -> None:
        if len(self.readings) >= READINGS_SHOWN and (
            _needs_a_look(self.readings[-1]) or not any(_needs_a_look(r) for r in more)
        ):
            return  # nothing in `more` goes before what is kept (a backlog's common case, without a sort)
        self.readings = sorted(self.readings + more, key=lambda r: not _needs_a_look(r))[:READINGS_SHOWN]


def _needs_a_look(reading: Reading) -> bool:
    return reading.status != ACCEPTED


# --- ingestion ---------------------------------------------------------------------


def poll_once(
    settings: Settings, store: Store, now: datetime, source: Source | None = None, lane: DeliveryLane | None = None
) -> PollResult:
    """Ingest everything new in the inbox of `settings`; the store lock keeps pollers of that mailbox apart.

    With a delivery `lane`, the answers of each batch are sent while the next ones are read.
    """
    own_source = source is None
    source = source or open_source(settings)
    try:
        with store.lock(f"{POLL_LOCK}:{source.identity}") as taken:
            if not taken:
                log.warning("another poller holds the inbox lock; nothing done")
                return PollResult(source.identity)
            result = _ingest_all(settings, store, source, now, lane)
            store.record_heartbeat(source.identity, now)
            return result
    finally:
        if own_source:
            source.close()


def _ingest_all(
    settings: Settings, store: Store, source: Source, now: datetime, lane: DeliveryLane | None
) -> PollResult:
    result = PollResult(source.identity)
    mark = store.source_mark(source.identity)
    known = lambda keys: store.known_keys(source.identity, keys)  # noqa: E731
    answers, stored = batches.Answers(store), batches.Known(store)
    for batch in batches.read_ahead(settings, store, source.batches(mark, known)):
        _count(result, batches.ingest_batch(settings, store, batch, now, answers, stored))
        if lane is not None:
            lane.wake()
        source.after_commit(batch)
        log.info("ingested a batch of %s message(s) from %s", len(batch), source.identity)
        for arrived in source.arrivals(known):
            _ingest_arrivals(settings, store, source, arrived, now, answers, stored, result, lane)
    return result


def _count(result: PollResult, outcomes: list[tuple[Reading, bool]]) -> None:
    for reading, stored in outcomes:
        result.fetched += 1
        result.stored += stored
        result.duplicates += not stored
        if stored:
            result.add(reading)


def _ingest_arrivals(
    settings: Settings,
    store: Store,
    source: Source,
    arrived: list[InboundMessage],
    now: datetime,
    answers: batches.Answers,
    stored: batches.Known,
    result: PollResult,
    lane: DeliveryLane | None,
) -> None:
    """Mail that arrived during a long poll: stored before the rest of the backlog, and answered at once
    (by the poll's delivery lane before the rest of the queue, else here if no one else delivers).

    The mailbox mark stays with the older mail, which is not all stored yet: these
    messages are stored without moving it (as if they had no UID), and when a poll
    comes to their UIDs they are known by their keys, never stored twice.
    """
    unmarked = [replace(m, uid=None) for m in arrived]
    _count(result, batches.ingest_batch(settings, store, unmarked, now, answers, stored))
    source.after_commit(arrived)
    log.info("stored %s message(s) that arrived during the poll of %s first", len(arrived), source.identity)
    from mailbot import compose

    keys = [compose.ack_key(sha256_of(m.raw)) for m in arrived]
    if lane is not None:
        lane.first(keys)
        return
    try:
        with store.lock(DELIVERY_LOCK) as taken:
            if taken:  # else the deliverer holding the lock sends them with the rest
                outbox.deliver_first(store, settings, now, keys)
    except DeliveryError as exc:  # they stay queued, sent with the rest
        log.warning("the answers to mail that just arrived wait: %s", exc)


def ingest_message(settings: Settings, store: Store, message: InboundMessage, now: datetime) -> tuple[Reading, bool]:
    """Read, check against history, and store one message with its acknowledgement.

    Whatever goes wrong with this one message is its own problem: it is stored
    (raw bytes always) as rejected, answered where that is safe, and the next
    message is read. The attempt is marked in the store before any work, so that a
    message during which the process died is recognised; after one more try it is
    stored as rejected without being read again. Storing the message ends the
    attempt in the same transaction; only when nothing was stored is it ended apart.
    """
    digest = sha256_of(message.raw)
    return ingest_marked(settings, store, message, now, digest, store.begin_attempt(digest))


def ingest_marked(
    settings: Settings, store: Store, message: InboundMessage, now: datetime, digest: str, attempt: int
) -> tuple[Reading, bool]:
    """ingest_message once the attempt is marked: alone, in its own transaction."""
    outcome = None
    try:
        outcome = _attempt(settings, store, message, now, digest, attempt)
        return outcome
    finally:
        if outcome is None:
            store.end_attempt(digest)


def _attempt(
    settings: Settings, store: Store, message: InboundMessage, now: datetime, digest: str, attempt: int
) -> tuple[Reading, bool]:
    if attempt > MAX_ATTEMPTS:
        log.error(
            "message %s from %s stopped the service %s times; stored unread",
            message.key,
            message.source,
            MAX_ATTEMPTS,
        )
        return _store_failed(settings, store, message, now, "interrupted", digest)
    try:
        return _ingest(settings, store, message, now, digest)
    except (KeyboardInterrupt, SystemExit):
        raise
    except StoreError:  # a full disk or a lost database is not this message's problem: the work stops, undone
        raise
    except BaseException:  # any failure with one message is that message's problem (a panic is a BaseException)
        log.exception("message %s from %s could not be processed; stored as rejected", message.key, message.source)
        return _store_failed(settings, store, message, now, "internal", digest)


def _ingest(
    settings: Settings, store: Store, message: InboundMessage, now: datetime, digest: str
) -> tuple[Reading, bool]:
    from mailbot import compose, replies

    workers.die_if_asked(message.raw)  # tests: the process dies while working on the message
    routed = batches.read_routed(settings, message)
    own, reading = routed.settings, routed.reading
    earlier = unit_submissions(store, reading)
    reading = with_history_problems(own, reading, earlier)
    replaced = counted_submission(earlier, reading.period)
    ack = None
    if replies.may_answer(own, reading, store, now):
        ack = compose.acknowledgement(own, reading, replaced=replaced, now=now, key_basis=digest)
    return _store(store, message, reading, [ack] if ack else [])


def _store(
    store: Store, message: InboundMessage, reading: Reading, outgoing: list[OutboundMail]
) -> tuple[Reading, bool]:
    mark = SourceMark(message.uidvalidity, message.uid) if message.uid is not None else None
    result = store.ingest(message, reading, outgoing, mark)
    log_stored(message, reading, result.duplicate)
    return reading, not result.duplicate


def log_stored(message: InboundMessage, reading: Reading, duplicate: bool) -> None:
    if duplicate:
        log.info("message %s from %s is already stored", reading.message_id, message.source)
    else:
        log.info(
            "stored %s from %s: unit=%s period=%s status=%s",
            reading.message_id,
            reading.sender,
            reading.unit,
            reading.period,
            reading.status,
        )


def store_prepared(
    settings: Settings,
    store: Store,
    message: InboundMessage,
    reading: Reading,
    outgoing: list[OutboundMail],
    now: datetime,
    digest: str,
) -> tuple[Reading, bool]:
    """A message read and answered, stored alone; stored as rejected if that fails (as ingest_message does)."""
    try:
        return _store(store, message, reading, outgoing)
    except StoreError:
        raise
    except Exception:
        log.exception("message %s from %s could not be stored; stored as rejected", message.key, message.source)
        return _store_failed(settings, store, message, now, "internal", digest)


def _store_failed(
    settings: Settings, store: Store, message: InboundMessage, now: datetime, why: str, digest: str
) -> tuple[Reading, bool]:
    """The message as rejected, with what little can be told about it safely, and an answer if that is safe."""
    reading = failed_reading(settings, message, why)
    settings = settings.campaign_of_unit(reading.unit) or settings
    outgoing = failed_answer(settings, reading, store, now, digest, message)
    try:
        return _store(store, message, reading, outgoing)
    except Exception:
        if not outgoing:
            raise
        log.exception("message %s could not be stored with its acknowledgement; stored without", message.key)
        return _store(store, message, reading, [])


def failed_answer(
    settings: Settings,
    reading: Reading,
    answers: replies.AnswersSent,
    now: datetime,
    digest: str,
    message: InboundMessage,
) -> list[OutboundMail]:
    """The answer to a message that could not be processed, where that is safe; none if it cannot be composed."""
    from mailbot import compose, replies

    try:
        if replies.may_answer(settings, reading, answers, now):
            ack = compose.acknowledgement(settings, reading, replaced=None, now=now, key_basis=digest)
            return [ack] if ack else []
    except Exception:  # the answer is what failed: the message is stored all the same
        log.exception("no acknowledgement for message %s: it could not be composed", message.key)
    return []


def failed_reading(settings: Settings, message: InboundMessage, why: str) -> Reading:
    """A rejected reading for a message that could not be processed; only clean header facts are kept."""
    from mailbot import routing
    from mailbot.reading import mail

    lang = settings.language
    received = message.received_at.astimezone(settings.campaign.tz) if message.received_at else None
    unsafe = why in ("interrupted", "unparsable")  # taking it apart here could stop the process
    facts = None if unsafe else mail.safe_facts(message.raw, settings.campaign.reporting_mailbox)
    detail = i18n.text(f"reading.detail_{why}", lang)
    problem = Problem(UNREADABLE_FILE, i18n.text("problems.unreadable_message", lang, detail=detail))
    campaigns = routing.registered_in(settings, facts.sender) if facts else []
    alone = len(settings.mailbox_campaigns) == 1 if settings.several else True
    owner = campaigns[0] if len(campaigns) == 1 else settings if alone else None
    registered = owner.unit_of_sender(facts.sender) if owner and facts else None
    return Reading(
        path=f"{message.source}#{message.key}",
        message_id=facts.message_id if facts else None,
        sender=facts.sender if facts else None,
        received_at=received,
        period=received.date() if received else None,
        late=None,
        unit=registered.id if registered else None,
        figures={},
        problems=(problem,),
        subject=facts.subject if facts else None,
        reply_to=facts.sender if facts and not facts.robot else None,
        campaign=owner.campaign.id if owner else None,
    )


def safe_read(settings: Settings, message: InboundMessage) -> Reading:
    """The reading of a message as this campaign's mail, in this process (batches.read_routed reads in a worker)."""
    from mailbot.reading import arrived

    return arrived.read_arrived(settings, message)


def read_file(settings: Settings, path: Path, routed: bool = True) -> Reading:
    """What `parse` says of one file: its reading, or one problem if it cannot be read at all.

    `routed`: as the mailbox would route it among the campaigns; else as this campaign's mail.
    """
    from mailbot import routing
    from mailbot.reading.message import looks_like_mail, read_path

    lang = settings.language
    try:
        if not routed or not settings.several:
            return replace(read_path(path, settings), campaign=settings.campaign.id)
        data = path.read_bytes()
        raw = data if looks_like_mail(data) else None
        read = lambda campaign: read_path(path, campaign)  # noqa: E731
        return routing.route(settings, raw, read, among=settings.deployment).reading
    except OSError as exc:
        detail = i18n.text("reading.detail_unopenable", lang, reason=exc.strerror or type(exc).__name__)
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException:  # one file's failure is that file's line; the others are read all the same
        log.exception("reading %s failed", path)
        detail = i18n.text("reading.detail_internal", lang)
    problem = i18n.problem(UNREADABLE_FILE, lang, where=str(path), file=str(path), detail=detail)
    return Reading(str(path), None, None, None, None, None, None, {}, (problem,))


def read_stored(settings: Settings, store: Store, sub: Submission) -> Reading:
    """A stored submission's mail read again, as campaign `settings`'s mail (an assignment into that campaign)."""
    from mailbot.reading.message import read_message

    received = sub.received_at.astimezone(settings.campaign.tz)
    reading = read_message(store.raw_message(sub.message_row), settings, received_at=received, path=f"#{sub.id}")
    return replace(reading, campaign=settings.campaign.id)


def unit_submissions(store: Store, reading: Reading) -> list[Submission]:
    """The unit's stored submissions of the days the history checks look at."""
    if not reading.unit or not reading.period:
        return []
    return store.submissions_of_unit(
        reading.unit, reading.period - timedelta(days=EARLIER_SUBMISSIONS_DAYS), reading.period
    )


def with_history_problems(settings: Settings, reading: Reading, earlier: list[Submission]) -> Reading:
    if reading.status == REJECTED or not reading.figures:
        return reading
    unit = settings.unit(reading.unit) if reading.unit else None
    if unit is None or reading.period is None:
        return reading
    from mailbot import validation

    extra = validation.history_problems(settings, unit, reading.period, reading.figures, earlier)
    return replace(reading, problems=reading.problems + tuple(extra)) if extra else reading


def counted_submission(earlier: list[Submission], period: date | None) -> Submission | None:
    """The submission whose figures count for the unit and day now (docs/rules.md)."""
    accepted = [s for s in earlier if s.period == period and s.status == ACCEPTED]
    return accepted[-1] if accepted else None


# --- the day -------------------------------------------------------------------------


def day_history(
    store: Store,
    day: date,
    as_of: datetime,
    units: list[str],
    counted_from: date | None = None,
    metrics: list[str] | None = None,
) -> tuple[list[Submission], ledger.History]:
    """The day's submissions, and the history its ledger needs: those, and what counted before.

    Before `day` only what counts is read (Store.counted_between from `counted_from`,
    of `metrics` only, and each unit's latest counted figures before that): all a
    ledger needs for each unit's change and carried figure, and a trend for its sums,
    without decoding the earlier rows whole.
    """
    first = counted_from or day
    of_day = [s for s in store.submissions_between(day, day) if s.received_at <= as_of]
    counted = store.latest_accepted_before(first, received_by=as_of, units=units)
    if first < day:
        counted += store.counted_between(first, day - timedelta(days=1), received_by=as_of, metrics=metrics)
    return of_day, ledger.History.of(of_day, as_of, counted)


def _unit_ids(settings: Settings) -> list[str]:
    return [unit.id for unit in settings.units]


def day_ledger(settings: Settings, store: Store, day: date, as_of: datetime) -> DayLedger:
    """The ledger of `day`'s report: that day's, or for a campaign with one report, that report.

    Built with the cycle collector paused, as a report is (mailbot/memory.py says why)."""
    with collector_paused():
        return _built_ledger(settings, store, settings.campaign.period_of(day), as_of)


def _built_ledger(settings: Settings, store: Store, period: date, as_of: datetime) -> DayLedger:
    of_day, history = day_history(store, period, as_of, _unit_ids(settings))
    return ledger.build_day(settings, period, of_day, as_of, history=history)


def local_today(settings: Settings, now: datetime) -> date:
    return now.astimezone(settings.campaign.tz).date()


def send_reminders(settings: Settings, store: Store, day: date, now: datetime) -> list[str]:
    """Queue one reminder per expected unit with nothing counted yet; returns their ids."""
    if not settings.campaign.reminds_on(day):
        return []
    day_state = day_ledger(settings, store, day, now)
    if not day_state.reporting_day:
        return []
    waiting = [u for u in day_state.units if u.state in (State.MISSING, State.REJECTED)]
    from mailbot import compose

    mails = [
        compose.reminder(
            settings, settings.known_unit(u.unit), day, now, rejected=_last_rejected(store, u.unit, day, now)
        )
        for u in waiting
    ]
    store.queue(mails)
    log.info("reminders queued for %s unit(s) for %s", len(mails), day)
    return [u.unit for u in waiting]


def _last_rejected(store: Store, unit_id: str, day: date, now: datetime) -> Submission | None:
    """The unit's latest rejected mail for the day, so the reminder says which mail and why."""
    subs = [s for s in store.submissions_of_unit(unit_id, day, day) if s.received_at <= now]
    rejected = [s for s in subs if s.status == REJECTED]
    return rejected[-1] if rejected and len(rejected) == len(subs) else None


# --- the report ----------------------------------------------------------------------


def build_report(settings: Settings, store: Store, day: date, now: datetime, update: bool = False) -> RenderedReport:
    """The day's report; built with the cycle collector paused (mailbot/memory.py says why)."""
    with collector_paused():
        return _built_report(settings, store, settings.campaign.period_of(day), now, update)[0]


def _built_report(
    settings: Settings, store: Store, day: date, now: datetime, update: bool
) -> tuple[RenderedReport, DayLedger]:
    """build_report's work, and the ledger it was built from; what it read is freed when it returns,
    before the collector runs again."""
    from mailbot import report

    day_state, trend, of_day = _report_inputs(settings, store, day, now)
    return report.render(settings, day_state, trend(), of_day, update=update), day_state


def _report_inputs(
    settings: Settings, store: Store, day: date, now: datetime
) -> tuple[DayLedger, Callable[[], list], list[Submission]]:
    """The report's ledger, its trend (computed when called: only the chart shows it) and the day's submissions."""
    first = day - timedelta(days=TREND_DAYS - 1)
    metrics = [m.id for m in settings.campaign.metrics]
    of_day, history = day_history(store, day, now, _unit_ids(settings), first, metrics)  # the day and the trend
    day_state = ledger.build_day(settings, day, of_day, now, history=history)
    return day_state, lambda: ledger.province_trend(settings, first, day, of_day, now, history=history), of_day


def _day_inputs(settings: Settings, store: Store, day: date, now: datetime) -> tuple[DayLedger, list[Submission]]:
    """The report's ledger and the day's submissions, without the trend's earlier days: the HTML and
    the workbook show the ledger alone, which each unit's last counted day gives as the trend's days do."""
    of_day, history = day_history(store, day, now, _unit_ids(settings))
    return ledger.build_day(settings, day, of_day, now, history=history), of_day


def report_html(settings: Settings, store: Store, day: date, now: datetime) -> str:
    """build_report's HTML, without the rest of the report (the console shows each part apart)."""
    from mailbot import report

    with collector_paused():
        day_state, _ = _day_inputs(settings, store, settings.campaign.period_of(day), now)
        return report.render_html(settings, day_state)


def report_chart(settings: Settings, store: Store, day: date, now: datetime) -> bytes:
    """build_report's chart, without the rest of the report."""
    from mailbot import report

    with collector_paused():
        day_state, trend, _ = _report_inputs(settings, store, settings.campaign.period_of(day), now)
        return report.chart_png(settings, day_state, trend())


def report_workbook(settings: Settings, store: Store, day: date, now: datetime) -> bytes:
    """build_report's workbook, without the rest of the report."""
    from mailbot import report

    with collector_paused():
        day_state, of_day = _day_inputs(settings, store, settings.campaign.period_of(day), now)
        return report.render_workbook(settings, day_state, of_day)


def write_report(settings: Settings, store: Store, day: date, now: datetime, out_dir: Path) -> list[Path]:
    from mailbot import report

    return report.write_files(build_report(settings, store, day, now), out_dir)


def send_report(settings: Settings, store: Store, day: date, now: datetime) -> OutboundMail:
    """Queue the day's consolidated report, or an update if one was already sent."""
    from mailbot import compose

    day = settings.campaign.period_of(day)
    version = int(store.get_state(settings.scoped(f"report:{day}:version")) or 0) + 1
    with collector_paused():  # as build_report; the fingerprint is of the ledger the report was built from
        rendered, day_state = _built_report(settings, store, day, now, update=version > 1)
    mail = compose.report_mail(settings, rendered, settings.report_recipients, version)
    state = {
        settings.scoped(f"report:{day}:version"): str(version),
        settings.scoped(f"report:{day}:fingerprint"): ledger_fingerprint(day_state),
    }
    store.queue([mail], state=state)
    log.info("report for %s queued (version %s) to %s", day, version, ", ".join(mail.recipients))
    return mail


def send_updates_everywhere(settings: Settings, store: Store, now: datetime) -> list[date]:
    """send_updates for every campaign of the deployment (a poll or a decision may change any of them)."""
    return [day for campaign in settings.deployment for day in send_updates(campaign, store, now)]


def send_updates(settings: Settings, store: Store, now: datetime) -> list[date]:
    """Queue an updated report for each reported day whose counted figures changed."""
    if not settings.schedule.send_updates:
        return []
    today = local_today(settings, now)
    updated = []
    for offset in range(UPDATE_WATCH_DAYS):
        day = today - timedelta(days=offset)
        sent = store.get_state(settings.scoped(f"report:{day}:fingerprint"))
        if sent is None:
            continue
        if day_fingerprint(settings, store, day, now) != sent:
            send_report(settings, store, day, now)
            updated.append(day)
    return updated


def ledger_fingerprint(day_state: DayLedger) -> str:
    """A digest of what the report states: each unit's state and counted figures."""
    return _digest([(u.unit, u.state, u.figures) for u in day_state.units])


def day_fingerprint(settings: Settings, store: Store, day: date, as_of: datetime) -> str:
    """ledger_fingerprint of `day`'s ledger, from the day's submissions alone.

    What it digests depends on nothing before the day, so send_updates compares without
    reading earlier days or building the ledger: the report it sends builds it, once."""
    period = settings.campaign.period_of(day)
    of_day = [s for s in store.submissions_between(period, period) if s.received_at <= as_of]
    return _digest(ledger.day_states(settings, period, of_day, as_of))


def _digest(lines: list[tuple[str, str, Mapping[str, int]]]) -> str:
    shown = [(unit, state, sorted(figures.items())) for unit, state, figures in lines]
    return hashlib.sha256(json.dumps(shown, sort_keys=True).encode()).hexdigest()


# --- review --------------------------------------------------------------------------


def review_notices(settings: Settings, before: Submission, decision: ReviewDecision) -> list[OutboundMail]:
    """The mail a review decision implies for the sender."""
    from mailbot import compose, replies

    if replies.notice_refusal(settings, before.sender, before.problems):
        return []
    notice = compose.review_notice(settings, before, decision)
    return [notice] if notice else []


def after_review(settings: Settings, store: Store, now: datetime) -> None:
    """A decision may change a reported day: send the update, then the notices."""
    send_updates_everywhere(settings, store, now)
    try:
        deliver(settings, store, now)
    except DeliveryError as exc:  # the notices stay queued; the service sends them later
        log.warning("review notices queued but not sent yet: %s", exc)


# --- delivery ------------------------------------------------------------------------


def deliver(settings: Settings, store: Store, now: datetime) -> outbox.DeliveryResult | None:
    """Hand queued mail to the transport; one deliverer at a time."""
    with store.lock(DELIVERY_LOCK) as taken:
        if not taken:
            return None
        return outbox.deliver_as_lock_holder(store, settings, now)


def poll_mailboxes(settings: Settings, store: Store, now: datetime, lane: DeliveryLane | None = None) -> PollResult:
    """poll_once for every mailbox of the deployment (config/mailboxes.py), in configuration order, as one result."""
    results = [poll_once(mailbox, store, now, lane=lane) for mailbox in settings.mailboxes]
    if len(results) == 1:
        return results[0]
    joined = PollResult(", ".join(r.source for r in results))
    for result in results:
        joined.join(result)
    return joined


def run_cycle(settings: Settings, store: Store, now: datetime, source: Source | None = None) -> PollResult:
    """One poll of the mailbox of `settings` with everything that follows it: updates and delivery,
    the delivery beside the poll (mailbot.lane)."""
    try:
        with DeliveryLane(settings, store, now) as lane:
            result = poll_once(settings, store, now, source=source, lane=lane)
            send_updates_everywhere(settings, store, now)
    except DeliveryError as exc:  # the mail stays queued; polling goes on
        log.error("outgoing mail waits: %s", exc)
    return result
