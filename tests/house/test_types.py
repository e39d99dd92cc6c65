"""The type gate: mypy agrees with the whole package.

The strictness is chosen in pyproject.toml ([tool.mypy]); an error fails the suite,
so the types keep saying what the code guarantees.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_mypy_finds_nothing():
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--no-error-summary"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
