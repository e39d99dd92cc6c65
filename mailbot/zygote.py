"""The reading workers are forked from one interpreter that has imported the readers once: the zygote.

A worker used to be a fresh interpreter. Its start (the interpreter, then the imports of every reader) cost about
0.3 CPU second, paid by each worker of the pool at the start of every poll, on the cores the poll needs for its
own start. The zygote pays it once: it imports the readers (PRELOAD), then forks a worker whenever the pool asks
for one, ready within milliseconds. A command that is about to read mail starts it before it loads the
application (mailbot.ahead), so that its imports go on beside the command's own.

A forked worker is what a fresh one was: the zygote reads nothing and starts no thread, so a fork copies no state
of a read and no lock held by another thread. The child takes the environment and the working folder of the
parent at the moment it asks for the worker (a test that sets a variable, the folders PYTHONPATH adds), sets its
own limits and imports its own reader's module, as a fresh worker did.

The parent speaks to the zygote over a socket of datagrams (SOCK_SEQPACKET: each request arrives whole):
- ("fork", number, memory_bytes, log_level, preload, environ, cwd), with the worker's end of a socket pair: the
  zygote forks, the child becomes a worker on that socket (`workers.serve_forked`), and the zygote answers
  (number, pid);
- ("ended", number, pid): the zygote reaps that child, if it has ended, and answers (number, its exit code as
  Popen gives it: negative for a signal) or (number, None) while it runs.

The zygote reaps a child only when asked, so the pid it answers stays that worker's: the parent opens a pidfd
on it at once, and kills the worker and learns that it has ended through the pidfd, never through a pid that
could have been reused. The zygote ends when the parent goes (its socket closes); the workers end when their own
sockets close, as before. Where the system has no pidfd (not Linux), `available()` is False and the pool starts
fresh interpreters, as it did.
"""

from __future__ import annotations

import gc
import importlib
import itertools
import os
import pickle
import select
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

PRELOAD = "mailbot.reading.arrived"  # what every reading worker imports: the readers of a whole message
PACKAGE_ROOT = str(Path(__file__).resolve().parents[1])
LARGEST_REQUEST = 1 << 20  # bytes of one request (the environment is the largest part)


def available() -> bool:
    return hasattr(os, "pidfd_open") and hasattr(signal, "pidfd_send_signal")


def child_environ() -> dict[str, str]:
    """This process's environment, with mailbot's own folder on PYTHONPATH: what a zygote or a fresh worker gets."""
    return dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [PACKAGE_ROOT, os.environ.get("PYTHONPATH")])))


class Zygote:
    """The parent's side: the zygote's process and the socket it is asked over."""

    def __init__(self) -> None:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "mailbot.zygote"], stdin=theirs.fileno(), env=child_environ(), close_fds=True
            )
        except BaseException:
            ours.close()
            raise
        finally:
            theirs.close()
        self.control = ours
        self.lock = threading.Lock()
        self.numbers = itertools.count(1)
        self.answers: dict[int, object] = {}  # answers read while waiting for another one

    def alive(self) -> bool:
        return self.process.poll() is None

    def fork(self, channel: socket.socket, memory_bytes: int, log_level: int, preload: str) -> ForkedProcess:
        """Ask for a worker on `channel` (the worker's end of a socket pair), and return at once: the process is
        known by the time it is first needed (ForkedProcess.pid)."""
        number = next(self.numbers)
        request = ("fork", number, memory_bytes, log_level, preload, dict(os.environ), os.getcwd())
        with self.lock:
            socket.send_fds(self.control, [pickle.dumps(request, pickle.HIGHEST_PROTOCOL)], [channel.fileno()])
        return ForkedProcess(self, number)

    def answer(self, number: int) -> object:
        """The answer to request `number`; OSError where the zygote has gone."""
        with self.lock:
            while number not in self.answers:
                data = self.control.recv(LARGEST_REQUEST)
                if not data:
                    raise ConnectionResetError("the zygote has gone")
                answered, value = pickle.loads(data)
                self.answers[answered] = value
            return self.answers.pop(number)

    def exit_code(self, pid: int) -> int | None:
        """The exit code of a child that has ended (None while it runs, or where the zygote has gone)."""
        number = next(self.numbers)
        try:
            with self.lock:
                self.control.send(pickle.dumps(("ended", number, pid)))
            code = self.answer(number)
        except OSError:
            return None
        return code if isinstance(code, int) else None


class ForkedProcess:
    """A forked worker's process, with the part of Popen's interface the pool uses (pid, returncode, poll, wait,
    kill). Its pid is the zygote's answer to the fork; its pidfd is opened at once."""

    def __init__(self, zygote: Zygote, number: int) -> None:
        self.zygote = zygote
        self.number = number
        self._pid: int | None = None
        self.pidfd: int | None = None
        self.returncode: int | None = None
        self.known = False  # the zygote has answered the fork

    @property
    def pid(self) -> int | None:
        self._learn()
        return self._pid

    def _learn(self) -> None:
        if self.known:
            return
        self.known = True
        try:
            pid = self.zygote.answer(self.number)
        except OSError:
            return
        if isinstance(pid, int):
            self._pid = pid
            try:
                self.pidfd = os.pidfd_open(pid)
            except OSError:  # it has been reaped already: not by the zygote, which reaps only when asked
                self.pidfd = None

    def poll(self) -> int | None:
        if self.returncode is None and self._ended(0):
            self._reap()
        return self.returncode

    def wait(self, timeout: float | None = None) -> int | None:
        if self.returncode is None:
            if not self._ended(timeout):
                raise subprocess.TimeoutExpired("reading worker", timeout or 0)
            self._reap()
        return self.returncode

    def kill(self) -> None:
        self._learn()
        if self.pidfd is not None and self.returncode is None:
            try:
                signal.pidfd_send_signal(self.pidfd, signal.SIGKILL)
            except ProcessLookupError:
                pass

    def _ended(self, timeout: float | None) -> bool:
        self._learn()
        if self.pidfd is None:
            return True  # never forked, or the zygote went before it answered
        readable, _, _ = select.select([self.pidfd], [], [], timeout)
        return bool(readable)

    def _reap(self) -> None:
        code = self.zygote.exit_code(self._pid) if self._pid is not None else None
        self.returncode = code if code is not None else 1  # unknown (the zygote has gone): an exit of 1
        if self.pidfd is not None:
            os.close(self.pidfd)
            self.pidfd = None


# --- the zygote's side ---------------------------------------------------------------------


def serve() -> None:
    """The zygote's life: import the readers, then fork a worker for each request until the parent goes."""
    control = socket.socket(fileno=os.dup(0))
    quiet = os.open(os.devnull, os.O_RDONLY)
    os.dup2(quiet, 0)
    os.close(quiet)
    os.dup2(2, 1)  # a stray print must not go anywhere but the error output
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when to stop
    try:
        importlib.import_module(PRELOAD)
    except BaseException:  # noqa: BLE001 - each worker imports it again, and its first job reports the failure
        pass
    from mailbot import workers

    gc.freeze()  # what the imports made is shared with every child as it is: no collection copies its pages
    while True:
        try:
            data, fds, _, _ = socket.recv_fds(control, LARGEST_REQUEST, 1)
        except OSError:
            return
        if not data:
            return  # the parent has gone
        request = pickle.loads(data)
        if request[0] == "fork":
            answer = _fork(control, fds[0], request[2:], workers.serve_forked)
            for fd in fds:
                os.close(fd)
        else:
            answer = _ended(request[2])
        try:
            control.send(pickle.dumps((request[1], answer)))
        except OSError:
            return


def _fork(
    control: socket.socket, channel: int, request: tuple, serve_worker: Callable[[int, int, int, str], None]
) -> int | None:
    """Fork a worker that serves on `channel`; its pid (None where the fork failed)."""
    memory_bytes, log_level, preload, environ, cwd = request
    try:
        pid = os.fork()
    except OSError:
        return None
    if pid:
        return pid
    code = 0
    try:
        control.close()
        _take_over(environ, cwd)
        serve_worker(channel, memory_bytes, log_level, preload)
    except BaseException:  # noqa: BLE001 - the child must never return into the zygote's loop
        code = 1
    finally:
        os._exit(code)


def _take_over(environ: dict[str, str], cwd: str) -> None:
    """The parent's environment and working folder, as a fresh worker started now would have them."""
    os.environ.clear()
    os.environ.update(environ)
    try:
        os.chdir(cwd)
    except OSError:
        pass
    added = [entry for entry in environ.get("PYTHONPATH", "").split(os.pathsep) if entry and entry not in sys.path]
    sys.path[1:1] = added
    importlib.invalidate_caches()


def _ended(pid: int) -> int | None:
    try:
        reaped, status = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return None
    return os.waitstatus_to_exitcode(status) if reaped else None


if __name__ == "__main__":  # `python -m mailbot.zygote`, started by Zygote
    serve()
