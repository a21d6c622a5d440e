"""The ledger through GraphQL: transactionRecord, allocations, balances and history."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, select

from db.enums import OrderStatus
from db.models import AuditEvent, Transaction
from db.session import Scope
from tests.ledger_factory import (
    bulk_customers_with_orders,
    cancel_order,
    make_customer,
    make_order,
    order_row,
    pk,
    set_company_partial_payments,
)

RECORD = """mutation($input: TransactionRecordInput!) { transactionRecord(input: $input) {
  transaction { id kind amount unallocatedAmount method reference note occurredAt
    recordedBy { id } customer { id } allocations { order { id } amount releasedAt } }
  customer { id balance { totalInvoiced totalPaid currentBalance overdueAmount
    unappliedCredit } }
  userErrors { field message code } } }"""

BALANCE = """query($id: ID!) { customer(id: $id) {
  balance { totalInvoiced totalPaid currentBalance overdueAmount } } }"""

HISTORY = """query($id: ID!, $kinds: [TransactionKind!], $first: Int, $after: String) {
  customer(id: $id) { transactions(kinds: $kinds, first: $first, after: $after) {
    totalCount nodes { kind amount reference } pageInfo { hasNextPage endCursor } } } }"""


async def orders_with_balance(api, token, customer) -> dict[str, tuple[str, str]]:
    """Customer.orders(filter: {hasBalance: true}): order id -> (amountPaid, balanceDue)."""
    data = await api.ok(
        """query($id: ID!) { customer(id: $id) { orders(filter: {hasBalance: true}) {
          nodes { id amountPaid balanceDue } } } }""",
        {"id": customer},
        token=token,
    )
    return {
        n["id"]: (n["amountPaid"], n["balanceDue"]) for n in data["customer"]["orders"]["nodes"]
    }


async def record(api, token, **input):
    return (await api.ok(RECORD, {"input": input}, token=token))["transactionRecord"]


async def balance(api, token, customer):
    return (await api.ok(BALANCE, {"id": customer}, token=token))["customer"]["balance"]


async def count_rows(database, tenant, model) -> int:
    session = database.session(Scope(tenant.company_id))
    try:
        return await session.scalar(select(func.count()).select_from(model))
    finally:
        await session.close()


async def test_payment_against_two_orders_then_a_refund(api, tenant, database):
    """The seed's payment story: a check pays one order in full and another in part."""
    token = tenant.manager.token
    terms = (await api.ok("{ paymentTerms { id name } }", token=token))["paymentTerms"]
    net30 = next(t["id"] for t in terms if t["name"] == "Net 30")
    customer = await make_customer(
        api, tenant, "Harbor Street Grocers", paymentTermsId=net30, basisDate="ORDER_DATE"
    )
    first = await make_order(api, tenant, customer, 10000)
    second = await make_order(api, tenant, customer, 25050)
    # Placed 75 days ago on Net 30: 45 days overdue.
    overdue = await make_order(
        api, tenant, customer, 8000, placed_at=datetime.now(UTC) - timedelta(days=75)
    )
    assert await balance(api, token, customer) == {
        "totalInvoiced": "430.50",
        "totalPaid": "0.00",
        "currentBalance": "430.50",
        "overdueAmount": "80.00",
    }
    assert await orders_with_balance(api, token, customer) == {
        overdue: ("0.00", "80.00"),
        second: ("0.00", "250.50"),
        first: ("0.00", "100.00"),
    }

    paid = await api.mutate(
        RECORD,
        {
            "input": {
                "customerId": customer,
                "kind": "PAYMENT",
                "amount": "300.00",
                "method": "CHECK",
                "reference": " CHK 1042 ",
                "occurredAt": "2026-03-02T10:00:00+01:00",
                "allocations": [
                    {"orderId": first, "amount": "100.00"},
                    {"orderId": second, "amount": "150.25"},
                ],
            }
        },
        token=token,
    )
    transaction = paid["transaction"]
    assert transaction["kind"] == "PAYMENT"
    assert transaction["amount"] == "300.00"
    assert transaction["method"] == "CHECK"
    assert transaction["reference"] == "CHK 1042"
    assert transaction["occurredAt"] == "2026-03-02T09:00:00+00:00"
    assert transaction["recordedBy"] == {"id": tenant.manager.global_id}
    assert transaction["customer"] == {"id": customer}
    assert transaction["allocations"] == [
        {"order": {"id": first}, "amount": "100.00", "releasedAt": None},
        {"order": {"id": second}, "amount": "150.25", "releasedAt": None},
    ]
    # 49.75 of the check is unallocated: it stays on the account as credit.
    assert paid["customer"]["balance"] == {
        "totalInvoiced": "430.50",
        "totalPaid": "300.00",
        "currentBalance": "130.50",
        "overdueAmount": "80.00",
        "unappliedCredit": "49.75",
    }
    assert transaction["unallocatedAmount"] == "49.75"
    # The first order is paid off and leaves the orders with a balance.
    assert await orders_with_balance(api, token, customer) == {
        overdue: ("0.00", "80.00"),
        second: ("150.25", "100.25"),
    }

    refund = await record(
        api, token, customerId=customer, kind="REFUND", amount="20.00", method="CARD"
    )
    assert refund["userErrors"] == []
    assert refund["customer"]["balance"]["currentBalance"] == "150.50"
    assert refund["customer"]["balance"]["totalPaid"] == "280.00"

    history = (await api.ok(HISTORY, {"id": customer}, token=token))["customer"]["transactions"]
    # The refund happened now, after the check of 2026-03-02: newest first.
    assert history["totalCount"] == 2
    assert [(n["kind"], n["amount"]) for n in history["nodes"]] == [
        ("REFUND", "20.00"),
        ("PAYMENT", "300.00"),
    ]
    # The refund drew from what was left of the check: 49.75 − 20.00.
    assert refund["customer"]["balance"]["unappliedCredit"] == "29.75"
    check = await api.ok(
        "query($id: ID!) { node(id: $id) { ... on Transaction { unallocatedAmount "
        "refundDraws { amount refund { id } credit { id } } } } }",
        {"id": transaction["id"]},
        token=token,
    )
    assert check["node"] == {
        "unallocatedAmount": "29.75",
        "refundDraws": [
            {
                "amount": "20.00",
                "refund": {"id": refund["transaction"]["id"]},
                "credit": {"id": transaction["id"]},
            }
        ],
    }
    # The aging report puts the order 45 days late in 31–60, the rest of the second in
    # current, and the credit on account apart: the row's total is the balance.
    aging = await api.ok(
        """{ agingReport { rows { customer { id } current days1To30 days31To60 days61To90
          over90 unappliedCredit total } } }""",
        token=token,
    )
    assert aging["agingReport"]["rows"] == [
        {
            "customer": {"id": customer},
            "current": "100.25",
            "days1To30": "0.00",
            "days31To60": "80.00",
            "days61To90": "0.00",
            "over90": "0.00",
            "unappliedCredit": "29.75",
            "total": "150.50",
        }
    ]
    audit = await _audit_events(database, tenant)
    assert [(a.action, a.actor_id) for a in audit] == [
        ("transaction.record", tenant.manager.id),
        ("transaction.record", tenant.manager.id),
    ]
    assert audit[0].changes["allocations"] == [
        None,
        [
            {"order": 1001, "amount": "100.00"},
            {"order": 1002, "amount": "150.25"},
        ],
    ]
    assert audit[0].changes["amount"] == [None, "300.00"]
    assert audit[0].customer_id == pk(customer)


async def _audit_events(database, tenant) -> list[AuditEvent]:
    session = database.session(Scope(tenant.company_id))
    try:
        result = await session.execute(
            select(AuditEvent)
            .where(AuditEvent.entity_type == "Transaction")
            .order_by(AuditEvent.id)
        )
        return list(result.scalars())
    finally:
        await session.close()


async def test_credits_and_adjustments_move_the_balance(api, tenant, database):
    token = tenant.manager.token
    customer = await make_customer(api, tenant, "Blue Ridge Hardware")
    order = await make_order(api, tenant, customer, 5000)
    credit = await record(
        api,
        token,
        customerId=customer,
        kind="CREDIT",
        amount="50.00",
        note="Goodwill",
        allocations=[{"orderId": order, "amount": "50.00"}],
    )
    assert credit["userErrors"] == []
    assert credit["transaction"]["method"] is None
    assert credit["customer"]["balance"]["currentBalance"] == "0.00"
    assert credit["transaction"]["unallocatedAmount"] == "0.00"
    # A rep may not record adjustments (nor refunds): they hand debt or money back.
    by_rep = await record(
        api, tenant.rep.token, customerId=customer, kind="ADJUSTMENT", amount="12.34"
    )
    assert [(e["field"], e["code"]) for e in by_rep["userErrors"]] == [
        (["input", "kind"], "FORBIDDEN")
    ]
    # A mistaken positive adjustment (a charge: no unallocated amount), then the reversing
    # one (a credit of 12.34 on account).
    up = await record(api, token, customerId=customer, kind="ADJUSTMENT", amount="12.34")
    assert up["transaction"]["unallocatedAmount"] is None
    assert up["customer"]["balance"] == {
        "totalInvoiced": "50.00",
        "totalPaid": "50.00",
        "currentBalance": "12.34",
        "overdueAmount": "0.00",
        "unappliedCredit": "0.00",
    }
    down = await record(
        api, token, customerId=customer, kind="ADJUSTMENT", amount="-12.34", note="Reverses"
    )
    assert down["transaction"]["amount"] == "-12.34"
    assert down["transaction"]["unallocatedAmount"] == "12.34"
    assert down["customer"]["balance"]["currentBalance"] == "0.00"
    assert down["customer"]["balance"]["totalPaid"] == "50.00"
    assert down["customer"]["balance"]["unappliedCredit"] == "12.34"
    # An unallocated payment leaves the customer in credit.
    extra = await record(api, token, customerId=customer, kind="PAYMENT", amount="7.50")
    assert extra["customer"]["balance"]["currentBalance"] == "-7.50"
    assert extra["customer"]["balance"]["unappliedCredit"] == "19.84"


async def assert_refused(api, token, database, tenant, input, errors) -> None:
    before = await count_rows(database, tenant, Transaction)
    result = await record(api, token, **input)
    assert result["transaction"] is None
    assert result["customer"] is None
    assert [(e["field"], e["code"]) for e in result["userErrors"]] == errors
    assert await count_rows(database, tenant, Transaction) == before


async def test_bad_input_is_refused_and_writes_nothing(api, tenant, other_tenant, database):
    token = tenant.admin.token
    customer = await make_customer(api, tenant, "Café Olé")
    other = await make_customer(api, tenant, "Maple & Main Deli")
    order = await make_order(api, tenant, customer, 10000)
    draft = await make_order(api, tenant, customer, 3000, status=OrderStatus.DRAFT)
    cancelled = await make_order(api, tenant, customer, 3000, status=OrderStatus.CANCELLED)
    others_order = await make_order(api, tenant, other, 10000)
    foreign_customer = await make_customer(api, other_tenant, "Elsewhere Inc")
    foreign_order = await make_order(api, other_tenant, foreign_customer, 10000)

    def refused(input, errors):
        return assert_refused(api, token, database, tenant, input, errors)

    base = {"customerId": customer, "kind": "PAYMENT"}
    await refused({**base, "amount": "0"}, [(["input", "amount"], "OUT_OF_RANGE")])
    await refused({**base, "amount": "-5.00"}, [(["input", "amount"], "OUT_OF_RANGE")])
    await refused(
        {**base, "kind": "REFUND", "amount": "-5.00"}, [(["input", "amount"], "OUT_OF_RANGE")]
    )
    await refused({**base, "amount": "10.005"}, [(["input", "amount"], "INVALID")])
    await refused({**base, "amount": "1000000000.01"}, [(["input", "amount"], "OUT_OF_RANGE")])
    await refused(
        {**base, "customerId": foreign_customer, "amount": "5.00"},
        [(["input", "customerId"], "NOT_FOUND")],
    )
    await refused(
        {**base, "customerId": order, "amount": "5.00"},
        [(["input", "customerId"], "INVALID_ID")],
    )
    await refused(
        {**base, "amount": "5.00", "occurredAt": "2099-01-01T00:00:00+00:00"},
        [(["input", "occurredAt"], "OUT_OF_RANGE")],
    )
    await refused(
        {**base, "amount": "5.00", "reference": "x" * 101},
        [(["input", "reference"], "TOO_LONG")],
    )
    await refused(
        {
            **base,
            "kind": "REFUND",
            "amount": "5.00",
            "allocations": [{"orderId": order, "amount": "5.00"}],
        },
        [(["input", "allocations"], "INVALID")],
    )
    allocation = ["input", "allocations", "0"]
    second = ["input", "allocations", "1"]
    await refused(
        {
            **base,
            "amount": "50.00",
            "allocations": [
                {"orderId": order, "amount": "30.00"},
                {"orderId": others_order, "amount": "30.00"},
            ],
        },
        [(["input", "allocations"], "OVER_ALLOCATED")],
    )
    await refused(
        {**base, "amount": "150.00", "allocations": [{"orderId": order, "amount": "100.01"}]},
        [([*allocation, "amount"], "OVER_ALLOCATED")],
    )
    await refused(
        {**base, "amount": "50.00", "allocations": [{"orderId": order, "amount": "0"}]},
        [([*allocation, "amount"], "OUT_OF_RANGE")],
    )
    await refused(
        {
            **base,
            "amount": "50.00",
            "allocations": [
                {"orderId": order, "amount": "10.00"},
                {"orderId": order, "amount": "10.00"},
            ],
        },
        [([*second, "orderId"], "INVALID")],
    )
    await refused(
        {**base, "amount": "50.00", "allocations": [{"orderId": customer, "amount": "5.00"}]},
        [([*allocation, "orderId"], "INVALID_ID")],
    )
    # All or nothing: one good allocation and three bad ones write nothing.
    await refused(
        {
            **base,
            "amount": "100.00",
            "allocations": [
                {"orderId": order, "amount": "10.00"},
                {"orderId": others_order, "amount": "10.00"},
                {"orderId": draft, "amount": "10.00"},
                {"orderId": foreign_order, "amount": "10.00"},
                {"orderId": cancelled, "amount": "10.00"},
            ],
        },
        [
            (["input", "allocations", "1", "orderId"], "INVALID"),
            (["input", "allocations", "2", "orderId"], "INVALID"),
            (["input", "allocations", "3", "orderId"], "NOT_FOUND"),
            (["input", "allocations", "4", "orderId"], "INVALID"),
        ],
    )
    result = await record(
        api,
        token,
        **{**base, "amount": "10.00", "allocations": [{"orderId": draft, "amount": "1.00"}]},
    )
    assert result["userErrors"][0]["message"] == (
        "Order 1002 is DRAFT: only invoiced orders can be paid."
    )
    assert (await order_row(database, tenant, order)).balance_due_cents == 10000
    assert await balance(api, token, customer) == {
        "totalInvoiced": "100.00",
        "totalPaid": "0.00",
        "currentBalance": "100.00",
        "overdueAmount": "0.00",
    }
    assert await _audit_events(database, tenant) == []


async def test_partial_payments_follow_customer_then_company_setting(api, tenant, database):
    token = tenant.manager.token
    strict = await make_customer(api, tenant, "Strict Co", allowPartialPayments=False)
    default = await make_customer(api, tenant, "Default Co")
    lenient = await make_customer(api, tenant, "Lenient Co", allowPartialPayments=True)
    strict_order = await make_order(api, tenant, strict, 10000)
    default_order = await make_order(api, tenant, default, 10000)
    lenient_order = await make_order(api, tenant, lenient, 10000)

    def partial(customer, order):
        return {
            "customerId": customer,
            "kind": "PAYMENT",
            "amount": "60.00",
            "allocations": [{"orderId": order, "amount": "40.00"}],
        }

    path = ["input", "allocations", "0", "amount"]
    await assert_refused(
        api,
        token,
        database,
        tenant,
        partial(strict, strict_order),
        [(path, "PARTIAL_PAYMENT_NOT_ALLOWED")],
    )
    # The company allows partial payments by default.
    assert (await record(api, token, **partial(default, default_order)))["userErrors"] == []
    await set_company_partial_payments(database, tenant, False)
    second_default = await make_order(api, tenant, default, 5000)
    refused = await record(api, token, **partial(default, second_default))
    assert refused["userErrors"] == [
        {
            "field": path,
            "code": "PARTIAL_PAYMENT_NOT_ALLOWED",
            "message": "Partial payments are not allowed for this customer: "
            "allocate the full 50.00 due on order 1004.",
        }
    ]
    assert (await record(api, token, **partial(lenient, lenient_order)))["userErrors"] == []
    # Paying the whole balance due is never partial.
    full = await record(
        api,
        token,
        customerId=strict,
        kind="PAYMENT",
        amount="100.00",
        allocations=[{"orderId": strict_order, "amount": "100.00"}],
    )
    assert full["customer"]["balance"]["currentBalance"] == "0.00"
    assert (await order_row(database, tenant, default_order)).balance_due_cents == 6000


async def test_transaction_history_filters_pages_and_nodes(api, tenant, other_tenant, database):
    token = tenant.manager.token
    customer = await make_customer(api, tenant, "Sunrise Bakery")
    other = await make_customer(api, tenant, "Pinecrest Pharmacy")
    for day, kind, amount in [
        (1, "PAYMENT", "10.00"),
        (3, "CREDIT", "5.00"),
        (2, "PAYMENT", "20.00"),
        (3, "REFUND", "1.00"),
    ]:
        done = await record(
            api,
            token,
            customerId=customer,
            kind=kind,
            amount=amount,
            reference=f"day {day}",
            occurredAt=f"2026-02-0{day}T12:00:00+00:00",
        )
        assert done["userErrors"] == []
    await record(api, token, customerId=other, kind="PAYMENT", amount="99.00")

    history = (await api.ok(HISTORY, {"id": customer, "first": 3}, token=token))["customer"][
        "transactions"
    ]
    # Newest first; the two of day 3 by id, newest recorded first.
    assert [(n["kind"], n["reference"]) for n in history["nodes"]] == [
        ("REFUND", "day 3"),
        ("CREDIT", "day 3"),
        ("PAYMENT", "day 2"),
    ]
    assert history["pageInfo"]["hasNextPage"] is True
    rest = (
        await api.ok(
            HISTORY,
            {"id": customer, "first": 3, "after": history["pageInfo"]["endCursor"]},
            token=token,
        )
    )["customer"]["transactions"]
    assert [n["reference"] for n in rest["nodes"]] == ["day 1"]
    payments = (await api.ok(HISTORY, {"id": customer, "kinds": ["PAYMENT"]}, token=token))[
        "customer"
    ]["transactions"]
    assert [n["amount"] for n in payments["nodes"]] == ["20.00", "10.00"]
    assert payments["totalCount"] == 2

    root = """query($filter: TransactionFilter) { transactions(filter: $filter) {
      totalCount nodes { id amount customer { id } } } }"""
    everything = (await api.ok(root, token=token))["transactions"]
    assert everything["totalCount"] == 5
    assert everything["nodes"][0]["amount"] == "99.00"
    window = (
        await api.ok(
            root,
            {"filter": {"from": "2026-02-02", "to": "2026-02-03", "kinds": ["PAYMENT", "CREDIT"]}},
            token=token,
        )
    )["transactions"]
    assert [n["amount"] for n in window["nodes"]] == ["5.00", "20.00"]
    by_customer = (await api.ok(root, {"filter": {"customerIds": [other]}}, token=token))[
        "transactions"
    ]
    assert [n["customer"]["id"] for n in by_customer["nodes"]] == [other]
    bad = await api.gql(root, {"filter": {"customerIds": ["nope"]}}, token=token)
    assert bad["errors"][0]["extensions"]["code"] == "INVALID_ID"

    # node(id:) finds a transaction of your company only.
    node = """query($id: ID!) { node(id: $id) { ... on Transaction { amount kind } } }"""
    transaction_id = everything["nodes"][0]["id"]
    assert (await api.ok(node, {"id": transaction_id}, token=token))["node"] == {
        "amount": "99.00",
        "kind": "PAYMENT",
    }
    assert (await api.ok(node, {"id": transaction_id}, token=other_tenant.admin.token))[
        "node"
    ] is None
    theirs = (await api.ok(root, token=other_tenant.admin.token))["transactions"]
    assert theirs["totalCount"] == 0
    assert (await api.ok(BALANCE, {"id": customer}, token=other_tenant.admin.token))[
        "customer"
    ] is None


async def test_balance_and_transactions_are_batched(api, tenant, database):
    """A page of customers selecting balance (overdue included) runs a fixed number of statements."""
    token = tenant.admin.token
    past = date.today() - timedelta(days=10)
    await bulk_customers_with_orders(
        database, tenant, 101, total_cents=1000, due_date=past, paid_cents=500
    )
    query = """query($n: Int) { customers(first: $n) { nodes {
      balance { totalInvoiced totalPaid currentBalance overdueAmount } } } }"""
    small = (await api.ok(query, {"n": 10}, token=token))["customers"]
    small_count = api.last_statements
    large = (await api.ok(query, {"n": 101}, token=token))["customers"]
    assert api.last_statements == small_count
    assert len(large["nodes"]) == 101
    assert small["nodes"][0]["balance"] == {
        "totalInvoiced": "10.00",
        "totalPaid": "5.00",
        "currentBalance": "5.00",
        "overdueAmount": "5.00",
    }
    assert large["nodes"][100]["balance"]["overdueAmount"] == "6.00"
    assert large["nodes"][99]["balance"]["overdueAmount"] == "5.99"

    transactions = (
        "query($n: Int) { transactions(first: $n) { nodes { amount kind "
        "recordedBy { name } customer { name balance { overdueAmount } } "
        "allocations { amount } } } }"
    )
    await api.ok(transactions, {"n": 10}, token=token)
    few = api.last_statements
    page = await api.ok(transactions, {"n": 101}, token=token)
    assert api.last_statements == few
    assert len(page["transactions"]["nodes"]) == 101
    assert page["transactions"]["nodes"][0]["allocations"] == [{"amount": "5.00"}]


async def test_cancelling_a_paid_order_returns_the_money_as_credit(api, tenant, database):
    token = tenant.manager.token
    customer = await make_customer(api, tenant, "Lakeview Diner")
    order = await make_order(api, tenant, customer, 4000)
    paid = await record(
        api,
        token,
        customerId=customer,
        kind="PAYMENT",
        amount="40.00",
        allocations=[{"orderId": order, "amount": "40.00"}],
    )
    transaction = paid["transaction"]["id"]
    await cancel_order(api, tenant, order)
    data = await api.ok(
        """query($t: ID!, $o: ID!) {
          t: node(id: $t) { ... on Transaction { allocations { amount releasedAt } } }
          o: node(id: $o) { ... on Order { status amountPaid balanceDue } } }""",
        {"t": transaction, "o": order},
        token=token,
    )
    (allocation,) = data["t"]["allocations"]
    assert allocation["amount"] == "40.00"
    assert allocation["releasedAt"] is not None
    assert data["o"] == {"status": "CANCELLED", "amountPaid": "0.00", "balanceDue": "0.00"}
    assert await balance(api, token, customer) == {
        "totalInvoiced": "0.00",
        "totalPaid": "40.00",
        "currentBalance": "-40.00",
        "overdueAmount": "0.00",
    }
    # The credit offsets the next order in the balance (the order itself stays unpaid).
    second = await make_order(api, tenant, customer, 4000)
    assert (await balance(api, token, customer))["currentBalance"] == "0.00"
    assert await orders_with_balance(api, token, customer) == {second: ("0.00", "40.00")}
