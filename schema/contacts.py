"""Contacts: the people at a customer; exactly one is primary."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry import relay
from strawberry.types import Info

from db import models
from resolvers import contacts as resolvers
from resolvers.loaders import load_customer
from schema.errors import USER_ERRORS, UserError, mutate
from schema.relay import model_type

if TYPE_CHECKING:
    from schema.customers import Customer


@model_type(models.Contact, description="A person at a customer.")
class Contact(relay.Node):
    id: relay.NodeID[int]
    name: str
    title: str | None
    email: str | None
    phone: str | None
    mobile: str | None
    fax: str | None
    notes: str | None
    is_primary: bool
    version: int

    @strawberry.field
    async def customer(
        self, info: Info
    ) -> Annotated[Customer, strawberry.lazy("schema.customers")]:
        return await info.context.loaders[load_customer].load(self.customer_id)


@strawberry.input(description="The customer's first contact becomes its primary.")
class ContactCreateInput:
    customer_id: strawberry.ID
    name: str
    title: str | None = None
    email: str | None = None
    phone: str | None = None
    mobile: str | None = None
    fax: str | None = None
    notes: str | None = None


@strawberry.input(description="Only the fields given change; null clears an optional field.")
class ContactUpdateInput:
    name: str | None = strawberry.UNSET
    title: str | None = strawberry.UNSET
    email: str | None = strawberry.UNSET
    phone: str | None = strawberry.UNSET
    mobile: str | None = strawberry.UNSET
    fax: str | None = strawberry.UNSET
    notes: str | None = strawberry.UNSET
    expected_version: int | None = None


@strawberry.type(
    description=(
        "What `contactCreate` answers: the affected object, or userErrors when nothing was written."
    )
)
class ContactCreatePayload:
    contact: Contact | None = None
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.type(
    description=(
        "What `contactUpdate` answers: the affected object, or userErrors when nothing was written."
    )
)
class ContactUpdatePayload:
    contact: Contact | None = None
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.type(
    description=(
        "What `contactSetPrimary` answers: the affected object, or userErrors when "
        "nothing was written."
    )
)
class ContactSetPrimaryPayload:
    contact: Contact | None = None
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.type(
    description=(
        "What `contactDelete` answers: the affected object, or userErrors when nothing was written."
    )
)
class ContactDeletePayload:
    deleted_id: strawberry.ID | None = None
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.type
class Mutation:
    @strawberry.mutation
    async def contact_create(self, info: Info, input: ContactCreateInput) -> ContactCreatePayload:
        return await mutate(
            ContactCreatePayload, lambda: resolvers.contact_create(info.context, input)
        )

    @strawberry.mutation
    async def contact_update(
        self, info: Info, id: strawberry.ID, input: ContactUpdateInput
    ) -> ContactUpdatePayload:
        return await mutate(
            ContactUpdatePayload, lambda: resolvers.contact_update(info.context, id, input)
        )

    @strawberry.mutation(description="Makes this contact the primary; the previous one is not.")
    async def contact_set_primary(self, info: Info, id: strawberry.ID) -> ContactSetPrimaryPayload:
        return await mutate(
            ContactSetPrimaryPayload, lambda: resolvers.contact_set_primary(info.context, id)
        )

    @strawberry.mutation(description="Deleting the primary promotes the oldest remaining contact.")
    async def contact_delete(self, info: Info, id: strawberry.ID) -> ContactDeletePayload:
        return await mutate(
            ContactDeletePayload, lambda: resolvers.contact_delete(info.context, id)
        )
