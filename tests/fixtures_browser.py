"""A real browser for the console's tests: Debian's Chromium driven by Playwright.

Chromium is found where Debian installs it (`python -m tests.local_servers install`
installs it before the tests, as PostgreSQL and Dovecot); Playwright never downloads
a browser of its own.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from local_servers import CHROMIUM, missing_message

LAUNCH_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _chromium() -> Path:
    if not CHROMIUM.exists():
        pytest.fail(missing_message("chromium"))
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
