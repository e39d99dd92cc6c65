"""The frozen settings objects that the rest of mailbot reads."""

from __future__ import annotations

import base64
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from functools import cached_property
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlsplit
from zoneinfo import ZoneInfo

from mailbot import i18n

# What `mailbot.config` offers of these (the package re-exports them).
__all__ = [
    "DEFAULT_CONFIG_PATH",
    "DEFAULT_DB_URL",
    "DEFAULT_INBOX_URL",
    "DEFAULT_LANGUAGE",
    "DEFAULT_SMTP_URL",
    "LANGUAGES",
    "PROJECT_ROOT",
    "WEEKDAYS",
    "Campaign",
    "Connections",
    "InboxOptions",
    "Limits",
    "Metric",
    "Share",
    "Schedule",
    "Settings",
    "Unit",
    "Validation",
    "WebOptions",
    "redact_secret",
    "redact_url",
    "url_password",
]

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_CONFIG_PATH = Path("config/mailbot.toml")
DEFAULT_INBOX_URL = "maildir://./var/inbox"
DEFAULT_SMTP_URL = "file://./var/outbox"
DEFAULT_DB_URL = "sqlite:///./var/mailbot.db"
LANGUAGES = i18n.languages()  # a third language is a folder of catalogues
DEFAULT_LANGUAGE = "vi"
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
UNIT_ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")
DAILY = "daily"  # a report every reporting day, due at the deadline time of that day
ONCE = "once"  # one report, due before a date ("trước ngày 17/8/2020")
DEADLINE_KINDS = (DAILY, ONCE)
END_OF_DAY = time(23, 59, 59)


@dataclass(frozen=True)
class Metric:
    id: str
    label: str
    kind: str = "count"  # only whole non-negative counts are supported
    cumulative: bool = True
    aliases: tuple[str, ...] = ()
    # Words of a column header that say the column is the running total, or the day's
    # increase ("Lũy kế", "Trong ngày"): how a daily column beside the cumulative one is told.
    cumulative_words: tuple[str, ...] = ()
    daily_words: tuple[str, ...] = ()


@dataclass(frozen=True)
class Share:
    """A metric derived from two read counts, never read itself: numerator / denominator, in per cent.

    The departments' campaign reads the staff with a smartphone and those who installed
    Bluezone, and derives the share installed against the letter's 100 % target.
    """

    id: str
    label: str
    numerator: str  # a count metric's id
    denominator: str  # a count metric's id
    goal_percent: float | None = None

    def of(self, figures: Mapping[str, int]) -> float | None:
        """The share of a unit's (or the totals') figures; None when a count is missing or the base is 0."""
        top, base = figures.get(self.numerator), figures.get(self.denominator)
        if top is None or not base:
            return None
        return top * 100.0 / base


@dataclass(frozen=True)
class Unit:
    id: str
    name: str
    senders: tuple[str, ...]
    aliases: tuple[str, ...] = ()
    population: int | None = None
    active_from: date | None = None
    active_until: date | None = None  # last day the unit reports

    def active_on(self, day: date) -> bool:
        if self.active_from and day < self.active_from:
            return False
        return not (self.active_until and day > self.active_until)


@dataclass(frozen=True)
class Campaign:
    """What the campaign asks of its units: what is reported, by when, to whom, and on which days."""

    name: str
    time_zone: str
    deadline: time
    metrics: tuple[Metric, ...]
    reporting_mailbox: str
    report_to: tuple[str, ...]
    trusted_authserv_id: str | None
    reporting_days: tuple[str, ...] = WEEKDAYS
    holidays: tuple[date, ...] = ()
    start: date | None = None
    end: date | None = None
    population: int | None = None
    goal_percent: float | None = None
    # What the goal's percentage is of: empty means the population; else a label such as
    # "người dùng điện thoại thông minh", with its count in goal_base where it is known.
    goal_base_label: str = ""
    goal_base: int | None = None
    goal_date: date | None = None  # the day the goal is to be reached
    goal_note: str = ""  # the goal's other terms, said in words ("or at least rank 10 of 63 provinces")
    # How the mail speaks: who signs it and how a unit is addressed ("Kính gửi: UBND huyện Gia Lộc").
    department: str = ""  # "Sở Thông tin và Truyền thông": who received the report
    sender_name: str = ""  # the From name and signature: the department's reporting desk
    contact: str = ""  # a person or address to ask, shown in the signature
    telephone: str = ""
    addressee_prefix: str = ""  # put before the unit's name, its type then lower-cased: "UBND"
    coverage_label: str = ""  # what the coverage column measures ("Tỷ lệ cài đặt/dân số (%)"); empty: the catalogue's
    area_name: str = ""  # "tỉnh Hải Dương": how the letter names the whole area
    # Labels of a total row: the usual ones (total_labels) and the campaign's own (total_aliases).
    # Where the campaign's file names none, the usual ones are config/words.toml's.
    total_labels: tuple[str, ...] = ()
    total_aliases: tuple[str, ...] = ()
    # Subject prefixes of a reply or a forward ("Re:", "TL:"): such a subject may quote an older
    # day. Where the campaign's file names none, config/words.toml's.
    reply_prefixes: tuple[str, ...] = ()
    # Unregistered senders are answered only when the trusted server authenticated them
    # or their domain is one of these (by default the reporting mailbox's own).
    reply_domains: tuple[str, ...] = ()
    # Hold for review mail from a registered sender that the trusted server did not authenticate.
    strict_authentication: bool = False
    shares: tuple[Share, ...] = ()  # metrics derived from the read ones, in report order
    form_in_reminders: bool = False  # reminders attach the blank report form (`mailbot template`)
    pdf_in_report: bool = False  # the report mail attaches the report as a PDF (the `pdf` extra)
    topic: str = ""  # how letters name what is reported; default: the first metric's label
    deadline_kind: str = DAILY
    due_before: date | None = None  # ONCE: the report is on time until the end of the day before
    # Where several campaigns share the mailbox: the campaign's id (`[campaign] id`, else the file's
    # name), and words its mail's subject or attachment names carry, which route a sender's mail
    # registered in several campaigns (compared without diacritics and case).
    id: str = ""
    keywords: tuple[str, ...] = ()

    @property
    def goal_on_population(self) -> bool:
        """True when the goal is a share of the population (the coverage the report shows)."""
        return not self.goal_base_label

    @property
    def goal_base_count(self) -> int | None:
        """The count the goal's percentage is of, or None when it is not known."""
        return self.population if self.goal_on_population else self.goal_base

    @property
    def all_total_labels(self) -> tuple[str, ...]:
        return (*self.total_labels, *self.total_aliases)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    @property
    def share(self) -> Share | None:
        """The first derived share: when there is one, it is the campaign's coverage and goal."""
        return self.shares[0] if self.shares else None

    @property
    def once(self) -> bool:
        return self.deadline_kind == ONCE

    @property
    def due_day(self) -> date | None:
        """ONCE: the last day on which the one report is on time (the day before `due_before`)."""
        return self.due_before - timedelta(days=1) if self.once and self.due_before else None

    def period_of(self, day: date) -> date:
        """The report a day belongs to: the day itself, or for ONCE the campaign's one report."""
        return self.due_day if self.once and self.due_day else day

    def deadline_of(self, day: date) -> datetime:
        if self.once and self.due_day:
            return datetime.combine(self.due_day, END_OF_DAY, tzinfo=self.tz)
        return datetime.combine(day, self.deadline, tzinfo=self.tz)

    def is_reporting_day(self, day: date) -> bool:
        """True if `day` has a report to look at: every reporting day, or for ONCE any day from `start`."""
        if self.start and day < self.start:
            return False
        if self.end and day > self.end:
            return False
        if self.once:
            return True
        return WEEKDAYS[day.weekday()] in self.reporting_days and day not in self.holidays

    def reminds_on(self, day: date) -> bool:
        """Reminders go out on each reporting day; for ONCE from `start` (else the due day) to the due day."""
        if not self.once:
            return self.is_reporting_day(day)
        due = self.period_of(day)
        return (self.start or due) <= day <= due

    def report_for(self, day: date) -> date | None:
        """The report the scheduled report job sends on `day`, if any.

        DAILY: that day's, on each reporting day. ONCE: the one final report, on `due_before`,
        the first day after the deadline.
        """
        if self.once:
            return self.due_day if day == self.due_before else None
        return day if self.is_reporting_day(day) else None


@dataclass(frozen=True)
class Schedule:
    poll_every_seconds: int = 60
    reminder_at: time = time(15, 0)
    report_at: time = time(16, 30)
    idle_renew_seconds: int = 540  # IDLE is re-issued before 10 minutes
    heartbeat_stale_seconds: int = 900
    send_updates: bool = True  # send an updated report when a counted figure changes
    hold_report: bool = False  # the scheduled report waits for a reviewer's approval in the console


@dataclass(frozen=True)
class Validation:
    decreasing_figure: bool = True
    above_population: bool = True
    outlier_jump: bool = True
    outlier_window_days: int = 14
    outlier_min_history: int = 5
    outlier_threshold: float = 8.0  # robust z-score (median/MAD) above which a jump is flagged


@dataclass(frozen=True)
class Limits:
    max_message_bytes: int = 25 * 1024 * 1024
    max_attachment_bytes: int = 10 * 1024 * 1024
    max_uncompressed_bytes: int = 100 * 1024 * 1024
    max_compression_ratio: int = 100
    max_rows: int = 10_000
    max_columns: int = 200
    read_timeout_seconds: float = 20.0  # CPU time a reader may use on one attachment
    worker_memory_mb: int = 512  # address space of each reading worker process
    workers: int | None = None  # reading worker processes; None: one per core
    max_header_bytes: int = 256 * 1024  # the whole header block of a message
    max_line_bytes: int = 1024 * 1024  # any one line of a message
    max_parts: int = 200  # MIME parts in one message
    max_depth: int = 10  # multiparts nested in one another
    max_references: int = 20  # thread ids kept from References / In-Reply-To (the newest)
    replies_per_day: int = 5  # acknowledgements to one address in 24 hours


@dataclass(frozen=True)
class InboxOptions:
    move_to: str | None = None  # folder for ingested mail; None leaves the mailbox alone
    verify_tls: bool = True
    timeout_seconds: float = 30.0
    batch_size: int = 50
    auth: str = "password"  # password | xoauth2
    mailbox: str | None = None  # a mailbox of the deployment file's [[mailboxes]]; None: $MAILBOT_INBOX_URL's


@dataclass(frozen=True)
class WebOptions:
    """The console: served inside `mailbot run` when `enabled`; a reverse proxy's user header."""

    enabled: bool = False  # serve the console in the `mailbot run` process too
    host: str = "127.0.0.1"
    port: int = 8080
    user_header: str | None = None  # e.g. "X-Remote-User": the proxy says who signed in
    trusted_proxies: tuple[str, ...] = ("127.0.0.1", "::1")  # addresses or networks whose headers are believed


@dataclass(frozen=True)
class Connections:
    """Where the outside parts are. Built from the environment; secrets hidden."""

    inbox_url: str = DEFAULT_INBOX_URL
    smtp_url: str = DEFAULT_SMTP_URL
    db_url: str = DEFAULT_DB_URL
    inbox_password: str | None = field(default=None, repr=False)

    def __repr__(self) -> str:
        return (
            f"Connections(inbox_url={redact_url(self.inbox_url)!r}, "
            f"smtp_url={redact_url(self.smtp_url)!r}, db_url={redact_url(self.db_url)!r})"
        )


@dataclass(frozen=True)
class Settings:
    campaign: Campaign
    units: tuple[Unit, ...]
    schedule: Schedule
    validation: Validation
    limits: Limits
    inbox: InboxOptions
    connections: Connections
    language: str = DEFAULT_LANGUAGE
    config_path: Path | None = None
    web: WebOptions = WebOptions()
    # The other campaigns configured on the same mailbox, in configuration order around this one
    # (at `position`); empty for a deployment of one campaign. Each of them has no siblings itself.
    siblings: tuple[Settings, ...] = field(default=(), repr=False, compare=False)
    position: int = 0

    @property
    def several(self) -> bool:
        """True where several campaigns share the mailbox (contract §9: --campaign, "campaign" in JSON)."""
        return bool(self.siblings)

    @property
    def campaign_id(self) -> str:
        return self.campaign.id

    @cached_property
    def campaigns(self) -> tuple[Settings, ...]:
        """Every campaign of the deployment in configuration order, this one among them (made once: each keeps
        what it looks up, such as its units by id, for every message of a poll)."""
        alone = replace(self, siblings=(), position=0)
        return (*self.siblings[: self.position], alone, *self.siblings[self.position :])

    @property
    def deployment(self) -> tuple[Settings, ...]:
        """Every campaign of the deployment in configuration order, each with the others as its siblings."""
        if not self.siblings:
            return (self,)
        return tuple(s for s in (self.with_campaign(c.campaign.id) for c in self.campaigns) if s is not None)

    @property
    def mailbox_campaigns(self) -> tuple[Settings, ...]:
        """The campaigns of the deployment whose mail arrives in this campaign's mailbox, in configuration order."""
        return tuple(c for c in self.deployment if c.inbox.mailbox == self.inbox.mailbox)

    @property
    def mailboxes(self) -> tuple[Settings, ...]:
        """One campaign per mailbox of the deployment, the first reading from it: whose settings poll that mailbox."""
        seen: set[str | None] = set()
        found = []
        for campaign in self.deployment:
            if campaign.inbox.mailbox not in seen:
                seen.add(campaign.inbox.mailbox)
                found.append(campaign)
        return tuple(found)

    def scoped(self, key: str) -> str:
        """A key of the store's state or of a mail for this campaign: as it is for a lone campaign, else with its id."""
        return f"{self.campaign.id}:{key}" if self.several else key

    def with_campaign(self, campaign_id: str) -> Settings | None:
        """The settings of campaign `campaign_id` of this deployment (its siblings the others), or None."""
        return self._with_campaigns.get(campaign_id)

    @cached_property
    def _with_campaigns(self) -> dict[str, Settings]:
        """with_campaign of each campaign id, made once (the first campaign of a repeated id)."""
        every = self.campaigns
        found: dict[str, Settings] = {}
        for index, chosen in enumerate(every):
            if chosen.campaign.id not in found:
                found[chosen.campaign.id] = replace(chosen, siblings=every[:index] + every[index + 1 :], position=index)
        return found

    def campaign_of_unit(self, unit_id: str | None) -> Settings | None:
        """The campaign (of the whole deployment) that unit `unit_id` reports in; unit ids are unique across it."""
        if not unit_id:
            return None
        found = next((c for c in self.campaigns if c.unit(unit_id) is not None), None)
        return self.with_campaign(found.campaign.id) if found is not None else None

    def unit(self, unit_id: str) -> Unit | None:
        return self._units_by_id.get(unit_id)

    @cached_property
    def _units_by_id(self) -> dict[str, Unit]:
        """Each unit by its id (a national campaign looks 3,321 units up for every row it writes)."""
        by_id: dict[str, Unit] = {}
        for unit in self.units:
            by_id.setdefault(unit.id, unit)  # the first of a repeated id, as a search from the start finds
        return by_id

    def known_unit(self, unit_id: str) -> Unit:
        """The unit of an id that came from this configuration (a ledger row, a scenario)."""
        unit = self.unit(unit_id)
        if unit is None:
            raise KeyError(f"unit {unit_id!r} is not in the configuration")
        return unit

    def unit_of_sender(self, address: str | None) -> Unit | None:
        """Case-insensitive match on the address alone (docs/settings.md, [[units]] senders)."""
        if not address:
            return None
        return self._units_by_sender.get(address.strip().lower())

    @cached_property
    def _units_by_sender(self) -> dict[str, Unit]:
        """Each unit by each of its senders' addresses (looked up for every message a poll reads)."""
        by_sender: dict[str, Unit] = {}
        for unit in self.units:
            for sender in unit.senders:
                by_sender.setdefault(sender, unit)  # the first unit of an address, as a search from the start finds
        return by_sender

    def units_on(self, day: date) -> tuple[Unit, ...]:
        return tuple(u for u in self.units if u.active_on(day))

    @property
    def report_recipients(self) -> tuple[str, ...]:
        return self.campaign.report_to


def stated_language(data: Any) -> str:
    """The language a parsed configuration file states, if it is a supported one; else the default.

    Mistakes found while reading the file are reported in it, before any Settings exist.
    """
    stated = data.get("language") if isinstance(data, dict) else None
    return stated if isinstance(stated, str) and stated in LANGUAGES else DEFAULT_LANGUAGE


def redact_url(url: str) -> str:
    """The URL with any password replaced by ***, safe to log."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
    return parts._replace(netloc=netloc).geturl()


def redact_secret(text: str, password: str | None, user: str | None = None) -> str:
    """`text` (a server's reply, an error) with the password replaced by ***, in every form a server
    may echo it: as typed, percent-encoded as in a URL, and base64 as AUTH LOGIN and AUTH PLAIN send it."""
    if not password:
        return text
    forms = {password, quote(password, safe=""), _base64(password)}
    if user is not None:
        forms |= {_base64(f"\0{user}\0{password}"), _base64(f"{user}\0{password}")}
    for form in sorted(forms, key=len, reverse=True):
        text = text.replace(form, "***")
    return text


def _base64(value: str) -> str:
    return base64.b64encode(value.encode("utf-8")).decode("ascii")


def url_password(url: str) -> str | None:
    parts = urlsplit(url)
    return unquote(parts.password) if parts.password is not None else None
