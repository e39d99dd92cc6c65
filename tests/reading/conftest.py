from pathlib import Path

import pytest

from mailbot.config import PROJECT_ROOT, load_settings

CORPUS = Path(__file__).resolve().parent / "corpus"


@pytest.fixture(scope="session")
def shipped():
    """The shipped campaign, as every reading test uses it."""
    return load_settings(PROJECT_ROOT / "config" / "mailbot.toml", env={})
