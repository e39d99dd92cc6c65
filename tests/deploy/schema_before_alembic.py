"""The store's tables at schema versions 1 to 3, as `create_all` made them before Alembic.

A frozen copy: the tests build a store the way mailbot did then and upgrade it.
"""

import sqlalchemy as sa

from mailbot.store.schema import UtcDateTime

metadata = sa.MetaData()

sa.Table(
    "meta", metadata, sa.Column("key", sa.String(200), primary_key=True), sa.Column("value", sa.Text, nullable=False)
)
sa.Table(
    "messages",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("sha256", sa.String(64), nullable=False, unique=True),
    sa.Column("message_id", sa.Text),
    sa.Column("source", sa.Text, nullable=False),
    sa.Column("source_key", sa.Text, nullable=False),
    sa.Column("received_at", UtcDateTime),
    sa.Column("stored_at", UtcDateTime, nullable=False),
    sa.Column("size", sa.BigInteger, nullable=False),
    sa.Column("headers_only", sa.Boolean, nullable=False),
    sa.Column("sender", sa.Text),
    sa.Column("subject", sa.Text),
    sa.Column("raw", sa.LargeBinary, nullable=False),
)
sa.Table(
    "message_keys",
    metadata,
    sa.Column("source", sa.Text, primary_key=True),
    sa.Column("source_key", sa.String(400), primary_key=True),
    sa.Column("message_row", sa.Integer, sa.ForeignKey("messages.id"), nullable=False),
)
sa.Table(
    "submissions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("message_row", sa.Integer, sa.ForeignKey("messages.id"), nullable=False, unique=True),
    sa.Column("unit", sa.String(100), index=True),
    sa.Column("period", sa.Date, index=True),
    sa.Column("received_at", UtcDateTime, nullable=False),
    sa.Column("sender", sa.Text),
    sa.Column("subject", sa.Text),
    sa.Column("message_id", sa.Text),
    sa.Column("read_unit", sa.String(100)),
    sa.Column("read_figures", sa.JSON, nullable=False),
    sa.Column("figures", sa.JSON, nullable=False),
    sa.Column("problems", sa.JSON, nullable=False),
    sa.Column("read_status", sa.String(20), nullable=False),
    sa.Column("status", sa.String(20), nullable=False, index=True),
    sa.Column("decided_by", sa.Text),
    sa.Column("decision_note", sa.Text),
)
sa.Table(
    "decisions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("submission_id", sa.Integer, sa.ForeignKey("submissions.id"), nullable=False, index=True),
    sa.Column("action", sa.String(20), nullable=False),
    sa.Column("decided_by", sa.Text, nullable=False),
    sa.Column("decided_at", UtcDateTime, nullable=False),
    sa.Column("reason", sa.Text),
    sa.Column("unit", sa.String(100)),
    sa.Column("figures", sa.JSON),
)
sa.Table(
    "source_marks",
    metadata,
    sa.Column("source", sa.String(400), primary_key=True),
    sa.Column("uidvalidity", sa.BigInteger),
    sa.Column("last_uid", sa.BigInteger, nullable=False),
    sa.Column("heartbeat_at", UtcDateTime),
)
sa.Table(
    "outbox",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("key", sa.String(400), nullable=False, unique=True),
    sa.Column("kind", sa.String(40), nullable=False),
    sa.Column("recipients", sa.JSON, nullable=False),
    sa.Column("message_id", sa.Text, nullable=False),
    sa.Column("raw", sa.LargeBinary, nullable=False),
    sa.Column("state", sa.String(20), nullable=False, index=True),
    sa.Column("attempts", sa.Integer, nullable=False, default=0),
    sa.Column("next_attempt_at", UtcDateTime, nullable=False),
    sa.Column("claimed_at", UtcDateTime),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("sent_at", UtcDateTime),
    sa.Column("last_error", sa.Text),
)
sa.Table(
    "locks",
    metadata,
    sa.Column("name", sa.String(200), primary_key=True),
    sa.Column("holder", sa.Text, nullable=False),
    sa.Column("expires_at", UtcDateTime, nullable=False),
)


# Schema version 2 added the console's tables (frozen as create_all made them).
console = sa.MetaData()
for table in metadata.sorted_tables:
    table.to_metadata(console)
sa.Table(
    "users",
    console,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(100), nullable=False, unique=True),
    sa.Column("role", sa.String(20), nullable=False),
    sa.Column("password_hash", sa.Text, nullable=False),
    sa.Column("disabled", sa.Boolean, nullable=False, default=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
)
sa.Table(
    "sessions",
    console,
    sa.Column("token_hash", sa.String(64), primary_key=True),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False, index=True),
    sa.Column("csrf", sa.String(64), nullable=False),
    sa.Column("address", sa.Text),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("expires_at", UtcDateTime, nullable=False),
)
sa.Table(
    "api_tokens",
    console,
    sa.Column("token_hash", sa.String(64), primary_key=True),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False, index=True),
    sa.Column("created_at", UtcDateTime, nullable=False),
)
sa.Table(
    "audit",
    console,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", UtcDateTime, nullable=False, index=True),
    sa.Column("who", sa.Text, nullable=False),
    sa.Column("address", sa.Text),
    sa.Column("action", sa.String(40), nullable=False, index=True),
    sa.Column("target", sa.Text),
    sa.Column("detail", sa.Text),
)

# Schema version 3 added the operating-system login of a review decision.
with_login = sa.MetaData()
for table in console.sorted_tables:
    table.to_metadata(with_login)
with_login.tables["decisions"].append_column(sa.Column("os_login", sa.Text))

# Schema version 4 added where a submission's figures were read.
with_sources = sa.MetaData()
for table in with_login.sorted_tables:
    table.to_metadata(with_sources)
with_sources.tables["submissions"].append_column(sa.Column("sources", sa.JSON))

BEFORE_ALEMBIC = {1: metadata, 2: console, 3: with_login, 4: with_sources}


def create_store_before_alembic(engine: sa.Engine, version: int) -> None:
    """What Store.open did at schema version `version`, before Alembic."""
    with engine.begin() as conn:
        BEFORE_ALEMBIC[version].create_all(conn)
        conn.execute(sa.text("INSERT INTO meta (key, value) VALUES ('schema_version', :v)"), {"v": str(version)})
