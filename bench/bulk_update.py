"""How long one customersBulkUpdate of N customers takes, end to end through GraphQL.

    .venv/bin/python -m bench.bulk_update [--customers 10000] [--database URL]

Builds a throwaway SQLite database (or uses --database), inserts N customers,
then times a dry run, the bulk update itself and its revert over HTTP in process.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

import httpx
from sqlalchemy import insert

from db.enums import Role
from db.migrate import upgrade
from db.models import Customer
from db.session import Database
from resolvers.accounts import create_company, create_staff
from resolvers.credentials import issue_token
from resolvers.ids import encode_id
from resolvers.text import name_key
from server.app import create_app
from server.settings import Settings

BULK = """mutation($input: CustomersBulkUpdateInput!) { customersBulkUpdate(input: $input) {
  matchedCount updatedCount bulkOperationId userErrors { message } } }"""
REVERT = """mutation($id: ID!) { bulkOperationRevert(id: $id) {
  restoredCount skippedCount userErrors { message } } }"""


async def run(url: str, customers: int) -> None:
    await upgrade(url)
    db = Database(url)
    async with db.transaction(None) as session:
        company = await create_company(session, "Bench bulk")
        manager = await create_staff(
            session,
            company.id,
            name="Manager",
            email=f"bulk-{time.time_ns()}@example.com",
            role=Role.MANAGER,
            password=None,
        )
        rep = await create_staff(
            session,
            company.id,
            name="Rep",
            email=f"rep-{time.time_ns()}@example.com",
            role=Role.REP,
            password=None,
        )
        token = await issue_token(session, manager, ttl_hours=1)
        names = [f"Customer {i:06d}" for i in range(customers)]
        result = await session.execute(
            insert(Customer).returning(Customer.id),
            [{"company_id": company.id, "name": n, "name_key": name_key(n)} for n in names],
        )
        ids = [encode_id("Customer", pk) for pk in result.scalars()]

    settings = Settings(
        database_url=url, attachments_dir=Path(tempfile.mkdtemp()), log_level="WARNING"
    )
    app = create_app(settings, db)
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://b"
    ) as client:

        async def timed(label: str, query: str, variables: dict) -> dict:
            started = time.perf_counter()
            response = await client.post(
                "/graphql", json={"query": query, "variables": variables}, headers=headers
            )
            elapsed = time.perf_counter() - started
            payload = next(iter(response.json()["data"].values()))
            print(f"{label:<28} {elapsed * 1000:8.0f} ms  {payload}")
            return payload

        set_rep = {"ids": ids, "set": {"salesRepId": encode_id("Staff", rep.id)}}
        await timed(f"dry run, {customers} ids", BULK, {"input": {**set_rep, "dryRun": True}})
        await timed(f"bulk update, {customers} ids", BULK, {"input": set_rep})
        done = await timed(
            "bulk update by filter",
            BULK,
            {"input": {"filter": {}, "set": {"billingStatus": "PAST_DUE"}}},
        )
        await timed("revert of the filter update", REVERT, {"id": done["bulkOperationId"]})
    await db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument("--database", default=None, help="default: a new SQLite file")
    args = parser.parse_args()
    url = args.database or f"sqlite+aiosqlite:///{tempfile.mkdtemp()}/bench.db"
    asyncio.run(run(url, args.customers))


if __name__ == "__main__":
    main()
