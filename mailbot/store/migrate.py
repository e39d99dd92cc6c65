"""Schema migrations with Alembic, run by Store.open under a lock.

The only module that imports Alembic, besides the revisions: they live in
migrations/versions/, numbered 0001, 0002, … (the number is the store's schema
version), frozen, sharing only migrations/helpers.py. Any number of
processes may open a fresh store at once: on PostgreSQL the migration runs in one
transaction holding an advisory lock, on SQLite in one BEGIN IMMEDIATE
transaction (DDL is transactional on both), so the first one migrates and the
others wait, then find the store at the head revision.

A store created before Alembic (schema version N in its meta table, no
alembic_version table) is stamped with revision N and upgraded from there.

Alembic is imported only when a store is not at the head revision: every command
opens the store, and a store at the head is recognised by one SELECT against the
head read from the revisions' files (`head_revision`; a test checks that Alembic
finds the same head). A brand-new store, without a single table, is made at the head
at once from the code's tables and stamped with the head revision, as Alembic's
documentation advises for a database built from scratch: the revisions replay history
that a new store does not have (a test checks that both ways make the same tables).
"""

from __future__ import annotations

import hashlib
import logging
import re
import time as clock
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from mailbot import i18n
from mailbot.errors import StoreError
from mailbot.store.engine import reader

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
SQLITE_RACE_SECONDS = 30
LEGACY_REVISION = "0001"  # the first revision: what create_all made at schema version 1
LEGACY_VERSIONS = (1, 2, 3, 4)  # schema versions made before Alembic
MIGRATION_LOCK_KEY = int.from_bytes(hashlib.sha256(b"mailbot:migrate").digest()[:8], "big", signed=True)

REVISION_LINE = re.compile(r"""^(down_revision|revision)\b[^=\n]*=\s*(?:"([^"]*)"|'([^']*)'|None)""", re.MULTILINE)

if TYPE_CHECKING:
    from alembic.config import Config

logging.getLogger("alembic").setLevel(logging.WARNING)  # its per-step INFO lines say nothing to ICT staff


@cache
def _config() -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


@cache
def head_revision() -> str:
    """The revision no other revision follows, read from the files of migrations/versions/ without Alembic."""
    revisions: set[str] = set()
    followed: set[str] = set()
    for path in (MIGRATIONS_DIR / "versions").glob("*.py"):
        for name, double, single in REVISION_LINE.findall(path.read_text(encoding="utf-8")):
            value = double or single
            if value:
                (revisions if name == "revision" else followed).add(value)
    heads = revisions - followed
    if len(heads) != 1:
        raise LookupError(f"the migrations in {MIGRATIONS_DIR} have {len(heads)} heads: {sorted(heads)}")
    return heads.pop()


def alembic_head() -> str | None:
    """The head as Alembic finds it (what head_revision must agree with)."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(_config()).get_current_head()


def schema_version(revision: str | None) -> int:
    return int(revision) if revision and revision.isdigit() else 0


def current_revision(conn: Connection) -> str | None:
    """The store's revision (None before Alembic), read with one SELECT when the table is there."""
    if not sa.inspect(conn).has_table("alembic_version"):
        return None
    rows = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalars().all()
    if len(rows) <= 1:
        return rows[0] if rows else None
    from alembic.runtime.migration import MigrationContext  # several heads: Alembic's own answer

    return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine, language: str) -> None:
    """Bring the store to the head revision; a store newer than this mailbot is a StoreError.

    SQLite answers "database is locked" at once, without waiting, to a process that
    races another one switching a brand-new file to WAL; that is tried again for a
    while. A store already at the head is only read.
    """
    deadline = clock.monotonic() + SQLITE_RACE_SECONDS
    while True:
        try:
            return _upgrade(engine, language)
        except sa.exc.OperationalError as exc:
            if engine.dialect.name != "sqlite" or "locked" not in str(exc) or clock.monotonic() > deadline:
                raise
            clock.sleep(0.1)


def _upgrade(engine: Engine, language: str) -> None:
    with reader(engine).connect() as conn:
        if current_revision(conn) == head_revision():
            return
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
        found = current_revision(conn)
        if found is None and not sa.inspect(conn).get_table_names():
            _create_at_head(conn)
            log.info("store created at schema version %s", head_revision())
            return
        legacy = _legacy_version(conn) if found is None else 0
        if legacy in LEGACY_VERSIONS:
            found = f"{legacy:04d}"
            _run(conn, "stamp", found)
        if found == head_revision():
            return
        if found is not None and _unknown(found):
            raise i18n.error(
                StoreError,
                "errors.store_too_new",
                language,
                found=schema_version(found),
                supported=schema_version(head_revision()),
            )
        _run(conn, "upgrade", "head")
        _record_schema_version(conn)
        log.info("store migrated from schema version %s to %s", schema_version(found), head_revision())


def _create_at_head(conn: Connection) -> None:
    """The code's tables in an empty database, stamped with the head revision (the version table as Alembic makes it)."""
    from mailbot.store.schema import metadata

    metadata.create_all(conn)
    version = sa.Table(
        "alembic_version",
        sa.MetaData(),
        sa.Column("version_num", sa.String(32), nullable=False),
        sa.PrimaryKeyConstraint("version_num", name="alembic_version_pkc"),
    )
    version.create(conn)
    conn.execute(version.insert().values(version_num=head_revision()))
    _record_schema_version(conn)


def _record_schema_version(conn: Connection) -> None:
    conn.execute(sa.text("DELETE FROM meta WHERE key = 'schema_version'"))
    conn.execute(
        sa.text("INSERT INTO meta (key, value) VALUES ('schema_version', :v)"),
        {"v": str(schema_version(head_revision()))},
    )


def _run(conn: Connection, what: str, revision: str) -> None:
    from alembic import command

    config = _config()
    config.attributes["connection"] = conn
    try:
        getattr(command, what)(config, revision)
    finally:
        config.attributes.pop("connection", None)


def _unknown(revision: str) -> bool:
    from alembic.script import ScriptDirectory

    try:
        ScriptDirectory.from_config(_config()).get_revision(revision)
    except Exception:  # alembic raises its own CommandError/ResolutionError for a revision it does not know
        return True
    return False


def _legacy_version(conn: Connection) -> int:
    if not sa.inspect(conn).has_table("meta"):
        return 0
    value = conn.execute(sa.text("SELECT value FROM meta WHERE key = 'schema_version'")).scalar()
    return int(value) if value and value.isdigit() else 0


def revisions() -> list[str]:
    """Every revision, oldest first."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(_config())
    return [r.revision for r in reversed(list(script.walk_revisions()))]


def upgrade_to(engine: Engine, revision: str) -> None:
    """Bring a store to one given revision (the tests build each earlier schema with it)."""
    with engine.begin() as conn:
        _run(conn, "upgrade", revision)


def differences(engine: Engine) -> list:
    """What differs between the store's tables and the ones the code uses (empty when they match)."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from mailbot.store.schema import metadata

    with reader(engine).connect() as conn:
        found = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), metadata)
    return [
        d for d in found if not (isinstance(d, tuple) and d[0] == "remove_table" and d[1].name == "alembic_version")
    ]
