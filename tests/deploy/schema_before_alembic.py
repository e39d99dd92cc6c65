"""The store as mailbot made it before Alembic, at schema versions 1 to 4.

The statements it ran are frozen in before_alembic.<dialect>.sql, one section a
version: a store at version N is the sections up to N, with its meta row.
"""

from __future__ import annotations

import re
from pathlib import Path

import sqlalchemy as sa

HERE = Path(__file__).resolve().parent
SECTION = re.compile(r"^-- schema (\d+):", re.MULTILINE)
VERSIONS = (1, 2, 3, 4)


def statements(dialect: str, version: int) -> list[str]:
    """The statements that made a store at schema `version` on `dialect` ("sqlite" or "postgresql")."""
    text = (HERE / f"before_alembic.{dialect}.sql").read_text(encoding="utf-8")
    end = next((m.start() for m in SECTION.finditer(text) if int(m.group(1)) > version), len(text))
    body = "\n".join(line for line in text[:end].splitlines() if not line.startswith("--"))
    return [s.strip() for s in body.split(";") if s.strip()]


def create_store_before_alembic(engine: sa.Engine, version: int) -> None:
    """What Store.open did at schema version `version`, before Alembic."""
    with engine.begin() as conn:
        for statement in statements(engine.dialect.name, version):
            conn.execute(sa.text(statement))
        conn.execute(sa.text("INSERT INTO meta (key, value) VALUES ('schema_version', :v)"), {"v": str(version)})


def tables_of(engine: sa.Engine) -> dict[str, dict[str, object]]:
    """Every table as the database describes it: columns, keys, indexes, unique constraints."""
    seen = sa.inspect(engine)
    return {
        name: {
            "columns": sorted((c["name"], str(c["type"]), c["nullable"]) for c in seen.get_columns(name)),
            "primary_key": seen.get_pk_constraint(name)["constrained_columns"],
            "foreign_keys": sorted(
                (tuple(k["constrained_columns"]), k["referred_table"], tuple(k["referred_columns"]))
                for k in seen.get_foreign_keys(name)
            ),
            "indexes": sorted((i["name"], tuple(i["column_names"]), bool(i["unique"])) for i in seen.get_indexes(name)),
            "unique": sorted(tuple(u["column_names"]) for u in seen.get_unique_constraints(name)),
        }
        for name in seen.get_table_names()
        if name != "alembic_version"
    }
