"""The audit trail: who changed what, field by field."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, cast

import strawberry
from strawberry import relay
from strawberry.types import Info

from db import models
from resolvers import audit as resolvers
from resolvers.diffs import diff_key, load_api_changes
from resolvers.ids import encode_id
from resolvers.loaders import load_staff
from resolvers.pagination import PageArgs
from schema.relay import After, Before, Connection, First, Last, model_type
from schema.scalars import JSON
from schema.staff import Staff

CHANGES = (
    "Field -> [before, after] in the API's terms: field names as the API spells them "
    "(`paymentTerms`, `discountPercent`, `billingAddress.city`), values as it serialises them "
    '(decimal strings, enum names, ISO 8601), and a reference as {"id": global id, "label": '
    "its name} (docs/api.md, Changes)."
)


@model_type(models.AuditEvent, description="One change to one object, field by field.")
class AuditEvent(relay.Node):
    id: relay.NodeID[int]
    action: str = strawberry.field(description='What happened, e.g. "customer.bulk_update".')
    entity_type: str = strawberry.field(description='GraphQL type of the object, e.g. "Customer".')
    created_at: datetime = strawberry.field(description="When the change was made.")

    @strawberry.field(description="Global id of the changed object (it may since be deleted).")
    def entity_id(root: strawberry.Parent[models.AuditEvent]) -> strawberry.ID:
        return strawberry.ID(encode_id(root.entity_type, root.entity_id))

    @strawberry.field(description=CHANGES)
    async def changes(root: strawberry.Parent[models.AuditEvent], info: Info) -> JSON:
        return cast(
            JSON,
            await info.context.loaders[load_api_changes].load(
                diff_key(root.entity_type, root.changes)
            ),
        )

    @strawberry.field(description="The bulk operation this change was part of, if any.")
    def bulk_operation_id(root: strawberry.Parent[models.AuditEvent]) -> strawberry.ID | None:
        if root.bulk_operation_id is None:
            return None
        return strawberry.ID(encode_id("BulkOperation", root.bulk_operation_id))

    @strawberry.field(description="Who made the change; null for system changes.")
    async def actor(root: strawberry.Parent[models.AuditEvent], info: Info) -> Staff | None:
        if root.actor_id is None:
            return None
        return await info.context.loaders[load_staff].load(root.actor_id)


@strawberry.input(description="Every given condition must hold.")
class AuditEventFilter:
    entity_types: list[str] | None = strawberry.field(
        default=None, description='GraphQL type names, e.g. ["Customer", "Location"].'
    )
    entity_id: strawberry.ID | None = strawberry.field(
        default=None, description="Events of this one object (any type's global id)."
    )
    customer_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Events concerning these customers or their locations."
    )
    actor_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Only changes by these staff members."
    )
    bulk_operation_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="Only the changes of this bulk operation (customersBulkUpdate, imports, merges).",
    )
    from_: datetime | None = strawberry.field(
        default=None, name="from", description="Created at or after."
    )
    to: datetime | None = strawberry.field(default=None, description="Created before.")

    def decoded(self) -> resolvers.AuditFilter:
        bulk = self.bulk_operation_id
        return resolvers.AuditFilter(
            entity_types=self.entity_types,
            entity=resolvers.query_entity(self.entity_id, "filter.entityId")
            if self.entity_id is not None
            else None,
            customer_ids=resolvers.query_pks(self.customer_ids, "Customer", "filter.customerIds")
            if self.customer_ids is not None
            else None,
            actor_ids=resolvers.query_pks(self.actor_ids, "Staff", "filter.actorIds")
            if self.actor_ids is not None
            else None,
            bulk_operation_id=resolvers.query_pks(
                [bulk], "BulkOperation", "filter.bulkOperationId"
            )[0]
            if bulk is not None
            else None,
            from_=self.from_,
            to=self.to,
        )


async def customer_audit_events(
    root: Any,
    info: Info,
    first: First = None,
    after: After = None,
    last: Last = None,
    before: Before = None,
) -> Connection[AuditEvent]:
    """Customer.auditEvents: the customer's trail, newest first."""
    page = await resolvers.customer_audit_events_page(
        info.context, root.id, PageArgs(first, after, last, before)
    )
    return Connection.from_page(page)


@strawberry.type
class Query:
    @strawberry.field(description="The company's audit log, newest first. ADMIN and MANAGER.")
    async def audit_events(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
        filter: Annotated[
            AuditEventFilter | None, strawberry.argument(description="Which changes.")
        ] = None,
    ) -> Connection[AuditEvent]:
        where = filter.decoded() if filter is not None else resolvers.AuditFilter()
        page = await resolvers.audit_events_page(
            info.context, PageArgs(first, after, last, before), where
        )
        return Connection.from_page(page)
