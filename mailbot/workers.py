"""Untrusted bytes are read in worker processes, under memory and CPU-time limits.

    run(reader, *args, limits=limits, context=None) -> what the reader returns

`reader` names a function as "package.module:function"; it is imported and
called in a worker process with `args` (plain, picklable values: bytes, names,
settings records) and must return plain records (tables, readings). A `context`
(the deployment's settings) is handed to each worker once and kept there: the
reader gets it as its first argument, and only `args` cross per call. Called in
a worker (a reader that reads the files of a message it reads), `run` calls the
reader there, under that worker's limits. Whatever happens in there stays there:

- the reader refuses the input (a SpreadsheetError with a problem code): that
  refusal is raised again here, unchanged;
- it runs out of memory (the address-space limit, `[limits] worker_memory_mb`):
  file_too_large, reason "memory";
- it runs out of time (the CPU-time limit, or the wall-clock limit of three times
  `[limits] read_timeout_seconds` when it waits on nothing): file_too_large,
  reason "slow";
- it raises anything else, a native panic included (pyo3's PanicException is a
  BaseException), or the process dies (a segfault, an abort): unreadable_file,
  reason "crashed".

    run_each(reader, items, limits=limits, context=None) -> [value or SpreadsheetError, ...]

`run_each` hands a worker several calls at once (`reader(*item)` for each item):
the worker answers each as soon as it is done, so it goes from one to the next
without waiting for the caller, and each call has the outcome `run` would give it
alone: its value, or the SpreadsheetError `run` would raise (returned, not raised),
under the same limits, counted per call. A call that stops its worker (a crash, a
limit) ends that worker's part there; the calls after it go to a fresh worker.

A worker that died or was stopped is replaced by a fresh one at the next read.
The pool holds up to `[limits] workers` processes (by default one per core), each
forked from the zygote, an interpreter that has imported the readers once
(mailbot.zygote; where the system cannot, a fresh interpreter, `python -m
mailbot.workers`), that lives on from one read to the next; only a crash or a
limit costs a new one. Workers run at a lower
scheduling priority than the service (NICENESS): when there is more to do than
cores, the service's own work (storing, answering) goes first.

For tests, MAILBOT_READER_FAULTS=1 in the environment of the caller lets an input
that starts with b"MAILBOT-FAULT:<kind>" cause that fault for real in the worker
(a message that starts so, where it is taken apart: `fault_if_asked`):
error, panic, segfault, abort, memory, cpu, hang, meet (see `_inject`; meet waits
until another reader is reading too, in the folder MAILBOT_FAULT_MEET names, then
fails as `error` does; alone it hangs); a message with
b"MAILBOT-FAULT:die" in its first 64 KiB kills the ingesting process itself, and one
with b"MAILBOT-FAULT:pause" makes it write `paused` in the folder MAILBOT_FAULT_PAUSE
names and wait there until the test writes `go` (see `pause_if_asked`).
"""

from __future__ import annotations

import ctypes
import functools
import importlib
import itertools
import logging
import math
import os
import pickle
import queue
import resource
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any  # what a reader returns comes back unpickled from its worker

from mailbot import zygote
from mailbot.config import Limits
from mailbot.errors import SpreadsheetError
from mailbot.models import FILE_TOO_LARGE, UNREADABLE_FILE

log = logging.getLogger(__name__)

FAULTS_VARIABLE = "MAILBOT_READER_FAULTS"
FAULT_PREFIX = b"MAILBOT-FAULT:"
MEET_VARIABLE = "MAILBOT_FAULT_MEET"
PAUSE_VARIABLE = "MAILBOT_FAULT_PAUSE"
PAUSE_LONGEST = 120.0  # seconds a paused ingest waits for its test at most
WALL_FACTOR = 3  # a reader waiting on nothing (no CPU used) is stopped after this many times the limit
MEMORY_SIGNALS = (signal.SIGKILL,)  # the kernel's out-of-memory killer
TIME_SIGNALS = (signal.SIGXCPU,)
NICENESS = 10  # a worker's scheduling priority below the service's own (see _serve)
STARTUP_SECONDS = 120.0  # a worker's start (interpreter, imports) is awaited at most this long
MAX_CONTEXTS = 4  # contexts a worker keeps (one per settings in use; tests make a few)
_serving = False  # True in a worker process


@dataclass(frozen=True)
class _Job:
    reader: str
    args: tuple
    cpu_seconds: int
    faults: bool
    context: int | None = None  # the key of the context handed to the worker before (_Context)


@dataclass(frozen=True)
class _Jobs:
    """Several jobs handed over at once; the worker answers each in turn."""

    jobs: tuple[_Job, ...]


@dataclass(frozen=True)
class _Context:
    """What a worker keeps for the jobs that name its key."""

    key: int
    value: object


class _OutOfMemory(BaseException):  # noqa: N818 - not an error of the reader: its worker's end
    """A reader called in a worker ran out of memory: the worker's whole job ends so, whoever catches Exception."""


@dataclass(frozen=True)
class _Refusal:
    """A SpreadsheetError as plain values, so it crosses the process boundary whole."""

    code: str
    reason: str
    message: str
    hint: str | None
    params: dict


def run(reader: str, *args: object, limits: Limits, context: object = None) -> Any:
    """`reader(*args)` (`reader(context, *args)` with a context) in a worker; a failure of any kind is a SheetError
    with a problem code."""
    cpu_seconds, faults = max(1, math.ceil(limits.read_timeout_seconds)), os.environ.get(FAULTS_VARIABLE) == "1"
    if _serving:
        return _run_here(_Job(reader, args, cpu_seconds, faults), context, limits)
    handed = _handed(context) if context is not None else None
    job = _Job(reader, args, cpu_seconds, faults, handed[0] if handed else None)
    return _pool(limits).run(job, limits, handed[1] if handed else None)


def run_each(reader: str, items: list[tuple], *, limits: Limits, context: object = None) -> list[Any]:
    """`reader(*item)` for each item, in order, in one worker where it can: each outcome is what the reader returned,
    or the SpreadsheetError `run` would raise for that item alone."""
    if _serving:
        return [_outcome_here(reader, item, limits, context) for item in items]
    cpu_seconds, faults = max(1, math.ceil(limits.read_timeout_seconds)), os.environ.get(FAULTS_VARIABLE) == "1"
    handed = _handed(context) if context is not None else None
    jobs = [_Job(reader, item, cpu_seconds, faults, handed[0] if handed else None) for item in items]
    outcomes = _pool(limits).run_each(jobs, limits, handed[1] if handed else None)
    return [value if kind == "ok" else _failure(kind, value, limits) for kind, value in outcomes]


def start_ahead(reader: str, *, limits: Limits) -> None:
    """Start the workers of the pool `reader` will use, and return at once.

    For a command that is about to read (a poll): their start (an interpreter and its imports each)
    then goes on beside the command's own (the store, the mailbox), and the first job finds them
    ready. A pool already full is left as it is.
    """
    if not _serving:
        _pool(limits).start_ahead(limits.worker_memory_mb * 1024 * 1024, reader.partition(":")[0])


def start_zygote() -> None:
    """For a command that is about to read mail (a poll, the service): the interpreter its workers are forked from
    (mailbot.zygote) starts now, and imports the readers beside the command's own start."""
    if not _serving:
        _zygote()


_the_zygote: list[zygote.Zygote] = []
_zygote_lock = threading.Lock()


def _zygote() -> zygote.Zygote | None:
    """The zygote of this process, started where there is none or it has gone; None where the system cannot fork
    workers so (then each is a fresh interpreter)."""
    if not zygote.available():
        return None
    with _zygote_lock:
        if not _the_zygote or not _the_zygote[0].alive():
            _the_zygote[:] = [zygote.Zygote()]
        return _the_zygote[0]


def _outcome_here(reader: str, item: tuple, limits: Limits, context: object) -> Any:
    try:
        return run(reader, *item, limits=limits, context=context)
    except SpreadsheetError as exc:
        return exc


_contexts: dict[int, tuple[object, int, bytes]] = {}  # id -> the context (held, so the id is not reused), key, pickle
_contexts_lock = threading.Lock()
_keys = itertools.count(1)


def _handed(context: object) -> tuple[int, bytes]:
    """The key of a context and its pickled _Context, made once per context (by identity)."""
    with _contexts_lock:
        known = _contexts.get(id(context))
        if known is None:
            key = next(_keys)
            known = (context, key, pickle.dumps(_Context(key, context), pickle.HIGHEST_PROTOCOL))
            while len(_contexts) >= MAX_CONTEXTS:
                _contexts.pop(next(iter(_contexts)))
            _contexts[id(context)] = known
        return known[1], known[2]


def _run_here(job: _Job, context: object, limits: Limits) -> Any:
    """A reader called inside a worker: in this process, with the outcomes a worker of its own would give."""
    _limit_cpu(job.cpu_seconds)
    kind, value = _call(job, context)
    if kind == "ok":
        return value
    if kind == "memory":
        raise _OutOfMemory
    raise _failure(kind, value, limits)


# --- the parent's side ---------------------------------------------------------------------


class _Worker:
    """One worker, spoken to over a socket: forked from the zygote where the system allows it (mailbot.zygote),
    else a fresh interpreter running this module, spoken to over its stdin and stdout."""

    def __init__(self, memory_bytes: int, preload: str) -> None:
        self.memory_bytes = memory_bytes
        self.served = 0  # jobs answered
        self.contexts: list[int] = []  # the keys of the contexts it holds, oldest first
        self.process: subprocess.Popen | zygote.ForkedProcess
        level = logging.getLogger().getEffectiveLevel()
        forking = _zygote()
        forked = self._forked(forking, memory_bytes, level, preload) if forking is not None else None
        self.process = forked or self._fresh(memory_bytes, level, preload)
        self.starting = True

    def _forked(
        self, forking: zygote.Zygote, memory_bytes: int, level: int, preload: str
    ) -> zygote.ForkedProcess | None:
        """A worker asked of the zygote; None where the zygote went just before (a fresh one takes over then)."""
        ours, theirs = socket.socketpair()
        try:
            process = forking.fork(theirs, memory_bytes, level, preload)
        except OSError:
            ours.close()
            return None
        finally:
            theirs.close()
        self.sender = Connection(os.dup(ours.fileno()), readable=False)
        self.receiver = Connection(ours.detach(), writable=False)
        return process

    def _fresh(self, memory_bytes: int, level: int, preload: str) -> subprocess.Popen:
        process = subprocess.Popen(
            [sys.executable, "-m", "mailbot.workers", str(memory_bytes), str(level), preload],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=zygote.child_environ(),
            close_fds=True,
        )
        stdin, stdout = process.stdin, process.stdout
        assert stdin is not None and stdout is not None  # both are pipes
        self.sender = Connection(os.dup(stdin.fileno()), readable=False)
        self.receiver = Connection(os.dup(stdout.fileno()), writable=False)
        stdin.close()
        stdout.close()
        return process

    def wait_until_ready(self) -> None:
        """The interpreter's start and the reader's imports are not counted in the first read's wall-clock limit.

        A worker that dies or stalls while starting is found by that read, as before.
        """
        if not self.starting:
            return
        self.starting = False
        try:
            if self.receiver.poll(STARTUP_SECONDS):
                self.receiver.recv()
        except (EOFError, OSError):
            pass

    def alive(self) -> bool:
        """Not known to have ended: no system call (a worker that died while idle is found at the next send)."""
        return self.process.returncode is None

    def stop(self) -> int | None:
        """Kill the process and wait for it; its exit code (negative: the signal)."""
        if self.process.poll() is None:
            self.process.kill()
        code = self.process.wait()
        self.sender.close()
        self.receiver.close()
        return code

    def finish(self) -> int | None:
        """Wait a moment for a process that is ending by itself; its exit code."""
        try:
            self.process.wait(5)
        except subprocess.TimeoutExpired:
            pass
        return self.stop()


class _Pool:
    def __init__(self, size: int) -> None:
        self.size = size
        self.idle: queue.LifoQueue[_Worker] = queue.LifoQueue()
        self.started = 0
        self.lock = threading.Lock()

    def run(self, job: _Job, limits: Limits, context: bytes | None = None) -> Any:
        kind, value = self.run_each([job], limits, context)[0]
        if kind == "ok":
            return value
        raise _failure(kind, value, limits)

    def run_each(self, jobs: list[_Job], limits: Limits, context: bytes | None = None) -> list[tuple[str, object]]:
        """The outcome of each job, in order: as many as a worker answers, the rest by a fresh worker.

        A worker that died while idle is replaced (up to the pool's size, for the jobs not started); a job
        whose worker died or was stopped while on it has that death for its outcome, and is not tried again.
        """
        outcomes: list[tuple[str, object]] = []
        replaced = 0
        while len(outcomes) < len(jobs):
            worker = self._take(limits.worker_memory_mb * 1024 * 1024, jobs[0].reader.partition(":")[0])
            answered: list[tuple[str, object]] = []
            try:
                answered = self._exchange(worker, jobs[len(outcomes) :], limits, context)
            finally:
                self._give_back(worker, _healthy(worker, answered))
            if answered and answered[-1][0] == "gone":
                replaced += 1
                if replaced <= self.size:
                    continue
                answered[-1] = ("crashed", "its worker ended before the read")
            outcomes += answered
        return outcomes

    def _exchange(
        self, worker: _Worker, jobs: list[_Job], limits: Limits, context: bytes | None
    ) -> list[tuple[str, object]]:
        """The jobs handed to `worker` at once, and its answers: one per job, or fewer when one stopped it."""
        first = jobs[0]
        try:
            if context is not None and first.context is not None and first.context not in worker.contexts:
                worker.sender.send_bytes(context)
                worker.contexts = [*worker.contexts, first.context][-MAX_CONTEXTS:]  # as the worker keeps them
            worker.sender.send(first if len(jobs) == 1 else _Jobs(tuple(jobs)))
        except BrokenPipeError:
            if worker.served:  # it died while idle, before these jobs: not their fault
                worker.stop()
                return [("gone", None)]
            return [_death(worker.finish())]
        answered: list[tuple[str, object]] = []
        for _ in jobs:
            outcome = self._answer(worker, limits)
            answered.append(outcome)
            if outcome[0] in ("memory", "slow", "crashed") and not worker.alive():
                break  # it stopped on this job; the jobs after it go to another worker
        return answered

    def _answer(self, worker: _Worker, limits: Limits) -> tuple[str, object]:
        """The worker's answer to the job it is on, waiting at most the wall-clock limit."""
        try:
            if not worker.receiver.poll(limits.read_timeout_seconds * WALL_FACTOR):
                log.warning("a reader took longer than %ss; its worker is stopped", limits.read_timeout_seconds)
                worker.stop()
                return "slow", None
            outcome: tuple[str, object] = worker.receiver.recv()
            worker.served += 1
            if outcome[0] == "memory":
                worker.finish()  # out of memory, it ends itself
            return outcome
        except (EOFError, OSError):
            code = worker.finish()
            return _death(code)

    def _take(self, memory_bytes: int, preload: str) -> _Worker:
        while True:
            try:
                worker = self.idle.get_nowait()
            except queue.Empty:
                if self._claim_place():
                    return self._start(memory_bytes, preload)
                worker = self.idle.get()
            if worker.alive() and worker.memory_bytes == memory_bytes:
                worker.wait_until_ready()  # one started ahead may still be starting
                return worker
            worker.stop()  # dead, or started under other limits: a fresh one takes its place
            with self.lock:
                self.started -= 1

    def _claim_place(self) -> bool:
        """A place for one more worker, if the pool is not full; taken at once, so that no one else takes it."""
        with self.lock:
            if self.started < self.size:
                self.started += 1
                return True
            return False

    def _start(self, memory_bytes: int, preload: str) -> _Worker:
        """A worker started in the place claimed: outside the lock, so that the pool's workers start together
        (each start is an interpreter and its imports; one after the other, the last was ready a start later)."""
        worker = self._started_in_place(memory_bytes, preload)
        worker.wait_until_ready()
        return worker

    def start_ahead(self, memory_bytes: int, preload: str) -> None:
        """A worker in every free place, each left to start while the caller goes on."""
        while self._claim_place():
            self.idle.put(self._started_in_place(memory_bytes, preload))

    def _started_in_place(self, memory_bytes: int, preload: str) -> _Worker:
        """A worker's process started in a place claimed; a start that fails gives the place back."""
        try:
            return _Worker(memory_bytes, preload)
        except BaseException:
            with self.lock:
                self.started -= 1
            raise

    def _give_back(self, worker: _Worker, healthy: bool) -> None:
        if healthy:
            self.idle.put(worker)
            return
        worker.stop()
        with self.lock:
            self.started -= 1

    def close(self) -> None:
        while True:
            try:
                self.idle.get_nowait().stop()
            except queue.Empty:
                return
            with self.lock:  # a stopped worker's place is free again: the next job starts a fresh one
                self.started -= 1


def _healthy(worker: _Worker, answered: list[tuple[str, object]]) -> bool:
    """A worker goes back to the pool if it answered every job it was given and lives on."""
    return bool(answered) and answered[-1][0] not in ("memory", "gone") and worker.alive()


@functools.cache
def _cores() -> int:
    return os.cpu_count() or 1


def pool_size(limits: Limits) -> int:
    """How many workers read at once: `[limits] workers`, by default one per core."""
    return max(1, limits.workers or _cores())


_pools: dict[int, _Pool] = {}
_pools_lock = threading.Lock()


def _pool(limits: Limits) -> _Pool:
    size = pool_size(limits)
    with _pools_lock:
        if size not in _pools:
            _pools[size] = _Pool(size)
        return _pools[size]


def shutdown() -> None:
    """Stop every idle worker (at the end of a command; workers are daemons anyway)."""
    with _pools_lock:
        for pool in _pools.values():
            pool.close()


def _death(exit_code: int | None) -> tuple[str, object]:
    signum = -exit_code if exit_code is not None and exit_code < 0 else None
    name = signal.Signals(signum).name if signum and signum in signal.Signals._value2member_map_ else None
    log.warning("a reader's worker died (exit code %s, signal %s)", exit_code, name)
    if signum in TIME_SIGNALS:
        return "slow", None
    if signum in MEMORY_SIGNALS:
        return "memory", None
    return "crashed", name or f"exit {exit_code}"


def _failure(kind: str, value: Any, limits: Limits) -> SpreadsheetError:
    from mailbot.sheets.limits import HINT, SheetError

    if kind == "refused":
        return SheetError(value.code, value.reason, value.message, value.hint, **value.params)
    if kind == "memory":
        limit = f"{limits.worker_memory_mb} MB"
        return SheetError(FILE_TOO_LARGE, "memory", f"reading it needs more than {limit} of memory", HINT, limit=limit)
    if kind == "slow":
        seconds = f"{limits.read_timeout_seconds:g}"
        return SheetError(
            FILE_TOO_LARGE, "slow", f"reading it took longer than {seconds} seconds", HINT, seconds=seconds
        )
    return SheetError(UNREADABLE_FILE, "crashed", f"the reader failed on it ({value})", "save it again as .xlsx")


# --- the worker's side ---------------------------------------------------------------------


def _serve(memory_bytes: int, log_level: int = logging.WARNING, preload: str | None = None) -> None:
    """A fresh worker's life, spoken to over its stdin and stdout (see _serve_on)."""
    receiver = Connection(os.dup(0), writable=False)
    sender = Connection(os.dup(1), readable=False)
    os.dup2(2, 1)  # a stray print of a reader must not mix with the answers
    _serve_on(receiver, sender, memory_bytes, log_level, preload)


def serve_forked(channel: int, memory_bytes: int, log_level: int, preload: str) -> None:
    """A worker forked by the zygote, spoken to over the socket `channel` (see _serve_on)."""
    _serve_on(
        Connection(os.dup(channel), writable=False),
        Connection(channel, readable=False),
        memory_bytes,
        log_level,
        preload,
    )


def _serve_on(receiver: Connection, sender: Connection, memory_bytes: int, log_level: int, preload: str | None) -> None:
    """A worker's life: set the memory limit once, import the first reader's module and say so, then read jobs
    until the parent goes."""
    global _serving
    _serving = True
    from mailbot import logs

    logs.configure(None, log_level)  # what the readers log joins the parent's log (stderr is the parent's)
    contexts: dict[int, object] = {}
    os.environ["RUST_BACKTRACE"] = "0"  # a panic's message is enough in the log
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when to stop
    # Below the service on the cores: reading a backlog is work that may wait, while what the service does
    # beside it (storing, answering, the console) is waited on by people. With more to do than cores, the
    # service's threads go first and the workers take the rest; with the cores free, they read at full speed.
    os.nice(NICENESS)
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    soft = memory_bytes if hard == resource.RLIM_INFINITY else min(memory_bytes, hard)
    resource.setrlimit(resource.RLIMIT_AS, (soft, hard))
    _preload(preload)
    try:
        sender.send("ready")
    except OSError:  # the parent went while this worker started (a command that failed early)
        return
    while True:
        received = _next_job(receiver, contexts)
        if received is None:
            return
        for job in received.jobs if isinstance(received, _Jobs) else (received,):
            if not _answer_job(sender, job, contexts):
                return  # a process that ran out of memory may be damaged: a fresh one takes over


def _answer_job(sender: Connection, job: _Job, contexts: dict[int, object]) -> bool:
    """Do one job and send its outcome; False when the worker must end (it ran out of memory)."""
    if job.context is not None and job.context not in contexts:
        outcome: tuple[str, object] = ("crashed", "its context was not handed over")
    else:
        outcome = _work(job, contexts.get(job.context) if job.context is not None else None)
    try:
        sender.send(outcome)
    except MemoryError:
        outcome = ("memory", None)
        sender.send(outcome)
    return outcome[0] != "memory"


def _preload(module: str | None) -> None:
    """Import the module of the reader the worker was started for; a failure is the first job's to report."""
    if module:
        try:
            importlib.import_module(module)
        except BaseException:  # noqa: BLE001 - reported by the job that needs it
            log.debug("preloading %s failed", module, exc_info=True)


def _next_job(receiver: Connection, contexts: dict[int, object]) -> _Job | _Jobs | None:
    """The next job (or jobs) from the parent, keeping the contexts handed over before it; None when the parent is gone."""
    while True:
        try:
            received = receiver.recv()
        except (EOFError, OSError):
            return None
        if not isinstance(received, _Context):
            return received
        contexts[received.key] = received.value
        while len(contexts) > MAX_CONTEXTS:
            contexts.pop(next(iter(contexts)))


def _work(job: _Job, context: object) -> tuple[str, object]:
    _limit_cpu(job.cpu_seconds)
    return _call(job, context)


def _call(job: _Job, context: object) -> tuple[str, object]:
    try:
        if job.faults:
            _inject(job.args)
        module, _, name = job.reader.partition(":")
        reader = getattr(importlib.import_module(module), name)
        return "ok", reader(*job.args) if context is None else reader(context, *job.args)
    except (MemoryError, _OutOfMemory):
        return "memory", None
    except SpreadsheetError as exc:
        return "refused", _Refusal(
            exc.code, getattr(exc, "reason", "damaged"), exc.message, exc.hint, dict(getattr(exc, "params", {}))
        )
    except BaseException as exc:  # a native panic is a BaseException; nothing here may end the worker
        log.debug("reader %s failed", job.reader, exc_info=True)
        return "crashed", f"{type(exc).__name__}: {str(exc)[:120]}"


def _limit_cpu(seconds: int) -> None:
    """CPU time is counted over the process's life: the limit is what it used so far plus `seconds`."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    used = math.ceil(usage.ru_utime + usage.ru_stime)
    _, hard = resource.getrlimit(resource.RLIMIT_CPU)
    soft = used + seconds
    if hard != resource.RLIM_INFINITY:
        soft = min(soft, hard)
    resource.setrlimit(resource.RLIMIT_CPU, (soft, hard))


def die_if_asked(data: bytes) -> None:
    """Tests: the calling process itself dies at once on b"MAILBOT-FAULT:die" (with MAILBOT_READER_FAULTS=1);
    on b"MAILBOT-FAULT:thread-exit" the calling thread (an inbox watcher) ends as SystemExit ends it."""
    if os.environ.get(FAULTS_VARIABLE) != "1":
        return
    if FAULT_PREFIX + b"die" in data[:65536]:
        os.kill(os.getpid(), signal.SIGKILL)
    if FAULT_PREFIX + b"thread-exit" in data[:65536]:
        raise SystemExit(1)


def fault_if_asked(data: bytes) -> None:
    """Tests: a message that starts with b"MAILBOT-FAULT:<kind>" (a header line) causes that fault where it is taken
    apart (with MAILBOT_READER_FAULTS=1), in whichever process does it."""
    if data.startswith(FAULT_PREFIX) and os.environ.get(FAULTS_VARIABLE) == "1":
        _inject((data,))


def pause_if_asked(data: bytes) -> None:
    """Tests: on b"MAILBOT-FAULT:pause", say so and wait for the test's go (so that it acts during the ingest)."""
    if os.environ.get(FAULTS_VARIABLE) != "1" or FAULT_PREFIX + b"pause" not in data[:65536]:
        return
    place = Path(os.environ[PAUSE_VARIABLE])
    (place / "paused").touch()
    deadline = time.monotonic() + PAUSE_LONGEST
    while not (place / "go").exists() and time.monotonic() < deadline:
        time.sleep(0.02)


class PanicException(BaseException):  # noqa: N818 - named as pyo3 names it
    """Stands in for pyo3's PanicException, which derives from BaseException too."""


def _inject(args: tuple) -> None:
    """Test faults, only when the caller's environment asks for them (see the module's docstring)."""
    data = next((a for a in args if isinstance(a, bytes) and a.startswith(FAULT_PREFIX)), None)
    if data is None:
        return
    kind = data[len(FAULT_PREFIX) :].split()[0].decode("ascii", "replace")
    if kind == "error":
        raise ValueError("injected reader error")
    if kind == "panic":
        raise PanicException("injected panic")
    if kind == "segfault":
        ctypes.string_at(0)  # reads address 0: SIGSEGV
    if kind == "abort":
        os.abort()
    if kind == "memory":
        hoard = []
        while True:
            hoard.append(bytearray(64 * 1024 * 1024))  # until the address-space limit says no
    if kind == "cpu":
        while True:
            pass
    if kind == "hang":
        time.sleep(3600)
    if kind == "meet":
        place = Path(os.environ[MEET_VARIABLE])
        (place / str(os.getpid())).touch()
        while sum(1 for _ in place.iterdir()) < 2:
            time.sleep(0.02)
        raise ValueError("injected reader error, met by another reader")


if __name__ == "__main__":  # `python -m mailbot.workers MEMORY_BYTES LOG_LEVEL MODULE`, started by _Worker
    from mailbot.workers import _serve as serve  # records pickled by their module's name, not __main__

    serve(int(sys.argv[1]), int(sys.argv[2]), sys.argv[3] if len(sys.argv) > 3 else None)
