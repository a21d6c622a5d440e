"""bulkOperationRevert: restores what a bulk update changed, on the rows nobody changed
since (same version, same values); the others are reported, untouched.

Column-only operations are reverted here, set-based like the update (resolvers/bulk.py);
operations that edited tags go through resolvers/tags_bulk.py.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import AuditEvent, BulkOperation, Location, utcnow
from resolvers.audit import audit_value
from resolvers.bulk import REVERTERS, TARGETS, BulkTarget, stored_value, write_changes
from resolvers.errors import UserErrorCode, UserInputError
from resolvers.ids import encode_id, parse_id
from resolvers.permissions import Permission, Viewer
from resolvers.sales_rollup import lock_locations
from resolvers.tags_bulk import revert_with_tags

if TYPE_CHECKING:
    from resolvers.context import Context


async def bulk_operation_revert(context: Context, id: str) -> dict[str, Any]:
    """Restores the before values of rows nobody changed since; reports the others."""
    viewer = context.viewer
    viewer.require(Permission.REVERT_BULK_OPERATION)
    pk = parse_id(id, "BulkOperation", ("id",))
    async with context.transaction() as session:
        operation = await session.get(BulkOperation, pk, with_for_update=True)
        if operation is None:
            raise UserInputError.one("id", "No such bulk operation.", UserErrorCode.NOT_FOUND)
        if operation.reverted_at is not None:
            raise UserInputError.one(
                "id",
                f"This bulk operation was already reverted at {operation.reverted_at.isoformat()}.",
                UserErrorCode.ALREADY_REVERTED,
            )
        revert = REVERTERS.get(operation.entity_type)
        if revert is not None:
            # A merge or an import undoes itself (resolvers/merge.py, resolvers/imports.py).
            counts = await revert(session, viewer, operation)
            operation.reverted_at = utcnow()
            operation.reverted_by_id = viewer.staff_id
            return {"bulk_operation": operation, **counts}
        target = TARGETS[operation.entity_type]
        if "tags" in operation.input:
            restored_count, skipped = await revert_with_tags(session, viewer, target, operation)
        else:
            restored_count, skipped = await _revert_columns(session, viewer, target, operation)
        operation.reverted_at = utcnow()
        operation.reverted_by_id = viewer.staff_id
    return {
        "bulk_operation": operation,
        "restored_count": restored_count,
        "skipped_count": len(skipped),
        "skipped_ids": [encode_id(target.entity_type, pk) for pk in skipped],
    }


async def _revert_columns(
    session: AsyncSession, viewer: Viewer, target: BulkTarget, operation: BulkOperation
) -> tuple[int, list[int]]:
    """Reverts a bulk update of columns only; (restored count, skipped ids)."""
    model = target.model
    names = list(operation.input["set"])
    columns = [getattr(model, name) for name in names]
    versions: dict[str, int] = operation.input["versions"]
    changed_rows = model.id.in_(
        select(AuditEvent.entity_id).where(
            AuditEvent.bulk_operation_id == operation.id,
            AuditEvent.action == target.update_action,
        )
    )
    if model is Location and "sales_rep_id" in names:
        await lock_locations(session, changed_rows)

    events = (
        select(AuditEvent.entity_id, AuditEvent.changes)
        .where(
            AuditEvent.bulk_operation_id == operation.id,
            AuditEvent.action == target.update_action,
        )
        .order_by(AuditEvent.entity_id)
    )
    recorded = (await session.execute(events)).all()
    current_rows = await session.execute(
        select(model.id, model.version, *columns).where(changed_rows).with_for_update()
    )
    current = {row.id: row for row in current_rows}

    # Rows to restore, grouped by the values they get back: one write per group.
    groups: dict[tuple[tuple[str, Any], ...], list[int]] = {}
    skipped: list[int] = []
    for entity_id, changes in recorded:
        row = current.get(entity_id)
        now_values = dict(zip(names, row[2:], strict=True)) if row is not None else {}
        untouched = (
            row is not None
            and row.version == versions.get(str(entity_id))
            and all(audit_value(now_values[name]) == after for name, (_, after) in changes.items())
        )
        if not untouched:
            skipped.append(entity_id)
            continue
        key = tuple(sorted((name, before) for name, (before, _) in changes.items()))
        groups.setdefault(key, []).append(entity_id)
    for key, ids in groups.items():
        values = {name: stored_value(getattr(model, name), value) for name, value in key}
        # The values in place equal the operation's "after" ones (checked above), so
        # the audit rows come out as {field: [after, before]}.
        await write_changes(
            session, viewer, target, target.revert_action, ids, values, operation.id
        )
    return sum(len(ids) for ids in groups.values()), skipped
