"""The customer ledger: payments, refunds, credits and adjustments, and the balances.

The arithmetic, defined once (every figure is integer cents, exact):

- total invoiced  = Σ total of the customer's invoiced orders
                    (status in INVOICED_ORDER_STATUSES) = Customer.total_sales_cents
- total paid      = Σ PAYMENT + Σ CREDIT − Σ REFUND     = Customer.total_paid_cents
- current balance = total invoiced − total paid + Σ ADJUSTMENT = Customer.balance_cents
                    (i.e. invoiced − payments − credits + refunds ± adjustments;
                    positive: the customer owes us, negative: the customer has credit)
- credits: PAYMENT, CREDIT and negative ADJUSTMENT (a write-off); each may pay invoiced
  orders of its customer (allocations). What is left of one = |amount| − its live
  allocations − the refunds drawn from it = Transaction.unallocated_cents (≥ 0; None
  for REFUND and positive ADJUSTMENT)
- unapplied credit = Σ unallocated_cents of the customer's credits
                   = Customer.unapplied_credit_cents (≥ 0: a REFUND may not exceed it,
                   and draws from it, oldest credit first: resolvers/refunds.py)
- an order's paid amount = Σ its live (unreleased) allocations       = Order.paid_cents
- an order's balance due = total − paid while invoiced, else 0       = Order.balance_due_cents
- overdue amount  = Σ balance due of invoiced orders whose due date is before today
                    (in the company's time zone)

The balance identity, true for every customer at every moment (the ledger property
test checks it after every step):

    current balance = Σ balance due of invoiced orders + Σ positive ADJUSTMENTs
                      − unapplied credit

(live allocations only ever pay invoiced orders: cancelling an order releases them, and
the money returns to its credits as unallocated; resolvers/allocation.py). The aging
report (resolvers/aging.py) is this identity spread over age buckets, and a statement's
closing balance (resolvers/statements.py) the same sum over time. Transactions are never
edited or deleted; a mistake is corrected by a reversing ADJUSTMENT.

Concurrency: a transaction locks the customer row, then the orders it allocates to in
id order, then the credits it draws from (SELECT ... FOR UPDATE on PostgreSQL; on
SQLite BEGIN IMMEDIATE and the in-process write lock serialise every writer), and reads
the balances under those locks, so two payments can never allocate the same balance
twice nor lose an update of the customer's figures. orderCreate, orderUpdateStatus and
orderCancel take the same locks in the same order (customer, then order).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.enums import INVOICED_ORDER_STATUSES, PaymentMethod, TransactionKind
from db.models import Customer, Order, Transaction, TransactionAllocation, utcnow
from resolvers.allocation import allocation_audit, check_allocations, write_allocations
from resolvers.audit import record
from resolvers.errors import BadUserInput, UserErrorCode, UserInputError
from resolvers.idempotency import claim, settle
from resolvers.ids import parse_ids
from resolvers.ledger_input import is_credit, parse_transaction_input
from resolvers.loaders import rows_by_id
from resolvers.localtime import company_today, day_start
from resolvers.money import cents_to_decimal
from resolvers.pagination import Children, Page, PageArgs, SortKey, paginate_for
from resolvers.permissions import Viewer
from resolvers.refunds import plan_refund, write_draws

if TYPE_CHECKING:
    from resolvers.context import Context


def paid_delta(kind: TransactionKind, amount_cents: int) -> int:
    """How a transaction moves Customer.total_paid_cents."""
    if kind in (TransactionKind.PAYMENT, TransactionKind.CREDIT):
        return amount_cents
    if kind == TransactionKind.REFUND:
        return -amount_cents
    return 0


def balance_delta(kind: TransactionKind, amount_cents: int) -> int:
    """How a transaction moves Customer.balance_cents (adjustments move it by their sign)."""
    if kind == TransactionKind.ADJUSTMENT:
        return amount_cents
    return -paid_delta(kind, amount_cents)


def unapplied_delta(kind: TransactionKind, amount_cents: int, allocated_cents: int) -> int:
    """How a new transaction moves Customer.unapplied_credit_cents."""
    if is_credit(kind, amount_cents):
        return abs(amount_cents) - allocated_cents
    if kind == TransactionKind.REFUND:
        return -amount_cents
    return 0


async def lock_customer(session: AsyncSession, customer_id: int) -> Customer | None:
    """The customer row, locked until the transaction ends (PostgreSQL; SQLite is serialised)."""
    result = await session.execute(
        select(Customer)
        .where(Customer.id == customer_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return result.scalar_one_or_none()


async def apply_transaction(
    session: AsyncSession,
    customer: Customer,
    *,
    kind: TransactionKind,
    amount_cents: int,
    allocations: Sequence[tuple[Order, int]] = (),
    draws: Sequence[tuple[int, int]] = (),
    recorded_by_id: int | None,
    method: PaymentMethod | None = None,
    reference: str | None = None,
    note: str | None = None,
    occurred_at: datetime | None = None,
) -> Transaction:
    """Writes a checked transaction, its allocations (a credit) or draws (a refund), and
    every denormalised figure.

    The caller holds the customer lock and has checked the allocations
    (allocation.check_allocations) and planned the draws (refunds.plan_refund). Stats
    move by deltas (set-based), never by re-summing.
    """
    allocated = sum(share for _, share in allocations)
    credit = is_credit(kind, amount_cents)
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
        unallocated_cents=abs(amount_cents) - allocated if credit else None,
    )
    session.add(transaction)
    await session.flush()
    await write_allocations(session, transaction, allocations)
    await write_draws(session, transaction, draws)
    await session.execute(
        update(Customer)
        .where(Customer.id == customer.id)
        .values(
            total_paid_cents=Customer.total_paid_cents + paid_delta(kind, amount_cents),
            balance_cents=Customer.balance_cents + balance_delta(kind, amount_cents),
            unapplied_credit_cents=Customer.unapplied_credit_cents
            + unapplied_delta(kind, amount_cents, allocated),
        )
        .execution_options(synchronize_session="evaluate")
    )
    return transaction


async def record_transaction(context: Context, input: Any) -> dict[str, Any]:
    """transactionRecord: parse, then (idempotency key, locks, checks) write; all or
    nothing, audited with who recorded it."""
    viewer: Viewer = context.viewer
    request = parse_transaction_input(viewer, input)
    async with context.transaction() as session:
        claimed = await claim(
            session, viewer, request.idempotency_key, "transactionRecord", request
        )
        if claimed.replay_id is not None:
            first = await session.get(Transaction, claimed.replay_id)
            assert first is not None  # transactions are never deleted
            return {
                "transaction": first,
                "customer": await session.get(Customer, first.customer_id),
            }
        customer = await lock_customer(session, request.customer_id)
        if customer is None:
            raise UserInputError.one(
                ("input", "customerId"), "No such customer.", UserErrorCode.NOT_FOUND
            )
        allocations = await check_allocations(session, customer, request.allocations)
        draws: list[tuple[int, int]] = []
        if request.kind == TransactionKind.REFUND:
            draws = await plan_refund(session, customer, request.amount_cents)
        transaction = await apply_transaction(
            session,
            customer,
            kind=request.kind,
            amount_cents=request.amount_cents,
            allocations=allocations,
            draws=draws,
            recorded_by_id=viewer.staff_id,
            method=request.method,
            reference=request.reference,
            note=request.note,
            occurred_at=request.occurred_at,
        )
        await settle(session, claimed, transaction.id)
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
        changes["allocations"] = [None, allocation_audit(allocations)]
    return changes


# ----------------------------------------------------------------------
# Reads
# ----------------------------------------------------------------------


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


async def load_transaction(context: Context, ids: Sequence[int]) -> list[Transaction | None]:
    return await rows_by_id(context, Transaction, ids)


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
