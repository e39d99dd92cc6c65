"""Several mailboxes served by one deployment: the deployment file's `[[mailboxes]]`.

    campaigns = ["mailbot.toml", "departments.toml", "vaccination.toml"]

    [[mailboxes]]
    id = "tiemchung"
    url = "imaps://tiemchung%40haiduong.gov.vn@mail.haiduong.gov.vn/INBOX"  # optional; never a password
    password_file = "/run/credentials/mailbot.service/tiemchung"           # optional

A campaign reads from mailbox `tiemchung` when its file says `mailbox = "tiemchung"` in its
`[inbox]` table; the others read from the environment's mailbox ($MAILBOT_INBOX_URL), as a
deployment of one mailbox does. The address of mailbox ID is $MAILBOT_INBOX_URL_ID (ID in upper
case, hyphens as underscores), else its `url`; its password $MAILBOT_INBOX_PASSWORD_ID, else the
first line of its `password_file` (a secrets file, say systemd's credentials), else the one in
the address from the environment. Each mailbox has its own watcher, mark and lease
(docs/settings.md, "Several mailboxes"); routing chooses among the campaigns of the mailbox a mail arrived in.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import unquote, urlsplit

from mailbot import i18n
from mailbot.config.settings import UNIT_ID_RE, Settings, url_password
from mailbot.errors import ConfigError

MAILBOX_KEYS = {"id", "url", "password_file"}
DEFAULT_PORTS = {"imap": 143, "imap+starttls": 143, "imaps": 993}


@dataclass(frozen=True)
class Mailbox:
    id: str
    url: str
    password: str | None = field(default=None, repr=False)


def env_suffix(mailbox_id: str) -> str:
    """'tiem-chung' -> 'TIEM_CHUNG', as in $MAILBOT_INBOX_URL_TIEM_CHUNG."""
    return mailbox_id.upper().replace("-", "_")


def declared(
    path: Path, data: dict, env: Mapping[str, str], lang: str, checked: Callable[[str, str], str]
) -> dict[str, Mailbox]:
    """The mailboxes the deployment file `path` declares, by id; `checked(variable, url)` checks and anchors a URL."""
    listed = data.get("mailboxes", [])
    if not isinstance(listed, list) or not all(isinstance(entry, dict) for entry in listed):
        raise i18n.error(ConfigError, "deployment.mailboxes_not_tables", lang, path=path)
    found: dict[str, Mailbox] = {}
    for number, entry in enumerate(listed, 1):
        mailbox = _mailbox(path, number, entry, env, lang, checked)
        if mailbox.id in found:
            raise i18n.error(ConfigError, "deployment.mailbox_twice", lang, path=path, value=mailbox.id, number=number)
        found[mailbox.id] = mailbox
    return found


def _mailbox(
    path: Path, number: int, entry: dict, env: Mapping[str, str], lang: str, checked: Callable[[str, str], str]
) -> Mailbox:
    def fail(problem: str, **params: object) -> ConfigError:
        return i18n.error(ConfigError, f"deployment.{problem}", lang, path=path, number=number, **params)

    unknown = sorted(set(entry) - MAILBOX_KEYS)
    if unknown:
        raise fail("mailbox_unknown_key", name=unknown[0], known=", ".join(sorted(MAILBOX_KEYS)))
    mailbox_id = entry.get("id")
    if not isinstance(mailbox_id, str) or not UNIT_ID_RE.match(mailbox_id.strip()):
        raise fail("mailbox_bad_id", value=mailbox_id)
    mailbox_id = mailbox_id.strip()
    suffix = env_suffix(mailbox_id)
    stated = entry.get("url")
    if stated is not None and (not isinstance(stated, str) or url_password(stated.strip()) is not None):
        raise fail("mailbox_password_in_file", value=mailbox_id, variable=suffix)
    url = (env.get(f"MAILBOT_INBOX_URL_{suffix}") or stated or "").strip()
    if not url:
        raise fail("mailbox_no_url", value=mailbox_id, variable=suffix)
    url = checked(f"MAILBOT_INBOX_URL_{suffix}", url)
    password = env.get(f"MAILBOT_INBOX_PASSWORD_{suffix}") or _password_file(path, number, entry, lang)
    return Mailbox(mailbox_id, url, password or url_password(url))


def _password_file(path: Path, number: int, entry: dict, lang: str) -> str | None:
    named = entry.get("password_file")
    if named is None:
        return None
    if not isinstance(named, str) or not named.strip():
        raise i18n.error(ConfigError, "deployment.mailbox_password_file", lang, path=path, number=number, file=named)
    secret = path.parent / named.strip()
    try:
        lines = secret.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise i18n.error(
            ConfigError,
            "deployment.mailbox_password_unreadable",
            lang,
            path=path,
            number=number,
            file=secret,
            reason=exc.strerror or type(exc).__name__,
        ) from None
    return lines[0] if lines and lines[0] else None


def assigned(campaigns: list[Settings], mailboxes: dict[str, Mailbox], declared_in: Path | None) -> list[Settings]:
    """Each campaign with the connections of the mailbox it names; mistakes in one line naming the file and the fix."""
    used: set[str] = set()
    result = []
    for settings in campaigns:
        wanted = settings.inbox.mailbox
        if wanted is None:
            result.append(settings)
            continue
        mailbox = mailboxes.get(wanted)
        if mailbox is None:
            raise _unknown(settings, wanted, mailboxes, declared_in)
        used.add(wanted)
        connections = replace(settings.connections, inbox_url=mailbox.url, inbox_password=mailbox.password)
        result.append(replace(settings, connections=connections))
    lang = campaigns[0].language
    for mailbox_id in mailboxes:
        if mailbox_id not in used:
            raise i18n.error(ConfigError, "deployment.mailbox_unused", lang, path=declared_in, value=mailbox_id)
    _check_addresses(result, declared_in)
    return result


def _unknown(settings: Settings, wanted: str, mailboxes: dict[str, Mailbox], declared_in: Path | None) -> ConfigError:
    if declared_in is None:
        return i18n.error(
            ConfigError, "deployment.mailbox_undeclared", settings.language, path=settings.config_path, value=wanted
        )
    return i18n.error(
        ConfigError,
        "deployment.unknown_mailbox",
        settings.language,
        path=settings.config_path,
        value=wanted,
        deployment=declared_in,
        known=", ".join(mailboxes) or "-",
    )


def _check_addresses(campaigns: list[Settings], declared_in: Path | None) -> None:
    """Two mailbox names for one account and folder would be read twice under two leases: refused."""
    seen: dict[tuple, str | None] = {}
    for settings in campaigns:
        key, name = address_key(settings.connections.inbox_url), settings.inbox.mailbox
        other = seen.setdefault(key, name)
        if other != name:
            raise i18n.error(
                ConfigError,
                "deployment.mailbox_same_address",
                settings.language,
                path=declared_in,
                value=name or "MAILBOT_INBOX_URL",
                other=other or "MAILBOT_INBOX_URL",
            )


def address_key(url: str) -> tuple:
    """What names one mailbox: scheme, host, port, user and folder (a Maildir: its path); never the password."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme == "maildir":
        return ("maildir", str(Path(unquote(url.split("://", 1)[1].split("?", 1)[0])).resolve()))
    try:
        port = parts.port or DEFAULT_PORTS.get(scheme)
    except ValueError:
        port = None
    host = (parts.hostname or "").lower()
    folder = unquote(parts.path.lstrip("/")) or "INBOX"
    return (scheme.replace("+starttls", ""), host, port, unquote(parts.username or "").lower(), folder)
