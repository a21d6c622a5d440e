"""Property test: random histories of orders and money keep the ledger reconciled.

Each example gives a fresh customer a random sequence of order creation, invoicing,
cancellation, payments and credits (with random allocations), refunds and adjustments,
all recorded through GraphQL, then recomputes everything from the rows and compares
it with the denormalised figures. A small model predicts which transactions must be
accepted, so a refusal or an acceptance the rules don't call for fails the test too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from db.enums import INVOICED_ORDER_STATUSES, OrderStatus, TransactionKind
from db.models import Customer, Order, Transaction, TransactionAllocation
from db.session import Scope
from tests.ledger_factory import cancel_order, invoice_order, make_customer, make_order, pk
from tests.test_ledger import RECORD, balance

cents = st.integers(min_value=1, max_value=20_000)
order_ops = st.tuples(st.just("order"), cents, st.booleans())
invoice_ops = st.tuples(st.just("invoice"), st.integers(0, 7))
cancel_ops = st.tuples(st.just("cancel"), st.integers(0, 7))
# A share of 0 stands for "the order's whole balance due", so full payments are common.
allocation = st.tuples(st.integers(0, 7), st.one_of(st.just(0), st.integers(1, 20_000)))
paying_ops = st.tuples(
    st.sampled_from(["PAYMENT", "CREDIT"]),
    cents,
    st.lists(allocation, max_size=3, unique_by=lambda a: a[0]),
)
other_ops = st.tuples(
    st.sampled_from(["REFUND", "ADJUSTMENT"]),
    st.integers(-20_000, 20_000).filter(bool),
)
operations = st.lists(
    st.one_of(order_ops, order_ops, invoice_ops, cancel_ops, paying_ops, paying_ops, other_ops),
    min_size=1,
    max_size=10,
)


@dataclass
class ModelOrder:
    gid: str
    total: int
    status: OrderStatus
    paid: int = 0

    @property
    def invoiced(self) -> bool:
        return self.status in INVOICED_ORDER_STATUSES

    @property
    def due(self) -> int:
        return self.total - self.paid if self.invoiced else 0


@dataclass
class Model:
    partial_ok: bool
    orders: list[ModelOrder] = field(default_factory=list)

    def accepts(self, amount: int, allocations: list[tuple[ModelOrder, int]]) -> bool:
        if allocations and sum(share for _, share in allocations) > amount:
            return False
        for order, share in allocations:
            if not order.invoiced or share > order.due:
                return False
            if share < order.due and not self.partial_ok:
                return False
        return True


def money(value: int) -> str:
    return str(Decimal(value).scaleb(-2).quantize(Decimal("0.01")))


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(history=operations, partial_ok=st.booleans())
async def test_random_histories_keep_the_ledger_reconciled(
    api, tenant, database, history, partial_ok
):
    token = tenant.manager.token
    customer = await make_customer(api, tenant, "Property Co", allowPartialPayments=partial_ok)
    model = Model(partial_ok=partial_ok)
    for operation in history:
        kind = operation[0]
        if kind == "order":
            _, total, invoiced = operation
            status = OrderStatus.SUBMITTED if invoiced else OrderStatus.DRAFT
            gid = await make_order(database, tenant, customer, total, status=status)
            model.orders.append(ModelOrder(gid, total, status))
        elif kind in ("invoice", "cancel"):
            if not model.orders:
                continue
            order = model.orders[operation[1] % len(model.orders)]
            if kind == "invoice" and order.status == OrderStatus.DRAFT:
                await invoice_order(database, tenant, order.gid)
                order.status = OrderStatus.SUBMITTED
            elif kind == "cancel" and order.status != OrderStatus.CANCELLED:
                await cancel_order(database, tenant, order.gid)
                order.status, order.paid = OrderStatus.CANCELLED, 0
        else:
            amount = operation[1] if kind != "REFUND" else abs(operation[1])
            wanted = operation[2] if len(operation) > 2 else []
            shares = []
            for index, share in wanted if model.orders else []:
                order = model.orders[index % len(model.orders)]
                shares.append((order, share or order.due))
            # Distinct orders only (the same order twice is another refusal), shares > 0.
            shares = list({id(o): (o, share) for o, share in shares if share}.values())
            result = (
                await api.ok(
                    RECORD,
                    {
                        "input": {
                            "customerId": customer,
                            "kind": kind,
                            "amount": money(amount),
                            "allocations": [
                                {"orderId": order.gid, "amount": money(share)}
                                for order, share in shares
                            ],
                        }
                    },
                    token=token,
                )
            )["transactionRecord"]
            expected = model.accepts(amount, shares)
            assert (result["userErrors"] == []) is expected, (operation, result["userErrors"])
            if expected:
                for order, share in shares:
                    order.paid += share
    await assert_reconciled(api, token, database, tenant, customer, model)


async def assert_reconciled(api, token, database, tenant, customer_gid, model) -> None:
    customer_id = pk(customer_gid)
    session = database.session(Scope(tenant.company_id))
    try:
        row = await session.get(Customer, customer_id)
        invoiced = await session.scalar(
            select(func.coalesce(func.sum(Order.total_cents), 0)).where(
                Order.customer_id == customer_id, Order.status.in_(INVOICED_ORDER_STATUSES)
            )
        )
        by_kind = dict(
            (
                await session.execute(
                    select(Transaction.kind, func.sum(Transaction.amount_cents))
                    .where(Transaction.customer_id == customer_id)
                    .group_by(Transaction.kind)
                )
            ).all()
        )
        orders = list(
            (await session.execute(select(Order).where(Order.customer_id == customer_id)))
            .scalars()
            .all()
        )
        live = TransactionAllocation.released_at.is_(None)
        per_order = dict(
            (
                await session.execute(
                    select(
                        TransactionAllocation.order_id, func.sum(TransactionAllocation.amount_cents)
                    )
                    .where(live)
                    .where(TransactionAllocation.order_id.in_([o.id for o in orders] or [0]))
                    .group_by(TransactionAllocation.order_id)
                )
            ).all()
        )
        per_transaction = (
            await session.execute(
                select(Transaction.amount_cents, func.sum(TransactionAllocation.amount_cents))
                .join(TransactionAllocation, TransactionAllocation.transaction_id == Transaction.id)
                .where(Transaction.customer_id == customer_id, live)
                .group_by(Transaction.id, Transaction.amount_cents)
            )
        ).all()
    finally:
        await session.close()

    def total(kind: TransactionKind) -> int:
        return int(by_kind.get(kind, 0))

    payments, credits = total(TransactionKind.PAYMENT), total(TransactionKind.CREDIT)
    refunds, adjustments = total(TransactionKind.REFUND), total(TransactionKind.ADJUSTMENT)
    assert row.total_sales_cents == invoiced
    assert row.total_paid_cents == payments + credits - refunds
    assert row.balance_cents == invoiced - payments - credits + refunds + adjustments
    assert await balance(api, token, customer_gid) == {
        "totalInvoiced": money(invoiced),
        "totalPaid": money(payments + credits - refunds),
        "currentBalance": money(invoiced - payments - credits + refunds + adjustments),
        "overdueAmount": "0.00",
    }
    expected = {pk(o.gid): o for o in model.orders}
    for order in orders:
        paid = int(per_order.get(order.id, 0))
        assert order.paid_cents == paid == expected[order.id].paid
        assert 0 <= order.paid_cents <= order.total_cents
        assert order.balance_due_cents >= 0
        invoiced_order = order.status in INVOICED_ORDER_STATUSES
        assert order.balance_due_cents == (order.total_cents - paid if invoiced_order else 0)
    for amount, allocated in per_transaction:
        assert allocated <= amount
