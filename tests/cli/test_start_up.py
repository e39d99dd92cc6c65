"""A command pays at start only for what it uses: heavy libraries are imported where they are needed."""

import json
import subprocess
import sys
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
