"""List views: the columns lists can show, and each staff member's chosen columns and sort."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.types import Info

from resolvers import views as resolvers
from schema.enums import ListView, SortDirection
from schema.errors import USER_ERRORS, UserError, mutate


@strawberry.type(description="A column a list can show.")
class ColumnInfo:
    key: str = strawberry.field(
        description=(
            "The column's key: in `viewSettings.columns`, CSV `columns=` and as the CSV header."
        )
    )
    label: str = strawberry.field(description="A heading for people.")
    sortable: bool = strawberry.field(description="Whether the list can be sorted by this column.")
    default_visible: bool = strawberry.field(
        description="Whether the column shows until the staff member chooses their own."
    )

    @classmethod
    def of(cls, column: resolvers.Column) -> ColumnInfo:
        return cls(
            key=column.key,
            label=column.label,
            sortable=column.sortable,
            default_visible=column.default_visible,
        )


@strawberry.type(description="One sort key of a list view: a sortable column's key.")
class ViewSort:
    field: str = strawberry.field(
        description="A value of the list's sort enum (CustomerSortField, e.g. TOTAL_SALES): "
        "pass the item as is to `customers(sort:)`."
    )
    direction: SortDirection = strawberry.field(description="Ascending or descending.")


@strawberry.type(description="A staff member's choice for a list: visible columns in order, sort.")
class ViewSettings:
    view: ListView = strawberry.field(description="Which list.")
    columns: list[str] = strawberry.field(description="Column keys, in display order.")
    sort: list[ViewSort] = strawberry.field(description="Sort keys, first the most significant.")

    @classmethod
    def of(cls, settings: resolvers.ViewSettings) -> ViewSettings:
        return cls(
            view=settings.view,
            columns=settings.columns,
            sort=[
                ViewSort(
                    field=resolvers.sort_field_name(settings.view, item["field"]),
                    direction=SortDirection(item["direction"]),
                )
                for item in settings.sort
            ],
        )


@strawberry.input(
    description=(
        "One sort key of a saved list view (the same field names as the list's sort enum)."
    )
)
class ViewSortInput:
    field: str = strawberry.field(
        description="A value of the list's sort enum (CustomerSortField, e.g. TOTAL_SALES); "
        "the key of a sortable column (totalSales) is accepted too."
    )
    direction: SortDirection = strawberry.field(
        default=SortDirection.ASC, description="Ascending or descending."
    )


@strawberry.input(description="The input of `viewSettingsUpdate`.")
class ViewSettingsUpdateInput:
    view: ListView = strawberry.field(description="Which list.")
    columns: list[str] = strawberry.field(description="Keys of the visible columns, in order.")
    sort: list[ViewSortInput] | None = strawberry.field(
        default=None, description="Omitted: the list's default sort."
    )


@strawberry.type(
    description=(
        "What `viewSettingsUpdate` answers: the affected object, or userErrors when "
        "nothing was written."
    )
)
class ViewSettingsUpdatePayload:
    view_settings: ViewSettings | None = strawberry.field(
        default=None, description="The view settings as it is now; null when userErrors."
    )
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.type
class Query:
    @strawberry.field(description="Every column the customer list can show.")
    def customer_columns(self) -> list[ColumnInfo]:
        return [ColumnInfo.of(column) for column in resolvers.CUSTOMER_COLUMNS]

    @strawberry.field(description="Every column the locations list can show.")
    def location_columns(self) -> list[ColumnInfo]:
        return [ColumnInfo.of(column) for column in resolvers.LOCATION_COLUMNS]

    @strawberry.field(description="Your columns and sort for a list; the defaults if never saved.")
    async def view_settings(
        self, info: Info, view: Annotated[ListView, strawberry.argument(description="Which list.")]
    ) -> ViewSettings:
        return ViewSettings.of(await resolvers.view_settings(info.context, view))


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Saves your columns and sort for a list.")
    async def view_settings_update(
        self,
        info: Info,
        input: Annotated[
            ViewSettingsUpdateInput, strawberry.argument(description="What to write.")
        ],
    ) -> ViewSettingsUpdatePayload:
        async def action() -> dict:
            result = await resolvers.view_settings_update(info.context, input)
            return {"view_settings": ViewSettings.of(result["view_settings"])}

        return await mutate(ViewSettingsUpdatePayload, action)
