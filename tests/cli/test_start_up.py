"""A command pays at start only for what it uses: heavy libraries are imported where they are needed."""

import importlib.util
import json
import os
import sqlite3
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# libraries a poll does not need before it reads a file of that kind, or that only other commands use
NOT_AT_START = (
    "alembic",  # only when a store is not at the head revision
    "pandas",
    "openpyxl",
    "matplotlib",
    "weasyprint",
    "playwright",
    "xlsxwriter",
    "numpy",
    "PIL",
    "starlette",
    "uvicorn",
    "sqlalchemy.dialects.postgresql",  # only with a PostgreSQL store
)


# mailbot's own rooms, and what they import, that only reading, answering, reporting or the console need: a poll
# that finds nothing new and a status load none of them
NOT_FOR_SHORT_COMMANDS = (
    "mailbot.reading",  # the readers (and with them sheets/, the document readers, email parsing)
    "mailbot.reading.whole",
    "mailbot.sheets",
    "mailbot.routing",
    "mailbot.replies",
    "mailbot.compose",
    "mailbot.report",
    "jinja2",
    "mailbot.message_view",
    "mailbot.accounts",  # the console's users
    "argon2",
    "python_calamine",
)


def loaded_after(code: str) -> list[str]:
    """The NOT_AT_START modules a fresh interpreter holds after running `code`."""
    probe = f"{code}\nimport json, sys\nprint(json.dumps([m for m in {list(NOT_AT_START)!r} if m in sys.modules]))"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_command_line_starts_without_the_heavy_libraries():
    assert loaded_after("import mailbot.cli") == []


def test_a_new_store_and_a_store_at_the_head_revision_open_without_alembic(tmp_path):
    url = f"sqlite:///{tmp_path / 'mailbot.db'}"
    open_store = f"from mailbot.store import Store\nStore.open({url!r}).close()"
    assert "alembic" not in loaded_after(open_store)  # a new store is made at the head from the code's tables
    assert "alembic" not in loaded_after(open_store)  # then found at the head by one SELECT
    older = f"sqlite:///{tmp_path / 'older.db'}"
    upgrade_older = (
        "from mailbot.store import Store, migrate\nfrom mailbot.store.engine import create_engine\n"
        f"engine = create_engine({older!r}, 'vi')\nmigrate.upgrade_to(engine, '0005')\nengine.dispose()\n"
        f"Store.open({older!r}).close()"
    )
    assert "alembic" in loaded_after(upgrade_older)  # a store at an older revision is upgraded by the revisions


def test_the_head_read_from_the_files_is_alembics():
    from mailbot.store import migrate

    assert migrate.head_revision() == migrate.alembic_head()


def test_the_command_line_is_loaded_without_collecting_then_frozen():
    """What the command line loads lives as long as the command: the collector neither runs while it loads nor
    walks it afterwards (at every full collection of a long poll, and at exit). For `python -m mailbot` and the
    `mailbot` command alike."""
    probe = (
        "import gc, sys\n"
        "seen = []\n"
        "class Probe:\n"
        "    @staticmethod\n"
        "    def find_spec(name, path=None, target=None):\n"
        "        seen.append(gc.isenabled()) if name == 'mailbot.cli' else None\n"
        "sys.meta_path.insert(0, Probe)\n"
        "sys.argv = ['mailbot', '--help']\n"
        "from mailbot.__main__ import run\n"
        "try:\n"
        "    run()\n"
        "except SystemExit:\n"
        "    pass\n"
        "import json\n"
        "print(json.dumps([seen, gc.get_freeze_count(), gc.isenabled()]))\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, check=True)
    seen, frozen, enabled = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen == [False], "the collector ran while the command line was loaded"
    assert frozen > 10_000 and enabled
    with open(ROOT / "pyproject.toml", "rb") as handle:
        assert tomllib.load(handle)["project"]["scripts"]["mailbot"] == "mailbot.__main__:run"


# what only the commands that open the store need: help, a usage error and a check of the configuration start
# without them
STORE_AND_APPLICATION = ("mailbot.app", "mailbot.service", "mailbot.store", "sqlalchemy")


def loaded_by_command(
    args: list[str], env: dict[str, str], cwd: Path, watched: tuple[str, ...] = NOT_FOR_SHORT_COMMANDS, code: int = 0
) -> list[str]:
    """The `watched` modules a `mailbot ARGS` run as the `mailbot` command holds when it is done."""
    probe = (
        "import json, sys\n"
        f"sys.argv = ['mailbot', *{args!r}]\n"
        "from mailbot.__main__ import run\n"
        "try:\n"
        "    run()\n"
        "except SystemExit as exc:\n"
        f"    assert (exc.code or 0) == {code}, exc.code\n"
        f"print(json.dumps([m for m in {list(watched)!r} if m in sys.modules]))\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=cwd, env=env)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("module", NOT_FOR_SHORT_COMMANDS + STORE_AND_APPLICATION)
def test_the_modules_left_for_later_exist(module):
    """A module renamed or gone would make the checks below pass for nothing."""
    assert importlib.util.find_spec(module) is not None


def short_command_env(tmp_path: Path) -> dict[str, str]:
    """The shipped campaign over an empty Maildir inbox, a file outbox and a SQLite store in `tmp_path`."""
    inbox = tmp_path / "inbox"
    for folder in ("new", "cur", "tmp"):
        (inbox / folder).mkdir(parents=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAILBOT_") and k != "STATE_DIRECTORY"}
    env.update(
        MAILBOT_CONFIG=str(ROOT / "config" / "mailbot.toml"),
        MAILBOT_INBOX_URL=f"maildir://{inbox}",
        MAILBOT_SMTP_URL=f"file://{tmp_path / 'outbox'}",
        MAILBOT_DB_URL=f"sqlite:///{tmp_path / 'mailbot.db'}",
    )
    return env


@pytest.mark.parametrize("command", [["poll", "--once"], ["status"], ["check-config"]])
def test_a_short_command_loads_no_reader_composer_report_or_console(tmp_path, command):
    """An empty poll, a status and a check of the configuration load only what they use: the readers, the
    composer of answers, the report and the console's accounts are imported by the code that needs them."""
    env = short_command_env(tmp_path)
    if command != ["poll", "--once"]:
        assert loaded_by_command(["poll", "--once"], env, tmp_path) == []  # the store the command looks at
    assert loaded_by_command(command, env, tmp_path) == []


# what reading a mail loads: the readers, sheets/ under them and the spreadsheet library; its workers need them, the
# poll's own process (which hands the mail over, stores and answers) does not
READERS = ("mailbot.reading.message", "mailbot.reading.content", "mailbot.sheets", "python_calamine")


def test_a_poll_that_reads_mail_leaves_the_readers_to_its_workers(tmp_path):
    """The poll's own process hands each mail to a reading worker and gets its reading back: it loads the
    parent's side of the reading (mailbot.reading.whole) and what answering needs, never the readers."""
    env = short_command_env(tmp_path)
    mail = (ROOT / "tests" / "reading" / "corpus" / "eml_authenticated_pass.eml").read_bytes()
    (tmp_path / "inbox" / "new" / "1.report").write_bytes(mail)
    watched = (*READERS, "mailbot.reading.whole", "mailbot.compose")
    assert loaded_by_command(["poll", "--once"], env, tmp_path, watched) == ["mailbot.reading.whole", "mailbot.compose"]
    with sqlite3.connect(tmp_path / "mailbot.db") as db:  # it was read and stored
        assert db.execute("SELECT count(*) FROM submissions").fetchone() == (1,)


@pytest.mark.parametrize("module", READERS)
def test_the_readers_left_to_the_workers_exist(module):
    """A reader renamed or gone would make the check above pass for nothing."""
    assert importlib.util.find_spec(module) is not None


def test_a_reading_worker_loads_the_readers_before_its_first_mail():
    """The worker's start imports the module of the reader it was started for, and the readers with it: the first
    mail's wall-clock limit does not pay for them."""
    from mailbot import app

    probe = (
        "import json, sys\n"
        "from mailbot import workers\n"
        f"workers._preload({app.WHOLE_READER.partition(':')[0]!r})\n"
        f"print(json.dumps([m for m in {list(READERS)!r} if m in sys.modules]))\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, check=True)
    assert json.loads(done.stdout.strip().splitlines()[-1]) == list(READERS)


@pytest.mark.parametrize(
    ("command", "code"),
    [
        (["--help"], 0),
        (["poll", "--help"], 0),
        (["check-config"], 0),
        (["no-such-command"], 2),
        (["--no-such-option"], 2),
    ],
)
def test_help_usage_errors_and_check_config_start_without_the_store(tmp_path, command, code):
    """The application layer, the store and SQLAlchemy are loaded by the commands that open the store."""
    env = short_command_env(tmp_path)
    assert loaded_by_command(command, env, tmp_path, STORE_AND_APPLICATION, code) == []
    assert loaded_by_command(["status"], env, tmp_path, STORE_AND_APPLICATION) == list(STORE_AND_APPLICATION)


def test_a_command_loads_the_application_layer_without_collecting_then_frozen(tmp_path):
    """Loaded by the command that uses it rather than at start, the application layer is still loaded as the
    command line is: with the collector paused, and frozen after."""
    probe = (
        "import gc, json, sys\n"
        "seen = []\n"
        "class Probe:\n"
        "    @staticmethod\n"
        "    def find_spec(name, path=None, target=None):\n"
        "        seen.append((name, gc.isenabled())) if name in ('mailbot.app', 'sqlalchemy') else None\n"
        "sys.meta_path.insert(0, Probe)\n"
        "sys.argv = ['mailbot', 'status']\n"
        "from mailbot.__main__ import run\n"
        "frozen_at_start = []\n"
        "import mailbot.cli\n"
        "frozen_at_start.append(gc.get_freeze_count())\n"
        "try:\n"
        "    run()\n"
        "except SystemExit as exc:\n"
        "    assert not exc.code, exc.code\n"
        "print(json.dumps([seen, frozen_at_start[0], gc.get_freeze_count(), gc.isenabled()]))\n"
    )
    env = short_command_env(tmp_path)
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=tmp_path, env=env)
    assert done.returncode == 0, done.stderr
    seen, frozen_before, frozen_after, enabled = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen == [["mailbot.app", False], ["sqlalchemy", False]], "the collector ran while the store was loaded"
    assert frozen_after > frozen_before + 10_000 and enabled
