"""Several campaigns through one mailbox: which campaign files make the deployment, and how they fit.

`--config` (or $MAILBOT_CONFIG) names one of

- a campaign file, as always: a deployment of one campaign;
- a folder: every `*.toml` file in it is a campaign, in the order of their names;
- a deployment file listing campaign files (paths relative to it), in the order given:

      campaigns = ["mailbot.toml", "departments.toml"]

Each campaign file is complete on its own (metrics, units, schedule, language). The
mailbox, the SMTP server and the store are the environment's and shared; the limits and
inbox options of the mailbox are those of the first campaign. The campaigns must fit
together: each has its own id, no unit id is used in two of them, and an address
registered in two campaigns of one mailbox can be routed: one of them has `keywords`, or a
metric whose column headers the other does not know.

A deployment file may also declare further mailboxes (`[[mailboxes]]`, config/mailboxes.py);
a campaign naming one in its `[inbox]` table reads from it instead.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, replace
from pathlib import Path

from mailbot import i18n
from mailbot.config.settings import Metric, Settings
from mailbot.errors import ConfigError

DEPLOYMENT_KEYS = {"campaigns", "language", "mailboxes"}


@dataclass(frozen=True)
class CampaignFiles:
    """The campaign files of a deployment, and whether they were named by a folder or a list."""

    paths: tuple[Path, ...]
    several: bool  # named by a folder or a deployment file (which may still hold one campaign)


def campaign_files(path: Path, data: dict | None, lang: str) -> CampaignFiles:
    """The campaign files `path` names; `data` is the parsed file (None for a folder)."""
    if data is None:
        found = tuple(sorted(p for p in path.glob("*.toml") if p.is_file()))
        if not found:
            raise i18n.error(ConfigError, "deployment.empty_folder", lang, path=path)
        return CampaignFiles(found, True)
    if "campaigns" not in data:
        return CampaignFiles((path,), False)
    listed = data["campaigns"]
    unknown = sorted(set(data) - DEPLOYMENT_KEYS)
    if unknown:
        raise i18n.error(ConfigError, "deployment.unknown_key", lang, path=path, name=unknown[0])
    if not isinstance(listed, list) or not listed or not all(isinstance(v, str) and v.strip() for v in listed):
        raise i18n.error(ConfigError, "deployment.not_list", lang, path=path)
    return CampaignFiles(tuple((path.parent / v.strip()).resolve() for v in listed), True)


def joined(campaigns: list[Settings]) -> Settings:
    """The first campaign's settings, with the others as its siblings, once they are checked to fit."""
    check_fit(campaigns)
    first = campaigns[0]
    return replace(first, siblings=tuple(campaigns[1:]), position=0)


def check_fit(campaigns: list[Settings]) -> None:
    """One clear error naming the file and the fix for campaigns that cannot share one mailbox."""
    ids: dict[str, Settings] = {}
    units: dict[str, Settings] = {}
    senders: dict[tuple[str | None, str], Settings] = {}  # by mailbox: a mail's mailbox tells campaigns apart
    for settings in campaigns:
        other = ids.get(settings.campaign.id)
        if other is not None:
            raise _error("duplicate_campaign", settings, other, value=settings.campaign.id)
        ids[settings.campaign.id] = settings
        for unit in settings.units:
            other = units.get(unit.id)
            if other is not None:
                raise _error("duplicate_unit", settings, other, value=unit.id)
            units[unit.id] = settings
            for sender in unit.senders:
                key = (settings.inbox.mailbox, sender)
                other = senders.get(key)
                if other is not None and other is not settings and not distinguishable(settings, other):
                    raise _error("sender_undistinguished", settings, other, value=sender)
                senders.setdefault(key, settings)


def _error(problem: str, settings: Settings, other: Settings, value: str) -> ConfigError:
    return i18n.error(
        ConfigError,
        f"deployment.{problem}",
        settings.language,
        path=settings.config_path,
        value=value,
        campaign=settings.campaign.id,
        other=other.campaign.id,
        other_path=other.config_path,
    )


def distinguishable(one: Settings, other: Settings) -> bool:
    """True if mail of `one` can be told from mail of `other` by what it carries.

    Either has keywords for its subjects and file names, or one has a metric none of whose
    header words (label and aliases) the other campaign knows: its table then fits one only.
    """
    if one.campaign.keywords or other.campaign.keywords:
        return True
    return _own_metric(one, other) or _own_metric(other, one)


def _own_metric(one: Settings, other: Settings) -> bool:
    known = {word for metric in other.campaign.metrics for word in _words(metric)}
    return any(not (_words(metric) & known) for metric in one.campaign.metrics)


def _words(metric: Metric) -> set[str]:
    return {folded(w) for w in (metric.label, *metric.aliases) if w.strip()}


def folded(text: str) -> str:
    """Lower case without diacritics, spaces collapsed: how header words and keywords are compared."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()
    return " ".join(plain.split())
