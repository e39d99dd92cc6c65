"""Run a command as a child of this small process; write its wall time, CPU time, exit code and peak RSS as JSON.

    python bench/measured.py OUT.json COMMAND [ARG…]

Why a separate process: a child forked straight from the benchmark inherits the
benchmark's large address space until it execs, and the kernel counts that in the
child's peak RSS. Forked from this small interpreter, the figure is the command's own.
"""

import json
import os
import subprocess
import sys
import time


def main() -> int:
    out, command = sys.argv[1], sys.argv[2:]
    started = time.perf_counter()
    process = subprocess.Popen(command)
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    code = os.waitstatus_to_exitcode(status)
    with open(out, "w") as handle:
        cpu = usage.ru_utime + usage.ru_stime  # with the children it waited for (reading workers)
        json.dump({"seconds": seconds, "cpu_seconds": cpu, "peak_rss_kib": usage.ru_maxrss, "returncode": code}, handle)
    return code


if __name__ == "__main__":
    sys.exit(main())
