"""Recomputes customers' denormalised stats from their rows (CONTRIBUTING.md's definitions).

For the rare writes that move whole histories between customers (customersMerge and
its revert): one UPDATE with correlated aggregates, so the stats are by definition
what the rows say, whatever moved. Everyday writes keep using set-based deltas.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import case, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.enums import INVOICED_ORDER_STATUSES, TransactionKind
from db.models import Customer, Interaction, Order, Transaction

STAT_COLUMNS = (
    "order_count",
    "total_sales_cents",
    "last_order_at",
    "total_paid_cents",
    "balance_cents",
    "unapplied_credit_cents",
    "last_interaction_at",
)


def _orders(aggregate: Any) -> Any:
    return (
        select(aggregate)
        .where(Order.customer_id == Customer.id, Order.status.in_(INVOICED_ORDER_STATUSES))
        .scalar_subquery()
    )


def _transactions(aggregate: Any, *where: Any) -> Any:
    return select(aggregate).where(Transaction.customer_id == Customer.id, *where).scalar_subquery()


def stats_values() -> dict[str, Any]:
    """Column -> SQL computing it from the customer's rows (inside an UPDATE of Customer)."""
    sales = func.coalesce(_orders(func.sum(Order.total_cents)), 0)
    paid_sign = case(
        (Transaction.kind.in_((TransactionKind.PAYMENT, TransactionKind.CREDIT)), 1),
        (Transaction.kind == TransactionKind.REFUND, -1),
        else_=0,
    )
    paid = func.coalesce(_transactions(func.sum(Transaction.amount_cents * paid_sign)), 0)
    adjustments = func.coalesce(
        _transactions(
            func.sum(Transaction.amount_cents), Transaction.kind == TransactionKind.ADJUSTMENT
        ),
        0,
    )
    return {
        "order_count": _orders(func.count(Order.id)),
        "total_sales_cents": sales,
        "last_order_at": _orders(func.max(Order.placed_at)),
        "total_paid_cents": paid,
        "balance_cents": sales - paid + adjustments,
        "unapplied_credit_cents": func.coalesce(
            _transactions(
                func.sum(Transaction.unallocated_cents), Transaction.unallocated_cents > 0
            ),
            0,
        ),
        "last_interaction_at": select(func.max(Interaction.created_at))
        .where(Interaction.customer_id == Customer.id)
        .scalar_subquery(),
    }


async def recompute_stats(session: AsyncSession, customer_ids: Sequence[int]) -> None:
    await session.flush()
    await session.execute(
        update(Customer)
        .where(Customer.id.in_(list(customer_ids)))
        .values(**stats_values())
        .execution_options(synchronize_session=False)
    )
