"""`python -m bench.abuse`: issue 13's attacks against `rolodex serve`, measured again.

Starts one worker on a fresh SQLite data set (one company of `--scale` customers) and
measures what each attack costs: the 3^13 and 3^30 fragment fan-outs without a token,
three aliases of a 250 × 250 × 250 back-reference, a 200 MB body and eight parallel
50 MB bodies (the worker's peak RSS), 200 wrong passwords for one account, an 8-client
login flood beside ordinary writes (their worst wait), 1,000 connections that send
part of their headers. Prints one line per figure.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select

from bench.dataset import seed_scale
from bench.load import BACK_REFERENCE, INTERACTION_CREATE, fan_out, start_server
from db.migrate import upgrade
from db.models import Customer, Staff
from db.session import Database
from resolvers.accounts import create_staff
from resolvers.credentials import issue_token
from resolvers.ids import encode_id

PORT = 8113
PASSWORD = "correct-horse-battery"
LOGIN = """mutation($input: LoginInput!) { login(input: $input) { token userErrors { code } } }"""


async def data_set(url: str, scale: int) -> tuple[str, list[str]]:
    await upgrade(url)
    db = Database(url)
    try:
        await seed_scale(db, scale, 42, progress=False)
        async with db.transaction(None) as session:
            admin = (await session.execute(select(Staff).limit(1))).scalar_one()
            for email in ("victim@abuse.example", "flood@abuse.example"):
                await create_staff(
                    session,
                    admin.company_id,
                    name=email.split("@")[0],
                    email=email,
                    role=admin.role,
                    password=PASSWORD,
                )
            token = await issue_token(session, admin, 24)
            customers = (await session.execute(select(Customer.id).limit(50))).scalars().all()
        return token, [encode_id("Customer", pk) for pk in customers]
    finally:
        await db.dispose()


def rss_mb(pid: int) -> float:
    """Resident memory of the server and its children (the worker), in MB."""
    total = 0
    for line in subprocess.run(
        ["ps", "-o", "rss=", "--ppid", str(pid), "-p", str(pid)], capture_output=True, text=True
    ).stdout.split():
        total += int(line)
    return total / 1024


async def timed(client: httpx.AsyncClient, **request: Any) -> tuple[float, Any]:
    started = time.perf_counter()
    try:
        response: httpx.Response | str = await client.post("/graphql", **request)
    except httpx.TransportError as error:
        response = type(error).__name__
    return time.perf_counter() - started, response


def describe(response: httpx.Response | str) -> str:
    if isinstance(response, str):
        return response
    try:
        body = response.json()
    except ValueError:
        return str(response.status_code)
    codes = [e.get("extensions", {}).get("code") for e in body.get("errors", [])]
    return f"{response.status_code} {codes or 'data'}"


async def big_body(client: httpx.AsyncClient, megabytes: int, pid: int) -> tuple[str, float]:
    content = b'{"query": "' + b" " * (megabytes * 1024 * 1024) + b'"}'
    seconds, response = await timed(
        client, content=content, headers={"content-type": "application/json"}
    )
    return f"{describe(response)} in {seconds * 1000:.0f} ms", rss_mb(pid)


async def login_flood(
    client: httpx.AsyncClient, email: str, token: str, ids: list[str], signers: int
) -> str:
    """`signers` clients signing in (the right password: argon2 runs each time) while one
    writes interactions: the writes' median and worst wait."""
    stop = time.perf_counter() + 8
    waits: list[float] = []

    async def sign_in() -> None:
        while time.perf_counter() < stop:
            variables = {"input": {"email": email, "password": PASSWORD}}
            await client.post("/graphql", json={"query": LOGIN, "variables": variables})

    async def write() -> None:
        n = 0
        while time.perf_counter() < stop:
            variables = {"input": {"customerId": ids[n % len(ids)], "kind": "CALL", "body": "x"}}
            n += 1
            seconds, _ = await timed(
                client,
                json={"query": INTERACTION_CREATE, "variables": variables},
                headers={"Authorization": f"Bearer {token}"},
            )
            waits.append(seconds)

    await asyncio.gather(write(), *(sign_in() for _ in range(signers)))
    median = sorted(waits)[len(waits) // 2]
    return f"{len(waits)} writes, median {median * 1000:.0f} ms, worst {max(waits) * 1000:.0f} ms"


async def slow_connections(count: int, wait: float) -> str:
    connections = []
    for _ in range(count):
        connection = socket.create_connection(("127.0.0.1", PORT))
        connection.sendall(b"POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Ty")
        connection.setblocking(False)
        connections.append(connection)
    await asyncio.sleep(wait)
    loop = asyncio.get_running_loop()
    open_ = 0
    for connection in connections:
        try:
            open_ += await asyncio.wait_for(loop.sock_recv(connection, 1), 0.05) != b""
        except TimeoutError:
            open_ += 1
        except ConnectionResetError:
            pass
        connection.close()
    return f"{open_} of {count} still held after {wait:g} s"


async def measure(pid: int, token: str, ids: list[str]) -> None:
    victim = "victim@abuse.example"
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{PORT}", timeout=120) as client:
        for _ in range(300):
            try:
                if (await client.get("/healthz")).status_code == 200:
                    break
            except httpx.TransportError:
                await asyncio.sleep(0.1)
        for levels in (13, 30):
            document = fan_out(levels)
            for label, extra in (("no token", {}), ("with a token", {"headers": headers})):
                # The median of 5: the first includes the parse, later ones hit the caches.
                runs = [await timed(client, json={"query": document}, **extra) for _ in range(5)]
                seconds = sorted(run[0] for run in runs)[2]
                print(
                    f"fan-out 3^{levels} ({len(document):,} bytes), {label}: "
                    f"{describe(runs[0][1])}, median of 5 {seconds * 1000:.1f} ms, "
                    f"first {runs[0][0] * 1000:.1f} ms"
                )
        seconds, response = await timed(client, json={"query": BACK_REFERENCE}, headers=headers)
        cost = response.json()["errors"][0]["extensions"]["cost"]["requestedQueryCost"]
        print(
            f"3 aliases of 250×250×250: {describe(response)} (requested cost {cost:,}) "
            f"in {seconds * 1000:.1f} ms"
        )
        print(f"worker RSS before the bodies: {rss_mb(pid):.0f} MB")
        outcome, rss = await big_body(client, 200, pid)
        print(f"200 MB body, no token: {outcome}; RSS after {rss:.0f} MB")
        results = await asyncio.gather(*(big_body(client, 50, pid) for _ in range(8)))
        print(f"8 parallel 50 MB bodies: {results[0][0]}; RSS after {rss_mb(pid):.0f} MB")
        answers = []
        started = time.perf_counter()
        for _ in range(200):
            _, response = await timed(
                client,
                json={
                    "query": LOGIN,
                    "variables": {"input": {"email": victim, "password": "wrong-1234"}},
                },
            )
            answers.append(response.json()["data"]["login"]["userErrors"][0]["code"])
        print(
            f"200 wrong passwords for one account in {time.perf_counter() - started:.1f} s: "
            f"{answers.count('INVALID_CREDENTIALS')} INVALID_CREDENTIALS, "
            f"{answers.count('THROTTLED')} THROTTLED"
        )
    # A fresh client and account for the flood (the victim's attempts are spent).
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{PORT}", timeout=120) as client:
        for signers in (0, 8):
            outcome = await login_flood(client, "flood@abuse.example", token, ids, signers)
            print(f"writes beside {signers} clients signing in: {outcome}")
    print(f"1,000 connections with partial headers: {await slow_connections(1000, 7)}")


async def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.abuse", description=__doc__)
    parser.add_argument("--scale", type=int, default=5_000, help="customers")
    arguments = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="rolodex-abuse-"))
    url = f"sqlite+aiosqlite:///{workdir / 'abuse.db'}"
    token, ids = await data_set(url, arguments.scale)
    environment = {"ROLODEX_LOG_LEVEL": "ERROR", "ROLODEX_REDIS_URL": ""}
    server = start_server(url, environment, workers=1, port=PORT)
    try:
        await measure(server.pid, token, ids)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=15)


if __name__ == "__main__":
    asyncio.run(main())
