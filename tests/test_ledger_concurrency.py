"""Concurrent payments on one customer: no lost allocation, no over-allocation."""

from __future__ import annotations

import asyncio
from collections import Counter

from sqlalchemy import func, select

from db.models import TransactionAllocation
from db.session import Scope
from tests.ledger_factory import make_customer, make_order, order_row
from tests.test_ledger import RECORD, balance


async def test_twenty_concurrent_payments_on_one_customer(api, tenant, database):
    """Five orders of 100.00 and twenty payments of 30.00, four aimed at each order.

    Whatever the interleaving, exactly three payments fit each order (90.00) and the
    fourth finds 10.00 due and is refused; nothing is lost or counted twice.
    """
    token = tenant.manager.token
    customer = await make_customer(api, tenant, "Harbor Street Grocers")
    orders = [await make_order(database, tenant, customer, 10000) for _ in range(5)]

    async def pay(n: int):
        return (
            await api.ok(
                RECORD,
                {
                    "input": {
                        "customerId": customer,
                        "kind": "PAYMENT",
                        "amount": "30.00",
                        "reference": f"payment {n}",
                        "allocations": [{"orderId": orders[n % 5], "amount": "30.00"}],
                    }
                },
                token=token,
            )
        )["transactionRecord"]

    results = await asyncio.gather(*(pay(n) for n in range(20)))
    outcomes = Counter(r["userErrors"][0]["code"] if r["userErrors"] else "OK" for r in results)
    assert outcomes == {"OK": 15, "OVER_ALLOCATED": 5}
    for order in orders:
        row = await order_row(database, tenant, order)
        assert (row.paid_cents, row.balance_due_cents) == (9000, 1000)
    session = database.session(Scope(tenant.company_id))
    try:
        live = await session.execute(
            select(
                TransactionAllocation.order_id,
                func.count(),
                func.sum(TransactionAllocation.amount_cents),
            ).group_by(TransactionAllocation.order_id)
        )
        assert sorted((count, total) for _, count, total in live.all()) == [(3, 9000)] * 5
    finally:
        await session.close()
    assert await balance(api, token, customer) == {
        "totalInvoiced": "500.00",
        "totalPaid": "450.00",
        "currentBalance": "50.00",
        "overdueAmount": "0.00",
    }


async def test_concurrent_unallocated_payments_all_count(api, tenant, database):
    """Twenty concurrent payments and credits with no allocation: every cent lands."""
    token = tenant.rep.token
    customer = await make_customer(api, tenant, "Blue Ridge Hardware")
    await make_order(database, tenant, customer, 100000)

    async def pay(n: int):
        kind = "CREDIT" if n % 4 == 0 else "PAYMENT"
        amount = f"{n + 1}.{n:02d}"
        return await api.ok(
            RECORD,
            {"input": {"customerId": customer, "kind": kind, "amount": amount}},
            token=token,
        )

    await asyncio.gather(*(pay(n) for n in range(20)))
    # Σ (n + 1) + n / 100 for n < 20 = 210.00 + 1.90
    assert await balance(api, token, customer) == {
        "totalInvoiced": "1000.00",
        "totalPaid": "211.90",
        "currentBalance": "788.10",
        "overdueAmount": "0.00",
    }
