"""A strict reading of a systemd unit file, for machines where `systemd-analyze verify` is absent.

It checks what verify would refuse in this unit: a line that is neither a section, a
comment nor `Key=Value`; a section systemd does not have; a directive unknown in its
section (a typo, or a directive in the wrong section, which systemd ignores with a
warning); a boolean, time span, restart rule, service type or signal it cannot parse;
an Exec line whose program is not an absolute path.
"""

from __future__ import annotations

import re
from pathlib import Path

BOOLEAN = {"1", "0", "yes", "no", "true", "false", "on", "off"}
TIME_SPAN = re.compile(r"^(infinity|(\d+(\.\d+)?\s*(us|ms|s|sec|m|min|h|hr|d)?\s*)+)$")
LIST = "list"
TEXT = "text"
EXEC = "exec"

# The directives this unit may use, with the kind of value each takes (systemd.unit,
# systemd.service, systemd.exec, systemd.kill, systemd.resource-control).
DIRECTIVES: dict[str, dict[str, object]] = {
    "Unit": {
        "Description": TEXT,
        "Documentation": LIST,
        "After": LIST,
        "Before": LIST,
        "Wants": LIST,
        "Requires": LIST,
        "StartLimitIntervalSec": TIME_SPAN,
        "StartLimitBurst": re.compile(r"^\d+$"),
    },
    "Service": {
        "Type": {"simple", "exec", "forking", "oneshot", "dbus", "notify", "idle"},
        "User": re.compile(r"^[a-z_][a-z0-9_-]*$"),
        "Group": re.compile(r"^[a-z_][a-z0-9_-]*$"),
        "EnvironmentFile": re.compile(r"^-?/"),
        "Environment": TEXT,
        "ExecStartPre": EXEC,
        "ExecStart": EXEC,
        "ExecReload": EXEC,
        "ExecStop": EXEC,
        "Restart": {"no", "on-success", "on-failure", "on-abnormal", "on-watchdog", "on-abort", "always"},
        "RestartSec": TIME_SPAN,
        "RestartPreventExitStatus": re.compile(r"^(\d+|SIG[A-Z]+)(\s+(\d+|SIG[A-Z]+))*$"),
        "TimeoutStopSec": TIME_SPAN,
        "TimeoutStartSec": TIME_SPAN,
        "KillSignal": re.compile(r"^SIG[A-Z]+$"),
        "KillMode": {"control-group", "mixed", "process", "none"},
        "StateDirectory": re.compile(r"^[^/\s][^\s]*(\s+[^/\s][^\s]*)*$"),
        "StateDirectoryMode": re.compile(r"^0?[0-7]{3,4}$"),
        "LogsDirectory": re.compile(r"^[^/\s][^\s]*$"),
        "WorkingDirectory": re.compile(r"^-?(/|~)"),
        "UMask": re.compile(r"^0?[0-7]{3,4}$"),
        "ProtectSystem": BOOLEAN | {"full", "strict"},
        "ProtectHome": BOOLEAN | {"read-only", "tmpfs"},
        "PrivateTmp": BOOLEAN,
        "PrivateDevices": BOOLEAN,
        "NoNewPrivileges": BOOLEAN,
        "ProtectKernelTunables": BOOLEAN,
        "ProtectKernelModules": BOOLEAN,
        "ProtectControlGroups": BOOLEAN,
        "RestrictAddressFamilies": re.compile(r"^~?(AF_[A-Z0-9]+)(\s+AF_[A-Z0-9]+)*$|^none$"),
        "RestrictNamespaces": BOOLEAN,
        "LockPersonality": BOOLEAN,
        "RestrictRealtime": BOOLEAN,
        "SystemCallArchitectures": re.compile(r"^(native|x86-64|x86|arm64|arm)(\s+\S+)*$"),
        "MemoryMax": re.compile(r"^(\d+[KMGT]?|\d+%|infinity)$"),
    },
    "Install": {"WantedBy": LIST, "RequiredBy": LIST, "Alias": LIST},
}


def read_unit(text: str) -> tuple[dict[str, dict[str, list[str]]], list[str]]:
    """The unit's directives by section, and each problem found (empty when the unit is sound)."""
    sections: dict[str, dict[str, list[str]]] = {}
    problems: list[str] = []
    current: str | None = None
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = line[1:-1]
            if current not in DIRECTIVES:
                problems.append(f"line {number}: unknown section [{current}]")
            sections.setdefault(current, {})
            continue
        key, equals, value = line.partition("=")
        key, value = key.strip(), value.strip()
        if not equals or not key or current is None:
            problems.append(f"line {number}: not a Key=Value line inside a section: {raw!r}")
            continue
        sections[current].setdefault(key, []).append(value)
        problems += [f"line {number}: {p}" for p in _check(current, key, value)]
    return sections, problems


def _check(section: str, key: str, value: str) -> list[str]:
    known = DIRECTIVES.get(section, {})
    if key not in known:
        elsewhere = [name for name, keys in DIRECTIVES.items() if key in keys]
        where = f" (it belongs in [{elsewhere[0]}])" if elsewhere else ""
        return [f"unknown directive {key}= in [{section}]{where}"]
    kind = known[key]
    if kind in (TEXT, LIST):
        return [] if value else [f"{key}= is empty"]
    if kind == EXEC:
        program = value.lstrip("-@:+!").split()[0] if value.lstrip("-@:+!") else ""
        return [] if program.startswith("/") else [f"{key}= does not start with an absolute path: {value!r}"]
    if isinstance(kind, set):
        return [] if value.lower() in kind else [f"{key}={value} is not one of {sorted(kind)}"]
    if isinstance(kind, re.Pattern):
        return [] if kind.match(value) else [f"{key}={value} cannot be parsed"]
    return []


def read_unit_file(path: Path) -> tuple[dict[str, dict[str, list[str]]], list[str]]:
    return read_unit(path.read_text(encoding="utf-8"))
