"""Credits paying orders: allocations when recorded, later (transactionAllocate), and
their release when an order is cancelled.

A credit is a PAYMENT, a CREDIT or a negative ADJUSTMENT (a write-off). What of it no
order holds is `Transaction.unallocated_cents`; the customer's sum of those is
`Customer.unapplied_credit_cents` (resolvers/ledger.py has the arithmetic). Every
function here moves the three figures (order paid/due, credit unallocated, customer
unapplied) by the same amounts in set-based UPDATEs, inside the caller's transaction,
under the customer lock (resolvers.ledger.lock_customer).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, case, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.enums import INVOICED_ORDER_STATUSES
from db.models import Company, Customer, Order, Transaction, TransactionAllocation
from resolvers.audit import record
from resolvers.errors import ErrorCollector, UserErrorCode, UserInputError
from resolvers.ids import decode_id, parse_id
from resolvers.money import cents_to_decimal, decimal_to_cents

if TYPE_CHECKING:
    from resolvers.context import Context

# Larger amounts are certainly typos (and would overflow some accounting exports).
MAX_AMOUNT = Decimal("1000000000.00")
# More allocations in one request are certainly not a person's work.
MAX_ALLOCATIONS = 250


@dataclass(frozen=True)
class AllocationRequest:
    order_id: int
    amount_cents: int
    # Full path of this allocation in the mutation's arguments, for its errors.
    field: tuple[str, ...]


def money_cents(
    errors: ErrorCollector,
    field: Sequence[str],
    value: Decimal,
    label: str,
    minimum: Decimal = -MAX_AMOUNT,
) -> int | None:
    """Exact cents of an amount within ±MAX_AMOUNT, else a userError (None)."""
    return errors.collect(
        decimal_to_cents,
        value,
        (*errors.prefix, *field),
        minimum=minimum,
        maximum=MAX_AMOUNT,
        label=label,
    )


def parse_allocations(
    errors: ErrorCollector, items: Sequence[Any] | None
) -> tuple[AllocationRequest, ...]:
    """`allocations: [{orderId amount}]` checked without the database: ids, positive
    amounts of at most 2 decimals, each order once. Problems go to `errors`."""
    items = items or []
    if len(items) > MAX_ALLOCATIONS:
        errors.add(
            "allocations",
            f"At most {MAX_ALLOCATIONS} allocations at once ({len(items)} given).",
            UserErrorCode.OUT_OF_RANGE,
        )
        return ()
    allocations: list[AllocationRequest] = []
    seen: set[int] = set()
    for index, item in enumerate(items):
        path = ("allocations", str(index))
        decoded = decode_id(item.order_id)
        if decoded is None or decoded[0] != "Order":
            errors.add(
                (*path, "orderId"),
                f"Not a valid Order id: {item.order_id!r}.",
                UserErrorCode.INVALID_ID,
            )
            continue
        share = money_cents(errors, (*path, "amount"), item.amount, "Allocation")
        if share is None:
            continue
        if share <= 0:
            errors.add(
                (*path, "amount"), "An allocation must be positive.", UserErrorCode.OUT_OF_RANGE
            )
            continue
        if decoded[1] in seen:
            errors.add(
                (*path, "orderId"),
                "Allocate to each order once per transaction.",
                UserErrorCode.INVALID,
            )
            continue
        seen.add(decoded[1])
        allocations.append(AllocationRequest(decoded[1], share, (*errors.prefix, *path)))
    return tuple(allocations)


def over_allocated(total_cents: int, available_cents: int, what: str) -> str:
    return (
        f"The allocations add up to {cents_to_decimal(total_cents)}, "
        f"more than the {cents_to_decimal(available_cents)} {what}."
    )


async def partial_payments_allowed(session: AsyncSession, customer: Customer) -> bool:
    if customer.allow_partial_payments is not None:
        return customer.allow_partial_payments
    company = await session.get(Company, customer.company_id)
    return bool(company and company.allow_partial_payments)


async def lock_orders(
    session: AsyncSession, allocations: Sequence[AllocationRequest]
) -> dict[int, Order]:
    """The orders to allocate to, locked in id order (no deadlock between two payments)."""
    if not allocations:
        return {}
    result = await session.execute(
        select(Order)
        .where(Order.id.in_([a.order_id for a in allocations]))
        .order_by(Order.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return {order.id: order for order in result.scalars()}


def _check_one(
    errors: ErrorCollector,
    customer: Customer,
    order: Order | None,
    allocation: AllocationRequest,
    partial_ok: bool,
) -> bool:
    field = (*allocation.field, "orderId")
    if order is None:
        errors.add(field, "No such order.", UserErrorCode.NOT_FOUND)
        return False
    if order.customer_id != customer.id:
        errors.add(
            field, f"Order {order.number} belongs to another customer.", UserErrorCode.INVALID
        )
        return False
    if order.status not in INVOICED_ORDER_STATUSES:
        errors.add(
            field,
            f"Order {order.number} is {order.status.value}: only invoiced orders can be paid.",
            UserErrorCode.INVALID,
        )
        return False
    due = order.balance_due_cents
    amount_field = (*allocation.field, "amount")
    if allocation.amount_cents > due:
        errors.add(
            amount_field,
            f"Order {order.number} has {cents_to_decimal(due)} due; "
            f"{cents_to_decimal(allocation.amount_cents)} is more than that.",
            UserErrorCode.OVER_ALLOCATED,
        )
        return False
    if allocation.amount_cents < due and not partial_ok:
        errors.add(
            amount_field,
            f"Partial payments are not allowed for this customer: "
            f"allocate the full {cents_to_decimal(due)} due on order {order.number}.",
            UserErrorCode.PARTIAL_PAYMENT_NOT_ALLOWED,
        )
        return False
    return True


async def check_allocations(
    session: AsyncSession, customer: Customer, allocations: Sequence[AllocationRequest]
) -> list[tuple[Order, int]]:
    """Each allocation against its order as it is now: the orders are locked and read
    under the customer's lock, so two credits never pay the same balance twice."""
    if not allocations:
        return []
    orders = await lock_orders(session, allocations)
    partial_ok = await partial_payments_allowed(session, customer)
    errors = ErrorCollector(prefix=())
    checked = [
        (orders[a.order_id], a.amount_cents)
        for a in allocations
        if _check_one(errors, customer, orders.get(a.order_id), a, partial_ok)
    ]
    errors.raise_if_any()
    return checked


async def write_allocations(
    session: AsyncSession, credit: Transaction, allocations: Sequence[tuple[Order, int]]
) -> None:
    """Allocation rows and the orders' paid and due amounts (one UPDATE for all orders).

    The credit's unallocated amount and the customer's unapplied credit are the
    caller's: a new credit is written with them already net of these allocations.
    """
    shares = {order.id: share for order, share in allocations}
    if not shares:
        return
    session.add_all(
        TransactionAllocation(
            company_id=credit.company_id,
            transaction_id=credit.id,
            order_id=order_id,
            amount_cents=share,
        )
        for order_id, share in shares.items()
    )
    share_of = case(shares, value=Order.id, else_=0)
    await session.execute(
        update(Order)
        .where(Order.id.in_(list(shares)))
        .values(
            paid_cents=Order.paid_cents + share_of,
            balance_due_cents=Order.balance_due_cents - share_of,
        )
        .execution_options(synchronize_session=False)
    )


async def release_allocations(session: AsyncSession, order: Order, at: datetime) -> None:
    """An order is cancelled: what credits paid it goes back to them (unallocated again)
    and to the customer's unapplied credit. The customer row is locked by the caller."""
    released = order.paid_cents
    order.paid_cents = 0
    order.balance_due_cents = 0
    if not released:
        return
    live = and_(
        TransactionAllocation.order_id == order.id, TransactionAllocation.released_at.is_(None)
    )
    returned = (
        select(func.sum(TransactionAllocation.amount_cents))
        .where(live, TransactionAllocation.transaction_id == Transaction.id)
        .scalar_subquery()
    )
    await session.execute(
        update(Transaction)
        .where(Transaction.id.in_(select(TransactionAllocation.transaction_id).where(live)))
        .values(unallocated_cents=Transaction.unallocated_cents + returned)
        .execution_options(synchronize_session=False)
    )
    await session.execute(
        update(Customer)
        .where(Customer.id == order.customer_id)
        .values(unapplied_credit_cents=Customer.unapplied_credit_cents + released)
        .execution_options(synchronize_session=False)
    )
    await session.execute(
        update(TransactionAllocation)
        .where(live)
        .values(released_at=at)
        .execution_options(synchronize_session=False)
    )


def allocation_audit(allocations: Sequence[tuple[Order, int]]) -> list[dict[str, str | int]]:
    return [
        {"order": order.number, "amount": str(cents_to_decimal(share))}
        for order, share in allocations
    ]


# ----------------------------------------------------------------------
# transactionAllocate
# ----------------------------------------------------------------------


async def lock_credit(session: AsyncSession, transaction_id: int) -> Transaction | None:
    result = await session.execute(
        select(Transaction)
        .where(Transaction.id == transaction_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return result.scalar_one_or_none()


async def apply_credit(
    session: AsyncSession,
    customer: Customer,
    credit: Transaction,
    allocations: Sequence[tuple[Order, int]],
) -> None:
    """Pays orders from what is left of an existing credit (checked allocations, within
    its unallocated amount): the allocations, and the credit's and customer's figures."""
    total = sum(share for _, share in allocations)
    await write_allocations(session, credit, allocations)
    await session.execute(
        update(Transaction)
        .where(Transaction.id == credit.id)
        .values(unallocated_cents=Transaction.unallocated_cents - total)
        .execution_options(synchronize_session="evaluate")
    )
    await session.execute(
        update(Customer)
        .where(Customer.id == customer.id)
        .values(unapplied_credit_cents=Customer.unapplied_credit_cents - total)
        .execution_options(synchronize_session="evaluate")
    )


async def transaction_allocate(context: Context, id: str, input: Any) -> dict[str, Any]:
    """Applies more of an existing credit to invoiced orders of its customer."""
    from resolvers.ledger import lock_customer  # the ledger imports this module

    viewer = context.viewer
    errors = ErrorCollector()
    transaction_pk = errors.collect(parse_id, id, "Transaction", ("id",))
    allocations = parse_allocations(errors, input.allocations)
    if not input.allocations and not errors:
        errors.add("allocations", "Give at least one allocation.", UserErrorCode.REQUIRED)
    errors.raise_if_any()
    assert transaction_pk is not None
    async with context.transaction() as session:
        customer_id = await session.scalar(
            select(Transaction.customer_id).where(Transaction.id == transaction_pk)
        )
        customer = await lock_customer(session, customer_id) if customer_id else None
        credit = await lock_credit(session, transaction_pk) if customer else None
        if customer is None or credit is None:
            raise UserInputError.one(("id",), "No such transaction.", UserErrorCode.NOT_FOUND)
        if credit.unallocated_cents is None:
            raise UserInputError.one(
                ("id",),
                f"A {credit.kind.value} of {cents_to_decimal(credit.amount_cents)} pays no "
                "orders: only a PAYMENT, a CREDIT or a negative ADJUSTMENT can.",
                UserErrorCode.INVALID,
            )
        total = sum(a.amount_cents for a in allocations)
        if total > credit.unallocated_cents:
            raise UserInputError.one(
                ("input", "allocations"),
                over_allocated(total, credit.unallocated_cents, "left of this credit"),
                UserErrorCode.OVER_ALLOCATED,
            )
        checked = await check_allocations(session, customer, allocations)
        await apply_credit(session, customer, credit, checked)
        record(
            session,
            viewer,
            "transaction.allocate",
            credit,
            {"allocations": [None, allocation_audit(checked)]},
            customer_id=customer.id,
        )
    return {"transaction": credit, "customer": customer}
