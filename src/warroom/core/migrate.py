"""Schema migrations (Alembic), run programmatically so no alembic.ini is needed.

Each domain keeps its own branch of migrations starting from the foundation (``0002``), so
domains built side by side never fight over one linear history: the schema is current when
every branch head is applied.
"""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from warroom.core.db import Database


def alembic_config(db: Database) -> Config:
    config = Config()
    config.set_main_option("script_location", "warroom:migrations")
    config.set_main_option("sqlalchemy.url", db.url.replace("%", "%%"))
    return config


def upgrade(db: Database, revision: str = "heads") -> None:
    config = alembic_config(db)
    with db.engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, revision)


def current_heads(db: Database) -> frozenset[str]:
    with db.engine.connect() as conn:
        return frozenset(MigrationContext.configure(conn).get_current_heads())


def script_heads(db: Database) -> frozenset[str]:
    return frozenset(ScriptDirectory.from_config(alembic_config(db)).get_heads())


def describe(heads: frozenset[str]) -> str:
    return ", ".join(sorted(heads)) or "nothing"
