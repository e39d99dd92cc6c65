"""What the interpreter's thread switch interval costs a poll's delivery lane.

    .venv/bin/python bench/switching.py [--n 300] [--rounds 3]

A poll sends acknowledgements from one thread (the delivery lane) while its main
thread computes. Each SMTP reply wakes the lane, which then waits for the GIL until
the computing thread's switch interval runs out: two such waits for each mail sent.
This sends N mails with mailbot.smtp.send_pipelined over one connection to an
aiosmtpd sink in its own process (as the SMTP server is), at the interpreter's
default interval (5 ms) and at the one `mailbot` sets (mailbot.__main__.SWITCH_SECONDS),
alone and beside a thread that computes in Python, in alternating order, and prints
the median milliseconds per mail of each.
"""

from __future__ import annotations

import argparse
import contextlib
import smtplib
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mailbot.__main__ import SWITCH_SECONDS  # noqa: E402
from mailbot.smtp import send_pipelined  # noqa: E402

DEFAULT_SWITCH_SECONDS = 0.005
SINK = """
import sys, time
sys.path.insert(0, sys.argv[1])
from bench import servers
with servers.SmtpSink() as sink:
    print(sink.controller.port, flush=True)
    sys.stdin.read()
"""
MAIL = (
    b"From: a@example.vn\r\nTo: b@example.vn\r\nSubject: test\r\nMessage-ID: <%d@example.vn>\r\n\r\n"
    + (b"x" * 70 + b"\r\n") * 40
)


class Busy:
    """A thread that computes in Python until stopped, as a poll's main thread does."""

    def __init__(self) -> None:
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._spin, daemon=True)

    def _spin(self) -> None:
        while not self.stopped.is_set():
            sum(range(200))

    def __enter__(self) -> Busy:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopped.set()
        self.thread.join()


def ms_per_mail(port: int, n: int, interval: float, busy: bool) -> float:
    previous = sys.getswitchinterval()
    sys.setswitchinterval(interval)
    connection = smtplib.SMTP("127.0.0.1", port)
    try:
        connection.ehlo()
        with Busy() if busy else contextlib.nullcontext():
            started = time.perf_counter()
            for i in range(n):
                send_pipelined(connection, "a@example.vn", ["b@example.vn"], MAIL.replace(b"%d", str(i).encode()))
            return (time.perf_counter() - started) * 1000 / n
    finally:
        connection.quit()
        sys.setswitchinterval(previous)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    sink = subprocess.Popen(
        [sys.executable, "-c", SINK, str(ROOT)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert sink.stdout is not None
        port = int(sink.stdout.readline())
        cases = [(busy, interval) for busy in (False, True) for interval in (DEFAULT_SWITCH_SECONDS, SWITCH_SECONDS)]
        times: dict[tuple[bool, float], list[float]] = {case: [] for case in cases}
        for round_ in range(args.rounds):
            for busy, interval in cases if round_ % 2 == 0 else reversed(cases):
                times[(busy, interval)].append(ms_per_mail(port, args.n, interval, busy))
        print(f"{args.n} mails a round, median of {args.rounds} rounds, sink in its own process")
        print("| beside | switch interval | ms per mail |")
        print("|---|---|---|")
        for busy, interval in cases:
            beside = "a busy thread" if busy else "nothing"
            print(f"| {beside} | {interval * 1000:g} ms | {statistics.median(times[(busy, interval)]):.2f} |")
    finally:
        sink.communicate("")


if __name__ == "__main__":
    main()
