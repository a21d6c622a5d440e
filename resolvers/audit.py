"""The audit trail: who changed what, field by field, [before, after]."""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import AuditEvent, Base, Company
from resolvers.errors import BadUserInput
from resolvers.ids import decode_id
from resolvers.pagination import Page, PageArgs, SortKey, paginate_for
from resolvers.permissions import Permission, Viewer

if TYPE_CHECKING:
    from resolvers.context import Context


def audit_value(value: Any) -> Any:
    """A JSON-safe form of a column value."""
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def apply_changes(row: Base, values: Mapping[str, Any]) -> dict[str, list[Any]]:
    """Sets `values` on `row`; returns field -> [before, after] for what really changed."""
    changes: dict[str, list[Any]] = {}
    for name, new in values.items():
        old = getattr(row, name)
        if old != new:
            changes[name] = [audit_value(old), audit_value(new)]
            setattr(row, name, new)
    return changes


def creation_changes(values: Mapping[str, Any]) -> dict[str, list[Any]]:
    """field -> [None, value] for what a new row was given (search keys left out)."""
    return {
        name: [None, audit_value(value)]
        for name, value in values.items()
        if value is not None and not name.endswith("_key")
    }


def snapshot(row: Base, fields: Iterable[str]) -> dict[str, list[Any]]:
    """field -> [value, None]: what a deleted row held."""
    return {name: [audit_value(getattr(row, name)), None] for name in fields}


def record(
    session: AsyncSession,
    viewer: Viewer | None,
    action: str,
    entity: Base,
    changes: Mapping[str, list[Any]],
    *,
    customer_id: int | None = None,
    bulk_operation_id: int | None = None,
) -> AuditEvent:
    event = AuditEvent(
        # A Company is its own tenant; every other row carries company_id.
        company_id=entity.id if isinstance(entity, Company) else entity.company_id,  # type: ignore[attr-defined]
        actor_id=viewer.staff_id if viewer else None,
        action=action,
        entity_type=type(entity).__name__,
        entity_id=entity.id,  # type: ignore[attr-defined]  # audited rows have integer ids
        customer_id=customer_id,
        changes=dict(changes),
        bulk_operation_id=bulk_operation_id,
    )
    session.add(event)
    return event


# --- Reading the trail -------------------------------------------------------


@dataclass(frozen=True)
class AuditFilter:
    """Root `auditEvents` filter, ids already checked and decoded."""

    entity_types: list[str] | None = None
    entity: tuple[str, int] | None = None
    customer_ids: list[int] | None = None
    actor_ids: list[int] | None = None
    bulk_operation_id: int | None = None
    from_: datetime | None = None
    to: datetime | None = None


def query_pks(values: Iterable[str], type_name: str, argument: str) -> list[int]:
    """pks of global ids given to a query argument; a malformed one is a coded error."""
    pks = []
    for value in values:
        decoded = decode_id(value)
        if decoded is None or decoded[0] != type_name:
            raise BadUserInput(
                f"`{argument}`: not a valid {type_name} id: {value!r}.", "INVALID_ID"
            )
        pks.append(decoded[1])
    return pks


def query_entity(value: str, argument: str) -> tuple[str, int]:
    decoded = decode_id(value)
    if decoded is None:
        raise BadUserInput(f"`{argument}`: not a valid id: {value!r}.", "INVALID_ID")
    return decoded


NEWEST_FIRST = [SortKey(AuditEvent.created_at, descending=True)]


async def audit_events_page(context: Context, args: PageArgs, where: AuditFilter) -> Page[Any]:
    """The company's audit log, newest first (ADMIN and MANAGER)."""
    context.viewer.require(Permission.VIEW_AUDIT_LOG)
    statement = select(AuditEvent)
    if where.entity_types is not None:
        statement = statement.where(AuditEvent.entity_type.in_(where.entity_types))
    if where.entity is not None:
        statement = statement.where(
            AuditEvent.entity_type == where.entity[0], AuditEvent.entity_id == where.entity[1]
        )
    if where.customer_ids is not None:
        statement = statement.where(AuditEvent.customer_id.in_(where.customer_ids))
    if where.actor_ids is not None:
        statement = statement.where(AuditEvent.actor_id.in_(where.actor_ids))
    if where.bulk_operation_id is not None:
        statement = statement.where(AuditEvent.bulk_operation_id == where.bulk_operation_id)
    if where.from_ is not None:
        statement = statement.where(AuditEvent.created_at >= where.from_)
    if where.to is not None:
        statement = statement.where(AuditEvent.created_at < where.to)
    return await paginate_for(context, statement, NEWEST_FIRST, AuditEvent.id, args)


async def customer_audit_events_page(
    context: Context, customer_id: int, args: PageArgs
) -> Page[Any]:
    """Events concerning one customer (itself, its locations, contacts...), newest first.

    Whoever can see the customer can read its trail, so no extra permission here.
    """
    statement = select(AuditEvent).where(AuditEvent.customer_id == customer_id)
    return await paginate_for(context, statement, NEWEST_FIRST, AuditEvent.id, args)
