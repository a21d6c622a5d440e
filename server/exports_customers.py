"""GET /export/customers.csv: the filtered, sorted customer list with the chosen columns.

Query parameters are CustomerFilter's fields (`search`, `statuses`, `billingStatuses`,
`salesRepIds`, `engagement`, `kinds`, `paymentTermsIds`, `hasBalance=true|false`; lists
repeat or take commas), plus `columns=key,key` and `sort=TOTAL_SALES,NAME` with
`direction=ASC|DESC` (CustomerSortField names as in `customers(sort:)`; `FIELD:DESC`
per item, and the older `-totalSales` column-key form, work too). Columns and sort
default to the viewer's view settings. The header row is the column keys.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from db.enums import (
    BillingStatus,
    CustomerKind,
    CustomerStatus,
    Engagement,
    ListView,
)
from db.models import Customer
from resolvers.customer_export import customer_export_statement
from resolvers.customers import (
    SORT_EXPRESSIONS,
    average_order_cents,
    engagement_cutoff,
    engagement_of,
)
from resolvers.errors import BadUserInput, UserInputError
from resolvers.money import bp_to_percent, cents_to_decimal
from resolvers.pagination import SortKey
from resolvers.views import CUSTOMER_COLUMNS, columns_by_key, sort_column, view_settings_of
from server.export_params import ExportParameters, bad_request, one, register
from server.exports import csv_response, request_context, stream_rows, unauthorized

PARAMETERS = register(
    "/export/customers.csv",
    ExportParameters(
        mirrors="CustomerFilter",
        graphql=(
            "search",
            "statuses",
            "billingStatuses",
            "salesRepIds",
            "engagement",
            "kinds",
            "paymentTermsIds",
            "hasBalance",
        ),
        options=("columns", "sort", "direction"),
        lists=frozenset(
            {"statuses", "billingStatuses", "salesRepIds", "engagement", "kinds", "paymentTermsIds"}
        ),
        # The first release's names, kept one more release (docs/api.md, Deprecated).
        aliases={
            "status": "statuses",
            "billingStatus": "billingStatuses",
            "salesRep": "salesRepIds",
            "kind": "kinds",
            "paymentTerms": "paymentTermsIds",
        },
    ),
)


class BadExportRequest(BadUserInput):
    def __init__(self, message: str) -> None:
        super().__init__(message, "BAD_REQUEST")


@dataclass(frozen=True)
class ExportFilter:
    """A CustomerFilter read from query parameters (the attributes filter_statement reads)."""

    search: str | None
    statuses: list[CustomerStatus] | None
    billing_statuses: list[BillingStatus] | None
    sales_rep_ids: list[str] | None
    engagement: list[Engagement] | None
    kinds: list[CustomerKind] | None
    payment_terms_ids: list[str] | None
    has_balance: bool | None


@dataclass(frozen=True)
class ExportRow:
    customer: Customer
    sales_rep: str | None
    payment_terms: str | None
    primary_contact: str | None
    cutoff: datetime


def _enums(params: dict[str, list[str]], name: str, enum_cls: type[enum.Enum]) -> list[Any] | None:
    values = [value.upper() for value in params.get(name, [])]
    if not values:
        return None
    try:
        return [enum_cls(value) for value in values]
    except ValueError as error:
        allowed = ", ".join(member.value for member in enum_cls)
        raise BadExportRequest(f"Bad `{name}`: {error}. Allowed: {allowed}.") from error


def _has_balance(params: dict[str, list[str]]) -> bool | None:
    value = one(params, "hasBalance")
    if value is None:
        return None
    if value.lower() not in ("true", "false"):
        raise BadExportRequest("`hasBalance` must be true or false.")
    return value.lower() == "true"


def export_filter(params: dict[str, list[str]]) -> ExportFilter:
    return ExportFilter(
        search=one(params, "search"),
        statuses=_enums(params, "statuses", CustomerStatus),
        billing_statuses=_enums(params, "billingStatuses", BillingStatus),
        sales_rep_ids=params.get("salesRepIds"),
        engagement=_enums(params, "engagement", Engagement),
        kinds=_enums(params, "kinds", CustomerKind),
        payment_terms_ids=params.get("paymentTermsIds"),
        has_balance=_has_balance(params),
    )


# Spreadsheets run cells starting like this as formulas (CSV injection); phone numbers
# such as "+1 555 0100" are left alone.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
PHONE_LIKE = re.compile(r"^[+-]?[0-9 ().\-/x]+$")


def _text(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, str):
        if value.startswith(FORMULA_START) and not PHONE_LIKE.match(value):
            return "'" + value
        return value
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _average(customer: Customer) -> Decimal | None:
    cents = average_order_cents(customer.total_sales_cents, customer.order_count)
    return None if cents is None else cents_to_decimal(cents)


# Column key -> its cell; every column of the customer list has one.
CELLS: dict[str, Callable[[ExportRow], Any]] = {
    "name": lambda r: r.customer.name,
    "kind": lambda r: r.customer.kind,
    "status": lambda r: r.customer.status,
    "billingStatus": lambda r: r.customer.billing_status,
    "salesRep": lambda r: r.sales_rep,
    "primaryContact": lambda r: r.primary_contact,
    "email": lambda r: r.customer.email,
    "phone": lambda r: r.customer.phone,
    "mobile": lambda r: r.customer.mobile,
    "fax": lambda r: r.customer.fax,
    "website": lambda r: r.customer.website,
    "paymentTerms": lambda r: r.payment_terms,
    "discountPercent": lambda r: bp_to_percent(r.customer.discount_bp),
    "basisDate": lambda r: r.customer.basis_date,
    "defaultShippingMethod": lambda r: r.customer.default_shipping_method,
    "productDisplay": lambda r: r.customer.product_display,
    "billingCity": lambda r: r.customer.billing_city,
    "billingRegion": lambda r: r.customer.billing_region,
    "billingCountry": lambda r: r.customer.billing_country,
    "shippingCity": lambda r: r.customer.shipping_city,
    "orderCount": lambda r: r.customer.order_count,
    "totalSales": lambda r: cents_to_decimal(r.customer.total_sales_cents),
    "averageOrderTotal": lambda r: _average(r.customer),
    "lastOrderAt": lambda r: r.customer.last_order_at,
    "engagement": lambda r: engagement_of(r.customer.last_order_at, r.cutoff),
    "balance": lambda r: cents_to_decimal(r.customer.balance_cents),
    "createdAt": lambda r: r.customer.created_at,
}
if set(CELLS) != {column.key for column in CUSTOMER_COLUMNS}:
    raise RuntimeError("Every customer list column needs exactly one CSV cell.")


def chosen_columns(params: dict[str, list[str]], saved: list[str]) -> list[str]:
    raw = ",".join(params["columns"]) if "columns" in params else None
    if raw is None:
        return saved
    keys = [key.strip() for key in raw.split(",") if key.strip()]
    known = columns_by_key(ListView.CUSTOMERS)
    unknown = [key for key in keys if key not in known]
    if unknown:
        raise BadExportRequest(f"Unknown columns: {', '.join(unknown)}. Known: {', '.join(known)}.")
    if not keys:
        raise BadExportRequest("`columns` names no column.")
    return keys


def _direction(value: str | None, name: str) -> str | None:
    if value is None:
        return None
    if value.upper() not in ("ASC", "DESC"):
        raise BadExportRequest(f"`{name}` must be ASC or DESC, not {value!r}.")
    return value.upper()


def chosen_sort(params: dict[str, list[str]], saved: list[dict[str, str]]) -> list[SortKey]:
    """`sort` items as CustomerSortField names (`TOTAL_SALES`, `TOTAL_SALES:DESC`) or column
    keys (`-totalSales`); `direction` applies to items that name none."""
    default = _direction(one(params, "direction"), "direction") or "ASC"
    items = []
    for raw in (part.strip() for value in params.get("sort", []) for part in value.split(",")):
        if not raw:
            continue
        field, _, direction = raw.partition(":")
        if field.startswith("-"):
            field, direction = field[1:], "DESC"
        items.append(
            {"field": field, "direction": _direction(direction or None, "sort") or default}
        )
    if "sort" not in params:
        items = saved
    keys: list[SortKey] = []
    for item in items:
        column = sort_column(ListView.CUSTOMERS, item["field"])
        if column is None or column.sort_field is None:
            valid = [c.sort_field.value for c in CUSTOMER_COLUMNS if c.sort_field is not None]
            raise BadExportRequest(
                f"Cannot sort customers by {item['field']!r}; sort by one of {', '.join(valid)} "
                "(with direction=ASC|DESC or FIELD:DESC)."
            )
        keys.append(SortKey(SORT_EXPRESSIONS[column.sort_field], item["direction"] == "DESC"))
    return keys or [SortKey(Customer.name_key)]


async def export_customers(request: Request) -> Response:
    context = await request_context(request)
    if context is None:
        return await unauthorized(request)
    try:
        params = PARAMETERS.read(request)
        filter = export_filter(params)
        settings = await view_settings_of(context, context.session, ListView.CUSTOMERS)
        columns = chosen_columns(params, settings.columns)
        keys = chosen_sort(params, settings.sort)
        statement = customer_export_statement(context, filter, keys)
    except BadUserInput as error:
        return bad_request(error)
    except UserInputError as error:
        return bad_request(BadUserInput(str(error), "BAD_REQUEST"))
    finally:
        await context.close()

    cutoff = engagement_cutoff(context.viewer.company_timezone)
    cells = [CELLS[key] for key in columns]

    def to_cells(row: Any) -> Iterable[Any]:
        export_row = ExportRow(row[0], row[1], row[2], row[3], cutoff)
        return [_text(cell(export_row)) for cell in cells]

    return csv_response(
        "customers.csv",
        # Column keys, as every export's header (and what an import reads back).
        columns,
        stream_rows(context, statement),
        to_cells,
    )


ROUTES: list[BaseRoute] = [Route("/export/customers.csv", export_customers, methods=["GET"])]
