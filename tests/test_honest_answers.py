"""Issue 14 #1: sibling resolvers share the request's session; an error never leaves
writes behind it.

The cause: when a field fails (`orders(first: 300)`), graphql-core answers at once and
leaves the siblings it had started (`contacts`, awaiting the shared session) running in
the background, or cancels them midway through a statement. The request then closed its
session under them: "Cannot operate on a closed database" (SQLite), "connection is
closed" (asyncpg), `data: null`; under a mutation, the location was committed anyway.
"""

from __future__ import annotations

from sqlalchemy import func, select

from db.models import Location
from db.session import Scope
from tests.ledger_factory import make_customer, pk

QUERY = """query($id: ID!) { customer(id: $id) {
  contacts { name } orders(first: 300) { totalCount } } }"""
CREATE = """mutation($input: LocationCreateInput!) { locationCreate(input: $input) {
  location { name customer { contacts { name } orders(first: %d) { totalCount } } }
  userErrors { field message code } } }"""
CONTACT = """mutation($input: ContactCreateInput!) { contactCreate(input: $input) {
  contact { id } userErrors { field code } } }"""
TOO_MANY = {
    "message": "`first` and `last` may be at most 250; asked for 300.",
    "code": "BAD_USER_INPUT",
}


async def locations_of(database, tenant, customer: str) -> int:
    session = database.session(Scope(tenant.company_id))
    try:
        return await session.scalar(
            select(func.count(Location.id)).where(Location.customer_id == pk(customer))
        )
    finally:
        await session.close()


def coded(errors: list[dict]) -> list[dict]:
    return [{"message": e["message"], "code": e["extensions"]["code"]} for e in errors]


async def test_a_failing_sibling_answers_its_own_error(api, tenant):
    token = tenant.rep.token
    customer = await make_customer(api, tenant, "Sibling Supply")
    await api.mutate(CONTACT, {"input": {"customerId": customer, "name": "Ann"}}, token=token)
    for _ in range(20):
        body = await api.gql(QUERY, {"id": customer}, token=token)
        assert body["data"] == {"customer": None}
        assert coded(body["errors"]) == [TOO_MANY]
        assert body["errors"][0]["path"] == ["customer", "orders"]
    # The session is sound afterwards: the same request without the bad argument answers.
    fine = QUERY.replace("300", "10")
    assert await api.ok(fine, {"id": customer}, token=token) == {
        "customer": {"contacts": [{"name": "Ann"}], "orders": {"totalCount": 0}}
    }


async def test_a_mutation_whose_answer_fails_writes_nothing(api, tenant, database):
    token = tenant.rep.token
    customer = await make_customer(api, tenant, "Retry Safe Ltd")
    await api.mutate(CONTACT, {"input": {"customerId": customer, "name": "Bo"}}, token=token)
    for _ in range(3):
        body = await api.gql(
            CREATE % 300, {"input": {"customerId": customer, "name": "Dock"}}, token=token
        )
        assert body["data"] is None
        assert coded(body["errors"]) == [
            TOO_MANY,
            {
                "message": "An error occurred while answering this mutation. "
                "Nothing was written: retrying is safe.",
                "code": "ROLLED_BACK",
            },
        ]
    assert await locations_of(database, tenant, customer) == 0
    # The same mutation with a valid selection writes exactly one row and says so,
    # reading its payload inside its own transaction.
    payload = await api.mutate(
        CREATE % 10, {"input": {"customerId": customer, "name": "Dock"}}, token=token
    )
    assert payload["location"] == {
        "name": "Dock",
        "customer": {"contacts": [{"name": "Bo"}], "orders": {"totalCount": 0}},
    }
    assert await locations_of(database, tenant, customer) == 1


async def test_several_mutations_in_one_operation_are_all_or_nothing(api, tenant, database):
    """A userError undoes only its own mutation; an error anywhere undoes them all."""
    token = tenant.rep.token
    customer = await make_customer(api, tenant, "Two Step Traders")
    two = """mutation($c: ID!) {
      a: locationCreate(input: {customerId: $c, name: "North"}) { location { name } userErrors { code } }
      b: locationCreate(input: {customerId: $c, name: ""}) { location { name } userErrors { code } }
    }"""
    data = await api.ok(two, {"c": customer}, token=token)
    assert data == {
        "a": {"location": {"name": "North"}, "userErrors": []},
        "b": {"location": None, "userErrors": [{"code": "REQUIRED"}]},
    }
    assert await locations_of(database, tenant, customer) == 1
    failing = """mutation($c: ID!) {
      a: locationCreate(input: {customerId: $c, name: "South"}) { location { name } userErrors { code } }
      b: locationCreate(input: {customerId: $c, name: "East"}) {
        location { customer { orders(first: 300) { totalCount } } } userErrors { code } }
    }"""
    body = await api.gql(failing, {"c": customer}, token=token)
    assert body["data"] is None
    assert [e["extensions"]["code"] for e in body["errors"]] == ["BAD_USER_INPUT", "ROLLED_BACK"]
    assert await locations_of(database, tenant, customer) == 1
