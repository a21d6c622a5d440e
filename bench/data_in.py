"""Data in at scale: import N generated customers with the CLI, then time possibleDuplicates.

    python -m bench.data_in --database URL [--customers 100000]

Writes a CSV of N customers (externalIds, e-mails, phones and names with realistic
collisions: about 1 in 50 shares an e-mail, 1 in 20 a phone, 1 in 10 a name), creates
a company with an ADMIN, runs `rolodex import customers` in a child process and reads
its wall time and peak RSS (getrusage of the child), then runs the possibleDuplicates
loader for pages of 50 customers and prints the PostgreSQL plan of one.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import random
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, cast

from sqlalchemy import select, text

from db.enums import Role
from db.migrate import upgrade
from db.models import Customer
from db.session import Database, Scope
from resolvers.accounts import create_company, create_staff
from resolvers.duplicates import load_possible_duplicates

if TYPE_CHECKING:
    from resolvers.context import Context

WORDS = "north south harbor river pine oak summit valley coast metro city union".split()
KINDS = "supply tools bikes foods books garden hardware electric print design".split()


def write_csv(path: Path, n: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["externalId", "name", "email", "phone", "status", "billingCity"])
        for i in range(n):
            name = f"{rng.choice(WORDS).title()} {rng.choice(KINDS).title()} {i // 10}"
            email = f"buyer{i if rng.random() > 0.02 else rng.randrange(n)}@shop.example"
            phone = f"+1 503 {rng.randrange(200, 999)} {rng.randrange(10_000):04d}"
            writer.writerow([f"OLD-{i}", name, email, phone, "ACTIVE", "Portland"])


async def make_company(url: str) -> str:
    await upgrade(url)
    db = Database(url)
    try:
        async with db.transaction(None) as session:
            company = await create_company(session, f"Import bench {uuid.uuid4().hex[:6]}")
            await create_staff(
                session,
                company.id,
                name="Bench Admin",
                email=f"bench-{uuid.uuid4().hex[:8]}@example.com",
                role=Role.ADMIN,
                password="bench-password-1",
            )
            return company.slug
    finally:
        await db.dispose()


def run_import(url: str, path: Path, slug: str) -> tuple[float, float, str]:
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "server.cli", "import", "customers", str(path)]
        + ["--company", slug, "--database", url],
        capture_output=True,
        text=True,
        check=True,
    )
    seconds = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return seconds, peak_mb, done.stdout.strip()


class _Context:
    """What the loader reads of a request context: its scoped read session."""

    def __init__(self, session) -> None:
        self.session = session


async def time_duplicates(url: str, slug: str, pages: int = 20) -> None:
    db = Database(url)
    try:
        async with db.session(None) as session:
            company_id = await session.scalar(
                text("SELECT id FROM companies WHERE slug = :slug").bindparams(slug=slug)
            )
        scope = Scope(company_id)
        async with db.session(scope) as session:
            ids = list((await session.scalars(select(Customer.id).order_by(Customer.id))).all())
            rng = random.Random(3)
            timings, found = [], 0
            for _ in range(pages):
                start = rng.randrange(len(ids) - 50)
                page = ids[start : start + 50]
                began = time.perf_counter()
                context = cast("Context", _Context(session))
                result = await load_possible_duplicates(context, page)
                timings.append(time.perf_counter() - began)
                found += sum(len(r) for r in result)
            timings.sort()
            print(
                f"possibleDuplicates for a page of 50 of {len(ids)} customers: "
                f"median {timings[len(timings) // 2] * 1000:.1f} ms, "
                f"max {timings[-1] * 1000:.1f} ms, {found / pages:.1f} duplicates a page"
            )
    finally:
        await db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database", required=True)
    parser.add_argument("--customers", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "customers.csv"
        write_csv(path, args.customers)
        size_mb = path.stat().st_size / 1e6
        slug = asyncio.run(make_company(args.database))
        seconds, peak_mb, output = run_import(args.database, path, slug)
        print(output)
        print(
            f"import of {args.customers} customers ({size_mb:.1f} MB): {seconds:.1f} s, "
            f"{args.customers / seconds:,.0f} rows/s, peak RSS {peak_mb:.0f} MB"
        )
    asyncio.run(time_duplicates(args.database, slug))


if __name__ == "__main__":
    main()
