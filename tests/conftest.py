"""Shared fixtures. Server fixtures live in their own plugin modules (tests/ is on
pytest's pythonpath, set in pyproject.toml)."""

pytest_plugins = ["fixtures_browser", "fixtures_dovecot", "fixtures_oauth2", "fixtures_smtp", "fixtures_store"]
