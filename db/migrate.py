"""Programmatic Alembic: `rolodex migrate`, `serve` and the tests upgrade through here."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection
from sqlalchemy.ext.asyncio import create_async_engine

MIGRATIONS = Path(__file__).parent / "migrations"

# Structures made by hand-written, dialect-specific migrations (FTS5 tables with
# their shadow tables, trigram indexes, expression indexes): not in the models, so
# autogenerate and the models check leave them alone.
HAND_WRITTEN_MARKERS = ("_fts", "_trgm", "_expr")


def include_name(name: str | None, _type: Any, _parents: Any) -> bool:
    """Alembic `include_name` hook: everything but the hand-written structures."""
    return name is None or not any(marker in name for marker in HAND_WRITTEN_MARKERS)


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url)
    return config


async def upgrade(url: str, revision: str = "head") -> bool:
    """Upgrades the database at `url` to `revision`; safe to call on every start.
    True if a migration ran."""
    engine = create_async_engine(url)
    config = alembic_config(url)

    def _upgrade(connection: Connection) -> bool:
        before = MigrationContext.configure(connection).get_current_revision()
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
        return MigrationContext.configure(connection).get_current_revision() != before

    async with engine.begin() as connection:
        migrated = await connection.run_sync(_upgrade)
    await engine.dispose()
    return migrated


def upgrade_sync(url: str, revision: str = "head") -> None:
    asyncio.run(upgrade(url, revision))
