"""orderCreate: the input parsed into a plain OrderRequest, then checked and written.

Parse (no database): ids, lines, prices, discount, status, placedAt, the idempotency key
and the credit-limit override, every problem at once. Write (one transaction): the
idempotency claim first (a retry answers the first order), the customer locked (the
credit-limit check reads its balance under that lock), then the customer's state
(archived, credit hold, credit limit), the location and the products, then the order.
"""

from __future__ import annotations

import decimal
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import case, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.enums import BillingStatus, CustomerStatus, OrderStatus
from db.models import Customer, Location, Order, Product, utcnow
from resolvers.audit import record
from resolvers.credit import check_credit_limit, parse_override
from resolvers.errors import ErrorCollector, UserErrorCode
from resolvers.idempotency import NO_KEY, claim, parse_key, settle
from resolvers.ids import parse_id
from resolvers.ledger import lock_customer
from resolvers.localtime import CLOCK_SKEW
from resolvers.money import decimal_to_cents, percent_to_bp
from resolvers.orders import (
    MAX_LINES,
    MAX_QUANTITY,
    MAX_UNIT_PRICE,
    NewLine,
    NewOrder,
    due_terms,
    insert_order,
    price_order,
)
from resolvers.permissions import Viewer
from resolvers.products import visible_to
from resolvers.validation import clean_text

if TYPE_CHECKING:
    from resolvers.context import Context


@dataclass(frozen=True)
class LineRequest:
    # Its place in `input.lines`, for error paths.
    index: int
    product_id: int
    quantity: int
    # None: the product's price.
    unit_price_cents: int | None
    description: str | None


@dataclass(frozen=True)
class OrderRequest:
    # None: not a valid id (an error was collected).
    customer_id: int | None
    location_id: int | None
    po_number: str | None
    # As given (None: now), so a retry's fingerprint equals the first's.
    placed_at: datetime | None
    status: OrderStatus
    # None: the customer's discount.
    discount_bp: int | None
    lines: tuple[LineRequest, ...]
    override_credit_limit: bool
    idempotency_key: str | None


def _pk(errors: ErrorCollector, value: str, type_name: str, path: Sequence[str]) -> int | None:
    return errors.collect(parse_id, value, type_name, (*errors.prefix, *path))


def _price(errors: ErrorCollector, value: decimal.Decimal, path: Sequence[str]) -> int | None:
    return errors.collect(
        decimal_to_cents,
        value,
        (*errors.prefix, *path),
        minimum=decimal.Decimal(0),
        maximum=MAX_UNIT_PRICE,
        label="Unit price",
    )


def _lines(errors: ErrorCollector, items: Sequence[Any] | None) -> list[LineRequest | None]:
    if not items:
        errors.add("lines", "An order needs at least one line.", UserErrorCode.REQUIRED)
        return []
    if len(items) > MAX_LINES:
        errors.add("lines", f"At most {MAX_LINES} lines.", UserErrorCode.OUT_OF_RANGE)
        return []
    lines: list[LineRequest | None] = []
    for index, line in enumerate(items):
        path = ["lines", str(index)]
        product = _pk(errors, line.product_id, "Product", [*path, "productId"])
        if not 0 < line.quantity <= MAX_QUANTITY:
            errors.add(
                [*path, "quantity"],
                f"Quantity must be between 1 and {MAX_QUANTITY}.",
                UserErrorCode.OUT_OF_RANGE,
            )
        price = (
            None
            if line.unit_price is None
            else _price(errors, line.unit_price, [*path, "unitPrice"])
        )
        description = clean_text(
            errors, [*path, "description"], line.description, max_length=1000, label="description"
        )
        valid = product is not None and (line.unit_price is None or price is not None)
        lines.append(
            LineRequest(index, product, line.quantity, price, description)
            if valid and product is not None
            else None
        )
    return lines


def parse_order_input(viewer: Viewer, input: Any, errors: ErrorCollector) -> OrderRequest:
    """Everything orderCreate can check without the database, problems into `errors`
    (the database checks add theirs, so a client hears of every problem at once)."""
    customer_pk = _pk(errors, input.customer_id, "Customer", ["customerId"])
    location_pk = None
    if input.location_id is not None:
        location_pk = _pk(errors, input.location_id, "Location", ["locationId"])
    po_number = clean_text(errors, "poNumber", input.po_number, max_length=64, label="PO number")
    if input.placed_at is not None and input.placed_at > utcnow() + CLOCK_SKEW:
        errors.add(
            "placedAt", "An order can't be placed in the future.", UserErrorCode.OUT_OF_RANGE
        )
    status = OrderStatus(input.status.value) if input.status else OrderStatus.DRAFT
    if status not in (OrderStatus.DRAFT, OrderStatus.SUBMITTED):
        errors.add("status", "New orders are DRAFT or SUBMITTED.", UserErrorCode.INVALID)
    discount_bp = None
    if input.discount_percent is not None:
        discount_bp = errors.collect(
            percent_to_bp, input.discount_percent, ("input", "discountPercent")
        )
    lines = _lines(errors, input.lines)
    override = parse_override(errors, viewer, getattr(input, "override_credit_limit", None))
    key = parse_key(errors, getattr(input, "idempotency_key", None))
    return OrderRequest(
        customer_id=customer_pk,
        location_id=location_pk,
        po_number=po_number,
        placed_at=input.placed_at,
        status=status,
        discount_bp=discount_bp,
        lines=tuple(line for line in lines if line is not None),
        override_credit_limit=override,
        idempotency_key=key,
    )


def _customer_state(errors: ErrorCollector, customer: Customer | None) -> None:
    if customer is None:
        errors.add("customerId", "No such customer.", UserErrorCode.NOT_FOUND)
    elif customer.status == CustomerStatus.ARCHIVED:
        errors.add(
            "customerId",
            f"{customer.name} is archived: restore it (set another status) to order again.",
            UserErrorCode.CUSTOMER_ARCHIVED,
        )
    elif customer.billing_status == BillingStatus.CREDIT_HOLD:
        errors.add(
            "customerId",
            f"{customer.name} is on credit hold: no new orders until it is lifted.",
            UserErrorCode.CREDIT_HOLD,
        )


async def _location(
    session: AsyncSession, errors: ErrorCollector, request: OrderRequest, customer: Customer | None
) -> None:
    if request.location_id is None:
        return
    location = await session.get(Location, request.location_id)
    if location is None:
        errors.add("locationId", "No such location.", UserErrorCode.NOT_FOUND)
    elif customer is not None and location.customer_id != customer.id:
        errors.add(
            "locationId", "This location belongs to another customer.", UserErrorCode.INVALID
        )


async def _products(
    session: AsyncSession, errors: ErrorCollector, request: OrderRequest, customer: Customer
) -> dict[int, Product]:
    """The lines' products, each visible to the customer (else a userError at its line)."""
    wanted = {line.product_id for line in request.lines}
    visible = case((visible_to(customer), True), else_=False)
    result = await session.execute(select(Product, visible).where(Product.id.in_(wanted)))
    found = {product.id: (product, bool(ok)) for product, ok in result.all()}
    for line in request.lines:
        path = ("lines", str(line.index), "productId")
        if line.product_id not in found:
            errors.add(path, "No such product.", UserErrorCode.NOT_FOUND)
        elif not found[line.product_id][1]:
            errors.add(
                path,
                f"{found[line.product_id][0].name} is not available to {customer.name}.",
                UserErrorCode.PRODUCT_NOT_VISIBLE,
            )
    return {pk: product for pk, (product, _) in found.items()}


def _new_order(
    viewer: Viewer, request: OrderRequest, customer: Customer, products: dict[int, Product]
) -> NewOrder:
    lines = [
        NewLine(
            product=products[line.product_id],
            quantity=line.quantity,
            unit_price_cents=products[line.product_id].price_cents
            if line.unit_price_cents is None
            else line.unit_price_cents,
            description=line.description or products[line.product_id].name,
        )
        for line in request.lines
    ]
    return NewOrder(
        customer=customer,
        lines=lines,
        discount_bp=customer.discount_bp if request.discount_bp is None else request.discount_bp,
        placed_at=request.placed_at or utcnow(),
        status=request.status,
        location_id=request.location_id,
        po_number=request.po_number,
        created_by_id=viewer.staff_id,
    )


async def order_create(context: Context, input: Any) -> dict[str, Any]:
    viewer = context.viewer
    errors = ErrorCollector()
    request = parse_order_input(viewer, input, errors)
    if request.customer_id is None:
        errors.raise_if_any()
    assert request.customer_id is not None
    async with context.transaction() as session:
        claimed = NO_KEY
        if not errors:
            claimed = await claim(session, viewer, request.idempotency_key, "orderCreate", request)
            if claimed.replay_id is not None:
                return {"order": await session.get(Order, claimed.replay_id)}
        customer = await lock_customer(session, request.customer_id)
        _customer_state(errors, customer)
        await _location(session, errors, request, customer)
        products: dict[int, Product] = {}
        if customer is not None and request.lines:
            products = await _products(session, errors, request, customer)
        errors.raise_if_any()
        assert customer is not None  # no errors: the customer was found
        new = _new_order(viewer, request, customer, products)
        overridden = False
        if new.status == OrderStatus.SUBMITTED:
            total = price_order(
                [line.quantity * line.unit_price_cents for line in new.lines], new.discount_bp
            ).total_cents
            overridden = check_credit_limit(
                errors, customer, total, request.override_credit_limit, "status"
            )
            errors.raise_if_any()
        order = await insert_order(
            session, new, await due_terms(session, customer), viewer.company_timezone
        )
        await settle(session, claimed, order.id)
        changes: dict[str, list[Any]] = {
            "number": [None, order.number],
            "status": [None, order.status.value],
        }
        if overridden:
            changes["creditLimitOverridden"] = [None, True]
        record(session, viewer, "order.create", order, changes, customer_id=customer.id)
    return {"order": order}
