"""Work done beside the caller, in a forked copy of its process, where a fork is safe.

A national report's chart is most of a second of matplotlib, and its workbook about a
second of XlsxWriter; one core does one at a time. A forked copy of the process has
every figure the chart shows already in memory, shared copy on write, so it can draw the
chart on the second core while this process writes the HTML, the text and the workbook,
and hand back only the picture's bytes.

A fork copies the process as it is, with the locks its other threads hold at that
moment. So work is forked only from a process that runs no other Python thread (the
command line, a benchmark), and only where fork exists. Elsewhere (the service, the
console, a test with a server thread) the work is done in this process when its result
is asked for, as it was before. A copy that ends without an answer (killed, out of
memory, an error) is not an error of its own: the work is done again here, so the caller
gets the same bytes, or the same exception, as without a copy.
"""

from __future__ import annotations

import gc
import logging
import multiprocessing
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess

log = logging.getLogger(__name__)


@contextmanager
def beside(work: Callable[[], bytes], what: str) -> Iterator[Callable[[], bytes]]:
    """Start `work` in a forked copy of this process when that is safe; gives the call returning its bytes.

    A copy whose bytes were not asked for by the end of the block is stopped then.
    """
    if not may_fork():
        yield work
        return
    context = multiprocessing.get_context("fork")
    receiving, sending = context.Pipe(duplex=False)
    copy = context.Process(target=_answer, args=(work, sending), name=f"mailbot {what}", daemon=True)
    try:
        copy.start()
    except OSError as error:  # no process to spare: do the work here
        log.warning("could not fork for the %s (%s); making it in this process", what, error)
        receiving.close()
        sending.close()
        yield work
        return
    sending.close()
    try:
        yield lambda: _answered(copy, receiving, work, what)
    finally:
        receiving.close()
        if copy.exitcode is None:  # its bytes were not asked for: the block ended early
            copy.terminate()
        copy.join()


def may_fork() -> bool:
    """Fork exists here, and no other Python thread runs (a fork would copy its locks as they are)."""
    return "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1


def _answer(work: Callable[[], bytes], sending: Connection) -> None:
    """In the copy: the work's bytes to the parent; any failure ends the copy with code 1, quietly
    (the parent does the work again and reports what goes wrong there).

    The copy's cycle collector is off: its garbage ends with it, and a collection would walk,
    and so copy, every page of objects it shares with the parent."""
    gc.disable()
    try:
        sending.send_bytes(work())
    except BaseException:
        sys.exit(1)
    finally:
        sending.close()


def _answered(copy: BaseProcess, receiving: Connection, work: Callable[[], bytes], what: str) -> bytes:
    """The copy's bytes once it has sent them whole; if it ended first, the work done here."""
    try:
        answer: bytes | None = receiving.recv_bytes()
    except (EOFError, OSError):
        answer = None
    finally:
        copy.join()
    if answer is None:
        log.warning("the copy making the %s ended with code %s; making it in this process", what, copy.exitcode)
        return work()
    return answer
