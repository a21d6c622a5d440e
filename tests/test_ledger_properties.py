"""Property test: random histories of every money operation keep the ledger reconciled.

Each example gives a fresh customer a random sequence of: orders created (draft or
invoiced), invoiced and cancelled; payments and credits with and without allocations;
transactionAllocate of what is left of a credit; write-offs (negative adjustments,
with allocations) and charges (positive adjustments); refunds within and beyond the
customer's credit; and batches of those run concurrently. A model predicts which
sequential operations must be accepted and what every figure must be, so a refusal or
an acceptance the rules don't call for fails the test too.

After EVERY step, from the API: the balance identity (currentBalance = Σ balanceDue of
invoiced orders + Σ positive ADJUSTMENTs − unappliedCredit), the customer's aging row
total = its balance, every unallocatedAmount ≥ 0, Σ live allocations of an order ≤ its
total (and = its amountPaid), and the statement's closing balance = the balance. After a
concurrent batch the model is read back from the API, once the batch is shown to have
moved the balance by exactly what was accepted. At the end, every denormalised column
is recomputed from the rows.
"""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass, field
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from db.enums import INVOICED_ORDER_STATUSES, OrderStatus, TransactionKind
from db.models import Customer, Order, RefundDraw, Transaction, TransactionAllocation
from db.session import Scope
from tests.ledger_factory import cancel_order, invoice_order, make_customer, make_order, pk
from tests.test_ledger import RECORD
from tests.test_receivables import ALLOCATE

cents = st.integers(min_value=1, max_value=20_000)
# A share of 0 stands for "the order's whole balance due", so full payments are common.
allocation = st.tuples(st.integers(0, 7), st.one_of(st.just(0), st.integers(1, 20_000)))
allocations = st.lists(allocation, max_size=3, unique_by=lambda a: a[0])
order_ops = st.tuples(st.just("order"), cents, st.booleans())
invoice_ops = st.tuples(st.just("invoice"), st.integers(0, 7))
cancel_ops = st.tuples(st.just("cancel"), st.integers(0, 7))
# `covers` (mostly): the amount is what the allocations ask plus `cents` % 10.00 left on
# account; otherwise `cents` itself, often less than they ask (OVER_ALLOCATED).
paying_ops = st.tuples(
    st.sampled_from(["PAYMENT", "CREDIT", "WRITE_OFF"]),
    cents,
    allocations,
    st.sampled_from([True, True, True, False]),
)
allocate_ops = st.tuples(st.just("allocate"), st.integers(0, 7), allocations)
# "within": a share of the credit on account (0: all of it); "beyond": more than it.
refund_ops = st.tuples(st.just("REFUND"), st.sampled_from(["within", "beyond"]), cents)
charge_ops = st.tuples(st.just("CHARGE"), cents)
money_ops = st.one_of(paying_ops, allocate_ops, refund_ops)
concurrent_ops = st.tuples(st.just("concurrent"), st.lists(money_ops, min_size=2, max_size=5))
# Weighted by repetition: money operations most, then orders and cancellations.
operations = st.lists(
    st.one_of(
        order_ops,
        order_ops,
        invoice_ops,
        cancel_ops,
        cancel_ops,
        paying_ops,
        paying_ops,
        paying_ops,
        paying_ops,
        allocate_ops,
        allocate_ops,
        refund_ops,
        refund_ops,
        charge_ops,
        concurrent_ops,
    ),
    min_size=5,
    max_size=14,
)


SNAPSHOT = """query($id: ID!) {
  customer(id: $id) {
    balance { totalInvoiced totalPaid currentBalance unappliedCredit }
    orders(first: 250) { nodes { id total status amountPaid balanceDue } }
    transactions(first: 250) { nodes { id kind amount unallocatedAmount
      allocations { order { id } amount releasedAt } } } }
  agingReport { rows { customer { id } current days1To30 days31To60 days61To90 over90
    unappliedCredit total } }
  customerStatement(customerId: $id) { openingBalance closingBalance lines { amount } } }"""


def money(value: int) -> str:
    return str(Decimal(value).scaleb(-2).quantize(Decimal("0.01")))


def to_cents(value: str) -> int:
    return int(Decimal(value) * 100)


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
class ModelCredit:
    gid: str
    amount: int
    unallocated: int
    # [order gid, cents, live]
    allocations: list[list] = field(default_factory=list)


@dataclass
class Model:
    partial_ok: bool
    orders: list[ModelOrder] = field(default_factory=list)
    credits: list[ModelCredit] = field(default_factory=list)
    balance: int = 0
    charges: int = 0

    @property
    def unapplied(self) -> int:
        return sum(credit.unallocated for credit in self.credits)

    def order(self, gid: str) -> ModelOrder:
        return next(o for o in self.orders if o.gid == gid)

    def shares_ok(self, available: int, shares: list[tuple[ModelOrder, int]]) -> bool:
        if sum(share for _, share in shares) > available:
            return False
        for order, share in shares:
            if not order.invoiced or share > order.due:
                return False
            if share < order.due and not self.partial_ok:
                return False
        return True

    def apply_shares(self, credit: ModelCredit, shares: list[tuple[ModelOrder, int]]) -> None:
        for order, share in shares:
            order.paid += share
            credit.unallocated -= share
            credit.allocations.append([order.gid, share, True])

    def cancel(self, order: ModelOrder) -> None:
        if order.invoiced:
            self.balance -= order.total
        for credit in self.credits:
            for entry in credit.allocations:
                if entry[0] == order.gid and entry[2]:
                    credit.unallocated += entry[1]
                    entry[2] = False
        order.status, order.paid = OrderStatus.CANCELLED, 0

    def refund(self, amount: int) -> None:
        """Draws oldest credit first."""
        self.balance += amount
        for credit in self.credits:
            take = min(credit.unallocated, amount)
            credit.unallocated -= take
            amount -= take


def pick_shares(model: Model, wanted: list[tuple[int, int]]) -> list[tuple[ModelOrder, int]]:
    shares = []
    for index, share in wanted if model.orders else []:
        order = model.orders[index % len(model.orders)]
        shares.append((order, share or order.due))
    # Distinct orders only (the same order twice is another refusal), shares > 0.
    return list({id(o): (o, share) for o, share in shares if share}.values())


class Runner:
    """Sends each operation through GraphQL; predicts (sequential) or records the outcome."""

    def __init__(self, api, tenant, customer: str, model: Model) -> None:
        self.api, self.tenant, self.customer, self.model = api, tenant, customer, model
        self.token = tenant.manager.token

    async def record(self, kind: str, amount: int, shares) -> dict:
        input = {
            "customerId": self.customer,
            "kind": kind,
            "amount": money(amount),
            "allocations": [{"orderId": o.gid, "amount": money(s)} for o, s in shares],
        }
        data = await self.api.ok(RECORD, {"input": input}, token=self.token)
        return data["transactionRecord"]

    async def money_operation(self, operation: tuple, predict: bool) -> tuple[int, bool]:
        """Runs one money operation; (its move of the balance if accepted, accepted)."""
        model, kind = self.model, operation[0]
        if kind in ("PAYMENT", "CREDIT", "WRITE_OFF"):
            _, amount, wanted, covers = operation
            shares = pick_shares(model, wanted)
            if covers:
                amount = sum(share for _, share in shares) + amount % 1000 or amount
            expected = model.shares_ok(amount, shares)
            signed = -amount if kind == "WRITE_OFF" else amount
            result = await self.record(
                "ADJUSTMENT" if kind == "WRITE_OFF" else kind, signed, shares
            )
            accepted = result["userErrors"] == []
            if predict:
                assert accepted is expected, (operation, result["userErrors"])
                if accepted:
                    credit = ModelCredit(result["transaction"]["id"], amount, amount)
                    model.credits.append(credit)
                    model.apply_shares(credit, shares)
                    model.balance -= amount
            return (-amount if accepted else 0), accepted
        if kind == "allocate":
            _, index, wanted = operation
            if not model.credits:
                return 0, False
            credit = model.credits[index % len(model.credits)]
            shares = pick_shares(model, wanted)
            expected = bool(shares) and model.shares_ok(credit.unallocated, shares)
            variables = {
                "id": credit.gid,
                "input": {
                    "allocations": [{"orderId": o.gid, "amount": money(s)} for o, s in shares]
                },
            }
            result = (await self.api.ok(ALLOCATE, variables, token=self.token))[
                "transactionAllocate"
            ]
            accepted = result["userErrors"] == []
            if predict:
                assert accepted is expected, (operation, result["userErrors"])
                if accepted:
                    model.apply_shares(credit, shares)
            return 0, accepted
        # REFUND
        _, bound, amount = operation
        available = model.unapplied
        if bound == "within":
            amount = min(amount, available) or available
        else:
            amount = available + amount
        if amount <= 0:
            return 0, False
        result = await self.record("REFUND", amount, [])
        accepted = result["userErrors"] == []
        if predict:
            assert accepted is (amount <= available), (operation, result["userErrors"])
            if not accepted:
                assert [e["code"] for e in result["userErrors"]] == ["OVER_REFUND"]
            else:
                model.refund(amount)
        return (amount if accepted else 0), accepted

    async def step(self, operation: tuple) -> None:
        model, kind = self.model, operation[0]
        if kind == "order":
            _, total, invoiced = operation
            status = OrderStatus.SUBMITTED if invoiced else OrderStatus.DRAFT
            gid = await make_order(self.api, self.tenant, self.customer, total, status=status)
            model.orders.append(ModelOrder(gid, total, status))
            model.balance += total if invoiced else 0
        elif kind in ("invoice", "cancel"):
            if not model.orders:
                return
            order = model.orders[operation[1] % len(model.orders)]
            if kind == "invoice" and order.status == OrderStatus.DRAFT:
                await invoice_order(self.api, self.tenant, order.gid)
                order.status = OrderStatus.SUBMITTED
                model.balance += order.total
            elif kind == "cancel" and order.status != OrderStatus.CANCELLED:
                await cancel_order(self.api, self.tenant, order.gid)
                model.cancel(order)
        elif kind == "CHARGE":
            result = await self.record("ADJUSTMENT", operation[1], [])
            assert result["userErrors"] == []
            model.balance += operation[1]
            model.charges += operation[1]
        elif kind == "concurrent":
            before = model.balance
            outcomes = await asyncio.gather(
                *(self.money_operation(op, predict=False) for op in operation[1])
            )
            snapshot = await check_invariants(self.api, self.token, self.customer)
            # Nothing lost, nothing counted twice: the balance moved by what was accepted.
            assert snapshot.balance == before + sum(move for move, _ in outcomes)
            self.model = snapshot.as_model(model.partial_ok, model.charges)
            return
        else:
            await self.money_operation(operation, predict=True)
        snapshot = await check_invariants(self.api, self.token, self.customer)
        snapshot.matches(model)


@dataclass
class Snapshot:
    balance: int
    unapplied: int
    orders: dict[str, tuple[int, OrderStatus, int, int]]
    credits: list[tuple[str, int, int, list[list]]]

    def matches(self, model: Model) -> None:
        assert self.balance == model.balance
        assert self.unapplied == model.unapplied
        assert self.orders == {o.gid: (o.total, o.status, o.paid, o.due) for o in model.orders}
        assert self.credits == [
            (c.gid, c.amount, c.unallocated, [list(a) for a in c.allocations])
            for c in model.credits
        ]

    def as_model(self, partial_ok: bool, charges: int) -> Model:
        orders = [
            ModelOrder(gid, total, status, paid)
            for gid, (total, status, paid, _) in self.orders.items()
        ]
        credits = [
            ModelCredit(gid, amount, left, allocs) for gid, amount, left, allocs in self.credits
        ]
        return Model(partial_ok, orders, credits, self.balance, charges)


async def check_invariants(api, token, customer: str) -> Snapshot:
    """The five invariants of the module docstring, read through the API."""
    data = await api.ok(SNAPSHOT, {"id": customer}, token=token)
    balance = data["customer"]["balance"]
    current, unapplied = to_cents(balance["currentBalance"]), to_cents(balance["unappliedCredit"])
    orders = data["customer"]["orders"]["nodes"]
    transactions = sorted(data["customer"]["transactions"]["nodes"], key=lambda t: pk(t["id"]))
    # 1. The balance identity.
    invoiced_due = sum(
        to_cents(o["balanceDue"])
        for o in orders
        if OrderStatus(o["status"]) in INVOICED_ORDER_STATUSES
    )
    charges = sum(
        to_cents(t["amount"])
        for t in transactions
        if t["kind"] == "ADJUSTMENT" and to_cents(t["amount"]) > 0
    )
    assert unapplied >= 0
    assert current == invoiced_due + charges - unapplied
    # 2. The customer's aging row is its balance (no row: nothing open, no credit).
    rows = [r for r in data["agingReport"]["rows"] if r["customer"]["id"] == customer]
    if rows:
        (row,) = rows
        assert to_cents(row["total"]) == current
        assert to_cents(row["unappliedCredit"]) == unapplied
        buckets = ("current", "days1To30", "days31To60", "days61To90", "over90")
        assert sum(to_cents(row[b]) for b in buckets) == invoiced_due + charges
    else:
        assert current == unapplied == invoiced_due + charges == 0
    # 3. What is left of a credit is never negative; the credits hold the unapplied credit.
    credits = [t for t in transactions if t["unallocatedAmount"] is not None]
    assert all(to_cents(t["unallocatedAmount"]) >= 0 for t in credits)
    assert sum(to_cents(t["unallocatedAmount"]) for t in credits) == unapplied
    # 4. Live allocations of an order: at most its total, exactly its amountPaid.
    live: dict[str, int] = {}
    for t in transactions:
        for a in t["allocations"]:
            if a["releasedAt"] is None:
                live[a["order"]["id"]] = live.get(a["order"]["id"], 0) + to_cents(a["amount"])
    for o in orders:
        assert live.get(o["id"], 0) == to_cents(o["amountPaid"]) <= to_cents(o["total"])
    # 5. The statement to today closes at the balance.
    statement = data["customerStatement"]
    assert to_cents(statement["closingBalance"]) == current
    assert (
        to_cents(statement["openingBalance"])
        + sum(to_cents(line["amount"]) for line in statement["lines"])
        == current
    )
    return Snapshot(
        balance=current,
        unapplied=unapplied,
        orders={
            o["id"]: (
                to_cents(o["total"]),
                OrderStatus(o["status"]),
                to_cents(o["amountPaid"]),
                to_cents(o["balanceDue"]),
            )
            for o in orders
        },
        credits=[
            (
                t["id"],
                abs(to_cents(t["amount"])),
                to_cents(t["unallocatedAmount"]),
                [
                    [a["order"]["id"], to_cents(a["amount"]), a["releasedAt"] is None]
                    for a in t["allocations"]
                ],
            )
            for t in credits
        ],
    )


@settings(
    # ROLODEX_LEDGER_EXAMPLES=500 for a long run.
    max_examples=int(os.environ.get("ROLODEX_LEDGER_EXAMPLES", "20")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    opening=st.lists(order_ops, min_size=1, max_size=4),
    history=operations,
    partial_ok=st.booleans(),
)
async def test_random_histories_keep_the_ledger_reconciled(
    api, tenant, database, opening, history, partial_ok
):
    customer = await make_customer(api, tenant, "Property Co", allowPartialPayments=partial_ok)
    runner = Runner(api, tenant, customer, Model(partial_ok=partial_ok))
    # A few orders first, so that most money operations have something to pay.
    for operation in [*opening, *history]:
        await runner.step(operation)
    await assert_reconciled(database, tenant.company_id, pk(customer))


async def assert_reconciled(database, company_id: int, customer_id: int) -> None:
    """Every denormalised figure of a customer equals what the rows say."""
    session = database.session(Scope(company_id))
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
        transactions = list(
            (
                await session.execute(
                    select(Transaction).where(Transaction.customer_id == customer_id)
                )
            )
            .scalars()
            .all()
        )
        ids = [t.id for t in transactions] or [0]
        allocated = dict(
            (
                await session.execute(
                    select(
                        TransactionAllocation.transaction_id,
                        func.sum(TransactionAllocation.amount_cents),
                    )
                    .where(TransactionAllocation.transaction_id.in_(ids))
                    .where(TransactionAllocation.released_at.is_(None))
                    .group_by(TransactionAllocation.transaction_id)
                )
            ).all()
        )
        drawn = dict(
            (
                await session.execute(
                    select(RefundDraw.credit_id, func.sum(RefundDraw.amount_cents))
                    .where(RefundDraw.credit_id.in_(ids))
                    .group_by(RefundDraw.credit_id)
                )
            ).all()
        )
        refunded = dict(
            (
                await session.execute(
                    select(RefundDraw.refund_id, func.sum(RefundDraw.amount_cents))
                    .where(RefundDraw.refund_id.in_(ids))
                    .group_by(RefundDraw.refund_id)
                )
            ).all()
        )
    finally:
        await session.close()

    def total(kind: TransactionKind) -> int:
        return int(by_kind.get(kind, 0))

    payments, credits = total(TransactionKind.PAYMENT), total(TransactionKind.CREDIT)
    refunds, adjustments = total(TransactionKind.REFUND), total(TransactionKind.ADJUSTMENT)
    assert row.total_sales_cents == invoiced
    assert row.total_paid_cents == payments + credits - refunds
    assert row.balance_cents == invoiced - payments - credits + refunds + adjustments
    left = 0
    for t in transactions:
        if t.kind == TransactionKind.REFUND:
            assert refunded.get(t.id, 0) == t.amount_cents  # every refund fully drawn
            assert t.unallocated_cents is None
        elif t.kind == TransactionKind.ADJUSTMENT and t.amount_cents > 0:
            assert t.unallocated_cents is None
        else:
            expected = abs(t.amount_cents) - allocated.get(t.id, 0) - drawn.get(t.id, 0)
            assert t.unallocated_cents == expected >= 0
            left += expected
    assert row.unapplied_credit_cents == left
    # The balance identity, from the rows.
    due = await _open_due(database, company_id, customer_id)
    charges = sum(
        t.amount_cents
        for t in transactions
        if t.kind == TransactionKind.ADJUSTMENT and t.amount_cents > 0
    )
    assert row.balance_cents == due + charges - left


async def _open_due(database, company_id: int, customer_id: int) -> int:
    session = database.session(Scope(company_id))
    try:
        return int(
            await session.scalar(
                select(func.coalesce(func.sum(Order.balance_due_cents), 0)).where(
                    Order.customer_id == customer_id, Order.status.in_(INVOICED_ORDER_STATUSES)
                )
            )
        )
    finally:
        await session.close()
