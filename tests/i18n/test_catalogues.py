"""Every message exists in Vietnamese and in English, with the same placeholders."""

import re
import string
import tomllib
from pathlib import Path

import pytest

from mailbot import i18n
from mailbot.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "templates"
FILES = sorted(path.name for path in (TEMPLATES / "vi").glob("*.toml"))


def entries(lang: str, name: str) -> dict[str, str]:
    """Every "section.key" of one catalogue file with its text."""
    with open(TEMPLATES / lang / name, "rb") as handle:
        data = tomllib.load(handle)
    return {f"{section}.{key}": text for section, table in data.items() for key, text in table.items()}


def placeholders(text: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(text) if field is not None}


def test_both_languages_have_the_same_catalogue_files():
    assert FILES and FILES == sorted(path.name for path in (TEMPLATES / "en").glob("*.toml"))


@pytest.mark.parametrize("name", FILES)
def test_every_key_exists_in_both_languages_with_the_same_placeholders(name):
    vietnamese, english = entries("vi", name), entries("en", name)
    assert sorted(set(vietnamese) - set(english)) == [], "missing in templates/en/"
    assert sorted(set(english) - set(vietnamese)) == [], "missing in templates/vi/"
    differing = [key for key in vietnamese if placeholders(vietnamese[key]) != placeholders(english[key])]
    assert differing == []


# The catalogue keys the code names literally: i18n.error(Kind, "section.key", ...), the
# configuration reader's self.fail(key, "problem", ...) and the outbox's self._error("key", ...).
ERROR_KEY_PATTERNS = [
    (re.compile(r'i18n\.error\(\s*\w+,\s*"(\w+\.\w+)"'), "{}"),
    (re.compile(r'self\.fail\([^()]*?,\s*"(\w+)"'), "config.{}"),
    (re.compile(r'self\._error\("(\w+)"'), "errors.{}"),
]


def error_keys_in_code() -> set[str]:
    found = set()
    for path in (ROOT / "mailbot").rglob("*.py"):
        source = path.read_text(encoding="utf-8")
        for pattern, key in ERROR_KEY_PATTERNS:
            found.update(key.format(name) for name in pattern.findall(source))
    return found


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_every_error_the_code_raises_has_a_message_and_a_hint(lang):
    keys = error_keys_in_code()
    assert len(keys) > 60  # the patterns still find the calls
    catalogue = {key: text for name in FILES for key, text in entries(lang, name).items()}
    missing = sorted(k for key in keys for k in (key, f"{key}_hint") if k not in catalogue)
    assert missing == []


def test_an_error_is_one_line_even_when_a_detail_is_not():
    error = i18n.error(ConfigError, "config.not_toml", "vi", path="a.toml", reason="first\nsecond")
    assert error.message == "Tệp cấu hình a.toml không đúng cú pháp TOML: first second"
    assert error.hint == "sửa lỗi cú pháp tại dòng được chỉ ra" and error.exit_code == 2
