"""Issue 14: SIGKILL in the middle of writes leaves all or nothing, and a client that
retries its payments with the same idempotency keys after the restart pays once.

A real server process (uvicorn) over the test database is killed with SIGKILL while a
bulk update of many customers or a stream of payments is running; the database is then
read directly (and, for payments, served again) to check what was kept.
`ROLODEX_CRASH_ROUNDS` sets how many kills (the long form: `make crash`).
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select, text

from db.enums import BillingStatus
from db.models import Customer, Transaction
from db.session import Scope
from tests.ledger_factory import make_customer, pk
from tests.live_server import REPO, _wait_until_up, free_port
from tests.test_ledger_properties import assert_reconciled

ROUNDS = int(os.environ.get("ROLODEX_CRASH_ROUNDS", "1"))
# make test kills on PostgreSQL only (where acknowledgements were lost); make crash on both.
BOTH = "ROLODEX_CRASH_ROUNDS" in os.environ
SEED = int(os.environ.get("ROLODEX_CRASH_SEED", "14"))
CUSTOMERS = 1000
BULK = """mutation($input: CustomersBulkUpdateInput!) { customersBulkUpdate(input: $input) {
  updatedCount userErrors { code } } }"""
PAY = """mutation($input: TransactionRecordInput!) { transactionRecord(input: $input) {
  transaction { id amount } userErrors { field code } } }"""


@contextmanager
def server(database_url: str, log_path: Path) -> Iterator[tuple[str, subprocess.Popen]]:
    port = free_port()
    env = {**os.environ, "ROLODEX_DATABASE_URL": database_url, "ROLODEX_LOG_LEVEL": "WARNING"}
    command = [sys.executable, "-m", "uvicorn", "server.asgi:app", "--host", "127.0.0.1"]
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            [*command, "--port", str(port), "--no-access-log"],
            cwd=REPO,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            _wait_until_up(process, base, log_path)
            yield base, process
        finally:
            if process.poll() is None:
                process.kill()
            process.wait()


def skip_short(database) -> None:
    if database.sqlite and not BOTH:
        pytest.skip("SQLite's kills run in make crash")


async def sqlite_is_sound(database) -> None:
    if not database.sqlite:
        return
    session = database.session(None)
    try:
        assert (await session.execute(text("PRAGMA integrity_check"))).scalar_one() == "ok"
    finally:
        await session.close()


async def held_customers(database, tenant) -> int:
    session = database.session(Scope(tenant.company_id))
    try:
        return await session.scalar(
            select(func.count(Customer.id)).where(
                Customer.billing_status == BillingStatus.CREDIT_HOLD
            )
        )
    finally:
        await session.close()


async def test_sigkill_during_a_bulk_update_keeps_all_or_nothing(api, tenant, database, tmp_path):
    skip_short(database)
    async with database.transaction(Scope(tenant.company_id)) as session:
        session.add_all(
            Customer(company_id=tenant.company_id, name=f"Crash {n:04d}", name_key=f"crash {n:04d}")
            for n in range(CUSTOMERS)
        )
    chance = random.Random(SEED)
    outcomes = []
    for round in range(ROUNDS):
        status = "CREDIT_HOLD" if round % 2 == 0 else "GOOD_STANDING"
        before = await held_customers(database, tenant)
        with server(database.url, tmp_path / "server.log") as (base, process):
            async with httpx.AsyncClient(base_url=base, timeout=30) as client:
                request = asyncio.create_task(
                    client.post(
                        "/graphql",
                        json={
                            "query": BULK,
                            "variables": {
                                "input": {
                                    "filter": {"search": "crash"},
                                    "set": {"billingStatus": status},
                                }
                            },
                        },
                        headers={"Authorization": f"Bearer {tenant.manager.token}"},
                    )
                )
                await asyncio.sleep(chance.uniform(0.05, 0.4))
                process.send_signal(signal.SIGKILL)
                process.wait()
                try:
                    await request
                except httpx.HTTPError:
                    pass
        await sqlite_is_sound(database)
        after = await held_customers(database, tenant)
        # Every customer changed, or none: the bulk update is one transaction.
        assert after in (before, CUSTOMERS if status == "CREDIT_HOLD" else 0), (before, after)
        outcomes.append("kept" if after != before else "undone")
    assert len(outcomes) == ROUNDS


async def test_payments_retried_after_sigkill_are_not_doubled(api, tenant, database, tmp_path):
    token = tenant.manager.token
    customer = await make_customer(api, tenant, "Kill Switch Cafe")
    skip_short(database)
    keys = [f"pay-{uuid.uuid4().hex[:12]}" for _ in range(12)]

    def payment(n: int) -> dict:
        return {
            "query": PAY,
            "variables": {
                "input": {
                    "customerId": customer,
                    "kind": "PAYMENT",
                    "amount": f"{n + 1}.00",
                    "idempotencyKey": keys[n],
                }
            },
        }

    headers = {"Authorization": f"Bearer {token}"}
    chance = random.Random(SEED)
    acknowledged: dict[int, str] = {}
    kill_after = chance.randint(2, 5)
    halfway = asyncio.Event()
    with server(database.url, tmp_path / "server.log") as (base, process):
        async with httpx.AsyncClient(base_url=base, timeout=30, headers=headers) as client:

            async def pay_all() -> None:
                for n in range(len(keys)):
                    response = await client.post("/graphql", json=payment(n))
                    body = response.json()["data"]["transactionRecord"]
                    acknowledged[n] = body["transaction"]["id"]
                    if n == kill_after:
                        halfway.set()

            stream = asyncio.create_task(pay_all())
            await halfway.wait()
            # While the next payment is in flight: sent, maybe committed, never answered.
            await asyncio.sleep(chance.uniform(0, 0.005))
            process.send_signal(signal.SIGKILL)
            process.wait()
            try:
                await stream
            except httpx.HTTPError:
                pass
    await sqlite_is_sound(database)
    assert len(acknowledged) < len(keys)  # the kill came before the last one
    # After the restart the client sends every payment again, same keys.
    with server(database.url, tmp_path / "server.log") as (base, _process):
        async with httpx.AsyncClient(base_url=base, timeout=30, headers=headers) as client:
            for n in range(len(keys)):
                body = (await client.post("/graphql", json=payment(n))).json()
                result = body["data"]["transactionRecord"]
                assert result["userErrors"] == []
                if n in acknowledged:
                    assert result["transaction"]["id"] == acknowledged[n]
    session = database.session(Scope(tenant.company_id))
    try:
        amounts = sorted(
            (
                await session.execute(
                    select(Transaction.amount_cents).where(Transaction.customer_id == pk(customer))
                )
            ).scalars()
        )
    finally:
        await session.close()
    assert amounts == [100 * (n + 1) for n in range(len(keys))]
    await assert_reconciled(database, tenant.company_id, pk(customer))
