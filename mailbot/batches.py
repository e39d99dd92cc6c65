"""A batch of messages stored in one transaction, with the mailbox mark written last.

The batch's messages are marked as being worked on (one commit), then read several
at once: the batch is cut into one part per reading worker (`[limits] workers`, by
default one per core), and a reading thread hands each part's whole messages to its
worker process at once (mailbot.reading.whole: taking each apart, routing, body,
files), which answers message by message without waiting for the thread in between;
a message whose worker crashed or hit a limit is read again here, each file in a
worker of its own, so that the file at fault is named (the messages after it in its
part go to a fresh worker). What was read is checked, answered and stored in the
batch's order. The history checks
of the whole batch come from one query, with the batch's own readings added in
memory, so a correction later in the same batch replaces the report before it as
if each had been stored alone; the answers queued during the poll are counted in
memory too (the reply policy asks the store once per address and poll).

Then everything the batch produced (messages, submissions, acknowledgements, the
end of each attempt, and the mailbox mark last) is committed at once: a crash or a
failing store leaves all of it undone, the mark where it was, and the next poll
stores each report once.

A message found marked by an earlier attempt (the process died while working on
it or on another message of its batch) is worked on alone, after what was read
before it is stored: a message that kills the process never takes the others of
its batch with it. The messages read at the same time are marked together, with no
attempt of their own counted: any of them may have been the cause, and each one's
attempts are counted once it is worked on alone (service.MAX_ATTEMPTS). If the batch cannot be stored at once for any reason other than
the store itself, its messages are stored one by one as before.
"""

from __future__ import annotations

import logging
import math
from collections import Counter, defaultdict, deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from mailbot import workers
from mailbot.clock import utcnow
from mailbot.config import Settings
from mailbot.defaults import EARLIER_SUBMISSIONS_DAYS
from mailbot.errors import SpreadsheetError, StoreError
from mailbot.models import InboundMessage, MailKind, OutboundMail, Reading, SourceMark, Submission
from mailbot.store import Store, sha256_of

if TYPE_CHECKING:
    from mailbot import routing

    Whole = routing.Routed | SpreadsheetError  # what a reading worker made of a whole message

log = logging.getLogger(__name__)

PART_BYTES = 8 * 1024 * 1024  # the most mail handed to a reading worker at once (unless one message is bigger)
AHEAD = 2  # batches marked and being read while one is stored: the workers never wait for the next one
KNOWN_MOST = 5_000  # stored submissions a poll keeps read (about 0.5 KB each: 2.5 MB)
MEMORY_ID = 10**15  # ids of the batch's own readings, not stored yet: after every stored one


@dataclass
class Answers:
    """The reply policy's count of answers per address: asked of the store once per poll, then kept here.

    The first question reads the count of every address over the window at once (one
    query, however many senders the poll meets). `pending` are the answers prepared
    and not committed yet, which the store cannot see; an address asked about for the
    first time counts them too.
    """

    store: Store
    counted: dict[str, dict[datetime, int]] = field(default_factory=dict)  # address -> since -> count
    pending: Counter[str] = field(default_factory=Counter)
    window: tuple[datetime, Counter[str]] | None = None  # every address's count since then, as stored

    def replies_since(self, address: str, since: datetime) -> int:
        wanted = address.strip().lower()
        of_address = self.counted.setdefault(wanted, {})
        if since not in of_address:
            if self.window is None or self.window[0] != since:
                self.window = (since, self.store.answers_since(since))
            of_address[since] = self.window[1][wanted] + self.pending[wanted]
        return of_address[since]

    def queued(self, mails: list[OutboundMail]) -> None:
        for mail in mails:
            if mail.kind != MailKind.ACK:
                continue
            for to in {r.strip().lower() for r in mail.recipients}:
                self.pending[to] += 1
                for since in self.counted.get(to, {}):
                    self.counted[to][since] += 1

    def committed(self) -> None:
        self.pending.clear()

    def forget(self) -> None:
        """After anything stored outside the batch: ask the store again."""
        self.counted.clear()
        self.pending.clear()
        self.window = None


@dataclass(frozen=True)
class Read:
    message: InboundMessage
    digest: str
    reading: Reading
    failed: bool = False  # the reading is the rejected one of a message that could not be processed
    settings: Settings | None = None  # the campaign it was routed to (routing.py); None: the deployment's first


@dataclass(frozen=True)
class Prepared:
    message: InboundMessage
    digest: str
    reading: Reading
    outgoing: list[OutboundMail]


@dataclass
class Known:
    """The stored submissions a poll has read already, as the history checks see them (rows.history_of: no
    problems, sources or subject), kept for its next batches.

    Each batch still asks the store which submissions its units have (their ids, from
    the index alone), so that what anyone stored meanwhile is seen; only the rows not
    read before are read whole. A review decision changes a stored row: when the
    store holds more decisions than when the rows were read, they are read again. At
    most KNOWN_MOST are kept, so that a long backlog does not grow the poll's memory.
    """

    store: Store
    by_id: dict[int, Submission] = field(default_factory=dict)
    decisions: int | None = None

    def submissions_of_units(self, units: list[str], first: date, last: date) -> list[Submission]:
        """What Store.submissions_of_units answers now, in arrival order, as the history checks see it."""
        decisions = self.store.decisions_made()
        if decisions != self.decisions:
            self.by_id.clear()
            self.decisions = decisions
        ids = self.store.submission_ids_of_units(units, first, last)
        missing = [i for i in ids if i not in self.by_id]
        if missing:
            self.by_id.update((sub.id, sub) for sub in self.store.history_with_ids(missing))
            while len(self.by_id) > KNOWN_MOST:  # the ones read first go first
                del self.by_id[next(iter(self.by_id))]
        found = [self.by_id[i] for i in ids if i in self.by_id]
        found += self.store.history_with_ids([i for i in ids if i not in self.by_id])  # more than it keeps
        return sorted(found, key=lambda s: (s.received_at, s.id))


class BatchHistory:
    """The stored submissions of the batch's units over the days its checks look at, plus the batch's own."""

    def __init__(self, known: Known, readings: list[Reading]) -> None:
        wanted = [(r.unit, r.period) for r in readings if r.unit and r.period]
        self.by_unit: dict[str, list[Submission]] = defaultdict(list)
        if wanted:
            first = min(period for _, period in wanted) - timedelta(days=EARLIER_SUBMISSIONS_DAYS)
            last = max(period for _, period in wanted)
            for sub in known.submissions_of_units(sorted({unit for unit, _ in wanted}), first, last):
                if sub.unit is not None:
                    self.by_unit[sub.unit].append(sub)
        self.added = 0

    def of(self, reading: Reading) -> list[Submission]:
        """What Store.submissions_of_unit would answer for this reading, had the batch been stored."""
        if not reading.unit or not reading.period:
            return []
        first = reading.period - timedelta(days=EARLIER_SUBMISSIONS_DAYS)
        return [s for s in self.by_unit.get(reading.unit, ()) if s.period and first <= s.period <= reading.period]

    def add(self, reading: Reading, message: InboundMessage) -> None:
        if not reading.unit or not reading.period:
            return
        self.added += 1
        sub = Submission(
            id=MEMORY_ID + self.added,
            message_row=0,
            unit=reading.unit,
            period=reading.period,
            received_at=reading.received_at or message.received_at or utcnow(),
            sender=reading.sender,
            figures=dict(reading.figures),
            status=reading.status,
            problems=reading.problems,
            read_figures=dict(reading.figures),
            subject=reading.subject,
            message_id=reading.message_id,
            sources=dict(reading.sources),
        )
        subs = self.by_unit[reading.unit]
        subs.append(sub)
        subs.sort(key=lambda s: (s.received_at, s.id))


def ingest_batch(
    settings: Settings,
    store: Store,
    batch: list[InboundMessage],
    now: datetime,
    answers: Answers,
    known: Known | None = None,
) -> list[tuple[Reading, bool]]:
    """Store a batch; (reading, stored) per message, in the batch's order (`known`: the poll's, kept across batches)."""
    from mailbot import service

    known = known or Known(store)
    outcomes: list[tuple[Reading, bool]] = []
    ahead = batch if isinstance(batch, Begun) else None
    digests = ahead.digests if ahead else [sha256_of(message.raw) for message in batch]
    start = 0
    while start < len(batch):
        begun = ahead is not None and start == 0 and ahead.end > 0  # marked and being read already
        end = ahead.end if ahead is not None and begun else _first_run(store, digests, start)
        if end == start:  # it was being worked on when the process died: alone, after the others
            message, digest = batch[start], digests[start]
            outcomes.append(service.ingest_marked(settings, store, message, now, digest, store.begin_attempt(digest)))
            answers.forget()
            start += 1
            continue
        run = list(zip(batch[start:end], digests[start:end], strict=True))
        if not begun:
            store.begin_together(digests[start:end])
        try:
            if ahead is not None and begun:
                load_what_answering_needs(settings)  # while the workers read: the first batch waits on them
                group = ahead.read()
            else:
                group = read_all(settings, run)
            outcomes += store_group(settings, store, group, now, answers, known)
        except BaseException:
            _end_attempts(store, digests[start:end])
            raise
        start = end
    return outcomes


def load_what_answering_needs(settings: Settings) -> None:
    """Load what composing an answer needs (compose and the report helpers it uses, the answers' templates),
    as the first answer of a poll would: called while the workers read the first batch, that batch is stored
    without waiting for the load; later calls find everything loaded."""
    from mailbot import compose

    compose.load_templates(settings)


class Begun(list[InboundMessage]):
    """A batch whose first run of unmarked messages (up to `end`) is marked and being read already (read_ahead)."""

    def __init__(self, messages: list[InboundMessage], digests: list[str], end: int, reads: list[Future[list[Read]]]):
        super().__init__(messages)
        self.digests = digests
        self.end = end
        self.reads = reads

    @property
    def whole(self) -> bool:
        """The whole batch is one run: no message of it is worked on alone."""
        return self.end == len(self)

    def read(self) -> list[Read]:
        return [read for future in self.reads for read in future.result()]


def read_ahead(settings: Settings, store: Store, batches: Iterable[list[InboundMessage]]) -> Iterator[Begun]:
    """The source's batches, the next AHEAD ones marked and read in the reading workers while one is stored.

    Each batch is fetched, its first run marked (as ingest_batch marks it) and its reading
    begun before the batch before it is handed on, so that the workers always have the
    next batch to read while the poll stores one. After a batch with a message worked on
    alone, the next one is begun only once that batch is done. A batch begun and never
    handed on (the caller stopped) has its marks ended: none of it was stored. Where the
    next batch cannot be fetched, the batches begun before it are handed on first, then
    the error.
    """
    pool = ThreadPoolExecutor(readers(settings), thread_name_prefix="reader")
    ahead = _Ahead(settings, store, pool, iter(batches))
    try:
        yield from ahead.handed_on()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        for begun in ahead.pending:
            _end_attempts(store, begun.digests[: begun.end])


@dataclass
class _Ahead:
    """The batches begun and not handed on yet, oldest first."""

    settings: Settings
    store: Store
    pool: ThreadPoolExecutor
    source: Iterator[list[InboundMessage]]
    pending: deque[Begun] = field(default_factory=deque)
    exhausted: bool = False

    def handed_on(self) -> Iterator[Begun]:
        failure: Exception | None = None
        while True:
            if failure is None:
                try:
                    self._top_up()
                except Exception as exc:
                    if not self.pending:
                        raise
                    failure = exc  # fetching or marking a batch failed: the ones begun before it are stored first
            if not self.pending:
                break
            yield self.pending.popleft()
        if failure is not None:
            raise failure

    def _top_up(self) -> None:
        """Begin batches until the next one handed on has AHEAD begun after it, none after one that is not whole."""
        while not self.exhausted and len(self.pending) <= AHEAD and (not self.pending or self.pending[-1].whole):
            begun = _begin(self.settings, self.store, self.pool, next(self.source, None))
            if begun is None:
                self.exhausted = True
            else:
                self.pending.append(begun)


def _begin(
    settings: Settings, store: Store, pool: ThreadPoolExecutor, batch: list[InboundMessage] | None
) -> Begun | None:
    if batch is None:
        return None
    digests = [sha256_of(message.raw) for message in batch]
    end = _first_run(store, digests, 0)
    if end:
        store.begin_together(digests[:end])
    run = list(zip(batch[:end], digests[:end], strict=True))
    # Loaded here, before the reader threads start on it: loaded by them while this thread loads what answering
    # needs (load_what_answering_needs, which reaches the reading package too), its modules that import each other
    # would be met half loaded.
    from mailbot.reading import whole  # noqa: F401  (imported with the first message: a poll with none starts faster)

    return Begun(batch, digests, end, [pool.submit(_read_part, settings, part) for part in parts(settings, run)])


def _first_run(store: Store, digests: list[str], start: int) -> int:
    """The end of the run of messages from `start` that no earlier attempt marks (each digest once)."""
    end, seen = start, set()
    for digest, marked in zip(digests[start:], store.marked(digests[start:]), strict=True):
        if marked or digest in seen:
            break
        seen.add(digest)
        end += 1
    return end


def readers(settings: Settings) -> int:
    """How many messages are read at once: one per reading worker."""
    return workers.pool_size(settings.limits)


def parts(settings: Settings, run: list[tuple[InboundMessage, str]]) -> list[list[tuple[InboundMessage, str]]]:
    """The run cut into consecutive parts, one per reading worker, each handed to its worker at once.

    A part holds at most PART_BYTES of mail, unless one message alone is bigger.
    """
    size = math.ceil(len(run) / readers(settings)) if run else 0
    cut: list[list[tuple[InboundMessage, str]]] = []
    held = 0
    for item in run:
        if not cut or len(cut[-1]) >= size or held + len(item[0].raw) > PART_BYTES:
            cut.append([])
            held = 0
        cut[-1].append(item)
        held += len(item[0].raw)
    return cut


def read_all(settings: Settings, messages: list[tuple[InboundMessage, str]]) -> list[Read]:
    """Each message read, several at once (a part per reading worker), in the order given."""
    cut = parts(settings, messages)
    if len(cut) <= 1:
        return [read for part in cut for read in _read_part(settings, part)]
    with ThreadPoolExecutor(len(cut), thread_name_prefix="reader") as pool:
        return [read for reads in pool.map(lambda part: _read_part(settings, part), cut) for read in reads]


def _read_part(settings: Settings, part: list[tuple[InboundMessage, str]]) -> list[Read]:
    """The part's messages handed to one reading worker at once; each read as `_read` reads it alone."""
    for message, _ in part:
        workers.die_if_asked(message.raw)  # tests: the process dies while working on the message
        workers.pause_if_asked(message.raw)  # tests: the ingest waits while the test acts
    from mailbot.reading import whole  # imported with the first message: a poll with none starts faster

    try:
        outcomes = whole.read_whole_each(settings, [message for message, _ in part])
    except (KeyboardInterrupt, SystemExit, StoreError):
        raise
    except BaseException:  # handing the part over failed: each message is read on its own
        log.exception("%s message(s) could not be read together; reading them one by one", len(part))
        return [_read(settings, message, digest) for message, digest in part]
    return [_read(settings, message, digest, read) for (message, digest), read in zip(part, outcomes, strict=True)]


def _read(settings: Settings, message: InboundMessage, digest: str, read: Whole | None = None) -> Read:
    """The message's Read; `read` is its worker's outcome when the message was read with others already."""
    from mailbot import service

    try:
        if read is None:
            workers.die_if_asked(message.raw)
            workers.pause_if_asked(message.raw)
        routed, failed = _routed(settings, message, read)
        return Read(message, digest, routed.reading, failed=failed, settings=None if failed else routed.settings)
    except (KeyboardInterrupt, SystemExit, StoreError):
        raise
    except BaseException:  # any failure with one message is that message's problem (a panic is a BaseException)
        log.exception("message %s from %s could not be processed; stored as rejected", message.key, message.source)
        return Read(message, digest, service.failed_reading(settings, message, "internal"), failed=True)


def read_routed(settings: Settings, message: InboundMessage) -> routing.Routed:
    """The message routed to its campaign and read: in a reading worker, file by file if that worker failed.

    The reading of a message that cannot even be taken apart safely is the rejected one (`failed_reading`).
    """
    return _routed(settings, message)[0]


def _routed(settings: Settings, message: InboundMessage, read: Whole | None = None) -> tuple[routing.Routed, bool]:
    from mailbot import routing, service
    from mailbot.reading import whole  # imported with the first message: a poll with none starts faster

    if read is None:
        try:
            read = whole.read_whole(settings, message)
        except SpreadsheetError as exc:
            read = exc
    if isinstance(read, routing.Routed):
        return read, False
    # a crash or a limit: which file caused it, if one did, is told file by file
    log.warning("reading message %s stopped its worker (%s); it is read again file by file", message.key, read)
    if not whole.parses_safely(settings, message):
        log.error("message %s from %s cannot be taken apart safely; stored unread", message.key, message.source)
        return routing.Routed(settings, service.failed_reading(settings, message, "unparsable")), True
    from mailbot.reading import arrived  # the readers, loaded here only for a message read file by file

    return routing.route(settings, message.raw, lambda campaign: arrived.read_arrived(campaign, message)), False


def store_group(
    settings: Settings, store: Store, group: list[Read], now: datetime, answers: Answers, known: Known | None = None
) -> list[tuple[Reading, bool]]:
    """Check, answer and store the messages read, in one transaction; one by one if that fails."""
    from mailbot import service

    if not group:
        return []
    history = BatchHistory(known or Known(store), [item.reading for item in group if not item.failed])
    prepared = [_prepare(settings, item, history, now, answers) for item in group]
    try:
        results = store.ingest_many(
            [(p.message, p.reading, p.outgoing) for p in prepared], group[0].message.source, _mark_of(group)
        )
    except StoreError:  # a full disk or a lost database: the work stops, undone
        raise
    except Exception:
        log.exception("a batch of %s message(s) could not be stored at once; storing them one by one", len(group))
        answers.forget()
        return [
            service.store_prepared(settings, store, p.message, p.reading, p.outgoing, now, p.digest) for p in prepared
        ]
    answers.committed()
    for p, result in zip(prepared, results, strict=True):
        service.log_stored(p.message, p.reading, result.duplicate)
    return [(p.reading, not result.duplicate) for p, result in zip(prepared, results, strict=True)]


def _prepare(settings: Settings, item: Read, history: BatchHistory, now: datetime, answers: Answers) -> Prepared:
    from mailbot import compose, replies, service  # imported with the first message: a poll with none starts faster

    reading, failed = item.reading, item.failed
    settings = item.settings or settings.campaign_of_unit(reading.unit) or settings
    outgoing: list[OutboundMail] = []
    if not failed:
        try:
            earlier = history.of(reading)
            reading = service.with_history_problems(settings, reading, earlier)
            replaced = service.counted_submission(earlier, reading.period)
            if replies.may_answer(settings, reading, answers, now):
                ack = compose.acknowledgement(settings, reading, replaced=replaced, now=now, key_basis=item.digest)
                outgoing = [ack] if ack else []
        except (KeyboardInterrupt, SystemExit, StoreError):
            raise
        except BaseException:
            log.exception("message %s could not be processed; stored as rejected", item.message.key)
            reading, failed = service.failed_reading(settings, item.message, "internal"), True
    if failed:
        outgoing = service.failed_answer(settings, reading, answers, now, item.digest, item.message)
    answers.queued(outgoing)
    history.add(reading, item.message)
    return Prepared(item.message, item.digest, reading, outgoing)


def _mark_of(group: list[Read]) -> SourceMark | None:
    """The mark after the group's last message with a UID (messages come in UID order)."""
    with_uid = [item.message for item in group if item.message.uid is not None]
    if not with_uid:
        return None
    last = with_uid[-1]
    return SourceMark(last.uidvalidity, last.uid)  # type: ignore[arg-type]


def _end_attempts(store: Store, digests: list[str]) -> None:
    for digest in digests:
        try:
            store.end_attempt(digest)
        except StoreError:  # the store is what failed: the marks stay, and the next poll tries again
            return
