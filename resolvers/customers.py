"""Customers: lookups, the list, and profile mutations."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from db.models import Company, Customer
from resolvers.ids import decode_id
from resolvers.loaders import load_customer
from resolvers.pagination import PageArgs, SortKey, paginate_for

if TYPE_CHECKING:
    from resolvers.context import Context


async def customer_by_global_id(context: Context, id: str) -> Customer | None:
    decoded = decode_id(id)
    if decoded is None or decoded[0] != "Customer":
        return None
    return await context.loaders[load_customer].load(decoded[1])


async def company_allows_partial_payments(context: Context) -> bool:
    company = await context.session.get(Company, context.viewer.company_id)
    return bool(company and company.allow_partial_payments)


async def assigned_customers_page(context: Context, staff_id: int, args: PageArgs) -> Any:
    statement = select(Customer).where(Customer.sales_rep_id == staff_id)
    return await paginate_for(context, statement, [SortKey(Customer.name_key)], Customer.id, args)
