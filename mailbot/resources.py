"""Files shipped inside the package: the catalogues, the templates, the campaigns.

In the checkout they live in the top-level templates/ and config/ folders; setup.py
installs them as the packages mailbot._templates and mailbot._campaigns, so a wheel,
an sdist and an editable install all find them through importlib.resources.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parent.parent


def _folder(package: str, checkout_folder: str) -> Path:
    try:
        found = resources.files(package)
    except ModuleNotFoundError:  # run from a checkout that was never installed
        return CHECKOUT / checkout_folder
    return Path(str(found))


@cache
def templates_dir() -> Path:
    """The folder holding <language>/*.toml catalogues and *.j2 templates."""
    return _folder("mailbot._templates", "templates")


@cache
def campaigns_dir() -> Path:
    """The folder holding the shipped campaign (mailbot.toml) and the demo day (demo.toml)."""
    return _folder("mailbot._campaigns", "config")


def shipped_campaign() -> Path:
    return campaigns_dir() / "mailbot.toml"


def shipped_words() -> Path:
    """The words mail is read by where a campaign names none (total labels, reply prefixes)."""
    return campaigns_dir() / "words.toml"


def shipped_demo_day() -> Path:
    return campaigns_dir() / "demo.toml"


def starter_campaign() -> Path:
    """The commented starter campaign that `mailbot init` writes."""
    return campaigns_dir() / "starter.toml"
