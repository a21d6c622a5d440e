"""GET /export/interactions.csv: the interaction log with the `interactions` list's filters.

Query parameters (all optional) are InteractionFilter's fields: `staffIds` (authors),
`customerIds`, `kinds` (repeat or separate with commas), `occurredFrom` / `occurredTo`
(days, both included, in the company's time zone), `search`; the deprecated `from` / `to`
(a day as above, or an ISO date-time with offset: from inclusive, to exclusive) and the
first names `staff`, `customer`, `kind` still work. Newest first, like the list. Headers
are the API's field names; unknown parameters are a JSON 400 listing the valid ones.
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
from resolvers.days import day_bounds, narrowest
from resolvers.errors import BadUserInput, UserInputError
from resolvers.ids import encode_id, parse_ids
from resolvers.interactions import InteractionFilter
from resolvers.segments import start_of_day
from server.export_params import ExportParameters, bad_request, one, register
from server.exports import csv_response, request_context, stream_rows, unauthorized
from server.exports_customers import _text

PARAMETERS = register(
    "/export/interactions.csv",
    ExportParameters(
        mirrors="InteractionFilter",
        graphql=(
            "staffIds",
            "customerIds",
            "kinds",
            "occurredFrom",
            "occurredTo",
            "from",
            "to",
            "search",
        ),
        lists=frozenset({"staffIds", "customerIds", "kinds"}),
        aliases={"staff": "staffIds", "customer": "customerIds", "kind": "kinds"},
    ),
)
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


def _day(value: str | None, name: str) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError as error:
        raise BadUserInput(f"`{name}`: not an ISO date (YYYY-MM-DD): {value!r}.") from error


def export_filter(request: Request, timezone: str) -> InteractionFilter:
    params = PARAMETERS.read(request)
    try:
        staff = parse_ids(params.get("staffIds", []), "Staff", ("staffIds",))
        customers = parse_ids(params.get("customerIds", []), "Customer", ("customerIds",))
        kinds = tuple(InteractionKind(kind.upper()) for kind in params.get("kinds", []))
    except UserInputError as error:
        raise BadUserInput(str(error), code="INVALID_ID") from error
    except ValueError as error:
        allowed = ", ".join(kind.value for kind in InteractionKind)
        raise BadUserInput(f"`kinds`: expected some of {allowed}.") from error
    start, end = narrowest(
        *day_bounds(
            _day(one(params, "occurredFrom"), "occurredFrom"),
            _day(one(params, "occurredTo"), "occurredTo"),
            timezone,
            ("occurredFrom", "occurredTo"),
        ),
        _moment(one(params, "from"), "from", timezone, end=False),
        _moment(one(params, "to"), "to", timezone, end=True),
    )
    if start is not None and end is not None and start >= end:
        raise BadUserInput("`from` must be before `to`.")
    search = (one(params, "search") or "").strip()
    return InteractionFilter(
        staff_ids=tuple(staff) if "staffIds" in params else None,
        customer_ids=tuple(customers) if "customerIds" in params else None,
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
        return await unauthorized(request)
    try:
        filter = export_filter(request, context.viewer.company_timezone)
    except BadUserInput as error:
        return bad_request(error)
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
