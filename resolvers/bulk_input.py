"""Bulk updates' input: the values to set, checked all at once, and the listed ids."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from db.enums import BasisDate, BillingStatus
from db.models import (
    PaymentTerms,
    Staff,
)
from resolvers.allocation import money_cents
from resolvers.errors import ErrorCollector, UserErrorCode, UserInputError
from resolvers.ids import parse_id, parse_ids

# Most ids one request may list; larger sets go through a filter.
MAX_BULK_IDS = 10_000


async def _active_rep(session: AsyncSession, errors: ErrorCollector, value: str) -> int | None:
    pk = parse_id(value, "Staff", (*errors.prefix, "salesRepId"))
    staff = await session.get(Staff, pk)
    if staff is None:
        errors.add("salesRepId", "No such staff member.", UserErrorCode.NOT_FOUND)
    elif not staff.active:
        errors.add(
            "salesRepId",
            f"{staff.name} is inactive and cannot be assigned as sales rep.",
            UserErrorCode.INACTIVE_STAFF,
        )
    return pk


async def customer_values(
    session: AsyncSession, set_input: Any, errors: ErrorCollector, *, tags: bool = False
) -> dict[str, Any]:
    """Column -> new value from `input.set` of customersBulkUpdate; userErrors if bad
    (`tags`: the set also edits tags, so it may hold no column)."""
    values: dict[str, Any] = await _sales_rep_value(session, set_input, errors)
    if set_input.payment_terms_id is not None:
        pk = parse_id(
            set_input.payment_terms_id, "PaymentTerms", ("input", "set", "paymentTermsId")
        )
        if await session.get(PaymentTerms, pk) is None:
            errors.add("paymentTermsId", "No such payment terms.", UserErrorCode.NOT_FOUND)
        values["payment_terms_id"] = pk
    if set_input.billing_status is not None:
        values["billing_status"] = BillingStatus(set_input.billing_status.value)
    if set_input.basis_date is not None:
        values["basis_date"] = BasisDate(set_input.basis_date.value)
    values.update(_credit_limit_value(set_input, errors))
    if not values and not errors and not tags:
        errors.add(None, "Nothing to change: set at least one field.", UserErrorCode.REQUIRED)
    errors.raise_if_any()
    return values


async def _sales_rep_value(
    session: AsyncSession, set_input: Any, errors: ErrorCollector
) -> dict[str, Any]:
    """salesRepId (an active rep) or clearSalesRep, not both."""
    if set_input.sales_rep_id is not None and set_input.clear_sales_rep:
        errors.add(None, "Give salesRepId or clearSalesRep, not both.", UserErrorCode.INVALID)
    elif set_input.sales_rep_id is not None:
        return {"sales_rep_id": await _active_rep(session, errors, set_input.sales_rep_id)}
    elif set_input.clear_sales_rep:
        return {"sales_rep_id": None}
    return {}


def _credit_limit_value(set_input: Any, errors: ErrorCollector) -> dict[str, Any]:
    """creditLimit (a decimal string, at least 0) or clearCreditLimit, not both."""
    clear_limit = getattr(set_input, "clear_credit_limit", False)
    if set_input.credit_limit is not None and clear_limit:
        errors.add(None, "Give creditLimit or clearCreditLimit, not both.", UserErrorCode.INVALID)
    elif set_input.credit_limit is not None:
        cents = money_cents(
            errors, ("creditLimit",), set_input.credit_limit, "Credit limit", Decimal(0)
        )
        if cents is not None:
            return {"credit_limit_cents": cents}
    elif clear_limit:
        return {"credit_limit_cents": None}
    return {}


async def location_values(session: AsyncSession, set_input: Any) -> dict[str, Any]:
    """Column -> new value from `input.set` of locationsBulkUpdate; userErrors if bad."""
    errors = ErrorCollector(("input", "set"))
    if (set_input.sales_rep_id is not None) == bool(set_input.inherit_sales_rep):
        errors.add(
            None,
            "Give exactly one of salesRepId (an override) or inheritSalesRep: true.",
            UserErrorCode.INVALID if set_input.sales_rep_id is not None else UserErrorCode.REQUIRED,
        )
        errors.raise_if_any()
    rep = None
    if set_input.sales_rep_id is not None:
        rep = await _active_rep(session, errors, set_input.sales_rep_id)
    errors.raise_if_any()
    return {"sales_rep_id": rep}


def ids_input(ids: list[str] | None, type_name: str) -> list[int]:
    """Distinct pks of `input.ids`; userErrors when empty, too many or malformed."""
    if not ids:
        raise UserInputError.one(("input", "ids"), "Give at least one id.", UserErrorCode.REQUIRED)
    if len(ids) > MAX_BULK_IDS:
        raise UserInputError.one(
            ("input", "ids"),
            f"At most {MAX_BULK_IDS} ids at once ({len(ids)} given); use a filter.",
            UserErrorCode.OUT_OF_RANGE,
        )
    return parse_ids(ids, type_name, ("input", "ids"))
