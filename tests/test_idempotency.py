"""idempotencyKey on transactionRecord and orderCreate (issue 14, finding 6): a client that
lost the acknowledgement retries with the same key and is answered the first result;
nothing is written twice, even when the retries race each other."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import update

from db.models import IdempotencyKey, Order, Transaction, utcnow
from db.session import Scope
from tests.ledger_factory import _product, make_customer, make_order
from tests.test_ledger import RECORD, balance, count_rows

CREATE_ORDER = """mutation($input: OrderCreateInput!) { orderCreate(input: $input) {
  order { id number total } userErrors { field code message } } }"""


async def pay(api, token, customer, key, amount="25.00", **extra):
    input = {"customerId": customer, "kind": "PAYMENT", "amount": amount, **extra}
    if key is not None:
        input["idempotencyKey"] = key
    return (await api.ok(RECORD, {"input": input}, token=token))["transactionRecord"]


def codes(payload) -> list[tuple[list[str] | None, str]]:
    return [(e["field"], e["code"]) for e in payload["userErrors"]]


async def test_a_retried_payment_is_answered_and_not_recorded_again(api, tenant, database):
    token = tenant.rep.token
    customer = await make_customer(api, tenant, "Harbor Street Grocers")
    order = await make_order(api, tenant, customer, 2500)
    allocations = [{"orderId": order, "amount": "25.00"}]
    first = await pay(api, token, customer, "pay-4711", allocations=allocations)
    assert first["userErrors"] == []
    # The same request again: the order is paid off, yet the retry is no OVER_ALLOCATED:
    # it is the first answer.
    again = await pay(api, token, customer, "pay-4711", allocations=allocations)
    assert again["userErrors"] == []
    assert again["transaction"] == first["transaction"]
    assert await count_rows(database, tenant, Transaction) == 1
    assert (await balance(api, token, customer))["currentBalance"] == "0.00"
    # "25" is the same amount as "25.00": the same input.
    same = await pay(api, token, customer, "pay-4711", amount="25", allocations=allocations)
    assert same["transaction"]["id"] == first["transaction"]["id"]

    # The same key with other input is refused, and writes nothing.
    other = await pay(api, token, customer, "pay-4711", amount="30.00")
    assert codes(other) == [(["input", "idempotencyKey"], "IDEMPOTENCY_KEY_REUSED")]
    # The key belongs to its staff member: a colleague's identical key is a new request.
    colleague = await pay(api, tenant.rep2.token, customer, "pay-4711", amount="30.00")
    assert colleague["userErrors"] == []
    assert colleague["transaction"]["id"] != first["transaction"]["id"]
    # Without a key every request records.
    await pay(api, token, customer, None, amount="1.00")
    await pay(api, token, customer, None, amount="1.00")
    assert await count_rows(database, tenant, Transaction) == 4


async def test_a_failed_first_attempt_does_not_hold_the_key(api, tenant, database):
    token = tenant.manager.token
    customer = await make_customer(api, tenant, "Blue Ridge Hardware")
    refused = await pay(
        api, token, customer, "k1", allocations=[{"orderId": "bogus", "amount": "1"}]
    )
    assert codes(refused) == [(["input", "allocations", "0", "orderId"], "INVALID_ID")]
    refund = {"kind": "REFUND"}
    over = await api.ok(
        RECORD,
        {"input": {"customerId": customer, "amount": "5.00", "idempotencyKey": "k2", **refund}},
        token=token,
    )
    assert codes(over["transactionRecord"]) == [(["input", "amount"], "OVER_REFUND")]
    assert await count_rows(database, tenant, IdempotencyKey) == 0
    # After the customer paid, the very same refund goes through under the same key.
    await pay(api, token, customer, None, amount="5.00")
    retried = await api.ok(
        RECORD,
        {"input": {"customerId": customer, "amount": "5.00", "idempotencyKey": "k2", **refund}},
        token=token,
    )
    assert retried["transactionRecord"]["userErrors"] == []


async def test_keys_are_checked_and_expire_after_a_day(api, tenant, database):
    token = tenant.rep.token
    customer = await make_customer(api, tenant, "Café Olé")
    too_long = await pay(api, token, customer, "k" * 101)
    assert codes(too_long) == [(["input", "idempotencyKey"], "TOO_LONG")]
    blank = await pay(api, token, customer, "  ")
    assert codes(blank) == [(["input", "idempotencyKey"], "INVALID")]
    assert (await pay(api, token, customer, "k" * 100))["userErrors"] == []
    first = await pay(api, token, customer, "daily")
    # 25 hours later the key is free again: other input is a new payment.
    async with database.transaction(Scope(tenant.company_id)) as session:
        await session.execute(
            update(IdempotencyKey)
            .where(IdempotencyKey.key == "daily")
            .values(created_at=utcnow() - timedelta(hours=25))
        )
    later = await pay(api, token, customer, "daily", amount="99.00")
    assert later["userErrors"] == []
    assert later["transaction"]["id"] != first["transaction"]["id"]
    assert await count_rows(database, tenant, IdempotencyKey) == 2


async def test_an_order_retried_is_the_same_order(api, tenant, database):
    token = tenant.rep.token
    customer = await make_customer(api, tenant, "Sunrise Bakery")
    line = {"productId": await _product(api, tenant), "quantity": 3, "unitPrice": "4.00"}
    input = {"customerId": customer, "lines": [line], "status": "SUBMITTED"}
    keyed = {**input, "idempotencyKey": "order-1"}
    first = (await api.ok(CREATE_ORDER, {"input": keyed}, token=token))["orderCreate"]
    again = (await api.ok(CREATE_ORDER, {"input": keyed}, token=token))["orderCreate"]
    assert again == first
    assert first["order"]["total"] == "12.00"
    assert await count_rows(database, tenant, Order) == 1
    assert (await balance(api, token, customer))["totalInvoiced"] == "12.00"
    changed = {**keyed, "lines": [{**line, "quantity": 4}]}
    reused = (await api.ok(CREATE_ORDER, {"input": changed}, token=token))["orderCreate"]
    assert codes(reused) == [(["input", "idempotencyKey"], "IDEMPOTENCY_KEY_REUSED")]
    # One key across operations: a payment may not reuse an order's key.
    payment = await pay(api, token, customer, "order-1", amount="12.00")
    assert codes(payment) == [(["input", "idempotencyKey"], "IDEMPOTENCY_KEY_REUSED")]


async def test_concurrent_retries_write_once(api, tenant, database):
    """Twelve copies of one keyed payment and six of one keyed order at once (a client
    retrying on timeouts): one transaction, one order, every answer the same. The
    unique constraint decides, not a read before the write."""
    token = tenant.rep.token
    customer = await make_customer(api, tenant, "Pinecrest Pharmacy")
    order = await make_order(api, tenant, customer, 4000)
    allocations = [{"orderId": order, "amount": "40.00"}]
    payments = await asyncio.gather(
        *(pay(api, token, customer, "race", "40.00", allocations=allocations) for _ in range(12))
    )
    assert all(p["userErrors"] == [] for p in payments)
    assert len({p["transaction"]["id"] for p in payments}) == 1
    assert await count_rows(database, tenant, Transaction) == 1
    assert (await balance(api, token, customer))["currentBalance"] == "0.00"

    line = {"productId": await _product(api, tenant), "quantity": 1, "unitPrice": "7.00"}
    input = {"customerId": customer, "lines": [line], "idempotencyKey": "race-order"}
    orders = await asyncio.gather(
        *(api.ok(CREATE_ORDER, {"input": input}, token=token) for _ in range(6))
    )
    answers = [o["orderCreate"] for o in orders]
    assert all(a["userErrors"] == [] for a in answers)
    assert len({a["order"]["id"] for a in answers}) == 1
    assert await count_rows(database, tenant, Order) == 2
    assert Decimal(answers[0]["order"]["total"]) == Decimal("7.00")
