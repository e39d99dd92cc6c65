"""The interfaces are thin: cli/ and web/ reach nothing below the application layer."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "mailbot"
# What an interface may import from mailbot: the application layer, the settings, the
# error types, what it needs to print (the records and the catalogues), the set-up of
# the log it prints to (which the command does before it knows whether it needs the
# application layer at all), the console it starts (`mailbot web`), and the part of the application layer a
# command starts before it loads the rest (mailbot.ahead: the reading workers' zygote, beside that loading).
ALLOWED = {
    "mailbot.ahead",
    "mailbot.app",
    "mailbot.config",
    "mailbot.errors",
    "mailbot.i18n",
    "mailbot.logs",
    "mailbot.models",
    "mailbot.web",
}


def mailbot_imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("mailbot"):
            if node.module == "mailbot":
                found.update(f"mailbot.{alias.name}" for alias in node.names)
            else:
                found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("mailbot"))
    return found


@pytest.mark.parametrize("room", ["cli", "web"])
def test_interfaces_reach_only_the_application_layer(room):
    files = sorted((PACKAGE / room).rglob("*.py"))
    assert files, f"mailbot/{room}/ has no modules"
    own = f"mailbot.{room}"
    below = {
        str(path.relative_to(PACKAGE)): sorted(
            m for m in mailbot_imports(path) if m not in ALLOWED and not m.startswith(own)
        )
        for path in files
    }
    assert {k: v for k, v in below.items() if v} == {}
