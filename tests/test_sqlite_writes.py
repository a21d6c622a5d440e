"""SQLite under concurrent writers: read-then-write transactions neither fail nor lose writes."""

from __future__ import annotations

import asyncio

from sqlalchemy import select, update

from db.migrate import upgrade
from db.models import Company
from db.session import Database


async def _increment(db: Database, company_id: int) -> None:
    # Read, then write what was read + 1: loses updates unless the read is inside the lock.
    async with db.transaction(None) as session:
        current = (
            await session.execute(select(Company.next_order_number).where(Company.id == company_id))
        ).scalar_one()
        await asyncio.sleep(0)
        await session.execute(
            update(Company).where(Company.id == company_id).values(next_order_number=current + 1)
        )


async def test_concurrent_read_then_write_loses_nothing(tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'writes.db'}"
    await upgrade(url)
    # Two Database objects stand for two server processes: separate pools and locks,
    # so only BEGIN IMMEDIATE and the busy timeout keep them apart.
    first, second = Database(url), Database(url)
    async with first.transaction(None) as session:
        company = Company(name="Race", slug="race")
        session.add(company)
        await session.flush()
        company_id, start = company.id, company.next_order_number
    await asyncio.gather(*(_increment(db, company_id) for _ in range(25) for db in (first, second)))
    async with second.transaction(None) as session:
        final = (
            await session.execute(select(Company.next_order_number).where(Company.id == company_id))
        ).scalar_one()
    assert final == start + 50
    await first.dispose()
    await second.dispose()
