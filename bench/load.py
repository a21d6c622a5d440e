"""`make load`: does one abusive client slow everyone else down?

Starts `rolodex serve --workers 2` on a fresh SQLite data set (four companies of
`--scale` customers), buckets in Redis when one answers, then runs two timed phases:
16 clients (four per company, each with its own token) looping over a mix of reads and
writes, first alone, then with one more client sending the abusive documents of issue
13 as fast as it can (the 3^30 fragment fan-out with and without a token, three aliases
of a 250 × 250 × 250 back-reference, a 5 MB body, wrong passwords for one account).
Prints the 16 clients' p50 and p99 in both phases, and what the abuser got back.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select

from bench.cases import CUSTOMER_DETAIL, CUSTOMER_LIST, SEARCH
from bench.dataset import seed_scale
from db.migrate import upgrade
from db.models import Customer, Staff
from db.session import Database
from resolvers.credentials import issue_token
from resolvers.ids import encode_id

PORT = 8112
COMPANIES = 4
CLIENTS_PER_COMPANY = 4
INTERACTION_CREATE = """mutation($input: InteractionCreateInput!) {
  interactionCreate(input: $input) { interaction { id } userErrors { code } } }"""


def fan_out(levels: int = 30) -> str:
    fragments = "\n".join(
        f"fragment F{i} on Query {{ ...F{i + 1} ...F{i + 1} ...F{i + 1} }}" for i in range(levels)
    )
    return f"{{ __typename ...F0 }}\n{fragments}\nfragment F{levels} on Query {{ __typename }}"


BACK_REFERENCE = (
    "{ "
    + " ".join(
        f"a{i}: customers(first: 250) {{ nodes {{ locations(first: 250) {{ nodes {{ "
        "customer { locations(first: 250) { nodes { id } } } } } } }"
        for i in range(3)
    )
    + " }"
)


@dataclass
class Caller:
    token: str
    customer_ids: list[str]
    email: str = ""


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)


async def build_data_set(url: str, scale: int) -> list[list[Caller]]:
    await upgrade(url)
    db = Database(url)
    companies: list[list[Caller]] = []
    try:
        for n in range(COMPANIES):
            await seed_scale(db, scale, 42 + n, progress=False)
        async with db.transaction(None) as session:
            company_ids = sorted(
                set((await session.execute(select(Staff.company_id))).scalars().all())
            )
            for company_id in company_ids:
                members = (
                    (
                        await session.execute(
                            select(Staff).where(Staff.company_id == company_id).order_by(Staff.id)
                        )
                    )
                    .scalars()
                    .all()
                )
                customers = (
                    (
                        await session.execute(
                            select(Customer.id).where(Customer.company_id == company_id).limit(200)
                        )
                    )
                    .scalars()
                    .all()
                )
                ids = [encode_id("Customer", pk) for pk in customers]
                callers = []
                for member in members[: CLIENTS_PER_COMPANY + 1]:
                    token = await issue_token(session, member, 24)
                    callers.append(Caller(token, ids, member.email))
                companies.append(callers)
    finally:
        await db.dispose()
    return companies


def start_server(
    url: str, environment: dict[str, str], *, workers: int = 2, port: int = PORT
) -> subprocess.Popen:
    """`rolodex serve` in its own process group (stopped with os.killpg)."""
    rolodex = Path(sys.executable).with_name("rolodex")
    return subprocess.Popen(
        [str(rolodex), "serve", "--workers", str(workers), "--port", str(port), "--database", url],
        env={**os.environ, **environment},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


async def wait_until_up(client: httpx.AsyncClient) -> None:
    for _ in range(300):
        try:
            if (await client.get("/healthz")).status_code == 200:
                return
        except httpx.TransportError:
            pass
        await asyncio.sleep(0.1)
    raise RuntimeError("the server did not start")


def one_request(caller: Caller, rng: random.Random) -> dict:
    roll = rng.random()
    customer = rng.choice(caller.customer_ids)
    if roll < 0.45:
        sort = rng.choice(["NAME", "TOTAL_SALES"])
        return {
            "query": CUSTOMER_LIST,
            "variables": {"first": 20, "sort": [{"field": sort, "direction": "ASC"}]},
        }
    if roll < 0.65:
        return {"query": CUSTOMER_DETAIL, "variables": {"id": customer, "n": 10}}
    if roll < 0.75:
        return {
            "query": SEARCH,
            "variables": {"query": rng.choice(["ann", "cor", "mar"]), "first": 10},
        }
    return {
        "query": INTERACTION_CREATE,
        "variables": {"input": {"customerId": customer, "kind": "CALL", "body": "Load test call."}},
    }


async def ordinary_client(
    client: httpx.AsyncClient, caller: Caller, seed: int, until: float, tally: Tally
) -> None:
    rng = random.Random(seed)
    headers = {"Authorization": f"Bearer {caller.token}"}
    while time.perf_counter() < until:
        body = one_request(caller, rng)
        started = time.perf_counter()
        response = await client.post("/graphql", json=body, headers=headers)
        tally.latencies.append(time.perf_counter() - started)
        tally.statuses[response.status_code] += 1


async def abusive_client(
    client: httpx.AsyncClient, caller: Caller, victim_email: str, until: float, tally: Tally
) -> None:
    headers = {"Authorization": f"Bearer {caller.token}"}
    login = (
        """mutation($input: LoginInput!) { login(input: $input) { token userErrors { code } } }"""
    )
    attacks: list[tuple[str, dict[str, Any]]] = [
        ("fan-out", {"json": {"query": fan_out()}}),
        ("fan-out+token", {"json": {"query": fan_out()}, "headers": headers}),
        ("back-reference", {"json": {"query": BACK_REFERENCE}, "headers": headers}),
        (
            "5MB-body",
            {
                "content": b'{"query": "' + b" " * 5_000_000 + b'"}',
                "headers": {"content-type": "application/json"},
            },
        ),
        (
            "wrong-password",
            {
                "json": {
                    "query": login,
                    "variables": {"input": {"email": victim_email, "password": "guess-123456"}},
                }
            },
        ),
    ]
    n = 0
    while time.perf_counter() < until:
        name, attack = attacks[n % len(attacks)]
        n += 1
        started = time.perf_counter()
        try:
            response = await client.post("/graphql", **attack)
            tally.statuses[f"{name} {response.status_code}"] += 1
        except httpx.TransportError as error:
            # The 5 MB body: answered 413 and closed while it was still being sent.
            tally.statuses[f"{name} {type(error).__name__}"] += 1
        tally.latencies.append(time.perf_counter() - started)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] * 1000


async def phase(
    companies: list[list[Caller]], seconds: float, abusive: bool
) -> tuple[Tally, Tally]:
    ordinary, abuser = Tally(), Tally()
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
    async with httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{PORT}", timeout=60, limits=limits
    ) as client:
        until = time.perf_counter() + seconds
        tasks = [
            ordinary_client(client, caller, 1000 * c + k, until, ordinary)
            for c, callers in enumerate(companies)
            for k, caller in enumerate(callers[:CLIENTS_PER_COMPANY])
        ]
        if abusive:
            attacker = companies[0][CLIENTS_PER_COMPANY]
            tasks.append(abusive_client(client, attacker, companies[1][0].email, until, abuser))
        await asyncio.gather(*tasks)
    return ordinary, abuser


def report(name: str, tally: Tally, seconds: float) -> str:
    return (
        f"{name}: {len(tally.latencies):,} requests ({len(tally.latencies) / seconds:.0f}/s), "
        f"p50 {percentile(tally.latencies, 0.5):.1f} ms, p99 {percentile(tally.latencies, 0.99):.1f} ms, "
        f"statuses {dict(tally.statuses)}"
    )


async def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__)
    parser.add_argument("--scale", type=int, default=500, help="customers per company")
    parser.add_argument("--seconds", type=float, default=20.0, help="per phase")
    arguments = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="rolodex-load-"))
    url = f"sqlite+aiosqlite:///{workdir / 'load.db'}"
    print(f"seeding {COMPANIES} companies of {arguments.scale} customers ...", flush=True)
    companies = await build_data_set(url, arguments.scale)
    environment = {"ROLODEX_LOG_LEVEL": "ERROR"}
    redis_url = os.environ.get("ROLODEX_REDIS_URL", "redis://127.0.0.1:6379/0")
    try:
        import redis

        redis.Redis.from_url(redis_url, socket_connect_timeout=1).ping()
        environment |= {
            "ROLODEX_REDIS_URL": redis_url,
            "ROLODEX_REDIS_KEY_PREFIX": f"rolodex-load:{uuid.uuid4().hex}:",
        }
        print("buckets in Redis", flush=True)
    except Exception:  # noqa: BLE001 - no Redis: each worker keeps its own buckets
        print("buckets in memory (no Redis)", flush=True)
    server = start_server(url, environment)
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{PORT}") as client:
            await wait_until_up(client)
        # Warm up (imports, caches, connections) before anything is timed.
        await phase(companies, 3, False)
        results = []
        for abusive in (False, True):
            ordinary, abuser = await phase(companies, arguments.seconds, abusive)
            results.append(ordinary)
            label = "16 clients with the abuser" if abusive else "16 clients alone"
            print(report(label, ordinary, arguments.seconds), flush=True)
            if abusive:
                print(report("the abuser", abuser, arguments.seconds), flush=True)
        alone, beside = results
        ratio = percentile(beside.latencies, 0.99) / percentile(alone.latencies, 0.99)
        print(f"p99 with the abuser / alone: {ratio:.2f}x (goal: under 2x)")
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)


if __name__ == "__main__":
    asyncio.run(main())
