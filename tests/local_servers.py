"""The outside servers the tests run on loopback: where they are, and how to install them.

    .venv/bin/python -m tests.local_servers install

finds Dovecot (Debian package dovecot-imapd), PostgreSQL (postgresql), Chromium
(chromium, driven by Playwright for the console's tests) and what WeasyPrint needs to
print the report's PDF (Pango and fonts with Vietnamese letters) and Tesseract with
its Vietnamese model (tesseract-ocr tesseract-ocr-vie, for the reading of pictures), and installs
what is missing with apt-get when run as root (CI is a fresh root machine). The test
command runs it before pytest; the fixtures only look the servers up, and a missing
one fails its tests with the command that installs it.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

PACKAGES = {
    "dovecot": "dovecot-imapd",
    "postgresql": "postgresql",
    "chromium": "chromium",
    "pango": "libpango-1.0-0 libpangoft2-1.0-0 fonts-liberation fonts-dejavu-core",
    "tesseract": "tesseract-ocr tesseract-ocr-vie",
}
FONT_DIRS = (Path("/usr/share/fonts/truetype/liberation"), Path("/usr/share/fonts/truetype/dejavu"))
CHROMIUM = Path("/usr/bin/chromium")  # Debian's; Playwright never downloads a browser of its own


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def binary(name: str) -> str | None:
    """A system command, also where sbin is not on PATH."""
    return shutil.which(name) or next((p for p in (f"/usr/sbin/{name}", f"/usr/bin/{name}") if os.path.exists(p)), None)


def dovecot_found() -> bool:
    return binary("dovecot") is not None and binary("doveadm") is not None


def postgres_bin() -> Path | None:
    """The folder of initdb and pg_ctl (the newest PostgreSQL installed), or None."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(found[-1]).parent if found else None


def pango_found() -> bool:
    """Pango (WeasyPrint's text layout) and the fonts the report's PDF is printed in."""
    from ctypes.util import find_library

    libraries = all(find_library(name) for name in ("pango-1.0", "pangoft2-1.0"))
    return libraries and all(folder.is_dir() for folder in FONT_DIRS)


def tesseract_found() -> bool:
    """Tesseract with the Vietnamese model, found as the reading of pictures finds it; asked afresh each time
    (mailbot.sheets.ocr.tesseract keeps its first answer, and install asks again after apt-get)."""
    from mailbot.sheets import ocr

    return ocr.tesseract.__wrapped__() is not None


FOUND = {
    "dovecot": dovecot_found,
    "postgresql": lambda: postgres_bin() is not None,
    "chromium": CHROMIUM.exists,
    "pango": pango_found,
    "tesseract": tesseract_found,
}


def missing_message(server: str) -> str:
    return f"{server} is not installed: run `.venv/bin/python -m tests.local_servers install` as root, or `apt-get install {PACKAGES[server]}`"


def install() -> list[str]:
    """Install the missing servers as root; returns what installing failed to provide."""
    missing = [server for server, found in FOUND.items() if not found()]
    if not missing:
        return []
    if os.geteuid() != 0:
        for server in missing:  # the other tests can still run; these fail saying the same
            print(f"tests.local_servers: {missing_message(server)}", file=sys.stderr)
        return []
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env, capture_output=True)
    packages = [package for server in missing for package in PACKAGES[server].split()]
    subprocess.run(["apt-get", "install", "-y", "-qq", *packages], check=True, env=env, capture_output=True)
    return [f"installing {PACKAGES[server]} did not provide {server}" for server in missing if not FOUND[server]()]


def main(argv: list[str]) -> int:
    if argv != ["install"]:
        print("usage: python -m tests.local_servers install", file=sys.stderr)
        return 2
    problems = install()
    for problem in problems:
        print(f"tests.local_servers: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
