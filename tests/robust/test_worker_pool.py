"""The reading workers' pool: a worker that died while idle costs no message anything."""

import dataclasses
import os
import select
import signal
from concurrent.futures import ThreadPoolExecutor

import pytest

from mailbot import workers
from mailbot.config import PROJECT_ROOT, load_settings
from mailbot.errors import SpreadsheetError

WORKBOOK = PROJECT_ROOT / "tests/reading/corpus/xlsx_single_row.xlsx"


@pytest.fixture
def limits():
    shipped = load_settings(PROJECT_ROOT / "config" / "mailbot.toml", env={})
    return dataclasses.replace(shipped.limits, workers=1)  # one worker: the next read takes the one killed


def test_a_worker_killed_while_idle_is_replaced_and_the_next_file_is_read(limits):
    from mailbot.sheets import read_tables

    assert read_tables("bc.xlsx", WORKBOOK.read_bytes(), limits)
    [worker] = list(workers._pool(limits).idle.queue)
    watching = os.pidfd_open(worker.process.pid)
    os.kill(worker.process.pid, signal.SIGKILL)
    assert select.select([watching], [], [], 60)[0]  # dead, and not reaped: the pool has not seen it
    os.close(watching)

    tables = read_tables("bc.xlsx", WORKBOOK.read_bytes(), limits)  # no unreadable_file "crashed"

    assert tables and tables[0].cells
    [fresh] = list(workers._pool(limits).idle.queue)
    assert fresh is not worker and fresh.alive()


_seen: list[object] = []  # in a worker: the contexts its reader was given, each object once


def contexts_seen(context: object, number: int) -> tuple[int, int, int]:
    """A reader for the test below, run in a worker: how many context objects it has met, its process, the number."""
    if not any(seen is context for seen in _seen):
        _seen.append(context)
    return len(_seen), os.getpid(), number


def test_a_context_is_handed_to_a_worker_once_and_every_read_gets_it(limits, monkeypatch):
    monkeypatch.setenv("PYTHONPATH", str(PROJECT_ROOT / "tests"))  # the workers find this module
    workers.shutdown()
    settings = load_settings(PROJECT_ROOT / "config" / "mailbot.toml", env={})

    answers = [
        workers.run("robust.test_worker_pool:contexts_seen", n, limits=limits, context=settings) for n in range(5)
    ]

    assert [number for _, _, number in answers] == list(range(5))
    assert {(seen, pid) for seen, pid, _ in answers} == {(1, answers[0][1])}  # one worker, one context object
    assert answers[0][1] != os.getpid()
    workers.shutdown()


def process_of(data: bytes) -> int:
    """A reader for the test below, run in a worker: the process it ran in."""
    return os.getpid()


def test_calls_handed_over_at_once_each_have_their_own_outcome_and_a_crash_stops_only_its_own(limits, monkeypatch):
    monkeypatch.setenv("PYTHONPATH", str(PROJECT_ROOT / "tests"))
    monkeypatch.setenv(workers.FAULTS_VARIABLE, "1")
    workers.shutdown()
    items = [(b"first",), (b"MAILBOT-FAULT:segfault",), (b"third",), (b"MAILBOT-FAULT:error",), (b"fifth",)]

    first, segfault, third, error, fifth = workers.run_each("robust.test_worker_pool:process_of", items, limits=limits)

    assert isinstance(segfault, SpreadsheetError) and segfault.code == "unreadable_file"
    assert isinstance(error, SpreadsheetError) and error.code == "unreadable_file"
    assert first != third  # the worker that crashed is gone: the calls after it went to a fresh one
    assert third == fifth != os.getpid()  # an error the reader raised does not end its worker
    [worker] = list(workers._pool(limits).idle.queue)
    assert worker.process.pid == fifth and worker.served == 3
    workers.shutdown()


def test_the_pools_workers_start_together_not_one_after_the_other(limits, monkeypatch, tmp_path):
    """Two reads at once in a pool of two: both workers start at once (each waits at its start for the other)."""
    monkeypatch.setenv("PYTHONPATH", str(PROJECT_ROOT / "tests"))
    monkeypatch.setenv("MAILBOT_TEST_MEETING", str(tmp_path))
    workers.shutdown()
    two = dataclasses.replace(limits, workers=2)

    with ThreadPoolExecutor(2) as running:
        answers = list(
            running.map(lambda n: workers.run("robust.starting_workers:met_another", b"x", limits=two), [1, 2])
        )

    assert answers == [True, True]
    assert len(list(tmp_path.iterdir())) == 2
    workers.shutdown()


def test_workers_started_ahead_start_while_the_caller_goes_on_and_take_the_first_jobs(limits, monkeypatch, tmp_path):
    """start_ahead returns while its workers are still starting (they wait for a go the test gives only after),
    and the reads that follow are done by those workers, no other."""
    monkeypatch.setenv("PYTHONPATH", str(PROJECT_ROOT / "tests"))
    monkeypatch.setenv("MAILBOT_TEST_AHEAD", str(tmp_path))
    workers.shutdown()
    two = dataclasses.replace(limits, workers=2)

    workers.start_ahead("robust.ahead_workers:pid_and_go", limits=two)
    (tmp_path / "go").touch()
    with ThreadPoolExecutor(2) as running:
        answers = list(
            running.map(lambda n: workers.run("robust.ahead_workers:pid_and_go", b"x", limits=two), [1, 2, 3, 4])
        )

    started = {int(path.name) for path in tmp_path.iterdir() if path.name.isdigit()}
    assert len(started) == 2
    assert all(saw_go for _, saw_go in answers)
    assert {pid for pid, _ in answers} <= started
    workers.start_ahead("robust.ahead_workers:pid_and_go", limits=two)  # the pool is full: nothing more starts
    assert workers.run("robust.ahead_workers:pid_and_go", b"x", limits=two)[0] in started
    assert len([path for path in tmp_path.iterdir() if path.name.isdigit()]) == 2
    workers.shutdown()


def test_a_worker_whose_parent_went_while_it_started_ends_quietly(limits, monkeypatch, tmp_path):
    """A command that fails early (no mailbox) leaves the workers it started ahead: each finds the parent gone when
    it says it is ready, and ends without a traceback on the command's error output."""
    monkeypatch.setenv("PYTHONPATH", str(PROJECT_ROOT / "tests"))
    monkeypatch.setenv("MAILBOT_TEST_AHEAD", str(tmp_path))
    worker = workers._Worker(limits.worker_memory_mb * 1024 * 1024, "robust.ahead_workers")
    worker.receiver.close()  # the parent's ends: as if the parent were gone
    worker.sender.close()
    (tmp_path / "go").touch()
    assert worker.process.wait(60) == 0


def test_the_poll_starts_ahead_the_workers_of_the_reader_it_uses():
    from mailbot import app
    from mailbot.reading import whole

    assert app.WHOLE_READER == whole.READER


def niceness() -> int:
    """A reader for the test below: its worker's scheduling niceness."""
    return os.getpriority(os.PRIO_PROCESS, 0)


def test_a_worker_reads_at_a_lower_priority_than_the_service(limits, monkeypatch):
    monkeypatch.setenv("PYTHONPATH", str(PROJECT_ROOT / "tests"))  # the workers find this module
    workers.shutdown()
    try:
        inside = workers.run("robust.test_worker_pool:niceness", limits=limits)
    finally:
        workers.shutdown()
    assert inside == min(os.getpriority(os.PRIO_PROCESS, 0) + workers.NICENESS, 19)
