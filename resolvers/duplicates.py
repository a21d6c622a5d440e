"""Possible duplicates: customers sharing an e-mail, phone digits or a normalised name.

The keys (Customer.email_key, phone_key, match_name) are computed on every write by
resolvers.text and indexed per company (partial indexes, migration 0008), so finding
the duplicates of a page of customers is one statement of index probes: a union of
three self-joins, each on one key. Merged customers (archived into another) are not
offered again. MAX_DUPLICATES caps what one customer lists, in SQL, so a key shared
by thousands of rows (a placeholder phone number) cannot blow up a page.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from sqlalchemy import Subquery, and_, func, select, union
from sqlalchemy.orm import aliased

from db.models import Customer

if TYPE_CHECKING:
    from resolvers.context import Context

MAX_DUPLICATES = 20
DUPLICATE_KEYS = ("email_key", "phone_key", "match_name")


def duplicate_pairs(ids: Sequence[int]) -> Subquery:
    """(of, duplicate) id pairs for customers `ids`, one union member per key."""
    members = []
    for key in DUPLICATE_KEYS:
        this, other = aliased(Customer), aliased(Customer)
        members.append(
            select(this.id.label("of_id"), other.id.label("duplicate_id"))
            .join(
                other,
                and_(
                    other.company_id == this.company_id,
                    getattr(other, key) == getattr(this, key),
                    other.id != this.id,
                ),
            )
            # Both sides say IS NOT NULL: that is what lets the partial indexes serve.
            .where(
                this.id.in_(ids),
                getattr(this, key).is_not(None),
                getattr(other, key).is_not(None),
            )
        )
    return union(*members).subquery()


async def load_possible_duplicates(context: Context, ids: Sequence[int]) -> list[list[Customer]]:
    """Each customer's possible duplicates by name, at most MAX_DUPLICATES, one statement."""
    pairs = duplicate_pairs(list(ids))
    rank = (
        func.row_number()
        .over(partition_by=pairs.c.of_id, order_by=(Customer.name_key, Customer.id))
        .label("rank")
    )
    ranked = (
        select(pairs.c.of_id, Customer.id.label("customer_id"), rank)
        .join(Customer, Customer.id == pairs.c.duplicate_id)
        .where(Customer.merged_into_id.is_(None))
        .subquery()
    )
    statement = (
        select(ranked.c.of_id, Customer)
        .join(Customer, Customer.id == ranked.c.customer_id)
        .where(ranked.c.rank <= MAX_DUPLICATES)
        .order_by(ranked.c.of_id, ranked.c.rank)
    )
    found: dict[int, list[Customer]] = {i: [] for i in ids}
    for of_id, customer in (await context.session.execute(statement)).all():
        found[of_id].append(customer)
    return [found[i] for i in ids]
