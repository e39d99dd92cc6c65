"""A reader module for tests/robust/test_worker_pool.py: imported in a worker, it waits for a second worker.

A worker imports its reader's module before it says it is ready. This one, imported in
a worker, leaves its process id in the folder MAILBOT_TEST_MEETING names and waits
(at most MEETING_SECONDS) for another worker to leave one: two workers meet only if
the pool starts them together.
"""

import os
import time
from pathlib import Path

from mailbot import workers

MEETING_SECONDS = 30.0


def _meet() -> bool:
    folder = Path(os.environ["MAILBOT_TEST_MEETING"])
    (folder / str(os.getpid())).touch()
    deadline = time.monotonic() + MEETING_SECONDS
    while time.monotonic() < deadline:
        if len(list(folder.iterdir())) >= 2:
            return True
        time.sleep(0.01)
    return False


MET = _meet() if workers._serving else False


def met_another(_: bytes) -> bool:
    """The reader: whether this worker met another one while it started."""
    return MET
