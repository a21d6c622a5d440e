"""GET /export/customers.csv: the filtered, sorted customer list with the chosen columns.

Query parameters are CustomerFilter's fields (`search`, `statuses`, `billingStatuses`,
`salesRepIds`, `engagement`, `kinds`, `paymentTermsIds` (lists repeat or take commas),
`hasBalance`, `hasSalesRep`, `hasOverdueTasks` (true|false), `lastInteractionBefore=
YYYY-MM-DD`, `notContactedForDays`, `tags` (repeatable)), plus `columns=key,key`,
`sort=TOTAL_SALES,NAME` with `direction=ASC|DESC` (CustomerSortField names; `FIELD:DESC`
per item and the first release's `-totalSales` work too) and `savedViewId=ID` (a saved
view's filter, columns and sort; explicit parameters win). The first release's names
(`status`, `salesRep`, `tag`, `view`...) are still accepted; anything else is a JSON 400
listing the valid ones. The header row is the column keys.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

from starlette.datastructures import QueryParams
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
from resolvers.ids import encode_id
from resolvers.money import bp_to_percent, cents_to_decimal
from resolvers.pagination import SortKey
from resolvers.saved_views import merged_filter, view_for_list
from resolvers.views import CUSTOMER_COLUMNS, columns_by_key, sort_column, view_settings_of
from server.export_params import ExportParameters, UnknownParameters, bad_request, one, register
from server.exports import csv_response, request_context, stream_rows, unauthorized
from server.exports_book import EXTRA_CELLS, tags_cell
from server.http_errors import json_error


class BadExportRequest(Exception):
    def __init__(self, message: str, code: str = "BAD_REQUEST") -> None:
        super().__init__(message)
        self.code = code


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
            "hasSalesRep",
            "lastInteractionBefore",
            "notContactedForDays",
            "hasOverdueTasks",
            "tags",
        ),
        options=("columns", "sort", "direction", "savedViewId"),
        lists=frozenset(
            {"statuses", "billingStatuses", "salesRepIds", "engagement", "kinds", "paymentTermsIds"}
        ),
        # The first release's names, kept one more release (docs/api.md, Deprecated names).
        aliases={
            "status": "statuses",
            "billingStatus": "billingStatuses",
            "salesRep": "salesRepIds",
            "kind": "kinds",
            "paymentTerms": "paymentTermsIds",
            "tag": "tags",
            "view": "savedViewId",
        },
    ),
)
# GraphQL's names -> the names the readers below take.
_READ_AS = {
    "statuses": "status",
    "billingStatuses": "billingStatus",
    "salesRepIds": "salesRep",
    "kinds": "kind",
    "paymentTermsIds": "paymentTerms",
    "tags": "tag",
}


def _canonical(request: Request) -> tuple[dict[str, list[str]], Any]:
    """The checked parameters, and a request whose query reads them under the readers'
    names (aliases and comma lists folded in)."""
    params = PARAMETERS.read(request)
    pairs = [
        (_READ_AS.get(name, name), value) for name, values in params.items() for value in values
    ]
    return params, SimpleNamespace(query_params=QueryParams(pairs))


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
    has_sales_rep: bool | None
    last_interaction_before: date | None
    not_contacted_for_days: int | None
    has_overdue_tasks: bool | None
    tags: list[str] | None


@dataclass(frozen=True)
class ExportRow:
    customer: Customer
    sales_rep: str | None
    payment_terms: str | None
    primary_contact: str | None
    cutoff: datetime
    # Cells read by correlated subqueries, only when their columns are chosen.
    extra: dict[str, Any]


def _enums(request: Request, name: str, enum_cls: type[enum.Enum]) -> list[Any] | None:
    values = request.query_params.getlist(name)
    if not values:
        return None
    try:
        return [enum_cls(value) for value in values]
    except ValueError as error:
        allowed = ", ".join(member.value for member in enum_cls)
        raise BadExportRequest(f"Bad `{name}`: {error}. Allowed: {allowed}.") from error


def _flag(request: Request, name: str) -> bool | None:
    value = request.query_params.get(name)
    if value is None:
        return None
    if value.lower() not in ("true", "false"):
        raise BadExportRequest(f"`{name}` must be true or false.")
    return value.lower() == "true"


def _whole(request: Request, name: str) -> int | None:
    value = request.query_params.get(name)
    if value is None:
        return None
    if not value.isdigit() or len(value) > 6:
        raise BadExportRequest(f"`{name}` must be a whole number.")
    return int(value)


def _day(request: Request, name: str) -> date | None:
    value = request.query_params.get(name)
    try:
        return date.fromisoformat(value) if value else None
    except ValueError as error:
        raise BadExportRequest(f"`{name}`: not a day (YYYY-MM-DD): {value!r}.") from error


def export_filter(request: Request) -> ExportFilter:
    params = request.query_params
    return ExportFilter(
        search=params.get("search"),
        statuses=_enums(request, "status", CustomerStatus),
        billing_statuses=_enums(request, "billingStatus", BillingStatus),
        sales_rep_ids=params.getlist("salesRep") or None,
        engagement=_enums(request, "engagement", Engagement),
        kinds=_enums(request, "kind", CustomerKind),
        payment_terms_ids=params.getlist("paymentTerms") or None,
        has_balance=_flag(request, "hasBalance"),
        has_sales_rep=_flag(request, "hasSalesRep"),
        last_interaction_before=_day(request, "lastInteractionBefore"),
        not_contacted_for_days=_whole(request, "notContactedForDays"),
        has_overdue_tasks=_flag(request, "hasOverdueTasks"),
        tags=params.getlist("tag") or None,
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
    if isinstance(value, datetime | date):
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
    "tags": lambda r: tags_cell(r.extra["tags"]),
    "lastInteractionAt": lambda r: r.customer.last_interaction_at,
    "nextTask": lambda r: r.extra["nextTask"],
    "nextTaskDueOn": lambda r: r.extra["nextTaskDueOn"],
    "id": lambda r: encode_id("Customer", r.customer.id),
    "externalId": lambda r: r.customer.external_id,
}
if set(CELLS) != {column.key for column in CUSTOMER_COLUMNS}:
    raise RuntimeError("Every customer list column needs exactly one CSV cell.")


def chosen_columns(request: Request, saved: list[str]) -> list[str]:
    raw = request.query_params.get("columns")
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
    keys (`-totalSales`, the first release's form); `direction` applies to items that name
    none."""
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


async def _choices(request: Request, context: Any) -> tuple[Any, list[str], list[SortKey]]:
    """(filter, columns, sort keys): the parameters over the saved view (if any) over the
    viewer's view settings."""
    params, request = _canonical(request)
    filter: Any = export_filter(request)
    settings = await view_settings_of(context, context.session, ListView.CUSTOMERS)
    columns, sort = settings.columns, settings.sort
    view_id = request.query_params.get("savedViewId")
    if view_id:
        try:
            view = await view_for_list(context, view_id, ListView.CUSTOMERS)
        except BadUserInput as error:
            raise BadExportRequest(str(error), error.code) from error
        filter = merged_filter(view, filter)
        columns = list(view.columns) or columns
        sort = list(view.sort) or sort
    return filter, chosen_columns(request, columns), chosen_sort(params, sort)


async def export_customers(request: Request) -> Response:
    context = await request_context(request)
    if context is None:
        return await unauthorized(request)
    try:
        filter, columns, keys = await _choices(request, context)
        extras = [key for key in EXTRA_CELLS if key in columns]
        statement = customer_export_statement(context, filter, keys).add_columns(
            *(EXTRA_CELLS[key](context) for key in extras)
        )
    except UnknownParameters as error:
        return bad_request(error)
    except BadExportRequest as error:
        status = 404 if error.code == "NOT_FOUND" else 400
        return json_error(status, error.code, str(error))
    except UserInputError as error:
        return json_error(400, "BAD_REQUEST", str(error))
    finally:
        await context.close()

    cutoff = engagement_cutoff(context.viewer.company_timezone)
    cells = [CELLS[key] for key in columns]

    def to_cells(row: Any) -> Iterable[Any]:
        export_row = ExportRow(
            row[0], row[1], row[2], row[3], cutoff, dict(zip(extras, row[4:], strict=True))
        )
        return [_text(cell(export_row)) for cell in cells]

    return csv_response(
        "customers.csv",
        # The column keys, as the API names the fields: what customersImport reads back.
        columns,
        stream_rows(context, statement),
        to_cells,
    )


ROUTES: list[BaseRoute] = [Route("/export/customers.csv", export_customers, methods=["GET"])]
