"""Orders: pricing, numbering, the status lifecycle, the denormalised stats.

The ledger reads this module: `record_invoiced` and `reverse_invoiced` are the
only places that move customer and location stats (and the sales rollup) for orders;
cancelling releases the credits allocated to an order (resolvers.allocation). orderCreate
is resolvers/order_create.py, the history list resolvers/order_list.py, the demo story
resolvers/orders_demo.py.
"""

from __future__ import annotations

import decimal
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    case,
    func,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from db.enums import (
    INVOICED_ORDER_STATUSES,
    BasisDate,
    BillingStatus,
    OrderStatus,
)
from db.models import (
    Company,
    Customer,
    Location,
    Order,
    OrderLine,
    PaymentTerms,
    Product,
    utcnow,
)
from resolvers.allocation import release_allocations
from resolvers.audit import record
from resolvers.credit import check_credit_limit, parse_override
from resolvers.errors import ErrorCollector, UserErrorCode, UserInputError
from resolvers.ids import parse_id
from resolvers.localtime import local_date
from resolvers.sales_rollup import add_order
from resolvers.text import fold
from resolvers.validation import check_version

if TYPE_CHECKING:
    from resolvers.context import Context

MAX_QUANTITY = 1_000_000
MAX_UNIT_PRICE = decimal.Decimal("10000000")
MAX_LINES = 500

# Allowed status changes; anything else is INVALID_TRANSITION.
TRANSITIONS: dict[OrderStatus, frozenset[OrderStatus]] = {
    OrderStatus.DRAFT: frozenset({OrderStatus.SUBMITTED, OrderStatus.CANCELLED}),
    OrderStatus.SUBMITTED: frozenset({OrderStatus.CONFIRMED, OrderStatus.CANCELLED}),
    OrderStatus.CONFIRMED: frozenset({OrderStatus.SHIPPED, OrderStatus.CANCELLED}),
    OrderStatus.SHIPPED: frozenset({OrderStatus.DELIVERED}),
    OrderStatus.DELIVERED: frozenset(),
    OrderStatus.CANCELLED: frozenset(),
}
STATUS_TIMESTAMP = {
    OrderStatus.SUBMITTED: "submitted_at",
    OrderStatus.CONFIRMED: "confirmed_at",
    OrderStatus.SHIPPED: "shipped_at",
    OrderStatus.DELIVERED: "delivered_at",
    OrderStatus.CANCELLED: "cancelled_at",
}


# ---------------------------------------------------------------------------
# Pricing and dates (pure functions)
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Pricing:
    subtotal_cents: int
    discount_cents: int
    total_cents: int


def discount_cents(subtotal_cents: int, discount_bp: int) -> int:
    """subtotal × percent / 100, rounded half-up to the cent, once, on the whole subtotal."""
    return (subtotal_cents * discount_bp + 5_000) // 10_000


def price_order(line_totals: Sequence[int], discount_bp: int) -> Pricing:
    subtotal = sum(line_totals)
    discount = discount_cents(subtotal, discount_bp)
    return Pricing(subtotal, discount, subtotal - discount)


@dataclass(frozen=True)
class DueTerms:
    """What a customer's due dates depend on."""

    basis: BasisDate
    due_in_days: int


def due_date_for(order: Order, terms: DueTerms, timezone: str) -> date | None:
    """The basis date (in the company's time zone) plus the terms' days; None until it is known.

    ORDER_DATE: when placed; INVOICE_DATE: when submitted; DELIVERY_DATE: when delivered.
    """
    basis_moment = {
        BasisDate.ORDER_DATE: order.placed_at,
        BasisDate.INVOICE_DATE: order.submitted_at,
        BasisDate.DELIVERY_DATE: order.delivered_at,
    }[terms.basis]
    if basis_moment is None:
        return None
    return local_date(basis_moment, timezone) + timedelta(days=terms.due_in_days)


def search_text_for(lines: Sequence[tuple[str, str, str]]) -> str:
    """Folded (sku, product name, description) of every line: what order search matches."""
    return fold(" ".join(" ".join(dict.fromkeys(parts)) for parts in lines))


async def due_terms(session: AsyncSession, customer: Customer) -> DueTerms:
    days = 0
    if customer.payment_terms_id is not None:
        days = (
            await session.execute(
                select(PaymentTerms.due_in_days).where(PaymentTerms.id == customer.payment_terms_id)
            )
        ).scalar_one()
    return DueTerms(customer.basis_date, days)


# ---------------------------------------------------------------------------
# Stats: the only code moving customer/location order stats (see CONTRIBUTING.md)
# ---------------------------------------------------------------------------


async def record_invoiced(session: AsyncSession, order: Order) -> None:
    """`order` just became invoiced: it counts in its customer's and location's stats.

    customer: order_count + 1, total_sales + total, balance + total,
    last_order_at = max(last_order_at, placed_at); location: order_count + 1,
    total_sales + total; order: balance_due = total - paid; the sales rollup
    (resolvers.sales_rollup): + 1 order on its day and effective rep.
    """
    # Order attributes first: the statements below autoflush them in one UPDATE.
    order.balance_due_cents = order.total_cents - order.paid_cents
    placed_at = literal(order.placed_at, Customer.last_order_at.type)
    await session.execute(
        update(Customer)
        .where(Customer.id == order.customer_id)
        .values(
            order_count=Customer.order_count + 1,
            total_sales_cents=Customer.total_sales_cents + order.total_cents,
            balance_cents=Customer.balance_cents + order.total_cents,
            last_order_at=case(
                (
                    or_(
                        Customer.last_order_at.is_(None),
                        Customer.last_order_at < placed_at,
                    ),
                    placed_at,
                ),
                else_=Customer.last_order_at,
            ),
        )
        .execution_options(synchronize_session=False)
    )
    if order.location_id is not None:
        await session.execute(
            update(Location)
            .where(Location.id == order.location_id)
            .values(
                order_count=Location.order_count + 1,
                total_sales_cents=Location.total_sales_cents + order.total_cents,
            )
            .execution_options(synchronize_session=False)
        )
    # Last: the customer and location rows are locked now (see resolvers.sales_rollup).
    await add_order(session, order, 1)


async def reverse_invoiced(session: AsyncSession, order: Order) -> None:
    """An invoiced `order` is cancelled: undo `record_invoiced`.

    last_order_at becomes the latest placed_at of the customer's other invoiced
    orders (one aggregate). The customer's total_paid is untouched: money paid
    stays with the customer as credit, so its balance falls by the order total.
    """
    latest = (
        select(func.max(Order.placed_at))
        .where(
            Order.customer_id == order.customer_id,
            Order.status.in_(INVOICED_ORDER_STATUSES),
            Order.id != order.id,
        )
        .scalar_subquery()
    )
    await session.execute(
        update(Customer)
        .where(Customer.id == order.customer_id)
        .values(
            order_count=Customer.order_count - 1,
            total_sales_cents=Customer.total_sales_cents - order.total_cents,
            balance_cents=Customer.balance_cents - order.total_cents,
            last_order_at=latest,
        )
        .execution_options(synchronize_session=False)
    )
    if order.location_id is not None:
        await session.execute(
            update(Location)
            .where(Location.id == order.location_id)
            .values(
                order_count=Location.order_count - 1,
                total_sales_cents=Location.total_sales_cents - order.total_cents,
            )
            .execution_options(synchronize_session=False)
        )
    await add_order(session, order, -1)


# ---------------------------------------------------------------------------
# Writing orders (shared by the mutations and the demo story)
# ---------------------------------------------------------------------------


async def next_order_number(session: AsyncSession, company_id: int) -> int:
    """The company's next order number, taken in one UPDATE … RETURNING.

    The UPDATE locks the company row (PostgreSQL) or runs under the write lock
    (SQLite) until commit, so concurrent orders get distinct consecutive numbers.
    """
    taken = await session.execute(
        update(Company)
        .where(Company.id == company_id)
        .values(next_order_number=Company.next_order_number + 1)
        .returning(Company.next_order_number)
        .execution_options(synchronize_session=False)
    )
    return taken.scalar_one() - 1


@dataclass
class NewLine:
    product: Product
    quantity: int
    unit_price_cents: int
    description: str


@dataclass
class NewOrder:
    customer: Customer
    lines: list[NewLine]
    discount_bp: int
    placed_at: datetime
    status: OrderStatus = OrderStatus.DRAFT
    location_id: int | None = None
    po_number: str | None = None
    created_by_id: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)


async def insert_order(
    session: AsyncSession, new: NewOrder, terms: DueTerms, timezone: str
) -> Order:
    """Numbers, prices and stores a valid order; a SUBMITTED one is invoiced at once."""
    customer = new.customer
    line_totals = [line.quantity * line.unit_price_cents for line in new.lines]
    pricing = price_order(line_totals, new.discount_bp)
    order = Order(
        company_id=customer.company_id,
        number=await next_order_number(session, customer.company_id),
        po_number=new.po_number,
        status=OrderStatus.DRAFT,
        customer_id=customer.id,
        location_id=new.location_id,
        created_by_id=new.created_by_id,
        subtotal_cents=pricing.subtotal_cents,
        discount_bp=new.discount_bp,
        discount_cents=pricing.discount_cents,
        total_cents=pricing.total_cents,
        paid_cents=0,
        balance_due_cents=0,
        requires_prepayment=customer.billing_status == BillingStatus.PREPAY_ONLY,
        placed_at=new.placed_at,
        search_text=search_text_for(
            [(line.product.sku, line.product.name, line.description) for line in new.lines]
        ),
        **new.extra,
    )
    order.due_date = due_date_for(order, terms, timezone)
    session.add(order)
    if new.status != OrderStatus.DRAFT:
        # Placed as submitted: it was invoiced when it was placed.
        await change_status(session, order, new.status, at=new.placed_at, terms=terms, tz=timezone)
    await session.flush()
    session.add_all(
        OrderLine(
            company_id=order.company_id,
            order_id=order.id,
            position=position,
            product_id=line.product.id,
            sku=line.product.sku,
            description=line.description,
            quantity=line.quantity,
            unit_price_cents=line.unit_price_cents,
            line_total_cents=line_total,
        )
        for position, (line, line_total) in enumerate(zip(new.lines, line_totals, strict=True))
    )
    await session.flush()
    return order


async def change_status(
    session: AsyncSession,
    order: Order,
    status: OrderStatus,
    *,
    at: datetime,
    terms: DueTerms,
    tz: str,
    field: tuple[str, ...] = ("input", "status"),
) -> None:
    """Moves `order` to `status` with its timestamp, due date, stats and allocations."""
    if status not in TRANSITIONS[order.status]:
        raise UserInputError.one(
            field,
            f"An order can't go from {order.status.value} to {status.value}.",
            UserErrorCode.INVALID_TRANSITION,
        )
    if status == OrderStatus.CONFIRMED and order.requires_prepayment and order.balance_due_cents:
        raise UserInputError.one(
            field,
            "This customer pays in advance: the order can be confirmed once fully paid.",
            UserErrorCode.PREPAYMENT_REQUIRED,
        )
    was_invoiced = order.status in INVOICED_ORDER_STATUSES
    order.status = status
    setattr(order, STATUS_TIMESTAMP[status], at)
    if status in (OrderStatus.SUBMITTED, OrderStatus.DELIVERED):
        order.due_date = due_date_for(order, terms, tz)
    if status == OrderStatus.CANCELLED:
        await release_allocations(session, order, at)
        if was_invoiced:
            await reverse_invoiced(session, order)
    elif not was_invoiced and status in INVOICED_ORDER_STATUSES:
        await record_invoiced(session, order)


async def order_update_status(
    context: Context,
    id: str,
    status: OrderStatus,
    expected_version: int | None = None,
    *,
    override_credit_limit: bool | None = None,
    field: tuple[str, ...] = ("input", "status"),
) -> dict[str, Any]:
    """orderUpdateStatus and orderCancel (which has no input: its errors point at `id`).

    Invoicing (DRAFT → SUBMITTED) checks the customer's credit limit under its lock."""
    viewer = context.viewer
    errors = ErrorCollector()
    override = parse_override(errors, viewer, override_credit_limit)
    errors.raise_if_any()
    pk = parse_id(id, "Order", "id")
    async with context.transaction() as session:
        customer_id = (
            await session.execute(select(Order.customer_id).where(Order.id == pk))
        ).scalar_one_or_none()
        if customer_id is None:
            raise UserInputError.one("id", "No such order.", UserErrorCode.NOT_FOUND)
        # Locks in the ledger's order (customer row, then its orders), so a payment and a
        # status change of the same customer wait for each other instead of deadlocking.
        customer = (
            await session.execute(
                select(Customer).where(Customer.id == customer_id).with_for_update()
            )
        ).scalar_one()
        order = (
            await session.execute(select(Order).where(Order.id == pk).with_for_update())
        ).scalar_one()
        await check_version(session, order, expected_version, locked=True)
        before = order.status
        changes: dict[str, list[Any]] = {"status": [before.value, status.value]}
        if before == OrderStatus.DRAFT and status == OrderStatus.SUBMITTED:
            limit_errors = ErrorCollector(prefix=())  # `field` is a full path
            if check_credit_limit(limit_errors, customer, order.total_cents, override, field):
                changes["creditLimitOverridden"] = [None, True]
            limit_errors.raise_if_any()
        await change_status(
            session,
            order,
            status,
            at=utcnow(),
            terms=await due_terms(session, customer),
            tz=viewer.company_timezone,
            field=field,
        )
        await session.flush()
        record(
            session,
            viewer,
            "order.status",
            order,
            changes,
            customer_id=order.customer_id,
        )
    return {"order": order}
