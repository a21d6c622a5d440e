"""Receivables through GraphQL: credit on account applied later, refunds bounded by it,
write-offs, and an aging report that reconciles with every balance."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from db.enums import OrderStatus
from db.models import AuditEvent, RefundDraw, Transaction, TransactionAllocation
from db.session import Scope
from tests.ledger_factory import cancel_order, make_customer, make_order, order_row
from tests.test_ledger import count_rows, record

ALLOCATE = """mutation($id: ID!, $input: TransactionAllocateInput!) {
  transactionAllocate(id: $id, input: $input) {
    transaction { id unallocatedAmount allocations { order { id } amount releasedAt } }
    customer { balance { currentBalance unappliedCredit } }
    userErrors { field code message } } }"""

AGING = """query($asOf: Date) { agingReport(asOf: $asOf) {
  rows { customer { name balance { currentBalance } } current days1To30 days31To60
    days61To90 over90 unappliedCredit total }
  totals { current days1To30 days31To60 days61To90 over90 unappliedCredit total } } }"""


async def allocate(api, token, transaction, *allocations):
    variables = {
        "id": transaction,
        "input": {"allocations": [{"orderId": o, "amount": a} for o, a in allocations]},
    }
    return (await api.ok(ALLOCATE, variables, token=token))["transactionAllocate"]


def codes(payload) -> list[tuple[list[str] | None, str]]:
    return [(e["field"], e["code"]) for e in payload["userErrors"]]


async def test_credit_on_account_pays_a_later_order(api, tenant, database):
    """A customer overpays; the rest pays next month's order with transactionAllocate."""
    token = tenant.rep.token
    customer = await make_customer(api, tenant, "Harbor Street Grocers")
    march = await make_order(api, tenant, customer, 30000)
    check = await record(
        api,
        token,
        customerId=customer,
        kind="PAYMENT",
        amount="500.00",
        method="CHECK",
        allocations=[{"orderId": march, "amount": "300.00"}],
    )
    assert check["transaction"]["unallocatedAmount"] == "200.00"
    assert check["customer"]["balance"]["unappliedCredit"] == "200.00"
    assert check["customer"]["balance"]["currentBalance"] == "-200.00"
    april = await make_order(api, tenant, customer, 12550)
    applied = await allocate(api, token, check["transaction"]["id"], (april, "125.50"))
    assert applied["userErrors"] == []
    assert applied["transaction"]["unallocatedAmount"] == "74.50"
    assert applied["transaction"]["allocations"] == [
        {"order": {"id": march}, "amount": "300.00", "releasedAt": None},
        {"order": {"id": april}, "amount": "125.50", "releasedAt": None},
    ]
    # Applying credit moves no balance: it was already counted when the money came in.
    assert applied["customer"]["balance"] == {
        "currentBalance": "-74.50",
        "unappliedCredit": "74.50",
    }
    row = await order_row(database, tenant, april)
    assert (row.paid_cents, row.balance_due_cents) == (12550, 0)

    # More than is left of the credit, more than an order's due, a draft: refused whole.
    may = await make_order(api, tenant, customer, 10000)
    draft = await make_order(api, tenant, customer, 1000, status=OrderStatus.DRAFT)
    too_much = await allocate(api, token, check["transaction"]["id"], (may, "80.00"))
    assert codes(too_much) == [(["input", "allocations"], "OVER_ALLOCATED")]
    assert "74.50" in too_much["userErrors"][0]["message"]
    over_due = await allocate(api, token, check["transaction"]["id"], (april, "1.00"))
    assert codes(over_due) == [(["input", "allocations", "0", "amount"], "OVER_ALLOCATED")]
    not_invoiced = await allocate(api, token, check["transaction"]["id"], (draft, "1.00"))
    assert codes(not_invoiced) == [(["input", "allocations", "0", "orderId"], "INVALID")]
    before = await count_rows(database, tenant, TransactionAllocation)
    mixed = await allocate(api, token, check["transaction"]["id"], (may, "50.00"), (draft, "1.00"))
    assert codes(mixed) == [(["input", "allocations", "1", "orderId"], "INVALID")]
    assert await count_rows(database, tenant, TransactionAllocation) == before
    assert (await order_row(database, tenant, may)).paid_cents == 0

    # Cancelling a paid order gives the money back to the credit it came from.
    await cancel_order(api, tenant, april)
    after = await api.ok(
        "query($id: ID!) { node(id: $id) { ... on Transaction { unallocatedAmount "
        "customer { balance { currentBalance unappliedCredit } } } } }",
        {"id": check["transaction"]["id"]},
        token=token,
    )
    assert after["node"] == {
        "unallocatedAmount": "200.00",
        "customer": {"balance": {"currentBalance": "-100.00", "unappliedCredit": "200.00"}},
    }
    async with database.transaction(Scope(tenant.company_id)) as session:
        audit = (
            await session.execute(
                select(AuditEvent.changes).where(AuditEvent.action == "transaction.allocate")
            )
        ).scalar_one()
    assert audit == {"allocations": [None, [{"order": 1002, "amount": "125.50"}]]}


async def test_allocate_refuses_what_is_not_a_credit(api, tenant, other_tenant, database):
    manager = tenant.manager.token
    customer = await make_customer(api, tenant, "Blue Ridge Hardware", allowPartialPayments=False)
    order = await make_order(api, tenant, customer, 5000)
    other = await make_customer(api, tenant, "Other Co")
    others_order = await make_order(api, tenant, other, 5000)
    credit = (await record(api, manager, customerId=customer, kind="CREDIT", amount="60.00"))[
        "transaction"
    ]["id"]
    charge = (await record(api, manager, customerId=customer, kind="ADJUSTMENT", amount="5.00"))[
        "transaction"
    ]["id"]
    refund = (await record(api, manager, customerId=customer, kind="REFUND", amount="1.00"))[
        "transaction"
    ]["id"]
    for not_a_credit in (charge, refund):
        result = await allocate(api, manager, not_a_credit, (order, "10.00"))
        assert codes(result) == [(["id"], "INVALID")]
    partial = await allocate(api, manager, credit, (order, "10.00"))
    assert codes(partial) == [
        (["input", "allocations", "0", "amount"], "PARTIAL_PAYMENT_NOT_ALLOWED")
    ]
    foreign = await allocate(api, manager, credit, (others_order, "50.00"))
    assert codes(foreign) == [(["input", "allocations", "0", "orderId"], "INVALID")]
    assert codes(await allocate(api, manager, credit)) == [(["input", "allocations"], "REQUIRED")]
    assert codes(await allocate(api, manager, "bogus", (order, "1.00"))) == [(["id"], "INVALID_ID")]
    # Another company's credit does not exist for this one, and the other way round.
    assert codes(await allocate(api, other_tenant.admin.token, credit, (order, "50.00"))) == [
        (["id"], "NOT_FOUND")
    ]
    done = await allocate(api, manager, credit, (order, "50.00"))
    assert done["userErrors"] == []
    assert done["transaction"]["unallocatedAmount"] == "9.00"  # 60 − 1 refunded − 50


async def test_refunds_never_exceed_unapplied_credit(api, tenant, database):
    """The measured bug: a refund of 999,999.00 was accepted. Now it is bounded by the
    customer's credit on account, and draws from its credits oldest first."""
    manager = tenant.manager.token
    customer = await make_customer(api, tenant, "Bayfront Seafood")
    order = await make_order(api, tenant, customer, 58551)
    await record(
        api,
        manager,
        customerId=customer,
        kind="PAYMENT",
        amount="600.00",
        occurredAt="2026-01-05T10:00:00+00:00",
        allocations=[{"orderId": order, "amount": "585.51"}],
    )
    goodwill = await record(
        api,
        manager,
        customerId=customer,
        kind="CREDIT",
        amount="30.00",
        occurredAt="2026-01-20T10:00:00+00:00",
    )
    # 14.49 of the payment and 30.00 of the credit are on account: 44.49.
    before = await count_rows(database, tenant, Transaction)
    huge = await record(api, manager, customerId=customer, kind="REFUND", amount="999999.00")
    assert codes(huge) == [(["input", "amount"], "OVER_REFUND")]
    assert "44.49 is available" in huge["userErrors"][0]["message"]
    just_over = await record(api, manager, customerId=customer, kind="REFUND", amount="44.50")
    assert codes(just_over) == [(["input", "amount"], "OVER_REFUND")]
    assert await count_rows(database, tenant, Transaction) == before
    # A rep may not refund at all (a cash refund of 50,000.00 by a rep was accepted).
    by_rep = await record(api, tenant.rep.token, customerId=customer, kind="REFUND", amount="1.00")
    assert codes(by_rep) == [(["input", "kind"], "FORBIDDEN")]

    refund = await record(
        api, manager, customerId=customer, kind="REFUND", amount="20.00", method="CARD"
    )
    assert refund["userErrors"] == []
    assert refund["transaction"]["unallocatedAmount"] is None
    assert refund["customer"]["balance"] == {
        "totalInvoiced": "585.51",
        "totalPaid": "610.00",
        "currentBalance": "-24.49",
        "overdueAmount": "0.00",
        "unappliedCredit": "24.49",
    }
    async with database.transaction(Scope(tenant.company_id)) as session:
        draws = (
            await session.execute(
                select(Transaction.kind, RefundDraw.amount_cents)
                .join(Transaction, Transaction.id == RefundDraw.credit_id)
                .order_by(RefundDraw.id)
            )
        ).all()
    # Oldest credit first: the payment's 14.49, then 5.51 of the goodwill credit.
    assert [(kind.value, cents) for kind, cents in draws] == [("PAYMENT", 1449), ("CREDIT", 551)]
    left = await api.ok(
        "query($id: ID!) { node(id: $id) { ... on Transaction { unallocatedAmount } } }",
        {"id": goodwill["transaction"]["id"]},
        token=manager,
    )
    assert left["node"] == {"unallocatedAmount": "24.49"}
    exact = await record(api, manager, customerId=customer, kind="REFUND", amount="24.49")
    assert exact["customer"]["balance"]["unappliedCredit"] == "0.00"
    assert exact["customer"]["balance"]["currentBalance"] == "0.00"


async def test_a_write_off_pays_part_of_an_order(api, tenant, database):
    """A negative ADJUSTMENT carries allocations like a payment."""
    manager = tenant.manager.token
    customer = await make_customer(api, tenant, "Café Olé")
    order = await make_order(api, tenant, customer, 10037)
    paid = await record(
        api,
        manager,
        customerId=customer,
        kind="PAYMENT",
        amount="100.00",
        allocations=[{"orderId": order, "amount": "100.00"}],
    )
    assert paid["userErrors"] == []
    write_off = await record(
        api,
        manager,
        customerId=customer,
        kind="ADJUSTMENT",
        amount="-0.37",
        note="Rounding difference",
        allocations=[{"orderId": order, "amount": "0.37"}],
    )
    assert write_off["userErrors"] == []
    assert write_off["transaction"]["unallocatedAmount"] == "0.00"
    assert write_off["customer"]["balance"]["currentBalance"] == "0.00"
    row = await order_row(database, tenant, order)
    assert (row.paid_cents, row.balance_due_cents) == (10037, 0)
    # A charge (positive) pays nothing, and an allocation may not exceed a write-off.
    charge = await record(
        api,
        manager,
        customerId=customer,
        kind="ADJUSTMENT",
        amount="5.00",
        allocations=[{"orderId": order, "amount": "5.00"}],
    )
    assert codes(charge) == [(["input", "allocations"], "INVALID")]
    other = await make_order(api, tenant, customer, 5000)
    too_big = await record(
        api,
        manager,
        customerId=customer,
        kind="ADJUSTMENT",
        amount="-1.00",
        allocations=[{"orderId": other, "amount": "2.00"}],
    )
    assert codes(too_big) == [(["input", "allocations"], "OVER_ALLOCATED")]


async def test_aging_reconciles_with_every_balance(api, tenant, other_tenant, database):
    """The measured bugs: aging built from open orders only (Bayfront's balance 50,585.51,
    aging 585.51; Crescent's overdue larger than its balance). Now charges age from
    their date, credit on account is its own column, and each row's total is the
    customer's balance."""
    manager = tenant.manager.token
    as_of = date(2026, 6, 30)
    bayfront = await make_customer(api, tenant, "Bayfront Seafood")
    crescent = await make_customer(api, tenant, "Crescent Pet Supply")
    credit_only = await make_customer(api, tenant, "Liberty Books")
    await make_order(api, tenant, bayfront, 58551, due_date=date(2026, 7, 15))
    # A charge on account of 500.00, 45 days before asOf: 31–60.
    fee = await record(
        api,
        manager,
        customerId=bayfront,
        kind="ADJUSTMENT",
        amount="500.00",
        note="Pallet deposit",
        occurredAt="2026-05-16T12:00:00+00:00",
    )
    assert fee["userErrors"] == []
    late = await make_order(api, tenant, crescent, 90089, due_date=date(2026, 3, 1))
    await record(api, manager, customerId=crescent, kind="CREDIT", amount="25.00")
    await record(
        api,
        manager,
        customerId=crescent,
        kind="PAYMENT",
        amount="10.00",
        allocations=[{"orderId": late, "amount": "10.00"}],
    )
    await record(api, manager, customerId=credit_only, kind="PAYMENT", amount="42.00")
    report = (await api.ok(AGING, {"asOf": as_of.isoformat()}, token=manager))["agingReport"]
    keys = ("current", "days1To30", "days31To60", "days61To90", "over90", "unappliedCredit")
    assert [(r["customer"]["name"], *(r[k] for k in keys), r["total"]) for r in report["rows"]] == [
        ("Bayfront Seafood", "585.51", "0.00", "500.00", "0.00", "0.00", "0.00", "1085.51"),
        ("Crescent Pet Supply", "0.00", "0.00", "0.00", "0.00", "890.89", "25.00", "865.89"),
        ("Liberty Books", "0.00", "0.00", "0.00", "0.00", "0.00", "42.00", "-42.00"),
    ]
    for row in report["rows"]:
        assert row["total"] == row["customer"]["balance"]["currentBalance"]
    assert report["totals"] == {
        "current": "585.51",
        "days1To30": "0.00",
        "days31To60": "500.00",
        "days61To90": "0.00",
        "over90": "890.89",
        "unappliedCredit": "67.00",
        "total": "1909.40",
    }
    # Later the charge is over 90 days old, like an order due that day.
    later = (await api.ok(AGING, {"asOf": "2026-08-15"}, token=manager))["agingReport"]
    assert [r["over90"] for r in later["rows"]] == ["500.00", "890.89", "0.00"]
    assert (await api.ok(AGING, {}, token=other_tenant.admin.token))["agingReport"]["rows"] == []


async def test_aging_with_a_charge_in_the_company_time_zone(api, tenant, database):
    """A charge is due on the day it occurred in the company's zone, as orders' due dates."""
    from tests.ledger_factory import set_company_timezone

    await set_company_timezone(database, tenant, "America/New_York")
    manager = tenant.manager.token
    customer = await make_customer(api, tenant, "Evergreen Nursery")
    # 02:00 UTC on July 1st is 22:00 on June 30th in New York: due on asOf, current.
    await record(
        api,
        manager,
        customerId=customer,
        kind="ADJUSTMENT",
        amount="12.00",
        occurredAt="2026-07-01T02:00:00+00:00",
    )
    # 03:00 UTC on June 30th is 23:00 on June 29th in New York: a day late.
    await record(
        api,
        manager,
        customerId=customer,
        kind="ADJUSTMENT",
        amount="3.00",
        occurredAt="2026-06-30T03:00:00+00:00",
    )
    row = (await api.ok(AGING, {"asOf": "2026-06-30"}, token=manager))["agingReport"]["rows"][0]
    assert (row["current"], row["days1To30"], row["total"]) == ("12.00", "3.00", "15.00")


async def test_transaction_pages_read_draws_in_a_statement_per_kind(api, tenant, database):
    """Allocations and refund draws of a page of transactions: one statement per kind."""
    manager = tenant.manager.token
    customer = await make_customer(api, tenant, "Summit Outfitters")
    for _ in range(12):
        await record(api, manager, customerId=customer, kind="PAYMENT", amount="10.00")
    await record(api, manager, customerId=customer, kind="REFUND", amount="15.00")
    query = """query($first: Int) { transactions(first: $first) { nodes { unallocatedAmount
      allocations { amount } refundDraws { amount credit { id } } } } }"""
    await api.ok(query, {"first": 2}, token=manager)
    few = api.last_statements
    data = await api.ok(query, {"first": 13}, token=manager)
    assert api.last_statements == few
    assert data["transactions"]["nodes"][0]["refundDraws"][0]["amount"] == "10.00"
    assert len(data["transactions"]["nodes"]) == 13


async def test_recorded_in_the_future_is_refused(api, tenant):
    manager = tenant.manager.token
    customer = await make_customer(api, tenant, "Prairie Home Goods")
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    result = await record(
        api, manager, customerId=customer, kind="PAYMENT", amount="1.00", occurredAt=tomorrow
    )
    assert codes(result) == [(["input", "occurredAt"], "OUT_OF_RANGE")]


async def test_too_many_allocations_are_refused_before_any_query(api, tenant):
    """251 allocations in one request: refused while parsing, as cheaply as one bad id."""
    from resolvers.ids import encode_id

    token = tenant.manager.token
    customer = await make_customer(api, tenant, "Union Square Bistro")
    one_bad = await record(
        api,
        token,
        customerId=customer,
        kind="PAYMENT",
        amount="1.00",
        allocations=[{"orderId": "bogus", "amount": "1.00"}],
    )
    assert codes(one_bad) == [(["input", "allocations", "0", "orderId"], "INVALID_ID")]
    cheap = api.last_statements
    many = [{"orderId": encode_id("Order", n + 1), "amount": "0.01"} for n in range(251)]
    refused = await record(
        api, token, customerId=customer, kind="PAYMENT", amount="100.00", allocations=many
    )
    assert codes(refused) == [(["input", "allocations"], "OUT_OF_RANGE")]
    assert api.last_statements == cheap
