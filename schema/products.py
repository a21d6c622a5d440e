"""Products: the catalogue, exclusive products and what a customer may order."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated

import strawberry
from strawberry import relay
from strawberry.types import Info

from db import models
from resolvers import products as resolvers
from resolvers.money import cents_to_decimal
from resolvers.pagination import PageArgs
from schema.customers import Customer
from schema.errors import USER_ERRORS, UserError, mutate
from schema.relay import After, Before, Connection, First, Last, model_type


@model_type(models.Product, description="Something your company sells.")
class Product(relay.Node):
    id: relay.NodeID[int]
    sku: str = strawberry.field(description="Stock-keeping unit, unique in the company.")
    name: str = strawberry.field(description="The product's name.")
    description: str | None = strawberry.field(description="Longer text; null when none.")
    active: bool = strawberry.field(description="Inactive products can't be ordered.")
    exclusive: bool = strawberry.field(
        description="Only the customers in `exclusiveCustomers` see and may order it."
    )
    created_at: datetime = strawberry.field(description="When the product was created.")
    updated_at: datetime = strawberry.field(description="When the product was last changed.")
    version: int = strawberry.field(
        description=(
            "Grows by one with every change; pass it as `expectedVersion` to refuse lost updates."
        )
    )

    @strawberry.field(description="List price; order lines default to it.")
    def price(root: strawberry.Parent[models.Product]) -> Decimal:
        return cents_to_decimal(root.price_cents)

    @strawberry.field(description="Customers granted this product while it is exclusive.")
    async def exclusive_customers(
        root: strawberry.Parent[models.Product], info: Info
    ) -> list[Customer]:
        return await info.context.loaders[resolvers.load_exclusive_customers].load(root.id)


@strawberry.input(description="The input of `productCreate`.")
class ProductCreateInput:
    sku: str = strawberry.field(description="Unique in your company (case-insensitive).")
    name: str = strawberry.field(description="The product's name (required).")
    price: Decimal = strawberry.field(description="At least 0, at most 2 decimals.")
    description: str | None = strawberry.field(default=None, description="Longer text.")
    active: bool | None = strawberry.field(
        default=True, description="Whether it can be ordered (default true)."
    )
    exclusive: bool | None = strawberry.field(
        default=False,
        description="Whether only its exclusive customers may order it (default false).",
    )


@strawberry.input(description="The input of `productUpdate`.")
class ProductUpdateInput:
    sku: str | None = strawberry.field(
        default=strawberry.UNSET, description="Stock-keeping unit, unique in the company."
    )
    name: str | None = strawberry.field(default=strawberry.UNSET, description="The product's name.")
    price: Decimal | None = strawberry.field(
        default=strawberry.UNSET, description='Price of one, e.g. "12.50".'
    )
    description: str | None = strawberry.field(
        default=strawberry.UNSET, description="Longer text; null clears it."
    )
    active: bool | None = strawberry.field(
        default=strawberry.UNSET, description="Whether it can be ordered."
    )
    exclusive: bool | None = strawberry.field(
        default=strawberry.UNSET, description="Whether only its exclusive customers may order it."
    )
    expected_version: int | None = strawberry.field(
        default=None,
        description=(
            "The version you read; when it is not the current one the change is refused with "
            "STALE and nothing is written."
        ),
    )


@strawberry.input(description="The input of `productSetExclusiveCustomers`.")
class ProductSetExclusiveCustomersInput:
    product_id: strawberry.ID = strawberry.field(description="The product.")
    customer_ids: list[strawberry.ID] = strawberry.field(
        description="The complete new set of granted customers (replaces the old one)."
    )


@strawberry.type(
    description=(
        "What `productCreate` answers: the affected object, or userErrors when nothing was written."
    )
)
class ProductCreatePayload:
    product: Product | None = strawberry.field(
        default=None, description="The product as it is now; null when userErrors."
    )
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.type(
    description=(
        "What `productUpdate` answers: the affected object, or userErrors when nothing was written."
    )
)
class ProductUpdatePayload:
    product: Product | None = strawberry.field(
        default=None, description="The product as it is now; null when userErrors."
    )
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.type(
    description=(
        "What `productSetExclusiveCustomers` answers: the affected object, or userErrors "
        "when nothing was written."
    )
)
class ProductSetExclusiveCustomersPayload:
    product: Product | None = strawberry.field(
        default=None, description="The product as it is now; null when userErrors."
    )
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.type
class Query:
    @strawberry.field(
        description="The catalogue by name. `visibleTo`: exactly the products that customer "
        "may see and order (active public products plus its exclusive ones, or only its "
        "exclusive ones for EXCLUSIVE_ONLY customers); `includeInactive` is then ignored. "
        "`search` matches name or SKU."
    )
    async def products(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
        visible_to: Annotated[
            strawberry.ID | None,
            strawberry.argument(description="Only products this customer may order."),
        ] = None,
        search: Annotated[
            str | None, strawberry.argument(description="Matches SKU and name.")
        ] = None,
        include_inactive: Annotated[
            bool, strawberry.argument(description="Also list inactive products.")
        ] = False,
    ) -> Connection[Product]:
        page = await resolvers.products_page(
            info.context,
            PageArgs(first, after, last, before),
            visible_to_id=visible_to,
            search=search,
            include_inactive=include_inactive,
        )
        return Connection.from_page(page)


@strawberry.type
class Mutation:
    @strawberry.mutation(description="ADMIN or MANAGER.")
    async def product_create(
        self,
        info: Info,
        input: Annotated[ProductCreateInput, strawberry.argument(description="What to write.")],
    ) -> ProductCreatePayload:
        return await mutate(
            ProductCreatePayload, lambda: resolvers.product_create(info.context, input)
        )

    @strawberry.mutation(description="ADMIN or MANAGER.")
    async def product_update(
        self,
        info: Info,
        id: Annotated[
            strawberry.ID,
            strawberry.argument(description="The global id of the product to change."),
        ],
        input: Annotated[ProductUpdateInput, strawberry.argument(description="What to write.")],
    ) -> ProductUpdatePayload:
        return await mutate(
            ProductUpdatePayload, lambda: resolvers.product_update(info.context, id, input)
        )

    @strawberry.mutation(
        description="ADMIN or MANAGER. Sets which customers an exclusive product is granted to."
    )
    async def product_set_exclusive_customers(
        self,
        info: Info,
        input: Annotated[
            ProductSetExclusiveCustomersInput, strawberry.argument(description="What to write.")
        ],
    ) -> ProductSetExclusiveCustomersPayload:
        return await mutate(
            ProductSetExclusiveCustomersPayload,
            lambda: resolvers.product_set_exclusive_customers(info.context, input),
        )
