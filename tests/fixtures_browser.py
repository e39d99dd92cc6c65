"""A real browser for the console's tests: Debian's Chromium driven by Playwright.

Chromium is installed from Debian's packages when missing and the tests run as
root (CI is a fresh root machine), as PostgreSQL and Dovecot are; Playwright never
downloads a browser of its own.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _chromium() -> Path:
    if not CHROMIUM.exists() and os.geteuid() == 0 and shutil.which("apt-get"):
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        subprocess.run(["apt-get", "update", "-qq"], check=True, env=env, capture_output=True)
        subprocess.run(["apt-get", "install", "-y", "-qq", "chromium"], check=True, env=env, capture_output=True)
    if not CHROMIUM.exists():
        pytest.fail("Chromium is not installed: run the tests as root once, or `apt-get install chromium`")
    return CHROMIUM


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for the session."""
    from playwright.sync_api import sync_playwright

    executable = _chromium()
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(executable), headless=True, args=LAUNCH_FLAGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def phone(browser):
    """A page the size of a 390-pixel phone screen, failing the test on any script dialog."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=1, locale="vi-VN")
    page = context.new_page()
    page.dialogs = []
    page.on("dialog", lambda dialog: (page.dialogs.append(dialog.message), dialog.dismiss()))
    yield page
    context.close()
