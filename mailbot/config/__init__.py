"""TOML configuration plus environment -> frozen settings.

Every mistake in the file is reported as one ConfigError naming the key, what is
wrong with it and how to fix it. Secrets come only from the environment or the
URLs in it, and the settings never show them in their repr.
"""

from __future__ import annotations

import hashlib
import math
import os
import pickle
import tomllib
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from mailbot import i18n
from mailbot.config import mailboxes, settings
from mailbot.config.deployment import campaign_files, joined
from mailbot.config.reader import TomlReader
from mailbot.config.settings import *  # noqa: F403  (the settings' records and defaults, see settings.__all__)
from mailbot.config.settings import (
    DEFAULT_CONFIG_PATH,
    DEFAULT_DB_URL,
    DEFAULT_INBOX_URL,
    DEFAULT_LANGUAGE,
    DEFAULT_SMTP_URL,
    EMAIL_RE,
    Connections,
    Settings,
    redact_url,
    stated_language,
    url_password,
)
from mailbot.defaults import (
    SMTP_CONNECTIONS,
    SMTP_LONGEST_TIMEOUT_SECONDS,
    SMTP_MOST_CONNECTIONS,
    SMTP_TIMEOUT_SECONDS,
)
from mailbot.errors import ConfigError
from mailbot.resources import shipped_campaign

INBOX_SCHEMES = ("imap", "imap+starttls", "imaps", "maildir")

__all__ = [*settings.__all__, "EMAIL_RE", "chosen_campaign", "connections_from_env", "load_settings"]


# --- loading ----------------------------------------------------------------


def load_settings(
    path: str | os.PathLike | None = None, env: Mapping[str, str] | None = None, campaign: str | None = None
) -> Settings:
    """Read the configuration and the environment; raise ConfigError on any mistake.

    The configuration is a campaign file, or several campaigns sharing the mailbox (a
    folder of campaign files, or a file listing them: see config/deployment.py). The
    settings returned are those of campaign `campaign` (default: the first), with the
    others as its siblings. Mistakes are reported in the language the file states, once
    it has been parsed and if that language is supported; before that, in the default language.
    """
    env = os.environ if env is None else env
    config_path = resolve_config_path(path, env)
    data = None if config_path.is_dir() else read_toml(config_path)
    files = campaign_files(config_path, data, stated_language(data))
    if not files.several:
        settings = mailboxes.assigned([_campaign_settings(config_path, data or {}, env)], {}, None)[0]
    else:
        campaigns = [_campaign_settings(p, read_toml(p), env) for p in files.paths]
        declared = _declared_mailboxes(config_path, data, env, campaigns[0].language)
        settings = joined(mailboxes.assigned(campaigns, declared, config_path if data is not None else None))
    return chosen_campaign(settings, campaign)


def _declared_mailboxes(path: Path, data: dict | None, env: Mapping[str, str], lang: str) -> dict:
    """The deployment file's [[mailboxes]] (config/mailboxes.py); a folder declares none."""
    if data is None:
        return {}

    def checked(variable: str, url: str) -> str:
        _check_scheme(variable, url, INBOX_SCHEMES, lang)
        _check_shape(variable, url, lang)
        return anchored(url, state_directory(env))

    return mailboxes.declared(path, data, env, lang, checked)


def chosen_campaign(settings: Settings, campaign: str | None) -> Settings:
    """The settings of campaign `campaign`; an id the configuration lacks is a usage error naming the ones it has."""
    if campaign is None:
        return settings
    chosen = settings.with_campaign(campaign.strip())
    if chosen is None:
        known = ", ".join(c.campaign.id for c in settings.campaigns)
        raise i18n.error(ConfigError, "deployment.unknown_campaign", settings.language, value=campaign, known=known)
    return chosen


def _campaign_settings(config_path: Path, data: dict, env: Mapping[str, str]) -> Settings:
    reader = TomlReader(data, config_path)
    settings = reader.settings(connections_from_env(env, reader.language))
    override = env.get("MAILBOT_REPORT_TO", "").strip()
    if override:
        recipients = tuple(a.strip().lower() for a in override.split(",") if a.strip())
        for address in recipients:
            if not EMAIL_RE.match(address):
                raise i18n.error(ConfigError, "config.report_to_not_address", settings.language, address=address)
        campaign = replace(settings.campaign, report_to=recipients)
        settings = replace(settings, campaign=campaign)
    return settings


def resolve_config_path(path: str | os.PathLike | None, env: Mapping[str, str]) -> Path:
    chosen = Path(path) if path else Path(env.get("MAILBOT_CONFIG") or DEFAULT_CONFIG_PATH)
    if not path and not env.get("MAILBOT_CONFIG") and not chosen.exists():
        chosen = shipped_campaign()
    return chosen


_parsed: dict[tuple[str, bytes], bytes] = {}  # the last file parsed: its path and content's digest -> its tables


def read_toml(path: Path) -> dict:
    """The file's tables, parsed once per process while its content is the same (the help's language and the
    settings both read the configuration); a copy each time, so a caller may change what it gets."""
    try:
        with open(path, "rb") as handle:
            content = handle.read()
        key = (str(path), hashlib.blake2b(content, digest_size=16).digest())
        if key not in _parsed:
            tables = tomllib.loads(content.decode("utf-8"))
            _parsed.clear()
            _parsed[key] = pickle.dumps(tables)
        return pickle.loads(_parsed[key])
    except UnicodeDecodeError as exc:
        raise i18n.error(ConfigError, "config.not_toml", DEFAULT_LANGUAGE, path=path, reason=exc) from None
    except FileNotFoundError:
        raise i18n.error(ConfigError, "config.not_found", DEFAULT_LANGUAGE, path=path) from None
    except OSError as exc:
        raise i18n.error(ConfigError, "config.unreadable", DEFAULT_LANGUAGE, path=path, reason=exc.strerror) from None
    except tomllib.TOMLDecodeError as exc:
        raise i18n.error(ConfigError, "config.not_toml", DEFAULT_LANGUAGE, path=path, reason=exc) from None


def connections_from_env(env: Mapping[str, str], lang: str = DEFAULT_LANGUAGE) -> Connections:
    """The connection URLs from the environment; a mistake in them is reported in `lang`."""
    inbox_url = env.get("MAILBOT_INBOX_URL") or DEFAULT_INBOX_URL
    smtp_url = env.get("MAILBOT_SMTP_URL") or DEFAULT_SMTP_URL
    db_url = env.get("MAILBOT_DB_URL") or DEFAULT_DB_URL
    _check_scheme("MAILBOT_INBOX_URL", inbox_url, INBOX_SCHEMES, lang)
    _check_scheme("MAILBOT_SMTP_URL", smtp_url, ("smtp", "smtp+starttls", "smtps", "file"), lang)
    _check_scheme("MAILBOT_DB_URL", db_url, ("sqlite", "postgresql", "postgresql+psycopg", "postgres"), lang)
    for variable, url in (("MAILBOT_INBOX_URL", inbox_url), ("MAILBOT_SMTP_URL", smtp_url), ("MAILBOT_DB_URL", db_url)):
        _check_shape(variable, url, lang)
    smtp_connections(smtp_url, lang)
    smtp_timeout(smtp_url, lang)
    base = state_directory(env)
    inbox_url, smtp_url, db_url = (anchored(url, base) for url in (inbox_url, smtp_url, db_url))
    password = env.get("MAILBOT_INBOX_PASSWORD") or url_password(inbox_url)
    return Connections(inbox_url=inbox_url, smtp_url=smtp_url, db_url=db_url, inbox_password=password)


def state_directory(env: Mapping[str, str]) -> Path:
    """Where relative paths in the URLs point: systemd's $STATE_DIRECTORY, else the working folder.

    They are made absolute once, when the settings are read, so nothing later depends
    on the folder mailbot happens to run in.
    """
    given = env.get("STATE_DIRECTORY", "").split(":")[0]
    return Path(given) if given else Path.cwd()


def anchored(url: str, base: Path) -> str:
    """maildir://./var/inbox -> maildir:///BASE/var/inbox (likewise file:// and sqlite:///); others unchanged."""
    scheme, _, rest = url.partition("://")
    if scheme.lower() in ("maildir", "file") and not rest.startswith(("/", "localhost/")):
        return f"{scheme}://{(base / rest).resolve()}"
    path = rest[1:].split("?", 1)[0]
    if scheme.lower() == "sqlite" and rest.startswith("/") and path and path != ":memory:" and path[0] != "/":
        return f"{scheme}:///{(base / rest[1:]).resolve()}"
    return url


def smtp_connections(url: str, lang: str = DEFAULT_LANGUAGE) -> int:
    """How many connections mail may go out over at once: the SMTP URL's ?connections=N (1 for a server
    that takes one connection per client), else SMTP_CONNECTIONS."""
    given = parse_qs(urlsplit(url).query).get("connections", [str(SMTP_CONNECTIONS)])[-1]
    if not (given.isascii() and given.isdigit() and 1 <= int(given) <= SMTP_MOST_CONNECTIONS):
        raise i18n.error(
            ConfigError, "config.smtp_connections", lang, url=redact_url(url), given=given, most=SMTP_MOST_CONNECTIONS
        )
    return int(given)


def smtp_timeout(url: str, lang: str = DEFAULT_LANGUAGE) -> float:
    """How long, in seconds, to wait for the SMTP server at each step: the SMTP URL's ?timeout=S, else
    SMTP_TIMEOUT_SECONDS."""
    given = parse_qs(urlsplit(url).query, keep_blank_values=True).get("timeout", [str(SMTP_TIMEOUT_SECONDS)])[-1]
    try:
        seconds = float(given)
    except ValueError:
        seconds = math.nan
    if not (0 < seconds <= SMTP_LONGEST_TIMEOUT_SECONDS):  # not a number, none, or more than a day
        raise i18n.error(ConfigError, "config.smtp_timeout", lang, url=redact_url(url), given=given)
    return seconds


def _check_shape(variable: str, url: str, lang: str) -> None:
    """A URL that cannot name anything (one slash, no host) stops mailbot at start."""
    scheme, sep, rest = url.partition("://")
    host_needed = scheme.lower() in ("imap", "imap+starttls", "imaps", "smtp", "smtp+starttls", "smtps")
    if not sep or not rest or (host_needed and not urlsplit(url).hostname):
        raise i18n.error(ConfigError, "config.url_malformed", lang, variable=variable, url=redact_url(url))


def _check_scheme(variable: str, url: str, schemes: tuple[str, ...], lang: str) -> None:
    scheme = urlsplit(url).scheme.lower()
    if scheme not in schemes:
        raise i18n.error(
            ConfigError,
            "config.unsupported_scheme",
            lang,
            variable=variable,
            url=redact_url(url),
            scheme=scheme,
            schemes=", ".join(f"{s}://" for s in schemes),
        )
