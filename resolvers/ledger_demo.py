"""The demo company's money: payments, credit on account, refunds, write-offs, late fees.

Everything goes through the ledger's own write path (apply_transaction, apply_credit,
plan_refund), like transactionRecord and transactionAllocate, so the denormalised
figures agree with the rows and the aging report reconciles with the balances.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from random import Random
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.enums import INVOICED_ORDER_STATUSES, PaymentMethod, Role, TransactionKind
from db.models import Customer, Order, utcnow
from resolvers.allocation import apply_credit, partial_payments_allowed
from resolvers.ledger import apply_transaction, lock_customer
from resolvers.refunds import plan_refund

if TYPE_CHECKING:
    from resolvers.demo import DemoWorld

# Orders placed within this many days are mostly still open (not yet due or just due).
DEMO_RECENT_DAYS = 30
METHODS = [PaymentMethod.CHECK, PaymentMethod.ACH, PaymentMethod.CARD, PaymentMethod.WIRE]


async def _open_orders(session: AsyncSession, customer: Customer) -> list[Order]:
    result = await session.execute(
        select(Order)
        .where(
            Order.customer_id == customer.id,
            Order.status.in_(INVOICED_ORDER_STATUSES),
            Order.balance_due_cents > 0,
        )
        .order_by(Order.placed_at, Order.id)
        .execution_options(populate_existing=True)
    )
    return list(result.scalars())


def _payments_due(rng: Random, orders: list[Order], partial_ok: bool, now: datetime) -> list:
    """(order, share) the customer pays: most in full, a few in part, recent ones often not."""
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
    return paying


async def seed_demo_story(session: AsyncSession, world: DemoWorld) -> None:
    """Payments for the demo's invoiced orders, after the orders story.

    Most orders are paid in full some days after they were placed; a few are paid in
    part (where the customer may pay partially) or left open, so some customers are
    overdue and the aging report has something in every bucket; now and then one check
    pays two orders. Then a few customers overpay (credit on account, part of it
    refunded), get a goodwill credit (applied to an open order later, or kept), a
    write-off of a small remainder, or a late fee.
    """
    rng = world.rng
    now = utcnow()
    clerks = [s.id for s in world.staff if s.role in (Role.ADMIN, Role.MANAGER)]
    for customer in world.customers:
        locked = await lock_customer(session, customer.id)
        if locked is None:
            continue
        orders = await _open_orders(session, locked)
        paying = _payments_due(rng, orders, await partial_payments_allowed(session, locked), now)
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
                method=rng.choice(METHODS),
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
    """One customer in ten overpays and gets part of it back, one in ten a goodwill
    credit, one in twenty a write-off, one in twenty a late fee."""
    rng = world.rng
    when = now - timedelta(days=rng.randint(5, 90))
    if roll < 0.1:
        await _overpayment_partly_refunded(session, customer, rng, clerk, when)
    elif roll < 0.2:
        await _goodwill_credit(session, customer, rng, clerk, when, applied=roll < 0.15)
    elif roll < 0.25:
        await _write_off(session, customer, rng, clerk, when)
    elif roll < 0.3:
        await apply_transaction(
            session,
            customer,
            kind=TransactionKind.ADJUSTMENT,
            amount_cents=2500,
            recorded_by_id=clerk,
            note="Late payment fee",
            occurred_at=when,
        )


async def _overpayment_partly_refunded(
    session: AsyncSession, customer: Customer, rng: Random, clerk: int, when: datetime
) -> None:
    await apply_transaction(
        session,
        customer,
        kind=TransactionKind.PAYMENT,
        amount_cents=rng.choice([5000, 7500, 12000]),
        recorded_by_id=clerk,
        method=PaymentMethod.CHECK,
        reference=f"{rng.randint(10000, 99999)}",
        note="Check for more than was invoiced: kept as credit on account",
        occurred_at=when,
    )
    refund = rng.choice([1250, 2500])
    await apply_transaction(
        session,
        customer,
        kind=TransactionKind.REFUND,
        amount_cents=refund,
        draws=await plan_refund(session, customer, refund),
        recorded_by_id=clerk,
        method=PaymentMethod.CARD,
        note="Returned damaged goods",
        occurred_at=when + timedelta(days=3),
    )


async def _goodwill_credit(
    session: AsyncSession,
    customer: Customer,
    rng: Random,
    clerk: int,
    when: datetime,
    *,
    applied: bool,
) -> None:
    """A credit; when `applied`, put on the newest open order if it covers no more than
    that order's balance (and partial payments are allowed, unless it pays it exactly)."""
    credit = await apply_transaction(
        session,
        customer,
        kind=TransactionKind.CREDIT,
        amount_cents=rng.choice([1000, 1500, 2500]),
        recorded_by_id=clerk,
        note="Goodwill credit for a late delivery",
        occurred_at=when,
    )
    open_orders = await _open_orders(session, customer)
    if applied and open_orders and open_orders[-1].balance_due_cents >= credit.amount_cents:
        if await partial_payments_allowed(session, customer) or (
            open_orders[-1].balance_due_cents == credit.amount_cents
        ):
            await apply_credit(session, customer, credit, [(open_orders[-1], credit.amount_cents)])


async def _write_off(
    session: AsyncSession, customer: Customer, rng: Random, clerk: int, when: datetime
) -> None:
    """Writes off the small rest of a partly paid order, else a small unallocated difference."""
    open_orders = await _open_orders(session, customer)
    small = [o for o in open_orders if o.paid_cents and o.balance_due_cents <= 5000]
    target = small[0] if small else None
    amount = target.balance_due_cents if target else rng.choice([37, 199, 450])
    await apply_transaction(
        session,
        customer,
        kind=TransactionKind.ADJUSTMENT,
        amount_cents=-amount,
        allocations=[(target, amount)] if target else [],
        recorded_by_id=clerk,
        note="Small remaining difference written off",
        occurred_at=when,
    )
