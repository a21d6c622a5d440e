"""The columns a customers CSV may carry: the export's column keys, parsed back.

Writable columns become customer values; the export's computed columns (stats,
engagement, the primary contact's name) are accepted and ignored, so an export
imports back unchanged. References are read as the export writes them: the sales
rep by name (or e-mail), the payment terms by name.
"""

from __future__ import annotations

import decimal
import enum
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from db.enums import (
    BasisDate,
    BillingStatus,
    CustomerKind,
    CustomerStatus,
    ProductDisplay,
    ShippingMethod,
)
from resolvers.errors import ErrorCollector, UserErrorCode, UserInputError
from resolvers.money import percent_to_bp
from resolvers.validation import clean_email, clean_phone, clean_text, clean_website

# Cells the export prefixed with ' so spreadsheets don't run them (CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# Columns of the export that are computed: read, never written.
READ_ONLY = frozenset(
    {
        "primaryContact",
        "orderCount",
        "totalSales",
        "averageOrderTotal",
        "lastOrderAt",
        "engagement",
        "balance",
        "createdAt",
    }
)


@dataclass(frozen=True)
class References:
    """Staff and payment terms of the company, by what the export writes for them."""

    staff: dict[str, int]
    terms: dict[str, int]


Parse = Callable[[ErrorCollector, str, str, References], Any]


def _text(max_length: int) -> Parse:
    return lambda errors, key, value, _refs: clean_text(errors, key, value, max_length=max_length)


def _enum(enum_cls: type[enum.Enum]) -> Parse:
    def parse(errors: ErrorCollector, key: str, value: str, _refs: References) -> Any:
        try:
            return enum_cls(value.strip().upper())
        except ValueError:
            allowed = ", ".join(member.value for member in enum_cls)
            errors.add(key, f"Not one of {allowed}: {value!r}.", UserErrorCode.INVALID)
            return None

    return parse


def _percent(errors: ErrorCollector, key: str, value: str, _refs: References) -> Any:
    try:
        return percent_to_bp(decimal.Decimal(value.strip().rstrip("%")), key)
    except decimal.InvalidOperation:
        errors.add(key, f"Not a percentage: {value!r}.", UserErrorCode.INVALID)
    except UserInputError as error:
        errors.errors.extend(error.errors)
    return None


def _country(errors: ErrorCollector, key: str, value: str, _refs: References) -> Any:
    code = value.strip().upper()
    if len(code) != 2 or not code.isalpha():
        errors.add(key, f"Not a two-letter country code: {value!r}.", UserErrorCode.INVALID)
    return code


def _reference(kind: str) -> Parse:
    def parse(errors: ErrorCollector, key: str, value: str, refs: References) -> Any:
        table = refs.staff if kind == "staff" else refs.terms
        found = table.get(value.strip().casefold())
        if found is None:
            what = "active staff member" if kind == "staff" else "payment terms"
            errors.add(key, f"No {what} called {value.strip()!r}.", UserErrorCode.NOT_FOUND)
        return found

    return parse


@dataclass(frozen=True)
class ImportField:
    key: str
    column: str
    parse: Parse


CUSTOMER_FIELDS: tuple[ImportField, ...] = (
    ImportField("externalId", "external_id", _text(100)),
    ImportField("name", "name", _text(200)),
    ImportField("kind", "kind", _enum(CustomerKind)),
    ImportField("status", "status", _enum(CustomerStatus)),
    ImportField("billingStatus", "billing_status", _enum(BillingStatus)),
    ImportField("salesRep", "sales_rep_id", _reference("staff")),
    ImportField("email", "email", lambda e, k, v, _r: clean_email(e, k, v)),
    ImportField("phone", "phone", lambda e, k, v, _r: clean_phone(e, k, v)),
    ImportField("mobile", "mobile", lambda e, k, v, _r: clean_phone(e, k, v)),
    ImportField("fax", "fax", lambda e, k, v, _r: clean_phone(e, k, v)),
    ImportField("website", "website", lambda e, k, v, _r: clean_website(e, k, v)),
    ImportField("paymentTerms", "payment_terms_id", _reference("terms")),
    ImportField("discountPercent", "discount_bp", _percent),
    ImportField("basisDate", "basis_date", _enum(BasisDate)),
    ImportField("defaultShippingMethod", "default_shipping_method", _enum(ShippingMethod)),
    ImportField("productDisplay", "product_display", _enum(ProductDisplay)),
    ImportField("billingCity", "billing_city", _text(100)),
    ImportField("billingRegion", "billing_region", _text(100)),
    ImportField("billingCountry", "billing_country", _country),
    ImportField("shippingCity", "shipping_city", _text(100)),
)
FIELDS_BY_KEY = {field.key: field for field in CUSTOMER_FIELDS}
FIELDS_BY_COLUMN = {field.column: field for field in CUSTOMER_FIELDS}
KNOWN_HEADERS = frozenset({"id", *FIELDS_BY_KEY, *READ_ONLY})


def unquote(cell: str) -> str:
    """A cell as typed: without the ' the export put before formula-like text."""
    if cell.startswith("'") and cell[1:2] in FORMULA_START and cell[1:2]:
        return cell[1:]
    return cell


def row_values(errors: ErrorCollector, row: dict[str, str], refs: References) -> dict[str, Any]:
    """Column -> value for the non-empty writable cells of one row; problems in `errors`.

    An empty cell leaves the stored value as it is (for an update) or the default.
    """
    values: dict[str, Any] = {}
    for key, raw in row.items():
        field = FIELDS_BY_KEY.get(key)
        if field is None or raw is None:
            continue
        cell = unquote(raw)
        if not cell.strip():
            continue
        values[field.column] = field.parse(errors, key, cell, refs)
    return values
