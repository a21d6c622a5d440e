"""Company-wide settings and lists."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select

from db.models import PaymentTerms

if TYPE_CHECKING:
    from resolvers.context import Context


async def payment_terms(context: Context) -> list[PaymentTerms]:
    result = await context.session.execute(
        select(PaymentTerms).order_by(PaymentTerms.due_in_days, PaymentTerms.name)
    )
    return list(result.scalars())
