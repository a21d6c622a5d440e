"""customersBulkUpdate's `addTags` and `removeTags`: dry run, audit, revert.

Unlike the other `set` fields, a tag edit gives each customer its own result (its tags
plus some, minus others), so the rows' tags are read once (one statement for all the
matched customers), the new ones computed here, and the audit rows carry
"tags": [before, after] next to the column changes. Revert restores the before tags of
customers nobody changed since, as resolvers/bulk.py does for columns.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, delete, insert, select, update

from db.models import AuditEvent, BulkOperation, Customer, CustomerTag, utcnow
from resolvers.audit import audit_value
from resolvers.errors import ErrorCollector, UserErrorCode
from resolvers.tags import MAX_TAGS_PER_CUSTOMER, clean_tags, ordered, tag_key

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from resolvers.bulk import BulkTarget, RowChange
    from resolvers.permissions import Viewer


@dataclass(frozen=True)
class TagEdit:
    add: tuple[str, ...]
    remove: tuple[str, ...]

    def apply(self, before: Sequence[str]) -> list[str]:
        gone = {tag_key(tag) for tag in self.remove}
        kept = [tag for tag in before if tag_key(tag) not in gone]
        keys = {tag_key(tag) for tag in kept}
        for tag in self.add:
            if tag_key(tag) not in keys:
                kept.append(tag)
                keys.add(tag_key(tag))
        return ordered(kept)

    def as_input(self) -> dict[str, list[str]]:
        return {"add": list(self.add), "remove": list(self.remove)}


def tag_edit(errors: ErrorCollector, set_input: Any) -> TagEdit | None:
    """The tag part of `input.set`, checked; None when it has none."""
    add = clean_tags(
        errors, "addTags", getattr(set_input, "add_tags", None), limit=MAX_TAGS_PER_CUSTOMER
    )
    remove = clean_tags(
        errors, "removeTags", getattr(set_input, "remove_tags", None), limit=MAX_TAGS_PER_CUSTOMER
    )
    both = {tag_key(tag) for tag in add} & {tag_key(tag) for tag in remove}
    if both:
        errors.add(
            "removeTags",
            f"Tags both added and removed: {', '.join(sorted(both))}.",
            UserErrorCode.INVALID,
        )
    if not add and not remove:
        return None
    return TagEdit(tuple(add), tuple(remove))


async def tags_of_matched(
    session: AsyncSession, matched: ColumnElement[bool]
) -> dict[int, list[str]]:
    """Tags of every customer matching `matched`, by customer (one statement)."""
    rows = await session.execute(
        select(CustomerTag.customer_id, CustomerTag.tag)
        .join(Customer, Customer.id == CustomerTag.customer_id)
        .where(matched)
    )
    found: dict[int, list[str]] = {}
    for customer_id, tag in rows:
        found.setdefault(customer_id, []).append(tag)
    return {pk: ordered(tags) for pk, tags in found.items()}


def tag_changes(
    edit: TagEdit, ids: Sequence[int], before: dict[int, list[str]], errors: ErrorCollector
) -> dict[int, list[Any]]:
    """Customer id -> [before, after] for the customers whose tags change; a userError
    when any would end with more than the limit."""
    changes: dict[int, list[Any]] = {}
    too_many = 0
    for pk in ids:
        old = before.get(pk, [])
        new = edit.apply(old)
        if len(new) > MAX_TAGS_PER_CUSTOMER:
            too_many += 1
        elif new != old:
            changes[pk] = [old, new]
    if too_many:
        errors.add(
            "addTags",
            f"{too_many} customer(s) would have more than {MAX_TAGS_PER_CUSTOMER} tags.",
            UserErrorCode.OUT_OF_RANGE,
        )
    return changes


async def write_tag_rows(
    session: AsyncSession, company_id: int, changes: dict[int, list[Any]]
) -> None:
    """Rewrites the tag rows of the changed customers: one DELETE, one INSERT."""
    if not changes:
        return
    from resolvers.bulk import id_in  # resolvers.bulk imports this module

    await session.execute(
        delete(CustomerTag).where(id_in(session, CustomerTag.customer_id, list(changes)))
    )
    rows = [
        {"company_id": company_id, "customer_id": pk, "tag": tag, "tag_key": tag_key(tag)}
        for pk, (_, after) in changes.items()
        for tag in after
    ]
    if rows:
        await session.execute(insert(CustomerTag), rows)


async def write_audit_rows(
    session: AsyncSession,
    viewer: Viewer,
    action: str,
    changed: Sequence[RowChange],
    operation_id: int,
) -> None:
    """One AuditEvent per changed customer, column and tag changes together."""
    now = utcnow()
    await session.execute(
        insert(AuditEvent),
        [
            {
                "company_id": viewer.company_id,
                "actor_id": viewer.staff_id,
                "action": action,
                "entity_type": "Customer",
                "entity_id": change.id,
                "customer_id": change.id,
                "changes": change.changes,
                "bulk_operation_id": operation_id,
                "created_at": now,
            }
            for change in changed
        ],
    )


async def bump_versions(session: AsyncSession, ids: Sequence[int]) -> None:
    """A new version for customers whose only change is their tags."""
    from resolvers.bulk import id_in

    if ids:
        await session.execute(
            update(Customer)
            .where(id_in(session, Customer.id, ids))
            .values(version=Customer.version + 1, updated_at=utcnow())
            .execution_options(synchronize_session=False)
        )


async def planned_tag_changes(
    session: AsyncSession, edit: TagEdit, matched: ColumnElement[bool], ids: Sequence[int]
) -> dict[int, list[Any]]:
    """What the edit does to each matched customer (userError if one gets too many)."""
    errors = ErrorCollector(("input", "set"))
    changes = tag_changes(edit, ids, await tags_of_matched(session, matched), errors)
    errors.raise_if_any()
    return changes


def _tag_pairs(changed: Sequence[RowChange]) -> dict[int, list[Any]]:
    return {change.id: change.changes["tags"] for change in changed if "tags" in change.changes}


async def write_with_tags(
    session: AsyncSession,
    viewer: Viewer,
    target: BulkTarget,
    action: str,
    changed: Sequence[RowChange],
    values: dict[str, Any],
    operation_id: int,
) -> None:
    """The writes of a bulk update (or its revert) that changes tags: audit rows from
    here, columns through resolvers/bulk.py (sales rollup included), then the tags."""
    from resolvers.bulk import apply_values

    await write_audit_rows(session, viewer, action, changed, operation_id)
    column_ids = [c.id for c in changed if set(c.changes) - {"tags"}]
    if column_ids and values:
        await apply_values(session, viewer, target, column_ids, values)
    await bump_versions(session, [c.id for c in changed if set(c.changes) == {"tags"}])
    await write_tag_rows(session, viewer.company_id, _tag_pairs(changed))


def _untouched(row: Any, names: list[str], changes: dict[str, Any], tags_now: list[str]) -> bool:
    now = dict(zip(names, row[2:], strict=True))
    for name, (_, after) in changes.items():
        current = tags_now if name == "tags" else audit_value(now[name])
        if current != after:
            return False
    return True


async def revert_with_tags(
    session: AsyncSession, viewer: Viewer, target: BulkTarget, operation: BulkOperation
) -> tuple[int, list[int]]:
    """Restores customers nobody changed since (same version, same values and tags);
    returns how many, and the ids of the others."""
    from resolvers.bulk import RowChange, id_in, stored_value

    names = list(operation.input["set"])
    versions: dict[str, int] = operation.input["versions"]
    recorded = (
        await session.execute(
            select(AuditEvent.entity_id, AuditEvent.changes)
            .where(
                AuditEvent.bulk_operation_id == operation.id,
                AuditEvent.action == target.update_action,
            )
            .order_by(AuditEvent.entity_id)
        )
    ).all()
    ids = [entity_id for entity_id, _ in recorded]
    in_ids = id_in(session, Customer.id, ids)
    columns = [getattr(Customer, name) for name in names]
    current_rows = await session.execute(
        select(Customer.id, Customer.version, *columns).where(in_ids).with_for_update()
    )
    current = {row.id: row for row in current_rows}
    tags_now = await tags_of_matched(session, in_ids)
    restored: list[RowChange] = []
    skipped: list[int] = []
    for entity_id, changes in recorded:
        row = current.get(entity_id)
        if (
            row is None
            or row.version != versions.get(str(entity_id))
            or not _untouched(row, names, changes, tags_now.get(entity_id, []))
        ):
            skipped.append(entity_id)
            continue
        reverse = {name: [after, before] for name, (before, after) in changes.items()}
        restored.append(RowChange(entity_id, reverse))
    groups: dict[tuple[tuple[str, Any], ...], list[RowChange]] = {}
    for change in restored:
        key = tuple(sorted((n, pair[1]) for n, pair in change.changes.items() if n != "tags"))
        groups.setdefault(key, []).append(change)
    for key, group in groups.items():
        values = {name: stored_value(getattr(Customer, name), value) for name, value in key}
        await write_with_tags(
            session, viewer, target, target.revert_action, group, values, operation.id
        )
    return len(restored), skipped
