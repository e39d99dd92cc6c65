"""Work done beside the caller in a forked copy (mailbot/forked.py), and the report's chart drawn so.

A copy is forked only from a process that runs no other thread. The test process may
hold threads of earlier tests' servers, so each case that needs a copy runs in an
interpreter of its own (`alone`), as `mailbot report` does.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from mailbot import forked
from mailbot.config import PROJECT_ROOT


def alone(case: str, folder: Path | None = None) -> subprocess.CompletedProcess:
    """Run `case`, a function of this module, in an interpreter of its own; what it printed, and its errors."""
    script = f"import sys; from robust.test_forked import {case} as case; print(case(*sys.argv[1:]))"
    environ = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT / "tests")}
    arguments = [str(folder)] if folder else []
    return subprocess.run(
        [sys.executable, "-c", script, *arguments], capture_output=True, text=True, env=environ, timeout=120
    )


def who_made_it() -> bytes:
    return f"{os.getpid()} {os.getppid()}".encode()


# --- the cases, each run alone -------------------------------------------------------------


def made_in_a_copy() -> str:
    with forked.beside(who_made_it, "test") as answer:
        pid, parent = map(int, answer().split())
    return f"{pid != os.getpid()} {parent == os.getpid()}"


def copy_killed() -> str:
    """The copy is killed before it answers: the work is done again here."""
    here = os.getpid()

    def work() -> bytes:
        if os.getpid() != here:
            os.kill(os.getpid(), signal.SIGKILL)
        return b"made here"

    with forked.beside(work, "test") as answer:
        return answer().decode()


def copy_fails() -> str:
    """The work fails in the copy and here alike: the caller gets the exception, once."""

    def work() -> bytes:
        raise ValueError(f"failed in {'the copy' if os.getpid() != here else 'the caller'}")

    here = os.getpid()
    try:
        with forked.beside(work, "test") as answer:
            answer()
    except ValueError as error:
        return str(error)
    return "no error"


def block_left_early() -> str:
    """The block ends by an error before the bytes are asked for: the copy does not run on."""

    def work() -> bytes:
        time.sleep(600)
        return b""

    import multiprocessing

    running = 0
    try:
        with forked.beside(work, "test"):
            running = len(multiprocessing.active_children())
            raise RuntimeError("the caller failed")
    except RuntimeError:
        pass
    return f"{running} {len(multiprocessing.active_children())}"


def report_chart_drawn(folder: str) -> str:
    """A report built in a process without threads: where its chart was drawn, and whether it is the
    chart the same figures give when drawn in this process."""
    from stored_reports import ingest
    from talking_days import APPENDIX, DAY, local, shipped_settings

    from mailbot import chart, report, service
    from mailbot.store import Store

    settings = shipped_settings()
    store = Store.open(f"sqlite:///{Path(folder) / 'mailbot.db'}")
    for number, (unit_id, figure) in enumerate(APPENDIX.items()):
        ingest(store, settings, unit_id, figure, local(settings, DAY, 8, number))
    draw = chart.render_png

    def noted(data: chart.ChartData) -> bytes:
        (Path(folder) / "drawn-by").write_text(str(os.getpid()))
        return draw(data)

    chart.render_png = noted  # type: ignore[assignment]
    built = service.build_report(settings, store, DAY, local(settings, DAY, 16, 30))
    drawn_by = (Path(folder) / "drawn-by").read_text()
    report.forget_drawn_charts()
    ledger, trend, _ = service._report_inputs(settings, store, DAY, local(settings, DAY, 16, 30))
    here = draw(report.chart_content(settings, ledger, trend()))
    store.close()
    is_png = built.chart_png.startswith(b"\x89PNG")
    return f"{drawn_by != str(os.getpid())} {built.chart_png == here} {is_png}"


# --- the tests -----------------------------------------------------------------------------


def test_the_work_is_done_in_a_forked_copy_of_the_caller():
    done = alone("made_in_a_copy")
    assert done.stdout.split() == ["True", "True"], done.stderr


def test_a_copy_killed_before_it_answers_leaves_the_work_to_the_caller():
    done = alone("copy_killed")
    assert done.stdout.strip() == "made here", done.stderr
    assert "ended with code -9" in done.stderr  # the log's warning says what happened


def test_work_failing_in_the_copy_fails_in_the_caller_with_its_own_exception_and_the_copy_is_quiet():
    done = alone("copy_fails")
    assert done.stdout.strip() == "failed in the caller", done.stderr
    assert "Traceback" not in done.stderr and "failed in the copy" not in done.stderr  # the copy is quiet
    assert "ended with code 1" in done.stderr


def test_a_block_left_before_its_bytes_are_asked_for_stops_the_copy():
    done = alone("block_left_early")
    assert done.stdout.split() == ["1", "0"], done.stderr  # running in the block, gone after it


def test_a_process_with_another_thread_does_the_work_itself():
    running, stop = threading.Event(), threading.Event()
    other = threading.Thread(target=lambda: (running.set(), stop.wait(30)))
    other.start()
    running.wait(5)
    try:
        with forked.beside(who_made_it, "test") as answer:
            pid, _ = map(int, answer().split())
    finally:
        stop.set()
        other.join()
    assert pid == os.getpid()


def test_a_report_built_without_threads_draws_its_chart_in_a_copy_and_it_is_the_same_chart(tmp_path):
    done = alone("report_chart_drawn", tmp_path)
    assert done.stdout.split() == ["True", "True", "True"], done.stderr
