"""GET /export/{sales,transactions,aging,customer-summary}.csv: the reports as CSV.

Query parameters are the GraphQL arguments' names: `from=` and `to=` (ISO dates, days in
the company's time zone, both included) and `groupBy=` (repeat it or separate with
commas) for sales and transactions; `asOf=` and `salesRepIds=` (repeatable) for aging;
none for the customer summary. Others are refused (server/export_params.py). Headers
are the report rows' field names. The
reports are the same functions as GraphQL's (grouped in SQL); names of customers, reps
and locations are looked up once per report, a chunk of ids at a time.
"""

from __future__ import annotations

import enum
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from datetime import date
from typing import Any, TypeVar

from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from db.models import Customer, Location, Staff
from resolvers import aging, reports
from resolvers.context import Context
from resolvers.errors import BadUserInput, Forbidden
from resolvers.ids import encode_id
from resolvers.money import cents_to_decimal
from server.export_params import ExportParameters, bad_request, one, register
from server.exports import csv_response, request_context, unauthorized
from server.http_errors import json_error

NAME_CHUNK = 1000
E = TypeVar("E", bound=enum.Enum)


PARAMETERS = {
    "/export/sales.csv": ExportParameters(
        "Query.salesReport", ("from", "to", "groupBy"), lists=frozenset({"groupBy"})
    ),
    "/export/transactions.csv": ExportParameters(
        "Query.transactionsReport", ("from", "to", "groupBy"), lists=frozenset({"groupBy"})
    ),
    "/export/aging.csv": ExportParameters(
        "Query.agingReport", ("asOf", "salesRepIds"), lists=frozenset({"salesRepIds"})
    ),
    "/export/customer-summary.csv": ExportParameters("Query.customerSummary", ()),
}


for _path, _parameters in PARAMETERS.items():
    register(_path, _parameters)


def _params(request: Request) -> dict[str, list[str]]:
    return PARAMETERS[request.url.path].read(request)


def _date(request: Request, name: str) -> date | None:
    value = one(_params(request), name)
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as error:
        raise BadUserInput(f"`{name}`: not an ISO date (YYYY-MM-DD): {value!r}.") from error


def _groups(request: Request, enum_type: type[E]) -> list[E]:
    values = [value.upper() for value in _params(request).get("groupBy", [])]
    try:
        return [enum_type(value) for value in values]
    except ValueError as error:
        allowed = ", ".join(member.value for member in enum_type)
        raise BadUserInput(f"`groupBy`: expected some of {allowed}.") from error


async def _names(context: Context, model: Any, ids: Iterable[int | None]) -> dict[int, str]:
    """id -> name for the rows a report mentions, one query per chunk of ids."""
    wanted = sorted({i for i in ids if i is not None})
    names: dict[int, str] = {}
    for start in range(0, len(wanted), NAME_CHUNK):
        chunk = wanted[start : start + NAME_CHUNK]
        result = await context.session.execute(
            select(model.id, model.name).where(model.id.in_(chunk))
        )
        names.update((row_id, name) for row_id, name in result.all())
    return names


async def _rows(items: Sequence[Any]) -> AsyncIterator[Any]:
    for item in items:
        yield item


def _money(cents: int | None) -> Any:
    return "" if cents is None else cents_to_decimal(cents)


def _period(value: date | None) -> str:
    return value.isoformat() if value else ""


async def sales_csv(request: Request, context: Context) -> Response:
    groups = _groups(request, reports.SalesReportGroup)
    report = await reports.sales_report(
        context, _date(request, "from"), _date(request, "to"), groups
    )
    customers = await _names(context, Customer, (r.customer_id for r in report.rows))
    reps = await _names(context, Staff, (r.sales_rep_id for r in report.rows))
    locations = await _names(context, Location, (r.location_id for r in report.rows))
    G = reports.SalesReportGroup
    dimensions: list[tuple[str, Callable[[reports.SalesRow], Any]]] = [
        (name, cell)
        for group, name, cell in (
            (G.MONTH, "period", lambda r: _period(r.period)),
            (G.CUSTOMER, "customer", lambda r: customers.get(r.customer_id, "")),
            (G.SALES_REP, "salesRep", lambda r: reps.get(r.sales_rep_id, "")),
            (G.LOCATION, "location", lambda r: locations.get(r.location_id, "")),
        )
        if group in groups
    ]
    header = [name for name, _ in dimensions] + ["orderCount", "total", "averageOrderTotal"]

    def cells(row: reports.SalesRow) -> list[Any]:
        return [cell(row) for _, cell in dimensions] + [
            row.order_count,
            _money(row.total_cents),
            _money(row.average_cents),
        ]

    return csv_response("sales.csv", header, _rows(report.rows), cells)


async def transactions_csv(request: Request, context: Context) -> Response:
    groups = _groups(request, reports.TransactionsReportGroup)
    rows = await reports.transactions_report(
        context, _date(request, "from"), _date(request, "to"), groups
    )
    G = reports.TransactionsReportGroup
    dimensions: list[tuple[str, Callable[[reports.TransactionsRow], Any]]] = [
        (name, cell)
        for group, name, cell in (
            (G.MONTH, "period", lambda r: _period(r.period)),
            (G.KIND, "kind", lambda r: r.kind.value if r.kind else ""),
            (G.METHOD, "method", lambda r: r.method.value if r.method else ""),
        )
        if group in groups
    ]
    header = [name for name, _ in dimensions] + ["count", "moneyIn", "moneyOut", "total"]

    def cells(row: reports.TransactionsRow) -> list[Any]:
        return [cell(row) for _, cell in dimensions] + [
            row.count,
            _money(row.money_in_cents),
            _money(row.money_out_cents),
            _money(row.total_cents),
        ]

    return csv_response("transactions.csv", header, _rows(rows), cells)


async def aging_csv(request: Request, context: Context) -> Response:
    rep_ids = _params(request).get("salesRepIds", [])
    report = await aging.aging_report(context, _date(request, "asOf"), rep_ids or None)
    customers = await _names(context, Customer, (r.customer_id for r in report.rows))
    # The columns as AgingReportRow spells them; the customer by id and name.
    header = [
        "customerId",
        "customer",
        "current",
        "days1To30",
        "days31To60",
        "days61To90",
        "over90",
        "unappliedCredit",
        "total",
    ]

    def cells(row: aging.AgingRow) -> list[Any]:
        return [
            encode_id("Customer", row.customer_id) if row.customer_id else "",
            customers.get(row.customer_id, "") if row.customer_id else "",
            *(
                _money(cents)
                for cents in (
                    row.current_cents,
                    row.days_1_to_30_cents,
                    row.days_31_to_60_cents,
                    row.days_61_to_90_cents,
                    row.over_90_cents,
                    row.unapplied_credit_cents,
                    row.total_cents,
                )
            ),
        ]

    return csv_response(f"aging-{report.as_of.isoformat()}.csv", header, _rows(report.rows), cells)


async def customer_summary_csv(request: Request, context: Context) -> Response:
    _params(request)
    summary = await reports.customer_summary(context)
    rows: list[tuple[str, str, int]] = [
        *(("engagement", k.value, v) for k, v in summary.by_engagement.items()),
        *(("status", k.value, v) for k, v in summary.by_status.items()),
        *(("billingStatus", k.value, v) for k, v in summary.by_billing_status.items()),
        *(("newCustomers", month.isoformat(), count) for month, count in summary.new_by_month),
    ]
    return csv_response("customer-summary.csv", ["dimension", "value", "count"], _rows(rows), list)


def _route(path: str, build: Callable[[Request, Context], Awaitable[Response]]) -> Route:
    async def endpoint(request: Request) -> Response:
        context = await request_context(request)
        if context is None:
            return await unauthorized(request)
        try:
            return await build(request, context)
        except BadUserInput as error:
            return bad_request(error)
        except Forbidden as error:
            return json_error(403, "FORBIDDEN", str(error))
        finally:
            # The report is computed before the response streams: release the session.
            await context.close()

    return Route(path, endpoint, methods=["GET"])


ROUTES: list[BaseRoute] = [
    _route("/export/sales.csv", sales_csv),
    _route("/export/transactions.csv", transactions_csv),
    _route("/export/aging.csv", aging_csv),
    _route("/export/customer-summary.csv", customer_summary_csv),
]
