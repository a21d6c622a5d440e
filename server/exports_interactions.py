"""GET /export/interactions.csv: the interaction log with the `interactions` list's filters.

Query parameters (all optional; repeat the list ones): `staff=ID` (author), `customer=ID`,
`kind=CALL`, `from=` / `to=` (a day YYYY-MM-DD in the company's time zone, both
inclusive, or an ISO date-time with offset: from inclusive, to exclusive), `search=`.
Newest first, like the list. Headers are the API's field names; unknown parameters are a
JSON 400 listing the valid ones.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any, cast

from sqlalchemy import Select, select
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from db.enums import InteractionKind
from db.models import Contact, Customer, Interaction, Location, Staff
from resolvers.context import Context
from resolvers.errors import BadUserInput, UserInputError
from resolvers.ids import encode_id, parse_ids
from resolvers.interactions import InteractionFilter
from resolvers.segments import start_of_day
from server.exports import csv_response, request_context, stream_rows
from server.exports_customers import _text
from server.http_errors import json_error

PARAMETERS = ("staff", "customer", "kind", "from", "to", "search")
HEADER = (
    "id",
    "occurredAt",
    "kind",
    "customerId",
    "customer",
    "author",
    "contact",
    "location",
    "body",
    "edited",
    "updatedAt",
)


def _moment(value: str | None, name: str, timezone: str, *, end: bool) -> datetime | None:
    """A `from`/`to` bound as an instant: a day is that day in the company's zone
    (`to` through its end), a date-time is itself."""
    if not value:
        return None
    try:
        if len(value) == 10:
            day = date.fromisoformat(value)
            return start_of_day(day + timedelta(days=1) if end else day, timezone)
        moment = datetime.fromisoformat(value)
    except ValueError as error:
        raise BadUserInput(f"`{name}`: not a day or ISO date-time: {value!r}.") from error
    if moment.tzinfo is None:
        raise BadUserInput(f"`{name}`: a date-time needs a UTC offset: {value!r}.")
    return moment


def export_filter(request: Request, timezone: str) -> InteractionFilter:
    params = request.query_params
    unknown = sorted(set(params) - set(PARAMETERS))
    if unknown:
        raise BadUserInput(
            f"Unknown parameter(s) {', '.join(unknown)}; valid: {', '.join(PARAMETERS)}."
        )
    try:
        staff = parse_ids(params.getlist("staff"), "Staff", ("staff",))
        customers = parse_ids(params.getlist("customer"), "Customer", ("customer",))
        kinds = tuple(InteractionKind(kind) for kind in params.getlist("kind"))
    except UserInputError as error:
        raise BadUserInput(str(error), code="INVALID_ID") from error
    except ValueError as error:
        allowed = ", ".join(kind.value for kind in InteractionKind)
        raise BadUserInput(f"`kind`: expected one of {allowed}.") from error
    start = _moment(params.get("from"), "from", timezone, end=False)
    end = _moment(params.get("to"), "to", timezone, end=True)
    if start is not None and end is not None and start >= end:
        raise BadUserInput("`from` must be before `to`.")
    search = (params.get("search") or "").strip()
    return InteractionFilter(
        staff_ids=tuple(staff) if params.getlist("staff") else None,
        customer_ids=tuple(customers) if params.getlist("customer") else None,
        kinds=kinds or None,
        from_=start,
        to=end,
        search=search or None,
    )


def _cells(row: Any) -> Iterable[Any]:
    interaction, customer, author, contact, location = row
    return [
        _text(value)
        for value in (
            encode_id("Interaction", interaction.id),
            interaction.created_at,
            interaction.kind,
            encode_id("Customer", interaction.customer_id),
            customer,
            author,
            contact,
            location,
            interaction.body,
            "true" if interaction.edited else "false",
            interaction.updated_at,
        )
    ]


async def export_interactions(request: Request) -> Response:
    context: Context | None = await request_context(request)
    if context is None:
        return json_error(
            401,
            "UNAUTHENTICATED",
            "Sign in first: send `Authorization: Bearer <token>`.",
            {"WWW-Authenticate": "Bearer"},
        )
    try:
        filter = export_filter(request, context.viewer.company_timezone)
    except BadUserInput as error:
        code = "BAD_REQUEST" if error.code == BadUserInput.code else error.code
        return json_error(400, code, str(error))
    finally:
        await context.close()
    statement = (
        select(Interaction, Customer.name, Staff.name, Contact.name, Location.name)
        .join(Customer, Customer.id == Interaction.customer_id)
        .join(Staff, Staff.id == Interaction.author_id)
        .outerjoin(Contact, Contact.id == Interaction.contact_id)
        .outerjoin(Location, Location.id == Interaction.location_id)
        .where(*filter.conditions())
        .order_by(Interaction.created_at.desc(), Interaction.id.desc())
    )
    rows = stream_rows(context, cast(Select[Any], statement))
    return csv_response("interactions.csv", HEADER, rows, _cells)


ROUTES: list[BaseRoute] = [Route("/export/interactions.csv", export_interactions, methods=["GET"])]
