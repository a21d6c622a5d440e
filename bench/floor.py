"""The floor's tools: hand-written SQL on the bare driver connection, and JSON by hand.

The floor of a case is the same answer produced with the fewest SQL statements
we can write by hand and `orjson.dumps`: what the request would cost without
GraphQL, the ORM or dataloaders. Placeholders are written `?` and turned into
`$n` for asyncpg; a list parameter is `json_list(values)` inside `IN (...)`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import orjson

from db.session import Database
from resolvers.ids import encode_id

__all__ = ["Raw", "encode_id", "iso", "money", "orjson"]


def money(cents: int | None) -> str | None:
    """Cents as the Decimal scalar serialises them: "1234.50"."""
    if cents is None:
        return None
    return str(Decimal(cents).scaleb(-2))


def iso(value: datetime | str | None) -> str | None:
    """A stored UTC timestamp as the DateTime scalar serialises it."""
    if value is None:
        return None
    if isinstance(value, str):  # SQLite keeps naive UTC text
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat()


class Raw:
    """One driver connection (aiosqlite or asyncpg) with a `fetch` for both."""

    def __init__(self, driver: Any, postgres: bool) -> None:
        self.driver = driver
        self.postgres = postgres

    @classmethod
    @asynccontextmanager
    async def open(cls, db: Database) -> AsyncIterator[Raw]:
        async with db.engine.connect() as connection:
            raw = await connection.get_raw_connection()
            yield cls(raw.driver_connection, db.dialect == "postgresql")

    def sql(self, statement: str) -> str:
        if not self.postgres:
            return statement
        parts = statement.split("?")
        out = [parts[0]]
        for n, part in enumerate(parts[1:], start=1):
            out.append(f"${n}{part}")
        return "".join(out)

    def in_list(self) -> str:
        """The right-hand side of `x IN (...)` for one list parameter (see `values`)."""
        return "SELECT unnest(?::bigint[])" if self.postgres else "SELECT value FROM json_each(?)"

    def values(self, ids: Sequence[int]) -> Any:
        return list(ids) if self.postgres else orjson.dumps(list(ids)).decode()

    async def fetch(self, statement: str, *params: Any) -> list[Sequence[Any]]:
        if self.postgres:
            return await self.driver.fetch(self.sql(statement), *params)
        cursor = await self.driver.execute(statement, params)
        rows = await cursor.fetchall()
        await cursor.close()
        return rows

    async def execute(self, statement: str, *params: Any) -> None:
        if self.postgres:
            await self.driver.execute(self.sql(statement), *params)
        else:
            await (await self.driver.execute(statement, params)).close()

    async def executemany(self, statement: str, rows: Sequence[Sequence[Any]]) -> None:
        if self.postgres:
            await self.driver.executemany(self.sql(statement), rows)
        else:
            await self.driver.executemany(statement, rows)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[None]:
        if self.postgres:
            async with self.driver.transaction():
                yield
            return
        await self.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            await self.execute("ROLLBACK")
            raise
        await self.execute("COMMIT")
