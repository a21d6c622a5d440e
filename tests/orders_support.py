"""Shared setup for the product and order tests: customers, locations and products,
all made through GraphQL."""

from __future__ import annotations

from typing import Any

from tests.conftest import Api, Tenant

CUSTOMER_CREATE = """mutation($input: CustomerCreateInput!) { customerCreate(input: $input) {
  customer { id } userErrors { field message code } } }"""
LOCATION_CREATE = """mutation($input: LocationCreateInput!) { locationCreate(input: $input) {
  location { id } userErrors { field message code } } }"""


async def make_customer(
    api: Api,
    tenant: Tenant,
    name: str,
    *,
    discount: str = "0",
    terms: str | None = "Net 30",
    basis_date: str = "ORDER_DATE",
    billing_status: str = "GOOD_STANDING",
    product_display: str = "STANDARD_AND_EXCLUSIVE",
    locations: tuple[str, ...] = (),
) -> tuple[str, list[str]]:
    """A customer with `locations`; its global id and its locations' ids."""
    token = tenant.manager.token
    terms_id = None
    if terms is not None:
        listed = await api.ok("{ paymentTerms { id name } }", token=token)
        terms_id = next(t["id"] for t in listed["paymentTerms"] if t["name"] == terms)
    created = await api.mutate(
        CUSTOMER_CREATE,
        {
            "input": {
                "name": name,
                "discountPercent": discount,
                "paymentTermsId": terms_id,
                "basisDate": basis_date,
                "billingStatus": billing_status,
                "productDisplay": product_display,
            }
        },
        token=token,
    )
    customer_id = created["customer"]["id"]
    location_ids = []
    for location in locations:
        made = await api.mutate(
            LOCATION_CREATE, {"input": {"customerId": customer_id, "name": location}}, token=token
        )
        location_ids.append(made["location"]["id"])
    return customer_id, location_ids


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
