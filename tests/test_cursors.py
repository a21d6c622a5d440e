"""Issue 14 #4: a cursor is valid only for the list and sort it came from.

Crafted cursors (valid base64 JSON of the right length) ended in INTERNAL_SERVER_ERROR,
and a cursor of another list or sort silently answered page 1. Now every malformed,
tampered or foreign cursor is a GraphQL error with `extensions.code = "BAD_USER_INPUT"`.
"""

from __future__ import annotations

import base64
import json

import orjson
import pytest

from tests.ledger_factory import make_customer, make_location, make_order

CUSTOMERS = """query($s: [CustomerSort!], $after: String, $before: String) {
  customers(first: 2, sort: $s, after: $after, before: $before) {
    nodes { name } pageInfo { endCursor } } }"""
ORDERS = """query($after: String) { orders(first: 2, after: $after) {
  nodes { id } pageInfo { endCursor } } }"""
NESTED = [
    """query($id: ID!, $after: String) { customer(id: $id) {
  locations(first: 1, after: $after) { nodes { name } pageInfo { endCursor } } } }""",
    """query($id: ID!, $after: String) { customer(id: $id) {
  interactions(first: 1, after: $after) { nodes { id } pageInfo { endCursor } } } }""",
]


def b64(value) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode()


CRAFTED = [
    b64([{"t": "nope"}, 1]),
    b64([{"d": 5}, 1]),
    b64([[1, 2], 1]),
    b64([None, None]),
    b64([{"x": 1}, 1]),
    b64(["a", 2**70]),
    b64("just a string"),
    b64({"a": 1}),
    "not base64 at all!",
    "A" * 5000,
]


def codes(body: dict) -> list[str]:
    return [e["extensions"]["code"] for e in body.get("errors", [])]


async def names_page(api, token, sort, after=None):
    body = await api.gql(CUSTOMERS, {"s": sort, "after": after}, token=token)
    return body


@pytest.fixture
async def book(api, tenant):
    for name in ("Ash", "Birch", "Cedar", "Dogwood"):
        await make_customer(api, tenant, name)
    return tenant.rep.token


@pytest.mark.parametrize("cursor", CRAFTED)
async def test_crafted_cursors_are_bad_user_input(api, book, cursor):
    for variables in ({"after": cursor}, {"before": cursor}):
        body = await api.gql(CUSTOMERS, variables, token=book)
        assert codes(body) == ["BAD_USER_INPUT"], body
        assert body["errors"][0]["message"].startswith("Invalid cursor")


async def test_tampered_values_in_a_real_cursor_are_refused(api, book):
    real = (await api.ok(CUSTOMERS, {}, token=book))["customers"]["pageInfo"]["endCursor"]
    owner, values = orjson.loads(base64.urlsafe_b64decode(real))
    assert len(values) == 2
    for tampered in ([{"t": "nope"}, 1], [None, None], [[1], 2], ["birch", "x"], ["birch"]):
        body = await api.gql(CUSTOMERS, {"after": b64([owner, tampered])}, token=book)
        assert codes(body) == ["BAD_USER_INPUT"], (tampered, body)
    # Untouched, it pages on.
    page = await api.ok(CUSTOMERS, {"after": real}, token=book)
    assert page["customers"]["nodes"] == [{"name": "Cedar"}, {"name": "Dogwood"}]


async def test_a_cursor_of_another_sort_or_list_is_refused(api, book, tenant):
    by_name = (await api.ok(CUSTOMERS, {}, token=book))["customers"]["pageInfo"]["endCursor"]
    newest = [{"field": "CREATED_AT", "direction": "DESC"}]
    body = await api.gql(CUSTOMERS, {"s": newest, "after": by_name}, token=book)
    assert codes(body) == ["BAD_USER_INPUT"]
    # Same sort, other direction: another order of the rows, another cursor.
    name_desc = [{"field": "NAME", "direction": "DESC"}]
    body = await api.gql(CUSTOMERS, {"s": name_desc, "after": by_name}, token=book)
    assert codes(body) == ["BAD_USER_INPUT"]
    # A customers cursor in the orders list.
    body = await api.gql(ORDERS, {"after": by_name}, token=tenant.manager.token)
    assert codes(body) == ["BAD_USER_INPUT"]
    # The sort's own cursor pages on.
    newest_cursor = (await api.ok(CUSTOMERS, {"s": newest}, token=book))["customers"]["pageInfo"][
        "endCursor"
    ]
    page = await api.ok(CUSTOMERS, {"s": newest, "after": newest_cursor}, token=book)
    assert page["customers"]["nodes"] == [{"name": "Birch"}, {"name": "Ash"}]


async def test_nested_lists_check_their_cursors(api, tenant):
    token = tenant.manager.token
    customer = await make_customer(api, tenant, "Nested Nursery")
    await make_location(api, tenant, customer, "Front")
    await make_order(api, tenant, customer, 1000)
    orders_cursor = (await api.ok(ORDERS, {}, token=token))["orders"]["pageInfo"]["endCursor"]
    for query in NESTED:
        for cursor in [*CRAFTED[:6], orders_cursor]:
            body = await api.gql(query, {"id": customer, "after": cursor}, token=token)
            assert codes(body) == ["BAD_USER_INPUT"], body
