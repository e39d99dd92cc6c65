"""What the benchmarks need beyond mailbot itself: the `bench` extra of pyproject.toml, checked before a run.

    missing() -> list[str]   each requirement of the extra not installed here, as pip would be asked for it
    require(command)         exits saying what is missing and how to install it

bench/run.py checks it first, so that a run of twenty minutes does not fail in its
fifth on a peer script's missing pandas. (packaging, which reads the requirements, comes
with matplotlib, which mailbot itself needs.)
"""

from __future__ import annotations

import sys
from importlib import metadata

from packaging.requirements import Requirement

EXTRA = "bench"
INSTALL = ".venv/bin/pip install -e '.[bench]'"


def require(command: str) -> None:
    """Exit (status 1) with what `command` lacks and the command that installs it, if anything is missing."""
    absent = missing()
    if absent:
        sys.exit(f"{command} needs the {EXTRA} extra; not installed: {', '.join(absent)}\nInstall it: {INSTALL}")


def missing(extra: str = EXTRA) -> list[str]:
    """The requirements of mailbot's `extra` that this Python lacks, or has in a version they exclude."""
    try:
        declared = metadata.requires("mailbot") or []
    except metadata.PackageNotFoundError:
        return ["mailbot (the checkout itself, installed with its extra)"]
    return missing_from(declared, extra)


def missing_from(declared: list[str], extra: str) -> list[str]:
    """Of `declared` (requirement strings as package metadata gives them), those of `extra` not satisfied here."""
    absent = []
    for line in declared:
        requirement = Requirement(line)
        if requirement.marker is None or not requirement.marker.evaluate({"extra": extra}):
            continue
        if requirement.marker.evaluate({"extra": ""}):
            continue  # needed whatever the extra: installed with mailbot
        try:
            installed = metadata.version(requirement.name)
        except metadata.PackageNotFoundError:
            absent.append(f"{requirement.name}{requirement.specifier}")
            continue
        if not requirement.specifier.contains(installed, prereleases=True):
            absent.append(f"{requirement.name}{requirement.specifier} ({installed} is installed)")
    return absent
