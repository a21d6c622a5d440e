"""Saved views: named views of a list (filter, columns, sort), private or shared.

A private view is its owner's alone: the session hook (db/visibility.py
`saved_view_criteria`) leaves other staff members' private views out of every
statement, so node(id:), `savedViews`, `customers(savedViewId)` and the exports
cannot reach them. Owners and ADMINs edit and delete.

The filter is stored as the list's filter input in GraphQL terms (camelCase keys,
enum names, global ids, ISO days) and checked on save: unknown keys or values are
userError INVALID. Applying a view turns it back into the attributes the list's
filter_statement reads; explicit arguments win, key by key for the filter.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from datetime import date
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry import UNSET

from db.enums import BillingStatus, CustomerKind, CustomerStatus, Engagement, ListView, Role
from db.models import SavedView
from resolvers.customers import CustomerSortField
from resolvers.errors import BadUserInput, ErrorCollector, UserErrorCode, UserInputError
from resolvers.ids import decode_id, encode_id, parse_id
from resolvers.validation import check_version, clean_text
from resolvers.views import check_columns, check_sort, columns_by_key, default_settings

if TYPE_CHECKING:
    from resolvers.context import Context

NAME_MAX_LENGTH = 100
# Most values in one list of a saved filter (ids, tags, statuses).
MAX_FILTER_VALUES = 500
MAX_VIEWS_PER_STAFF = 200


def _enum_list(enum_cls: type[enum.Enum]) -> Callable[[Any], list[str]]:
    def parse(value: Any) -> list[str]:
        names = _string_list(value)
        allowed = {member.value for member in enum_cls}
        wrong = [name for name in names if name not in allowed]
        if wrong:
            raise ValueError(f"unknown values {wrong}; allowed: {', '.join(sorted(allowed))}")
        return names

    return parse


def _string_list(value: Any) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ValueError("a list of strings is expected")
    if len(value) > MAX_FILTER_VALUES:
        raise ValueError(f"at most {MAX_FILTER_VALUES} values")
    return value


def _ids(type_name: str) -> Callable[[Any], list[str]]:
    def parse(value: Any) -> list[str]:
        ids = _string_list(value)
        for item in ids:
            decoded = decode_id(item)
            if decoded is None or decoded[0] != type_name:
                raise ValueError(f"{item!r} is not a {type_name} id")
        return ids

    return parse


def _text(value: Any) -> str:
    if not isinstance(value, str) or len(value) > 200:
        raise ValueError("a string of at most 200 characters is expected")
    return value


def _bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError("true or false is expected")
    return value


def _days(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 36_500:
        raise ValueError("a whole number of days, 0 to 36500, is expected")
    return value


def _day(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError("a day (YYYY-MM-DD) is expected")
    date.fromisoformat(value)
    return value


# Filter key (as in GraphQL) -> (attribute filter_statement reads, check).
FILTER_KEYS: dict[ListView, dict[str, tuple[str, Callable[[Any], Any]]]] = {
    ListView.CUSTOMERS: {
        "search": ("search", _text),
        "statuses": ("statuses", _enum_list(CustomerStatus)),
        "billingStatuses": ("billing_statuses", _enum_list(BillingStatus)),
        "salesRepIds": ("sales_rep_ids", _ids("Staff")),
        "engagement": ("engagement", _enum_list(Engagement)),
        "kinds": ("kinds", _enum_list(CustomerKind)),
        "paymentTermsIds": ("payment_terms_ids", _ids("PaymentTerms")),
        "hasBalance": ("has_balance", _bool),
        "hasSalesRep": ("has_sales_rep", _bool),
        "lastInteractionBefore": ("last_interaction_before", _day),
        "notContactedForDays": ("not_contacted_for_days", _days),
        "hasOverdueTasks": ("has_overdue_tasks", _bool),
        "tags": ("tags", _string_list),
    },
    ListView.LOCATIONS: {
        "customerIds": ("customer_ids", _ids("Customer")),
        "salesRepIds": ("sales_rep_ids", _ids("Staff")),
        "search": ("search", _text),
    },
}


def check_filter(errors: ErrorCollector, view: ListView, raw: Any) -> dict[str, Any]:
    """The filter as stored: known keys with checked values, nulls dropped."""
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        errors.add("filter", "The filter must be an object.", UserErrorCode.INVALID)
        return {}
    keys = FILTER_KEYS[view]
    cleaned: dict[str, Any] = {}
    unknown = [key for key in raw if key not in keys]
    if unknown:
        errors.add(
            "filter",
            f"Unknown filter keys for the {view.value} list: {', '.join(unknown[:20])}. "
            f"Known: {', '.join(keys)}.",
            UserErrorCode.INVALID,
        )
        return {}
    for key, value in raw.items():
        if value is None:
            continue
        try:
            cleaned[key] = keys[key][1](value)
        except ValueError as error:
            errors.add(("filter", key), f"Bad {key}: {error}.", UserErrorCode.INVALID)
    return cleaned


def filter_attributes(view: ListView, stored: dict[str, Any]) -> dict[str, Any]:
    """The stored filter as the attributes of the list's filter input."""
    values: dict[str, Any] = {}
    for key, value in stored.items():
        attribute = FILTER_KEYS[view][key][0]
        values[attribute] = date.fromisoformat(value) if key == "lastInteractionBefore" else value
    return values


def merged_filter(view: SavedView, explicit: Any) -> SimpleNamespace:
    """The view's filter with every field given explicitly in `explicit` overriding it."""
    values = filter_attributes(view.view, view.filter or {})
    for attribute, _ in FILTER_KEYS[view.view].values():
        given = getattr(explicit, attribute, None) if explicit is not None else None
        if given is not None and given is not UNSET:
            values[attribute] = given
    return SimpleNamespace(**values)


def customer_sort(view: SavedView) -> list[SimpleNamespace]:
    """The view's sort (column keys) as CustomerSort items."""
    known = columns_by_key(ListView.CUSTOMERS)
    items = []
    for item in view.sort or []:
        column = known.get(item["field"])
        if column is not None and column.sort_field is not None:
            items.append(
                SimpleNamespace(
                    field=CustomerSortField(column.sort_field), direction=item["direction"]
                )
            )
    return items


async def view_for_list(context: Context, id: str, list_view: ListView) -> SavedView:
    """A saved view of `list_view` the viewer may see, else a request error."""
    decoded = decode_id(id)
    if decoded is None or decoded[0] != "SavedView":
        raise BadUserInput(f"Not a valid SavedView id: {id!r}.", code="INVALID_ID")
    view = await context.session.get(SavedView, decoded[1])
    if view is None:
        raise BadUserInput("No such saved view.", code="NOT_FOUND")
    if view.view != list_view:
        raise BadUserInput(f"That saved view is of the {view.view.value} list.")
    return view


async def saved_views(context: Context, view: Any | None) -> list[SavedView]:
    """The viewer's own views and the shared ones, by name."""
    statement = select(SavedView).order_by(SavedView.name, SavedView.id)
    if view is not None:
        statement = statement.where(SavedView.view == ListView(view.value))
    return list((await context.session.execute(statement)).scalars())


def may_edit(context: Context, view: SavedView) -> bool:
    viewer = context.viewer
    return view.owner_id == viewer.staff_id or viewer.role == Role.ADMIN


def _values(errors: ErrorCollector, view: ListView, input: Any, creating: bool) -> dict[str, Any]:
    values: dict[str, Any] = {}

    def given(name: str) -> bool:
        return getattr(input, name, UNSET) is not UNSET

    if creating or given("name"):
        values["name"] = clean_text(
            errors, "name", input.name, required=True, max_length=NAME_MAX_LENGTH
        )
    if creating or given("filter"):
        values["filter"] = check_filter(errors, view, input.filter)
    if creating or given("columns"):
        columns = input.columns
        if columns is None:
            values["columns"] = default_settings(view).columns
        elif len(columns) > len(columns_by_key(view)):
            errors.add("columns", "More columns than the list has.", UserErrorCode.OUT_OF_RANGE)
        else:
            values["columns"] = check_columns(errors, view, list(columns))
    if creating or given("sort"):
        sort = list(input.sort or [])
        if len(sort) > len(columns_by_key(view)):
            errors.add("sort", "More sort keys than the list has.", UserErrorCode.OUT_OF_RANGE)
        else:
            values["sort"] = check_sort(errors, view, sort)
    if creating or given("shared"):
        values["shared"] = bool(input.shared)
    return values


async def _check_name_free(
    session: AsyncSession, context: Context, owner_id: int, view: ListView, name: str, pk: int
) -> None:
    taken = await session.scalar(
        select(SavedView.id).where(
            SavedView.owner_id == owner_id,
            SavedView.view == view,
            SavedView.name == name,
            SavedView.id != pk,
        )
    )
    if taken is not None:
        raise UserInputError.one(
            ("input", "name"), f"You already have a view named {name!r}.", UserErrorCode.TAKEN
        )


async def saved_view_create(context: Context, input: Any) -> dict[str, Any]:
    viewer = context.viewer
    view = ListView(input.view.value)
    errors = ErrorCollector()
    values = _values(errors, view, input, creating=True)
    errors.raise_if_any()
    async with context.transaction() as session:
        owned = await session.scalar(
            select(func.count(SavedView.id)).where(SavedView.owner_id == viewer.staff_id)
        )
        if (owned or 0) >= MAX_VIEWS_PER_STAFF:
            raise UserInputError.one(
                ("input",),
                f"At most {MAX_VIEWS_PER_STAFF} saved views each; delete some first.",
                UserErrorCode.OUT_OF_RANGE,
            )
        await _check_name_free(session, context, viewer.staff_id, view, values["name"], 0)
        saved = SavedView(
            company_id=viewer.company_id, owner_id=viewer.staff_id, view=view, **values
        )
        session.add(saved)
    return {"saved_view": saved}


async def _editable(context: Context, session: AsyncSession, id: str) -> SavedView:
    pk = parse_id(id, "SavedView", ("id",))
    view = await session.get(SavedView, pk)
    if view is None:
        raise UserInputError.one(("id",), "No such saved view.", UserErrorCode.NOT_FOUND)
    if not may_edit(context, view):
        raise UserInputError.one(
            ("id",), "Only its owner or an admin may change this view.", UserErrorCode.FORBIDDEN
        )
    return view


async def saved_view_update(context: Context, id: str, input: Any) -> dict[str, Any]:
    async with context.transaction() as session:
        view = await _editable(context, session, id)
        await check_version(session, view, input.expected_version)
        errors = ErrorCollector()
        values = _values(errors, view.view, input, creating=False)
        errors.raise_if_any()
        if "name" in values:
            await _check_name_free(
                session, context, view.owner_id, view.view, values["name"], view.id
            )
        for name, value in values.items():
            setattr(view, name, value)
    return {"saved_view": view}


async def saved_view_delete(context: Context, id: str) -> dict[str, Any]:
    async with context.transaction() as session:
        view = await _editable(context, session, id)
        await session.delete(view)
    return {"deleted_saved_view_id": encode_id("SavedView", view.id)}
