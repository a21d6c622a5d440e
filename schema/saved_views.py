"""Saved views: named, private or shared views of the customer and location lists."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, cast

import strawberry
from strawberry import relay
from strawberry.types import Info

from db import models
from db.enums import ListView as _ListView
from resolvers import saved_views as resolvers
from resolvers.context import loaded
from resolvers.loaders import load_staff
from schema.enums import ListView, SortDirection
from schema.errors import UserError, mutate
from schema.relay import model_type
from schema.scalars import JSON
from schema.staff import Staff
from schema.tasks import USER_ERRORS
from schema.views import ViewSort, ViewSortInput

FILTER_DESCRIPTION = (
    "The list's filter input as JSON, camelCase keys as in CustomerFilter or LocationFilter "
    '(e.g. {"hasSalesRep": false, "lastInteractionBefore": "2026-10-01"}); unknown keys are '
    "userError INVALID."
)


@model_type(
    models.SavedView,
    description="A named view of a list: filter, columns and sort; private or shared.",
)
class SavedView(relay.Node):
    id: relay.NodeID[int]
    name: str = strawberry.field(description='What it shows, e.g. "Not contacted in 60 days".')
    view: ListView = strawberry.field(description="The list it is a view of.")
    filter: JSON = strawberry.field(description=FILTER_DESCRIPTION)
    columns: list[str] = strawberry.field(description="Keys of the visible columns, in order.")
    shared: bool = strawberry.field(
        description="True: the whole company sees it; false: only its owner."
    )
    created_at: datetime = strawberry.field(description="When it was saved first.")
    updated_at: datetime = strawberry.field(description="When it last changed.")
    version: int = strawberry.field(description="Grows on every change; see expectedVersion.")

    @strawberry.field(description="Sort keys: sortable column keys, in order.")
    def sort(root: strawberry.Parent[models.SavedView]) -> list[ViewSort]:
        return [
            ViewSort(field=item["field"], direction=SortDirection(item["direction"]))
            for item in root.sort
        ]

    @strawberry.field(description="Who made it.")
    def owner(root: strawberry.Parent[models.SavedView], info: Info) -> Staff:
        return loaded(info.context, load_staff, root.owner_id)

    @strawberry.field(description="Whether you may change or delete it (owner or ADMIN).")
    def editable(root: strawberry.Parent[models.SavedView], info: Info) -> bool:
        return resolvers.may_edit(info.context, root)


@strawberry.input(description="A new saved view.")
class SavedViewCreateInput:
    name: str = strawberry.field(description="Required; at most 100, unique among your views.")
    view: ListView = strawberry.field(description="The list it is a view of (fixed).")
    filter: JSON | None = strawberry.field(default=None, description=FILTER_DESCRIPTION)
    columns: list[str] | None = strawberry.field(
        default=None, description="Column keys in order; omitted: the list's default columns."
    )
    sort: list[ViewSortInput] | None = strawberry.field(
        default=None, description="Sortable column keys; omitted: the list's default order."
    )
    shared: bool = strawberry.field(default=False, description="Share with the whole company.")


@strawberry.input(description="Only the fields given change.")
class SavedViewUpdateInput:
    name: str | None = strawberry.field(
        default=strawberry.UNSET, description="Required when given; unique among the owner's."
    )
    filter: JSON | None = strawberry.field(default=strawberry.UNSET, description=FILTER_DESCRIPTION)
    columns: list[str] | None = strawberry.field(
        default=strawberry.UNSET, description="Column keys in order; null: the defaults."
    )
    sort: list[ViewSortInput] | None = strawberry.field(
        default=strawberry.UNSET, description="Sortable column keys; null: the default order."
    )
    shared: bool | None = strawberry.field(
        default=strawberry.UNSET, description="Share with the whole company, or not."
    )
    expected_version: int | None = strawberry.field(
        default=None, description="The version you edited; another one is STALE."
    )


@strawberry.type(description="What savedViewCreate did.")
class SavedViewCreatePayload:
    saved_view: SavedView | None = strawberry.field(default=None, description="The new view.")
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.type(description="What savedViewUpdate did.")
class SavedViewUpdatePayload:
    saved_view: SavedView | None = strawberry.field(default=None, description="The view as saved.")
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.type(description="What savedViewDelete did.")
class SavedViewDeletePayload:
    deleted_saved_view_id: strawberry.ID | None = strawberry.field(
        default=None, description="The id of the view deleted."
    )
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


async def applied_view(
    info: Info, saved_view_id: str | None, list_view: _ListView, filter: Any, sort: Any = None
) -> tuple[Any, Any]:
    """A list's filter and sort with a saved view applied (explicit arguments win)."""
    if saved_view_id is None:
        return filter, sort
    view = await resolvers.view_for_list(info.context, saved_view_id, list_view)
    chosen_sort = sort
    if sort is None and list_view == _ListView.CUSTOMERS:
        chosen_sort = resolvers.customer_sort(view) or None
    return resolvers.merged_filter(view, filter), chosen_sort


@strawberry.type
class Query:
    @strawberry.field(description="Your own saved views and the shared ones, by name.")
    async def saved_views(
        self,
        info: Info,
        view: Annotated[
            ListView | None, strawberry.argument(description="Only views of this list.")
        ] = None,
    ) -> list[SavedView]:
        return cast(list[SavedView], await resolvers.saved_views(info.context, view))


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Saves a named view of a list; private unless `shared`.")
    async def saved_view_create(
        self,
        info: Info,
        input: Annotated[SavedViewCreateInput, strawberry.argument(description="The view.")],
    ) -> SavedViewCreatePayload:
        return await mutate(
            SavedViewCreatePayload, lambda: resolvers.saved_view_create(info.context, input)
        )

    @strawberry.mutation(description="Its owner or an ADMIN; `expectedVersion` guards (STALE).")
    async def saved_view_update(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="The view to change.")],
        input: Annotated[SavedViewUpdateInput, strawberry.argument(description="What changes.")],
    ) -> SavedViewUpdatePayload:
        return await mutate(
            SavedViewUpdatePayload, lambda: resolvers.saved_view_update(info.context, id, input)
        )

    @strawberry.mutation(description="Its owner or an ADMIN.")
    async def saved_view_delete(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="The view to delete.")],
    ) -> SavedViewDeletePayload:
        return await mutate(
            SavedViewDeletePayload, lambda: resolvers.saved_view_delete(info.context, id)
        )
