"""Programmatic Alembic: `rolodex migrate`, `serve` and the tests upgrade through here."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.ext.asyncio import create_async_engine

MIGRATIONS = Path(__file__).parent / "migrations"

# Structures made by hand-written, dialect-specific migrations (FTS5 tables with
# their shadow tables, trigram indexes, expression indexes): not in the models, so
# autogenerate and the models check leave them alone.
HAND_WRITTEN_MARKERS = ("_fts", "_trgm", "_expr")


def include_name(name: str | None, _type: str, _parents: dict[str, str | None]) -> bool:
    """Alembic `include_name` hook: everything but the hand-written structures."""
    return name is None or not any(marker in name for marker in HAND_WRITTEN_MARKERS)


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url)
    return config


async def upgrade(url: str, revision: str = "head") -> None:
    """Upgrades the database at `url` to `revision`; safe to call on every start."""
    engine = create_async_engine(url)
    config = alembic_config(url)

    def _upgrade(connection) -> None:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)

    async with engine.begin() as connection:
        await connection.run_sync(_upgrade)
    await engine.dispose()


def upgrade_sync(url: str, revision: str = "head") -> None:
    asyncio.run(upgrade(url, revision))
