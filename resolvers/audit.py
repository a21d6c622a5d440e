"""The audit trail: who changed what, field by field, [before, after]."""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from db.models import AuditEvent, Base, Company
from resolvers.permissions import Viewer


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
        company_id=entity.id if isinstance(entity, Company) else entity.company_id,
        actor_id=viewer.staff_id if viewer else None,
        action=action,
        entity_type=type(entity).__name__,
        entity_id=entity.id,
        customer_id=customer_id,
        changes=dict(changes),
        bulk_operation_id=bulk_operation_id,
    )
    session.add(event)
    return event
