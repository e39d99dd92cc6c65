"""`mailbot … --help` in the configured language.

Typer takes each command's and option's help from the code, in English; before the
command line is parsed, these texts are replaced by the catalogue's `[help]` entries
(templates/<language>/help.toml) in the language of the configuration the command
would use. Where the configuration cannot be read, the default language is used:
the command itself then says what is wrong with it.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from mailbot.config import DEFAULT_LANGUAGE, LANGUAGES, read_toml, resolve_config_path
from mailbot.errors import MailbotError
from mailbot.i18n import catalogue

Command = Any  # typer.main.get_command's: a click Command of typer's own private copy of click
ANY = "*"  # an entry for an option or argument of any command


def help_language(argv: Sequence[str]) -> str:
    """The `language` of the configuration named by --config, $MAILBOT_CONFIG or the default."""
    given = None
    for number, word in enumerate(argv):
        if word == "--config" and number + 1 < len(argv):
            given = argv[number + 1]
        elif word.startswith("--config="):
            given = word.split("=", 1)[1]
    try:
        language = read_toml(resolve_config_path(given, os.environ)).get("language", DEFAULT_LANGUAGE)
    except MailbotError:
        return DEFAULT_LANGUAGE
    return language if language in LANGUAGES else DEFAULT_LANGUAGE


def localize(command: Command, lang: str) -> None:
    """Replace the help of `command`, its parameters and its subcommands with the catalogue's."""
    _localize(command, "", catalogue(lang).get("help", {}))


def _localize(command: Command, path: str, texts: dict[str, str]) -> None:
    own = texts.get(path or "mailbot")
    if own:
        command.help = own
        command.short_help = None
    for param in command.params:
        name = param.opts[0] if param.opts and param.opts[0].startswith("-") else param.name
        found = texts.get(f"{path} {name}".strip()) or texts.get(f"{ANY} {name}")
        if found and hasattr(param, "help"):
            param.help = found
    for name, sub in getattr(command, "commands", {}).items():
        _localize(sub, f"{path} {name}".strip(), texts)
