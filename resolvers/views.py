"""List views: the columns each list can show, and each staff member's chosen columns and sort."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from db.enums import ListView
from db.models import ViewSetting
from resolvers.customers import CustomerSortField
from resolvers.errors import ErrorCollector, UserErrorCode

if TYPE_CHECKING:
    from resolvers.context import Context


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    default_visible: bool = False
    # The list's sort field for this column; None when the list can't sort by it.
    sort_field: CustomerSortField | None = None

    @property
    def sortable(self) -> bool:
        return self.sort_field is not None


CUSTOMER_COLUMNS: tuple[Column, ...] = (
    Column("name", "Name", True, CustomerSortField.NAME),
    Column("kind", "Kind"),
    Column("status", "Status", True),
    Column("billingStatus", "Billing status", True),
    Column("salesRep", "Sales rep", True),
    Column("primaryContact", "Primary contact", True),
    Column("email", "Email", True),
    Column("phone", "Phone", True),
    Column("mobile", "Mobile"),
    Column("fax", "Fax"),
    Column("website", "Website"),
    Column("paymentTerms", "Payment terms"),
    Column("discountPercent", "Discount %"),
    Column("basisDate", "Basis date"),
    Column("defaultShippingMethod", "Shipping method"),
    Column("productDisplay", "Product display"),
    Column("billingCity", "Billing city"),
    Column("billingRegion", "Billing region"),
    Column("billingCountry", "Billing country"),
    Column("shippingCity", "Shipping city"),
    Column("orderCount", "Orders", True, CustomerSortField.ORDER_COUNT),
    Column("totalSales", "Total sales", True, CustomerSortField.TOTAL_SALES),
    Column("averageOrderTotal", "Average order", False, CustomerSortField.AVERAGE_ORDER_TOTAL),
    Column("lastOrderAt", "Last order", True, CustomerSortField.LAST_ORDER_AT),
    Column("engagement", "Engagement", True),
    Column("balance", "Balance", True, CustomerSortField.BALANCE),
    Column("createdAt", "Created", False, CustomerSortField.CREATED_AT),
    # Working the book (issue 18).
    Column("tags", "Tags"),
    Column("lastInteractionAt", "Last contacted", False, CustomerSortField.LAST_INTERACTION_AT),
    Column("nextTask", "Next task"),
    Column("nextTaskDueOn", "Next task due"),
    # What an import matches rows by (docs/data-in.md): export them to update on re-import.
    Column("id", "Id"),
    Column("externalId", "External id"),
)

# The locations list is sorted by customer, then location name; no column re-sorts it.
LOCATION_COLUMNS: tuple[Column, ...] = (
    Column("customer", "Customer", True),
    Column("name", "Location", True),
    Column("phone", "Phone", True),
    Column("email", "Email"),
    Column("line1", "Address"),
    Column("city", "City", True),
    Column("region", "Region", True),
    Column("postalCode", "Postal code"),
    Column("country", "Country"),
    Column("salesRep", "Rep override"),
    Column("effectiveSalesRep", "Sales rep", True),
    Column("orderCount", "Orders", True),
    Column("totalSales", "Total sales", True),
    Column("createdAt", "Created"),
)

COLUMNS: dict[ListView, tuple[Column, ...]] = {
    ListView.CUSTOMERS: CUSTOMER_COLUMNS,
    ListView.LOCATIONS: LOCATION_COLUMNS,
}
DEFAULT_SORT: dict[ListView, list[dict[str, str]]] = {
    ListView.CUSTOMERS: [{"field": "name", "direction": "ASC"}],
    ListView.LOCATIONS: [],
}


def columns_by_key(view: ListView) -> dict[str, Column]:
    return {column.key: column for column in COLUMNS[view]}


def sort_column(view: ListView, field: str) -> Column | None:
    """The column a sort item names: by the list's sort enum (`TOTAL_SALES`, the API's
    form, as in `customers(sort:)`) or by column key (`totalSales`, the older form)."""
    for column in COLUMNS[view]:
        if column.key == field or (column.sort_field is not None and column.sort_field == field):
            return column
    return None


def sort_field_name(view: ListView, key: str) -> str:
    """How the API spells a stored sort item's field: the sort enum's name."""
    column = columns_by_key(view).get(key)
    return column.sort_field.value if column and column.sort_field else key


@dataclass(frozen=True)
class ViewSettings:
    """What a staff member sees in a list: visible column keys in order, and the sort."""

    view: ListView
    columns: list[str]
    # [{"field": column key, "direction": "ASC" | "DESC"}]
    sort: list[dict[str, str]]


def default_settings(view: ListView) -> ViewSettings:
    return ViewSettings(
        view=view,
        columns=[column.key for column in COLUMNS[view] if column.default_visible],
        sort=[dict(item) for item in DEFAULT_SORT[view]],
    )


async def view_settings_of(context: Context, session: Any, view: ListView) -> ViewSettings:
    """The viewer's saved settings for `view`, else the defaults."""
    saved = (
        await session.execute(
            select(ViewSetting).where(
                ViewSetting.staff_id == context.viewer.staff_id, ViewSetting.view == view
            )
        )
    ).scalar_one_or_none()
    if saved is None:
        return default_settings(view)
    return ViewSettings(view=view, columns=list(saved.columns), sort=list(saved.sort))


async def view_settings(context: Context, view: ListView) -> ViewSettings:
    return await view_settings_of(context, context.session, ListView(view))


def check_columns(
    errors: ErrorCollector, view: ListView, keys: list[str], field: str = "columns"
) -> list[str]:
    """Distinct known column keys, in order; UNKNOWN_COLUMN for the others."""
    known = columns_by_key(view)
    for index, key in enumerate(keys):
        if key not in known:
            errors.add(
                (field, str(index)),
                f"Unknown column {key!r} for the {view.value} list.",
                UserErrorCode.UNKNOWN_COLUMN,
            )
    return list(dict.fromkeys(key for key in keys if key in known))


def check_sort(errors: ErrorCollector, view: ListView, sort: list[Any]) -> list[dict[str, str]]:
    """Sort items of sortable columns; UNKNOWN_COLUMN or INVALID for the others."""
    cleaned: list[dict[str, str]] = []
    for index, item in enumerate(sort):
        column = sort_column(view, item.field)
        if column is None:
            errors.add(
                ("sort", str(index), "field"),
                f"Unknown column {item.field!r} for the {view.value} list.",
                UserErrorCode.UNKNOWN_COLUMN,
            )
        elif not column.sortable:
            errors.add(
                ("sort", str(index), "field"),
                f"The {view.value} list cannot be sorted by {column.label}.",
                UserErrorCode.INVALID,
            )
        else:
            # Stored by column key (rows saved before the enum form was accepted are too).
            cleaned.append({"field": column.key, "direction": item.direction.value})
    return cleaned


async def view_settings_update(context: Context, input: Any) -> dict[str, Any]:
    viewer = context.viewer
    view = ListView(input.view)
    errors = ErrorCollector()
    columns = check_columns(errors, view, list(input.columns))
    if not input.columns:
        errors.add("columns", "Choose at least one column.", UserErrorCode.REQUIRED)
    if input.sort is None:
        sort = [dict(item) for item in DEFAULT_SORT[view]]
    else:
        sort = check_sort(errors, view, list(input.sort))
    errors.raise_if_any()
    async with context.transaction() as session:
        saved = (
            await session.execute(
                select(ViewSetting).where(
                    ViewSetting.staff_id == viewer.staff_id, ViewSetting.view == view
                )
            )
        ).scalar_one_or_none()
        if saved is None:
            saved = ViewSetting(company_id=viewer.company_id, staff_id=viewer.staff_id, view=view)
            session.add(saved)
        saved.columns = columns
        saved.sort = sort
    return {"view_settings": ViewSettings(view=view, columns=columns, sort=sort)}
