"""customersMerge and what it changes (docs/data-in.md)."""

from __future__ import annotations

from typing import Annotated, Any, cast

import strawberry
from strawberry.types import Info

from db import models
from resolvers import merge as resolvers
from resolvers.ids import encode_id
from resolvers.merge_changes import Change
from schema.customers import Customer
from schema.errors import USER_ERRORS, UserError, mutate
from schema.scalars import JSON


@strawberry.input(description="The input of customersMerge.")
class CustomersMergeInput:
    survivor_id: strawberry.ID = strawberry.field(
        description="The customer that stays, with its own profile and primary contact."
    )
    merged_ids: list[strawberry.ID] = strawberry.field(
        description=f"Customers merged into it (1 to {resolvers.MAX_MERGED}); they end "
        "ARCHIVED with mergedInto."
    )
    dry_run: bool = strawberry.field(
        default=False, description="Show what would change; write nothing."
    )


@strawberry.type(description="How one row changes in a merge (or would, in a dry run).")
class MergeChange:
    entity_type: str = strawberry.field(
        description="Customer, Order, Transaction, Interaction, Contact, Location or Attachment."
    )
    label: str = strawberry.field(description="What people call the row: a name, #1001.")
    changes: JSON = strawberry.field(
        description="Field -> [before, after] in API terms: camelCase fields, references as "
        "{id, label}, money as decimal strings."
    )
    _pk: strawberry.Private[int]

    @strawberry.field(description="Global id of the row.")
    def entity_id(self) -> strawberry.ID:
        return strawberry.ID(encode_id(self.entity_type, self._pk))


@strawberry.type(description="What customersMerge did (or would do, in a dry run).")
class CustomersMergePayload:
    customer: Customer | None = strawberry.field(
        default=None, description="The survivor, after the merge (as it would be, dry run)."
    )
    bulk_operation: strawberry.Private[models.BulkOperation | None] = None
    changes: list[MergeChange] = strawberry.field(
        default_factory=list,
        description=f"The first {resolvers.PREVIEW_ROWS} changed rows: moved rows by table "
        "and customer, then the customers themselves (status, mergedInto, stats).",
    )
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)

    @strawberry.field(description="Pass to bulkOperationRevert to undo the merge exactly.")
    def bulk_operation_id(self) -> strawberry.ID | None:
        if self.bulk_operation is None:
            return None
        return strawberry.ID(encode_id("BulkOperation", self.bulk_operation.id))


def _as_types(values: dict[str, Any]) -> dict[str, Any]:
    changes: list[Change] = values.get("changes", [])
    return {
        **values,
        "changes": [
            MergeChange(
                entity_type=c.entity_type, label=c.label, changes=cast(JSON, c.changes), _pk=c.pk
            )
            for c in changes
        ],
    }


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description="Merges duplicates into one customer: their orders, transactions (with "
        "allocations and refunds), interactions, tasks, contacts, locations, attachments, "
        "tags (a union) and exclusive products move to the survivor; stats, balances and the sales report "
        "follow. One bulk operation: bulkOperationRevert undoes it. ADMIN and MANAGER."
    )
    async def customers_merge(
        self,
        info: Info,
        input: Annotated[
            CustomersMergeInput, strawberry.argument(description="What to merge into what.")
        ],
    ) -> CustomersMergePayload:
        async def action() -> dict[str, Any]:
            return _as_types(await resolvers.customers_merge(info.context, input))

        return await mutate(CustomersMergePayload, action)
