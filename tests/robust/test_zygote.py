"""The reading workers are forked from the zygote, an interpreter that has imported the readers once."""

import dataclasses
import os
import select
import signal
import subprocess
import sys

import pytest

from mailbot import workers, zygote
from mailbot.config import PROJECT_ROOT, load_settings
from mailbot.errors import SpreadsheetError

READERS = ("mailbot.reading.message", "mailbot.reading.content", "mailbot.sheets", "python_calamine")


@pytest.fixture
def limits(monkeypatch):
    monkeypatch.setenv("PYTHONPATH", str(PROJECT_ROOT / "tests"))  # the workers find this module
    workers.shutdown()
    shipped = load_settings(PROJECT_ROOT / "config" / "mailbot.toml", env={})
    yield dataclasses.replace(shipped.limits, workers=1)
    workers.shutdown()


def parent_and_readers() -> tuple[int, list[str]]:
    """A reader run in a worker: its parent process, and the readers it holds without having imported them."""
    return os.getppid(), [module for module in READERS if module in sys.modules]


def surroundings() -> tuple[str | None, str]:
    return os.environ.get("MAILBOT_TEST_SEEN"), os.getcwd()


def over_time() -> None:
    os.kill(os.getpid(), signal.SIGXCPU)  # what the kernel sends past the CPU-time limit


def test_a_worker_is_forked_from_the_zygote_with_the_readers_imported(limits):
    parent, readers = workers.run("robust.test_zygote:parent_and_readers", limits=limits)

    assert parent == workers._zygote().process.pid != os.getpid()
    assert readers == list(READERS)


def test_a_forked_worker_takes_the_environment_and_folder_the_caller_has_when_it_asks(limits, monkeypatch, tmp_path):
    workers.start_zygote()  # started before the variable is set and the folder changed
    monkeypatch.setenv("MAILBOT_TEST_SEEN", "seen")
    monkeypatch.chdir(tmp_path)

    assert workers.run("robust.test_zygote:surroundings", limits=limits) == ("seen", str(tmp_path))


def test_a_forked_worker_killed_by_a_signal_has_that_signal_for_its_end(limits):
    """The zygote reaps its workers: the exit code it hands over says which limit ended the worker."""
    with pytest.raises(SpreadsheetError) as raised:
        workers.run("robust.test_zygote:over_time", limits=limits)

    assert raised.value.code == "file_too_large" and raised.value.reason == "slow"


def test_when_the_zygote_has_died_its_workers_are_still_stopped_and_the_next_start_forks_from_a_new_one(limits):
    first_parent, _ = workers.run("robust.test_zygote:parent_and_readers", limits=limits)
    [orphan] = list(workers._pool(limits).idle.queue)
    watching = os.pidfd_open(orphan.process.pid)
    first = workers._zygote()
    first.process.kill()
    first.process.wait()

    workers.shutdown()  # stops the orphaned worker through its pidfd, with no zygote to ask
    assert select.select([watching], [], [], 0)[0]  # it has ended
    os.close(watching)
    parent, readers = workers.run("robust.test_zygote:parent_and_readers", limits=limits)

    assert parent == workers._zygote().process.pid != first_parent
    assert readers == list(READERS)


def test_a_worker_asked_of_a_zygote_that_has_just_gone_is_a_fresh_interpreter(limits, monkeypatch):
    gone = zygote.Zygote()
    gone.process.kill()
    gone.process.wait()
    monkeypatch.setattr(workers, "_zygote", lambda: gone)  # it went after the pool looked

    parent, readers = workers.run("robust.test_zygote:parent_and_readers", limits=limits)

    assert parent == os.getpid()  # started by this process, as a fresh interpreter
    assert readers == []  # which imports its own reader's module alone


def test_the_zygote_ends_when_its_parent_has_gone():
    started = subprocess.run(
        [
            sys.executable,
            "-c",
            "from mailbot import workers; workers.start_zygote(); print(workers._zygote().process.pid)",
        ],
        capture_output=True,
        text=True,
        check=True,
        cwd=PROJECT_ROOT,
    )
    try:
        watching = os.pidfd_open(int(started.stdout.strip()))
    except ProcessLookupError:
        return  # already gone
    try:
        assert select.select([watching], [], [], 60)[0]
    finally:
        os.close(watching)


def test_a_poll_starts_the_zygote_before_it_loads_the_application(tmp_path):
    """Its imports go on beside the command's own: started once the application is loaded, the workers' start
    would follow the command's instead."""
    probe = (
        "import sys\n"
        "from mailbot import zygote\n"
        "started = zygote.Zygote.__init__\n"
        "def noted(self):\n"
        "    print('zygote started', 'after' if 'mailbot.app' in sys.modules else 'before', 'the application')\n"
        "    started(self)\n"
        "zygote.Zygote.__init__ = noted\n"
        "sys.argv = ['mailbot', 'poll', '--once']\n"
        "from mailbot.cli import main\n"
        "main()\n"
    )
    env = dict(
        os.environ,
        MAILBOT_INBOX_URL=f"maildir://{tmp_path / 'inbox'}",
        MAILBOT_SMTP_URL=f"file://{tmp_path / 'outbox'}",
        MAILBOT_DB_URL=f"sqlite:///{tmp_path / 'mailbot.db'}",
    )
    for sub in ("new", "cur", "tmp"):
        (tmp_path / "inbox" / sub).mkdir(parents=True)
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env, cwd=PROJECT_ROOT)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0] == "zygote started before the application"


def test_the_zygote_imports_the_reader_the_poll_uses():
    from mailbot.reading import whole

    assert zygote.PRELOAD == whole.READER.partition(":")[0]


def test_forking_is_what_this_system_offers():
    """The tests above fork on Linux; elsewhere the pool starts fresh interpreters (tests/robust/test_worker_pool)."""
    assert zygote.available() == sys.platform.startswith("linux")
