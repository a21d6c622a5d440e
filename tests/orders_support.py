"""Shared setup for the product and order tests.

Customers and locations are inserted straight into the database here because
`customerCreate`/`locationCreate` are built on another branch; once they land,
these factories can become GraphQL calls. Everything else goes through GraphQL.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from db.enums import BasisDate, BillingStatus, ProductDisplay
from db.models import Customer, Location, PaymentTerms
from db.session import Database, Scope
from resolvers.ids import encode_id
from resolvers.text import name_key
from tests.conftest import Api, Tenant


async def make_customer(
    db: Database,
    tenant: Tenant,
    name: str,
    *,
    discount_bp: int = 0,
    terms: str | None = "Net 30",
    basis_date: BasisDate = BasisDate.ORDER_DATE,
    billing_status: BillingStatus = BillingStatus.GOOD_STANDING,
    product_display: ProductDisplay = ProductDisplay.STANDARD_AND_EXCLUSIVE,
    locations: tuple[str, ...] = (),
) -> tuple[str, list[str]]:
    """A customer (direct insert, see module docstring); its global id and its locations' ids."""
    async with db.transaction(Scope(tenant.company_id)) as session:
        terms_id = None
        if terms is not None:
            terms_id = (
                await session.execute(select(PaymentTerms.id).where(PaymentTerms.name == terms))
            ).scalar_one()
        customer = Customer(
            company_id=tenant.company_id,
            name=name,
            name_key=name_key(name),
            discount_bp=discount_bp,
            payment_terms_id=terms_id,
            basis_date=basis_date,
            billing_status=billing_status,
            product_display=product_display,
        )
        session.add(customer)
        await session.flush()
        rows = [
            Location(
                company_id=tenant.company_id,
                customer_id=customer.id,
                name=location,
                name_key=name_key(location),
            )
            for location in locations
        ]
        session.add_all(rows)
        await session.flush()
        return encode_id("Customer", customer.id), [encode_id("Location", r.id) for r in rows]


PRODUCT_FIELDS = "id sku name description price active exclusive version"
PRODUCT_CREATE = f"""mutation($input: ProductCreateInput!) {{ productCreate(input: $input) {{
  product {{ {PRODUCT_FIELDS} }} userErrors {{ field message code }} }} }}"""
SET_EXCLUSIVE = """mutation($input: ProductSetExclusiveCustomersInput!) {
  productSetExclusiveCustomers(input: $input) {
    product { id exclusiveCustomers { name } } userErrors { field message code } } }"""


async def make_product(
    api: Api, tenant: Tenant, sku: str, name: str, price: str, **extra: Any
) -> str:
    """A product through productCreate; its global id."""
    payload = await api.mutate(
        PRODUCT_CREATE,
        {"input": {"sku": sku, "name": name, "price": price, **extra}},
        token=tenant.manager.token,
    )
    return payload["product"]["id"]


async def grant(api: Api, tenant: Tenant, product_id: str, customer_ids: list[str]) -> None:
    await api.mutate(
        SET_EXCLUSIVE,
        {"input": {"productId": product_id, "customerIds": customer_ids}},
        token=tenant.admin.token,
    )
