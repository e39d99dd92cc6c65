"""Run a command as a child of this small process; write its wall time, CPU time, exit code and peak RSS as JSON.

    python bench/measured.py OUT.json COMMAND [ARG…]

Why a separate process: a child forked straight from the benchmark inherits the
benchmark's large address space until it execs, and the kernel counts that in the
child's peak RSS. Forked from this small interpreter, the figure is the command's own.

The CPU time is the command's and its descendants': this process is their subreaper
(Linux), so the reading workers a poll leaves to end by themselves once it is gone
come back to it, and their time is counted when they end. The wall time and the peak
RSS are the command's own.
"""

import ctypes
import json
import os
import subprocess
import sys
import time

PR_SET_CHILD_SUBREAPER = 36
ORPHANS_WAITED_SECONDS = 30.0  # descendants still running this long after the command are left uncounted


def adopt_orphans() -> None:
    """Descendants whose parent ends become this process's children (prctl PR_SET_CHILD_SUBREAPER)."""
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)


def orphans_cpu() -> float:
    """The CPU seconds of the descendants that came back to this process, waited for as they end."""
    cpu, deadline = 0.0, time.monotonic() + ORPHANS_WAITED_SECONDS
    while time.monotonic() < deadline:
        try:
            pid, _, usage = os.wait4(-1, os.WNOHANG)
        except ChildProcessError:
            break  # none left
        if pid == 0:
            time.sleep(0.01)
            continue
        cpu += usage.ru_utime + usage.ru_stime
    return cpu


def main() -> int:
    out, command = sys.argv[1], sys.argv[2:]
    adopt_orphans()
    started = time.perf_counter()
    process = subprocess.Popen(command)
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    code = os.waitstatus_to_exitcode(status)
    cpu = usage.ru_utime + usage.ru_stime + orphans_cpu()
    with open(out, "w") as handle:
        json.dump({"seconds": seconds, "cpu_seconds": cpu, "peak_rss_kib": usage.ru_maxrss, "returncode": code}, handle)
    return code


if __name__ == "__main__":
    sys.exit(main())
