"""The ledger: transactions, their allocations to orders, and the customer's balance.

The arithmetic is defined once, in resolvers/ledger.py.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry import relay
from strawberry.types import Info

from db import enums, models
from resolvers import ledger
from resolvers.context import loaded, then
from resolvers.loaders import load_customer, load_staff
from resolvers.money import cents_to_decimal
from resolvers.pagination import PageArgs
from schema.enums import PaymentMethod, TransactionKind
from schema.errors import UserError, mutate
from schema.lookahead import node_selects
from schema.relay import Connection, model_type
from schema.staff import Staff

if TYPE_CHECKING:
    from schema.customers import Customer
    from schema.orders import Order

CustomerRef = Annotated["Customer", strawberry.lazy("schema.customers")]
OrderRef = Annotated["Order", strawberry.lazy("schema.orders")]


@model_type(
    models.TransactionAllocation,
    description="The part of a PAYMENT or CREDIT applied to one order. Released when the "
    "order was cancelled: the money went back to customer credit.",
)
class TransactionAllocation:
    released_at: datetime | None = strawberry.field(
        description="When the order's cancellation released it; null while it pays the order."
    )
    created_at: datetime

    @strawberry.field
    def amount(self) -> Decimal:
        return cents_to_decimal(self.amount_cents)

    @strawberry.field
    async def order(self, info: Info) -> OrderRef:
        return await info.context.loaders[ledger.load_order].load(self.order_id)


@model_type(
    models.Transaction,
    description="A ledger entry. Never edited or deleted: a reversing ADJUSTMENT corrects it.",
)
class Transaction(relay.Node):
    id: relay.NodeID[int]
    kind: TransactionKind
    method: PaymentMethod | None
    reference: str | None
    note: str | None
    occurred_at: datetime = strawberry.field(description="When the money moved.")
    created_at: datetime = strawberry.field(description="When it was recorded.")

    @strawberry.field(
        description="Positive, except an ADJUSTMENT: positive raises the balance the "
        "customer owes, negative lowers it."
    )
    def amount(self) -> Decimal:
        return cents_to_decimal(self.amount_cents)

    @strawberry.field
    async def customer(self, info: Info) -> CustomerRef:
        return await info.context.loaders[load_customer].load(self.customer_id)

    @strawberry.field(description="The staff member who recorded it.")
    async def recorded_by(self, info: Info) -> Staff | None:
        if self.recorded_by_id is None:
            return None
        return await info.context.loaders[load_staff].load(self.recorded_by_id)

    @strawberry.field(description="Orders this PAYMENT or CREDIT pays, released ones included.")
    async def allocations(self, info: Info) -> list[TransactionAllocation]:
        return await info.context.loaders[ledger.load_allocations].load(self.id)


@strawberry.type(
    description="What the customer owes. currentBalance = totalInvoiced − totalPaid ± "
    "adjustments (invoiced − payments − credits + refunds ± adjustments); negative means "
    "the customer has credit."
)
class CustomerBalance:
    total_invoiced: Decimal = strawberry.field(
        description="Sum of the customer's invoiced (submitted to delivered) orders."
    )
    total_paid: Decimal = strawberry.field(description="Payments + credits − refunds.")
    current_balance: Decimal
    _customer_id: strawberry.Private[int]

    @strawberry.field(
        description="Balance due on invoiced orders whose due date has passed "
        "(today in the company's time zone)."
    )
    def overdue_amount(self, info: Info) -> Decimal:
        return then(
            loaded(info.context, ledger.load_overdue_cents, self._customer_id), cents_to_decimal
        )


# Resolvers of the Customer fields in its "Transactions and balance" section.


def customer_balance(root: models.Customer) -> CustomerBalance:
    return CustomerBalance(
        total_invoiced=cents_to_decimal(root.total_sales_cents),
        total_paid=cents_to_decimal(root.total_paid_cents),
        current_balance=cents_to_decimal(root.balance_cents),
        _customer_id=root.id,
    )


async def customer_transactions(
    root: models.Customer,
    info: Info,
    first: int | None = None,
    after: str | None = None,
    last: int | None = None,
    before: str | None = None,
    kinds: list[TransactionKind] | None = None,
) -> Connection[Transaction]:
    page = await ledger.customer_transactions_page(
        info.context,
        root.id,
        PageArgs(first, after, last, before),
        [enums.TransactionKind(k.value) for k in kinds] if kinds else None,
        with_allocations=node_selects(info, "allocations"),
    )
    return Connection.from_page(page)


@strawberry.input(description="Company-wide transactions; from/to are days in the company's zone.")
class TransactionFilter:
    customer_ids: list[strawberry.ID] | None = None
    kinds: list[TransactionKind] | None = None
    from_: date | None = strawberry.field(name="from", default=None)
    to: date | None = None


@strawberry.input
class TransactionAllocationInput:
    order_id: strawberry.ID
    amount: Decimal


@strawberry.input
class TransactionRecordInput:
    customer_id: strawberry.ID
    kind: TransactionKind
    amount: Decimal = strawberry.field(
        description="Positive; an ADJUSTMENT may be negative (never zero). At most 2 decimals."
    )
    method: PaymentMethod | None = None
    reference: str | None = strawberry.field(default=None, description="Check number etc.")
    note: str | None = None
    occurred_at: datetime | None = strawberry.field(
        default=None, description="When the money moved; defaults to now."
    )
    allocations: list[TransactionAllocationInput] | None = strawberry.field(
        default=None,
        description="PAYMENT and CREDIT only: invoiced orders of the same customer it pays. "
        "Their sum may not exceed the amount (the rest stays as customer credit), nor an "
        "order's balance due; a partial allocation needs partial payments allowed.",
    )


@strawberry.type
class TransactionRecordPayload:
    transaction: Transaction | None = None
    customer: CustomerRef | None = None
    user_errors: list[UserError]


@strawberry.type
class Query:
    @strawberry.field(description="The company's transactions, newest first.")
    async def transactions(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
        filter: TransactionFilter | None = None,
    ) -> Connection[Transaction]:
        filter = filter or TransactionFilter()
        page = await ledger.transactions_page(
            info.context,
            PageArgs(first, after, last, before),
            customer_ids=filter.customer_ids,
            kinds=[enums.TransactionKind(k.value) for k in filter.kinds or []],
            from_date=filter.from_,
            to_date=filter.to,
            with_allocations=node_selects(info, "allocations"),
        )
        return Connection.from_page(page)


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description="Records a PAYMENT, REFUND, CREDIT or ADJUSTMENT, with optional "
        "allocations to orders. All or nothing; audited."
    )
    async def transaction_record(
        self, info: Info, input: TransactionRecordInput
    ) -> TransactionRecordPayload:
        return await mutate(
            TransactionRecordPayload, lambda: ledger.record_transaction(info.context, input)
        )
