"""A reader module for tests/robust/test_worker_pool.py: imported in a worker, it waits for the test's go.

A worker imports its reader's module before it says it is ready. This one, imported in a
worker, leaves its process id in the folder MAILBOT_TEST_AHEAD names, then waits (at most
GO_SECONDS) for a file `go` there, which the test writes only once `workers.start_ahead`
has returned: a start_ahead that waited for its workers would never see the go.
"""

import os
import time
from pathlib import Path

from mailbot import workers

GO_SECONDS = 30.0


def _wait_for_go() -> bool:
    folder = Path(os.environ["MAILBOT_TEST_AHEAD"])
    (folder / str(os.getpid())).touch()
    deadline = time.monotonic() + GO_SECONDS
    while time.monotonic() < deadline:
        if (folder / "go").exists():
            return True
        time.sleep(0.01)
    return False


SAW_GO = _wait_for_go() if workers._serving else False


def pid_and_go(_: bytes) -> tuple[int, bool]:
    """The reader: this worker's process id, and whether it started before the test said go."""
    return os.getpid(), SAW_GO
