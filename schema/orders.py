"""Orders: the order, its lines, the status lifecycle and the order history."""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry import relay
from strawberry.types import Info

from db import enums, models
from resolvers import order_create, order_list
from resolvers import orders as resolvers
from resolvers.days import day_bounds, narrowest
from resolvers.loaders import load_customer, load_staff
from resolvers.locations import load_location
from resolvers.money import bp_to_percent, cents_to_decimal
from resolvers.pagination import PageArgs
from resolvers.products import load_product
from schema.customers import Customer
from schema.enums import OrderStatus, SortDirection
from schema.errors import USER_ERRORS, UserError, mutate
from schema.lookahead import node_selects
from schema.products import Product
from schema.relay import After, Before, Connection, First, Last, model_type
from schema.staff import Staff

if TYPE_CHECKING:
    from schema.locations import Location

MONEY_RULE = (
    "The discount: subtotal × discountPercent / 100, "
    "rounded half-up to the cent once, on the subtotal (not per line); "
    "total = subtotal − discountAmount."
)


@model_type(models.OrderLine, description="One product on an order, priced when ordered.")
class OrderLine:
    sku: str = strawberry.field(description="The product's SKU when ordered.")
    description: str = strawberry.field(description="What was sold, as printed on the invoice.")
    quantity: int = strawberry.field(description="How many.")

    @strawberry.field(description="The product; null if it was deleted.")
    async def product(root: strawberry.Parent[models.OrderLine], info: Info) -> Product | None:
        if root.product_id is None:
            return None
        return await info.context.loaders[load_product].load(root.product_id)

    @strawberry.field(description='Price of one, e.g. "12.50".')
    def unit_price(root: strawberry.Parent[models.OrderLine]) -> Decimal:
        return cents_to_decimal(root.unit_price_cents)

    @strawberry.field(description="The quantity times unitPrice.")
    def line_total(root: strawberry.Parent[models.OrderLine]) -> Decimal:
        return cents_to_decimal(root.line_total_cents)


@model_type(models.Order, description=f"A customer's order. Money: {MONEY_RULE}")
class Order(relay.Node):
    id: relay.NodeID[int]
    number: int = strawberry.field(description="Per-company sequence, unique.")
    po_number: str | None = strawberry.field(description="The customer's purchase order number.")
    status: OrderStatus = strawberry.field(description="Where the order is in its life cycle.")
    requires_prepayment: bool = strawberry.field(
        description="PREPAY_ONLY customer: can't be CONFIRMED until balanceDue is 0."
    )
    placed_at: datetime = strawberry.field(
        description="When the order was placed (defaults to creation; set to import history). "
        "Stats, engagement, the placedFrom/placedTo filter and CREATED_AT sort use it."
    )
    due_date: date | None = strawberry.field(
        description="Basis date + payment terms days. Basis: ORDER_DATE = placedAt, "
        "INVOICE_DATE = submittedAt, DELIVERY_DATE = deliveredAt (null until then); "
        "dates in the company's time zone."
    )
    submitted_at: datetime | None = strawberry.field(
        description="When it was invoiced; placedAt for orders created as SUBMITTED."
    )
    confirmed_at: datetime | None = strawberry.field(
        description="When it was confirmed; null before."
    )
    shipped_at: datetime | None = strawberry.field(description="When it shipped; null before.")
    delivered_at: datetime | None = strawberry.field(
        description="When it was delivered; null before."
    )
    cancelled_at: datetime | None = strawberry.field(
        description="When it was cancelled; null unless cancelled."
    )
    created_at: datetime = strawberry.field(
        description="When the row was written (placedAt may be earlier for imported history)."
    )
    updated_at: datetime = strawberry.field(description="When the order was last changed.")
    version: int = strawberry.field(
        description=(
            "Grows by one with every change; pass it as `expectedVersion` to refuse lost updates."
        )
    )

    @strawberry.field(description="The customer who ordered.")
    async def customer(root: strawberry.Parent[models.Order], info: Info) -> Customer:
        return await info.context.loaders[load_customer].load(root.customer_id)

    @strawberry.field(description="The customer's location it is for; null for none.")
    async def location(
        root: strawberry.Parent[models.Order], info: Info
    ) -> Annotated[Location, strawberry.lazy("schema.locations")] | None:
        if root.location_id is None:
            return None
        return await info.context.loaders[load_location].load(root.location_id)

    @strawberry.field(description="Who entered the order.")
    async def created_by(root: strawberry.Parent[models.Order], info: Info) -> Staff | None:
        if root.created_by_id is None:
            return None
        return await info.context.loaders[load_staff].load(root.created_by_id)

    @strawberry.field(description="Its lines, in the order they were entered.")
    async def lines(root: strawberry.Parent[models.Order], info: Info) -> list[OrderLine]:
        return await info.context.loaders[order_list.load_order_lines].load(root.id)

    @strawberry.field(description="Σ line totals.")
    def subtotal(root: strawberry.Parent[models.Order]) -> Decimal:
        return cents_to_decimal(root.subtotal_cents)

    @strawberry.field(description='Percent off the subtotal, e.g. "12.50".')
    def discount_percent(root: strawberry.Parent[models.Order]) -> Decimal:
        return bp_to_percent(root.discount_bp)

    @strawberry.field(description=MONEY_RULE)
    def discount_amount(root: strawberry.Parent[models.Order]) -> Decimal:
        return cents_to_decimal(root.discount_cents)

    @strawberry.field(description="The subtotal minus discountAmount.")
    def total(root: strawberry.Parent[models.Order]) -> Decimal:
        return cents_to_decimal(root.total_cents)

    @strawberry.field(
        description="Credits allocated to this order: payments, credits and write-offs "
        "(negative adjustments); released when it is cancelled."
    )
    def amount_paid(root: strawberry.Parent[models.Order]) -> Decimal:
        return cents_to_decimal(root.paid_cents)

    @strawberry.field(
        description="The total minus amountPaid while invoiced; 0 for drafts and cancelled."
    )
    def balance_due(root: strawberry.Parent[models.Order]) -> Decimal:
        return cents_to_decimal(root.balance_due_cents)


OVERRIDE_CREDIT_LIMIT = (
    "ADMIN or MANAGER only (a REP gets FORBIDDEN): invoice even past the customer's credit "
    "limit (audited)."
)


@strawberry.input(
    description=(
        "One line of a new order: a product and a quantity (price from the product unless given)."
    )
)
class OrderLineInput:
    product_id: strawberry.ID = strawberry.field(
        description="The product (visible to the customer)."
    )
    quantity: int = strawberry.field(description="At least 1.")
    unit_price: Decimal | None = strawberry.field(
        default=None, description="Defaults to the product's price; at most 2 decimals."
    )
    description: str | None = strawberry.field(
        default=None, description="Defaults to the product's name."
    )


@strawberry.input(description="The input of `orderCreate`.")
class OrderCreateInput:
    customer_id: strawberry.ID = strawberry.field(description="The customer who orders.")
    location_id: strawberry.ID | None = strawberry.field(
        default=None, description="One of the customer's locations."
    )
    po_number: str | None = strawberry.field(
        default=None, description="The customer's purchase-order number."
    )
    placed_at: datetime | None = strawberry.field(
        default=None, description="Defaults to now; set it to import history."
    )
    lines: list[OrderLineInput] = strawberry.field(description="At least one line.")
    discount_percent: Decimal | None = strawberry.field(
        default=None,
        description="Overrides the customer's discountPercent (which applies when omitted); "
        "0 removes it.",
    )
    status: OrderStatus | None = strawberry.field(
        default=None,
        description="DRAFT (default) or SUBMITTED (invoiced at once: the customer's credit "
        "limit applies, CREDIT_LIMIT_EXCEEDED).",
    )
    override_credit_limit: bool | None = strawberry.field(
        default=None, description=OVERRIDE_CREDIT_LIMIT
    )
    idempotency_key: str | None = strawberry.field(
        default=None,
        description="At most 100 characters. The same key from the same staff member within "
        "24 hours answers the first order again and writes nothing; with other input it is "
        "IDEMPOTENCY_KEY_REUSED.",
    )


@strawberry.input(description="The input of `orderUpdateStatus`.")
class OrderUpdateStatusInput:
    status: OrderStatus = strawberry.field(
        description="DRAFT → SUBMITTED → CONFIRMED → SHIPPED → DELIVERED, one step at a time; "
        "CANCELLED from DRAFT, SUBMITTED or CONFIRMED. DRAFT → SUBMITTED invoices the order: "
        "the customer's credit limit applies (CREDIT_LIMIT_EXCEEDED)."
    )
    expected_version: int | None = strawberry.field(
        default=None,
        description=(
            "The version you read; when it is not the current one the change is refused with "
            "STALE and nothing is written."
        ),
    )
    override_credit_limit: bool | None = strawberry.field(
        default=None, description=OVERRIDE_CREDIT_LIMIT
    )


@strawberry.type(
    description=(
        "What `orderCreate` answers: the affected object, or userErrors when nothing was written."
    )
)
class OrderCreatePayload:
    order: Order | None = strawberry.field(
        default=None, description="The order as it is now; null when userErrors."
    )
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.type(
    description=(
        "What `orderUpdateStatus` answers: the affected object, or userErrors when "
        "nothing was written."
    )
)
class OrderUpdateStatusPayload:
    order: Order | None = strawberry.field(
        default=None, description="The order as it is now; null when userErrors."
    )
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.type(
    description=(
        "What `orderCancel` answers: the affected object, or userErrors when nothing was written."
    )
)
class OrderCancelPayload:
    order: Order | None = strawberry.field(
        default=None, description="The order as it is now; null when userErrors."
    )
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.input(description="Every given field narrows the list (AND).")
class OrderFilter:
    customer_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Only orders of these customers."
    )
    location_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Only orders for these locations."
    )
    statuses: list[OrderStatus] | None = strawberry.field(
        default=None, description="Only orders with these statuses."
    )
    placed_from: date | None = strawberry.field(
        default=None,
        description="First day of placedAt (inclusive, in the company's time zone).",
    )
    placed_to: date | None = strawberry.field(
        default=None, description="Last day of placedAt (inclusive, in the company's time zone)."
    )
    created_from: datetime | None = strawberry.field(
        default=None,
        description="placedAt at or after this moment.",
        deprecation_reason="It filters placedAt, by instant: use placedFrom (a day, inclusive).",
    )
    created_to: datetime | None = strawberry.field(
        default=None,
        description="placedAt before this moment (exclusive).",
        deprecation_reason="It filters placedAt, by instant: use placedTo (a day, inclusive).",
    )
    has_balance: bool | None = strawberry.field(
        default=None, description="true: balanceDue > 0; false: nothing due."
    )


@strawberry.enum(description="What the orders list can be sorted by.")
class OrderSortField(enum.Enum):
    CREATED_AT = strawberry.enum_value(
        "CREATED_AT", description="When the order was placed (placedAt)."
    )
    NUMBER = strawberry.enum_value("NUMBER", description="The order number.")
    TOTAL = strawberry.enum_value("TOTAL", description="The order total.")
    STATUS = strawberry.enum_value("STATUS", description="The status, in life-cycle order.")
    DUE_DATE = strawberry.enum_value("DUE_DATE", description="The due date (none last).")


@strawberry.input(
    description="CREATED_AT sorts by placedAt; STATUS by the status name; DUE_DATE puts "
    "orders without a due date after all others (ASC). Ties are broken by id."
)
class OrderSort:
    field: OrderSortField = strawberry.field(description="What to sort by.")
    direction: SortDirection = strawberry.field(
        default=SortDirection.ASC, description="Ascending or descending."
    )


def order_query(
    filter: OrderFilter | None,
    search: str | None,
    sort: list[OrderSort] | None,
    customer_id: int | None = None,
    timezone: str = "UTC",
) -> order_list.OrderQuery:
    """The list arguments as an order_list.OrderQuery; `customer_id` for Customer.orders."""
    filter = filter or OrderFilter()
    placed_from, placed_to = narrowest(
        *day_bounds(filter.placed_from, filter.placed_to, timezone, ("placedFrom", "placedTo")),
        filter.created_from,
        filter.created_to,
    )
    return order_list.OrderQuery(
        of_customer_id=customer_id,
        customer_ids=order_list.filter_ids(filter.customer_ids, "Customer", "customerIds"),
        location_ids=order_list.filter_ids(filter.location_ids, "Location", "locationIds"),
        statuses=tuple(enums.OrderStatus(s.value) for s in filter.statuses or ()),
        placed_from=placed_from,
        placed_to=placed_to,
        has_balance=filter.has_balance,
        search=search,
        sort=tuple((str(s.field.value), s.direction == SortDirection.DESC) for s in sort or ())
        or order_list.DEFAULT_SORT,
    )


ORDERS_DESCRIPTION = (
    "Order history, newest first by default. `search` matches the order number exactly "
    "(1042 or #1042), the PO number or line content (SKU, product name, description) "
    "anywhere, in any case."
)


async def customer_orders(
    customer: models.Customer,
    info: Info,
    first: First = None,
    after: After = None,
    last: Last = None,
    before: Before = None,
    filter: OrderFilter | None = None,
    search: str | None = None,
    sort: list[OrderSort] | None = None,
) -> Connection[Order]:
    """Customer.orders: the root `orders` list within one customer."""
    page = await order_list.orders_page(
        info.context,
        PageArgs(first, after, last, before),
        order_query(filter, search, sort, customer.id, info.context.viewer.company_timezone),
        with_lines=node_selects(info, "lines"),
    )
    return Connection.from_page(page)


@strawberry.type
class Query:
    @strawberry.field(description=ORDERS_DESCRIPTION)
    async def orders(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
        filter: Annotated[
            OrderFilter | None, strawberry.argument(description="Which orders.")
        ] = None,
        search: Annotated[
            str | None,
            strawberry.argument(description="Matches order number, PO number and line content."),
        ] = None,
        sort: Annotated[
            list[OrderSort] | None,
            strawberry.argument(
                description="Sort keys, first the most significant (default: newest placedAt first)."
            ),
        ] = None,
    ) -> Connection[Order]:
        page = await order_list.orders_page(
            info.context,
            PageArgs(first, after, last, before),
            order_query(filter, search, sort, timezone=info.context.viewer.company_timezone),
            with_lines=node_selects(info, "lines"),
        )
        return Connection.from_page(page)


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description="Places an order. Lines default to the product price; the customer's "
        f"discount applies unless `discountPercent` is given. {MONEY_RULE} Refused for "
        "ARCHIVED customers (CUSTOMER_ARCHIVED), customers on CREDIT_HOLD, invoices past "
        "the credit limit (CREDIT_LIMIT_EXCEEDED) and products the customer may not see."
    )
    async def order_create(
        self,
        info: Info,
        input: Annotated[OrderCreateInput, strawberry.argument(description="What to write.")],
    ) -> OrderCreatePayload:
        return await mutate(
            OrderCreatePayload, lambda: order_create.order_create(info.context, input)
        )

    @strawberry.mutation(
        description="Moves an order one step along its lifecycle (or cancels it). Leaving "
        "DRAFT invoices it: it counts in the customer's and location's sales and balance."
    )
    async def order_update_status(
        self,
        info: Info,
        id: Annotated[
            strawberry.ID, strawberry.argument(description="The global id of the order to change.")
        ],
        input: Annotated[OrderUpdateStatusInput, strawberry.argument(description="What to write.")],
    ) -> OrderUpdateStatusPayload:
        return await mutate(
            OrderUpdateStatusPayload,
            lambda: resolvers.order_update_status(
                info.context,
                id,
                enums.OrderStatus(input.status.value),
                input.expected_version,
                override_credit_limit=input.override_credit_limit,
            ),
        )

    @strawberry.mutation(
        description="Cancels a DRAFT, SUBMITTED or CONFIRMED order: its sales leave the stats "
        "and payments allocated to it return to the customer as credit."
    )
    async def order_cancel(
        self,
        info: Info,
        id: Annotated[
            strawberry.ID, strawberry.argument(description="The global id of the order to change.")
        ],
    ) -> OrderCancelPayload:
        return await mutate(
            OrderCancelPayload,
            lambda: resolvers.order_update_status(
                info.context, id, enums.OrderStatus.CANCELLED, field=("id",)
            ),
        )
