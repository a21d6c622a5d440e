"""The customer ledger: payments, refunds, credits and adjustments, and the balances.

The arithmetic, defined once (every figure is integer cents, exact):

- total invoiced  = Σ total of the customer's invoiced orders
                    (status in INVOICED_ORDER_STATUSES) = Customer.total_sales_cents
- total paid      = Σ PAYMENT + Σ CREDIT − Σ REFUND     = Customer.total_paid_cents
- current balance = total invoiced − total paid + Σ ADJUSTMENT = Customer.balance_cents
                    (i.e. invoiced − payments − credits + refunds ± adjustments;
                    positive: the customer owes us, negative: the customer has credit)
- an order's paid amount = Σ its live (unreleased) allocations       = Order.paid_cents
- an order's balance due = total − paid while invoiced, else 0       = Order.balance_due_cents
- overdue amount  = Σ balance due of invoiced orders whose due date is before today
                    (in the company's time zone)

A PAYMENT or CREDIT may be allocated to invoiced orders of the same customer; the
unallocated remainder stays on the account as credit (it lowers the balance all the
same). Cancelling an order releases its allocations (resolvers/orders.py): the money
returns to customer credit and the balance stays exact. Transactions are never edited
or deleted; a mistake is corrected by a reversing ADJUSTMENT.

Concurrency: a transaction locks the customer row, then the orders it allocates to in
id order (SELECT ... FOR UPDATE on PostgreSQL; on SQLite BEGIN IMMEDIATE and the
in-process write lock serialise every writer), and reads the orders' balances under
those locks, so two payments can never allocate the same balance twice nor lose an
update of the customer's figures. orderUpdateStatus and orderCancel take the same
locks in the same order (customer, then order), so the two never deadlock.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sqlalchemy import case, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.enums import INVOICED_ORDER_STATUSES, PaymentMethod, Role, TransactionKind
from db.models import (
    Company,
    Customer,
    Order,
    Transaction,
    TransactionAllocation,
    utcnow,
)
from resolvers.audit import record
from resolvers.errors import BadUserInput, ErrorCollector, UserErrorCode, UserInputError
from resolvers.ids import decode_id, parse_id, parse_ids
from resolvers.loaders import rows_by_id
from resolvers.money import cents_to_decimal, decimal_to_cents
from resolvers.pagination import Children, Page, PageArgs, SortKey, paginate_for
from resolvers.permissions import Viewer
from resolvers.validation import clean_text

if TYPE_CHECKING:
    from resolvers.context import Context
    from resolvers.demo import DemoWorld

# Larger amounts are certainly typos (and would overflow some accounting exports).
MAX_AMOUNT = Decimal("1000000000.00")
# Clients' clocks drift: "now" on a phone may be a little ahead of ours.
CLOCK_SKEW = timedelta(minutes=5)
ALLOCATABLE_KINDS = frozenset({TransactionKind.PAYMENT, TransactionKind.CREDIT})


@dataclass(frozen=True)
class AllocationRequest:
    order_id: int
    amount_cents: int
    field: tuple[str, ...]


@dataclass(frozen=True)
class TransactionRequest:
    """A validated transactionRecord input, before the database checks."""

    customer_id: int
    kind: TransactionKind
    amount_cents: int
    method: PaymentMethod | None
    reference: str | None
    note: str | None
    occurred_at: datetime
    allocations: tuple[AllocationRequest, ...]


def paid_delta(kind: TransactionKind, amount_cents: int) -> int:
    """How a transaction moves Customer.total_paid_cents."""
    if kind in ALLOCATABLE_KINDS:
        return amount_cents
    if kind == TransactionKind.REFUND:
        return -amount_cents
    return 0


def balance_delta(kind: TransactionKind, amount_cents: int) -> int:
    """How a transaction moves Customer.balance_cents (adjustments move it by their sign)."""
    if kind == TransactionKind.ADJUSTMENT:
        return amount_cents
    return -paid_delta(kind, amount_cents)


def _cents(errors: ErrorCollector, field: Sequence[str], value: Decimal, label: str) -> int | None:
    try:
        return decimal_to_cents(
            value, (*errors.prefix, *field), minimum=-MAX_AMOUNT, maximum=MAX_AMOUNT, label=label
        )
    except UserInputError as error:
        errors.errors.extend(error.errors)
        return None


def parse_transaction_input(input: Any) -> TransactionRequest:
    """Checks everything that needs no database; all problems at once."""
    errors = ErrorCollector()
    customer_id = None
    try:
        customer_id = parse_id(input.customer_id, "Customer", ("input", "customerId"))
    except UserInputError as error:
        errors.errors.extend(error.errors)
    kind = TransactionKind(input.kind.value)
    amount = _cents(errors, ("amount",), input.amount, "Amount")
    if amount == 0:
        errors.add("amount", "Amount must not be zero.", UserErrorCode.OUT_OF_RANGE)
    elif amount is not None and amount < 0 and kind != TransactionKind.ADJUSTMENT:
        errors.add(
            "amount",
            f"A {kind.value} amount must be positive; only an ADJUSTMENT may be negative.",
            UserErrorCode.OUT_OF_RANGE,
        )
    occurred_at = input.occurred_at or utcnow()
    if occurred_at > utcnow() + CLOCK_SKEW:
        errors.add(
            "occurredAt",
            "A transaction can't have happened in the future.",
            UserErrorCode.OUT_OF_RANGE,
        )
    reference = clean_text(errors, "reference", input.reference, max_length=100)
    note = clean_text(errors, "note", input.note, max_length=2000)
    allocations: list[AllocationRequest] = []
    requested = input.allocations or []
    if requested and kind not in ALLOCATABLE_KINDS:
        errors.add(
            "allocations",
            "Only a PAYMENT or a CREDIT can be allocated to orders.",
            UserErrorCode.INVALID,
        )
        requested = []
    seen: set[int] = set()
    for index, item in enumerate(requested):
        path = ("allocations", str(index))
        decoded = decode_id(item.order_id)
        if decoded is None or decoded[0] != "Order":
            errors.add(
                (*path, "orderId"),
                f"Not a valid Order id: {item.order_id!r}.",
                UserErrorCode.INVALID_ID,
            )
            continue
        share = _cents(errors, (*path, "amount"), item.amount, "Allocation")
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
    if amount is not None and amount > 0:
        allocated = sum(a.amount_cents for a in allocations)
        if allocated > amount:
            errors.add(
                "allocations",
                f"The allocations add up to {cents_to_decimal(allocated)}, "
                f"more than the amount {cents_to_decimal(amount)}.",
                UserErrorCode.OVER_ALLOCATED,
            )
    errors.raise_if_any()
    assert customer_id is not None and amount is not None
    return TransactionRequest(
        customer_id=customer_id,
        kind=kind,
        amount_cents=amount,
        method=PaymentMethod(input.method.value) if input.method else None,
        reference=reference,
        note=note,
        occurred_at=occurred_at,
        allocations=tuple(allocations),
    )


async def lock_customer(session: AsyncSession, customer_id: int) -> Customer | None:
    """The customer row, locked until the transaction ends (PostgreSQL; SQLite is serialised)."""
    result = await session.execute(
        select(Customer)
        .where(Customer.id == customer_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return result.scalar_one_or_none()


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


async def check_allocations(
    session: AsyncSession,
    customer: Customer,
    orders: dict[int, Order],
    allocations: Sequence[AllocationRequest],
) -> list[tuple[Order, int]]:
    """Each allocation against its order as it is now (read under the locks)."""
    if not allocations:
        return []
    partial_ok = await partial_payments_allowed(session, customer)
    errors = ErrorCollector(prefix=())
    checked: list[tuple[Order, int]] = []
    for allocation in allocations:
        field = (*allocation.field, "orderId")
        order = orders.get(allocation.order_id)
        if order is None:
            errors.add(field, "No such order.", UserErrorCode.NOT_FOUND)
            continue
        if order.customer_id != customer.id:
            errors.add(
                field,
                f"Order {order.number} belongs to another customer.",
                UserErrorCode.INVALID,
            )
            continue
        if order.status not in INVOICED_ORDER_STATUSES:
            errors.add(
                field,
                f"Order {order.number} is {order.status.value}: only invoiced orders can be paid.",
                UserErrorCode.INVALID,
            )
            continue
        due = order.balance_due_cents
        amount_field = (*allocation.field, "amount")
        if allocation.amount_cents > due:
            errors.add(
                amount_field,
                f"Order {order.number} has {cents_to_decimal(due)} due; "
                f"{cents_to_decimal(allocation.amount_cents)} is more than that.",
                UserErrorCode.OVER_ALLOCATED,
            )
            continue
        if allocation.amount_cents < due and not partial_ok:
            errors.add(
                amount_field,
                f"Partial payments are not allowed for this customer: "
                f"allocate the full {cents_to_decimal(due)} due on order {order.number}.",
                UserErrorCode.PARTIAL_PAYMENT_NOT_ALLOWED,
            )
            continue
        checked.append((order, allocation.amount_cents))
    errors.raise_if_any()
    return checked


async def apply_transaction(
    session: AsyncSession,
    customer: Customer,
    *,
    kind: TransactionKind,
    amount_cents: int,
    allocations: Sequence[tuple[Order, int]] = (),
    recorded_by_id: int | None,
    method: PaymentMethod | None = None,
    reference: str | None = None,
    note: str | None = None,
    occurred_at: datetime | None = None,
) -> Transaction:
    """Writes a checked transaction, its allocations and every denormalised figure.

    The caller holds the customer lock and has checked the allocations. Stats move
    by deltas (set-based), never by re-summing.
    """
    transaction = Transaction(
        company_id=customer.company_id,
        customer_id=customer.id,
        kind=kind,
        amount_cents=amount_cents,
        method=method,
        reference=reference,
        note=note,
        recorded_by_id=recorded_by_id,
        occurred_at=occurred_at or utcnow(),
    )
    session.add(transaction)
    await session.flush()
    shares = {order.id: share for order, share in allocations}
    if shares:
        session.add_all(
            TransactionAllocation(
                company_id=customer.company_id,
                transaction_id=transaction.id,
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
    await session.execute(
        update(Customer)
        .where(Customer.id == customer.id)
        .values(
            total_paid_cents=Customer.total_paid_cents + paid_delta(kind, amount_cents),
            balance_cents=Customer.balance_cents + balance_delta(kind, amount_cents),
        )
        .execution_options(synchronize_session="evaluate")
    )
    return transaction


async def record_transaction(context: Context, input: Any) -> dict[str, Any]:
    """transactionRecord: all or nothing, audited with who recorded it."""
    viewer: Viewer = context.viewer
    request = parse_transaction_input(input)
    async with context.transaction() as session:
        customer = await lock_customer(session, request.customer_id)
        if customer is None:
            raise UserInputError.one(
                ("input", "customerId"), "No such customer.", UserErrorCode.NOT_FOUND
            )
        orders = await lock_orders(session, request.allocations)
        allocations = await check_allocations(session, customer, orders, request.allocations)
        transaction = await apply_transaction(
            session,
            customer,
            kind=request.kind,
            amount_cents=request.amount_cents,
            allocations=allocations,
            recorded_by_id=viewer.staff_id,
            method=request.method,
            reference=request.reference,
            note=request.note,
            occurred_at=request.occurred_at,
        )
        record(
            session,
            viewer,
            "transaction.record",
            transaction,
            _audit_changes(transaction, allocations),
            customer_id=customer.id,
        )
    return {"transaction": transaction, "customer": customer}


def _audit_changes(
    transaction: Transaction, allocations: Sequence[tuple[Order, int]]
) -> dict[str, list[Any]]:
    changes: dict[str, list[Any]] = {
        "kind": [None, transaction.kind.value],
        "amount": [None, str(cents_to_decimal(transaction.amount_cents))],
        "occurredAt": [None, transaction.occurred_at.isoformat()],
    }
    if transaction.method is not None:
        changes["method"] = [None, transaction.method.value]
    if transaction.reference is not None:
        changes["reference"] = [None, transaction.reference]
    if transaction.note is not None:
        changes["note"] = [None, transaction.note]
    if allocations:
        changes["allocations"] = [
            None,
            [
                {"order": order.number, "amount": str(cents_to_decimal(share))}
                for order, share in allocations
            ],
        ]
    return changes


# ----------------------------------------------------------------------
# Reads
# ----------------------------------------------------------------------


def company_today(viewer: Viewer) -> date:
    return datetime.now(ZoneInfo(viewer.company_timezone)).date()


def _overdue(viewer: Viewer) -> list[Any]:
    """The orders whose balance due counts as overdue today."""
    return [
        Order.status.in_(INVOICED_ORDER_STATUSES),
        Order.balance_due_cents > 0,
        Order.due_date < company_today(viewer),
    ]


def overdue_cents_of(viewer: Viewer, customer_id: Any) -> Any:
    """The overdue amount of one customer as a scalar subquery, to read along with the
    customer's row (`customer_id`: its id column); the same sum as load_overdue_cents."""
    return (
        select(func.coalesce(func.sum(Order.balance_due_cents), 0))
        .where(Order.customer_id == customer_id, *_overdue(viewer))
        .scalar_subquery()
    )


async def load_overdue_cents(context: Context, customer_ids: Sequence[int]) -> list[int]:
    """Overdue amount per customer: one statement for any number of customers."""
    result = await context.session.execute(
        select(Order.customer_id, func.sum(Order.balance_due_cents))
        .where(Order.customer_id.in_(list(set(customer_ids))), *_overdue(context.viewer))
        .group_by(Order.customer_id)
    )
    overdue = {customer_id: int(total) for customer_id, total in result.all()}
    return [overdue.get(customer_id, 0) for customer_id in customer_ids]


async def load_allocations(
    context: Context, transaction_ids: Sequence[int]
) -> list[list[TransactionAllocation]]:
    """Allocations per transaction, released ones included, in the order they were made."""
    result = await context.session.execute(
        select(TransactionAllocation)
        .where(TransactionAllocation.transaction_id.in_(list(set(transaction_ids))))
        .order_by(TransactionAllocation.id)
    )
    grouped: dict[int, list[TransactionAllocation]] = defaultdict(list)
    for allocation in result.scalars():
        grouped[allocation.transaction_id].append(allocation)
    return [grouped.get(transaction_id, []) for transaction_id in transaction_ids]


async def load_order(context: Context, ids: Sequence[int]) -> list[Order | None]:
    return await rows_by_id(context, Order, ids)


def _newest_first() -> list[SortKey]:
    return [SortKey(Transaction.occurred_at, descending=True)]


# A transaction's allocations read along with a page of transactions.
ALLOCATIONS = Children(
    TransactionAllocation,
    TransactionAllocation.transaction_id,
    (TransactionAllocation.id,),
    load_allocations,
)


async def _newest_first_page(
    context: Context, statement: Any, args: PageArgs, with_allocations: bool
) -> Page[Transaction]:
    children = ALLOCATIONS if with_allocations else None
    return await paginate_for(
        context, statement, _newest_first(), Transaction.id, args, children=children
    )


async def customer_transactions_page(
    context: Context,
    customer_id: int,
    args: PageArgs,
    kinds: Sequence[TransactionKind] | None,
    *,
    with_allocations: bool = False,
) -> Page[Transaction]:
    """`with_allocations` reads the allocations in the same statement."""
    statement = select(Transaction).where(Transaction.customer_id == customer_id)
    if kinds:
        statement = statement.where(Transaction.kind.in_(list(kinds)))
    return await _newest_first_page(context, statement, args, with_allocations)


@dataclass(frozen=True)
class TransactionFilter:
    customer_ids: Sequence[int] = ()
    kinds: Sequence[TransactionKind] = ()
    occurred_from: datetime | None = None
    occurred_before: datetime | None = None


def day_start(day: date, timezone: str) -> datetime:
    """The instant a calendar day starts in the company's time zone."""
    return datetime.combine(day, datetime.min.time(), tzinfo=ZoneInfo(timezone))


async def transactions_page(
    context: Context,
    args: PageArgs,
    *,
    customer_ids: Sequence[str] | None,
    kinds: Sequence[TransactionKind] | None,
    from_date: date | None,
    to_date: date | None,
    with_allocations: bool = False,
) -> Page[Transaction]:
    """The company's transactions, newest first; from/to are days in the company's time zone.
    `with_allocations` reads the allocations in the same statement."""
    statement = select(Transaction)
    if customer_ids:
        try:
            pks = parse_ids(customer_ids, "Customer", ("filter", "customerIds"))
        except UserInputError as error:
            raise BadUserInput(str(error), code=UserErrorCode.INVALID_ID.value) from error
        statement = statement.where(Transaction.customer_id.in_(pks))
    if kinds:
        statement = statement.where(Transaction.kind.in_(list(kinds)))
    timezone = context.viewer.company_timezone
    if from_date is not None:
        statement = statement.where(Transaction.occurred_at >= day_start(from_date, timezone))
    if to_date is not None:
        statement = statement.where(
            Transaction.occurred_at < day_start(to_date + timedelta(days=1), timezone)
        )
    return await _newest_first_page(context, statement, args, with_allocations)


# ----------------------------------------------------------------------
# Demo story
# ----------------------------------------------------------------------

# Orders placed within this many days are mostly still open (not yet due or just due).
DEMO_RECENT_DAYS = 30


async def seed_demo_story(session: AsyncSession, world: DemoWorld) -> None:
    """Payments for the demo's invoiced orders, after the orders story.

    Most orders are paid in full some days after they were placed; a few are paid in
    part (where the customer may pay partially) or left open, so some customers are
    overdue and the aging report has something in every bucket; now and then one
    check pays two orders. Plus a few refunds, goodwill credits and small write-off
    adjustments. Everything goes through apply_transaction, like transactionRecord,
    so the denormalised figures agree with the rows.
    """
    rng = world.rng
    now = utcnow()
    clerks = [s.id for s in world.staff if s.role in (Role.ADMIN, Role.MANAGER)]
    methods = [PaymentMethod.CHECK, PaymentMethod.ACH, PaymentMethod.CARD, PaymentMethod.WIRE]
    for customer in world.customers:
        locked = await lock_customer(session, customer.id)
        if locked is None:
            continue
        orders = list(
            (
                await session.execute(
                    select(Order)
                    .where(
                        Order.customer_id == customer.id,
                        Order.status.in_(INVOICED_ORDER_STATUSES),
                        Order.balance_due_cents > 0,
                    )
                    .order_by(Order.placed_at, Order.id)
                )
            ).scalars()
        )
        partial_ok = await partial_payments_allowed(session, locked)
        paying: list[tuple[Order, int]] = []
        for order in orders:
            age = (now - order.placed_at).days
            roll = rng.random()
            if (age < DEMO_RECENT_DAYS and roll < 0.6) or roll < 0.08:
                continue  # still open: current if recent, overdue if not
            if partial_ok and roll < 0.16:
                paying.append((order, order.balance_due_cents // 2 // 100 * 100 or 1))
            else:
                paying.append((order, order.balance_due_cents))
        index = 0
        while index < len(paying):
            # Now and then one check pays two orders at once.
            batch = paying[index : index + (2 if rng.random() < 0.1 else 1)]
            index += len(batch)
            last_placed = max(order.placed_at for order, _ in batch)
            await apply_transaction(
                session,
                locked,
                kind=TransactionKind.PAYMENT,
                amount_cents=sum(share for _, share in batch),
                allocations=batch,
                recorded_by_id=rng.choice(clerks),
                method=rng.choice(methods),
                reference=f"{rng.randint(10000, 99999)}",
                occurred_at=min(now, last_placed + timedelta(days=rng.randint(3, 40))),
            )
        if orders:
            await _demo_extras(session, locked, rng.random(), rng.choice(clerks), world, now)
    await session.flush()
    for customer in world.customers:
        await session.refresh(customer)


async def _demo_extras(
    session: AsyncSession,
    customer: Customer,
    roll: float,
    clerk: int,
    world: DemoWorld,
    now: datetime,
) -> None:
    """One customer in ten gets a refund, one in ten a credit, one in twenty a write-off."""
    when = now - timedelta(days=world.rng.randint(1, 90))
    if roll < 0.1:
        await apply_transaction(
            session,
            customer,
            kind=TransactionKind.REFUND,
            amount_cents=world.rng.choice([1250, 2500, 4999]),
            recorded_by_id=clerk,
            method=PaymentMethod.CARD,
            note="Returned damaged goods",
            occurred_at=when,
        )
    elif roll < 0.2:
        await apply_transaction(
            session,
            customer,
            kind=TransactionKind.CREDIT,
            amount_cents=world.rng.choice([1000, 1500, 2500]),
            recorded_by_id=clerk,
            note="Goodwill credit for a late delivery",
            occurred_at=when,
        )
    elif roll < 0.25:
        await apply_transaction(
            session,
            customer,
            kind=TransactionKind.ADJUSTMENT,
            amount_cents=-world.rng.choice([37, 199, 450]),
            recorded_by_id=clerk,
            note="Small remaining difference written off",
            occurred_at=when,
        )
