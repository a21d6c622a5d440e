"""Possible duplicates: customers sharing an e-mail, phone digits or a normalised name.

The keys (Customer.email_key, phone_key, match_name) are computed on every write by
resolvers.text and indexed per company (partial indexes, migration 0009_data_in), so finding
the duplicates of a page of customers is two statements of index probes (see
load_possible_duplicates). Merged customers (archived into another) are not offered
again. MAX_DUPLICATES caps what one customer lists, in SQL, so a key shared by
thousands of rows (a placeholder phone number) cannot blow up a page.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import Select, func, literal, select, union_all

from db.models import Customer

if TYPE_CHECKING:
    from resolvers.context import Context

MAX_DUPLICATES = 20
DUPLICATE_KEYS = ("email_key", "phone_key", "match_name")


def _matches(key: str, values: list[str]) -> Select[Any]:
    """Customers holding one of `values` as `key`, ranked by name within each value."""
    column = getattr(Customer, key)
    rank = func.row_number().over(partition_by=column, order_by=(Customer.name_key, Customer.id))
    return select(
        Customer.id.label("id"),
        literal(key).label("key"),
        column.label("value"),
        rank.label("rank"),
    ).where(
        # `IN` alone implies the partial index's IS NOT NULL; spelling that out too made
        # SQLite scan the index as a range instead of probing each value.
        column.in_(values),
        Customer.merged_into_id.is_(None),
    )


async def load_possible_duplicates(context: Context, ids: Sequence[int]) -> list[list[Customer]]:
    """Each customer's possible duplicates by name, at most MAX_DUPLICATES; two statements.

    First the page's keys (primary-key lookups), then the customers holding any of them
    (one index probe per key value, MAX_DUPLICATES + 1 per value at most: enough for
    each customer's first MAX_DUPLICATES besides itself). Two plain statements rather
    than a self-join, so neither database can pick the wrong side to scan.
    """
    keyed = (
        await context.session.execute(
            select(Customer.id, *(getattr(Customer, key) for key in DUPLICATE_KEYS)).where(
                Customer.id.in_(list(ids))
            )
        )
    ).all()
    members = []
    for key in DUPLICATE_KEYS:
        values = sorted({getattr(row, key) for row in keyed if getattr(row, key) is not None})
        if values:
            members.append(_matches(key, values))
    if not members:
        return [[] for _ in ids]
    ranked = union_all(*members).subquery()
    statement = (
        select(Customer, ranked.c.key, ranked.c.value)
        .join(ranked, ranked.c.id == Customer.id)
        .where(ranked.c.rank <= MAX_DUPLICATES + 1)
    )
    holders: dict[tuple[str, str], list[Customer]] = {}
    for customer, key, value in (await context.session.execute(statement)).all():
        holders.setdefault((key, value), []).append(customer)
    found: dict[int, list[Customer]] = {}
    for row in keyed:
        same: dict[int, Customer] = {}
        for key in DUPLICATE_KEYS:
            for customer in holders.get((key, getattr(row, key)), ()):
                if customer.id != row.id:
                    same[customer.id] = customer
        ordered = sorted(same.values(), key=lambda c: (c.name_key, c.id))
        found[row.id] = ordered[:MAX_DUPLICATES]
    return [found.get(i, []) for i in ids]
