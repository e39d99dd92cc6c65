"""Alembic migrations of the store: env.py and the revisions in versions/, applied by mailbot.store.migrate."""
