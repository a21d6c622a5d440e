"""Locations: a customer's stores or sites, each with an optional sales rep override."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import Select, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry import UNSET

from db.models import Customer, Location, Staff
from resolvers.audit import apply_changes, creation_changes, record, snapshot
from resolvers.context import loaded, then
from resolvers.customers import (
    address_values,
    check_sales_rep,
    get_customer,
    query_filter_ids,
)
from resolvers.errors import BadUserInput, ErrorCollector, UserErrorCode, UserInputError
from resolvers.ids import parse_id
from resolvers.loaders import load_customer, prime_staff, rows_by_id
from resolvers.pagination import (
    Page,
    PageArgs,
    SortKey,
    check_page_args,
    decode_cursor,
    encode_cursor,
    page_flags,
    paginate_for,
)
from resolvers.sales_rollup import location_deleting, location_rep_changes
from resolvers.text import fold, like_pattern, name_key
from resolvers.validation import check_version, clean_email, clean_phone, clean_text, search_term

# The list a cursor of Customer.locations names (resolvers/pagination.py list_id).
LOCATIONS_OF_CUSTOMER = "customer-locations"

# Marks a location not read through load_locations_of_customers (no inherited rep at hand).
MISSING = object()

if TYPE_CHECKING:
    from resolvers.context import Context

T = TypeVar("T")


def page_of_list(
    context: Context, items: Sequence[T], key: Callable[[T], tuple[Any, ...]], args: PageArgs
) -> Page[T]:
    """A Relay page over rows already loaded (by a batched loader), with keyset cursors.

    Sorting and cursor comparison both happen here, so they always agree.
    """
    size, backwards = check_page_args(
        args, context.settings.default_page_size, context.settings.max_page_size
    )
    keyed = _between_cursors(
        sorted(((key(item), item) for item in items), key=lambda pair: pair[0]), args
    )
    has_more = len(keyed) > size
    chosen = (keyed[len(keyed) - size :] if size else []) if backwards else keyed[:size]
    total = len(items)
    has_next_page, has_previous_page = page_flags(args, has_more, backwards)
    return Page(
        items=[item for _, item in chosen],
        cursors=[encode_cursor(list(k), LOCATIONS_OF_CUSTOMER) for k, _ in chosen],
        has_next_page=has_next_page,
        has_previous_page=has_previous_page,
        count=lambda: total,
    )


def _between_cursors(
    keyed: list[tuple[tuple[Any, ...], T]], args: PageArgs
) -> list[tuple[tuple[Any, ...], T]]:
    """The sorted (key, item) pairs strictly after `after` and before `before`."""
    width = len(keyed[0][0]) if keyed else 0
    if args.after and keyed:
        after = _comparable(keyed[0][0], decode_cursor(args.after, width, LOCATIONS_OF_CUSTOMER))
        keyed = [pair for pair in keyed if pair[0] > after]
    if args.before and keyed:
        before = _comparable(keyed[0][0], decode_cursor(args.before, width, LOCATIONS_OF_CUSTOMER))
        keyed = [pair for pair in keyed if pair[0] < before]
    return keyed


def _comparable(sample: tuple[Any, ...], values: list[Any]) -> tuple[Any, ...]:
    """The cursor's values, refused unless each is of its key's type (compared in Python)."""
    if any(type(value) is not type(known) for value, known in zip(values, sample, strict=True)):
        raise BadUserInput("Invalid cursor for this list.")
    return tuple(values)


def location_key(location: Location) -> tuple[str, int]:
    return (location.name_key, location.id)


# ---------------------------------------------------------------------------
# Loaders and reads
# ---------------------------------------------------------------------------


async def load_location(context: Context, ids: Sequence[int]) -> list[Location | None]:
    return await rows_by_id(context, Location, ids)


async def load_locations_of_customers(
    context: Context, customer_ids: Sequence[int]
) -> list[list[Location]]:
    """Every location of each customer, by name: one statement for a whole page."""
    by_customer: dict[int, list[Location]] = {pk: [] for pk in customer_ids}
    effective_rep_id = func.coalesce(Location.sales_rep_id, Customer.sales_rep_id)
    result = await context.session.execute(
        select(Location, Customer.sales_rep_id, Staff)
        .join(Customer, Customer.id == Location.customer_id)
        .outerjoin(Staff, Staff.id == effective_rep_id)
        .where(Location.customer_id.in_(set(customer_ids)))
        .order_by(Location.name_key, Location.id)
    )
    reps = []
    for location, customer_rep_id, rep in result:
        # Read along so effectiveSalesRep needs no customer lookup (a fixed statement count),
        # and its staff row no staff statement.
        location.inherited_sales_rep_id = customer_rep_id
        by_customer[location.customer_id].append(location)
        reps.append(rep)
    prime_staff(context, reps)
    return [by_customer[pk] for pk in customer_ids]


def customer_locations_page(context: Context, customer_id: int, args: PageArgs) -> Any:
    """A page of one customer's locations: the page, or an awaitable of it when the
    customer's locations are not loaded yet (see `loaded`)."""
    return then(
        loaded(context, load_locations_of_customers, customer_id),
        lambda locations: page_of_list(context, locations, location_key, args),
    )


def effective_sales_rep_id(context: Context, location: Location) -> Any:
    """The override, else the customer's rep: the id, or an awaitable of it when the
    customer's rep was not read along with the location (see `loaded`)."""
    if location.sales_rep_id is not None:
        return location.sales_rep_id
    inherited = getattr(location, "inherited_sales_rep_id", MISSING)
    if inherited is not MISSING:
        return inherited
    return then(
        loaded(context, load_customer, location.customer_id),
        lambda customer: customer.sales_rep_id if customer else None,
    )


def locations_statement(filter: Any) -> Select[Any]:
    """Locations joined to their customer, narrowed by a LocationFilter."""
    statement = select(Location).join(Customer, Customer.id == Location.customer_id)
    customer_ids = query_filter_ids(filter, "customer_ids", "Customer", "customerIds")
    if customer_ids is not None:
        statement = statement.where(Location.customer_id.in_(customer_ids))
    rep_ids = query_filter_ids(filter, "sales_rep_ids", "Staff", "salesRepIds")
    if rep_ids is not None:
        # By effective rep: the override, else the customer's rep.
        statement = statement.where(
            func.coalesce(Location.sales_rep_id, Customer.sales_rep_id).in_(rep_ids)
        )
    search = search_term(getattr(filter, "search", None) if filter is not None else None)
    if search and search.strip():
        pattern = like_pattern(fold(search.strip()))
        statement = statement.where(
            or_(
                Location.name_key.like(pattern, escape="\\"),
                func.lower(Location.city).like(pattern, escape="\\"),
            )
        )
    return statement


async def locations_page(context: Context, args: PageArgs, filter: Any) -> Page[Location]:
    return await paginate_for(
        context,
        locations_statement(filter),
        [SortKey(Customer.name_key), SortKey(Location.name_key)],
        Location.id,
        args,
    )


# ---------------------------------------------------------------------------
# Mutations
# ---------------------------------------------------------------------------


def _location_values(errors: ErrorCollector, input: Any, *, creating: bool) -> dict[str, Any]:
    def given(name: str) -> bool:
        return getattr(input, name, UNSET) is not UNSET

    values: dict[str, Any] = {}
    if creating or given("name"):
        name = clean_text(errors, "name", input.name, required=True)
        if name:
            values["name"] = name
            values["name_key"] = name_key(name)
    if given("phone"):
        values["phone"] = clean_phone(errors, "phone", input.phone)
    if given("email"):
        values["email"] = clean_email(errors, "email", input.email)
    if given("address"):
        values.update(address_values(errors, "address", "", input.address))
    return values


async def _rep_value(session: AsyncSession, errors: ErrorCollector, input: Any) -> dict[str, Any]:
    rep_id = getattr(input, "sales_rep_id", UNSET)
    if rep_id is UNSET:
        return {}
    if rep_id is None:
        return {"sales_rep_id": None}
    pk = await check_sales_rep(session, errors, rep_id)
    return {} if pk is None else {"sales_rep_id": pk}


async def get_location(session: AsyncSession, id: str) -> Location:
    location = await session.get(Location, parse_id(id, "Location", "id"))
    if location is None:
        raise UserInputError.one("id", "No such location.", UserErrorCode.NOT_FOUND)
    return location


async def location_create(context: Context, input: Any) -> dict[str, Any]:
    viewer = context.viewer
    errors = ErrorCollector()
    values = _location_values(errors, input, creating=True)
    async with context.transaction() as session:
        customer = await get_customer(session, input.customer_id, ("input", "customerId"))
        values.update(await _rep_value(session, errors, input))
        errors.raise_if_any()
        location = Location(company_id=viewer.company_id, customer_id=customer.id, **values)
        session.add(location)
        await session.flush()
        changes = creation_changes(values)
        record(session, viewer, "location.create", location, changes, customer_id=customer.id)
    return {"location": location}


async def location_update(context: Context, id: str, input: Any) -> dict[str, Any]:
    viewer = context.viewer
    errors = ErrorCollector()
    values = _location_values(errors, input, creating=False)
    async with context.transaction() as session:
        location = await get_location(session, id)
        await check_version(session, location, input.expected_version)
        values.update(await _rep_value(session, errors, input))
        errors.raise_if_any()
        if "sales_rep_id" in values:
            await location_rep_changes(session, location, values["sales_rep_id"])
        changes = apply_changes(location, values)
        changes.pop("name_key", None)
        if changes:
            record(
                session,
                viewer,
                "location.update",
                location,
                changes,
                customer_id=location.customer_id,
            )
    return {"location": location}


async def location_delete(context: Context, id: str) -> dict[str, Any]:
    viewer = context.viewer
    async with context.transaction() as session:
        location = await get_location(session, id)
        await location_deleting(session, location)
        record(
            session,
            viewer,
            "location.delete",
            location,
            snapshot(location, ("name", "sales_rep_id")),
            customer_id=location.customer_id,
        )
        await session.delete(location)
    return {"deleted_id": id}
