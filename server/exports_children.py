"""GET /export/locations.csv and /export/contacts.csv: the rows locationsImport and
contactsImport read back.

Headers are the API's field names (an address is flattened to its parts), plus the
customer as `customerId`, `customerExternalId` and `customer` (its name), so an export
imports back unchanged. Locations take LocationFilter's fields (`customerIds`,
`salesRepIds`, `search`); contacts take `customerIds`. Unknown parameters are a JSON
400 listing the valid ones.
"""

from __future__ import annotations

from collections.abc import Iterable
from types import SimpleNamespace
from typing import Any, cast

from sqlalchemy import Select, select
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from db.models import Contact, Customer, Location, Staff
from resolvers.context import Context
from resolvers.customers import query_filter_ids
from resolvers.errors import BadUserInput
from resolvers.ids import encode_id
from resolvers.locations import locations_statement
from resolvers.money import cents_to_decimal
from server.export_params import ExportParameters, bad_request, one, register
from server.exports import csv_response, request_context, stream_rows, unauthorized
from server.exports_customers import _text

LOCATION_PARAMETERS = register(
    "/export/locations.csv",
    ExportParameters(
        mirrors="LocationFilter",
        graphql=("customerIds", "salesRepIds", "search"),
        lists=frozenset({"customerIds", "salesRepIds"}),
    ),
)
# Contacts have no list query of their own: the export's one option narrows by customer.
CONTACT_PARAMETERS = register(
    "/export/contacts.csv",
    ExportParameters(
        mirrors="Customer.contacts",
        graphql=(),
        options=("customerIds",),
        lists=frozenset({"customerIds"}),
    ),
)
CUSTOMER_HEADER = ("customerId", "customerExternalId", "customer")
LOCATION_HEADER = (
    "id",
    *CUSTOMER_HEADER,
    "name",
    "phone",
    "email",
    "line1",
    "line2",
    "city",
    "region",
    "postalCode",
    "country",
    "salesRep",
    "orderCount",
    "totalSales",
    "createdAt",
)
CONTACT_HEADER = (
    "id",
    *CUSTOMER_HEADER,
    "name",
    "title",
    "email",
    "phone",
    "mobile",
    "fax",
    "notes",
    "isPrimary",
)


def _location_cells(row: Any) -> Iterable[Any]:
    location, customer, external_id, rep = row
    return [
        _text(value)
        for value in (
            encode_id("Location", location.id),
            encode_id("Customer", location.customer_id),
            external_id,
            customer,
            location.name,
            location.phone,
            location.email,
            location.line1,
            location.line2,
            location.city,
            location.region,
            location.postal_code,
            location.country,
            rep,
            location.order_count,
            cents_to_decimal(location.total_sales_cents),
            location.created_at,
        )
    ]


def _contact_cells(row: Any) -> Iterable[Any]:
    contact, customer, external_id = row
    return [
        _text(value)
        for value in (
            encode_id("Contact", contact.id),
            encode_id("Customer", contact.customer_id),
            external_id,
            customer,
            contact.name,
            contact.title,
            contact.email,
            contact.phone,
            contact.mobile,
            contact.fax,
            contact.notes,
            "true" if contact.is_primary else "false",
        )
    ]


async def export_locations(request: Request) -> Response:
    context: Context | None = await request_context(request)
    if context is None:
        return await unauthorized(request)
    try:
        params = LOCATION_PARAMETERS.read(request)
        filter = SimpleNamespace(
            customer_ids=params.get("customerIds"),
            sales_rep_ids=params.get("salesRepIds"),
            search=one(params, "search"),
        )
        statement = (
            locations_statement(filter)
            .add_columns(Customer.name, Customer.external_id, Staff.name)
            .outerjoin(Staff, Staff.id == Location.sales_rep_id)
            .order_by(Customer.name_key, Customer.id, Location.name_key, Location.id)
        )
    except BadUserInput as error:
        return bad_request(error)
    finally:
        await context.close()
    rows = stream_rows(context, cast(Select[Any], statement))
    return csv_response("locations.csv", LOCATION_HEADER, rows, _location_cells)


async def export_contacts(request: Request) -> Response:
    context: Context | None = await request_context(request)
    if context is None:
        return await unauthorized(request)
    try:
        params = CONTACT_PARAMETERS.read(request)
        customers = query_filter_ids(
            SimpleNamespace(customer_ids=params.get("customerIds")),
            "customer_ids",
            "Customer",
            "customerIds",
        )
    except BadUserInput as error:
        return bad_request(error)
    finally:
        await context.close()
    statement = (
        select(Contact, Customer.name, Customer.external_id)
        .join(Customer, Customer.id == Contact.customer_id)
        .order_by(
            Customer.name_key,
            Customer.id,
            Contact.is_primary.desc(),
            Contact.created_at,
            Contact.id,
        )
    )
    if customers is not None:
        statement = statement.where(Contact.customer_id.in_(customers))
    rows = stream_rows(context, cast(Select[Any], statement))
    return csv_response("contacts.csv", CONTACT_HEADER, rows, _contact_cells)


ROUTES: list[BaseRoute] = [
    Route("/export/locations.csv", export_locations, methods=["GET"]),
    Route("/export/contacts.csv", export_contacts, methods=["GET"]),
]
