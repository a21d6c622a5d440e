"""Test factory for the ledger and report tests.

Customers, locations and orders go through GraphQL (customerCreate, locationCreate,
productCreate, orderCreate, orderUpdateStatus, orderCancel). Two shortcuts write to the
database, each said where: pinning an order's due date (the aging buckets need exact
dates) and a bulk insert of 100+ customers for the statement-count tests.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select, update

from db.enums import OrderStatus, TransactionKind
from db.models import Company, Customer, Order, utcnow
from db.session import Database, Scope
from resolvers.ids import encode_id
from resolvers.ledger import apply_transaction
from resolvers.sales_rollup import rebuild_sales_rollup
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


PRODUCT_CREATE = """mutation($input: ProductCreateInput!) { productCreate(input: $input) {
  product { id } userErrors { field code message } } }"""
ORDER_CREATE = """mutation($input: OrderCreateInput!) { orderCreate(input: $input) {
  order { id } userErrors { field code message } } }"""
ORDER_STATUS = """mutation($id: ID!, $input: OrderUpdateStatusInput!) {
  orderUpdateStatus(id: $id, input: $input) { order { id } userErrors { field code message } } }"""
ORDER_CANCEL = """mutation($id: ID!) { orderCancel(id: $id) {
  order { id } userErrors { field code message } } }"""
# The lifecycle, one step at a time (orderUpdateStatus allows no jumps).
LIFECYCLE = (
    OrderStatus.SUBMITTED,
    OrderStatus.CONFIRMED,
    OrderStatus.SHIPPED,
    OrderStatus.DELIVERED,
)
# make_order's default: keep the due date orderCreate derives from the payment terms.
FROM_TERMS: Any = object()
_products: dict[tuple[str, int], str] = {}


async def _product(api: Any, tenant: Tenant) -> str:
    """One catalogue product per company; each order line sets its own price."""
    key = (api.db.url, tenant.company_id)
    if key not in _products:
        payload = await api.mutate(
            PRODUCT_CREATE,
            {"input": {"sku": "LEDGER-TEST", "name": "Assorted goods", "price": "1.00"}},
            token=tenant.manager.token,
        )
        _products[key] = payload["product"]["id"]
    return _products[key]


async def make_order(
    api: Any,
    tenant: Tenant,
    customer_gid: str,
    total_cents: int,
    *,
    status: OrderStatus = OrderStatus.SUBMITTED,
    due_date: Any = FROM_TERMS,
    placed_at: datetime | None = None,
    location_gid: str | None = None,
) -> str:
    """An order of one line worth `total_cents`, through orderCreate and the lifecycle.

    `due_date` pins the due date (the aging tests need exact ones); otherwise it is
    what the customer's payment terms give.
    """
    token = tenant.manager.token
    line = {
        "productId": await _product(api, tenant),
        "quantity": 1,
        "unitPrice": str(Decimal(total_cents).scaleb(-2)),
    }
    input: dict[str, Any] = {
        "customerId": customer_gid,
        "lines": [line],
        "discountPercent": "0",
        "status": "DRAFT" if status in (OrderStatus.DRAFT, OrderStatus.CANCELLED) else "SUBMITTED",
    }
    if location_gid:
        input["locationId"] = location_gid
    if placed_at:
        input["placedAt"] = placed_at.isoformat()
    order = (await api.mutate(ORDER_CREATE, {"input": input}, token=token))["order"]["id"]
    if status == OrderStatus.CANCELLED:
        await cancel_order(api, tenant, order)
    elif status in LIFECYCLE:
        for step in LIFECYCLE[1 : LIFECYCLE.index(status) + 1]:
            await api.mutate(
                ORDER_STATUS, {"id": order, "input": {"status": step.value}}, token=token
            )
    if due_date is not FROM_TERMS:
        async with api.db.transaction(Scope(tenant.company_id)) as session:
            await session.execute(
                update(Order).where(Order.id == pk(order)).values(due_date=due_date)
            )
    return order


async def invoice_order(api: Any, tenant: Tenant, order_gid: str) -> None:
    await api.mutate(
        ORDER_STATUS,
        {"id": order_gid, "input": {"status": "SUBMITTED"}},
        token=tenant.manager.token,
    )


async def cancel_order(api: Any, tenant: Tenant, order_gid: str) -> None:
    await api.mutate(ORDER_CANCEL, {"id": order_gid}, token=tenant.manager.token)


async def order_row(db: Database, tenant: Tenant, order_gid: str) -> Order:
    session = db.session(Scope(tenant.company_id))
    try:
        return await session.get(Order, pk(order_gid))
    finally:
        await session.close()


async def set_company_timezone(db: Database, tenant: Tenant, timezone: str) -> None:
    """The company's time zone, as companyUpdate sets it (tokens pick it up per request)."""
    async with db.transaction(None) as session:
        await session.execute(
            update(Company).where(Company.id == tenant.company_id).values(timezone=timezone)
        )
        await rebuild_sales_rollup(session, tenant.company_id)


async def bulk_customers_with_orders(
    db: Database,
    tenant: Tenant,
    count: int,
    *,
    total_cents: int,
    due_date: date | None,
    sales_rep_id: Any = None,
    paid_cents: int = 0,
) -> list[tuple[str, str]]:
    """Many customers, each with one invoiced order of `total_cents + n`: (customer, order) ids.

    Only for statement-count tests, which need 100+ rows fast; the stats columns are
    set as customerCreate and orderCreate would leave them. With `paid_cents`, each
    order gets a PAYMENT of that much allocated to it.
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
        if paid_cents:
            # Through the ledger's own write path, as transactionRecord does.
            for (customer, _), order in zip(customers, orders, strict=True):
                await apply_transaction(
                    session,
                    customer,
                    kind=TransactionKind.PAYMENT,
                    amount_cents=paid_cents,
                    allocations=[(order, paid_cents)],
                    recorded_by_id=tenant.manager.id,
                )
        # The orders went in behind record_invoiced's back: recount the sales rollup.
        await rebuild_sales_rollup(session, tenant.company_id)
        return [
            (encode_id("Customer", customer.id), encode_id("Order", order.id))
            for (customer, _), order in zip(customers, orders, strict=True)
        ]
