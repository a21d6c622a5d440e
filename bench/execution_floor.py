"""`python -m bench.execution_floor 1a`: what bare graphql-core costs to execute a case's
answer, with no database, no Strawberry and no resolvers of ours.

The case's GraphQL answer is fetched once in-process, then executed again by
graphql-core alone over a schema built from schema.graphql, with that answer as the
root value (default resolvers read each field from a dict). No real server can
resolve that document faster with graphql-core, so it bounds how close to its SQL
floor a case can get.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from pathlib import Path
from typing import Any

from graphql import build_schema, execute_sync, parse

from bench.harness import count_fields
from bench.one_case import one_case_client, one_case_parser

SDL = Path(__file__).parent.parent / "schema.graphql"


def arguments() -> argparse.Namespace:
    return one_case_parser("python -m bench.execution_floor", __doc__, repeat=30).parse_args()


async def answer(args: argparse.Namespace) -> tuple[str, dict[str, Any], dict[str, Any]]:
    async with one_case_client(args) as (case, variables, client):
        data, _, _ = await client.request(case.query, variables)
    return case.query, variables, data


def main() -> None:
    args = arguments()
    query, variables, data = asyncio.run(answer(args))
    schema = build_schema(SDL.read_text())
    document = parse(query)
    samples = []
    for _ in range(args.repeat):
        started = time.perf_counter()
        result = execute_sync(schema, document, root_value=data, variable_values=variables)
        samples.append((time.perf_counter() - started) * 1000)
    if result.errors or result.data != data:
        raise SystemExit(f"bare execution differs: {result.errors}")
    fields = count_fields(data)
    p50 = statistics.median(samples)
    print(
        f"case {args.case}: {fields:,} fields; bare graphql-core execution p50 {p50:.1f} ms "
        f"({p50 * 1000 / fields:.1f} µs per field), min {min(samples):.1f} ms"
    )


if __name__ == "__main__":
    main()
