"""Refunds pay back credit on account: never more than the customer's unapplied credit.

A REFUND draws from the customer's credits that have something unallocated, oldest
first (occurredAt, then id), and each draw is kept (db.models.RefundDraw), so every
credit's `unallocatedAmount` stays what is really left of it and a refunded credit
can't also pay an order later.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from sqlalchemy import case, literal_column, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Customer, RefundDraw, Transaction
from resolvers.errors import UserErrorCode, UserInputError
from resolvers.money import cents_to_decimal

if TYPE_CHECKING:
    from resolvers.context import Context


def plan_draws(credits: Sequence[tuple[int, int]], amount_cents: int) -> list[tuple[int, int]]:
    """(credit id, cents) taken from `credits` ((id, unallocated), oldest first) to pay
    `amount_cents`, oldest first; fewer cents than asked when the credits run out."""
    draws: list[tuple[int, int]] = []
    left = amount_cents
    for credit_id, available in credits:
        if left <= 0:
            break
        take = min(available, left)
        if take > 0:
            draws.append((credit_id, take))
            left -= take
    return draws


async def plan_refund(
    session: AsyncSession, customer: Customer, amount_cents: int
) -> list[tuple[int, int]]:
    """The draws paying a refund of `amount_cents`, or OVER_REFUND.

    The caller holds the customer lock; the credits drawn from are locked too.
    """
    result = await session.execute(
        select(Transaction.id, Transaction.unallocated_cents)
        # A literal 0, so ix_transactions_open_credits (a partial index) applies.
        .where(
            Transaction.customer_id == customer.id,
            Transaction.unallocated_cents > literal_column("0"),
        )
        .order_by(Transaction.occurred_at, Transaction.id)
        .with_for_update()
    )
    # The WHERE leaves only credits, whose unallocated_cents is never NULL.
    credits = [(row[0], int(row[1] or 0)) for row in result.all()]
    # Both are the same sum; the smaller one is safe even on a ledger migrated from
    # before refunds were bounded.
    available = min(customer.unapplied_credit_cents, sum(cents for _, cents in credits))
    if amount_cents > available:
        raise UserInputError.one(
            ("input", "amount"),
            f"A refund can't exceed the customer's unapplied credit: "
            f"{cents_to_decimal(available)} is available, "
            f"{cents_to_decimal(amount_cents)} was asked for.",
            UserErrorCode.OVER_REFUND,
        )
    return plan_draws(credits, amount_cents)


async def write_draws(
    session: AsyncSession, refund: Transaction, draws: Sequence[tuple[int, int]]
) -> None:
    """Draw rows, and the credits' unallocated amounts lowered by them (one UPDATE)."""
    if not draws:
        return
    session.add_all(
        RefundDraw(
            company_id=refund.company_id,
            refund_id=refund.id,
            credit_id=credit_id,
            amount_cents=cents,
        )
        for credit_id, cents in draws
    )
    taken = case(dict(draws), value=Transaction.id, else_=0)
    await session.execute(
        update(Transaction)
        .where(Transaction.id.in_([credit_id for credit_id, _ in draws]))
        .values(unallocated_cents=Transaction.unallocated_cents - taken)
        .execution_options(synchronize_session=False)
    )


async def load_refund_draws(
    context: Context, transaction_ids: Sequence[int]
) -> list[list[RefundDraw]]:
    """Per transaction: for a REFUND the credits it drew from, for a credit the refunds
    that drew from it; in the order they were made."""
    wanted = list(set(transaction_ids))
    result = await context.session.execute(
        select(RefundDraw)
        .where((RefundDraw.refund_id.in_(wanted)) | (RefundDraw.credit_id.in_(wanted)))
        .order_by(RefundDraw.id)
    )
    grouped: dict[int, list[RefundDraw]] = {}
    for draw in result.scalars():
        grouped.setdefault(draw.refund_id, []).append(draw)
        grouped.setdefault(draw.credit_id, []).append(draw)
    return [grouped.get(transaction_id, []) for transaction_id in transaction_ids]
