"""Issue 14 #3 and #5: bad input is the client's error, coded; never an internal one.

Measured on main: Decimals of 1e28 or more (quantize ran out of digits) and a price of
"99999999999999999999" were INTERNAL_SERVER_ERROR; NUL in `search` (both databases) or
in a name (PostgreSQL); searches over 50,000 characters (SQLite's LIKE limit); one
malformed id nulled the whole `nodes` answer.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from db.models import Customer
from db.session import Scope
from tests.ledger_factory import _product, make_customer, make_order

CUSTOMER_CREATE = """mutation($i: CustomerCreateInput!) { customerCreate(input: $i) {
  customer { id } userErrors { field code message } } }"""
PRODUCT_CREATE = """mutation($i: ProductCreateInput!) { productCreate(input: $i) {
  product { id } userErrors { field code message } } }"""
RECORD = """mutation($i: TransactionRecordInput!) { transactionRecord(input: $i) {
  transaction { id } userErrors { field code message } } }"""
ORDER = """mutation($i: OrderCreateInput!) { orderCreate(input: $i) {
  order { id } userErrors { field code message } } }"""
UPDATE = """mutation($id: ID!, $i: CustomerUpdateInput!) { customerUpdate(id: $id, input: $i) {
  customer { id } userErrors { field code message } } }"""
HUGE = ["1e28", "99999999999999999999", "-1e30", "1E+999999", "1000000000000.00"]
SEARCHES = [
    "query($s: String) { customers(filter: {search: $s}) { totalCount } }",
    "query($s: String) { locations(filter: {search: $s}) { totalCount } }",
    "query($s: String) { orders(search: $s) { totalCount } }",
    "query($s: String) { interactions(filter: {search: $s}) { totalCount } }",
    "query($s: String) { products(search: $s) { totalCount } }",
    "query($s: String!) { search(query: $s) { __typename } }",
]


def codes(body: dict) -> list[str]:
    return [e["extensions"]["code"] for e in body.get("errors", [])]


async def customer_count(database, tenant) -> int:
    session = database.session(Scope(tenant.company_id))
    try:
        return await session.scalar(select(func.count(Customer.id)))
    finally:
        await session.close()


@pytest.mark.parametrize("amount", HUGE)
async def test_huge_decimals_are_out_of_range_user_errors(api, tenant, database, amount):
    token = tenant.admin.token
    customer = await make_customer(api, tenant, "Big Numbers Inc")
    order = await make_order(api, tenant, customer, 1000)
    product = await _product(api, tenant)
    before = await customer_count(database, tenant)
    cases = [
        (CUSTOMER_CREATE, {"name": "X", "creditLimit": amount}, ["input", "creditLimit"]),
        (CUSTOMER_CREATE, {"name": "X", "discountPercent": amount}, ["input", "discountPercent"]),
        (PRODUCT_CREATE, {"name": "X", "sku": "HUGE-1", "price": amount}, ["input", "price"]),
        (
            RECORD,
            {"customerId": customer, "kind": "PAYMENT", "amount": amount},
            ["input", "amount"],
        ),
        (
            RECORD,
            {
                "customerId": customer,
                "kind": "PAYMENT",
                "amount": "1.00",
                "allocations": [{"orderId": order, "amount": amount}],
            },
            ["input", "allocations", "0", "amount"],
        ),
        (
            ORDER,
            {
                "customerId": customer,
                "lines": [{"productId": product, "quantity": 1, "unitPrice": amount}],
            },
            ["input", "lines", "0", "unitPrice"],
        ),
    ]
    for query, input, field in cases:
        body = await api.gql(query, {"i": input}, token=token)
        assert "errors" not in body, (input, body)
        (payload,) = body["data"].values()
        assert [(e["field"], e["code"]) for e in payload["userErrors"]] == [
            (field, "OUT_OF_RANGE")
        ], (input, payload)
    body = await api.gql(UPDATE, {"id": customer, "i": {"creditLimit": amount}}, token=token)
    assert body["data"]["customerUpdate"]["userErrors"][0]["code"] == "OUT_OF_RANGE"
    assert await customer_count(database, tenant) == before


async def test_nul_characters_are_refused_before_anything_runs(api, tenant, database):
    token = tenant.admin.token
    before = await customer_count(database, tenant)
    body = await api.gql(CUSTOMER_CREATE, {"i": {"name": "Nul\x00Co"}}, token=token)
    assert body["data"] is None
    assert codes(body) == ["BAD_USER_INPUT"]
    assert body["errors"][0]["message"] == (
        "Text may not contain NUL (U+0000) characters ($i.name)."
    )
    literal = 'mutation { customerCreate(input: {name: "Nul\\u0000Co"}) { userErrors { code } } }'
    assert codes(await api.gql(literal, token=token)) == ["BAD_USER_INPUT"]
    for query in SEARCHES:
        body = await api.gql(query, {"s": "a\x00b"}, token=token)
        assert codes(body) == ["BAD_USER_INPUT"], (query, body)
    assert await customer_count(database, tenant) == before


async def test_searches_have_a_documented_maximum_length(api, tenant):
    token = tenant.admin.token
    for query in SEARCHES:
        argument = "query" if "search(query" in query else "search"
        body = await api.gql(query, {"s": "%a" * 30_000}, token=token)
        assert codes(body) == ["BAD_USER_INPUT"], (query, body)
        assert body["errors"][0]["message"] == (
            f"`{argument}` may be at most 500 characters; got 60000."
        )
        # At the limit it is an ordinary search.
        assert codes(await api.gql(query, {"s": "z" * 500}, token=token)) == []


async def test_one_malformed_id_nulls_only_its_place_in_nodes(api, tenant, other_tenant):
    token = tenant.rep.token
    ann = await make_customer(api, tenant, "Ann's Apiary")
    bee = await make_customer(api, tenant, "Bee Barn")
    foreign = await make_customer(api, other_tenant, "Elsewhere")
    query = "query($ids: [ID!]!) { nodes(ids: $ids) { id ... on Customer { name } } }"
    body = await api.gql(
        query, {"ids": [ann, "not-an-id", bee, foreign, "Q3VzdG9tZXI6"]}, token=token
    )
    assert body["data"] == {
        "nodes": [
            {"id": ann, "name": "Ann's Apiary"},
            None,
            {"id": bee, "name": "Bee Barn"},
            None,  # another company's: not found, no error
            None,
        ]
    }
    assert [(e["path"], e["extensions"]["code"]) for e in body["errors"]] == [
        (["nodes", 1], "INVALID_ID"),
        (["nodes", 4], "INVALID_ID"),
    ]
    single = await api.gql("query($id: ID!) { node(id: $id) { id } }", {"id": "!!"}, token=token)
    assert single["data"] == {"node": None}
    assert codes(single) == ["INVALID_ID"]
