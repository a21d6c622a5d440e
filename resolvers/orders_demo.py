"""The orders' part of the demo company's story (resolvers/demo.py STORY)."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import (
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession

from db.enums import (
    CustomerStatus,
    OrderStatus,
)
from db.models import Customer, Location, Order, Product, utcnow
from resolvers.orders import DueTerms, NewLine, NewOrder, change_status, due_terms, insert_order
from resolvers.products import visible_to

if TYPE_CHECKING:
    from resolvers.demo import DemoWorld


# ---------------------------------------------------------------------------
# Demo story
# ---------------------------------------------------------------------------

DEMO_ORDERS = 320
DEMO_YEARS = 3


async def seed_demo_story(session: AsyncSession, world: DemoWorld) -> None:
    """Three years of orders across the demo customers, oldest first (numbers follow time).

    Orders go through insert_order and change_status, like orderCreate and
    orderUpdateStatus, so the customers' and locations' stats come out right.
    """
    rng = world.rng
    company = world.company
    now = utcnow()
    customers = [c for c in world.customers if c.status != CustomerStatus.PROSPECT]
    locations: dict[int, list[Location]] = {}
    for location in world.locations:
        locations.setdefault(location.customer_id, []).append(location)
    catalogue: dict[int, list[Product]] = {}
    terms: dict[int, DueTerms] = {}
    for customer in customers:
        catalogue[customer.id] = list(
            (
                await session.execute(
                    select(Product)
                    .where(Product.company_id == company.id, visible_to(customer))
                    .order_by(Product.id)
                )
            ).scalars()
        )
        terms[customer.id] = await due_terms(session, customer)
    reps = [s.id for s in world.staff]
    moments = sorted(
        now - timedelta(days=rng.uniform(0, 365 * DEMO_YEARS), hours=rng.randint(0, 8))
        for _ in range(DEMO_ORDERS)
    )
    customers = [c for c in customers if catalogue[c.id]]
    for index, placed_at in enumerate(moments):
        customer = rng.choice(customers)
        # The latest few are still being put together.
        draft = index >= DEMO_ORDERS - 3
        new = _demo_order(
            rng, customer, catalogue[customer.id], locations[customer.id], reps, placed_at, draft
        )
        order = await insert_order(session, new, terms[customer.id], company.timezone)
        if new.status == OrderStatus.DRAFT:
            continue
        for day, status in enumerate(_demo_steps(rng, order), start=1):
            at = placed_at + timedelta(days=day * 2)
            if at > now:
                break
            await change_status(
                session, order, status, at=at, terms=terms[customer.id], tz=company.timezone
            )
    await session.flush()
    # The stats moved in set-based UPDATEs; later story steps read these objects.
    for row in [*world.customers, *world.locations]:
        await session.refresh(row)


def _demo_order(
    rng: random.Random,
    customer: Customer,
    available: list[Product],
    locations: list[Location],
    reps: list[int],
    placed_at: datetime,
    draft: bool,
) -> NewOrder:
    """An order (SUBMITTED, or DRAFT) of one to four of the customer's products."""
    products = rng.sample(available, min(len(available), rng.randint(1, 4)))
    lines = [
        NewLine(
            product=product,
            quantity=rng.randint(1, 12),
            # Now and then a negotiated price, 5 % under list.
            unit_price_cents=product.price_cents * (95 if rng.random() < 0.1 else 100) // 100,
            description=product.name,
        )
        for product in products
    ]
    return NewOrder(
        customer=customer,
        lines=lines,
        # One order in ten carries a one-off promotion instead of the usual discount.
        discount_bp=rng.choice([500, 1500]) if rng.random() < 0.1 else customer.discount_bp,
        placed_at=placed_at,
        status=OrderStatus.DRAFT if draft else OrderStatus.SUBMITTED,
        location_id=rng.choice(locations).id if locations else None,
        po_number=f"PO-{placed_at.year}-{rng.randint(1000, 9999)}" if rng.random() < 0.6 else None,
        created_by_id=customer.sales_rep_id or rng.choice(reps),
        extra={"created_at": placed_at},
    )


def _demo_steps(rng: random.Random, order: Order) -> list[OrderStatus]:
    """What happens to a submitted order after it is placed, two days a step."""
    if rng.random() < 0.05:
        return [OrderStatus.CANCELLED]
    if order.requires_prepayment:
        # Waits for the customer's payment (the ledger's part of the story).
        return []
    return [OrderStatus.CONFIRMED, OrderStatus.SHIPPED, OrderStatus.DELIVERED]
