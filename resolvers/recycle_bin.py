"""The recycle bin: customerDelete keeps the customer, deletedCustomers, customerRestore, purge.

A deleted customer keeps its row and every row under it (contacts, locations,
interactions, attachments); `deleted_at` hides them all through the session hook
(db/visibility.py `recycle_bin_criteria`), the same mechanism as tenancy and rep books,
so no query can forget it. Only these functions look inside, with a scope that says
`include_deleted`. `purge` removes for good what was deleted RETENTION_DAYS ago; the
foreign keys cascade to the rows under the customer.

Reports: customerDelete still refuses customers with orders or transactions
(HAS_ORDERS), so a deleted customer never has sales, payments or balance; its
interactions leave the interactions report with it, and come back on restore.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Attachment, Customer, Order, Transaction, utcnow
from db.session import Database
from resolvers.audit import audit_value, record
from resolvers.errors import UserErrorCode, UserInputError
from resolvers.ids import parse_id
from resolvers.pagination import PageArgs, SortKey, paginate
from resolvers.permissions import Permission
from resolvers.storage import storage_for

if TYPE_CHECKING:
    from resolvers.context import Context
    from server.settings import Settings

RETENTION_DAYS = 30


@asynccontextmanager
async def _bin_transaction(context: Context) -> AsyncIterator[AsyncSession]:
    """A write transaction that sees deleted customers (and nothing of another company)."""
    async with context.transaction() as session:
        scope = session.sync_session.info["scope"]
        session.sync_session.info["scope"] = dataclasses.replace(scope, include_deleted=True)
        yield session


async def customer_delete(context: Context, id: str) -> dict[str, Any]:
    viewer = context.viewer
    viewer.require(Permission.DELETE_CUSTOMER)
    pk = parse_id(id, "Customer", ("id",))
    async with context.transaction() as session:
        customer = await session.get(Customer, pk, with_for_update=True)
        if customer is None:
            raise UserInputError.one(("id",), "No such customer.", UserErrorCode.NOT_FOUND)
        has_history = await session.scalar(
            select(
                or_(
                    select(Order.id).where(Order.customer_id == customer.id).exists(),
                    select(Transaction.id).where(Transaction.customer_id == customer.id).exists(),
                )
            )
        )
        if has_history:
            raise UserInputError.one(
                ("id",),
                f"{customer.name} has orders or transactions; archive the customer instead.",
                UserErrorCode.HAS_ORDERS,
            )
        customer.deleted_at = utcnow()
        customer.deleted_by_id = viewer.staff_id
        record(
            session,
            viewer,
            "customer.delete",
            customer,
            {"deletedAt": [None, audit_value(customer.deleted_at)]},
            customer_id=customer.id,
        )
    return {"deleted_id": id}


async def deleted_customers(context: Context, args: PageArgs) -> Any:
    """The recycle bin, most recently deleted first (ADMIN and MANAGER)."""
    context.viewer.require(Permission.DELETE_CUSTOMER)
    scope = dataclasses.replace(context.scope, include_deleted=True)
    async with context.db.session(scope) as session:
        page = await paginate(
            session,
            select(Customer).where(Customer.deleted_at.is_not(None)),
            [SortKey(Customer.deleted_at, descending=True)],
            Customer.id,
            args,
            default_size=context.settings.default_page_size,
            max_size=context.settings.max_page_size,
        )
        # The bin is small; counted now, while this session is open.
        counted = page.count()
        total = counted if isinstance(counted, int) else await counted
    page.count = lambda: total
    return page


async def customer_restore(context: Context, id: str) -> dict[str, Any]:
    viewer = context.viewer
    viewer.require(Permission.DELETE_CUSTOMER)
    pk = parse_id(id, "Customer", ("id",))
    async with _bin_transaction(context) as session:
        customer = await session.get(Customer, pk, with_for_update=True)
        if customer is None or customer.deleted_at is None:
            raise UserInputError.one(
                ("id",), "No such customer in the recycle bin.", UserErrorCode.NOT_FOUND
            )
        before = audit_value(customer.deleted_at)
        customer.deleted_at = None
        customer.deleted_by_id = None
        record(
            session,
            viewer,
            "customer.restore",
            customer,
            {"deletedAt": [before, None]},
            customer_id=customer.id,
        )
    return {"customer": customer}


def purge_cutoff(now: datetime | None = None, days: int = RETENTION_DAYS) -> datetime:
    return (now or utcnow()) - timedelta(days=days)


async def purge(
    db: Database, settings: Settings, *, days: int = RETENTION_DAYS, dry_run: bool = False
) -> int:
    """Deletes for good the customers deleted more than `days` ago, in every company.

    The rows under them go by the foreign keys' cascades; stored attachment bytes go when
    no remaining attachment shares them (content-addressed). Returns how many customers.
    """
    cutoff = purge_cutoff(days=days)
    expired = select(Customer.id).where(
        Customer.deleted_at.is_not(None), Customer.deleted_at < cutoff
    )
    async with db.transaction(None) as session:
        ids = list((await session.scalars(expired)).all())
        if dry_run or not ids:
            return len(ids)
        keys = set(
            (
                await session.scalars(
                    select(Attachment.storage_key).where(Attachment.customer_id.in_(ids))
                )
            ).all()
        )
        await session.execute(delete(Customer).where(Customer.id.in_(ids)))
        kept = set(
            (
                await session.scalars(
                    select(Attachment.storage_key).where(Attachment.storage_key.in_(keys))
                )
            ).all()
        )
    storage = storage_for(settings)
    for key in sorted(keys - kept):
        await storage.delete(key)
    return len(ids)
