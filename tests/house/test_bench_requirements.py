"""bench/run.py says what it lacks before it starts: the bench extra's requirements, from mailbot's own metadata."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from bench import requirements

ROOT = Path(__file__).resolve().parents[2]


def test_the_requirements_of_the_extra_that_are_absent_or_too_old_are_named():
    declared = [
        'mailbot-no-such-package>=1.0; extra == "bench"',
        'pytest>=1; extra == "bench"',
        'pytest>=999; extra == "bench"',
        'pytest>=999; extra == "test"',  # another extra's
        "pytest>=999",  # mailbot's own: installed with it
        'pytest>=999; python_version >= "3"',  # mailbot's own too
    ]

    absent = requirements.missing_from(declared, "bench")

    assert absent[0] == "mailbot-no-such-package>=1.0"
    assert absent[1].startswith("pytest>=999 (") and absent[1].endswith(" is installed)")
    assert len(absent) == 2


def test_the_extra_the_suite_runs_with_is_found_installed():
    assert requirements.missing("test") == []


def test_a_run_that_lacks_a_requirement_stops_at_once_with_the_command_that_installs_it(tmp_path):
    # a copy of mailbot's metadata that asks for a package no one has: the run reads it and stops
    hidden = tmp_path / "site"
    hidden.mkdir()
    (hidden / "sitecustomize.py").write_text(
        "from importlib import metadata\n"
        "real = metadata.requires\n"
        "metadata.requires = lambda name: real(name) + ['mailbot-no-such-package>=1; extra == \"bench\"']\n"
    )
    env = {"PYTHONPATH": str(hidden), "PATH": "/usr/bin:/bin"}
    results = (ROOT / "bench" / "RESULTS.md").read_bytes()

    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "run.py"), "--n", "1"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert done.returncode == 1
    assert "needs the bench extra; not installed: " in done.stderr
    assert "mailbot-no-such-package>=1" in done.stderr
    assert "Install it: .venv/bin/pip install -e '.[bench]'" in done.stderr
    assert (ROOT / "bench" / "RESULTS.md").read_bytes() == results  # nothing ran, nothing was written
