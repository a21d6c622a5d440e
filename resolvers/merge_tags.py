"""Tags in a merge: the survivor gets the union; the revert gives every customer its own.

`customer_tags` is unique per (customer, tag_key), so the merged customers' tags cannot
all move with one UPDATE: a tag the survivor (or an earlier merged customer) already has
is deleted, the rest move. Both are recorded — moved row ids with the customer they came
from, deleted tags with their exact spelling — so the revert moves the moved rows back
and re-creates the deleted ones.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import CustomerTag
from resolvers.bulk import id_in
from resolvers.tags import tag_key


async def merge_tags(session: AsyncSession, survivor: int, merged: list[int]) -> dict[str, Any]:
    """Moves the merged customers' tags to the survivor, dropping the ones it already has."""
    rows = (
        await session.execute(
            select(CustomerTag.id, CustomerTag.customer_id, CustomerTag.tag, CustomerTag.tag_key)
            .where(CustomerTag.customer_id.in_([survivor, *merged]))
            .order_by(CustomerTag.id)
        )
    ).all()
    has = {row.tag_key for row in rows if row.customer_id == survivor}
    moved: dict[str, int] = {}
    dropped: list[list[Any]] = []
    # In the order the merged customers were given: the first spelling wins.
    for customer in merged:
        for row in rows:
            if row.customer_id != customer:
                continue
            if row.tag_key in has:
                dropped.append([row.id, customer, row.tag])
            else:
                has.add(row.tag_key)
                moved[str(row.id)] = customer
    if dropped:
        await session.execute(
            delete(CustomerTag).where(id_in(session, CustomerTag.id, [d[0] for d in dropped]))
        )
    if moved:
        await session.execute(
            update(CustomerTag)
            .where(id_in(session, CustomerTag.id, [int(i) for i in moved]))
            .values(customer_id=survivor)
            .execution_options(synchronize_session=False)
        )
    return {"moved": moved, "dropped": [[customer, tag] for _, customer, tag in dropped]}


async def revert_tags(
    session: AsyncSession, company_id: int, survivor: int, recorded: dict[str, Any] | None
) -> None:
    """Moves the moved tags back (those still on the survivor) and re-creates the dropped
    ones (unless their customer has that tag again since)."""
    if not recorded:
        return
    still = (
        await session.scalars(
            select(CustomerTag.id).where(
                id_in(session, CustomerTag.id, [int(i) for i in recorded["moved"]]),
                CustomerTag.customer_id == survivor,
            )
        )
    ).all()
    by_customer: dict[int, list[int]] = {}
    for pk in still:
        by_customer.setdefault(recorded["moved"][str(pk)], []).append(pk)
    for customer, ids in by_customer.items():
        await session.execute(
            update(CustomerTag)
            .where(id_in(session, CustomerTag.id, ids))
            .values(customer_id=customer)
            .execution_options(synchronize_session=False)
        )
    dropped = recorded["dropped"]
    if not dropped:
        return
    present = set(
        (
            await session.execute(
                select(CustomerTag.customer_id, CustomerTag.tag_key).where(
                    CustomerTag.customer_id.in_({customer for customer, _ in dropped})
                )
            )
        ).all()
    )
    rows = [
        {"company_id": company_id, "customer_id": c, "tag": t, "tag_key": tag_key(t)}
        for c, t in dropped
        if (c, tag_key(t)) not in present
    ]
    if rows:
        await session.execute(insert(CustomerTag), rows)
