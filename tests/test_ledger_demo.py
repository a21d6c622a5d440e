"""The demo story's payments: the ledger reconciles and the story has every case."""

from __future__ import annotations

from collections import Counter, defaultdict
from decimal import Decimal

from sqlalchemy import func, select

from db.enums import INVOICED_ORDER_STATUSES, TransactionKind
from db.models import Company, Customer, Order, Staff, Transaction, TransactionAllocation
from db.session import Scope
from resolvers import ledger_demo, orders_demo, products
from resolvers.demo import DemoWorld, _seed_customers
from resolvers.ids import encode_id


async def test_demo_story_payments_reconcile(api, tenant, database):
    # The demo's customers in a fresh test company (seed_demo itself makes a fixed company).
    async with database.transaction(Scope(tenant.company_id)) as session:
        company = await session.get(Company, tenant.company_id)
        staff = list((await session.execute(select(Staff))).scalars())
        world = DemoWorld(company=company, staff=staff)
        await _seed_customers(session, world)
        await products.seed_demo_story(session, world)
        await orders_demo.seed_demo_story(session, world)
        await ledger_demo.seed_demo_story(session, world)

    async with database.transaction(Scope(tenant.company_id)) as session:
        order_rows = list((await session.execute(select(Order))).scalars())
        customers = list((await session.execute(select(Customer))).scalars())
        kinds = defaultdict(Counter)
        charges: Counter = Counter()
        unallocated: Counter = Counter()
        for customer_id, kind, amount, left in await session.execute(
            select(
                Transaction.customer_id,
                Transaction.kind,
                Transaction.amount_cents,
                Transaction.unallocated_cents,
            )
        ):
            kinds[customer_id][kind] += amount
            if kind == TransactionKind.ADJUSTMENT and amount > 0:
                charges[customer_id] += amount
            if left is not None:
                assert left >= 0
                unallocated[customer_id] += left
        live = dict(
            (
                await session.execute(
                    select(
                        TransactionAllocation.order_id, func.sum(TransactionAllocation.amount_cents)
                    )
                    .where(TransactionAllocation.released_at.is_(None))
                    .group_by(TransactionAllocation.order_id)
                )
            ).all()
        )
        kind_count = Counter(
            dict(
                (
                    await session.execute(
                        select(Transaction.kind, func.count()).group_by(Transaction.kind)
                    )
                ).all()
            )
        )

    invoiced = [o for o in order_rows if o.status in INVOICED_ORDER_STATUSES]
    for order in order_rows:
        assert order.paid_cents == live.get(order.id, 0)
        assert 0 <= order.paid_cents <= order.total_cents
        due = order.total_cents - order.paid_cents if order in invoiced else 0
        assert order.balance_due_cents == due
    for customer in customers:
        sales = sum(o.total_cents for o in invoiced if o.customer_id == customer.id)
        money = kinds[customer.id]
        paid = (
            money[TransactionKind.PAYMENT]
            + money[TransactionKind.CREDIT]
            - money[TransactionKind.REFUND]
        )
        assert customer.total_sales_cents == sales
        assert customer.total_paid_cents == paid
        assert customer.balance_cents == sales - paid + money[TransactionKind.ADJUSTMENT]
        # The balance identity: open orders + charges − credit on account.
        assert customer.unapplied_credit_cents == unallocated[customer.id] >= 0
        due = sum(o.balance_due_cents for o in invoiced if o.customer_id == customer.id)
        assert customer.balance_cents == due + charges[customer.id] - unallocated[customer.id]

    # Most invoiced orders are paid off; some in part; some still open.
    paid_off = sum(1 for o in invoiced if o.balance_due_cents == 0)
    partly = sum(1 for o in invoiced if 0 < o.paid_cents < o.total_cents)
    assert paid_off > len(invoiced) * 0.6
    assert partly > 0
    assert set(kind_count) == set(TransactionKind)

    aging = await api.ok(
        """{ agingReport { rows { customer { id balance { currentBalance } } total }
          totals { current days1To30 days31To60 days61To90 over90 unappliedCredit total } } }""",
        token=tenant.admin.token,
    )
    totals = aging["agingReport"]["totals"]
    # Some long overdue, and open balances spread over the buckets.
    assert totals["over90"] != "0.00"
    buckets = ("current", "days1To30", "days31To60", "days61To90", "over90")
    assert sum(totals[bucket] != "0.00" for bucket in buckets) >= 4, totals
    assert totals["unappliedCredit"] != "0.00"
    # It reconciles: every row's total is its customer's balance, the totals row's the sum
    # of every balance (customers without a row owe nothing).
    for row in aging["agingReport"]["rows"]:
        assert row["total"] == row["customer"]["balance"]["currentBalance"]
    balances = sum(customer.balance_cents for customer in customers)
    assert totals["total"] == str(Decimal(balances).scaleb(-2))
    listed = {row["customer"]["id"] for row in aging["agingReport"]["rows"]}
    assert all(c.balance_cents == 0 for c in customers if encode_id("Customer", c.id) not in listed)
