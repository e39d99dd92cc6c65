"""Shared fixtures. Server fixtures live in their own plugin modules."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

pytest_plugins = ["fixtures_browser", "fixtures_dovecot", "fixtures_oauth2", "fixtures_smtp", "fixtures_store"]
