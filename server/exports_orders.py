"""GET /export/orders.csv: the order history as CSV, with the `orders` list's filters.

Query parameters (all optional; repeat the list ones): `customer=ID`, `location=ID`,
`status=SUBMITTED`, `from=` / `to=` (placedAt, ISO date or date-time; from inclusive,
to exclusive; a date means midnight UTC), `search=`, `hasBalance=true|false`,
`sort=FIELD` or `sort=FIELD:DESC` (fields as OrderSort; default newest first).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Row
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from db.enums import OrderStatus
from db.models import Customer, Location, Order
from resolvers.errors import BadUserInput
from resolvers.money import cents_to_decimal
from resolvers.order_list import (
    DEFAULT_SORT,
    SORT_COLUMNS,
    OrderQuery,
    filter_ids,
    orders_statement,
    sort_keys,
)
from server.exports import csv_response, request_context, stream_rows, unauthorized

HEADER = (
    "number",
    "po_number",
    "status",
    "placed_at",
    "due_date",
    "subtotal",
    "discount",
    "total",
    "paid",
    "balance_due",
    "customer",
    "location",
)


def _moment(value: str | None, name: str) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        try:
            parsed = datetime.combine(date.fromisoformat(value), datetime.min.time())
        except ValueError as error:
            raise BadUserInput(f"`{name}`: not an ISO date or date-time: {value!r}.") from error
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _sort(values: list[str]) -> tuple[tuple[str, bool], ...]:
    sort = []
    for value in values:
        field, _, direction = value.upper().partition(":")
        if field not in SORT_COLUMNS or direction not in ("", "ASC", "DESC"):
            raise BadUserInput(
                f"`sort`: expected FIELD or FIELD:ASC|DESC with FIELD one of "
                f"{', '.join(SORT_COLUMNS)}; got {value!r}."
            )
        sort.append((field, direction == "DESC"))
    return tuple(sort)


def order_query(request: Request) -> OrderQuery:
    params = request.query_params
    statuses = []
    for value in params.getlist("status"):
        try:
            statuses.append(OrderStatus(value.upper()))
        except ValueError as error:
            raise BadUserInput(f"`status`: unknown order status {value!r}.") from error
    has_balance = params.get("hasBalance")
    if has_balance not in (None, "", "true", "false"):
        raise BadUserInput("`hasBalance`: true or false.")
    sort = _sort(params.getlist("sort"))
    return OrderQuery(
        sort=sort or DEFAULT_SORT,
        customer_ids=filter_ids(params.getlist("customer"), "Customer", "customer"),
        location_ids=filter_ids(params.getlist("location"), "Location", "location"),
        statuses=tuple(statuses),
        placed_from=_moment(params.get("from"), "from"),
        placed_to=_moment(params.get("to"), "to"),
        has_balance=None if not has_balance else has_balance == "true",
        search=params.get("search"),
    )


def _cells(row: Row[Any]) -> list[Any]:
    (number, po, status, placed, due, subtotal, discount, total, paid, balance, *names) = tuple(row)
    return [
        number,
        po or "",
        status.value,
        placed.isoformat(),
        due.isoformat() if due else "",
        *(cents_to_decimal(cents) for cents in (subtotal, discount, total, paid, balance)),
        *(name or "" for name in names),
    ]


async def export_orders(request: Request) -> Response:
    context = await request_context(request)
    if context is None:
        return unauthorized()
    try:
        query = order_query(request)
    except BadUserInput as error:
        return PlainTextResponse(str(error), status_code=400)
    keys = sort_keys(query)
    statement = (
        orders_statement(
            context.db.dialect,
            query,
            Order.number,
            Order.po_number,
            Order.status,
            Order.placed_at,
            Order.due_date,
            Order.subtotal_cents,
            Order.discount_cents,
            Order.total_cents,
            Order.paid_cents,
            Order.balance_due_cents,
            Customer.name,
            Location.name,
        )
        .join(Customer, Customer.id == Order.customer_id)
        .outerjoin(Location, Location.id == Order.location_id)
        .order_by(
            *(k.expression.desc() if k.descending else k.expression.asc() for k in keys),
            Order.id.desc() if keys[-1].descending else Order.id.asc(),
        )
    )
    return csv_response("orders.csv", HEADER, stream_rows(context, statement), _cells)


ROUTES: list[BaseRoute] = [Route("/export/orders.csv", export_orders, methods=["GET"])]
