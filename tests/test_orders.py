"""Orders: pricing and discounts, numbering, refusals, the lifecycle and the stats it moves."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update

from db.enums import TransactionKind
from db.models import Customer, Location, Order, Transaction, TransactionAllocation
from db.session import Scope
from resolvers.ids import decode_id
from tests.orders_support import grant, make_customer, make_product

ORDER_FIELDS = """id number poNumber status discountPercent subtotal discountAmount total
  amountPaid balanceDue dueDate placedAt requiresPrepayment version submittedAt
  customer { name } location { name } createdBy { name }
  lines { product { sku } sku description quantity unitPrice lineTotal }"""
ORDER_CREATE = f"""mutation($input: OrderCreateInput!) {{ orderCreate(input: $input) {{
  order {{ {ORDER_FIELDS} }} userErrors {{ field message code }} }} }}"""
UPDATE_STATUS = """mutation($id: ID!, $input: OrderUpdateStatusInput!) {
  orderUpdateStatus(id: $id, input: $input) {
    order { status version balanceDue dueDate submittedAt confirmedAt shippedAt deliveredAt
            cancelledAt amountPaid }
    userErrors { field message code } } }"""
CANCEL = """mutation($id: ID!) { orderCancel(id: $id) {
  order { status cancelledAt amountPaid balanceDue } userErrors { field message code } } }"""
COUNT = "{ orders { totalCount } }"


def line(product: str, quantity: int, **extra) -> dict:
    return {"productId": product, "quantity": quantity, **extra}


async def create(api, token, customer, lines, **extra) -> dict:
    payload = await api.mutate(
        ORDER_CREATE, {"input": {"customerId": customer, "lines": lines, **extra}}, token=token
    )
    return payload["order"]


async def refused(api, token, customer, lines, **extra) -> list[tuple]:
    data = await api.ok(
        ORDER_CREATE, {"input": {"customerId": customer, "lines": lines, **extra}}, token=token
    )
    assert data["orderCreate"]["order"] is None
    return [(e["field"], e["code"]) for e in data["orderCreate"]["userErrors"]]


async def set_status(api, token, order_id, status, **extra) -> dict:
    data = await api.ok(
        UPDATE_STATUS, {"id": order_id, "input": {"status": status, **extra}}, token=token
    )
    return data["orderUpdateStatus"]


async def stats(database, tenant, global_id: str) -> dict:
    """The denormalised stats row, balance included (its GraphQL field is the ledger's)."""
    model = {"Customer": Customer, "Location": Location}[decode_id(global_id)[0]]
    async with database.transaction(Scope(tenant.company_id)) as session:
        row = await session.get(model, decode_id(global_id)[1])
        values = {"order_count": row.order_count, "total_sales_cents": row.total_sales_cents}
        if model is Customer:
            values |= {
                "balance_cents": row.balance_cents,
                "total_paid_cents": row.total_paid_cents,
                "last_order_at": row.last_order_at,
            }
        return values


async def test_customer_discount_applies_and_is_overridden_or_removed(api, tenant, database):
    """Story: the customer's 12.5 % appears on a new order; another overrides it, one removes it."""
    cafe, (main,) = await make_customer(
        api, tenant, "Café Olé", discount="12.50", locations=("Main store",)
    )
    beans = await make_product(api, tenant, "COF-1", "Espresso beans", "19.99")
    cups = await make_product(api, tenant, "CUP-1", "Paper cups", "5.01")
    token = tenant.rep.token
    first = await create(
        api,
        token,
        cafe,
        [line(beans, 3), line(cups, 1, unitPrice="4.50", description="Cups, seconds")],
        locationId=main,
        poNumber="PO-77",
        placedAt="2026-03-10T15:00:00+00:00",
    )
    assert {k: v for k, v in first.items() if k not in ("id", "submittedAt")} == {
        "number": 1001,
        "poNumber": "PO-77",
        "status": "DRAFT",
        "discountPercent": "12.50",
        "subtotal": "64.47",
        # 64.47 × 12.5 % = 8.05875 → 8.06
        "discountAmount": "8.06",
        "total": "56.41",
        "amountPaid": "0.00",
        "balanceDue": "0.00",
        # Net 30 from the order date.
        "dueDate": "2026-04-09",
        "placedAt": "2026-03-10T15:00:00+00:00",
        "requiresPrepayment": False,
        "version": 1,
        "customer": {"name": "Café Olé"},
        "location": {"name": "Main store"},
        "createdBy": {"name": f"Rep {tenant.rep.email[4:12]}"},
        "lines": [
            {
                "product": {"sku": "COF-1"},
                "sku": "COF-1",
                "description": "Espresso beans",
                "quantity": 3,
                "unitPrice": "19.99",
                "lineTotal": "59.97",
            },
            {
                "product": {"sku": "CUP-1"},
                "sku": "CUP-1",
                "description": "Cups, seconds",
                "quantity": 1,
                "unitPrice": "4.50",
                "lineTotal": "4.50",
            },
        ],
    }
    # Rounded half-up once on the subtotal: 10.10 × 5 % = 0.505 → 0.51.
    override = await create(
        api, token, cafe, [line(cups, 2, unitPrice="5.05")], discountPercent="5"
    )
    assert (override["number"], override["discountPercent"]) == (1002, "5.00")
    assert (override["subtotal"], override["discountAmount"], override["total"]) == (
        "10.10",
        "0.51",
        "9.59",
    )
    removed = await create(api, token, cafe, [line(beans, 1)], discountPercent="0")
    assert (removed["discountPercent"], removed["discountAmount"], removed["total"]) == (
        "0.00",
        "0.00",
        "19.99",
    )


async def test_bad_orders_are_refused_and_nothing_is_written(api, tenant, other_tenant, database):
    acme, (acme_site,) = await make_customer(api, tenant, "Acme", locations=("Depot",))
    _, (other_site,) = await make_customer(api, tenant, "Bistro", locations=("Kitchen",))
    held, _ = await make_customer(api, tenant, "Held Inc", billing_status="CREDIT_HOLD")
    stranger, _ = await make_customer(api, other_tenant, "Stranger")
    beans = await make_product(api, tenant, "COF-1", "Espresso beans", "19.99")
    theirs = await make_product(api, other_tenant, "THEIRS", "Their product", "1.00")
    token = tenant.rep.token

    assert await refused(api, token, acme, []) == [(["input", "lines"], "REQUIRED")]
    assert await refused(
        api,
        token,
        acme,
        [
            line(beans, 0),
            line(beans, 1, unitPrice="1.005"),
            line(beans, 1, unitPrice="-1"),
            line("bogus", 1),
            line(theirs, 1),
        ],
        locationId=other_site,
        discountPercent="100.01",
        status="CONFIRMED",
    ) == [
        (["input", "status"], "INVALID"),
        (["input", "discountPercent"], "OUT_OF_RANGE"),
        (["input", "lines", "0", "quantity"], "OUT_OF_RANGE"),
        (["input", "lines", "1", "unitPrice"], "INVALID"),
        (["input", "lines", "2", "unitPrice"], "OUT_OF_RANGE"),
        (["input", "lines", "3", "productId"], "INVALID_ID"),
        (["input", "locationId"], "INVALID"),
        (["input", "lines", "4", "productId"], "NOT_FOUND"),
    ]
    assert await refused(api, token, held, [line(beans, 1)]) == [
        (["input", "customerId"], "CREDIT_HOLD")
    ]
    assert await refused(api, token, stranger, [line(beans, 1)]) == [
        (["input", "customerId"], "NOT_FOUND")
    ]
    assert await refused(api, token, acme, [line(beans, 1)], locationId="bogus") == [
        (["input", "locationId"], "INVALID_ID")
    ]
    long_text = await refused(api, token, acme, [line(beans, 1, description="x" * 1001)])
    assert long_text == [(["input", "lines", "0", "description"], "TOO_LONG")]
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    assert await refused(api, token, acme, [line(beans, 1)], placedAt=tomorrow) == [
        (["input", "placedAt"], "OUT_OF_RANGE")
    ]
    assert (await api.ok(COUNT, token=token))["orders"]["totalCount"] == 0
    # No number was used up by the refusals.
    order = await create(api, token, acme, [line(beans, 1)], locationId=acme_site)
    assert order["number"] == 1001
    assert await stats(database, tenant, acme) == {
        "order_count": 0,
        "total_sales_cents": 0,
        "balance_cents": 0,
        "total_paid_cents": 0,
        "last_order_at": None,
    }


async def test_exclusive_product_is_invisible_and_unorderable_for_others(api, tenant, database):
    """Story: the reserve coffee is granted to Acme only; Bistro can't see or order it."""
    acme, _ = await make_customer(api, tenant, "Acme")
    bistro, _ = await make_customer(api, tenant, "Bistro")
    boutique, _ = await make_customer(api, tenant, "Boutique", product_display="EXCLUSIVE_ONLY")
    public = await make_product(api, tenant, "PUB", "Apples", "1.00")
    reserve = await make_product(api, tenant, "RES", "Reserve coffee", "40.00", exclusive=True)
    await grant(api, tenant, reserve, [acme, boutique])
    token = tenant.rep.token
    visible = await api.ok(
        "query($c: ID!) { products(visibleTo: $c) { nodes { sku } } }", {"c": bistro}, token=token
    )
    assert visible["products"]["nodes"] == [{"sku": "PUB"}]
    assert await refused(api, token, bistro, [line(public, 1), line(reserve, 1)]) == [
        (["input", "lines", "1", "productId"], "PRODUCT_NOT_VISIBLE")
    ]
    # EXCLUSIVE_ONLY customers can't order the public catalogue.
    assert await refused(api, token, boutique, [line(public, 1)]) == [
        (["input", "lines", "0", "productId"], "PRODUCT_NOT_VISIBLE")
    ]
    ordered = await create(api, token, acme, [line(reserve, 2)])
    assert ordered["total"] == "80.00"
    assert (await api.ok(COUNT, token=token))["orders"]["totalCount"] == 1
    # A product that is deactivated can't be ordered any more.
    await api.mutate(
        """mutation($id: ID!) { productUpdate(id: $id, input: {active: false}) {
             userErrors { code } } }""",
        {"id": public},
        token=tenant.admin.token,
    )
    assert await refused(api, token, acme, [line(public, 1)]) == [
        (["input", "lines", "0", "productId"], "PRODUCT_NOT_VISIBLE")
    ]


async def test_invoicing_and_cancelling_move_the_stats_exactly(api, tenant, database):
    acme, (depot,) = await make_customer(api, tenant, "Acme", locations=("Depot",))
    widget = await make_product(api, tenant, "W", "Widget", "25.00")
    token = tenant.rep.token
    january = await create(
        api,
        token,
        acme,
        [line(widget, 4)],
        locationId=depot,
        placedAt="2026-01-10T12:00:00+00:00",
    )
    # A draft is not invoiced: nothing counts yet.
    assert (await stats(database, tenant, acme))["order_count"] == 0
    submitted = await set_status(api, token, january["id"], "SUBMITTED")
    assert submitted["order"]["balanceDue"] == "100.00"
    assert await stats(database, tenant, acme) == {
        "order_count": 1,
        "total_sales_cents": 10000,
        "balance_cents": 10000,
        "total_paid_cents": 0,
        "last_order_at": datetime(2026, 1, 10, 12, tzinfo=UTC),
    }
    december = await create(
        api,
        token,
        acme,
        [line(widget, 2)],
        locationId=depot,
        status="SUBMITTED",
        placedAt="2025-12-01T09:00:00+00:00",
    )
    assert december["balanceDue"] == "50.00"
    assert december["submittedAt"] == "2025-12-01T09:00:00+00:00"
    assert await stats(database, tenant, acme) == {
        "order_count": 2,
        "total_sales_cents": 15000,
        "balance_cents": 15000,
        "total_paid_cents": 0,
        "last_order_at": datetime(2026, 1, 10, 12, tzinfo=UTC),
    }
    assert await stats(database, tenant, depot) == {"order_count": 2, "total_sales_cents": 15000}
    # The same through the customer's stats fields.
    profile = await api.ok(
        """query($id: ID!) { customer(id: $id) { orderCount totalSales lastOrderAt
             locations { nodes { orderCount totalSales } } } }""",
        {"id": acme},
        token=token,
    )
    assert profile["customer"] == {
        "orderCount": 2,
        "totalSales": "150.00",
        "lastOrderAt": "2026-01-10T12:00:00+00:00",
        "locations": {"nodes": [{"orderCount": 2, "totalSales": "150.00"}]},
    }

    cancelled = (await api.ok(CANCEL, {"id": january["id"]}, token=token))["orderCancel"]
    assert cancelled["userErrors"] == []
    assert cancelled["order"]["status"] == "CANCELLED"
    assert cancelled["order"]["balanceDue"] == "0.00"
    assert await stats(database, tenant, acme) == {
        "order_count": 1,
        "total_sales_cents": 5000,
        "balance_cents": 5000,
        "total_paid_cents": 0,
        "last_order_at": datetime(2025, 12, 1, 9, tzinfo=UTC),
    }
    assert await stats(database, tenant, depot) == {"order_count": 1, "total_sales_cents": 5000}

    # The ledger (another branch) records a 20.00 payment allocated to December's order.
    order_pk, customer_pk = decode_id(december["id"])[1], decode_id(acme)[1]
    async with database.transaction(Scope(tenant.company_id)) as session:
        payment = Transaction(
            company_id=tenant.company_id,
            customer_id=customer_pk,
            kind=TransactionKind.PAYMENT,
            amount_cents=2000,
        )
        session.add(payment)
        await session.flush()
        session.add(
            TransactionAllocation(
                company_id=tenant.company_id,
                transaction_id=payment.id,
                order_id=order_pk,
                amount_cents=2000,
            )
        )
        await session.execute(
            update(Order)
            .where(Order.id == order_pk)
            .values(paid_cents=2000, balance_due_cents=3000, version=Order.version + 1)
        )
        await session.execute(
            update(Customer)
            .where(Customer.id == customer_pk)
            .values(total_paid_cents=2000, balance_cents=Customer.balance_cents - 2000)
        )
    cancelled = (await api.ok(CANCEL, {"id": december["id"]}, token=token))["orderCancel"]
    assert cancelled["order"]["amountPaid"] == "0.00"
    assert cancelled["order"]["balanceDue"] == "0.00"
    # The 20.00 stays with the customer as credit: its balance is -20.00.
    assert await stats(database, tenant, acme) == {
        "order_count": 0,
        "total_sales_cents": 0,
        "balance_cents": -2000,
        "total_paid_cents": 2000,
        "last_order_at": None,
    }
    assert await stats(database, tenant, depot) == {"order_count": 0, "total_sales_cents": 0}
    async with database.transaction(Scope(tenant.company_id)) as session:
        allocation = (await session.execute(select(TransactionAllocation))).scalar_one()
        assert allocation.released_at is not None


async def test_status_lifecycle_and_invalid_transitions(api, tenant, database):
    acme, _ = await make_customer(api, tenant, "Acme")
    widget = await make_product(api, tenant, "W", "Widget", "25.00")
    token = tenant.rep.token
    order = await create(api, token, acme, [line(widget, 1)])
    oid = order["id"]
    skip = await set_status(api, token, oid, "CONFIRMED")
    assert skip["userErrors"] == [
        {
            "field": ["input", "status"],
            "message": "An order can't go from DRAFT to CONFIRMED.",
            "code": "INVALID_TRANSITION",
        }
    ]
    stale = await set_status(api, token, oid, "SUBMITTED", expectedVersion=7)
    assert stale["userErrors"][0]["code"] == "STALE"
    submitted = await set_status(api, token, oid, "SUBMITTED", expectedVersion=1)
    assert submitted["userErrors"] == []
    assert submitted["order"]["version"] == 2
    assert submitted["order"]["submittedAt"] is not None
    assert (await set_status(api, token, oid, "CONFIRMED"))["order"]["confirmedAt"] is not None
    shipped = await set_status(api, token, oid, "SHIPPED")
    assert shipped["order"]["shippedAt"] is not None
    too_late = (await api.ok(CANCEL, {"id": oid}, token=token))["orderCancel"]
    assert too_late["userErrors"] == [
        {
            "field": ["id"],
            "message": "An order can't go from SHIPPED to CANCELLED.",
            "code": "INVALID_TRANSITION",
        }
    ]
    delivered = await set_status(api, token, oid, "DELIVERED")
    assert delivered["order"]["status"] == "DELIVERED"
    assert delivered["order"]["version"] == 5
    back = await set_status(api, token, oid, "DRAFT")
    assert back["userErrors"][0]["code"] == "INVALID_TRANSITION"
    # Still invoiced once: the stats counted it a single time.
    assert (await stats(database, tenant, acme))["total_sales_cents"] == 2500


async def test_due_date_follows_the_basis_date(api, tenant, database):
    invoice, _ = await make_customer(
        api, tenant, "On invoice", terms="Net 15", basis_date="INVOICE_DATE"
    )
    delivery, _ = await make_customer(
        api, tenant, "On delivery", terms="Net 7", basis_date="DELIVERY_DATE"
    )
    no_terms, _ = await make_customer(api, tenant, "No terms", terms=None)
    widget = await make_product(api, tenant, "W", "Widget", "25.00")
    token = tenant.rep.token
    today = datetime.now(UTC).date()

    draft = await create(api, token, invoice, [line(widget, 1)], placedAt="2026-01-01T10:00:00Z")
    assert draft["dueDate"] is None
    submitted = await set_status(api, token, draft["id"], "SUBMITTED")
    assert submitted["order"]["dueDate"] == (today + timedelta(days=15)).isoformat()
    # Created as SUBMITTED (history import): invoiced when placed.
    imported = await create(
        api, token, invoice, [line(widget, 1)], placedAt="2026-01-01T10:00:00Z", status="SUBMITTED"
    )
    assert imported["dueDate"] == "2026-01-16"

    shipped = await create(api, token, delivery, [line(widget, 1)], status="SUBMITTED")
    for status in ("CONFIRMED", "SHIPPED"):
        result = await set_status(api, token, shipped["id"], status)
        assert result["order"]["dueDate"] is None
    delivered = await set_status(api, token, shipped["id"], "DELIVERED")
    assert delivered["order"]["dueDate"] == (today + timedelta(days=7)).isoformat()

    on_receipt = await create(api, token, no_terms, [line(widget, 1)], placedAt="2026-02-03T08:00Z")
    assert on_receipt["dueDate"] == "2026-02-03"


async def test_prepay_only_orders_confirm_once_paid(api, tenant, database):
    prepay, _ = await make_customer(api, tenant, "Prepay Co", billing_status="PREPAY_ONLY")
    widget = await make_product(api, tenant, "W", "Widget", "25.00")
    token = tenant.rep.token
    order = await create(api, token, prepay, [line(widget, 2)], status="SUBMITTED")
    assert order["requiresPrepayment"] is True
    refused_confirm = await set_status(api, token, order["id"], "CONFIRMED")
    assert refused_confirm["userErrors"] == [
        {
            "field": ["input", "status"],
            "message": "This customer pays in advance: the order can be confirmed once fully paid.",
            "code": "PREPAYMENT_REQUIRED",
        }
    ]
    # The ledger (another branch) allocates the full 50.00.
    async with database.transaction(Scope(tenant.company_id)) as session:
        await session.execute(
            update(Order)
            .where(Order.id == decode_id(order["id"])[1])
            .values(paid_cents=5000, balance_due_cents=0, version=Order.version + 1)
        )
    confirmed = await set_status(api, token, order["id"], "CONFIRMED")
    assert confirmed["userErrors"] == []
    assert (confirmed["order"]["status"], confirmed["order"]["amountPaid"]) == (
        "CONFIRMED",
        "50.00",
    )


async def test_concurrent_creates_get_distinct_consecutive_numbers(api, tenant, database):
    acme, _ = await make_customer(api, tenant, "Acme")
    widget = await make_product(api, tenant, "W", "Widget", "1.00")
    orders = await asyncio.gather(
        *(
            create(api, tenant.rep.token, acme, [line(widget, 1)], status="SUBMITTED")
            for _ in range(20)
        )
    )
    assert sorted(o["number"] for o in orders) == list(range(1001, 1021))
    counted = await stats(database, tenant, acme)
    assert (counted["order_count"], counted["total_sales_cents"]) == (20, 2000)


async def test_orders_are_invisible_to_other_companies(api, tenant, other_tenant, database):
    acme, _ = await make_customer(api, tenant, "Acme")
    widget = await make_product(api, tenant, "W", "Widget", "1.00")
    order = await create(api, tenant.rep.token, acme, [line(widget, 1)])
    theirs = other_tenant.admin.token
    node = await api.ok(
        "query($id: ID!) { node(id: $id) { id } }", {"id": order["id"]}, token=theirs
    )
    assert node["node"] is None
    assert (await api.ok(COUNT, token=theirs))["orders"]["totalCount"] == 0
    attempt = await set_status(api, theirs, order["id"], "SUBMITTED")
    assert attempt["userErrors"][0]["code"] == "NOT_FOUND"
    cancel = (await api.ok(CANCEL, {"id": order["id"]}, token=theirs))["orderCancel"]
    assert cancel["userErrors"][0]["code"] == "NOT_FOUND"
    # Their own numbering starts independently.
    other_customer, _ = await make_customer(api, other_tenant, "Other")
    other_widget = await make_product(api, other_tenant, "W", "Widget", "1.00")
    assert (await create(api, theirs, other_customer, [line(other_widget, 1)]))["number"] == 1001
