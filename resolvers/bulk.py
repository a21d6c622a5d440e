"""Bulk updates of customers and locations: validated, set-based, audited, revertible.

One bulk update is: one SELECT snapshotting the matched rows (locked on
PostgreSQL; SQLite's write transaction already holds the database), one
BulkOperation row, one INSERT ... SELECT writing an AuditEvent per changed row
(field -> [before, after], built in SQL) and one UPDATE by id of the rows that
really change (bumping `version`). Id lists travel as one bound parameter. No ORM
objects are loaded for the rows, so 10,000 rows take a fraction of a second.
Reverting is resolvers/bulk_revert.py; tag edits resolvers/tags_bulk.py.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Enum,
    Select,
    String,
    any_,
    bindparam,
    case,
    cast,
    func,
    insert,
    literal,
    null,
    select,
    update,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute
from sqlalchemy.sql.elements import ColumnElement, SQLColumnExpression

from db.models import (
    AuditEvent,
    BulkOperation,
    Customer,
    Location,
    Order,
    utcnow,
)
from resolvers.audit import audit_value
from resolvers.bulk_input import customer_values, ids_input, location_values
from resolvers.customers import filter_statement
from resolvers.errors import ErrorCollector, UserErrorCode, UserInputError
from resolvers.ids import parse_ids
from resolvers.permissions import Permission, Viewer
from resolvers.sales_rollup import lock_locations, move_customers, move_locations
from resolvers.tags_bulk import (
    TagEdit,
    planned_tag_changes,
    tag_edit,
    write_with_tags,
)

if TYPE_CHECKING:
    from resolvers.context import Context

# A dry run previews this many changed rows (the counts cover all of them).
PREVIEW_ROWS = 100


@dataclass(frozen=True)
class BulkTarget:
    """What a bulk operation on one model needs to know."""

    model: type[Customer] | type[Location]
    entity_type: str
    # The customer each row concerns (Customer.auditEvents shows location changes too).
    customer_id: InstrumentedAttribute[int]
    update_action: str
    revert_action: str


CUSTOMERS = BulkTarget(
    Customer, "Customer", Customer.id, "customer.bulk_update", "customer.bulk_revert"
)
LOCATIONS = BulkTarget(
    Location, "Location", Location.customer_id, "location.bulk_update", "location.bulk_revert"
)
TARGETS = {target.entity_type: target for target in (CUSTOMERS, LOCATIONS)}
# Bulk operations of other kinds (a merge, an import) undo themselves: entity type ->
# async (session, viewer, operation) -> the revert payload's counts. Filled by their modules.
REVERTERS: dict[str, Any] = {}


@dataclass
class RowChange:
    id: int
    changes: dict[str, list[Any]]


def id_in(
    session: AsyncSession, column: SQLColumnExpression[Any], ids: Sequence[int]
) -> ColumnElement[bool]:
    """`column IN ids` with the whole list as ONE bound parameter.

    An IN list of 10,000 parameters costs SQLAlchemy more time to render and bind
    than the database needs to run it (and nears the drivers' parameter limits).
    """
    if session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam(None, list(ids), type_=postgresql.ARRAY(BigInteger)))
    listed = func.json_each(bindparam(None, json.dumps(list(ids)), type_=String)).table_valued(
        "value"
    )
    return column.in_(select(listed.c.value))


def stored_value(column: InstrumentedAttribute[Any], value: Any) -> Any:
    """The Python value of a column from its audit (JSON) form."""
    column_type = column.property.columns[0].type
    if value is not None and isinstance(column_type, Enum) and column_type.enum_class:
        return column_type.enum_class(value)
    return value


def check_all_found(target: BulkTarget, ids: list[str], pks: list[int], found: set[int]) -> None:
    """NOT_FOUND for every listed id that is not a row of the viewer's company."""
    if len(found) == len(pks):
        return
    errors = ErrorCollector(("input", "ids"))
    missing = set(pks) - found
    for index, value in enumerate(ids):
        pk = parse_ids([value], target.entity_type, ("input", "ids"))[0]
        if pk in missing:
            errors.add(
                str(index),
                f"No such {target.entity_type.lower()}: {value!r}.",
                UserErrorCode.NOT_FOUND,
            )
            missing.discard(pk)
    errors.raise_if_any()


@dataclass(frozen=True)
class Listed:
    """Rows chosen by id: the ids as given (for error paths) and their pks."""

    ids: list[str]
    pks: list[int]


@dataclass
class BulkResult:
    matched_count: int
    updated_count: int
    bulk_operation: BulkOperation | None
    changes: list[RowChange]

    def payload(self) -> dict[str, Any]:
        return {
            "matched_count": self.matched_count,
            "updated_count": self.updated_count,
            "bulk_operation": self.bulk_operation,
            "changes": self.changes[:PREVIEW_ROWS],
        }


async def bulk_update(
    session: AsyncSession,
    viewer: Viewer,
    target: BulkTarget,
    values: dict[str, Any],
    *,
    listed: Listed | None = None,
    matched: ColumnElement[bool] | None = None,
    dry_run: bool,
    tags: TagEdit | None = None,
) -> BulkResult:
    """Sets `values` on the rows of `target` matching `matched`; see the module docstring."""
    model = target.model
    if listed is not None:
        matched = id_in(session, model.id, listed.pks)
    assert matched is not None, "pass the rows listed or a condition that matches them"
    columns = [getattr(model, name) for name in values]
    snapshot: Select[Any] = (
        select(model.id, model.version, *columns)
        .where(matched)
        .order_by(model.id)
        .with_for_update()
    )
    rows = (await session.execute(snapshot)).all()
    if listed is not None:
        check_all_found(target, listed.ids, listed.pks, {row.id for row in rows})
    tag_changes = {}
    if tags is not None:
        tag_changes = await planned_tag_changes(session, tags, matched, [row.id for row in rows])
    changed, versions = _planned_changes(rows, values, tag_changes)
    if dry_run:
        return BulkResult(len(rows), len(changed), None, changed)

    operation = BulkOperation(
        company_id=viewer.company_id,
        actor_id=viewer.staff_id,
        entity_type=target.entity_type,
        # What was set, and each changed row's version afterwards: revert checks both.
        input={
            "set": {name: audit_value(value) for name, value in values.items()},
            "versions": versions,
            **({"tags": tags.as_input()} if tags is not None else {}),
        },
        matched_count=len(rows),
        updated_count=len(changed),
    )
    session.add(operation)
    await session.flush()
    if changed and tags is not None:
        action = target.update_action
        await write_with_tags(session, viewer, target, action, changed, values, operation.id)
    elif changed:
        await write_changes(
            session,
            viewer,
            target,
            target.update_action,
            [change.id for change in changed],
            values,
            operation.id,
        )
    return BulkResult(len(rows), len(changed), operation, changed)


def _planned_changes(
    rows: Sequence[Any], values: dict[str, Any], tag_changes: dict[int, Any]
) -> tuple[list[RowChange], dict[str, int]]:
    """The rows `values` (and the tag edit) would change, with their diffs in audit terms,
    and each one's version after the write (by id)."""
    changed: list[RowChange] = []
    versions: dict[str, int] = {}
    for row in rows:
        changes = {
            name: [audit_value(before), audit_value(after)]
            for (name, after), before in zip(values.items(), row[2:], strict=True)
            if before != after
        }
        if row.id in tag_changes:
            changes["tags"] = tag_changes[row.id]
        if changes:
            changed.append(RowChange(row.id, changes))
            versions[str(row.id)] = row.version + 1
    return changed, versions


AUDIT_COLUMNS = [
    AuditEvent.company_id,
    AuditEvent.actor_id,
    AuditEvent.action,
    AuditEvent.entity_type,
    AuditEvent.entity_id,
    AuditEvent.customer_id,
    AuditEvent.changes,
    AuditEvent.bulk_operation_id,
    AuditEvent.created_at,
]


def changes_expression(
    session: AsyncSession, model: type[Customer] | type[Location], values: dict[str, Any]
) -> ColumnElement[Any]:
    """SQL for a row's {field: [before, after]}, holding only the fields that differ.

    Built in the database so 10,000 audit rows cost one INSERT ... SELECT instead
    of 10,000 rows of Python parameters. Values come out as audit_value() gives them
    (enums as their stored strings, ids as numbers).
    """
    parts = []
    for name, new in values.items():
        column = getattr(model, name)
        after = literal(new, column.type)
        parts.append((name, column, after, column.is_distinct_from(after)))
    if session.get_bind().dialect.name == "postgresql":
        members = []
        for name, column, after, differs in parts:
            pair = case((differs, func.jsonb_build_array(column, after)), else_=null())
            members += [literal(name), pair]
        # Unchanged fields are null members, which jsonb_strip_nulls drops.
        return cast(func.jsonb_strip_nulls(func.jsonb_build_object(*members)), JSON)
    merged: ColumnElement[Any] = literal("{}")
    for name, column, after, differs in parts:
        member = func.json_object(name, func.json_array(column, after))
        merged = func.json_patch(merged, case((differs, member), else_=literal("{}")))
    return merged


async def write_changes(
    session: AsyncSession,
    viewer: Viewer,
    target: BulkTarget,
    action: str,
    ids: Sequence[int],
    values: dict[str, Any],
    operation_id: int,
) -> None:
    """Sets `values` on rows `ids` (bumping version) with one AuditEvent per row.

    The audit rows are written first, by one INSERT ... SELECT reading the values
    still in place; then one UPDATE. No per-row Python parameters either way.
    """
    model = target.model
    await session.execute(
        insert(AuditEvent).from_select(
            AUDIT_COLUMNS,
            select(
                literal(viewer.company_id),
                literal(viewer.staff_id),
                literal(action),
                literal(target.entity_type),
                model.id,
                target.customer_id,
                changes_expression(session, model, values),
                literal(operation_id),
                literal(utcnow(), AuditEvent.created_at.type),
            )
            .where(model.company_id == viewer.company_id, id_in(session, model.id, ids))
            # Audit ids in the rows' order: the log lists one bulk operation's events
            # (same instant) by id, and that order must not depend on the plan.
            .order_by(model.id),
        )
    )
    await apply_values(session, viewer, target, ids, values)


async def apply_values(
    session: AsyncSession,
    viewer: Viewer,
    target: BulkTarget,
    ids: Sequence[int],
    values: dict[str, Any],
) -> None:
    """Sets `values` on rows `ids`, bumping version (the sales rollup moved first)."""
    model = target.model
    if "sales_rep_id" in values:
        # Before the UPDATE: the move reads the reps still in place. The rows are locked.
        move, orders = (
            (move_customers, Order.customer_id)
            if model is Customer
            else (move_locations, Order.location_id)
        )
        await move(session, viewer.company_id, id_in(session, orders, ids), values["sales_rep_id"])
    await session.execute(
        update(model)
        .where(id_in(session, model.id, ids))
        .values(**values, version=model.version + 1)
        .execution_options(synchronize_session=False)
    )


async def customers_bulk_update(context: Context, input: Any) -> dict[str, Any]:
    viewer = context.viewer
    viewer.require(Permission.BULK_UPDATE)
    if (input.ids is None) == (input.filter is None):
        raise UserInputError.one(
            ("input",), "Give exactly one of ids or filter.", UserErrorCode.INVALID
        )
    listed, matched = None, None
    if input.ids is not None:
        listed = Listed(input.ids, ids_input(input.ids, "Customer"))
    else:
        # The same filter as the customers list, so "select all matching" means the same rows.
        chosen = filter_statement(context, input.filter, ("input", "filter"))
        matched = Customer.id.in_(chosen.with_only_columns(Customer.id))
    async with context.transaction() as session:
        errors = ErrorCollector(("input", "set"))
        tags = tag_edit(errors, input.set)
        values = await customer_values(session, input.set, errors, tags=tags is not None)
        result = await bulk_update(
            session,
            viewer,
            CUSTOMERS,
            values,
            listed=listed,
            matched=matched,
            dry_run=input.dry_run,
            tags=tags,
        )
    return result.payload()


async def locations_bulk_update(context: Context, input: Any) -> dict[str, Any]:
    viewer = context.viewer
    viewer.require(Permission.BULK_UPDATE)
    listed = Listed(input.ids, ids_input(input.ids, "Location"))
    async with context.transaction() as session:
        values = await location_values(session, input.set)
        if not input.dry_run:
            # Customers before locations, as invoicing locks them (see resolvers.sales_rollup).
            await lock_locations(session, id_in(session, Location.id, listed.pks))
        result = await bulk_update(
            session, viewer, LOCATIONS, values, listed=listed, dry_run=input.dry_run
        )
    return result.payload()
