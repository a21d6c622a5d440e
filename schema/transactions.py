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
from resolvers import allocation, ledger, refunds
from resolvers.context import loaded, then
from resolvers.credit import available_credit_cents
from resolvers.loaders import load_customer, load_staff
from resolvers.money import cents_to_decimal
from resolvers.order_list import load_order
from resolvers.pagination import PageArgs
from schema.enums import PaymentMethod, TransactionKind
from schema.errors import UserError, mutate
from schema.lookahead import node_selects
from schema.relay import (
    NODE_BUILDERS,
    NODE_MODELS,
    After,
    Before,
    Connection,
    First,
    Last,
    model_type,
)
from schema.staff import Staff

if TYPE_CHECKING:
    from schema.customers import Customer
    from schema.orders import Order

CustomerRef = Annotated["Customer", strawberry.lazy("schema.customers")]
OrderRef = Annotated["Order", strawberry.lazy("schema.orders")]


@model_type(
    models.TransactionAllocation,
    description="The part of a credit (PAYMENT, CREDIT or negative ADJUSTMENT) applied to "
    "one order. Released when the order was cancelled: the money went back to the credit.",
)
class TransactionAllocation:
    released_at: datetime | None = strawberry.field(
        description="When the order's cancellation released it; null while it pays the order."
    )
    created_at: datetime = strawberry.field(description="When it was allocated.")

    @strawberry.field(description="How much of the credit pays the order.")
    def amount(root: strawberry.Parent[models.TransactionAllocation]) -> Decimal:
        return cents_to_decimal(root.amount_cents)

    @strawberry.field(description="The order it pays.")
    async def order(root: strawberry.Parent[models.TransactionAllocation], info: Info) -> OrderRef:
        return await info.context.loaders[load_order].load(root.order_id)


@model_type(
    models.RefundDraw,
    description="The part of a credit that a REFUND paid back (refunds draw from the "
    "customer's credits oldest first).",
)
class RefundDraw:
    created_at: datetime = strawberry.field(description="When the refund was recorded.")

    @strawberry.field(description="How much of the credit the refund paid back.")
    def amount(root: strawberry.Parent[models.RefundDraw]) -> Decimal:
        return cents_to_decimal(root.amount_cents)

    @strawberry.field(description="The REFUND.")
    async def refund(root: strawberry.Parent[models.RefundDraw], info: Info) -> Transaction:
        return await info.context.loaders[ledger.load_transaction].load(root.refund_id)

    @strawberry.field(description="The credit it drew from.")
    async def credit(root: strawberry.Parent[models.RefundDraw], info: Info) -> Transaction:
        return await info.context.loaders[ledger.load_transaction].load(root.credit_id)


@model_type(
    models.Transaction,
    description="A ledger entry. Never edited or deleted: a reversing ADJUSTMENT corrects it.",
)
class Transaction(relay.Node):
    id: relay.NodeID[int]
    kind: TransactionKind = strawberry.field(description="What it does to the balance.")
    method: PaymentMethod | None = strawberry.field(
        description="How the money moved; null for credits and adjustments."
    )
    reference: str | None = strawberry.field(description="E.g. a cheque number.")
    note: str | None = strawberry.field(description="Free text.")
    occurred_at: datetime = strawberry.field(description="When the money moved.")
    created_at: datetime = strawberry.field(description="When it was recorded.")

    @strawberry.field(
        description="Positive, except an ADJUSTMENT: positive raises the balance the "
        "customer owes, negative lowers it."
    )
    def amount(root: strawberry.Parent[models.Transaction]) -> Decimal:
        return cents_to_decimal(root.amount_cents)

    @strawberry.field(description="The customer whose ledger it is in.")
    async def customer(root: strawberry.Parent[models.Transaction], info: Info) -> CustomerRef:
        return await info.context.loaders[load_customer].load(root.customer_id)

    @strawberry.field(description="The staff member who recorded it.")
    async def recorded_by(root: strawberry.Parent[models.Transaction], info: Info) -> Staff | None:
        if root.recorded_by_id is None:
            return None
        return await info.context.loaders[load_staff].load(root.recorded_by_id)

    @strawberry.field(
        description="What is left of a credit (PAYMENT, CREDIT, negative ADJUSTMENT) after "
        "the orders it pays and the refunds drawn from it; transactionAllocate applies it. "
        "Null for a REFUND and a positive ADJUSTMENT."
    )
    def unallocated_amount(root: strawberry.Parent[models.Transaction]) -> Decimal | None:
        cents = root.unallocated_cents
        return None if cents is None else cents_to_decimal(cents)

    @strawberry.field(description="Orders this credit pays, released ones included.")
    async def allocations(
        root: strawberry.Parent[models.Transaction], info: Info
    ) -> list[TransactionAllocation]:
        return await info.context.loaders[ledger.load_allocations].load(root.id)

    @strawberry.field(
        description="For a REFUND, the credits it paid back; for a credit, the refunds that "
        "drew from it. Oldest first."
    )
    async def refund_draws(
        root: strawberry.Parent[models.Transaction], info: Info
    ) -> list[RefundDraw]:
        return await info.context.loaders[refunds.load_refund_draws].load(root.id)


@strawberry.type(
    description="What the customer owes. currentBalance = totalInvoiced − totalPaid ± "
    "adjustments (invoiced − payments − credits + refunds ± adjustments); negative means "
    "the customer has credit. Always currentBalance = Σ balanceDue of invoiced orders + "
    "Σ positive ADJUSTMENTs − unappliedCredit. Its id is derived from the customer's, so "
    "caches (Apollo, Relay) keep one balance per customer."
)
class CustomerBalance(relay.Node):
    # The customer's pk: the global id is "CustomerBalance:<pk>" (node(id:) resolves it).
    customer_id: relay.NodeID[int]
    total_invoiced: Decimal = strawberry.field(
        description="Sum of the customer's invoiced (submitted to delivered) orders."
    )
    total_paid: Decimal = strawberry.field(description="Payments + credits − refunds.")
    current_balance: Decimal = strawberry.field(
        description="What the customer owes now (negative: credit in the customer's favour)."
    )
    unapplied_credit: Decimal = strawberry.field(
        description="Credit on account: the unallocated remainder of the customer's credits "
        "(PAYMENT, CREDIT, negative ADJUSTMENT) after refunds. Never negative; "
        "transactionAllocate applies it to orders, a REFUND pays it back."
    )

    @strawberry.field(
        description="Balance due on invoiced orders whose due date has passed "
        "(today in the company's time zone)."
    )
    def overdue_amount(self, info: Info) -> Decimal:
        return then(
            loaded(info.context, ledger.load_overdue_cents, self.customer_id), cents_to_decimal
        )


# Resolvers of the Customer fields in its "Transactions and balance" section.


def customer_balance(root: models.Customer) -> CustomerBalance:
    return CustomerBalance(
        total_invoiced=cents_to_decimal(root.total_sales_cents),
        total_paid=cents_to_decimal(root.total_paid_cents),
        current_balance=cents_to_decimal(root.balance_cents),
        unapplied_credit=cents_to_decimal(root.unapplied_credit_cents),
        customer_id=root.id,
    )


# node(id: "CustomerBalance:…") reads the customer and answers its balance.
NODE_MODELS["CustomerBalance"] = models.Customer
NODE_BUILDERS["CustomerBalance"] = customer_balance


def customer_credit_limit(root: models.Customer) -> Decimal | None:
    cents = root.credit_limit_cents
    return None if cents is None else cents_to_decimal(cents)


def customer_available_credit(root: models.Customer) -> Decimal | None:
    cents = available_credit_cents(root)
    return None if cents is None else cents_to_decimal(cents)


async def customer_transactions(
    root: models.Customer,
    info: Info,
    first: First = None,
    after: After = None,
    last: Last = None,
    before: Before = None,
    kinds: Annotated[
        list[TransactionKind] | None,
        strawberry.argument(description="Only transactions of these kinds."),
    ] = None,
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
    customer_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Only transactions of these customers."
    )
    kinds: list[TransactionKind] | None = strawberry.field(
        default=None, description="Only transactions of these kinds."
    )
    occurred_from: date | None = strawberry.field(
        default=None,
        description="First day of occurredAt (inclusive, in the company's time zone).",
    )
    occurred_to: date | None = strawberry.field(
        default=None,
        description="Last day of occurredAt (inclusive, in the company's time zone).",
    )
    from_: date | None = strawberry.field(
        name="from",
        default=None,
        description="First day (inclusive, company time zone) of occurredAt.",
        deprecation_reason="Filters name a day range after its field: use occurredFrom.",
    )
    to: date | None = strawberry.field(
        default=None,
        description="Last day (inclusive, company time zone) of occurredAt.",
        deprecation_reason="Filters name a day range after its field: use occurredTo.",
    )


@strawberry.input(description="A part of a credit applied to one order.")
class TransactionAllocationInput:
    order_id: strawberry.ID = strawberry.field(
        description="An invoiced order of the same customer."
    )
    amount: Decimal = strawberry.field(
        description="Positive, at most the order's balance due; at most 2 decimals."
    )


ALLOCATION_RULES = (
    "invoiced orders of the same customer. Their sum may not exceed the credit (the rest "
    "stays as credit on account), nor an order's balance due (OVER_ALLOCATED); a partial "
    "allocation needs partial payments allowed (PARTIAL_PAYMENT_NOT_ALLOWED)."
)


@strawberry.input(description="A ledger entry to record. REFUND and ADJUSTMENT: ADMIN or MANAGER.")
class TransactionRecordInput:
    customer_id: strawberry.ID = strawberry.field(description="The customer it concerns.")
    kind: TransactionKind = strawberry.field(
        description="PAYMENT, CREDIT, REFUND (at most the customer's unappliedCredit: "
        "OVER_REFUND) or ADJUSTMENT (positive: a charge; negative: a write-off)."
    )
    amount: Decimal = strawberry.field(
        description="Positive; an ADJUSTMENT may be negative (never zero). At most 2 decimals."
    )
    method: PaymentMethod | None = strawberry.field(default=None, description="How it was paid.")
    reference: str | None = strawberry.field(default=None, description="Check number etc.")
    note: str | None = strawberry.field(default=None, description="Free text, for the ledger.")
    occurred_at: datetime | None = strawberry.field(
        default=None, description="When the money moved; defaults to now."
    )
    allocations: list[TransactionAllocationInput] | None = strawberry.field(
        default=None,
        description="A PAYMENT, CREDIT or negative ADJUSTMENT only: " + ALLOCATION_RULES,
    )
    idempotency_key: str | None = strawberry.field(
        default=None,
        description="At most 100 characters. The same key from the same staff member within "
        "24 hours answers the first result again and writes nothing; with other input it is "
        "IDEMPOTENCY_KEY_REUSED.",
    )


@strawberry.type(description="What transactionRecord did.")
class TransactionRecordPayload:
    transaction: Transaction | None = strawberry.field(
        default=None,
        description="The recorded transaction (with an idempotency key replayed: the first one).",
    )
    customer: CustomerRef | None = strawberry.field(
        default=None, description="Its customer, with the balance after it."
    )
    user_errors: list[UserError] = strawberry.field(description="Why nothing was written.")


@strawberry.input(description="More of an existing credit applied to orders.")
class TransactionAllocateInput:
    allocations: list[TransactionAllocationInput] = strawberry.field(
        description="At least one; "
        + ALLOCATION_RULES.replace(
            "the credit", "what is left of the credit (its unallocatedAmount)"
        )
    )


@strawberry.type(description="What transactionAllocate did.")
class TransactionAllocatePayload:
    transaction: Transaction | None = strawberry.field(
        default=None, description="The credit, with its unallocatedAmount after it."
    )
    customer: CustomerRef | None = strawberry.field(
        default=None, description="Its customer (unappliedCredit lower by the allocations)."
    )
    user_errors: list[UserError] = strawberry.field(description="Why nothing was written.")


@strawberry.type
class Query:
    @strawberry.field(description="The company's transactions, newest first.")
    async def transactions(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
        filter: Annotated[
            TransactionFilter | None, strawberry.argument(description="Which transactions.")
        ] = None,
    ) -> Connection[Transaction]:
        filter = filter or TransactionFilter()
        page = await ledger.transactions_page(
            info.context,
            PageArgs(first, after, last, before),
            customer_ids=filter.customer_ids,
            kinds=[enums.TransactionKind(k.value) for k in filter.kinds or []],
            # The newer names win where both are given.
            from_date=filter.occurred_from or filter.from_,
            to_date=filter.occurred_to or filter.to,
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
        self,
        info: Info,
        input: Annotated[TransactionRecordInput, strawberry.argument(description="What to write.")],
    ) -> TransactionRecordPayload:
        return await mutate(
            TransactionRecordPayload, lambda: ledger.record_transaction(info.context, input)
        )

    @strawberry.mutation(
        description="Applies what is left of a PAYMENT, CREDIT or negative ADJUSTMENT "
        "(its unallocatedAmount) to invoiced orders of its customer. All or nothing; audited."
    )
    async def transaction_allocate(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="The credit.")],
        input: Annotated[
            TransactionAllocateInput, strawberry.argument(description="What it pays.")
        ],
    ) -> TransactionAllocatePayload:
        return await mutate(
            TransactionAllocatePayload,
            lambda: allocation.transaction_allocate(info.context, id, input),
        )
