"""Runs the cases in-process (httpx ASGITransport) and over HTTP (`rolodex serve`).

Latencies are wall-clock per request as the client sees it; statements come
from `Database.statements` of the in-process app (the HTTP server runs the
same code, in another process). Each case's floor runs in the same run, on
the same data, with the same repeat count.
"""

from __future__ import annotations

import asyncio
import os
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import orjson
from graphql import parse, validate
from sqlalchemy import func, select

from bench.cases import Case, Fixture
from bench.floor import Raw
from db.enums import Role
from db.models import Customer, Order, Staff
from db.session import Database, Scope
from resolvers.credentials import issue_token

PAGE_SIZES = (10, 100, 250)
REQUEST_TIMEOUT = 120.0
SERVER_START_TIMEOUT = 60.0
OUT_DIR = Path(__file__).parent / "out"


@dataclass
class Result:
    case: str
    title: str
    backend: str
    mode: str
    statements: int | None = None
    statements_by_size: tuple[int, ...] | None = None
    p50: float | None = None  # milliseconds
    sql_p50: float | None = None  # of which in SQL statements (in-process only)
    fields: int | None = None  # fields in the answer: what GraphQL execution resolved
    p95: float | None = None
    floor_p50: float | None = None
    matches_floor: bool | None = None
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def ratio(self) -> float | None:
        if self.p50 is None or not self.floor_p50:
            return None
        return self.p50 / self.floor_p50


def percentile(samples: list[float], fraction: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(samples)
    index = max(0, min(len(ordered) - 1, round(fraction * len(ordered) + 0.5) - 1))
    return ordered[index]


def not_built_reason(query: str) -> str | None:
    """Why the query does not validate against the schema as built, or None."""
    from schema import schema

    errors = validate(schema._schema, parse(query))
    return errors[0].message if errors else None


async def make_fixture(db: Database, company_id: int) -> Fixture:
    """Picks the sample the cases use; issues a token for the company's admin."""
    async with db.transaction(Scope(company_id)) as session:
        admin = (
            (
                await session.execute(
                    select(Staff).where(Staff.role == Role.ADMIN).order_by(Staff.id)
                )
            )
            .scalars()
            .first()
        )
        assert admin is not None, "the seeded company has an ADMIN"
        token = await issue_token(session, admin, ttl_hours=24)
        reps = (
            await session.execute(
                select(Customer.sales_rep_id, func.count())
                .where(Customer.sales_rep_id.is_not(None))
                .group_by(Customer.sales_rep_id)
                .order_by(func.count().desc(), Customer.sales_rep_id)
            )
        ).all()
        ids = list(
            (
                await session.execute(select(Customer.id).order_by(Customer.id).limit(10_000))
            ).scalars()
        )
        last_order = await session.scalar(select(func.max(Order.placed_at)))
        orders = await session.scalar(select(func.count(Order.id)))
    today = datetime.now(UTC).date()
    return Fixture(
        company_id=company_id,
        token=token,
        admin_id=admin.id,
        customer_id=ids[len(ids) // 2],
        rep_id=reps[0][0] or 0,  # the query skips customers without a rep
        other_rep_id=(reps[1][0] if len(reps) > 1 else reps[0][0]) or 0,
        year=(last_order or datetime.now(UTC)).year - 1,
        fragment="har",
        bulk_ids=ids,
        today=today,
        orders=orders or 0,
    )


class Client:
    """POST /graphql with the fixture's token; counts statements when in-process."""

    def __init__(self, http: httpx.AsyncClient, token: str, db: Database | None) -> None:
        self.http = http
        self.headers = {"Authorization": f"Bearer {token}"}
        self.db = db
        self.last_sql_ms = 0.0

    async def request(
        self, query: str, variables: dict[str, Any]
    ) -> tuple[dict, float, int | None]:
        before = self.db.statements if self.db else 0
        sql_before = self.db.statement_seconds if self.db else 0.0
        started = time.perf_counter()
        response = await self.http.post(
            "/graphql",
            content=orjson.dumps({"query": query, "variables": variables}),
            headers={**self.headers, "Content-Type": "application/json"},
        )
        body = response.json()
        elapsed = (time.perf_counter() - started) * 1000
        statements = self.db.statements - before if self.db else None
        if self.db:
            self.last_sql_ms = (self.db.statement_seconds - sql_before) * 1000
        if response.status_code != 200 or body.get("errors"):
            raise RuntimeError(f"HTTP {response.status_code}: {str(body.get('errors'))[:300]}")
        return body["data"], elapsed, statements


@asynccontextmanager
async def in_process_client(db: Database, token: str) -> AsyncIterator[Client]:
    from server.app import create_app, freeze_startup_objects
    from server.settings import Settings

    settings = Settings(database_url=db.url, log_level="WARNING", **UNTHROTTLED)
    app = create_app(settings, db)
    freeze_startup_objects()  # as the served app's startup does (no lifespan in-process)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://bench", timeout=REQUEST_TIMEOUT
    ) as http:
        yield Client(http, token, db)


# One token hammers the server as fast as it can: that measures the server, not its
# buckets (which would answer 429 within seconds at these rates; `make load` shows them).
UNTHROTTLED: dict[str, Any] = {
    "rate_limit_points": 10**9,
    "rate_limit_restore_per_second": 10**9,
    "company_rate_limit_points": 10**9,
    "company_rate_limit_restore_per_second": 10**9,
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    process: asyncio.subprocess.Process
    base_url: str

    def peak_rss_mb(self) -> float:
        """VmHWM: the peak resident set size of the server process so far."""
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        line = next(line for line in status.splitlines() if line.startswith("VmHWM:"))
        return int(line.split()[1]) / 1024


@asynccontextmanager
async def serve(url: str, workers: int = 1) -> AsyncIterator[Server]:
    """`rolodex serve` on a free loopback port, stopped when the block exits."""
    port = free_port()
    OUT_DIR.mkdir(exist_ok=True)
    log = (OUT_DIR / f"serve-{port}.log").open("wb")
    command = [sys.executable, "-m", "server.cli", "serve", "--database", url, "--port", str(port)]
    command += ["--workers", str(workers)]
    env = {
        **os.environ,
        "ROLODEX_DATABASE_URL": url,
        **{f"ROLODEX_{name.upper()}": str(value) for name, value in UNTHROTTLED.items()},
    }
    process = await asyncio.create_subprocess_exec(
        *command, stdout=log, stderr=subprocess.STDOUT, env=env
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        async with httpx.AsyncClient(base_url=base_url) as probe:
            while True:
                if process.returncode is not None:
                    raise RuntimeError(
                        f"rolodex serve exited with {process.returncode}; see {log.name}"
                    )
                try:
                    if (await probe.get("/healthz")).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError("rolodex serve did not answer /healthz in time")
                await asyncio.sleep(0.2)
        yield Server(process, base_url)
    finally:
        if process.returncode is None:
            process.terminate()
            try:
                await asyncio.wait_for(process.wait(), timeout=10)
            except TimeoutError:
                process.kill()
                await process.wait()
        log.close()


@asynccontextmanager
async def http_client(server: Server, token: str) -> AsyncIterator[Client]:
    async with httpx.AsyncClient(base_url=server.base_url, timeout=REQUEST_TIMEOUT) as http:
        yield Client(http, token, None)


async def timed(
    run: Callable[[], Awaitable[Any]], repeat: int, warmup: int
) -> tuple[list[float], Any]:
    result = None
    for _ in range(warmup):
        result = await run()
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        result = await run()
        samples.append((time.perf_counter() - started) * 1000)
    return samples, result


async def measure_case(
    case: Case,
    client: Client,
    db: Database,
    fx: Fixture,
    backend: str,
    mode: str,
    repeat: int,
    floor_p50: dict[str, tuple[float, Any]],
    page_sizes: tuple[int, ...] = PAGE_SIZES,
) -> Result:
    result = Result(case.key, case.title, backend, mode)
    reason = not_built_reason(case.query)
    if reason is not None:
        result.note = f"n/a (not built yet: {reason[:60]})"
        return result
    if case.mutation:
        repeat = min(repeat, 5)
    # A mutation's first run sets every row one way; the timed ones then change every row.
    warmup = 1 if case.mutation else min(2, repeat)
    try:
        data, latencies, sql, statements = await _timed_requests(case, client, fx, warmup, repeat)
        if case.sized is not None and client.db is not None:
            result.statements_by_size = await _statements_by_size(case, client, fx, page_sizes)
    except RuntimeError as error:
        result.note = f"error: {error}"
        return result
    result.p50 = statistics.median(latencies)
    result.p95 = percentile(latencies, 0.95)
    result.sql_p50 = statistics.median(sql) if sql else None
    result.fields = count_fields(data)
    result.statements = max(statements) if statements else None
    if case.floor is not None:
        await _compare_with_floor(case, db, fx, data, result, floor_p50, repeat, warmup)
    else:
        result.note = "no floor yet"
    return result


async def _timed_requests(
    case: Case, client: Client, fx: Fixture, warmup: int, repeat: int
) -> tuple[dict[str, Any], list[float], list[float], list[int]]:
    """The last answer, and each timed run's latency, SQL time and statement count."""
    latencies: list[float] = []
    sql: list[float] = []
    statements: list[int] = []
    data: dict[str, Any] = {}
    for n in range(warmup + repeat):
        data, elapsed, count = await client.request(case.query, case.variables(fx))
        if n >= warmup:
            latencies.append(elapsed)
            if count is not None:
                statements.append(count)
                sql.append(client.last_sql_ms)
    return data, latencies, sql, statements


async def _statements_by_size(
    case: Case, client: Client, fx: Fixture, page_sizes: tuple[int, ...]
) -> tuple[int, ...]:
    """Statement counts of the case at each page size (they should all be equal)."""
    assert case.sized is not None
    sizes = []
    for size in page_sizes:
        _, _, count = await client.request(case.query, case.sized(fx, size))
        sizes.append(count)
    return tuple(size for size in sizes if size is not None)


async def _compare_with_floor(
    case: Case,
    db: Database,
    fx: Fixture,
    data: dict[str, Any],
    result: Result,
    floor_p50: dict[str, tuple[float, Any]],
    repeat: int,
    warmup: int,
) -> None:
    """The floor's p50 (timed once per case) and whether its answer matches GraphQL's."""
    assert case.floor is not None
    async with Raw.open(db) as raw:
        variables = case.variables(fx)
        floor = case.floor
        if case.key not in floor_p50:
            samples, _ = await timed(lambda: floor(raw, fx, variables), repeat, warmup)
            floor_p50[case.key] = (statistics.median(samples), None)
        # The floor's answer now, on the data the GraphQL runs just saw.
        floor_answer = orjson.loads(await case.floor(raw, fx, variables))
    result.floor_p50 = floor_p50[case.key][0]
    result.matches_floor = case.answer(data) == case.answer(floor_answer)


def count_fields(value: Any) -> int:
    """Fields in a GraphQL answer: each key of each object, at every depth."""
    if isinstance(value, dict):
        return len(value) + sum(count_fields(v) for v in value.values())
    if isinstance(value, list):
        return sum(count_fields(v) for v in value)
    return 0


def fmt(value: float | None, digits: int = 1) -> str:
    return "—" if value is None else f"{value:,.{digits}f}"


def table(results: list[Result]) -> str:
    header = (
        "case",
        "backend",
        "mode",
        "stmts",
        "stmts@10/100/250",
        "p50 ms",
        "p95 ms",
        "sql p50 ms",
        "fields",
        "floor p50 ms",
        "×floor",
        "same answer",
        "note",
    )
    rows = [header]
    for r in results:
        rows.append(
            (
                r.case,
                r.backend,
                r.mode,
                "—" if r.statements is None else str(r.statements),
                "/".join(map(str, r.statements_by_size)) if r.statements_by_size else "—",
                fmt(r.p50),
                fmt(r.p95),
                fmt(r.sql_p50),
                "—" if r.fields is None else f"{r.fields:,}",
                fmt(r.floor_p50, 2),
                fmt(r.ratio, 1),
                "—" if r.matches_floor is None else ("yes" if r.matches_floor else "NO"),
                r.note or r.title,
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = []
    for n, row in enumerate(rows):
        lines.append(" | ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))
        if n == 0:
            lines.append("-+-".join("-" * width for width in widths))
    return "\n".join(lines)
