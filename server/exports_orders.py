"""GET /export/orders.csv: the order history as CSV, with the `orders` list's filters.

Query parameters (all optional) are OrderFilter's fields and the list's arguments:
`customerIds`, `locationIds`, `statuses` (repeat or separate with commas),
`placedFrom` / `placedTo` (days, both included, company time zone), `hasBalance`,
`search`, `sort=FIELD[:DESC]` (OrderSortField names) with `direction=ASC|DESC`.
The deprecated `createdFrom` / `createdTo` (instants, to exclusive) and API.md's short
names `customer`, `location`, `status`, `from`, `to` (those instants) still work.
The header row is the API's field names.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Row
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from db.enums import OrderStatus
from db.models import Customer, Location, Order
from resolvers.days import day_bounds, narrowest
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
from server.export_params import ExportParameters, bad_request, one, register
from server.exports import csv_response, request_context, stream_rows, unauthorized

# Order's field names; customer and location by name.
HEADER = (
    "number",
    "poNumber",
    "status",
    "placedAt",
    "dueDate",
    "subtotal",
    "discountAmount",
    "total",
    "amountPaid",
    "balanceDue",
    "customer",
    "location",
)

PARAMETERS = register(
    "/export/orders.csv",
    ExportParameters(
        mirrors="OrderFilter",
        graphql=(
            "customerIds",
            "locationIds",
            "statuses",
            "placedFrom",
            "placedTo",
            "createdFrom",
            "createdTo",
            "hasBalance",
        ),
        options=("search", "sort", "direction"),
        lists=frozenset({"customerIds", "locationIds", "statuses", "sort"}),
        aliases={
            "customer": "customerIds",
            "location": "locationIds",
            "status": "statuses",
            "from": "createdFrom",
            "to": "createdTo",
        },
    ),
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


def _day(value: str | None, name: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as error:
        raise BadUserInput(f"`{name}`: not an ISO date (YYYY-MM-DD): {value!r}.") from error


def _sort(values: list[str], default: str) -> tuple[tuple[str, bool], ...]:
    if default not in ("ASC", "DESC"):
        raise BadUserInput(f"`direction`: ASC or DESC, not {default!r}.")
    sort = []
    for value in values:
        field, _, direction = value.upper().partition(":")
        direction = direction or default
        if field not in SORT_COLUMNS or direction not in ("ASC", "DESC"):
            raise BadUserInput(
                f"`sort`: expected FIELD or FIELD:ASC|DESC with FIELD one of "
                f"{', '.join(SORT_COLUMNS)}; got {value!r}."
            )
        sort.append((field, direction == "DESC"))
    return tuple(sort)


def order_query(request: Request, timezone: str) -> OrderQuery:
    params = PARAMETERS.read(request)
    statuses = []
    for value in params.get("statuses", []):
        try:
            statuses.append(OrderStatus(value.upper()))
        except ValueError as error:
            raise BadUserInput(
                f"`statuses`: unknown order status {value!r}; one of "
                f"{', '.join(s.value for s in OrderStatus)}."
            ) from error
    has_balance = one(params, "hasBalance")
    if has_balance not in (None, "", "true", "false"):
        raise BadUserInput("`hasBalance`: true or false.")
    sort = _sort(params.get("sort", []), (one(params, "direction") or "ASC").upper())
    placed_from, placed_to = narrowest(
        *day_bounds(
            _day(one(params, "placedFrom"), "placedFrom"),
            _day(one(params, "placedTo"), "placedTo"),
            timezone,
            ("placedFrom", "placedTo"),
        ),
        _moment(one(params, "createdFrom"), "createdFrom"),
        _moment(one(params, "createdTo"), "createdTo"),
    )
    return OrderQuery(
        sort=sort or DEFAULT_SORT,
        customer_ids=filter_ids(params.get("customerIds"), "Customer", "customerIds"),
        location_ids=filter_ids(params.get("locationIds"), "Location", "locationIds"),
        statuses=tuple(statuses),
        placed_from=placed_from,
        placed_to=placed_to,
        has_balance=None if not has_balance else has_balance == "true",
        search=one(params, "search"),
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
        return await unauthorized(request)
    try:
        query = order_query(request, context.viewer.company_timezone)
    except BadUserInput as error:
        await context.close()
        return bad_request(error)
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
