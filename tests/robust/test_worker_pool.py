"""The reading workers' pool: a worker that died while idle costs no message anything."""

import dataclasses
import os
import signal

import pytest

from mailbot import workers
from mailbot.config import PROJECT_ROOT, load_settings

WORKBOOK = PROJECT_ROOT / "tests/reading/corpus/xlsx_single_row.xlsx"


@pytest.fixture
def limits():
    shipped = load_settings(PROJECT_ROOT / "config" / "mailbot.toml", env={})
    return dataclasses.replace(shipped.limits, workers=1)  # one worker: the next read takes the one killed


def test_a_worker_killed_while_idle_is_replaced_and_the_next_file_is_read(limits):
    from mailbot.sheets import read_tables

    assert read_tables("bc.xlsx", WORKBOOK.read_bytes(), limits)
    [worker] = list(workers._pool(limits).idle.queue)
    os.kill(worker.process.pid, signal.SIGKILL)
    os.waitid(os.P_PID, worker.process.pid, os.WEXITED | os.WNOWAIT)  # dead, and not reaped: the pool has not seen it

    tables = read_tables("bc.xlsx", WORKBOOK.read_bytes(), limits)  # no unreadable_file "crashed"

    assert tables and tables[0].cells
    [fresh] = list(workers._pool(limits).idle.queue)
    assert fresh is not worker and fresh.alive()
