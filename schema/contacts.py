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
    name: str = strawberry.field(description="The person's name.")
    title: str | None = strawberry.field(description="Job title.")
    email: str | None = strawberry.field(description="E-mail address.")
    phone: str | None = strawberry.field(description="Phone number.")
    mobile: str | None = strawberry.field(description="Mobile number.")
    fax: str | None = strawberry.field(description="Fax number.")
    notes: str | None = strawberry.field(description="Free text about the person.")
    is_primary: bool = strawberry.field(
        description=(
            "Whether this is the customer's primary contact (exactly one is, when there are "
            "contacts)."
        )
    )
    version: int = strawberry.field(
        description=(
            "Grows by one with every change; pass it as `expectedVersion` to refuse lost updates."
        )
    )

    @strawberry.field(description="The customer the person works for.")
    async def customer(
        root: strawberry.Parent[models.Contact], info: Info
    ) -> Annotated[Customer, strawberry.lazy("schema.customers")]:
        return await info.context.loaders[load_customer].load(root.customer_id)


@strawberry.input(description="The customer's first contact becomes its primary.")
class ContactCreateInput:
    customer_id: strawberry.ID = strawberry.field(description="The customer the person works for.")
    name: str = strawberry.field(description="The person's name (required).")
    title: str | None = strawberry.field(default=None, description="Job title.")
    email: str | None = strawberry.field(default=None, description="E-mail address.")
    phone: str | None = strawberry.field(default=None, description="Phone number.")
    mobile: str | None = strawberry.field(default=None, description="Mobile number.")
    fax: str | None = strawberry.field(default=None, description="Fax number.")
    notes: str | None = strawberry.field(default=None, description="Free text about the person.")


@strawberry.input(description="Only the fields given change; null clears an optional field.")
class ContactUpdateInput:
    name: str | None = strawberry.field(default=strawberry.UNSET, description="The person's name.")
    title: str | None = strawberry.field(
        default=strawberry.UNSET, description="Job title; null clears it."
    )
    email: str | None = strawberry.field(
        default=strawberry.UNSET, description="E-mail address; null clears it."
    )
    phone: str | None = strawberry.field(
        default=strawberry.UNSET, description="Phone number; null clears it."
    )
    mobile: str | None = strawberry.field(
        default=strawberry.UNSET, description="Mobile number; null clears it."
    )
    fax: str | None = strawberry.field(
        default=strawberry.UNSET, description="Fax number; null clears it."
    )
    notes: str | None = strawberry.field(
        default=strawberry.UNSET, description="Free text; null clears it."
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
        "What `contactCreate` answers: the affected object, or userErrors when nothing was written."
    )
)
class ContactCreatePayload:
    contact: Contact | None = strawberry.field(
        default=None, description="The contact as it is now; null when userErrors."
    )
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.type(
    description=(
        "What `contactUpdate` answers: the affected object, or userErrors when nothing was written."
    )
)
class ContactUpdatePayload:
    contact: Contact | None = strawberry.field(
        default=None, description="The contact as it is now; null when userErrors."
    )
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.type(
    description=(
        "What `contactSetPrimary` answers: the affected object, or userErrors when "
        "nothing was written."
    )
)
class ContactSetPrimaryPayload:
    contact: Contact | None = strawberry.field(
        default=None, description="The contact as it is now; null when userErrors."
    )
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.type(
    description=(
        "What `contactDelete` answers: the deleted object's id, or userErrors when nothing "
        "was deleted."
    )
)
class ContactDeletePayload:
    deleted_id: strawberry.ID | None = strawberry.field(
        default=None, description="The global id of the deleted contact; null when userErrors."
    )
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description="Adds a contact person to a customer (the first becomes primary)."
    )
    async def contact_create(
        self,
        info: Info,
        input: Annotated[ContactCreateInput, strawberry.argument(description="What to write.")],
    ) -> ContactCreatePayload:
        return await mutate(
            ContactCreatePayload, lambda: resolvers.contact_create(info.context, input)
        )

    @strawberry.mutation(description="Changes a contact.")
    async def contact_update(
        self,
        info: Info,
        id: Annotated[
            strawberry.ID,
            strawberry.argument(description="The global id of the contact to change."),
        ],
        input: Annotated[ContactUpdateInput, strawberry.argument(description="What to write.")],
    ) -> ContactUpdatePayload:
        return await mutate(
            ContactUpdatePayload, lambda: resolvers.contact_update(info.context, id, input)
        )

    @strawberry.mutation(description="Makes this contact the primary; the previous one is not.")
    async def contact_set_primary(
        self,
        info: Info,
        id: Annotated[
            strawberry.ID,
            strawberry.argument(description="The global id of the contact to change."),
        ],
    ) -> ContactSetPrimaryPayload:
        return await mutate(
            ContactSetPrimaryPayload, lambda: resolvers.contact_set_primary(info.context, id)
        )

    @strawberry.mutation(description="Deleting the primary promotes the oldest remaining contact.")
    async def contact_delete(
        self,
        info: Info,
        id: Annotated[
            strawberry.ID,
            strawberry.argument(description="The global id of the contact to change."),
        ],
    ) -> ContactDeletePayload:
        return await mutate(
            ContactDeletePayload, lambda: resolvers.contact_delete(info.context, id)
        )
