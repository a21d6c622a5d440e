"""Customers: lookups, the list (filter and sort), and profile mutations."""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import SQLColumnExpression
from strawberry import UNSET

from db.enums import CustomerStatus, Engagement
from db.models import Company, Customer, PaymentTerms, Staff, utcnow
from resolvers.audit import apply_changes, creation_changes, record
from resolvers.credit import credit_limit_audit, credit_limit_values

# Re-exported: schema/customers.py, the export and the reports read them from here.
from resolvers.customer_stats import AVERAGE_ORDER_CENTS, engagement_cutoff
from resolvers.customer_stats import average_order_cents as average_order_cents
from resolvers.customer_stats import engagement_of as engagement_of
from resolvers.errors import BadUserInput, ErrorCollector, UserErrorCode, UserInputError
from resolvers.ids import parse_id, parse_ids, query_id
from resolvers.ledger import load_overdue_cents, overdue_cents_of
from resolvers.loaders import load_customer, load_payment_terms, prime_staff, rows_by_id
from resolvers.money import percent_to_bp
from resolvers.pagination import Page, PageArgs, SortKey, paginate_for
from resolvers.sales_rollup import customer_rep_changes
from resolvers.segments import segment_conditions
from resolvers.tags import replace_tags, tag_values
from resolvers.text import fold, like_pattern, name_key
from resolvers.validation import (
    check_version,
    clean_email,
    clean_phone,
    clean_text,
    clean_website,
    search_term,
)

if TYPE_CHECKING:
    from resolvers.context import Context

# Stands in for "never ordered" in sort keys: keyset pagination needs non-null values.
NEVER = datetime(1970, 1, 1, tzinfo=UTC)

# Enum-valued profile fields: input attribute == column name.
ENUM_FIELDS = (
    "kind",
    "status",
    "billing_status",
    "basis_date",
    "default_shipping_method",
    "product_display",
)
ADDRESS_LIMITS = {
    "line1": 200,
    "line2": 200,
    "city": 100,
    "region": 100,
    "postal_code": 20,
    "country": 2,
}


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.capitalize() for part in rest)


# ---------------------------------------------------------------------------
# Lookups
# ---------------------------------------------------------------------------


async def customer_by_global_id(
    context: Context, id: str, *, with_overdue: bool = False
) -> Customer | None:
    """One customer, read with its sales rep and payment terms (one statement, priming
    their loaders); `with_overdue` adds the overdue amount for `balance.overdueAmount`."""
    pk = query_id(id, "Customer", "id")
    statement = (
        select(Customer, Staff, PaymentTerms)
        .outerjoin(Staff, Staff.id == Customer.sales_rep_id)
        .outerjoin(PaymentTerms, PaymentTerms.id == Customer.payment_terms_id)
        .where(Customer.id == pk)
    )
    if with_overdue:
        statement = statement.add_columns(overdue_cents_of(context.viewer, Customer.id))
    row = (await context.session.execute(statement)).first()
    if row is None:
        return None
    customer, rep, terms = row[:3]
    context.loaders[load_customer].prime(customer.id, customer)
    prime_staff(context, [rep])
    if terms is not None:
        context.loaders[load_payment_terms].prime(terms.id, terms)
    if with_overdue:
        context.loaders[load_overdue_cents].prime(customer.id, int(row[3]))
    return customer


async def load_companies(context: Context, ids: Sequence[int]) -> list[Company | None]:
    return await rows_by_id(context, Company, ids)


async def company_allows_partial_payments(context: Context) -> bool:
    # Through a loader: one statement for a whole page of customers.
    company = await context.loaders[load_companies].load(context.viewer.company_id)
    return bool(company and company.allow_partial_payments)


async def assigned_customers_page(context: Context, staff_id: int, args: PageArgs) -> Any:
    statement = select(Customer).where(Customer.sales_rep_id == staff_id)
    return await paginate_for(context, statement, [SortKey(Customer.name_key)], Customer.id, args)


# ---------------------------------------------------------------------------
# Stats (denormalised columns; see CONTRIBUTING.md)
# ---------------------------------------------------------------------------


# engagement_cutoff, engagement_of, average_order_cents and AVERAGE_ORDER_CENTS live in
# resolvers/customer_stats.py; imported above, so `resolvers.customers.X` still works.


# ---------------------------------------------------------------------------
# The list: filter and sort
# ---------------------------------------------------------------------------


class CustomerSortField(enum.StrEnum):
    NAME = "NAME"
    CREATED_AT = "CREATED_AT"
    TOTAL_SALES = "TOTAL_SALES"
    ORDER_COUNT = "ORDER_COUNT"
    AVERAGE_ORDER_TOTAL = "AVERAGE_ORDER_TOTAL"
    LAST_ORDER_AT = "LAST_ORDER_AT"
    BALANCE = "BALANCE"
    LAST_INTERACTION_AT = "LAST_INTERACTION_AT"


SORT_EXPRESSIONS: dict[CustomerSortField, SQLColumnExpression[Any]] = {
    CustomerSortField.NAME: Customer.name_key,
    CustomerSortField.CREATED_AT: Customer.created_at,
    CustomerSortField.TOTAL_SALES: Customer.total_sales_cents,
    CustomerSortField.ORDER_COUNT: Customer.order_count,
    CustomerSortField.AVERAGE_ORDER_TOTAL: AVERAGE_ORDER_CENTS,
    CustomerSortField.LAST_ORDER_AT: func.coalesce(Customer.last_order_at, NEVER),
    CustomerSortField.BALANCE: Customer.balance_cents,
    # Never contacted first when ascending.
    CustomerSortField.LAST_INTERACTION_AT: func.coalesce(Customer.last_interaction_at, NEVER),
}


def _value(filter: Any, name: str) -> Any:
    value = getattr(filter, name, None) if filter is not None else None
    return None if value is UNSET else value


def filter_statement(
    context: Context, filter: Any, field: Sequence[str] = ("filter",)
) -> Select[Any]:
    """`select(Customer)` narrowed by a CustomerFilter (any object with its attributes).

    Archived customers are left out unless `statuses` asks for ARCHIVED. Ids in the
    filter that are malformed or of the wrong type raise UserInputError on `field`;
    ids of other companies simply match nothing.
    """
    statement = select(Customer)
    statuses = _value(filter, "statuses")
    if statuses:
        statement = statement.where(Customer.status.in_([CustomerStatus(s) for s in statuses]))
    else:
        statement = statement.where(Customer.status != CustomerStatus.ARCHIVED)
    search = search_term(_value(filter, "search"))
    if search and search.strip():
        statement = statement.where(
            Customer.name_key.like(like_pattern(fold(search.strip())), escape="\\")
        )
    billing_statuses = _value(filter, "billing_statuses")
    if billing_statuses:
        statement = statement.where(Customer.billing_status.in_(billing_statuses))
    kinds = _value(filter, "kinds")
    if kinds:
        statement = statement.where(Customer.kind.in_(kinds))
    rep_ids = _value(filter, "sales_rep_ids")
    if rep_ids is not None:
        pks = parse_ids(rep_ids, "Staff", (*field, "salesRepIds"))
        statement = statement.where(Customer.sales_rep_id.in_(pks))
    terms_ids = _value(filter, "payment_terms_ids")
    if terms_ids is not None:
        pks = parse_ids(terms_ids, "PaymentTerms", (*field, "paymentTermsIds"))
        statement = statement.where(Customer.payment_terms_id.in_(pks))
    engagement = _value(filter, "engagement")
    if engagement:
        cutoff = engagement_cutoff(context.viewer.company_timezone)
        conditions = {
            Engagement.ENGAGED: Customer.last_order_at >= cutoff,
            Engagement.LAPSED: Customer.last_order_at < cutoff,
            Engagement.NEVER_ORDERED: Customer.last_order_at.is_(None),
        }
        statement = statement.where(or_(*(conditions[Engagement(e)] for e in engagement)))
    has_balance = _value(filter, "has_balance")
    if has_balance is not None:
        statement = statement.where(
            Customer.balance_cents > 0 if has_balance else Customer.balance_cents <= 0
        )
    return segment_conditions(statement, filter, context.viewer.company_timezone, tuple(field))


def sort_keys(sort: Sequence[Any] | None) -> list[SortKey]:
    """Sort keys for `[CustomerSort]` (objects with `field` and `direction`); default by name."""
    keys: list[SortKey] = []
    seen: set[CustomerSortField] = set()
    for item in sort or []:
        sort_field = CustomerSortField(item.field.value)
        if sort_field in seen:
            continue
        seen.add(sort_field)
        descending = str(getattr(item.direction, "value", item.direction)) == "DESC"
        keys.append(SortKey(SORT_EXPRESSIONS[sort_field], descending))
    return keys or [SortKey(Customer.name_key)]


def query_filter_ids(filter: Any, attribute: str, type_name: str, field: str) -> list[int] | None:
    """Pks of a list-of-ids filter field of a query; malformed ids are a request error."""
    values = _value(filter, attribute)
    if values is None:
        return None
    try:
        return parse_ids(values, type_name, ("filter", field))
    except UserInputError as error:
        raise BadUserInput(str(error), code=UserErrorCode.INVALID_ID.value) from error


def query_filter(context: Context, filter: Any) -> Select[Any]:
    """filter_statement for a query: bad ids are a request error, not a crash."""
    try:
        return filter_statement(context, filter)
    except UserInputError as error:
        raise BadUserInput(str(error), code=error.errors[0].code.value) from error


async def customers_page(
    context: Context, args: PageArgs, filter: Any, sort: Sequence[Any] | None
) -> Page[Customer]:
    statement = query_filter(context, filter)
    return await paginate_for(context, statement, sort_keys(sort), Customer.id, args)


# ---------------------------------------------------------------------------
# Profile mutations
# ---------------------------------------------------------------------------


def address_values(errors: ErrorCollector, field: str, prefix: str, address: Any) -> dict[str, Any]:
    """Address columns (`prefix` + part) from an AddressInput; omitted parts are cleared."""
    values: dict[str, Any] = {}
    for part, limit in ADDRESS_LIMITS.items():
        raw = getattr(address, part) if address is not None else None
        text = clean_text(
            errors,
            (field, camel(part)),
            raw,
            max_length=limit,
            label=part.replace("_", " "),
        )
        if part == "country" and text:
            text = text.upper()
            if len(text) <= 2 and not (len(text) == 2 and text.isalpha()):
                errors.add(
                    (field, "country"),
                    f"Country must be a two-letter ISO code, not {text!r}.",
                    UserErrorCode.INVALID,
                )
        values[prefix + part] = text
    return values


def _profile_values(errors: ErrorCollector, input: Any, *, creating: bool) -> dict[str, Any]:
    """Column values from a create or update input; UNSET fields are left out."""

    def given(name: str) -> bool:
        return getattr(input, name, UNSET) is not UNSET

    # In input order, so the userErrors come in the order of the fields.
    return {
        **_contact_values(errors, input, given, creating=creating),
        **_discount_values(errors, input, given),
        **_setting_values(errors, input, given, creating=creating),
    }


def _contact_values(
    errors: ErrorCollector, input: Any, given: Callable[[str], bool], *, creating: bool
) -> dict[str, Any]:
    """name (required on create), email, phones and website."""
    values: dict[str, Any] = {}
    if creating or given("name"):
        name = clean_text(errors, "name", input.name, required=True)
        if name:
            values["name"] = name
            values["name_key"] = name_key(name)
    if given("email"):
        values["email"] = clean_email(errors, "email", input.email)
    for phone_field in ("phone", "mobile", "fax"):
        if given(phone_field):
            values[phone_field] = clean_phone(errors, phone_field, getattr(input, phone_field))
    if given("website"):
        values["website"] = clean_website(errors, "website", input.website)
    return values


def _discount_values(
    errors: ErrorCollector, input: Any, given: Callable[[str], bool]
) -> dict[str, Any]:
    """discountPercent as basis points; null clears it to 0."""
    if not given("discount_percent"):
        return {}
    if input.discount_percent is None:
        return {"discount_bp": 0}
    bp = errors.collect(percent_to_bp, input.discount_percent, ("input", "discountPercent"))
    return {} if bp is None else {"discount_bp": bp}


def _setting_values(
    errors: ErrorCollector, input: Any, given: Callable[[str], bool], *, creating: bool
) -> dict[str, Any]:
    """The enum settings (null refused on update), allowPartialPayments, the addresses."""
    values: dict[str, Any] = {}
    for enum_field in ENUM_FIELDS:
        if given(enum_field):
            value = getattr(input, enum_field)
            if value is not None:
                values[enum_field] = value
            elif not creating:
                errors.add(
                    camel(enum_field),
                    f"{camel(enum_field)} cannot be empty.",
                    UserErrorCode.REQUIRED,
                )
    if given("allow_partial_payments"):
        values["allow_partial_payments"] = input.allow_partial_payments
    for prefix in ("billing_", "shipping_"):
        attribute = prefix + "address"
        if given(attribute):
            values.update(
                address_values(errors, camel(attribute), prefix, getattr(input, attribute))
            )
    return values


async def check_sales_rep(
    session: AsyncSession, errors: ErrorCollector, value: str, field: str = "salesRepId"
) -> int | None:
    """The pk of an active staff member of the viewer's company, else a userError."""
    pk = errors.collect(parse_id, value, "Staff", (*errors.prefix, field))
    if pk is None:
        return None
    staff = await session.get(Staff, pk)
    if staff is None:
        errors.add(field, "No such staff member in your company.", UserErrorCode.NOT_FOUND)
        return None
    if not staff.active:
        errors.add(
            field,
            f"{staff.name} is inactive and cannot be a sales rep.",
            UserErrorCode.INACTIVE_STAFF,
        )
        return None
    return pk


async def _reference_values(
    session: AsyncSession, errors: ErrorCollector, input: Any
) -> dict[str, Any]:
    values: dict[str, Any] = {}
    terms_id = getattr(input, "payment_terms_id", UNSET)
    if terms_id is not UNSET:
        if terms_id is None:
            values["payment_terms_id"] = None
        else:
            pk = errors.collect(parse_id, terms_id, "PaymentTerms", ("input", "paymentTermsId"))
            if pk is not None:
                if await session.get(PaymentTerms, pk) is None:
                    errors.add(
                        "paymentTermsId",
                        "No such payment terms in your company.",
                        UserErrorCode.NOT_FOUND,
                    )
                else:
                    values["payment_terms_id"] = pk
    rep_id = getattr(input, "sales_rep_id", UNSET)
    if rep_id is not UNSET:
        if rep_id is None:
            values["sales_rep_id"] = None
        else:
            pk = await check_sales_rep(session, errors, rep_id)
            if pk is not None:
                values["sales_rep_id"] = pk
    return values


async def get_customer(session: AsyncSession, id: str, field: Sequence[str] = ("id",)) -> Customer:
    """The viewer's customer with global id `id`, else a userError on `field`."""
    pk = parse_id(id, "Customer", field)
    customer = await session.get(Customer, pk)
    if customer is None:
        raise UserInputError.one(field, "No such customer.", UserErrorCode.NOT_FOUND)
    return customer


async def customer_create(context: Context, input: Any) -> dict[str, Any]:
    viewer = context.viewer
    errors = ErrorCollector()
    values = _profile_values(errors, input, creating=True)
    values.update(credit_limit_values(errors, viewer, input, creating=True))
    tags = tag_values(errors, input)
    async with context.transaction() as session:
        values.update(await _reference_values(session, errors, input))
        errors.raise_if_any()
        customer = Customer(company_id=viewer.company_id, **values)
        session.add(customer)
        await session.flush()
        changes = credit_limit_audit(creation_changes(values))
        changes.update(await replace_tags(session, customer, tags or []))
        record(session, viewer, "customer.create", customer, changes, customer_id=customer.id)
    return {"customer": customer}


async def customer_update(context: Context, id: str, input: Any) -> dict[str, Any]:
    viewer = context.viewer
    errors = ErrorCollector()
    values = _profile_values(errors, input, creating=False)
    values.update(credit_limit_values(errors, viewer, input, creating=False))
    tags = tag_values(errors, input)
    async with context.transaction() as session:
        customer = await get_customer(session, id)
        await check_version(session, customer, input.expected_version)
        values.update(await _reference_values(session, errors, input))
        errors.raise_if_any()
        if "sales_rep_id" in values:
            await customer_rep_changes(session, customer, values["sales_rep_id"])
        changes = credit_limit_audit(apply_changes(customer, values))
        changes.pop("name_key", None)
        if tags is not None and (tag_change := await replace_tags(session, customer, tags)):
            changes.update(tag_change)
            customer.updated_at = utcnow()  # a new version even when only the tags change
        if changes:
            record(session, viewer, "customer.update", customer, changes, customer_id=customer.id)
    return {"customer": customer}


async def customer_archive(context: Context, id: str) -> dict[str, Any]:
    viewer = context.viewer
    async with context.transaction() as session:
        customer = await get_customer(session, id)
        changes = apply_changes(customer, {"status": CustomerStatus.ARCHIVED})
        if changes:
            record(session, viewer, "customer.archive", customer, changes, customer_id=customer.id)
    return {"customer": customer}
