"""Helpers for the relationship tests (sales rep, interactions, report, timeline).

Customers are made directly in the database: customer creation through GraphQL
belongs to another domain and these tests only need rows to hang interactions on.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from db.models import AuditEvent, Customer
from db.session import Database
from resolvers.ids import decode_id, encode_id
from resolvers.text import name_key
from tests.conftest import Tenant


async def make_customers(db: Database, tenant: Tenant, *names: str) -> list[str]:
    """Customers of `tenant` with these names; returns their global ids in order."""
    async with db.transaction(None) as session:
        rows = [
            Customer(company_id=tenant.company_id, name=name, name_key=name_key(name))
            for name in names
        ]
        session.add_all(rows)
        await session.flush()
        return [encode_id("Customer", row.id) for row in rows]


async def audit_events(db: Database, tenant: Tenant, action: str) -> list[AuditEvent]:
    session = db.session(None)
    try:
        result = await session.execute(
            select(AuditEvent)
            .where(AuditEvent.company_id == tenant.company_id, AuditEvent.action == action)
            .order_by(AuditEvent.id)
        )
        return list(result.scalars())
    finally:
        await session.close()


def pk(global_id: str) -> int:
    decoded = decode_id(global_id)
    assert decoded is not None
    return decoded[1]


def errors(payload: dict[str, Any]) -> list[tuple[list[str] | None, str]]:
    return [(e["field"], e["code"]) for e in payload["userErrors"]]
