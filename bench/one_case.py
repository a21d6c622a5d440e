"""What the tools that look at one case of a kept data set share (bench.profile,
bench.execution_floor): their arguments, and an in-process client for the case."""

from __future__ import annotations

import argparse
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from bench.__main__ import prepare
from bench.cases import Case, all_cases
from bench.harness import Client, in_process_client, make_fixture
from db.session import Database


def one_case_parser(prog: str, description: str | None, repeat: int) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=prog, description=description)
    parser.add_argument("case", help="case key, e.g. 1a")
    parser.add_argument("--scale", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--backend", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--repeat", type=int, default=repeat)
    return parser


@asynccontextmanager
async def one_case_client(
    args: argparse.Namespace,
) -> AsyncIterator[tuple[Case, dict[str, Any], Client]]:
    """The case, its variables and an in-process client, on the kept data set."""
    case = next(case for case in all_cases() if case.key == args.case)
    url, company_id = await prepare(args.backend, args.scale, args.seed)
    db = Database(url)
    try:
        fx = await make_fixture(db, company_id)
        async with in_process_client(db, fx.token) as client:
            yield case, case.variables(fx), client
    finally:
        await db.dispose()
