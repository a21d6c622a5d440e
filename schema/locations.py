"""Locations: a customer's sites, with an optional sales rep override."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry import relay
from strawberry.types import Info

from db import models
from db.enums import ListView
from resolvers import locations as resolvers
from resolvers.context import loaded, then
from resolvers.loaders import load_customer, load_staff
from resolvers.money import cents_to_decimal
from resolvers.pagination import PageArgs
from schema.common import Address, AddressInput
from schema.errors import USER_ERRORS, UserError, mutate
from schema.relay import After, Before, Connection, First, Last, model_type
from schema.saved_views import applied_view
from schema.staff import Staff

if TYPE_CHECKING:
    from schema.customers import Customer


@model_type(models.Location, description="A store or site of a customer.")
class Location(relay.Node):
    id: relay.NodeID[int]
    name: str = strawberry.field(description='The location\'s name, e.g. "Warehouse".')
    phone: str | None = strawberry.field(description="Phone number.")
    email: str | None = strawberry.field(description="E-mail address.")
    order_count: int = strawberry.field(description="Invoiced orders placed for this location.")
    created_at: datetime = strawberry.field(description="When the location was created.")
    version: int = strawberry.field(
        description=(
            "Grows by one with every change; pass it as `expectedVersion` to refuse lost updates."
        )
    )

    @strawberry.field(description="The customer it belongs to.")
    async def customer(
        root: strawberry.Parent[models.Location], info: Info
    ) -> Annotated[Customer, strawberry.lazy("schema.customers")]:
        return await info.context.loaders[load_customer].load(root.customer_id)

    @strawberry.field(description="Where it is; null when not set.")
    def address(root: strawberry.Parent[models.Location]) -> Address | None:
        return Address.from_row(root)

    @strawberry.field(description="This location's own rep; null means it inherits the customer's.")
    def sales_rep(root: strawberry.Parent[models.Location], info: Info) -> Staff | None:
        if root.sales_rep_id is None:
            return None
        return loaded(info.context, load_staff, root.sales_rep_id)

    @strawberry.field(description="The override if set, else the customer's sales rep.")
    def effective_sales_rep(root: strawberry.Parent[models.Location], info: Info) -> Staff | None:
        return then(
            resolvers.effective_sales_rep_id(info.context, root),
            lambda staff_id: (
                None if staff_id is None else loaded(info.context, load_staff, staff_id)
            ),
        )

    @strawberry.field(description="Total of this location's invoiced orders.")
    def total_sales(root: strawberry.Parent[models.Location]) -> Decimal:
        return cents_to_decimal(root.total_sales_cents)


@strawberry.input(description="Which locations to list; the conditions combine with AND.")
class LocationFilter:
    customer_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Only locations of these customers."
    )
    sales_rep_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Matches the effective rep (override, else the customer's)."
    )
    search: str | None = strawberry.field(default=None, description="Part of the name or city.")


@strawberry.input(description="The input of `locationCreate`.")
class LocationCreateInput:
    customer_id: strawberry.ID = strawberry.field(description="The customer it belongs to.")
    name: str = strawberry.field(description="The location's name (required).")
    phone: str | None = strawberry.field(default=None, description="Phone number.")
    email: str | None = strawberry.field(default=None, description="E-mail address.")
    address: AddressInput | None = strawberry.field(default=None, description="Where it is.")
    sales_rep_id: strawberry.ID | None = strawberry.field(
        default=None, description="An active staff member; null inherits the customer's rep."
    )


@strawberry.input(description="Only the fields given change; `salesRepId: null` inherits again.")
class LocationUpdateInput:
    name: str | None = strawberry.field(
        default=strawberry.UNSET, description="The location's name."
    )
    phone: str | None = strawberry.field(
        default=strawberry.UNSET, description="Phone number; null clears it."
    )
    email: str | None = strawberry.field(
        default=strawberry.UNSET, description="E-mail address; null clears it."
    )
    address: AddressInput | None = strawberry.field(
        default=strawberry.UNSET, description="Where it is; null clears it."
    )
    sales_rep_id: strawberry.ID | None = strawberry.field(
        default=strawberry.UNSET,
        description="A rep for this location only; null: the customer's rep.",
    )
    expected_version: int | None = strawberry.field(
        default=None,
        description=(
            "The version you read; when it is not the current one the change is refused with "
            "STALE and nothing is written."
        ),
    )


@strawberry.type(
    description=(
        "What `locationCreate` answers: the affected object, or userErrors when nothing "
        "was written."
    )
)
class LocationCreatePayload:
    location: Location | None = strawberry.field(
        default=None, description="The location as it is now; null when userErrors."
    )
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.type(
    description=(
        "What `locationUpdate` answers: the affected object, or userErrors when nothing "
        "was written."
    )
)
class LocationUpdatePayload:
    location: Location | None = strawberry.field(
        default=None, description="The location as it is now; null when userErrors."
    )
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.type(
    description=(
        "What `locationDelete` answers: the deleted object's id, or userErrors when nothing "
        "was deleted."
    )
)
class LocationDeletePayload:
    deleted_id: strawberry.ID | None = strawberry.field(
        default=None, description="The global id of the deleted location; null when userErrors."
    )
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.type
class Query:
    @strawberry.field(description="Locations of your company, by customer name, then name.")
    async def locations(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
        filter: Annotated[
            LocationFilter | None, strawberry.argument(description="Which locations.")
        ] = None,
        saved_view_id: Annotated[
            strawberry.ID | None,
            strawberry.argument(
                description="A LOCATIONS saved view: its filter applies, key by key, where "
                "`filter` does not say otherwise."
            ),
        ] = None,
    ) -> Connection[Location]:
        filter, _ = await applied_view(info, saved_view_id, ListView.LOCATIONS, filter)
        page = await resolvers.locations_page(
            info.context, PageArgs(first, after, last, before), filter
        )
        return Connection.from_page(page)


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Adds a location to a customer.")
    async def location_create(
        self,
        info: Info,
        input: Annotated[LocationCreateInput, strawberry.argument(description="What to write.")],
    ) -> LocationCreatePayload:
        return await mutate(
            LocationCreatePayload, lambda: resolvers.location_create(info.context, input)
        )

    @strawberry.mutation(description="Changes a location.")
    async def location_update(
        self,
        info: Info,
        id: Annotated[
            strawberry.ID,
            strawberry.argument(description="The global id of the location to change."),
        ],
        input: Annotated[LocationUpdateInput, strawberry.argument(description="What to write.")],
    ) -> LocationUpdatePayload:
        return await mutate(
            LocationUpdatePayload, lambda: resolvers.location_update(info.context, id, input)
        )

    @strawberry.mutation(description="Deletes a location (its orders keep their history).")
    async def location_delete(
        self,
        info: Info,
        id: Annotated[
            strawberry.ID,
            strawberry.argument(description="The global id of the location to change."),
        ],
    ) -> LocationDeletePayload:
        return await mutate(
            LocationDeletePayload, lambda: resolvers.location_delete(info.context, id)
        )
