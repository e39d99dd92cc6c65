"""Batches read ahead (batches.read_ahead) are stored exactly as batches read one after the other are."""

from datetime import datetime

import pytest
from service.test_batches import mails, outcome, settings_of

from mailbot import batches
from mailbot.errors import SourceError
from mailbot.store import Store


@pytest.fixture
def two_stores(tmp_path):
    opened = [Store.open(f"sqlite:///{tmp_path / name}.db") for name in ("in_turn", "ahead")]
    yield opened
    for store in opened:
        store.close()


def ingest(settings, store: Store, source, now: datetime) -> list[bool]:
    answers = batches.Answers(store)
    stored = []
    for batch in batches.read_ahead(settings, store, source):
        stored += [new for _, new in batches.ingest_batch(settings, store, batch, now, answers)]
    return stored


def test_batches_read_ahead_store_and_answer_as_batches_read_in_turn(two_stores):
    settings = settings_of()
    in_turn, ahead = two_stores
    now = datetime(2020, 8, 14, 10, tzinfo=settings.campaign.tz)
    sent = mails(settings)
    answers = batches.Answers(in_turn)
    for start in range(0, len(sent), 2):
        batches.ingest_batch(settings, in_turn, sent[start : start + 2], now, answers)

    stored = ingest(settings, ahead, (sent[start : start + 2] for start in range(0, len(sent), 2)), now)

    assert stored == [True] * len(sent)
    assert outcome(ahead) == outcome(in_turn)


def test_a_batch_is_stored_before_the_failure_to_fetch_the_next_one_is_raised(two_stores):
    settings = settings_of()
    _, store = two_stores
    now = datetime(2020, 8, 14, 10, tzinfo=settings.campaign.tz)
    sent = mails(settings)

    def source():
        yield sent[:2]
        raise SourceError("the connection to the mailbox was lost", "poll again")

    with pytest.raises(SourceError):
        ingest(settings, store, source(), now)

    assert store.counts()["submissions"] == 2


READERS_START_WITH_THE_READING_PACKAGE_LOADED = """
import sys, threading
from pathlib import Path
from mailbot import batches
from mailbot.store import Store
from service.test_batches import mails, settings_of

settings = settings_of()
store = Store.open(sys.argv[1])
message = mails(settings)[0]
paused = Path(sys.argv[2])
held = type(message)(**{**message.__dict__, "raw": message.raw + b"\\r\\nMAILBOT-FAULT:pause\\r\\n"})
ahead = batches.read_ahead(settings, store, iter([[held]]))
begun = next(ahead)
while not (paused / "paused").exists():  # the reader thread has the part, and waits before it reads
    threading.Event().wait(0.02)
print("mailbot.reading.whole" in sys.modules, "mailbot.compose" in sys.modules)
(paused / "go").touch()
begun.read()
"""


def test_the_reader_threads_start_with_the_reading_package_loaded_by_the_poll(tmp_path):
    """Loaded by the reader threads while the poll's thread loads what answering needs (which reaches the reading
    package too), the package's modules that import each other were met half loaded: an ImportError."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    env = dict(os.environ, MAILBOT_READER_FAULTS="1", MAILBOT_FAULT_PAUSE=str(tmp_path), PYTHONPATH=str(root / "tests"))
    probe = subprocess.run(
        [sys.executable, "-c", READERS_START_WITH_THE_READING_PACKAGE_LOADED, f"sqlite:///{tmp_path}/s.db", tmp_path],
        capture_output=True,
        text=True,
        cwd=root,
        env=env,
        timeout=120,
    )
    assert probe.returncode == 0, probe.stderr[-3000:]
    assert probe.stdout.split() == ["True", "False"]  # loaded before the threads read; compose not yet
