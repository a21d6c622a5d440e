"""schema.graphql equals the code's SDL; migrations build exactly the models' schema."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from db.migrate import include_name
from db.models import Base
from schema import schema

ROOT = Path(__file__).resolve().parent.parent


def test_schema_graphql_is_up_to_date():
    exported = schema.as_str() + "\n"
    saved = (ROOT / "schema.graphql").read_text()
    assert saved == exported, "schema.graphql is stale: run `make schema`"


# SQLite reflection can't read the hand-written expression indexes (db.migrate.include_name
# leaves them out of the comparison anyway).
@pytest.mark.filterwarnings(
    "ignore:Skipped unsupported reflection of expression-based index:sqlalchemy.exc.SAWarning"
)
async def test_migrations_build_the_models_schema(database):
    """An empty database upgraded to head (the fixture did it) matches db/models.py."""

    def diff(connection):
        context = MigrationContext.configure(
            connection, opts={"compare_type": False, "include_name": include_name}
        )
        return compare_metadata(context, Base.metadata)

    def tables(connection):
        return set(inspect(connection).get_table_names())

    async with database.engine.connect() as connection:
        assert await connection.run_sync(diff) == []
        assert set(Base.metadata.tables) <= await connection.run_sync(tables)
