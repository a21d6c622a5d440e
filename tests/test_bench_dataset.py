"""The benchmark data set: every denormalised column agrees with the rows it summarises.

The generator computes the stats in Python while it writes in bulk; here SQL
aggregates recompute each of them from the underlying rows.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from sqlalchemy import case, func, select

from bench.dataset import ORDERS_PER_CUSTOMER, STAFF_COUNT, seed_scale
from db.enums import INVOICED_ORDER_STATUSES, BillingStatus, TransactionKind
from db.models import (
    Company,
    Contact,
    Customer,
    DailySales,
    Interaction,
    Location,
    Order,
    OrderLine,
    PaymentTerms,
    Product,
    Staff,
    Transaction,
    TransactionAllocation,
)
from db.session import Scope
from resolvers.orders import DueTerms, due_date_for, search_text_for
from resolvers.text import name_key, optional_key
from tests.test_ledger_properties import assert_reconciled

N = 200
ANCHOR = datetime(2026, 6, 1, tzinfo=UTC)


async def _seed(database, seed: int = 7, n: int = N) -> int:
    summary = await seed_scale(database, n, seed, anchor=ANCHOR, progress=False)
    return int(re.match(r"seeded company (\d+)", summary).group(1))


async def test_scale_seed_fills_every_denormalised_column_consistently(database):
    company_id = await _seed(database)
    invoiced = Order.status.in_(INVOICED_ORDER_STATUSES)
    async with database.session(Scope(company_id)) as session:

        async def rows(statement) -> dict:
            return {row[0]: tuple(row[1:]) for row in (await session.execute(statement)).all()}

        assert (await session.scalar(select(func.count(Customer.id)))) == N
        assert (await session.scalar(select(func.count(Staff.id)))) == STAFF_COUNT
        assert (await session.scalar(select(func.count(Order.id)))) == N * ORDERS_PER_CUSTOMER
        assert (await session.scalar(select(func.count(Contact.id)))) == 2 * N
        # Exactly one primary contact per customer.
        primaries = await rows(
            select(Contact.customer_id, func.count())
            .where(Contact.is_primary)
            .group_by(Contact.customer_id)
        )
        assert len(primaries) == N and set(primaries.values()) == {(1,)}

        stored = await rows(
            select(
                Customer.id,
                Customer.order_count,
                Customer.total_sales_cents,
                Customer.last_order_at,
                Customer.total_paid_cents,
                Customer.balance_cents,
                Customer.last_interaction_at,
            )
        )
        orders = await rows(
            select(
                Order.customer_id,
                func.count(Order.id),
                func.sum(Order.total_cents),
                func.max(Order.placed_at),
            )
            .where(invoiced)
            .group_by(Order.customer_id)
        )

        def signed(kinds: dict[TransactionKind, int]):
            return func.sum(
                case(
                    *(
                        (Transaction.kind == kind, Transaction.amount_cents * sign)
                        for kind, sign in kinds.items()
                    ),
                    else_=0,
                )
            )

        ledger = await rows(
            select(
                Transaction.customer_id,
                signed(
                    {
                        TransactionKind.PAYMENT: 1,
                        TransactionKind.CREDIT: 1,
                        TransactionKind.REFUND: -1,
                    }
                ),
                signed({TransactionKind.ADJUSTMENT: 1}),
            ).group_by(Transaction.customer_id)
        )
        last_interaction = await rows(
            select(Interaction.customer_id, func.max(Interaction.created_at)).group_by(
                Interaction.customer_id
            )
        )
        for customer_id, (count, sales, last_order, paid, balance, last_touch) in stored.items():
            o_count, o_sales, o_last = orders.get(customer_id, (0, 0, None))
            assert (count, sales, last_order) == (o_count, o_sales, o_last), customer_id
            t_paid, t_adjust = ledger.get(customer_id, (0, 0))
            assert paid == t_paid, customer_id
            assert balance == sales - t_paid + t_adjust, customer_id
            assert last_touch == last_interaction[customer_id][0], customer_id

        # Locations: invoiced orders at the location.
        location_stats = await rows(
            select(Location.id, Location.order_count, Location.total_sales_cents)
        )
        location_orders = await rows(
            select(Order.location_id, func.count(Order.id), func.sum(Order.total_cents))
            .where(invoiced)
            .group_by(Order.location_id)
        )
        assert 2.5 * N < len(location_stats) < 3.5 * N
        for location_id, stats in location_stats.items():
            assert stats == location_orders.get(location_id, (0, 0)), location_id

        # Orders: live allocations, balance due while invoiced, lines add up, pricing rule.
        allocated = await rows(
            select(TransactionAllocation.order_id, func.sum(TransactionAllocation.amount_cents))
            .where(TransactionAllocation.released_at.is_(None))
            .group_by(TransactionAllocation.order_id)
        )
        line_sums = await rows(
            select(OrderLine.order_id, func.sum(OrderLine.line_total_cents)).group_by(
                OrderLine.order_id
            )
        )
        order_rows = (
            await session.execute(
                select(
                    Order.id,
                    Order.status,
                    Order.subtotal_cents,
                    Order.discount_bp,
                    Order.discount_cents,
                    Order.total_cents,
                    Order.paid_cents,
                    Order.balance_due_cents,
                    Order.number,
                    Order.search_text,
                )
            )
        ).all()
        paid_orders = 0
        for order in order_rows:
            assert order.subtotal_cents == line_sums[order.id][0]
            # subtotal × percent / 100, rounded half-up once.
            exact = order.subtotal_cents * order.discount_bp
            assert (
                order.discount_cents * 10000 - 5000 <= exact < order.discount_cents * 10000 + 5000
            )
            assert order.total_cents == order.subtotal_cents - order.discount_cents
            paid = allocated.get(order.id, (0,))[0]
            assert order.paid_cents == paid
            if order.status in INVOICED_ORDER_STATUSES:
                assert order.balance_due_cents == order.total_cents - paid
            else:
                assert order.balance_due_cents == 0 and paid == 0
            paid_orders += paid > 0
        # Payments settle most invoiced orders, not all of them.
        assert len(order_rows) // 2 < paid_orders < len(order_rows)

        # Every allocated order belongs to the paying customer.
        mismatched = await session.scalar(
            select(func.count(TransactionAllocation.id))
            .join(Transaction, Transaction.id == TransactionAllocation.transaction_id)
            .join(Order, Order.id == TransactionAllocation.order_id)
            .where(Transaction.customer_id != Order.customer_id)
        )
        assert mismatched == 0

        # Order numbers: consecutive from 1001, and the company's counter moved past them.
        numbers = sorted(order.number for order in order_rows)
        assert numbers == list(range(1001, 1001 + len(order_rows)))
        next_number = await session.scalar(
            select(Company.next_order_number).where(Company.id == company_id)
        )
        assert next_number == 1001 + len(order_rows)

        # search_text and due dates as the orders module computes them.
        lines = (
            await session.execute(
                select(OrderLine.order_id, OrderLine.sku, Product.name, OrderLine.description)
                .join(Product, Product.id == OrderLine.product_id)
                .order_by(OrderLine.order_id, OrderLine.position)
            )
        ).all()
        expected_text: dict[int, list[tuple[str, str, str]]] = {}
        for line in lines:
            expected_text.setdefault(line.order_id, []).append(tuple(line[1:]))
        for order in order_rows:
            assert order.search_text == search_text_for(expected_text[order.id])
        dated = (
            await session.execute(
                select(
                    Order.placed_at,
                    Order.submitted_at,
                    Order.delivered_at,
                    Order.due_date,
                    Order.requires_prepayment,
                    Customer.basis_date,
                    Customer.billing_status,
                    PaymentTerms.due_in_days,
                )
                .join(Customer, Customer.id == Order.customer_id)
                .join(PaymentTerms, PaymentTerms.id == Customer.payment_terms_id)
            )
        ).all()
        assert len(dated) == len(order_rows)
        for order in dated:
            terms = DueTerms(order.basis_date, order.due_in_days)
            assert order.due_date == due_date_for(order, terms, "UTC")
            assert order.requires_prepayment == (order.billing_status == BillingStatus.PREPAY_ONLY)
        # name_key is the folded name.
        for name, key in (await session.execute(select(Customer.name, Customer.name_key))).all():
            assert key == name_key(name)
        locations = await session.execute(
            select(Location.name, Location.name_key, Location.city, Location.city_key)
        )
        for name, key, city, city_key in locations.all():
            assert (key, city_key) == (name_key(name), optional_key(city))
        for name, key in (await session.execute(select(Contact.name, Contact.name_key))).all():
            assert key == optional_key(name)


async def test_scale_seed_is_deterministic_for_a_seed(database):
    async def fingerprint(company_id: int) -> list[tuple]:
        async with database.session(Scope(company_id)) as session:
            customers = (
                await session.execute(
                    select(
                        Customer.name,
                        Customer.total_sales_cents,
                        Customer.balance_cents,
                        Customer.last_order_at,
                    ).order_by(Customer.id)
                )
            ).all()
            orders = (
                await session.execute(
                    select(Order.number, Order.total_cents, Order.placed_at).order_by(Order.id)
                )
            ).all()
        return [tuple(row) for row in customers + orders]

    first, again, other = (
        await _seed(database, 11, 40),
        await _seed(database, 11, 40),
        await _seed(database, 12, 40),
    )
    assert await fingerprint(first) == await fingerprint(again)
    assert await fingerprint(first) != await fingerprint(other)


async def test_scale_seed_builds_the_sales_rollup(database):
    """The rollup holds every invoiced order once: same count and total as the orders."""
    company_id = await _seed(database, seed=13)
    session = database.session(Scope(company_id))
    try:
        rollup = (
            await session.execute(
                select(func.sum(DailySales.order_count), func.sum(DailySales.total_cents))
            )
        ).one()
        orders = (
            await session.execute(
                select(func.count(), func.sum(Order.total_cents)).where(
                    Order.status.in_(INVOICED_ORDER_STATUSES)
                )
            )
        ).one()
    finally:
        await session.close()
    assert orders[0] > 0
    assert (int(rollup[0]), int(rollup[1])) == (orders[0], int(orders[1]))


async def test_scale_seed_ledger_reconciles(database):
    """Credits, refunds drawn from them, charges: every customer's ledger reconciles as the
    app's own writes leave it (the same checks as the ledger property test)."""
    company_id = await _seed(database, seed=13)
    async with database.session(Scope(company_id)) as session:
        customers = list(
            (await session.execute(select(Customer.id).order_by(Customer.id))).scalars()
        )
        kinds = dict(
            (
                await session.execute(
                    select(Transaction.kind, func.count()).group_by(Transaction.kind)
                )
            ).all()
        )
    # Every kind occurs (at this seed N customers are enough for the rare ones), and some
    # adjustments are charges.
    assert set(kinds) == set(TransactionKind), kinds
    async with database.session(Scope(company_id)) as session:
        charges = await session.scalar(
            select(func.count()).where(
                Transaction.kind == TransactionKind.ADJUSTMENT, Transaction.amount_cents > 0
            )
        )
    assert charges > 0
    for customer_id in customers:
        await assert_reconciled(database, company_id, customer_id)
