"""The suite: every case on one database, in-process and over HTTP, then throughput."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any

import httpx
import orjson

from bench.cases import ME, Case, Fixture, all_cases
from bench.harness import (
    REQUEST_TIMEOUT,
    Result,
    http_client,
    in_process_client,
    make_fixture,
    measure_case,
    not_built_reason,
    serve,
)
from db.session import Database

THROUGHPUT_CONCURRENCY = 16
THROUGHPUT_SECONDS = 10.0
THROUGHPUT_MAX_REQUESTS = 5_000


@dataclass
class Options:
    repeat: int = 20
    cases: set[str] | None = None  # None: all
    http: bool = True
    throughput: bool = True
    throughput_seconds: float = THROUGHPUT_SECONDS

    def wants(self, key: str) -> bool:
        if self.cases is None:
            return True
        return key in self.cases or key.rstrip("abcdefghijklmnopqrstuvwxyz") in self.cases


async def run_suite(db: Database, company_id: int, backend: str, options: Options) -> list[Result]:
    fx = await make_fixture(db, company_id)
    cases = [case for case in all_cases() if options.wants(case.key)]
    results: list[Result] = []
    floors: dict[str, tuple[float, Any]] = {}
    async with in_process_client(db, fx.token) as client:
        for case in cases:
            results.append(
                await measure_case(
                    case, client, db, fx, backend, "in-process", options.repeat, floors
                )
            )
    if options.http:
        async with serve(db.url) as server, http_client(server, fx.token) as client:
            for case in cases:
                results.append(
                    await measure_case(
                        case, client, db, fx, backend, "http", options.repeat, floors
                    )
                )
    if options.throughput and options.wants("7"):
        results.extend(await run_throughput(db, fx, backend, cases, options))
    return results


async def run_throughput(
    db: Database, fx: Fixture, backend: str, cases: list[Case], options: Options
) -> list[Result]:
    """Requests per second against `rolodex serve --workers 2` from concurrent clients."""
    targets = [("7me", "throughput: me", ME, {})]
    listing = next((case for case in all_cases() if case.key == "1a"), None)
    if listing is not None:
        targets.append(("7list", "throughput: case 1a", listing.query, listing.variables(fx)))
    results = []
    async with serve(db.url, workers=2) as server:
        for key, title, query, variables in targets:
            result = Result(key, title, backend, "http ×2 workers")
            reason = not_built_reason(query)
            if reason is not None:
                result.note = f"n/a (not built yet: {reason[:60]})"
            else:
                await hammer(server.base_url, fx.token, query, variables, result, options)
            results.append(result)
    return results


async def hammer(
    base_url: str,
    token: str,
    query: str,
    variables: dict[str, Any],
    result: Result,
    options: Options,
) -> None:
    body = orjson.dumps({"query": query, "variables": variables})
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    latencies: list[float] = []
    failures = 0
    deadline = time.monotonic() + options.throughput_seconds
    limits = httpx.Limits(max_connections=THROUGHPUT_CONCURRENCY)

    async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=REQUEST_TIMEOUT) as http:

        async def worker() -> None:
            nonlocal failures
            while (
                time.monotonic() < deadline and len(latencies) + failures < THROUGHPUT_MAX_REQUESTS
            ):
                started = time.perf_counter()
                response = await http.post("/graphql", content=body, headers=headers)
                if response.status_code == 200 and b'"errors"' not in response.content[:20]:
                    latencies.append((time.perf_counter() - started) * 1000)
                else:
                    failures += 1

        # A warm-up request per worker process, outside the measurement.
        for _ in range(4):
            await http.post("/graphql", content=body, headers=headers)
        started = time.monotonic()
        await asyncio.gather(*(worker() for _ in range(THROUGHPUT_CONCURRENCY)))
        elapsed = time.monotonic() - started
    if latencies:
        latencies.sort()
        result.p50 = latencies[len(latencies) // 2]
        result.p95 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.95))]
    rate = len(latencies) / elapsed
    result.extra["rps"] = rate
    result.note = (
        f"{rate:,.0f} req/s ({len(latencies)} ok, {failures} failed in {elapsed:.1f} s, "
        f"{THROUGHPUT_CONCURRENCY} concurrent)"
    )
