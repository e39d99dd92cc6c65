"""The house gates: ruff's lint rules and its formatter agree with the whole tree.

The rules are chosen in pyproject.toml ([tool.ruff]); a finding fails the suite, so
the gate cannot silently drift.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _ruff() -> list[str]:
    beside = Path(sys.executable).with_name("ruff")
    found = str(beside) if beside.exists() else shutil.which("ruff")
    if found is None:
        pytest.fail("ruff is not installed: pip install -e '.[test]'")
    return [found]


def _run(args: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=ROOT, capture_output=True, text=True)


def test_ruff_finds_nothing():
    result = _run([*_ruff(), "check", "--output-format", "concise", "."])
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_tree_is_formatted():
    result = _run([*_ruff(), "format", "--check", "."])
    assert result.returncode == 0, result.stdout + result.stderr
