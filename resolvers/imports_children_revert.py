"""Undoing a locationsImport or contactsImport (bulkOperationRevert, REVERTERS).

Created rows are deleted unless orders, interactions or tasks point at them since
(skipped); updated rows get their values from before the import, read back from the
import's audit events (field -> [before, after] in API terms).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import AuditEvent, BulkOperation, Contact, Interaction, Order, Task
from resolvers.bulk import REVERTERS, id_in
from resolvers.ids import decode_id, encode_id
from resolvers.import_child_fields import CONTACTS, LOCATIONS, ChildTable
from resolvers.imports_children import stored_columns, without_primary
from resolvers.permissions import Viewer


def _stored(column: str, value: Any) -> Any:
    if isinstance(value, dict):
        decoded = decode_id(value["id"])
        return decoded[1] if decoded is not None else None
    return value


async def _promote_primaries(session: AsyncSession, customers: set[int]) -> None:
    """A customer whose (imported) primary contact was removed gets its oldest one."""
    for customer in sorted(await without_primary(session, customers)):
        first = await session.scalar(
            select(Contact.id)
            .where(Contact.customer_id == customer)
            .order_by(Contact.created_at, Contact.id)
            .limit(1)
        )
        if first is not None:
            await session.execute(
                update(Contact)
                .where(Contact.id == first)
                .values(is_primary=True, version=Contact.version + 1)
            )


def _revert_for(table: ChildTable) -> Any:
    model = table.model
    # Rows that orders, interactions or tasks point at since are kept (skipped).
    users = (
        [Order.location_id, Interaction.location_id, Task.location_id]
        if table is LOCATIONS
        else [Interaction.contact_id, Task.contact_id]
    )

    async def revert(
        session: AsyncSession, _viewer: Viewer, operation: BulkOperation
    ) -> dict[str, Any]:
        """Deletes the rows the import created (unless in use since) and gives the updated
        ones their values before it."""
        created = select(AuditEvent.entity_id).where(
            AuditEvent.bulk_operation_id == operation.id,
            AuditEvent.action == table.create_action,
        )
        busy = select(users[0].label("pk")).union(*(select(c) for c in users[1:]))
        skipped = (
            await session.scalars(select(model.id).where(model.id.in_(created), model.id.in_(busy)))
        ).all()
        gone = (
            await session.execute(
                select(model.id, model.customer_id).where(
                    model.id.in_(created), model.id.not_in(skipped)
                )
            )
        ).all()
        if gone:
            await session.execute(
                delete(model)
                .where(id_in(session, model.id, [pk for pk, _ in gone]))
                .execution_options(synchronize_session=False)
            )
        restored = len(gone)
        updates = await session.execute(
            select(AuditEvent.entity_id, AuditEvent.changes)
            .where(
                AuditEvent.bulk_operation_id == operation.id,
                AuditEvent.action == table.update_action,
            )
            .order_by(AuditEvent.id)
        )
        fields = {f.key: f.column for f in table.fields}
        for pk, changes in updates.all():
            values = {fields[k]: _stored(fields[k], before) for k, (before, _a) in changes.items()}
            current = (
                await session.execute(select(*stored_columns(table)).where(model.id == pk))
            ).first()
            if current is None:
                continue
            keys = table.keys({**dict(current._mapping), **values})
            await session.execute(
                update(model)
                .where(model.id == pk)
                .values(**values, **keys, version=model.version + 1)
            )
            restored += 1
        if table is CONTACTS and gone:
            await _promote_primaries(session, {customer for _, customer in gone})
        return {
            "restored_count": restored,
            "skipped_count": len(skipped),
            "skipped_ids": [encode_id(table.type_name, pk) for pk in skipped],
        }

    return revert


for _table in (LOCATIONS, CONTACTS):
    REVERTERS[_table.entity_type] = _revert_for(_table)
