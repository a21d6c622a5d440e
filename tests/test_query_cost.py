"""Query cost, Shopify's way: requested before execution, refused over the limit without a
statement, actual after execution, reported with the bucket on every signed-in answer."""

from __future__ import annotations

CUSTOMER_CREATE = """mutation($input: CustomerCreateInput!) {
  customerCreate(input: $input) { customer { id } userErrors { field message code } } }"""
LOCATION_CREATE = """mutation($input: LocationCreateInput!) {
  locationCreate(input: $input) { location { id } userErrors { field message code } } }"""

PAGE = """query($first: Int!) { customers(first: $first, sort: [{field: NAME, direction: ASC}]) {
  totalCount pageInfo { hasNextPage }
  nodes { id name salesRep { id } locations(first: 5) { nodes { id } } } } }"""


async def two_customers(api, tenant) -> None:
    created = await api.mutate(
        CUSTOMER_CREATE,
        {"input": {"name": "Acme", "salesRepId": tenant.rep.global_id}},
        token=tenant.admin.token,
    )
    for name in ("Dock", "Shop"):
        await api.mutate(
            LOCATION_CREATE,
            {"input": {"customerId": created["customer"]["id"], "name": name}},
            token=tenant.admin.token,
        )
    await api.mutate(CUSTOMER_CREATE, {"input": {"name": "Bolt"}}, token=tenant.admin.token)


async def test_requested_and_actual_cost_of_a_page(api, tenant):
    await two_customers(api, tenant)
    body = await api.gql(PAGE, {"first": 10}, token=tenant.admin.token)
    assert [node["name"] for node in body["data"]["customers"]["nodes"]] == ["Acme", "Bolt"]
    cost = body["extensions"]["cost"]
    # 2 + 10 × (customer 1 + salesRep 1 + locations (2 + 5 × 1))
    assert cost["requestedQueryCost"] == 92
    # 2 + Acme (1 + rep 1 + locations 2 + 2) + Bolt (1 + no rep + locations 2 + 0)
    assert cost["actualQueryCost"] == 11
    status = cost["throttleStatus"]
    assert status["maximumAvailable"] == 100_000
    assert status["restoreRate"] == 5_000.0
    assert 100_000 - 92 <= status["currentlyAvailable"] <= 100_000
    # The page size comes from the variables.
    body = await api.gql(PAGE, {"first": 100}, token=tenant.admin.token)
    assert body["extensions"]["cost"]["requestedQueryCost"] == 902


async def test_fields_merge_as_execution_merges_them(api, tenant):
    once = "{ me { id assignedCustomers(first: 4) { nodes { id } } } }"
    twice = """{ me { ...A ...A assignedCustomers(first: 4) { nodes { id } } } }
      fragment A on Staff { assignedCustomers(first: 4) { nodes { id } } }"""
    for document in (once, twice):
        body = await api.gql(document, token=tenant.rep.token)
        # me 1 + assignedCustomers (2 + 4 × 1)
        assert body["extensions"]["cost"]["requestedQueryCost"] == 7
    skipped = "query($s: Boolean!) { me { id assignedCustomers @skip(if: $s) { nodes { id } } } }"
    body = await api.gql(skipped, {"s": True}, token=tenant.rep.token)
    assert body["extensions"]["cost"]["requestedQueryCost"] == 1
    # Default page size (50) when neither first nor last is given.
    body = await api.gql(skipped, {"s": False}, token=tenant.rep.token)
    assert body["extensions"]["cost"]["requestedQueryCost"] == 53


async def test_abstract_types_cost_their_most_expensive_type(api, tenant):
    document = """{ search(query: "zzz", first: 5) { __typename
      ... on Customer { id salesRep { id } }
      ... on Order { id customer { id salesRep { id } } } } }"""
    body = await api.gql(document, token=tenant.admin.token)
    assert body["data"] == {"search": []}
    # 5 × max(Customer 2, Order 3, Contact 1, Location 1)
    assert body["extensions"]["cost"] == {
        "requestedQueryCost": 15,
        "actualQueryCost": 0,
        "throttleStatus": body["extensions"]["cost"]["throttleStatus"],
    }
    node = '{ node(id: "Q3VzdG9tZXI6MA==") { id ... on Customer { salesRep { id } } } }'
    body = await api.gql(node, token=tenant.admin.token)
    assert body["extensions"]["cost"]["requestedQueryCost"] == 2
    assert body["extensions"]["cost"]["actualQueryCost"] == 0


async def test_mutations_cost_ten_plus_their_payload(api, tenant):
    document = """mutation { customerCreate(input: {name: "Cog"}) {
      customer { id salesRep { id } } userErrors { field } } }"""
    body = await api.gql(document, token=tenant.admin.token)
    assert body["data"]["customerCreate"]["userErrors"] == []
    # 10 + payload 1 + customer (1 + salesRep 1) + userErrors (one item counted: 1)
    assert body["extensions"]["cost"]["requestedQueryCost"] == 14
    # No rep, no errors returned.
    assert body["extensions"]["cost"]["actualQueryCost"] == 12


TOO_COSTLY = """{ customers(first: 250) { nodes { locations(first: 250) { nodes { id } } } } }"""


async def test_over_the_limit_is_refused_before_any_sql(api, tenant):
    await api.ok("{ __typename }", token=tenant.rep.token)
    authentication_only = api.last_statements
    body = await api.gql(TOO_COSTLY, token=tenant.rep.token)
    assert api.last_statements == authentication_only
    (error,) = body["errors"]
    assert body["data"] is None
    assert error["message"] == (
        "The query's cost is 63252, above the limit of 50000. "
        "Ask for smaller pages (first/last) or fewer nested connections."
    )
    assert error["extensions"]["code"] == "MAX_COST_EXCEEDED"
    assert error["extensions"]["cost"]["requestedQueryCost"] == 63252
    assert error["extensions"]["cost"]["actualQueryCost"] == 0
    assert body["extensions"]["cost"]["requestedQueryCost"] == 63252
    # Three aliases of a 250 × 250 × 250 back-reference (41 s of CPU before the limit).
    aliased = (
        "{ "
        + " ".join(
            f"a{i}: customers(first: 250) {{ nodes {{ locations(first: 250) {{ nodes {{ "
            "customer { locations(first: 250) { nodes { id } } } } } } }"
            for i in range(3)
        )
        + " }"
    )
    body = await api.gql(aliased, token=tenant.rep.token)
    assert api.last_statements == authentication_only
    assert body["errors"][0]["extensions"]["code"] == "MAX_COST_EXCEEDED"
    assert body["errors"][0]["extensions"]["cost"]["requestedQueryCost"] == 3 * (
        2 + 250 * (1 + 2 + 250 * (1 + 1 + 2 + 250))
    )


async def test_refused_documents_report_the_bucket_too(api, tenant):
    for document in ("{ me { id ", "{ nope }"):
        body = await api.gql(document, token=tenant.rep.token)
        cost = body["extensions"]["cost"]
        assert (cost["requestedQueryCost"], cost["actualQueryCost"]) == (0, 0)
        assert cost["throttleStatus"]["maximumAvailable"] == 100_000


async def test_no_cost_without_a_token(api):
    body = await api.gql("{ __typename }")
    assert body == {"data": {"__typename": "Query"}}
