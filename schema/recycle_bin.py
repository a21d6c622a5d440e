"""The recycle bin: deleted customers, and bringing one back (docs/data-in.md)."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.types import Info

from resolvers import recycle_bin as resolvers
from resolvers.pagination import PageArgs
from schema.customers import Customer
from schema.errors import USER_ERRORS, UserError, mutate
from schema.relay import After, Before, Connection, First, Last


@strawberry.type(description="What customerRestore did.")
class CustomerRestorePayload:
    customer: Customer | None = strawberry.field(
        default=None, description="The customer, back with everything it had."
    )
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.type
class Query:
    @strawberry.field(
        description="The recycle bin: customers deleted in the last "
        f"{resolvers.RETENTION_DAYS} days (older ones are purged), most recently deleted "
        "first. ADMIN and MANAGER."
    )
    async def deleted_customers(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[Customer]:
        page = await resolvers.deleted_customers(info.context, PageArgs(first, after, last, before))
        return Connection.from_page(page)


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description="Takes a customer out of the recycle bin with its contacts, locations, "
        "interactions and attachments. ADMIN and MANAGER."
    )
    async def customer_restore(
        self,
        info: Info,
        id: Annotated[
            strawberry.ID, strawberry.argument(description="The global id of the deleted customer.")
        ],
    ) -> CustomerRestorePayload:
        return await mutate(
            CustomerRestorePayload, lambda: resolvers.customer_restore(info.context, id)
        )
