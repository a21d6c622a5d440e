"""Bulk updates of customers and locations, their dry runs, and reverting them."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, cast

import strawberry
from strawberry import relay
from strawberry.types import Info

from db import models
from resolvers import bulk as resolvers
from resolvers.bulk import RowChange
from resolvers.bulk_input import MAX_BULK_IDS
from resolvers.bulk_revert import bulk_operation_revert
from resolvers.diffs import diff_key, load_api_changes
from resolvers.ids import encode_id
from resolvers.loaders import load_staff
from schema.audit import CHANGES
from schema.customers import CustomerFilter
from schema.enums import BasisDate, BillingStatus
from schema.errors import USER_ERRORS, UserError, mutate
from schema.relay import model_type
from schema.scalars import JSON
from schema.staff import Staff


@model_type(models.BulkOperation, description="One bulk update: what it matched and changed.")
class BulkOperation(relay.Node):
    id: relay.NodeID[int]
    entity_type: str = strawberry.field(
        description="Type of the changed rows: Customer or Location."
    )
    matched_count: int = strawberry.field(description="How many objects the operation matched.")
    updated_count: int = strawberry.field(
        description="Rows that changed (the others already matched)."
    )
    created_at: datetime = strawberry.field(description="When it ran.")
    reverted_at: datetime | None = strawberry.field(
        description="When it was reverted; null while it stands."
    )

    @strawberry.field(description="Who ran it.")
    async def actor(root: strawberry.Parent[models.BulkOperation], info: Info) -> Staff | None:
        if root.actor_id is None:
            return None
        return await info.context.loaders[load_staff].load(root.actor_id)

    @strawberry.field(description="Who reverted it, if anyone.")
    async def reverted_by(
        root: strawberry.Parent[models.BulkOperation], info: Info
    ) -> Staff | None:
        if root.reverted_by_id is None:
            return None
        return await info.context.loaders[load_staff].load(root.reverted_by_id)


@strawberry.type(description="How one row changes (or would change, in a dry run).")
class BulkChange:
    _row: strawberry.Private[RowChange]
    _entity_type: strawberry.Private[str]

    @strawberry.field(description="Global id of the row.")
    def entity_id(self) -> strawberry.ID:
        return strawberry.ID(encode_id(self._entity_type, self._row.id))

    @strawberry.field(description=CHANGES)
    async def changes(self, info: Info) -> JSON:
        return cast(
            JSON,
            await info.context.loaders[load_api_changes].load(
                diff_key(self._entity_type, self._row.changes)
            ),
        )


@strawberry.input(description="The fields to set on every matched customer; omitted ones stay.")
class CustomersBulkUpdateSetInput:
    sales_rep_id: strawberry.ID | None = strawberry.field(
        default=None, description="An active staff member of your company."
    )
    clear_sales_rep: bool = strawberry.field(default=False, description="Removes the sales rep.")
    payment_terms_id: strawberry.ID | None = strawberry.field(
        default=None, description="New payment terms."
    )
    billing_status: BillingStatus | None = strawberry.field(
        default=None, description="New billing status."
    )
    basis_date: BasisDate | None = strawberry.field(default=None, description="New basis date.")
    credit_limit: Decimal | None = strawberry.field(
        default=None, description="A credit limit (0 or more, at most 2 decimals) for each."
    )
    clear_credit_limit: bool = strawberry.field(
        default=False, description="Removes the credit limits (no limit)."
    )
    add_tags: list[str] | None = strawberry.field(
        default=None,
        description="Tags to add to each (kept if already there, case-insensitively); a "
        "customer may end with at most 20.",
    )
    remove_tags: list[str] | None = strawberry.field(
        default=None, description="Tags to remove from each (case-insensitive)."
    )


@strawberry.input(description="The input of `customersBulkUpdate`.")
class CustomersBulkUpdateInput:
    ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description=f"Customers to change (at most {MAX_BULK_IDS})."
    )
    filter: CustomerFilter | None = strawberry.field(
        default=None,
        description="Instead of ids: every customer the list shows with this filter.",
    )
    set: CustomersBulkUpdateSetInput = strawberry.field(
        description="What to change on every matched customer."
    )
    dry_run: bool = strawberry.field(
        default=False, description="Only report what would change; write nothing."
    )


@strawberry.input(description="Exactly one of salesRepId and inheritSalesRep.")
class LocationsBulkUpdateSetInput:
    sales_rep_id: strawberry.ID | None = strawberry.field(
        default=None, description="Override the customer's rep with this active staff member."
    )
    inherit_sales_rep: bool = strawberry.field(
        default=False, description="Drop the override: the location follows its customer's rep."
    )


@strawberry.input(description="The input of `locationsBulkUpdate`.")
class LocationsBulkUpdateInput:
    ids: list[strawberry.ID] = strawberry.field(
        description=f"Locations to change (at most {MAX_BULK_IDS})."
    )
    set: LocationsBulkUpdateSetInput = strawberry.field(
        description="What to change on every listed location."
    )
    dry_run: bool = strawberry.field(
        default=False, description="Only report what would change; write nothing."
    )


def _with_previews(values: dict[str, Any], entity_type: str) -> dict[str, Any]:
    changes = [BulkChange(_row=row, _entity_type=entity_type) for row in values["changes"]]
    return {**values, "changes": changes}


@strawberry.type
class BulkUpdatePayload:
    """Fields shared by customersBulkUpdate and locationsBulkUpdate payloads."""

    matched_count: int = strawberry.field(default=0, description="Rows the input selected.")
    updated_count: int = strawberry.field(
        default=0, description="Rows that changed (or would, in a dry run)."
    )
    bulk_operation: BulkOperation | None = strawberry.field(
        default=None, description="Null for dry runs and refused input."
    )
    changes: list[BulkChange] = strawberry.field(
        default_factory=list,
        description=f"The first {resolvers.PREVIEW_ROWS} changed rows, by id.",
    )
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)

    @strawberry.field(description="Pass to bulkOperationRevert to undo it.")
    def bulk_operation_id(self) -> strawberry.ID | None:
        if self.bulk_operation is None:
            return None
        return strawberry.ID(encode_id("BulkOperation", self.bulk_operation.id))


@strawberry.type(
    description=(
        "What `customersBulkUpdate` answers: how many rows matched and changed, the first "
        "changes, and the operation to revert; or userErrors when nothing was written."
    )
)
class CustomersBulkUpdatePayload(BulkUpdatePayload):
    pass


@strawberry.type(
    description=(
        "What `locationsBulkUpdate` answers: how many rows matched and changed, the first "
        "changes, and the operation to revert; or userErrors when nothing was written."
    )
)
class LocationsBulkUpdatePayload(BulkUpdatePayload):
    pass


@strawberry.type(
    description=(
        "What `bulkOperationRevert` answers: the operation, what was restored and what was "
        "skipped; or userErrors when nothing was written."
    )
)
class BulkOperationRevertPayload:
    bulk_operation: BulkOperation | None = strawberry.field(
        default=None, description="The reverted operation."
    )
    restored_count: int = strawberry.field(default=0, description="Rows given their values back.")
    skipped_count: int = strawberry.field(
        default=0, description="Rows changed since the operation (or deleted): left as they are."
    )
    skipped_ids: list[strawberry.ID] = strawberry.field(
        default_factory=list,
        description=(
            "Objects left as they are because they changed again after the operation (or are gone)."
        ),
    )
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description="Sets fields on many customers at once, all or nothing. ADMIN and MANAGER."
    )
    async def customers_bulk_update(
        self,
        info: Info,
        input: Annotated[
            CustomersBulkUpdateInput, strawberry.argument(description="What to write.")
        ],
    ) -> CustomersBulkUpdatePayload:
        async def action() -> dict[str, Any]:
            values = await resolvers.customers_bulk_update(info.context, input)
            return _with_previews(values, "Customer")

        return await mutate(CustomersBulkUpdatePayload, action)

    @strawberry.mutation(
        description="Sets or drops the rep override of many locations at once. ADMIN and MANAGER."
    )
    async def locations_bulk_update(
        self,
        info: Info,
        input: Annotated[
            LocationsBulkUpdateInput, strawberry.argument(description="What to write.")
        ],
    ) -> LocationsBulkUpdatePayload:
        async def action() -> dict[str, Any]:
            values = await resolvers.locations_bulk_update(info.context, input)
            return _with_previews(values, "Location")

        return await mutate(LocationsBulkUpdatePayload, action)

    @strawberry.mutation(
        description="Restores what a bulk update changed, except rows changed since. "
        "ADMIN and MANAGER."
    )
    async def bulk_operation_revert(
        self,
        info: Info,
        id: Annotated[
            strawberry.ID, strawberry.argument(description="The global id of the bulk to change.")
        ],
    ) -> BulkOperationRevertPayload:
        return await mutate(
            BulkOperationRevertPayload, lambda: bulk_operation_revert(info.context, id)
        )
