"""GET /export/statement.pdf and /export/statement.csv: a customer's statement.

Query parameters are customerStatement's arguments: `customerId=ID` (required; API.md's
`customer=ID` too), `from=` and `to=` (ISO dates, days in the company's time zone, both
included, with its defaults). Anything else is refused with a JSON 400 listing these. The PDF is built
in a worker thread (the event loop keeps serving) and streamed in chunks; it holds at
most ROLODEX_STATEMENT_MAX_LINES lines. The CSV streams every line from a server-side
cursor with its running balance, memory flat.
"""

from __future__ import annotations

import asyncio
import re
import unicodedata
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import date
from typing import Any

from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import BaseRoute, Route

from db.models import Company
from resolvers.aging import customer_aging
from resolvers.context import Context
from resolvers.errors import BadUserInput
from resolvers.localtime import company_today
from resolvers.money import cents_to_decimal
from resolvers.statements import (
    StatementLine,
    customer_statement,
    lines_statement,
    opening_balance,
    running_lines,
    statement_period,
)
from server.export_params import ExportParameters, bad_request, one, register
from server.exports import csv_response, request_context, stream_rows, unauthorized
from server.http_errors import json_error
from server.statement_pdf import StatementDocument, address_lines, render_statement

PARAMETERS = ExportParameters(
    "Query.customerStatement", ("customerId", "from", "to"), aliases={"customer": "customerId"}
)
register("/export/statement.pdf", PARAMETERS)
register("/export/statement.csv", PARAMETERS)
CSV_HEADER = ("date", "kind", "reference", "description", "amount", "balance")
PDF_CHUNK = 64 * 1024


def _arguments(request: Request) -> tuple[str, date | None, date | None]:
    params = PARAMETERS.read(request)
    customer = one(params, "customerId")
    if not customer:
        raise BadUserInput("`customerId` (a Customer id) is required.")
    dates: list[date | None] = []
    for name in ("from", "to"):
        value = one(params, name)
        try:
            dates.append(date.fromisoformat(value) if value else None)
        except ValueError as error:
            raise BadUserInput(f"`{name}`: not an ISO date (YYYY-MM-DD): {value!r}.") from error
    return customer, dates[0], dates[1]


def _filename(name: str, to_date: date, extension: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^A-Za-z0-9]+", "-", ascii_name).strip("-").lower() or "customer"
    return f"statement-{slug}-{to_date.isoformat()}.{extension}"


async def statement_pdf(request: Request, context: Context) -> Response:
    customer, from_date, to_date = _arguments(request)
    statement = await customer_statement(
        context, customer, from_date, to_date, max_lines=context.settings.statement_max_lines
    )
    if statement is None:
        return json_error(404, "NOT_FOUND", "No such customer.")
    today = company_today(context.viewer)
    aging = await customer_aging(context, statement.customer.id, today)
    company = await context.session.scalar(
        select(Company.name).where(Company.id == context.viewer.company_id)
    )
    document = StatementDocument(
        company_name=company or "",
        statement=statement,
        aging=aging,
        issued_on=today,
        address=address_lines(statement.customer),
    )
    pdf = await asyncio.to_thread(render_statement, document)

    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(pdf), PDF_CHUNK):
            yield pdf[start : start + PDF_CHUNK]

    filename = _filename(statement.customer.name, statement.to_date, "pdf")
    return StreamingResponse(
        chunks(),
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Content-Length": str(len(pdf)),
            "Cache-Control": "private, no-store",
        },
    )


def _cells(line: StatementLine) -> list[Any]:
    return [
        line.date.isoformat(),
        line.kind.value,
        line.reference or "",
        line.description,
        cents_to_decimal(line.amount_cents),
        cents_to_decimal(line.balance_cents),
    ]


async def statement_csv(request: Request, context: Context) -> Response:
    customer, from_date, to_date = _arguments(request)
    period = await statement_period(context, customer, from_date, to_date)
    if period is None:
        return json_error(404, "NOT_FOUND", "No such customer.")
    opening = await opening_balance(context, period)
    rows = stream_rows(context, lines_statement(period.customer.id, period.start, period.end))
    lines = running_lines(rows, opening, context.viewer.company_timezone)
    filename = _filename(period.customer.name, period.to_date, "csv")
    return csv_response(filename, CSV_HEADER, lines, _cells)


def _route(path: str, build: Callable[[Request, Context], Awaitable[Response]]) -> Route:
    async def endpoint(request: Request) -> Response:
        context = await request_context(request)
        if context is None:
            return await unauthorized(request)
        try:
            return await build(request, context)
        except BadUserInput as error:
            return bad_request(error)
        finally:
            # What the response needs was read; the CSV streams on its own session.
            await context.close()

    return Route(path, endpoint, methods=["GET"])


ROUTES: list[BaseRoute] = [
    _route("/export/statement.pdf", statement_pdf),
    _route("/export/statement.csv", statement_csv),
]
