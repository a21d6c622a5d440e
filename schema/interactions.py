"""The relationship with a customer: sales rep assignment, the interaction log, its report."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry.types import Info

from resolvers import interactions as resolvers
from schema.errors import UserError, mutate

if TYPE_CHECKING:
    from schema.customers import Customer


@strawberry.type
class CustomerSetSalesRepPayload:
    customer: Annotated[Customer, strawberry.lazy("schema.customers")] | None = None
    user_errors: list[UserError]


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description="Assigns an active staff member as the customer's sales rep; "
        "`staffId: null` leaves the customer unassigned."
    )
    async def customer_set_sales_rep(
        self, info: Info, customer_id: strawberry.ID, staff_id: strawberry.ID | None
    ) -> CustomerSetSalesRepPayload:
        return await mutate(
            CustomerSetSalesRepPayload,
            lambda: resolvers.customer_set_sales_rep(info.context, customer_id, staff_id),
        )
