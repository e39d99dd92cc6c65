"""Walks the parsed TOML into Settings, checking each key as it takes it."""

from __future__ import annotations

import ipaddress
import re
import tomllib
from collections.abc import Callable
from datetime import date, time
from functools import cache
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from mailbot import i18n
from mailbot.config.deadlines import DEADLINE_KEYS, deadline_rule
from mailbot.config.settings import (
    DEFAULT_LANGUAGE,
    EMAIL_RE,
    LANGUAGES,
    UNIT_ID_RE,
    WEEKDAYS,
    Campaign,
    Connections,
    InboxOptions,
    Limits,
    Metric,
    Schedule,
    Settings,
    Unit,
    Validation,
    WebOptions,
    stated_language,
)
from mailbot.config.shares import is_share, read_shares
from mailbot.errors import ConfigError
from mailbot.resources import shipped_words

Moment = TypeVar("Moment", date, time)


@cache
def _shipped_words() -> dict[str, list[str]]:
    with open(shipped_words(), "rb") as handle:
        return tomllib.load(handle)["campaign"]


def usual_words(key: str) -> list[str]:
    """The words of config/words.toml for `campaign.<key>`: what a campaign reads by unless it says otherwise."""
    return list(_shipped_words()[key])


HEADER_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]*$")


class TomlReader:
    """Walks the parsed TOML, checking each key as it takes it.

    Mistakes are reported in the language the file states (the default if it states none or a wrong one).
    """

    def __init__(self, data: dict, path: Path) -> None:
        self.data = data
        self.path = path
        self.language = stated_language(data)

    def fail(self, key: str, problem: str, **params: object) -> ConfigError:
        """What is wrong with `key` (the catalogue entry `config.<problem>`) and how to fix it."""
        error = i18n.error(ConfigError, f"config.{problem}", self.language, setting=key, **params)
        framed = i18n.text("config.setting", self.language, path=self.path, setting=key, problem=error.message)
        return ConfigError(framed, error.hint)

    def _check_keys(self, data: Any, key: str, allowed: set[str]) -> dict:
        if not isinstance(data, dict):
            raise self.fail(key, "not_table")
        unknown = sorted(set(data) - allowed)
        if unknown:
            raise self.fail(
                f"{key}.{unknown[0]}" if key else unknown[0], "unknown_key", known=", ".join(sorted(allowed))
            )
        return data

    def settings(self, connections: Connections) -> Settings:
        top = self._check_keys(
            self.data,
            "",
            {"language", "campaign", "metrics", "units", "schedule", "validation", "limits", "inbox", "web"},
        )
        language = top.get("language", DEFAULT_LANGUAGE)
        if language not in LANGUAGES:
            raise self.fail("language", "language_unsupported", value=language)
        units = self.units(top.get("units"))
        return Settings(
            campaign=self.campaign(top.get("campaign"), top.get("metrics")),
            units=units,
            schedule=self.schedule(top.get("schedule", {})),
            validation=self.validation(top.get("validation", {})),
            limits=self.limits(top.get("limits", {})),
            inbox=self.inbox(top.get("inbox", {})),
            connections=connections,
            language=language,
            config_path=self.path,
            web=self.web(top.get("web", {})),
        )

    # -- campaign -------------------------------------------------------------

    def campaign(self, data: Any, metrics: Any) -> Campaign:
        if data is None:
            raise self.fail("campaign", "campaign_missing")
        allowed = {
            "id",
            "keywords",
            "name",
            "time_zone",
            "deadline",
            "reporting_days",
            "holidays",
            "start",
            "end",
            "population",
            "goal_percent",
            "goal_base_label",
            "goal_base",
            "goal_date",
            "goal_note",
            "coverage_label",
            "department",
            "sender_name",
            "contact",
            "telephone",
            "addressee_prefix",
            "reporting_mailbox",
            "report_to",
            "trusted_authserv_id",
            "area_name",
            "total_labels",
            "total_aliases",
            "reply_prefixes",
            "reply_domains",
            "strict_authentication",
            "pdf_in_report",
            *DEADLINE_KEYS,
        }
        data = self._check_keys(data, "campaign", allowed)
        time_zone = self.text(data, "campaign.time_zone", "Asia/Ho_Chi_Minh")
        try:
            ZoneInfo(time_zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise self.fail("campaign.time_zone", "unknown_time_zone", value=time_zone) from None
        days = tuple(self.text_list(data, "campaign.reporting_days", list(WEEKDAYS)))
        for day in days:
            if day not in WEEKDAYS:
                raise self.fail("campaign.reporting_days", "not_weekday", value=day, weekdays=", ".join(WEEKDAYS))
        if data.get("goal_base") is not None and not self.text(data, "campaign.goal_base_label", ""):
            raise self.fail("campaign.goal_base", "goal_base_without_label")
        mailbox = self.address(data, "campaign.reporting_mailbox")
        counts = self.metrics(metrics)
        return Campaign(
            id=self.campaign_id(data),
            keywords=tuple(k for k in self.text_list(data, "campaign.keywords", []) if k),
            name=self.text(data, "campaign.name", ""),
            time_zone=time_zone,
            **deadline_rule(self, data),
            topic=self.text(data, "campaign.topic", ""),
            form_in_reminders=self.flag(data, "campaign.form_in_reminders", False),
            pdf_in_report=self.pdf_wanted(data),
            metrics=counts,
            shares=read_shares(self, metrics, counts),
            reporting_mailbox=mailbox,
            report_to=tuple(self.addresses(data, "campaign.report_to")),
            trusted_authserv_id=data.get("trusted_authserv_id") or None,
            reporting_days=days,
            holidays=tuple(self.day(v, "campaign.holidays") for v in data.get("holidays", [])),
            start=self.optional_day(data, "campaign.start"),
            end=self.optional_day(data, "campaign.end"),
            population=self.optional_count(data, "campaign.population"),
            goal_percent=self.optional_percent(data, "campaign.goal_percent"),
            goal_base_label=self.text(data, "campaign.goal_base_label", ""),
            goal_base=self.optional_count(data, "campaign.goal_base"),
            goal_date=self.optional_day(data, "campaign.goal_date"),
            goal_note=self.text(data, "campaign.goal_note", ""),
            coverage_label=self.text(data, "campaign.coverage_label", ""),
            department=self.text(data, "campaign.department", ""),
            sender_name=self.text(data, "campaign.sender_name", ""),
            contact=self.text(data, "campaign.contact", ""),
            telephone=self.text(data, "campaign.telephone", ""),
            addressee_prefix=self.text(data, "campaign.addressee_prefix", ""),
            area_name=self.text(data, "campaign.area_name", ""),
            total_labels=tuple(self.text_list(data, "campaign.total_labels", usual_words("total_labels"))),
            total_aliases=tuple(self.text_list(data, "campaign.total_aliases", [])),
            reply_prefixes=tuple(self.text_list(data, "campaign.reply_prefixes", usual_words("reply_prefixes"))),
            reply_domains=tuple(
                d.strip().lower() for d in self.text_list(data, "campaign.reply_domains", [mailbox.split("@", 1)[1]])
            ),
            strict_authentication=self.flag(data, "campaign.strict_authentication", False),
        )

    def campaign_id(self, data: dict) -> str:
        """`[campaign] id`, else the file's name made into an id ("departments.toml" -> "departments")."""
        stated = self.text(data, "campaign.id", "")
        if stated:
            if not UNIT_ID_RE.match(stated):
                raise self.fail("campaign.id", "bad_campaign_id", value=stated)
            return stated
        made = "-".join(re.findall(r"[a-z0-9]+", self.path.stem.lower()))
        return made or "campaign"

    def metrics(self, data: Any) -> tuple[Metric, ...]:
        if not data:
            raise self.fail("metrics", "metrics_missing")
        if not isinstance(data, list):
            raise self.fail("metrics", "metrics_not_array")
        result = []
        for i, item in enumerate(data):
            if is_share(item):
                continue  # derived, never read: see read_shares
            key = f"metrics[{i}]"
            item = self._check_keys(
                item, key, {"id", "label", "kind", "cumulative", "aliases", "cumulative_words", "daily_words"}
            )
            metric_id = self.required_text(item, f"{key}.id")
            kind = item.get("kind", "count")
            if kind != "count":
                raise self.fail(f"{key}.kind", "kind_unsupported", value=kind)
            result.append(
                Metric(
                    id=metric_id,
                    label=self.required_text(item, f"{key}.label"),
                    kind=kind,
                    cumulative=self.flag(item, f"{key}.cumulative", True),
                    aliases=tuple(self.text_list(item, f"{key}.aliases", [])),
                    cumulative_words=tuple(self.text_list(item, f"{key}.cumulative_words", [])),
                    daily_words=tuple(self.text_list(item, f"{key}.daily_words", [])),
                )
            )
        if not result:
            raise self.fail("metrics", "metrics_missing")
        self.unique([m.id for m in result], "metrics", "id")
        return tuple(result)

    # -- units ----------------------------------------------------------------

    def units(self, data: Any) -> tuple[Unit, ...]:
        if not data:
            raise self.fail("units", "units_missing")
        if not isinstance(data, list):
            raise self.fail("units", "units_not_array")
        result = [self.unit(item, f"units[{i}]") for i, item in enumerate(data)]
        self.unique([u.id for u in result], "units", "id")
        self.unique([s for u in result for s in u.senders], "units", "senders")
        return tuple(result)

    def unit(self, item: Any, key: str) -> Unit:
        item = self._check_keys(
            item, key, {"id", "name", "aliases", "senders", "population", "active_from", "active_until"}
        )
        unit_id = self.required_text(item, f"{key}.id")
        if not UNIT_ID_RE.match(unit_id):
            raise self.fail(f"{key}.id", "bad_unit_id", value=unit_id)
        unit = Unit(
            id=unit_id,
            name=self.required_text(item, f"{key}.name"),
            senders=tuple(self.addresses(item, f"{key}.senders")),
            aliases=tuple(self.text_list(item, f"{key}.aliases", [])),
            population=self.optional_count(item, f"{key}.population"),
            active_from=self.optional_day(item, f"{key}.active_from"),
            active_until=self.optional_day(item, f"{key}.active_until"),
        )
        if unit.active_from and unit.active_until and unit.active_until < unit.active_from:
            raise self.fail(f"{key}.active_until", "until_before_from")
        return unit

    # -- small sections -------------------------------------------------------

    def schedule(self, data: Any) -> Schedule:
        data = self._check_keys(data, "schedule", set(Schedule.__dataclass_fields__))
        default = Schedule()
        return Schedule(
            poll_every_seconds=self.positive_int(data, "schedule.poll_every_seconds", default.poll_every_seconds),
            reminder_at=self.clock(data, "schedule.reminder_at", "15:00"),
            report_at=self.clock(data, "schedule.report_at", "16:30"),
            idle_renew_seconds=self.positive_int(
                data, "schedule.idle_renew_seconds", default.idle_renew_seconds, maximum=600
            ),
            heartbeat_stale_seconds=self.positive_int(
                data, "schedule.heartbeat_stale_seconds", default.heartbeat_stale_seconds
            ),
            send_updates=self.flag(data, "schedule.send_updates", default.send_updates),
            hold_report=self.flag(data, "schedule.hold_report", default.hold_report),
        )

    def validation(self, data: Any) -> Validation:
        data = self._check_keys(data, "validation", set(Validation.__dataclass_fields__))
        default = Validation()
        threshold = data.get("outlier_threshold", default.outlier_threshold)
        if not isinstance(threshold, (int, float)) or isinstance(threshold, bool) or threshold <= 0:
            raise self.fail("validation.outlier_threshold", "not_positive_number", value=threshold, example="8.0")
        return Validation(
            decreasing_figure=self.flag(data, "validation.decreasing_figure", True),
            above_population=self.flag(data, "validation.above_population", True),
            outlier_jump=self.flag(data, "validation.outlier_jump", True),
            outlier_window_days=self.positive_int(data, "validation.outlier_window_days", default.outlier_window_days),
            outlier_min_history=self.positive_int(data, "validation.outlier_min_history", default.outlier_min_history),
            outlier_threshold=float(threshold),
        )

    def limits(self, data: Any) -> Limits:
        data = self._check_keys(data, "limits", set(Limits.__dataclass_fields__))
        default = Limits()
        values = {
            name: self.positive_int(data, f"limits.{name}", getattr(default, name))
            for name in Limits.__dataclass_fields__
            if name != "read_timeout_seconds"
        }
        timeout = data.get("read_timeout_seconds", default.read_timeout_seconds)
        if not isinstance(timeout, (int, float)) or isinstance(timeout, bool) or timeout <= 0:
            raise self.fail("limits.read_timeout_seconds", "not_positive_number", value=timeout, example="20")
        return Limits(read_timeout_seconds=float(timeout), **values)

    def inbox(self, data: Any) -> InboxOptions:
        data = self._check_keys(data, "inbox", set(InboxOptions.__dataclass_fields__))
        auth = data.get("auth", "password")
        if auth not in ("password", "xoauth2"):
            raise self.fail("inbox.auth", "auth_unsupported", value=auth)
        timeout = data.get("timeout_seconds", 30.0)
        if not isinstance(timeout, (int, float)) or isinstance(timeout, bool) or timeout <= 0:
            raise self.fail("inbox.timeout_seconds", "not_positive_number", value=timeout, example="30")
        return InboxOptions(
            move_to=data.get("move_to") or None,
            verify_tls=self.flag(data, "inbox.verify_tls", True),
            timeout_seconds=float(timeout),
            batch_size=self.positive_int(data, "inbox.batch_size", 50, maximum=1000),
            auth=auth,
            mailbox=self.mailbox_name(data),
        )

    def mailbox_name(self, data: dict) -> str | None:
        """`[inbox] mailbox`: the id of a mailbox the deployment file declares (config/mailboxes.py)."""
        stated = self.text(data, "inbox.mailbox", "")
        if stated and not UNIT_ID_RE.match(stated):
            raise self.fail("inbox.mailbox", "bad_mailbox_id", value=stated)
        return stated or None

    def web(self, data: Any) -> WebOptions:
        data = self._check_keys(data, "web", set(WebOptions.__dataclass_fields__))
        default = WebOptions()
        proxies = self.text_list(data, "web.trusted_proxies", list(default.trusted_proxies))
        for value in proxies:
            try:
                ipaddress.ip_network(value, strict=False)
            except ValueError:
                raise self.fail("web.trusted_proxies", "not_ip_address", value=value) from None
        header = self.text(data, "web.user_header", "") or None
        if header is not None and not HEADER_NAME_RE.match(header):
            raise self.fail("web.user_header", "not_header_name", value=header)
        return WebOptions(
            enabled=self.flag(data, "web.enabled", default.enabled),
            host=self.text(data, "web.host", default.host) or default.host,
            port=self.positive_int(data, "web.port", default.port, maximum=65535),
            user_header=header,
            trusted_proxies=tuple(proxies),
        )

    # -- scalar checks --------------------------------------------------------

    def _leaf(self, data: dict, key: str) -> Any:
        return data.get(key.rsplit(".", 1)[-1])

    def _checked(self, data: dict, key: str, default: Any, fits: Callable[[Any], bool], problem: str) -> Any:
        """The setting at `key` if it `fits`, `default` if it is not given; any other value is the error `problem`."""
        value = self._leaf(data, key)
        if value is None:
            return default
        if not fits(value):
            raise self.fail(key, problem, value=value)
        return value

    def text(self, data: dict, key: str, default: str) -> str:
        value = self._checked(data, key, None, lambda v: isinstance(v, str), "not_text")
        return default if value is None else value.strip()

    def required_text(self, data: dict, key: str) -> str:
        value = self.text(data, key, "")
        if not value:
            raise self.fail(key, "empty")
        return value

    def text_list(self, data: dict, key: str, default: list) -> list[str]:
        value = self._leaf(data, key)
        if value is None:
            return list(default)
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.fail(key, "not_text_list")
        return [v.strip() for v in value]

    def address(self, data: dict, key: str) -> str:
        value = self.required_text(data, key).lower()
        if not EMAIL_RE.match(value):
            raise self.fail(key, "not_address", value=value)
        return value

    def addresses(self, data: dict, key: str) -> list[str]:
        values = [v.lower() for v in self.text_list(data, key, [])]
        if not values:
            raise self.fail(key, "no_address")
        for value in values:
            if not EMAIL_RE.match(value):
                raise self.fail(key, "not_address", value=value)
        return values

    def pdf_wanted(self, data: dict) -> bool:
        """campaign.pdf_in_report, refused at once when the PDF cannot be made here."""
        wanted = self.flag(data, "campaign.pdf_in_report", False)
        if wanted:
            from mailbot.report.pdf import available  # WeasyPrint is imported only by those who ask for it

            missing = available(self.language)
            if missing is not None:
                framed = i18n.text(
                    "config.setting", self.language, path=self.path, setting="campaign.pdf_in_report", problem=missing
                )
                raise ConfigError(framed)
        return wanted

    def flag(self, data: dict, key: str, default: bool) -> bool:
        return self._checked(data, key, default, lambda v: isinstance(v, bool), "not_bool")

    def positive_int(self, data: dict, key: str, default: int, maximum: int | None = None) -> int:
        value = self._leaf(data, key)
        if value is None:
            return default
        if not _is_count(value):
            raise self.fail(key, "not_positive_int", value=value)
        if maximum is not None and value > maximum:
            raise self.fail(key, "above_maximum", value=value, maximum=maximum)
        return value

    def optional_count(self, data: dict, key: str) -> int | None:
        return self._checked(data, key, None, _is_count, "not_count")

    def optional_percent(self, data: dict, key: str) -> float | None:
        value = self._checked(data, key, None, _is_percent, "not_percent")
        return None if value is None else float(value)

    def clock(self, data: dict, key: str, default: str) -> time:
        value = self._leaf(data, key)
        return self._iso(time, default if value is None else value, key, "not_clock")

    def optional_day(self, data: dict, key: str) -> date | None:
        value = self._leaf(data, key)
        return None if value is None else self.day(value, key)

    def day(self, value: Any, key: str) -> date:
        return self._iso(date, value, key, "not_date")

    def _iso(self, kind: type[Moment], value: Any, key: str, problem: str) -> Moment:
        """A TOML time or date as it is (not a datetime), or one written as ISO text ("16:00", "2020-08-14")."""
        if type(value) is kind:
            return value
        if isinstance(value, str):
            try:
                return kind.fromisoformat(value.strip())
            except ValueError:
                pass
        raise self.fail(key, problem, value=value)

    def unique(self, values: list[str], key: str, field_name: str) -> None:
        seen: set[str] = set()
        for value in values:
            if value in seen:
                raise self.fail(f"{key}.{field_name}", "duplicate", value=value)
            seen.add(value)


def _is_count(value: Any) -> bool:
    """A whole number above 0 (true and false are not numbers)."""
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def _is_percent(value: Any) -> bool:
    """A number above 0 and at most 100."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and 0 < value <= 100
