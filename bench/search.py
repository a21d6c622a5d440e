"""How long root `search` takes at N customers (with half as many contacts and locations).

    .venv/bin/python -m bench.search [--customers 100000] [--database URL]

Builds a throwaway SQLite database (or uses --database, e.g. an empty PostgreSQL
database), bulk-inserts the rows (the search triggers index them as they go),
then times a few queries end to end through GraphQL, best of five runs each.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import tempfile
import time
from pathlib import Path

import httpx
from sqlalchemy import insert, select, text

from db.enums import Role
from db.migrate import upgrade
from db.models import Contact, Customer, Location
from db.session import Database
from resolvers.accounts import create_company, create_staff
from resolvers.credentials import issue_token
from resolvers.text import name_key, optional_key
from server.app import create_app
from server.settings import Settings

WORDS = (
    "Café Olé Bistro Acme Hardware Supply Garden Northern Élan Smith Jones Crêperie Market "
    "Harbor Valley Summit Pioneer Maple Cedar Golden Anchor Beacon Coastal Prairie Union"
).split()
CITIES = ("Montréal", "Québec", "Toronto", "Zürich", "Lyon", "Boston", "Denver")
QUERIES = ("cafe", "caf", "ole", "harbor supply", "smith 4", "zurich", "555-01", "ca", "zzzq")
SEARCH = """query($q: String!) { search(query: $q, first: 10) {
  __typename ... on Customer { name } ... on Contact { name } ... on Location { name } } }"""
BATCH = 5_000


def company_name(rng: random.Random, i: int) -> str:
    return f"{rng.choice(WORDS)} {rng.choice(WORDS)} {i}"


async def seed(db: Database, customers: int) -> str:
    rng = random.Random(7)
    async with db.transaction(None) as session:
        company = await create_company(session, "Bench search")
        staff = await create_staff(
            session,
            company.id,
            name="Rep",
            email=f"search-{time.time_ns()}@example.com",
            role=Role.REP,
            password=None,
        )
        token = await issue_token(session, staff, ttl_hours=1)
    for start in range(0, customers, BATCH):
        async with db.transaction(None) as session:
            names = [company_name(rng, i) for i in range(start, min(start + BATCH, customers))]
            rows = [{"company_id": company.id, "name": n, "name_key": name_key(n)} for n in names]
            await session.execute(insert(Customer), rows)
            ids = list(
                (
                    await session.execute(
                        select(Customer.id)
                        .where(Customer.company_id == company.id)
                        .order_by(Customer.id.desc())
                        .limit(len(rows))
                    )
                ).scalars()
            )
            half = ids[: len(ids) // 2]
            # Bulk inserts skip the mapper events: compute the search keys here.
            contacts = [
                {
                    "company_id": company.id,
                    "customer_id": pk,
                    "name": (n := f"{rng.choice(WORDS)} Contact {pk}"),
                    "name_key": optional_key(n),
                    "email": f"person{pk}@example.com",
                    "phone": f"(555) 01{pk % 100:02d}-{pk % 10000:04d}",
                }
                for pk in half
            ]
            locations = [
                {
                    "company_id": company.id,
                    "customer_id": pk,
                    "name": (n := f"{rng.choice(WORDS)} Store {pk}"),
                    "name_key": name_key(n),
                    "city": (city := rng.choice(CITIES)),
                    "city_key": optional_key(city),
                }
                for pk in half
            ]
            await session.execute(insert(Contact), contacts)
            await session.execute(insert(Location), locations)
        print(f"  seeded {min(start + BATCH, customers)} customers", flush=True)
    return token


async def run(url: str, customers: int) -> None:
    await upgrade(url)
    db = Database(url)
    started = time.perf_counter()
    token = await seed(db, customers)
    print(f"seeding {customers} customers: {time.perf_counter() - started:.1f} s")
    if db.dialect == "postgresql":
        # Fresh statistics, as autovacuum would gather: the planner needs them to pick
        # the trigram indexes over the company index.
        async with db.engine.connect() as connection:
            await connection.execute(text("ANALYZE"))
            await connection.commit()
    settings = Settings(
        database_url=url, attachments_dir=Path(tempfile.mkdtemp()), log_level="WARNING"
    )
    app = create_app(settings, db)
    headers = {"Authorization": f"Bearer {token}"}
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://b") as client:
        for query in QUERIES:
            timings = []
            for _ in range(5):
                t0 = time.perf_counter()
                response = await client.post(
                    "/graphql", json={"query": SEARCH, "variables": {"q": query}}, headers=headers
                )
                timings.append(time.perf_counter() - t0)
            results = response.json()["data"]["search"]
            first = results[0] if results else None
            print(
                f"search {query!r:<16} best {min(timings) * 1000:6.1f} ms  "
                f"median {sorted(timings)[2] * 1000:6.1f} ms  {len(results)} hits, first {first}"
            )
    await db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--database", default=None, help="default: a new SQLite file")
    args = parser.parse_args()
    url = args.database or f"sqlite+aiosqlite:///{tempfile.mkdtemp()}/bench.db"
    asyncio.run(run(url, args.customers))


if __name__ == "__main__":
    main()
