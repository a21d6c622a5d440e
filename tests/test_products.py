"""Products: the catalogue, permissions, SKU uniqueness, exclusive products and visibility."""

from __future__ import annotations

from db.models import Product, ProductExclusiveCustomer
from db.session import Scope
from resolvers.ids import decode_id
from tests.orders_support import (
    PRODUCT_CREATE,
    PRODUCT_FIELDS,
    SET_EXCLUSIVE,
    grant,
    make_customer,
    make_product,
)

PRODUCT_UPDATE = f"""mutation($id: ID!, $input: ProductUpdateInput!) {{
  productUpdate(id: $id, input: $input) {{
    product {{ {PRODUCT_FIELDS} }} userErrors {{ field message code }} }} }}"""
PRODUCTS = """query($visibleTo: ID, $search: String, $includeInactive: Boolean! = false,
                    $first: Int, $after: String) {
  products(visibleTo: $visibleTo, search: $search, includeInactive: $includeInactive,
           first: $first, after: $after) {
    totalCount nodes { sku } pageInfo { hasNextPage endCursor } } }"""


async def skus(api, token, **variables) -> list[str]:
    data = await api.ok(PRODUCTS, variables, token=token)
    return [n["sku"] for n in data["products"]["nodes"]]


async def test_manager_creates_and_updates_a_product(api, tenant):
    created = await api.mutate(
        PRODUCT_CREATE,
        {
            "input": {
                "sku": " ESP-1 ",
                "name": "Espresso beans",
                "price": "24.50",
                "description": "1 kg bag",
            }
        },
        token=tenant.manager.token,
    )
    product = created["product"]
    assert {k: v for k, v in product.items() if k != "id"} == {
        "sku": "ESP-1",
        "name": "Espresso beans",
        "description": "1 kg bag",
        "price": "24.50",
        "active": True,
        "exclusive": False,
        "version": 1,
    }
    updated = await api.mutate(
        PRODUCT_UPDATE,
        {"id": product["id"], "input": {"price": "25", "active": False, "expectedVersion": 1}},
        token=tenant.admin.token,
    )
    assert updated["product"]["price"] == "25.00"
    assert updated["product"]["active"] is False
    assert updated["product"]["version"] == 2
    stale = await api.ok(
        PRODUCT_UPDATE,
        {"id": product["id"], "input": {"price": "1", "expectedVersion": 1}},
        token=tenant.admin.token,
    )
    assert stale["productUpdate"]["userErrors"][0]["code"] == "STALE"
    node = await api.ok(
        "query($id: ID!) { node(id: $id) { ... on Product { price version } } }",
        {"id": product["id"]},
        token=tenant.rep.token,
    )
    assert node["node"] == {"price": "25.00", "version": 2}


async def test_reps_may_not_manage_products(api, tenant):
    body = await api.gql(
        PRODUCT_CREATE,
        {"input": {"sku": "X", "name": "X", "price": "1.00"}},
        token=tenant.rep.token,
    )
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert await skus(api, tenant.admin.token, includeInactive=True) == []


async def test_bad_product_input_is_refused_and_nothing_written(api, tenant):
    await make_product(api, tenant, "TAKEN-1", "First", "1.00")
    bad = await api.ok(
        PRODUCT_CREATE,
        {"input": {"sku": " ", "name": "", "price": "-1.00"}},
        token=tenant.admin.token,
    )
    assert [(e["field"], e["code"]) for e in bad["productCreate"]["userErrors"]] == [
        (["input", "sku"], "REQUIRED"),
        (["input", "name"], "REQUIRED"),
        (["input", "price"], "OUT_OF_RANGE"),
    ]
    decimals = await api.ok(
        PRODUCT_CREATE,
        {"input": {"sku": "A", "name": "A", "price": "1.005"}},
        token=tenant.admin.token,
    )
    assert decimals["productCreate"]["userErrors"] == [
        {
            "field": ["input", "price"],
            "message": "Price may have at most 2 decimals.",
            "code": "INVALID",
        }
    ]
    taken = await api.ok(
        PRODUCT_CREATE,
        {"input": {"sku": "taken-1", "name": "Second", "price": "2.00"}},
        token=tenant.admin.token,
    )
    assert taken["productCreate"]["product"] is None
    assert taken["productCreate"]["userErrors"] == [
        {
            "field": ["input", "sku"],
            "message": "Another product already has this SKU.",
            "code": "TAKEN",
        }
    ]
    second = await make_product(api, tenant, "OTHER", "Other", "3.00")
    rename = await api.ok(
        PRODUCT_UPDATE, {"id": second, "input": {"sku": "Taken-1"}}, token=tenant.admin.token
    )
    assert rename["productUpdate"]["userErrors"][0]["code"] == "TAKEN"
    assert await skus(api, tenant.admin.token) == ["TAKEN-1", "OTHER"]


async def test_sku_is_unique_per_company_only(api, tenant, other_tenant):
    await make_product(api, tenant, "SAME", "Mine", "1.00")
    await make_product(api, other_tenant, "SAME", "Theirs", "1.00")
    data = await api.ok("{ products { nodes { name } } }", token=other_tenant.rep.token)
    assert data["products"]["nodes"] == [{"name": "Theirs"}]


async def test_exclusive_products_are_seen_only_by_granted_customers(api, tenant, database):
    acme, _ = await make_customer(api, tenant, "Acme")
    bistro, _ = await make_customer(api, tenant, "Bistro")
    boutique, _ = await make_customer(api, tenant, "Boutique", product_display="EXCLUSIVE_ONLY")
    await make_product(api, tenant, "PUB-A", "Apples", "1.00")
    await make_product(api, tenant, "PUB-OLD", "Bananas (discontinued)", "1.00", active=False)
    reserve = await make_product(api, tenant, "EXC-R", "Reserve coffee", "40.00", exclusive=True)
    wine = await make_product(api, tenant, "EXC-W", "House wine", "90.00", exclusive=True)
    await grant(api, tenant, reserve, [acme, boutique])
    await grant(api, tenant, wine, [boutique])

    token = tenant.rep.token
    assert await skus(api, token, visibleTo=acme) == ["PUB-A", "EXC-R"]
    assert await skus(api, token, visibleTo=bistro) == ["PUB-A"]
    # EXCLUSIVE_ONLY: its exclusive products and nothing public.
    assert await skus(api, token, visibleTo=boutique) == ["EXC-W", "EXC-R"]
    # The full catalogue, and with the inactive ones.
    assert await skus(api, token) == ["PUB-A", "EXC-W", "EXC-R"]
    assert await skus(api, token, includeInactive=True) == [
        "PUB-A",
        "PUB-OLD",
        "EXC-W",
        "EXC-R",
    ]
    assert await skus(api, token, visibleTo=acme, search="reserve") == ["EXC-R"]
    assert await skus(api, token, search="exc-") == ["EXC-W", "EXC-R"]

    granted = await api.ok(
        "query($id: ID!) { node(id: $id) { ... on Product { exclusiveCustomers { name } } } }",
        {"id": reserve},
        token=token,
    )
    assert granted["node"]["exclusiveCustomers"] == [{"name": "Acme"}, {"name": "Boutique"}]

    # Replacing the grants: Acme loses the reserve coffee.
    await grant(api, tenant, reserve, [bistro])
    assert await skus(api, token, visibleTo=acme) == ["PUB-A"]
    assert await skus(api, token, visibleTo=bistro) == ["PUB-A", "EXC-R"]


async def test_granting_refuses_unknown_customers_and_writes_nothing(
    api, tenant, other_tenant, database
):
    acme, _ = await make_customer(api, tenant, "Acme")
    stranger, _ = await make_customer(api, other_tenant, "Stranger")
    reserve = await make_product(api, tenant, "EXC-R", "Reserve", "40.00", exclusive=True)
    await grant(api, tenant, reserve, [acme])
    refused = await api.ok(
        SET_EXCLUSIVE,
        {"input": {"productId": reserve, "customerIds": [acme, stranger, "bogus"]}},
        token=tenant.admin.token,
    )
    assert [
        (e["field"], e["code"]) for e in refused["productSetExclusiveCustomers"]["userErrors"]
    ] == [(["input", "customerIds", "2"], "INVALID_ID")]
    refused = await api.ok(
        SET_EXCLUSIVE,
        {"input": {"productId": reserve, "customerIds": [stranger]}},
        token=tenant.admin.token,
    )
    assert [
        (e["field"], e["code"]) for e in refused["productSetExclusiveCustomers"]["userErrors"]
    ] == [(["input", "customerIds", "0"], "NOT_FOUND")]
    assert await skus(api, tenant.rep.token, visibleTo=acme) == ["EXC-R"]
    # Another company's customer is not a valid visibleTo either.
    body = await api.gql(PRODUCTS, {"visibleTo": stranger}, token=tenant.rep.token)
    assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND"


async def test_products_page_through_the_catalogue(api, tenant):
    for n in range(5):
        await make_product(api, tenant, f"P{n}", f"Product {n}", "1.00")
    first = await api.ok(PRODUCTS, {"first": 3}, token=tenant.rep.token)
    page = first["products"]
    assert [n["sku"] for n in page["nodes"]] == ["P0", "P1", "P2"]
    assert page["totalCount"] == 5
    assert page["pageInfo"]["hasNextPage"] is True
    rest = await skus(api, tenant.rep.token, first=3, after=page["pageInfo"]["endCursor"])
    assert rest == ["P3", "P4"]


async def test_a_page_of_10_or_110_products_runs_the_same_statements(api, tenant, database):
    customers = [(await make_customer(api, tenant, f"Customer {n}"))[0] for n in range(3)]
    # 110 exclusive products with grants, inserted in one transaction for speed.
    async with database.transaction(Scope(tenant.company_id)) as session:
        for n in range(110):
            product = Product(
                company_id=tenant.company_id,
                sku=f"P{n:03d}",
                name=f"Product {n:03d}",
                price_cents=100 + n,
                exclusive=True,
            )
            session.add(product)
            await session.flush()
            session.add(
                ProductExclusiveCustomer(
                    company_id=tenant.company_id,
                    product_id=product.id,
                    customer_id=decode_id(customers[n % 3])[1],
                )
            )
    query = """query($first: Int) { products(first: $first) {
      nodes { sku price exclusiveCustomers { name } } } }"""
    small = await api.ok(query, {"first": 10}, token=tenant.rep.token)
    small_count = api.last_statements
    large = await api.ok(query, {"first": 110}, token=tenant.rep.token)
    assert len(small["products"]["nodes"]) == 10
    assert large["products"]["nodes"][109] == {
        "sku": "P109",
        "price": "2.09",
        "exclusiveCustomers": [{"name": "Customer 1"}],
    }
    assert api.last_statements == small_count
