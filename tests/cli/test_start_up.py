"""A command pays at start only for what it uses: heavy libraries are imported where they are needed."""

import json
import subprocess
import sys
import tomllib
from pathlib import Path

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


def loaded_after(code: str) -> list[str]:
    """The NOT_AT_START modules a fresh interpreter holds after running `code`."""
    probe = f"{code}\nimport json, sys\nprint(json.dumps([m for m in {list(NOT_AT_START)!r} if m in sys.modules]))"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_command_line_starts_without_the_heavy_libraries():
    assert loaded_after("import mailbot.cli") == []


def test_a_store_at_the_head_revision_opens_without_alembic(tmp_path):
    url = f"sqlite:///{tmp_path / 'mailbot.db'}"
    open_store = f"from mailbot.store import Store\nStore.open({url!r}).close()"
    assert "alembic" in loaded_after(open_store)  # a new store is created by the migrations
    assert "alembic" not in loaded_after(open_store)  # then found at the head by one SELECT


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
