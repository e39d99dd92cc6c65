"""Words a person reads, in the configured language.

The catalogues are TOML files in templates/<language>/ (every *.toml there is
merged); each top-level table is a section such as [problems] or [states]. Code
asks for `text("states.late", lang)`; a missing key is a programming error and
raises, so that no person ever sees a raw key.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from datetime import date, datetime
from functools import cache
from typing import Protocol, TypeVar

from mailbot.errors import MailbotError
from mailbot.models import Problem, Source
from mailbot.resources import templates_dir

E = TypeVar("E", bound=MailbotError)

TEMPLATES_DIR = templates_dir()


def languages() -> tuple[str, ...]:
    """Every language with catalogues: a folder templates/<language>/ of *.toml files."""
    return tuple(sorted(p.name for p in TEMPLATES_DIR.iterdir() if p.is_dir() and any(p.glob("*.toml"))))


@cache
def catalogue(lang: str) -> dict:
    merged: dict = {}
    for path in sorted((TEMPLATES_DIR / lang).glob("*.toml")):
        with open(path, "rb") as handle:
            for section, entries in tomllib.load(handle).items():
                merged.setdefault(section, {}).update(entries)
    if not merged:
        raise LookupError(f"no message catalogue for language {lang!r} in {TEMPLATES_DIR / lang}")
    return merged


def text(key: str, lang: str, **params: object) -> str:
    """The catalogue entry `section.name`, formatted with params."""
    section, _, name = key.partition(".")
    try:
        template = catalogue(lang)[section][name]
    except KeyError:
        raise KeyError(f"message {key!r} missing from templates/{lang}/") from None
    return template.format(**params) if params else template


class HasLanguage(Protocol):
    @property
    def language(self) -> str: ...


def section_texts(section: str = "") -> Callable[..., str]:
    """`t(settings, "key", **params)`: the entry `section.key` (or `key`) in the settings' language."""

    def t(settings: HasLanguage, key: str, **params: object) -> str:
        return text(f"{section}.{key}" if section else key, settings.language, **params)

    return t


def error(kind: type[E], key: str, lang: str, **params: object) -> E:
    """A `kind` error saying the catalogue entry `key` in `lang`, with `<key>_hint` as its hint.

    Both are formatted with the same params and kept on one line, as the command prints them.
    """
    message = text(key, lang, **params)
    hint = text(f"{key}_hint", lang, **params)
    return kind(_one_line(message), _one_line(hint))


def _one_line(words: str) -> str:
    return " ".join(words.splitlines())


def problem(code: str, lang: str, where: str | None = None, **params: object) -> Problem:
    """A Problem whose message says, in `lang`, what is wrong and how to fix it."""
    params.setdefault("where", where or "")
    return Problem(code=code, message=text(f"problems.{code}", lang, **params), where=where)


def format_count(value: int | None, lang: str) -> str:
    """70635 -> "70.635" in Vietnamese, "70,635" in English."""
    if value is None:
        return "–"
    return _separated(f"{value:,}", lang)


def format_percent(value: float | None, lang: str, digits: int = 2) -> str:
    """16.7276 -> "16,73%" in Vietnamese, "16.73%" in English."""
    if value is None:
        return "–"
    return text("format.percent", lang, number=_separated(f"{value:.{digits}f}", lang))


def format_day(day: date | None, lang: str) -> str:
    """A day as the letter writes it: "14/8/2020" in Vietnamese, "14/08/2020" in English."""
    if day is None:
        return "–"
    return text("format.day", lang, day=day.day, month=day.month, year=day.year)


def state_name(state: str, lang: str, in_force: bool = False) -> str:
    """A status or a unit's state as a person reads it ("Muộn", "Chờ kiểm tra").

    With `in_force`, a review decision in force worded to follow "was already" / "đã"
    ("được chấp nhận"), as an error about overturning it says it.
    """
    return text(f"errors.state_{state}" if in_force else f"states.{state}", lang)


def format_time(moment: datetime | None, lang: str) -> str:
    """A local arrival time as staff write it: "15:42 14/8/2020" (Vietnamese), "14/08/2020 15:42" (English)."""
    if moment is None:
        return "–"
    return text("format.time", lang, clock=moment.strftime("%H:%M"), day=format_day(moment.date(), lang))


def _separated(number: str, lang: str) -> str:
    """A number formatted with "," between thousands and "." before decimals, in `lang`'s separators."""
    thousands, decimal = text("format.thousands_separator", lang), text("format.decimal_separator", lang)
    separators: dict[str, str | int | None] = {",": thousands, ".": decimal}
    return number.translate(str.maketrans(separators))


def where_read(source: Source, lang: str) -> str:
    """Where a figure was read, as a person looks for it: "ô C24, trang tính "Báo cáo", tệp BC.xlsx"."""
    if source.cell:
        key = "reading.source_range" if ":" in source.cell else "reading.source_cell"
        return text(key, lang, cell=source.cell, sheet=source.sheet or "", file=source.file or "")
    if source.line is not None and source.file:
        return text("reading.source_file_line", lang, line=source.line, file=source.file)
    if source.line is not None:
        return text("reading.source_mail_line", lang, line=source.line)
    return text("reading.source_file", lang, file=source.file or "")
