"""`mailbot … --help` speaks the configured language, Vietnamese by default."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import typer

from mailbot.cli import app
from mailbot.i18n import catalogue

ROOT = Path(__file__).resolve().parents[2]
COMMANDS = [
    [],
    ["status"],
    ["report"],
    ["poll"],
    ["parse"],
    ["history"],
    ["web"],
    ["review"],
    ["review", "accept"],
    ["review", "correct"],
    ["review", "assign"],
    ["outbox", "retry"],
    ["user"],
    ["user", "add"],
    ["user", "token"],
    ["record"],
    ["template"],
]


def mailbot_help(words, tmp_path, *config, **extra_env):
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "COLUMNS": "200", **extra_env}
    result = subprocess.run(
        [sys.executable, "-m", "mailbot", *words, *config, "--help"],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr
    return " ".join(result.stdout.replace("│", " ").split())


def english_config(tmp_path) -> Path:
    path = tmp_path / "english.toml"
    text = (ROOT / "config/mailbot.toml").read_text(encoding="utf-8")
    path.write_text(text.replace('language = "vi"', 'language = "en"', 1), encoding="utf-8")
    return path


@pytest.mark.parametrize("words", COMMANDS, ids=lambda w: " ".join(w) or "mailbot")
def test_help_is_vietnamese_by_default_and_english_by_setting(words, tmp_path):
    key = " ".join(words) or "mailbot"
    shown = mailbot_help(words, tmp_path)
    assert catalogue("vi")["help"][key] in shown
    english = mailbot_help(words, tmp_path, MAILBOT_CONFIG=str(english_config(tmp_path)))
    assert catalogue("en")["help"][key] in english and catalogue("vi")["help"][key] not in english


def test_the_config_option_chooses_the_language_of_help(tmp_path):
    shown = mailbot_help(["status"], tmp_path, "--config", str(english_config(tmp_path)))
    assert catalogue("en")["help"]["* --date"] in shown


def test_options_shared_by_commands_are_worded_once(tmp_path):
    shown = mailbot_help(["review", "reject"], tmp_path)
    for key in ("* --reason", "* --by", "* --config", "* submission_id"):
        assert catalogue("vi")["help"][key] in shown


def test_an_unreadable_configuration_leaves_help_in_the_default_language(tmp_path):
    shown = mailbot_help(["status"], tmp_path, "--config", str(tmp_path / "missing.toml"))
    assert catalogue("vi")["help"]["status"] in shown


def help_keys(command, path: str = ""):
    """(the command's key, its parameters' keys) for `command` and every subcommand, as mailbot.cli.help looks them up."""
    names = [p.opts[0] if p.opts and p.opts[0].startswith("-") else p.name for p in command.params]
    yield path or "mailbot", [f"{path} {name}".strip() for name in names if name not in TYPER_OWN]
    for name, sub in getattr(command, "commands", {}).items():
        yield from help_keys(sub, f"{path} {name}".strip())


TYPER_OWN = ("--help", "--install-completion", "--show-completion")


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_every_command_and_option_has_words_in_each_language(lang):
    texts = catalogue(lang)["help"]
    missing = []
    for command, params in help_keys(typer.main.get_command(app)):
        missing += [command] if command not in texts else []
        missing += [key for key in params if key not in texts and f"* {key.rsplit(' ', 1)[-1]}" not in texts]
    assert missing == []


def test_the_figure_received_by_telephone_names_who_received_it(tmp_path):
    shown = mailbot_help(["record"], tmp_path)
    assert catalogue("vi")["help"]["record --by"] in shown and catalogue("vi")["help"]["* --by"] not in shown
