"""The suite: every case on one database, in-process and over HTTP, then throughput."""

from __future__ import annotations

import asyncio
import csv
import io
import time
from contextlib import AsyncExitStack
from dataclasses import dataclass
from typing import Any

import httpx
import orjson

from bench.cases import ME, Fixture, all_cases
from bench.floor import Raw, iso, money
from bench.harness import (
    PAGE_SIZES,
    REQUEST_TIMEOUT,
    Client,
    Result,
    Server,
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
    # Page sizes of the statement-count check; pages must be full for counts to compare.
    page_sizes: tuple[int, ...] = PAGE_SIZES

    def wants(self, key: str) -> bool:
        if self.cases is None:
            return True
        return key in self.cases or key.rstrip("abcdefghijklmnopqrstuvwxyz") in self.cases


async def run_suite(db: Database, company_id: int, backend: str, options: Options) -> list[Result]:
    """Reads in both modes first, then the export, then writes: every read sees the seeded data."""
    fx = await make_fixture(db, company_id)
    cases = [case for case in all_cases() if options.wants(case.key)]
    results: list[Result] = []
    floors: dict[str, tuple[float, Any]] = {}
    async with AsyncExitStack() as stack:
        clients: list[tuple[str, Client, Server | None]] = [
            ("in-process", await stack.enter_async_context(in_process_client(db, fx.token)), None)
        ]
        if options.http:
            http_server = await stack.enter_async_context(serve(db.url))
            http = await stack.enter_async_context(http_client(http_server, fx.token))
            clients.append(("http", http, http_server))
        for writes in (False, True):
            for mode, client, server in clients:
                for case in cases:
                    if case.mutation != writes:
                        continue
                    results.append(
                        await measure_case(
                            case,
                            client,
                            db,
                            fx,
                            backend,
                            mode,
                            options.repeat,
                            floors,
                            options.page_sizes,
                        )
                    )
                if not writes and options.wants("6"):
                    results.append(await run_export(db, fx, backend, client.http, server, floors))
    if options.throughput and options.wants("7"):
        results.extend(await run_throughput(db, fx, backend, options))
    return results


EXPORT_PATH = "/export/orders.csv"
SMALL_EXPORT_ROWS = 10_000


async def run_export(
    db: Database,
    fx: Fixture,
    backend: str,
    http: httpx.AsyncClient,
    server: Server | None,
    floors: dict[str, tuple[float, Any]],
) -> Result:
    """Case 6: every order as CSV, streamed; rows per second, and the server's peak RSS
    after exporting about 10,000 rows and then all of them (flat memory: small growth)."""
    result = Result("6", "CSV export of all orders", backend, "http" if server else "in-process")
    probe = await http.get(EXPORT_PATH, params={"statuses": "NONE"})
    if probe.status_code == 404:
        result.note = f"n/a (not built yet: GET {EXPORT_PATH} is 404)"
        return result
    headers = {"Authorization": f"Bearer {fx.token}"}

    async def export(params: dict[str, str]) -> tuple[int, float]:
        started = time.perf_counter()
        lines = 0
        async with http.stream("GET", EXPORT_PATH, params=params, headers=headers) as response:
            if response.status_code != 200:
                raise RuntimeError(f"HTTP {response.status_code}")
            async for chunk in response.aiter_bytes():
                lines += chunk.count(b"\n")
        return lines - 1, time.perf_counter() - started

    try:
        since = await recent_orders_since(db, fx.company_id, SMALL_EXPORT_ROWS)
        small_rows, _ = await export({"createdFrom": since})
        rss_small = server.peak_rss_mb() if server else None
        before = db.statements
        rows, seconds = await export({})
        if server is None:
            result.statements = db.statements - before
        rss_all = server.peak_rss_mb() if server else None
    except RuntimeError as error:
        result.note = f"error: {error}"
        return result
    if "6" not in floors:
        async with Raw.open(db) as raw:
            started = time.perf_counter()
            floor_rows = await floor_export(raw, fx)
            floors["6"] = (time.perf_counter() - started) * 1000, floor_rows
    floor_ms, floor_rows = floors["6"]
    result.p50 = result.p95 = seconds * 1000
    result.floor_p50 = floor_ms
    result.matches_floor = rows == floor_rows
    result.extra = {
        "rows": rows,
        "rows_per_s": rows / seconds,
        "rss_small": rss_small,
        "rss_all": rss_all,
        "small_rows": small_rows,
    }
    memory = ""
    if server and rss_small is not None and rss_all is not None:
        memory = (
            f"; peak RSS {rss_small:,.0f} MB after {small_rows:,} rows, {rss_all:,.0f} MB after "
            f"all: {rss_all - rss_small:+,.0f} MB"
        )
    result.note = (
        f"{rows:,} rows, {rows / seconds:,.0f} rows/s (floor {floor_rows / floor_ms * 1000:,.0f})"
        + memory
    )
    return result


async def recent_orders_since(db: Database, company_id: int, rows: int) -> str:
    """The day from which about `rows` of the newest orders were placed."""
    async with Raw.open(db) as raw:
        found = await raw.fetch(
            "SELECT placed_at FROM orders WHERE company_id = ? ORDER BY placed_at DESC LIMIT 1 "
            "OFFSET ?",
            company_id,
            rows,
        )
    if not found:
        return "1970-01-01"
    value = found[0][0]
    return str(value)[:10]


async def floor_export(raw: Raw, fx: Fixture) -> int:
    """One streamed SELECT of every order with its customer, through csv.writer."""
    sql = (
        "SELECT o.number, o.placed_at, o.status, c.name, o.po_number, o.subtotal_cents, "
        "o.discount_cents, o.total_cents, o.paid_cents, o.balance_due_cents, o.due_date "
        "FROM orders o JOIN customers c ON c.id = o.customer_id WHERE o.company_id = ? "
        "ORDER BY o.placed_at DESC, o.id DESC"
    )
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    rows = 0

    def write(row: Any) -> None:
        writer.writerow(
            (row[0], iso(row[1]), row[2], row[3], row[4], *(money(v) for v in row[5:10]), row[10])
        )

    if raw.postgres:
        async with raw.driver.transaction():
            async for row in raw.driver.cursor(raw.sql(sql), fx.company_id, prefetch=1000):
                write(row)
                rows += 1
                if rows % 1000 == 0:
                    buffer.seek(0)
                    buffer.truncate()
    else:
        cursor = await raw.driver.execute(sql, (fx.company_id,))
        while batch := await cursor.fetchmany(1000):
            for row in batch:
                write(row)
                rows += 1
            buffer.seek(0)
            buffer.truncate()
        await cursor.close()
    return rows


async def run_throughput(db: Database, fx: Fixture, backend: str, options: Options) -> list[Result]:
    """Requests per second against `rolodex serve --workers 2` from concurrent clients."""
    targets: list[tuple[str, str, str, dict[str, Any]]] = [("7me", "throughput: me", ME, {})]
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
