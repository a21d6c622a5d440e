"""Test factory for the ledger tests: customers and orders written straight to the database.

Customers and locations are made through GraphQL. TEMPORARY: orderCreate /
orderUpdateStatus / orderCancel (branch `orders`) are not merged yet. Until they are,
the order helpers do
what those mutations will do to the rows the ledger depends on (the denormalised
customer stats, the order's balance due, releasing allocations on cancel), so the
ledger can be tested through GraphQL. Replace them with the mutations once merged.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select, update

from db.enums import INVOICED_ORDER_STATUSES, OrderStatus
from db.models import Company, Customer, Location, Order, TransactionAllocation, utcnow
from db.session import Database, Scope
from resolvers.ids import encode_id
from tests.conftest import Tenant

CUSTOMER_CREATE = """mutation($input: CustomerCreateInput!) { customerCreate(input: $input) {
  customer { id } userErrors { field code message } } }"""
LOCATION_CREATE = """mutation($input: LocationCreateInput!) { locationCreate(input: $input) {
  location { id } userErrors { field code message } } }"""


async def make_customer(api: Any, tenant: Tenant, name: str, **input: Any) -> str:
    """customerCreate as the tenant's admin; returns the customer's global id."""
    payload = await api.mutate(
        CUSTOMER_CREATE, {"input": {"name": name, **input}}, token=tenant.admin.token
    )
    return payload["customer"]["id"]


async def make_location(
    api: Any, tenant: Tenant, customer_gid: str, name: str, **input: Any
) -> str:
    """locationCreate as the tenant's admin; returns the location's global id."""
    payload = await api.mutate(
        LOCATION_CREATE,
        {"input": {"customerId": customer_gid, "name": name, **input}},
        token=tenant.admin.token,
    )
    return payload["location"]["id"]


def pk(global_id: str) -> int:
    from resolvers.ids import decode_id

    decoded = decode_id(global_id)
    assert decoded is not None
    return decoded[1]


async def set_company_partial_payments(db: Database, tenant: Tenant, allowed: bool) -> None:
    async with db.transaction(None) as session:
        await session.execute(
            update(Company)
            .where(Company.id == tenant.company_id)
            .values(allow_partial_payments=allowed)
        )


async def make_order(
    db: Database,
    tenant: Tenant,
    customer_gid: str,
    total_cents: int,
    *,
    status: OrderStatus = OrderStatus.SUBMITTED,
    due_date: date | None = None,
    placed_at: datetime | None = None,
    location_gid: str | None = None,
) -> str:
    """An order as orderCreate will make it; an invoiced one counts in the customer's stats."""
    customer_id = pk(customer_gid)
    async with db.transaction(Scope(tenant.company_id)) as session:
        number = (
            await session.scalar(
                select(func.coalesce(func.max(Order.number), 1000)).where(
                    Order.company_id == tenant.company_id
                )
            )
        ) + 1
        order = Order(
            company_id=tenant.company_id,
            number=number,
            status=status,
            customer_id=customer_id,
            location_id=pk(location_gid) if location_gid else None,
            subtotal_cents=total_cents,
            total_cents=total_cents,
            due_date=due_date,
            placed_at=placed_at or utcnow(),
            balance_due_cents=0,
        )
        session.add(order)
        await session.flush()
        if status in INVOICED_ORDER_STATUSES:
            await _invoice(session, order)
        return encode_id("Order", order.id)


async def _invoice(session: Any, order: Order) -> None:
    await session.execute(
        update(Order)
        .where(Order.id == order.id)
        .values(balance_due_cents=Order.total_cents - Order.paid_cents)
    )
    await session.execute(
        update(Customer)
        .where(Customer.id == order.customer_id)
        .values(
            order_count=Customer.order_count + 1,
            total_sales_cents=Customer.total_sales_cents + order.total_cents,
            balance_cents=Customer.balance_cents + order.total_cents,
            last_order_at=func.coalesce(
                func.max(Customer.last_order_at, order.placed_at)
                if session.bind.dialect.name == "sqlite"
                else func.greatest(Customer.last_order_at, order.placed_at),
                order.placed_at,
            ),
        )
    )
    if order.location_id is not None:
        await session.execute(
            update(Location)
            .where(Location.id == order.location_id)
            .values(
                order_count=Location.order_count + 1,
                total_sales_cents=Location.total_sales_cents + order.total_cents,
            )
        )


async def invoice_order(db: Database, tenant: Tenant, order_gid: str) -> None:
    """DRAFT -> SUBMITTED, as orderUpdateStatus will do."""
    async with db.transaction(Scope(tenant.company_id)) as session:
        order = await session.get(Order, pk(order_gid))
        assert order.status == OrderStatus.DRAFT
        order.status = OrderStatus.SUBMITTED
        await session.flush()
        await _invoice(session, order)


async def cancel_order(db: Database, tenant: Tenant, order_gid: str) -> None:
    """orderCancel: releases the live allocations (back to customer credit), unbooks the sale."""
    async with db.transaction(Scope(tenant.company_id)) as session:
        order = await session.get(Order, pk(order_gid))
        was_invoiced = order.status in INVOICED_ORDER_STATUSES
        await session.execute(
            update(TransactionAllocation)
            .where(
                TransactionAllocation.order_id == order.id,
                TransactionAllocation.released_at.is_(None),
            )
            .values(released_at=utcnow())
        )
        order.status = OrderStatus.CANCELLED
        order.paid_cents = 0
        order.balance_due_cents = 0
        await session.flush()
        if was_invoiced:
            await session.execute(
                update(Customer)
                .where(Customer.id == order.customer_id)
                .values(
                    order_count=Customer.order_count - 1,
                    total_sales_cents=Customer.total_sales_cents - order.total_cents,
                    balance_cents=Customer.balance_cents - order.total_cents,
                )
            )


async def order_row(db: Database, tenant: Tenant, order_gid: str) -> Order:
    session = db.session(Scope(tenant.company_id))
    try:
        return await session.get(Order, pk(order_gid))
    finally:
        await session.close()


async def set_company_timezone(db: Database, tenant: Tenant, timezone: str) -> None:
    """No mutation changes the company's time zone yet; tokens pick it up per request."""
    async with db.transaction(None) as session:
        await session.execute(
            update(Company).where(Company.id == tenant.company_id).values(timezone=timezone)
        )


async def bulk_customers_with_orders(
    db: Database,
    tenant: Tenant,
    count: int,
    *,
    total_cents: int,
    due_date: date | None,
    sales_rep_id: Any = None,
) -> list[tuple[str, str]]:
    """Many customers, each with one invoiced order of `total_cents + n`: (customer, order) ids.

    Only for statement-count tests, which need 100+ rows fast; the stats columns are
    set as customerCreate and orderCreate would leave them.
    """
    async with db.transaction(Scope(tenant.company_id)) as session:
        customers = []
        for n in range(count):
            total = total_cents + n
            customer = Customer(
                company_id=tenant.company_id,
                name=f"Customer {n:03d}",
                name_key=f"customer {n:03d}",
                sales_rep_id=sales_rep_id(n) if callable(sales_rep_id) else sales_rep_id,
                order_count=1,
                total_sales_cents=total,
                balance_cents=total,
                last_order_at=utcnow(),
            )
            session.add(customer)
            customers.append((customer, total))
        await session.flush()
        start = (
            await session.scalar(
                select(func.coalesce(func.max(Order.number), 1000)).where(
                    Order.company_id == tenant.company_id
                )
            )
        ) + 1
        orders = [
            Order(
                company_id=tenant.company_id,
                number=start + n,
                status=OrderStatus.SUBMITTED,
                customer_id=customer.id,
                subtotal_cents=total,
                total_cents=total,
                balance_due_cents=total,
                due_date=due_date,
            )
            for n, (customer, total) in enumerate(customers)
        ]
        session.add_all(orders)
        await session.flush()
        return [
            (encode_id("Customer", customer.id), encode_id("Order", order.id))
            for (customer, _), order in zip(customers, orders, strict=True)
        ]
