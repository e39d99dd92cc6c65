"""docs/ is the project's reference: it names every command and problem code, and
every page the code cites exists."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import typer

from mailbot.cli import app
from mailbot.config import Campaign, InboxOptions, Limits, Metric, Schedule, Unit, Validation, WebOptions
from mailbot.models import ProblemCode

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"


def command_lines(group, prefix: str = "mailbot") -> list[str]:
    """`mailbot review accept` and the like, for every command the console script has."""
    lines = []
    for name, command in group.commands.items():
        if command.hidden:
            continue
        if hasattr(command, "commands"):  # a group of subcommands
            lines += command_lines(command, f"{prefix} {name}")
        else:
            lines.append(f"{prefix} {name}")
    return lines


def test_every_command_is_in_the_reference():
    commands = (DOCS / "commands.md").read_text(encoding="utf-8")
    missing = [line for line in command_lines(typer.main.get_command(app)) if f"`{line}" not in commands]
    assert missing == [], "add them to docs/commands.md"


def test_every_problem_code_is_in_the_reference():
    problems = (DOCS / "problems.md").read_text(encoding="utf-8")
    assert [code.value for code in ProblemCode if f"| `{code.value}` |" not in problems] == []


def test_every_page_the_code_cites_exists():
    cited = set()
    for path in [*(ROOT / "mailbot").rglob("*.py"), *(ROOT / "templates").rglob("*.toml")]:
        cited.update(re.findall(r"docs/([\w-]+\.md)", path.read_text(encoding="utf-8")))
    assert cited and sorted(page for page in cited if not (DOCS / page).exists()) == []


def test_every_setting_is_in_the_reference():
    settings = (DOCS / "settings.md").read_text(encoding="utf-8")
    kinds = (Campaign, Metric, Unit, Schedule, Validation, Limits, InboxOptions, WebOptions)
    names = {f.name for kind in kinds for f in dataclasses.fields(kind)} - {"metrics"}  # [[metrics]] is a table
    assert sorted(name for name in names if f"`{name}`" not in settings) == [], "add them to docs/settings.md"
