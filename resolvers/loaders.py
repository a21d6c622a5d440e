"""Dataloaders shared by several domains. Each takes (context, keys) and keeps key order."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import select

from db.models import Base, Customer, PaymentTerms, Staff

if TYPE_CHECKING:
    from resolvers.context import Context

M = TypeVar("M", bound=Base)


async def rows_by_id(context: Context, model: type[M], ids: Sequence[int]) -> list[M | None]:
    """Rows of `model` for `ids`, in order, None where missing or out of scope."""
    wanted = list({i for i in ids if i is not None})
    found: dict[int, Any] = {}
    if wanted:
        id_column = model.id  # type: ignore[attr-defined]  # every loaded model has an id
        result = await context.session.execute(select(model).where(id_column.in_(wanted)))
        found = {row.id: row for row in result.scalars()}
    return [found.get(i) for i in ids]


async def load_staff(context: Context, ids: Sequence[int]) -> list[Staff | None]:
    """Staff by id from one read of the whole company's staff per request.

    A company has tens to hundreds of staff, and they are referenced at every
    depth (reps, location overrides, authors): reading them all at once keeps a
    request at one staff statement whichever ids each level happens to need.
    """
    staff = context.request_cache.get(Staff)
    if staff is None:
        result = await context.session.execute(select(Staff))
        staff = context.request_cache[Staff] = {row.id: row for row in result.scalars()}
    return [staff.get(i) for i in ids]


def prime_staff(context: Context, rows: Iterable[Staff | None]) -> None:
    """Staff rows read along with other rows (a join): `load_staff` then finds them.

    When every staff member a request refers to was read that way, it runs no staff
    statement at all; any other id still gets the one whole-company read.
    """
    loader = context.loaders[load_staff]
    for row in rows:
        if row is not None:
            loader.prime(row.id, row)


async def load_customer(context: Context, ids: Sequence[int]) -> list[Customer | None]:
    return await rows_by_id(context, Customer, ids)


async def load_payment_terms(context: Context, ids: Sequence[int]) -> list[PaymentTerms | None]:
    return await rows_by_id(context, PaymentTerms, ids)
