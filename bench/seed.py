"""`python -m bench.seed --scale N [--seed S] [--database URL]`: the benchmark data set
(bench/dataset.py) in any database, migrated first. The `rolodex` command does not
carry this: the server does not depend on the bench package."""

from __future__ import annotations

import argparse
import asyncio

from bench.dataset import seed_scale
from db.migrate import upgrade
from db.session import Database
from server.settings import get_settings


async def seed(url: str, scale: int, random_seed: int) -> str:
    await upgrade(url)
    db = Database(url)
    try:
        return await seed_scale(db, scale, random_seed)
    finally:
        await db.dispose()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.seed", description=__doc__)
    parser.add_argument("--scale", type=int, required=True, help="N customers")
    parser.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
    parser.add_argument(
        "--database",
        default=get_settings().database_url,
        help="SQLAlchemy URL (default: ROLODEX_DATABASE_URL, else sqlite ./rolodex.db)",
    )
    args = parser.parse_args(argv)
    if args.scale < 1:
        parser.error("--scale must be at least 1")
    print(asyncio.run(seed(args.database, args.scale, args.seed)))


if __name__ == "__main__":
    main()
