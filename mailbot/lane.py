"""The delivery lane: the outbox delivered beside a poll, not after it.

While a poll reads and stores its batches, a thread of its own holds the delivery
lock, claims what the store has committed and sends it over the SMTP connections
kept open for the whole poll; the poll wakes it after each batch it commits, and
mail that arrived during the poll (`first`) is claimed before the rest of the
queue. When the poll is over, `finish` sends what is still due and ends the lane,
so what the poll and its report updates queued goes out as it did after the poll.

The outbox's guarantees are the ones of mailbot.outbox: mail is claimed under the
delivery lock (a lease in the store), confirmed, retried or held row by row, and a
lane that stops in the middle (the process killed) leaves its mail `sending`, sent
again by the next lock holder. The lane touches the store through connections of
its own (the engine's pool gives each thread its own).
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import datetime
from types import TracebackType

from mailbot import outbox
from mailbot.clock import utcnow
from mailbot.config import Settings
from mailbot.errors import MailbotError
from mailbot.outbox import BATCH_SIZE, DeliveryResult, Transport
from mailbot.store import Store

log = logging.getLogger(__name__)

DELIVERY_LOCK = "deliver"
LOCK_WAIT_SECONDS = 600.0  # as long as Store.lock waits for a lock by default
LOCK_RETRY_SECONDS = 0.2


class DeliveryLane:
    """`with DeliveryLane(settings, store, now) as lane:` a poll; `lane.wake()` after each commit.

    After the block, `result` is what was delivered (None: another process holds the
    delivery lock and delivers). A server out of reach ends the lane: the mail it had
    claimed waits for its retry, the rest stays queued, and leaving the block raises
    that DeliveryError (unless the block itself raised), as a delivery after the poll
    would have raised it; so does any other failure of the lane (a store lost).
    """

    def __init__(self, settings: Settings, store: Store, now: datetime) -> None:
        self.settings = settings
        self.store = store
        self.now = now
        self.result: DeliveryResult | None = None
        self.error: Exception | None = None
        self._wake = threading.Event()
        self._done = threading.Event()  # the poll is over: send what is due, then end
        self._stop = threading.Event()  # the poll failed: end after the mail in hand
        self._first: list[str] = []
        self._guard = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="delivery-lane", daemon=True)

    def __enter__(self) -> DeliveryLane:
        self._thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        (self._done if kind is None else self._stop).set()
        self._wake.set()
        self._thread.join()
        if kind is None and self.error is not None:
            raise self.error

    def wake(self) -> None:
        """The store has committed mail to send."""
        self._wake.set()

    def first(self, keys: list[str]) -> None:
        """Send the queued mail of these keys before the rest of the queue (mail that just arrived)."""
        with self._guard:
            self._first.extend(keys)
        self._wake.set()

    # -- the thread ---------------------------------------------------------------------------

    def _run(self) -> None:
        try:
            self._under_lock()
        except MailbotError as exc:  # a server or store out of reach: said once, by the poll, after it
            self.error = exc
        except Exception as exc:  # the poll goes on; the mail waits in the outbox for the next delivery
            log.exception("the delivery lane stopped; queued mail waits for the next delivery")
            self.error = exc

    def _under_lock(self) -> None:
        """Deliver once the delivery lock is taken; wait for it as long as service.deliver would, or until stopped."""
        deadline = time.monotonic() + LOCK_WAIT_SECONDS
        while not self._stop.is_set():
            with self.store.lock(DELIVERY_LOCK, wait=False) as taken:
                if taken:
                    self._serve()
                    return
            if time.monotonic() > deadline:
                return
            self._stop.wait(LOCK_RETRY_SECONDS)

    def _serve(self) -> None:
        self.result = DeliveryResult()
        outbox.release_left_sending(self.store)
        transport = outbox.open_transport(self.settings)
        try:
            self._deliver(transport, self.result)
        finally:
            transport.close()
            outbox.log_result(transport, self.result)

    def _deliver(self, transport: Transport, result: DeliveryResult) -> None:
        while not self._stop.is_set():
            self._wake.clear()
            was_done = self._done.is_set()  # what was committed before the poll ended is claimed below
            moment = max(self.now, utcnow())
            batch = self._claim(moment)
            if batch:
                outbox.deliver_batch(self.store, transport, batch, moment, result, self._more)
            elif was_done:
                return
            else:
                self._wake.wait()

    def _claim(self, moment: datetime) -> list:
        return self._claim_first(moment) or self.store.claim_due(moment, BATCH_SIZE)

    def _more(self) -> list:
        """The next batch, claimed while the last mail of this one is on its way (none once stopped)."""
        return [] if self._stop.is_set() else self._claim(max(self.now, utcnow()))

    def _claim_first(self, moment: datetime) -> list:
        with self._guard:
            keys, self._first = self._first, []
        return self.store.claim_keys(keys, moment) if keys else []
