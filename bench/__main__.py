"""`python -m bench` (`make bench`): seed (or reuse) the data set, run the suite, print tables.

Data sets are kept between runs: SQLite in bench/out/rolodex-N-SEED.db, PostgreSQL
in database rolodex_bench_N_SEED (server from ROLODEX_BENCH_POSTGRES_URL; another
database with ROLODEX_BENCH_POSTGRES_DATABASE).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import re
import sqlite3
import time

import asyncpg
from sqlalchemy import func, select

from bench.book_dataset import ensure_book_data
from bench.dataset import refresh_statistics, seed_scale
from bench.harness import OUT_DIR, table
from bench.suite import Options, run_suite
from db.migrate import upgrade
from db.models import Company, Customer
from db.session import Database

POSTGRES_ADMIN_DSN = os.environ.get(
    "ROLODEX_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--scale", type=int, default=10_000, help="customers (default 10,000)")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--backend", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--cases", help="comma-separated case keys, e.g. 1,2,7 (default all)")
    parser.add_argument("--repeat", type=int, default=20, help="timed requests per case")
    parser.add_argument("--no-http", action="store_true", help="in-process only")
    parser.add_argument("--no-throughput", action="store_true")
    parser.add_argument("--throughput-seconds", type=float, default=10.0)
    parser.add_argument("--seed-only", action="store_true", help="prepare the data sets only")
    return parser.parse_args()


async def prepare(backend: str, scale: int, seed: int) -> tuple[str, int]:
    """The URL of a database holding the data set, seeding it the first time."""
    if backend == "sqlite":
        OUT_DIR.mkdir(exist_ok=True)
        url = f"sqlite+aiosqlite:///{OUT_DIR / f'rolodex-{scale}-{seed}.db'}"
    else:
        # ROLODEX_BENCH_POSTGRES_DATABASE: a copy of the data set (e.g. one a branch migrates).
        name = os.environ.get("ROLODEX_BENCH_POSTGRES_DATABASE") or f"rolodex_bench_{scale}_{seed}"
        admin = await asyncpg.connect(POSTGRES_ADMIN_DSN)
        try:
            if not await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
                await admin.execute(f'CREATE DATABASE "{name}"')
        finally:
            await admin.close()
        base = POSTGRES_ADMIN_DSN.rsplit("/", 1)[0].replace(
            "postgresql://", "postgresql+asyncpg://"
        )
        url = f"{base}/{name}"
    migrated = await upgrade(url)
    db = Database(url)
    try:
        # PostgreSQL: every run, since the last run's writes (case 5) left dead rows and
        # pages no index-only scan may use, and this server may not run autovacuum.
        if migrated or not db.sqlite:
            await refresh_statistics(db)
        async with db.session(None) as session:
            company_id = await session.scalar(
                select(Company.id).where(Company.name == f"Scale {seed}").order_by(Company.id)
            )
            if company_id is not None:
                count = await session.scalar(
                    select(func.count(Customer.id)).where(Customer.company_id == company_id)
                )
                if count == scale:
                    await ensure_book_data(db, company_id)
                    return url, company_id
        print(f"seeding {scale:,} customers on {backend} …", flush=True)
        started = time.perf_counter()
        summary = await seed_scale(db, scale, seed)
        print(summary, f"\n({time.perf_counter() - started:.0f} s)", flush=True)
        seeded = re.match(r"seeded company (\d+)", summary)
        assert seeded is not None, summary
        company_id = int(seeded.group(1))
        await ensure_book_data(db, company_id)
        return url, company_id
    finally:
        await db.dispose()


def file_size(path: str) -> int:
    return sum(os.path.getsize(p) for p in (path, f"{path}-wal") if os.path.exists(p))


async def database_size(db: Database) -> str:
    size: int
    if db.sqlite:
        size = file_size(db.url.split("///", 1)[1])
    else:
        async with db.engine.connect() as connection:
            size = (
                await connection.exec_driver_sql("SELECT pg_database_size(current_database())")
            ).scalar_one()
    return f"{size / 2**20:,.0f} MB"


async def main() -> None:
    args = arguments()
    options = Options(
        repeat=args.repeat,
        cases={key.strip() for key in args.cases.split(",")} if args.cases else None,
        http=not args.no_http,
        throughput=not args.no_throughput,
        throughput_seconds=args.throughput_seconds,
    )
    backends = ("sqlite", "postgres") if args.backend == "both" else (args.backend,)
    print(
        f"machine: {os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"SQLite {sqlite3.sqlite_version}; scale {args.scale:,}, seed {args.seed}, "
        f"repeat {args.repeat}",
        flush=True,
    )
    for backend in backends:
        url, company_id = await prepare(backend, args.scale, args.seed)
        db = Database(url)
        try:
            if backend == "postgres":
                async with db.engine.connect() as connection:
                    version = (await connection.exec_driver_sql("SHOW server_version")).scalar()
                print(f"PostgreSQL {version}", flush=True)
            print(f"\n== {backend}: {args.scale:,} customers, database {await database_size(db)}")
            if args.seed_only:
                continue
            results = await run_suite(db, company_id, backend, options)
            print(table(results), flush=True)
        finally:
            await db.dispose()


if __name__ == "__main__":
    asyncio.run(main())
