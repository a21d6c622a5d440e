"""`make bench-peer`: Rolodex beside PostGraphile 5 on the same PostgreSQL data, one run.

Both servers answer cases 1a (customer list, 100 rows), 2 (customer page) and `me` over
HTTP on loopback, from the same bench database (`python -m bench` makes it: N customers,
seed 42). PostGraphile reads the tables as they are, and the stats Rolodex computes
(money as decimals, averages, engagement, balance, effective rep, the token check of
`me`) from SQL functions in a schema of its own, `peer` (bench/peer/peer.sql, made again
on each run). Its queries (bench/peer/*.graphql) alias its names to Rolodex's, so the
answers compare leaf by leaf once ids (Rolodex's global ids, PostGraphile's row ids) and
timestamps (the same instant, written two ways) are normalised.

Figures: p50/p95 from interleaved rounds (one client, one request at a time, the two
servers taking turns); throughput from 8 concurrent clients for a few seconds per server
and case; CPU per request during those seconds, the server's process tree and the
PostgreSQL backends serving the bench database (from /proc).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import os
import statistics
import subprocess
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import orjson

from bench.__main__ import POSTGRES_ADMIN_DSN, prepare
from bench.cases import CUSTOMER_DETAIL, CUSTOMER_LIST, ME, Fixture, detail_variables
from bench.harness import OUT_DIR, free_port, make_fixture, percentile, serve
from db.session import Database

PEER_DIR = Path(__file__).parent / "peer"
CONCURRENCY = 8
START_TIMEOUT = 60.0
TICKS = os.sysconf("SC_CLK_TCK")


@dataclass
class PeerCase:
    key: str
    rolodex_query: str
    peer_query: str
    rolodex_variables: Callable[[Fixture], dict[str, Any]]
    peer_variables: Callable[[Fixture], dict[str, Any]]


def cases() -> list[PeerCase]:
    def query(name: str) -> str:
        return (PEER_DIR / f"{name}.graphql").read_text()

    return [
        PeerCase(
            "1a",
            CUSTOMER_LIST,
            query("customer_list"),
            lambda fx: {"first": 100, "sort": [{"field": "TOTAL_SALES", "direction": "DESC"}]},
            lambda fx: {"first": 100, "companyId": fx.company_id},
        ),
        PeerCase(
            "2",
            CUSTOMER_DETAIL,
            query("customer_detail"),
            detail_variables,
            lambda fx: {"id": fx.customer_id, "n": 20},
        ),
        PeerCase("me", ME, query("me"), lambda fx: {}, lambda fx: {"token": fx.token}),
    ]


# ---------------------------------------------------------------- answers


def leaves(value: Any, key: str | None = None) -> list[tuple[str | None, Any]]:
    """(key, value) of every leaf in document order; list wrappers (`nodes`) vanish, so a
    Rolodex list and a PostGraphile connection of the same rows give the same leaves."""
    if isinstance(value, dict):
        return [leaf for k, v in value.items() for leaf in leaves(v, k)]
    if isinstance(value, list):
        return [leaf for item in value for leaf in leaves(item, key)]
    return [(key, normalise(key, value))]


def normalise(key: str | None, value: Any) -> Any:
    if key == "id" and isinstance(value, str):  # a Rolodex global id: "Type:pk" in base64
        return int(base64.b64decode(value).decode().rsplit(":", 1)[1])
    if isinstance(value, str) and len(value) >= 20 and value[4:5] == "-" and "T" in value:
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            return value
    return value


# ---------------------------------------------------------------- CPU from /proc


def process_cpu(pid: int) -> float:
    """Seconds of CPU (user + system) used so far by `pid`, 0 if it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICKS


def tree(pid: int) -> list[int]:
    """`pid` and its descendants (uvicorn may run the app in a child)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (FileNotFoundError, ProcessLookupError, IndexError):
            continue
        children.setdefault(parent, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(children.get(current, []))
    return found


class PostgresCpu:
    """CPU of the backends connected to one database, our own monitoring one aside."""

    def __init__(self, connection: asyncpg.Connection, database: str) -> None:
        self.connection = connection
        self.database = database

    async def snapshot(self) -> dict[int, float]:
        pids = await self.connection.fetch(
            "SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
            self.database,
        )
        return {row["pid"]: process_cpu(row["pid"]) for row in pids}

    @staticmethod
    def spent(before: dict[int, float], after: dict[int, float]) -> float:
        return sum(cpu - before.get(pid, 0.0) for pid, cpu in after.items())


# ---------------------------------------------------------------- servers


@dataclass
class Target:
    name: str
    url: str
    pid: int
    headers: dict[str, str]
    query: Callable[[PeerCase], str]
    variables: Callable[[PeerCase, Fixture], dict[str, Any]]
    samples: dict[str, list[float]] = field(default_factory=dict)

    def body(self, case: PeerCase, fx: Fixture) -> bytes:
        return orjson.dumps({"query": self.query(case), "variables": self.variables(case, fx)})


@asynccontextmanager
async def postgraphile(database_url: str) -> AsyncIterator[tuple[str, int]]:
    """PostGraphile on a free loopback port (Node 20 needs the polyfill preloaded)."""
    port = free_port()
    OUT_DIR.mkdir(exist_ok=True)
    log = (OUT_DIR / f"postgraphile-{port}.log").open("wb")
    env = {**os.environ, "DATABASE_URL": database_url, "PORT": str(port)}
    env["NODE_ENV"] = "production"
    process = await asyncio.create_subprocess_exec(
        "node",
        "-r",
        "./polyfill.cjs",
        "server.mjs",
        cwd=PEER_DIR,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}/graphql"
    try:
        deadline = time.monotonic() + START_TIMEOUT
        async with httpx.AsyncClient() as probe:
            while True:
                if process.returncode is not None:
                    raise RuntimeError(f"PostGraphile exited; see {log.name}")
                try:
                    answer = await probe.post(url, json={"query": "{ __typename }"})
                    if answer.status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError("PostGraphile did not answer in time")
                await asyncio.sleep(0.2)
        yield url, process.pid
    finally:
        if process.returncode is None:
            process.terminate()
            await process.wait()
        log.close()


async def post(http: httpx.AsyncClient, target: Target, body: bytes) -> dict[str, Any]:
    response = await http.post(target.url, content=body, headers=target.headers)
    answer = response.json()
    if response.status_code != 200 or answer.get("errors"):
        raise RuntimeError(f"{target.name}: HTTP {response.status_code} {str(answer)[:300]}")
    return answer["data"]


# ---------------------------------------------------------------- the run


async def compare(http: httpx.AsyncClient, targets: list[Target], fx: Fixture) -> dict[str, str]:
    verdicts = {}
    for case in cases():
        ours, theirs = [leaves(await post(http, t, t.body(case, fx))) for t in targets]
        same = ours == theirs
        verdicts[case.key] = f"{'yes' if same else 'NO'} ({len(ours):,} leaves)"
        if not same:
            first = next(
                (i for i, (a, b) in enumerate(zip(ours, theirs, strict=False)) if a != b),
                min(len(ours), len(theirs)),
            )
            print(f"case {case.key}: answers differ at leaf {first}", flush=True)
    return verdicts


async def latency(
    http: httpx.AsyncClient, targets: list[Target], fx: Fixture, rounds: int, warmup: int
) -> None:
    """Interleaved: each round asks every case of each server, the first server alternating."""
    bodies = {(t.name, c.key): t.body(c, fx) for t in targets for c in cases()}
    for n in range(warmup + rounds):
        order = targets if n % 2 == 0 else targets[::-1]
        for case in cases():
            for target in order:
                started = time.perf_counter()
                await post(http, target, bodies[target.name, case.key])
                if n >= warmup:
                    elapsed = (time.perf_counter() - started) * 1000
                    target.samples.setdefault(case.key, []).append(elapsed)


async def throughput(
    target: Target, case: PeerCase, fx: Fixture, seconds: float, pg: PostgresCpu
) -> tuple[float, float, float]:
    """Requests a second at CONCURRENCY clients, and CPU ms per request: server, PostgreSQL."""
    body = target.body(case, fx)
    done = 0
    limits = httpx.Limits(max_connections=CONCURRENCY, max_keepalive_connections=CONCURRENCY)
    async with httpx.AsyncClient(limits=limits, timeout=60) as http:
        await asyncio.gather(*(post(http, target, body) for _ in range(CONCURRENCY)))
        pids = tree(target.pid)
        server_before = sum(process_cpu(pid) for pid in pids)
        pg_before = await pg.snapshot()
        started = time.perf_counter()
        deadline = started + seconds

        async def client() -> None:
            nonlocal done
            while time.perf_counter() < deadline:
                await post(http, target, body)
                done += 1

        await asyncio.gather(*(client() for _ in range(CONCURRENCY)))
        elapsed = time.perf_counter() - started
        server_cpu = sum(process_cpu(pid) for pid in pids) - server_before
        pg_cpu = PostgresCpu.spent(pg_before, await pg.snapshot())
    return done / elapsed, server_cpu * 1000 / done, pg_cpu * 1000 / done


def report(
    targets: list[Target], rates: dict[tuple[str, str], tuple[float, float, float]], same: dict
) -> str:
    header = ("case", "server", "p50 ms", "p95 ms", "req/s @8", "CPU ms/req server + PG", "same")
    rows = [header]
    for case in cases():
        for target in targets:
            samples = target.samples[case.key]
            rate, server_cpu, pg_cpu = rates[target.name, case.key]
            rows.append(
                (
                    case.key,
                    target.name,
                    f"{statistics.median(samples):.2f}",
                    f"{percentile(samples, 0.95):.2f}",
                    f"{rate:,.0f}",
                    f"{server_cpu:.2f} + {pg_cpu:.2f} = {server_cpu + pg_cpu:.2f}",
                    same[case.key],
                )
            )
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = [" | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in rows]
    lines.insert(1, "-+-".join("-" * w for w in widths))
    return "\n".join(lines)


async def load_peer_functions(database: str) -> None:
    connection = await asyncpg.connect(f"{POSTGRES_ADMIN_DSN.rsplit('/', 1)[0]}/{database}")
    try:
        await connection.execute((PEER_DIR / "peer.sql").read_text())
        # Rolodex's list reads a count(*) as an index-only scan once the data is vacuumed.
        await connection.execute("ANALYZE")
    finally:
        await connection.close()


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.peer", description=__doc__)
    parser.add_argument("--scale", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--rounds", type=int, default=200, help="timed interleaved rounds")
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=3.0, help="throughput, each")
    return parser.parse_args()


async def main() -> None:
    args = arguments()
    url, company_id = await prepare("postgres", args.scale, args.seed)
    database = url.rsplit("/", 1)[1]
    await load_peer_functions(database)
    db = Database(url)
    try:
        fx = await make_fixture(db, company_id)
    finally:
        await db.dispose()
    peer_url = f"{POSTGRES_ADMIN_DSN.rsplit('/', 1)[0]}/{database}"
    monitor = await asyncpg.connect(peer_url)
    started, load_before = time.perf_counter(), os.getloadavg()[0]
    try:
        async with serve(url) as rolodex, postgraphile(peer_url) as (graphile_url, graphile_pid):
            targets = [
                Target(
                    "Rolodex",
                    f"{rolodex.base_url}/graphql",
                    rolodex.process.pid,
                    {"Authorization": f"Bearer {fx.token}", "Content-Type": "application/json"},
                    lambda c: c.rolodex_query,
                    lambda c, fx: c.rolodex_variables(fx),
                ),
                Target(
                    "PostGraphile",
                    graphile_url,
                    graphile_pid,
                    {"Content-Type": "application/json"},
                    lambda c: c.peer_query,
                    lambda c, fx: c.peer_variables(fx),
                ),
            ]
            async with httpx.AsyncClient(timeout=60) as http:
                same = await compare(http, targets, fx)
                await latency(http, targets, fx, args.rounds, args.warmup)
            pg = PostgresCpu(monitor, database)
            rates = {
                (t.name, c.key): await throughput(t, c, fx, args.seconds, pg)
                for c in cases()
                for t in targets
            }
    finally:
        await monitor.close()
    print(
        f"{args.scale:,} customers (PostgreSQL database {database}), {args.rounds} rounds, "
        f"throughput {args.seconds:g} s each at {CONCURRENCY} clients, "
        f"{time.perf_counter() - started:.0f} s; load average {load_before:.1f} "
        f"before, {os.getloadavg()[0]:.1f} after",
        flush=True,
    )
    print(report(targets, rates, same), flush=True)


if __name__ == "__main__":
    asyncio.run(main())
